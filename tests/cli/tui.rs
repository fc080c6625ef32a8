//! The inspector in a real terminal: tmux runs it, sends keys and reads the
//! screen, as a person would.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{bin, run, text, tmp};

struct Tmux {
    session: String,
}

impl Tmux {
    fn new(name: &str, cmd: &str, width: u16, height: u16) -> Tmux {
        let session = format!("rehearsal-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", &width.to_string(), "-y", &height.to_string(), cmd])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux could not start a session");
        Tmux { session }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().expect("tmux runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().expect("tmux runs").success());
    }

    /// Waits until the screen satisfies `ok`; returns the screen.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        wait_for(what, "the screen", || self.screen(), ok)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).status();
    }
}

fn status_line(screen: &str) -> String {
    screen.lines().next().unwrap_or_default().to_string()
}

/// Polls `look` (up to a generous deadline: this is not a speed test) until
/// what it sees satisfies `ok`; returns that.
fn wait_for(what: &str, seen: &str, look: impl Fn() -> String, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = look();
        if ok(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "waited for {what}; {seen} is:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether tmux is missing (then the terminal test is skipped, loudly; on
/// CI, which installs it (.ci/run), that fails).
fn no_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success()) {
        return false;
    }
    assert!(std::env::var_os("CI").is_none(), "tmux is missing on CI");
    eprintln!("SKIPPED: tmux is not installed; `apt-get install tmux` to run the terminal test");
    true
}

#[test]
fn step_back_goto_search_resize_and_quit_in_a_real_terminal() {
    if no_tmux() {
        return;
    }
    let trace = tmp("tui.jsonl");
    assert_eq!(run(&["run", "supervision", "--seed", "2", "--trace", trace.to_str().unwrap()]).status.code(), Some(0));
    let cmd = format!("{} inspect {}; echo EXITED $?; sleep 60", bin().display(), trace.display());
    let t = Tmux::new("tui", &cmd, 120, 40);
    let s = t.wait("the inspector", |s| s.contains("REPLAY") && s.contains("event 0/"));
    assert!(s.contains("tree") && s.contains("mailboxes") && s.contains("log"), "{s}");

    t.keys(&["l", "l", "l"]);
    t.wait("three steps forward", |s| status_line(s).contains("event 3/"));
    t.keys(&["h"]);
    t.wait("one step back", |s| status_line(s).contains("event 2/"));
    t.keys(&[":", "2", "0", "Enter"]);
    t.wait("go to step 20", |s| status_line(s).contains("step 20 of"));
    t.keys(&["/", "k", "i", "n", "d", "=", "r", "e", "s", "t", "a", "r", "t", "Enter"]);
    let s = t.wait("a restart found", |s| !status_line(s).contains("step 20 of"));
    assert!(s.contains("restart"), "{s}");
    t.keys(&["?"]);
    t.wait("the help", |s| s.contains("help · ↑/↓ scroll"));
    t.keys(&["Escape"]);
    t.wait("the help closed", |s| !s.contains("help · ↑/↓ scroll"));

    // Resize to 80x24: the screen redraws and still shows the status bar.
    assert!(Command::new("tmux")
        .args(["resize-window", "-t", &t.session, "-x", "80", "-y", "24"])
        .status()
        .expect("tmux runs")
        .success());
    t.wait("a redraw at 80x24", |s| s.lines().count() <= 24 && status_line(s).contains("REPLAY"));

    t.keys(&["q"]);
    let s = t.wait("the shell after quitting", |s| s.contains("EXITED 0"));
    assert!(!s.contains("REPLAY"), "the terminal was not restored: {s}");
}

#[test]
fn snapshot_at_prints_the_screen() {
    let trace = tmp("snap.jsonl");
    assert_eq!(run(&["run", "greeter", "--seed", "3", "--trace", trace.to_str().unwrap()]).status.code(), Some(0));
    let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "10", "--size", "100x30"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.lines().next().is_some_and(|l| l.contains("REPLAY") && l.contains("step 10 of")), "{text}");
    assert!(text.lines().count() <= 31);
    for size in ["5x5", "20x20", "39x10", "2000x40"] {
        let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "1", "--size", size]);
        assert_eq!(o.status.code(), Some(2), "{size}: a size it cannot draw is bad input");
    }
    let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "1", "--size", "40x10"]);
    assert_eq!(o.status.code(), Some(0), "the smallest it draws");
    // The message flow in the log's pane instead of the log.
    let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "10", "--size", "100x30", "--view", "flow"]);
    assert_eq!(o.status.code(), Some(0));
    let flow = String::from_utf8_lossy(&o.stdout);
    assert!(flow.contains("┏ flow ") && !flow.contains("┏ log "), "{flow}");
    assert!(flow.lines().any(|l| l.contains("▶┃")), "the cursor's row, in its own causal chain:\n{flow}");
    let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "10", "--view", "sideways"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_live_run_in_a_real_terminal_steps_plays_and_quits() {
    if no_tmux() {
        return;
    }
    let trace = tmp("live.jsonl");
    let cmd = format!(
        "{} inspect counter --seed 3 -p clients=2 --trace {}; echo EXITED $?; sleep 60",
        bin().display(),
        trace.display()
    );
    let t = Tmux::new("live", &cmd, 120, 40);
    let s =
        t.wait("the live inspector", |s| status_line(s).contains("LIVE") && status_line(s).contains("step 0 of 0+"));
    assert!(s.contains("counter CounterActor"), "{s}");
    // The end of step 0 (the set-up), then a step: the run takes its first step.
    t.keys(&[":", "0", "Enter", "l"]);
    t.wait("the first delivery", |s| status_line(s).contains("step 1 of 1+"));
    t.keys(&[":", "5", "Enter"]);
    t.wait("step 5", |s| status_line(s).contains("step 5 of"));
    // Play fast to the end: the verdict shows.
    t.keys(&["+", "+", "+", "+", " "]);
    let s = t.wait("the end of the run", |s| s.contains("the run ended: idle"));
    assert!(status_line(&s).contains("LIVE (ended, invariants ok)"), "{s}");
    t.keys(&["q"]);
    let s = t.wait("the shell after quitting", |s| s.contains("EXITED 0"));
    assert!(!s.contains("LIVE"), "the terminal was not restored: {s}");
    // The trace it wrote replays identically.
    let o = run(&["replay", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn live_snapshots_and_bad_targets() {
    let o = run(&["inspect", "supervision", "--seed", "2", "--snapshot-at", "20", "--size", "100x30"]);
    assert_eq!(o.status.code(), Some(0));
    let live = String::from_utf8_lossy(&o.stdout);
    assert!(live.lines().next().is_some_and(|l| l.starts_with(" LIVE") && l.contains("step 20 of")), "{live}");
    // The same screen as the recording's, but for the first line.
    let trace = tmp("live-vs-recorded.jsonl");
    assert_eq!(run(&["run", "supervision", "--seed", "2", "--trace", trace.to_str().unwrap()]).status.code(), Some(0));
    let o = run(&["inspect", trace.to_str().unwrap(), "--snapshot-at", "20", "--size", "100x30"]);
    let recorded = String::from_utf8_lossy(&o.stdout);
    let tree = |s: &str| s.lines().skip(1).take(12).map(|l| l.chars().take(40).collect::<String>()).collect::<Vec<_>>();
    assert_eq!(tree(&live), tree(&recorded));
    // Neither a file nor a scenario.
    let o = run(&["inspect", "no-such-thing"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-thing: no such file; expected a trace file, or a scenario to run live"), "{err}");
    assert!(err.contains("counter"), "{err}");
    // A live run with a bad parameter or a bad plan.
    let o = run(&["inspect", "counter", "-p", "clients=zero", "--snapshot-at", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let plan = tmp("bad-live-plan.toml");
    std::fs::write(&plan, "[[rule]]\nname = \"x\"\nactors = \"*\"\naction = \"explode\"\n").unwrap();
    let o = run(&["inspect", "counter", "--faults", plan.to_str().unwrap(), "--snapshot-at", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(err.contains("bad-live-plan.toml:4"), "{err}");
}

#[test]
fn closing_the_terminal_on_a_live_run_leaves_a_replayable_trace() {
    if no_tmux() {
        return;
    }
    let trace = tmp("live-hup.jsonl");
    let _ = std::fs::remove_file(&trace);
    let cmd = format!("{} inspect pipeline --seed 1 --trace {}", bin().display(), trace.display());
    let t = Tmux::new("hup", &cmd, 100, 30);
    t.wait("the live inspector", |s| status_line(s).contains("LIVE"));
    t.keys(&[":", "4", "0", "Enter"]);
    t.wait("step 40", |s| status_line(s).contains("step 40 of"));
    // What the screen shows is on disk already, before anything ends.
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.lines().any(|l| l.contains("\"step\":40,")), "{text}");
    // Close the terminal: SIGHUP. The run ends as an interruption.
    drop(t);
    wait_for(
        "the trace to be finished",
        "the trace",
        || std::fs::read_to_string(&trace).unwrap_or_default(),
        |text| text.lines().last().is_some_and(|l| l.contains("\"end\"")),
    );
    let o = run(&["replay", trace.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("interrupted"), "{out}");
}
