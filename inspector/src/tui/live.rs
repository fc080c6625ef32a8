//! Live mode: a scenario runs in-process, paced by the inspector.
//!
//! The scenario runs on a thread of its own, exactly as `rehearsal run`
//! runs it, with one difference: an observer ([`System::observe`]) looks in
//! before every step, and once the steps the inspector allowed are taken it
//! hands over the events recorded since it last looked and waits. The
//! inspector asks for more steps when the user steps or plays past the last
//! event it has ([`LiveRun::advance`]); it folds the events it gets exactly
//! as it folds a trace file, so a live run and its recording look the same
//! at every event. The observer only reads, so pacing changes nothing in the
//! run: its trace is byte for byte the trace of `rehearsal run`.
//!
//! Dropping a [`LiveRun`] ends the run: the observer stops it as an
//! interruption, and the thread ends.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use rehearsal::trace::TraceHeader;
use rehearsal::{Config, Event, Observed, System};
use rehearsal_scenarios::Scenario;

/// How a live run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// How the run ended (`idle`, `step limit`, …), or why it could not run.
    pub outcome: String,
    /// Whether it ended normally with every invariant held.
    pub passed: bool,
    /// Each invariant's verdict, one line each (`ok  name: …`, `FAIL name: …`).
    pub verdicts: Vec<String>,
    /// The names of the invariants that failed.
    pub failed: Vec<String>,
    /// The scenario refused its parameters (it checks them as it starts).
    pub bad_params: Option<String>,
}

/// What a run did since the inspector last asked.
#[derive(Debug, Default)]
pub struct Progress {
    /// The events recorded meanwhile, in order.
    pub events: Vec<Event>,
    /// Set once the run is over (the events above are its last).
    pub ended: Option<Ending>,
}

/// A message from the run's thread.
enum Report {
    /// Paused before a step: the events since the last report.
    Paused(Vec<Event>),
    /// Over: the last events and the verdicts.
    Ended(Vec<Event>, Ending),
}

/// A scenario running on its own thread, one batch of steps at a time.
pub struct LiveRun {
    header: TraceHeader,
    grants: Option<Sender<u64>>,
    reports: Receiver<Report>,
    thread: Option<JoinHandle<()>>,
    ended: Option<Ending>,
    pending: Vec<Event>,
}

impl LiveRun {
    /// Starts `scenario` under `config` (its parameters already resolved
    /// into it) and runs its set-up up to the first step. With `trace_to`,
    /// the run also writes its trace there as it goes (the file a
    /// `rehearsal run --trace` would write). Errors name the file that could
    /// not be created.
    pub fn start(scenario: &'static dyn Scenario, config: Config, trace_to: Option<&Path>) -> Result<Self, String> {
        let level = rehearsal::TraceLevel::Events.max(config.trace);
        let config = config.trace(level);
        let file = match trace_to {
            Some(path) => Some(BufWriter::new(
                File::create(path).map_err(|e| format!("{}: cannot create the trace: {e}", path.display()))?,
            )),
            None => None,
        };
        let (grants, grants_rx) = channel::<u64>();
        let (reports_tx, reports) = channel::<Report>();
        let (header_tx, header_rx) = channel::<TraceHeader>();
        let thread = std::thread::Builder::new()
            .name("live-run".into())
            .spawn(move || {
                // The system lives and dies on this thread (actors need not be Send).
                let sys = match file {
                    Some(out) => System::with_trace_writer(config, out, true),
                    None => System::new(config),
                };
                if header_tx.send(sys.header()).is_ok() {
                    run(scenario, sys, grants_rx, reports_tx);
                }
            })
            .map_err(|e| format!("cannot start the run's thread: {e}"))?;
        let header = header_rx.recv().map_err(|_| "the run's thread ended before it started".to_string())?;
        let mut live =
            LiveRun { header, grants: Some(grants), reports, thread: Some(thread), ended: None, pending: Vec::new() };
        // The set-up: everything up to the first step.
        live.receive();
        match live.ended.as_ref().and_then(|e| e.bad_params.clone()) {
            Some(e) => Err(e),
            None => Ok(live),
        }
    }

    /// The run's trace header.
    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// How the run ended, once it has.
    pub fn ended(&self) -> Option<&Ending> {
        self.ended.as_ref()
    }

    /// The events recorded so far and not yet taken (the set-up's, after
    /// [`start`](LiveRun::start)).
    pub fn take_pending(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.pending)
    }

    /// Lets the run take up to `steps` more steps (deliveries) and returns
    /// the events it recorded meanwhile (and any not yet taken). Blocks until
    /// the steps are taken or the run is over; after that, returns nothing.
    pub fn advance(&mut self, steps: u64) -> Progress {
        if self.ended.is_none() && steps > 0 {
            let sent = self.grants.as_ref().is_some_and(|g| g.send(steps).is_ok());
            if sent {
                self.receive();
            } else {
                self.end_abruptly();
            }
        }
        Progress { events: self.take_pending(), ended: self.ended.clone() }
    }

    /// Waits for the run's next report.
    fn receive(&mut self) {
        match self.reports.recv() {
            Ok(Report::Paused(events)) => self.pending.extend(events),
            Ok(Report::Ended(events, ending)) => {
                self.pending.extend(events);
                self.ended = Some(ending);
                self.grants = None;
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
            }
            Err(_) => self.end_abruptly(),
        }
    }

    /// The thread is gone without a word: the engine itself panicked.
    fn end_abruptly(&mut self) {
        self.grants = None;
        let why = match self.thread.take().map(|t| t.join()) {
            Some(Err(panic)) => panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string()),
            _ => "the run's thread ended unexpectedly".to_string(),
        };
        self.ended = Some(Ending {
            outcome: format!("engine error: {why}"),
            passed: false,
            verdicts: Vec::new(),
            failed: Vec::new(),
            bad_params: None,
        });
    }
}

impl Drop for LiveRun {
    fn drop(&mut self) {
        // No more grants: the observer stops the run, the scenario checks its
        // invariants, and the thread ends.
        self.grants = None;
        while let Ok(Report::Paused(_)) = self.reports.recv() {}
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The run's thread: the scenario, paced by `grants`.
fn run(scenario: &'static dyn Scenario, mut sys: System, grants: Receiver<u64>, reports: Sender<Report>) {
    let forwarded = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let seen = forwarded.clone();
    let out = reports.clone();
    let mut allowed: u64 = 0;
    sys.observe(move |sys| {
        if sys.steps() < allowed {
            return Observed::Continue;
        }
        let new = sys.events_since(seen.get());
        seen.set(sys.events_len());
        if out.send(Report::Paused(new)).is_err() {
            return Observed::Stop;
        }
        match grants.recv() {
            Ok(n) => {
                allowed = sys.steps().saturating_add(n);
                Observed::Continue
            }
            Err(_) => Observed::Stop,
        }
    });
    let ending = match scenario.run(&mut sys) {
        Ok(report) => Ending {
            outcome: report.outcome.to_string(),
            passed: report.passed(),
            verdicts: report.verdicts.iter().map(|v| v.to_string()).collect(),
            failed: report.failures().map(|v| v.name.to_string()).collect(),
            bad_params: None,
        },
        Err(e) => Ending {
            outcome: format!("bad parameters: {e}"),
            passed: false,
            verdicts: Vec::new(),
            failed: Vec::new(),
            bad_params: Some(e.to_string()),
        },
    };
    let _ = sys.finish();
    let last = sys.events_since(forwarded.get());
    let _ = reports.send(Report::Ended(last, ending));
}

#[cfg(test)]
mod tests {
    use rehearsal::trace::{Trace, TraceFooter};
    use rehearsal::{Config, Event, System};
    use rehearsal_scenarios::{find, Params};

    use super::LiveRun;
    use crate::tui::app::App;
    use crate::tui::commands::{Command, Key};
    use crate::tui::{buffer_text, render, views};

    fn config(name: &str, given: &[(&str, &str)], seed: u64) -> Config {
        let s = find(name).unwrap();
        let params = Params::resolve(s, given).unwrap();
        Config::seeded(seed).scenario(name, params.to_json())
    }

    fn live(name: &str, given: &[(&str, &str)], seed: u64) -> App {
        let run = LiveRun::start(find(name).unwrap(), config(name, given, seed), None).unwrap();
        App::live(run)
    }

    /// The run recorded the usual way: `rehearsal run`'s trace, in memory.
    fn recorded(name: &str, given: &[(&str, &str)], seed: u64) -> Trace {
        let mut sys = System::new(config(name, given, seed));
        find(name).unwrap().run(&mut sys).unwrap();
        let events: Vec<Event> = sys.events().cloned().collect();
        Trace { header: sys.header(), events, footer: TraceFooter { events: 0, hash: String::new() } }
    }

    /// The screen without the first status line, the message line and the
    /// log pane (which shows events after the cursor, that a live run has
    /// not taken yet).
    fn masked(app: &App, w: u16, h: u16) -> String {
        let mut buf = render(app, w, h, false);
        let a = views::layout(buf.area).unwrap();
        for y in 0..h {
            for x in 0..w {
                let in_log = x >= a.log.x && x < a.log.x + a.log.width && y >= a.log.y && y < a.log.y + a.log.height;
                if y == 0 || y == h - 1 || in_log {
                    buf[(x, y)].set_symbol(" ");
                }
            }
        }
        buffer_text(&buf)
    }

    #[test]
    fn a_live_run_starts_at_its_set_up_and_steps_as_asked() {
        let mut app = live("counter", &[("clients", "2"), ("increments", "3")], 1);
        assert!(app.is_live() && app.growing());
        // The set-up: spawns and the first sends from outside, no delivery yet.
        let setup = app.timeline().len();
        assert!(setup > 0 && app.timeline().last_step() == 0, "{setup}");
        let first_line = buffer_text(&render(&app, 100, 30, false)).lines().next().unwrap().to_string();
        assert!(first_line.starts_with(" LIVE ⏸") && first_line.contains("step 0 of 0+"), "{first_line}");
        // Stepping past the last event takes one step of the run.
        app.handle(Command::GoToStep(0));
        assert_eq!(app.cursor(), setup - 1);
        app.handle_key(Key::Right);
        assert_eq!(app.timeline().last_step(), 1);
        assert_eq!(app.cursor(), setup);
        assert_eq!(app.timeline().events()[setup].kind.name(), "deliver");
        // Going to a step runs the run that far.
        app.handle(Command::GoToStep(4));
        assert_eq!(app.step(), 4);
        assert!(app.timeline().last_step() >= 4);
        // Stepping back needs no run.
        let len = app.timeline().len();
        app.handle(Command::StepBack);
        assert_eq!(app.timeline().len(), len);
    }

    #[test]
    fn playing_a_live_run_to_its_end_shows_the_verdict() {
        let mut app = live("counter", &[("clients", "2"), ("increments", "3")], 1);
        app.handle(Command::PlayPause);
        for _ in 0..1000 {
            app.handle(Command::Tick);
            if !app.playing() {
                break;
            }
        }
        assert!(!app.playing());
        assert!(!app.growing());
        let end = app.live_ending().unwrap();
        assert!(end.passed && end.outcome == "idle", "{end:?}");
        assert_eq!(app.message(), Some("the run ended: idle — every invariant held"));
        let first_line = buffer_text(&render(&app, 100, 30, false)).lines().next().unwrap().to_string();
        assert!(first_line.starts_with(" LIVE (ended, invariants ok) ⏸"), "{first_line}");
        // A failing run says which invariant failed.
        let mut app = live("bank-buggy", &[], 5);
        app.handle(Command::GoToStep(u64::MAX));
        let end = app.live_ending().unwrap().clone();
        let failed: Vec<&String> = end.verdicts.iter().filter(|v| v.starts_with("FAIL")).collect();
        assert_eq!(end.passed, failed.is_empty(), "{end:?}");
        // Seed 47 loses money: the status bar keeps saying so after the
        // message line moves on.
        let mut app = live("bank-buggy", &[], 47);
        app.handle(Command::GoToStep(u64::MAX));
        app.handle(Command::StepBack);
        let first_line = buffer_text(&render(&app, 120, 30, false)).lines().next().unwrap().to_string();
        assert!(first_line.starts_with(" LIVE (ended, FAILED money-conserved)"), "{first_line}");
    }

    #[test]
    fn a_live_run_and_its_recording_look_the_same_at_every_step() {
        for (name, given, seed) in [
            ("supervision", &[][..], 3),
            ("backpressure", &[("policy", "block")][..], 2),
            ("counter", &[("clients", "3")][..], 7),
        ] {
            let trace = recorded(name, given, seed);
            let last = trace.events.last().unwrap().step;
            let mut replay = App::new(trace.clone());
            let mut app = live(name, given, seed);
            for step in (0..=last).step_by((last as usize / 7).max(1)).chain([last]) {
                app.handle(Command::GoToStep(step));
                replay.handle(Command::GoToStep(step));
                assert_eq!(app.cursor(), replay.cursor(), "{name} step {step}");
                assert_eq!(app.model(), replay.model(), "{name} step {step}");
                assert_eq!(masked(&app, 120, 40), masked(&replay, 120, 40), "{name} step {step}");
            }
            // At the end, the live run recorded exactly the recording's events.
            app.handle(Command::GoToStep(u64::MAX));
            assert!(!app.growing(), "{name}");
            assert_eq!(app.timeline().events(), &trace.events[..], "{name}");
        }
    }

    #[test]
    fn a_breakpoint_runs_a_live_run_on_until_it_hits() {
        let mut app = live("supervision", &[], 3);
        app.handle(Command::AddBreakpoint("restart".into()));
        app.handle_key(Key::Char(']'));
        let ev = &app.timeline().events()[app.cursor()];
        assert_eq!(ev.kind.name(), "restart", "{:?}", app.message());
        // Playing stops there too, and at the next.
        let first = app.cursor();
        app.handle(Command::PlayPause);
        for _ in 0..1000 {
            app.handle(Command::Tick);
            if !app.playing() {
                break;
            }
        }
        assert!(app.cursor() > first);
        assert_eq!(app.timeline().events()[app.cursor()].kind.name(), "restart");
    }

    #[test]
    fn g_runs_a_live_run_on_to_its_end() {
        let mut app = live("counter", &[("clients", "2"), ("increments", "3")], 1);
        app.handle_key(Key::Char('G'));
        assert!(!app.growing(), "a short run ends within G's stretch");
        assert_eq!(app.cursor(), app.timeline().len() - 1);
        assert_eq!(app.message(), Some("the run ended: idle — every invariant held"));
    }

    #[test]
    fn quitting_mid_run_ends_the_run() {
        let mut app = live("pipeline", &[], 1);
        app.handle(Command::GoToStep(3));
        assert!(app.growing());
        // Dropping the app stops the run's thread (the test would hang if not).
        drop(app);
    }

    #[test]
    fn a_trace_written_live_replays_up_to_where_it_was_left() {
        let dir = std::env::temp_dir().join(format!("rehearsal-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("live.jsonl");
        let run = LiveRun::start(find("counter").unwrap(), config("counter", &[], 4), Some(&path)).unwrap();
        let mut app = App::live(run);
        app.handle(Command::GoToStep(10));
        let seen = app.timeline().events().to_vec();
        drop(app);
        let trace = rehearsal::trace::read_trace(&path).unwrap();
        // Everything the screen showed, then the interruption of the quit.
        assert_eq!(&trace.events[..seen.len()], &seen[..]);
        assert_eq!(trace.events.last().unwrap().kind.name(), "interrupted");
        let report = rehearsal::replay::replay_file(&path, |sys| {
            find("counter").unwrap().run(sys).unwrap();
        })
        .unwrap();
        assert!(report.is_identical() && report.interrupted, "{report:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_parameters_are_an_error_before_the_run() {
        let cfg = config("counter", &[("clients", "zero")], 1);
        let err = LiveRun::start(find("counter").unwrap(), cfg, None).err().unwrap();
        assert!(err.contains("clients") && err.contains("zero"), "{err}");
    }

    #[test]
    fn an_unwritable_trace_is_an_error_naming_it() {
        let err =
            LiveRun::start(find("counter").unwrap(), config("counter", &[], 1), Some("/nonexistent/x.jsonl".as_ref()))
                .err()
                .unwrap();
        assert!(err.starts_with("/nonexistent/x.jsonl: cannot create the trace"), "{err}");
    }
}
