//! The real `rehearsal` binary, driven as a user would: run, replay,
//! sweep, export, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod tui;

/// The `rehearsal` binary of this build (built first if missing).
pub(crate) fn bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let path = dir.join(format!("rehearsal{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "rehearsal-inspector", "--bin", "rehearsal"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the rehearsal binary failed");
    }
    path
}

pub(crate) fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("the binary runs")
}

pub(crate) fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

pub(crate) fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "a panic reached the user: {stderr}");
}

#[test]
fn run_then_replay_is_identical() {
    let trace = tmp("run.jsonl");
    let o = run(&["run", "greeter", "--seed", "3", "--trace", trace.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("trace hash"), "{out}");
    let o = run(&["replay", trace.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with("identical:"), "{out}");
}

#[test]
fn an_edited_trace_diverges_at_its_step() {
    let trace = tmp("edited.jsonl");
    assert_eq!(run(&["run", "counter", "--seed", "5", "--trace", trace.to_str().unwrap()]).status.code(), Some(0));
    let content = std::fs::read_to_string(&trace).unwrap();
    let mut lines: Vec<String> = content.lines().map(String::from).collect();
    let i = lines
        .iter()
        .position(|l| l.contains("\"kind\":\"deliver\"") && l.contains("\"step\":7,"))
        .expect("step 7 is in the trace");
    lines[i] = lines[i].replace("\"kind\":\"deliver\",\"msg\":", "\"kind\":\"deliver\",\"msg\":9");
    std::fs::write(&trace, lines.join("\n") + "\n").unwrap();
    let o = run(&["replay", trace.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("first difference at step 7"), "{out}");
    assert!(out.contains(&format!("trace line {}", i + 1)), "{out}");
    no_panic(&err);
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let garbage = tmp("garbage.jsonl");
    std::fs::write(&garbage, b"\x00\x01 not a trace \xff\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["replay".into(), garbage.display().to_string()], "garbage.jsonl:1"),
        (vec!["replay".into(), tmp("missing.jsonl").display().to_string()], "missing.jsonl"),
        (vec!["replay".into(), tmp("").display().to_string()], "directory"),
        (vec!["run".into(), "nope".into()], "unknown scenario `nope`; the scenarios are:"),
        (vec!["run".into(), "counter".into(), "--param".into(), "bogus=1".into()], "no parameter `bogus`"),
        (vec!["run".into(), "counter".into(), "--param".into(), "clients=many".into()], "cannot read `many`"),
        (
            vec!["run".into(), "counter".into(), "--seed".into(), "ten".into()],
            "invalid value 'ten' for '--seed <SEED>'",
        ),
        (vec!["run".into(), "counter".into(), "--strategy".into(), "lifo".into()], "unknown strategy"),
        (vec!["sweep".into(), "counter".into(), "--seeds".into(), "9..1".into()], "A < B"),
        (
            vec!["sweep".into(), "counter".into(), "--seeds".into(), "0..4".into(), "--shard".into(), "3/3".into()],
            "I < N",
        ),
        (vec!["export".into(), garbage.display().to_string(), "--format".into(), "dot".into()], "garbage.jsonl:1"),
        // A missing argument is named, on the one line.
        (vec!["sweep".into(), "counter".into()], "required arguments were not provided: --seeds <SEEDS> (see --help)"),
        (vec!["run".into()], "required arguments were not provided: <SCENARIO> (see --help)"),
    ];
    for (args, expect) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
        assert!(err.contains(expect), "{args:?}: expected `{expect}` in: {err}");
        no_panic(&err);
    }
}

#[test]
fn a_bad_fault_plan_names_line_and_field() {
    let plan = tmp("bad-plan.toml");
    std::fs::write(&plan, "[[rule]]\nname = \"x\"\nactors = \"*\"\nprobability = 7\naction = \"crash\"\n").unwrap();
    let o = run(&["run", "counter", "--faults", plan.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("bad-plan.toml:4: field `probability`"), "{err}");
}

#[test]
fn a_failing_invariant_exits_1_and_prints_the_command() {
    let plan = tmp("crashy.toml");
    std::fs::write(&plan, "[[rule]]\nname = \"c\"\nactors = \"client*\"\nprobability = 0.5\naction = \"crash\"\n")
        .unwrap();
    let o = run(&["run", "counter", "--seed", "4", "--faults", plan.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("rehearsal run counter --seed 4"), "{out}");
}

#[test]
fn sweep_groups_failures_shards_and_merges() {
    let o = run(&["sweep", "greeter", "--seeds", "0..40", "--jobs", "2"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("40 run, 40 passed, 0 failed"), "{out}");
    let (a, b) = (tmp("shard0.json"), tmp("shard1.json"));
    for (i, f) in [(0, &a), (1, &b)] {
        let o = run(&["sweep", "greeter", "--seeds", "0..40", "--shard", &format!("{i}/2"), "--json"]);
        assert_eq!(o.status.code(), Some(0));
        std::fs::write(f, &o.stdout).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json is JSON");
        assert_eq!(v["results"].as_array().map(Vec::len), Some(20));
    }
    let o = run(&["sweep", "--merge", a.to_str().unwrap(), b.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert!(out.contains("40 run, 40 passed"), "{out}");
}

#[test]
fn export_gives_valid_mermaid_dot_and_json() {
    let trace = tmp("export.jsonl");
    assert_eq!(
        run(&["run", "greeter", "--seed", "2", "--payloads", "--trace", trace.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let t = trace.to_str().unwrap();
    let (mermaid, _) = text(&run(&["export", t, "--format", "mermaid"]));
    let mut lines = mermaid.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    for l in lines.filter(|l| !l.trim().is_empty()) {
        let l = l.trim();
        assert!(
            l.starts_with("participant ") || l.starts_with("Note over ") || l.contains("->>"),
            "not a Mermaid statement: {l}"
        );
    }
    let (dot, _) = text(&run(&["export", t, "--format", "dot"]));
    assert!(dot.starts_with("digraph supervision {"), "{dot}");
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    assert!(dot.trim_end().ends_with('}'));
    for l in dot.lines().skip(1).filter(|l| l.starts_with("    a")) {
        assert!(l.ends_with(';'), "{l}");
    }
    let (chrome, _) = text(&run(&["export", t, "--format", "chrome"]));
    let v: serde_json::Value = serde_json::from_str(&chrome).expect("chrome export is JSON");
    let events = v["traceEvents"].as_array().expect("traceEvents");
    assert!(events.iter().any(|e| e["ph"] == "X"));
    assert!(events.iter().all(|e| e["ph"].is_string() && e["pid"].is_number()));
}

#[test]
fn sweep_finds_a_failing_seed_and_shrink_makes_its_faults_fewer() {
    let plan = "[[rule]]\nname = \"crash-clients\"\nactors = \"client*\"\nprobability = 0.3\naction = \"crash\"\n\
                [[rule]]\nname = \"lag\"\nactors = \"counter\"\nprobability = 0.3\naction = \"delay\"\ndelay = [1, 3]\n";
    let (o, dir) = sweep_with_faults(&["counter", "--seeds", "0..20"], plan, "sweep-out");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("FAILED     count:"), "{out}");
    let failing =
        std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).min().expect("a trace was written");
    assert_shrinks(&failing, "shrunk.jsonl", "count");
    let o = run(&["run", "counter", "--seed", "0"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn sweep_finds_the_bank_buggy_bug_and_shrink_needs_fewer_faults() {
    let plan = "[[rule]]\nname = \"crash-accounts\"\nactors = \"account*\"\nprobability = 0.05\naction = \"crash\"\n";
    let (o, dir) = sweep_with_faults(&["bank-buggy", "--seeds", "0..60", "--param", "crash=0"], plan, "bank-out");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("FAILED     money-conserved:"), "{out}");
    // The failing run with the most injected faults.
    let mut traces: Vec<(usize, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .map(|p| (std::fs::read_to_string(&p).unwrap().matches("\"kind\":\"fault\"").count(), p))
        .collect();
    traces.sort();
    let (faults, worst) = traces.pop().expect("failing traces were written");
    assert!(faults >= 2, "the worst run injected {faults} faults");
    assert_shrinks(&worst, "bank-shrunk.jsonl", "money-conserved");
}

/// `rehearsal sweep` with `args` under the fault plan `plan` (TOML), its
/// failing traces written into the fresh directory `out`; returns the run
/// and that directory.
fn sweep_with_faults(args: &[&str], plan: &str, out: &str) -> (Output, PathBuf) {
    let plan_path = tmp(&format!("{out}-plan.toml"));
    std::fs::write(&plan_path, plan).unwrap();
    let dir = tmp(out);
    let _ = std::fs::remove_dir_all(&dir);
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    all.extend(["--faults", plan_path.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    (run(&all), dir)
}

/// Shrinks the failing run `trace` into `out`: the same invariant still
/// fails, with fewer faults, and the result replays.
fn assert_shrinks(trace: &Path, out_name: &str, invariant: &str) {
    let min = tmp(out_name);
    let o = run(&["shrink", trace.to_str().unwrap(), "--out", min.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains(&format!("{invariant} still fails")), "{out}");
    let line = out.lines().find(|l| l.starts_with("faults ")).expect("a faults line");
    let nums: Vec<usize> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(nums.len() == 2 && nums[1] < nums[0], "{line}");
    assert_eq!(run(&["replay", min.to_str().unwrap()]).status.code(), Some(0), "the shrunk trace replays");
}

/// The `--help` texts shown in the README are the binary's.
#[test]
fn the_readme_shows_the_real_help() {
    let readme = include_str!("../../README.md");
    for args in [vec!["--help"], vec!["run", "--help"]] {
        let marker = format!("$ rehearsal {}\n", args.join(" "));
        let start = readme.find(&marker).unwrap_or_else(|| panic!("the README shows `{marker}`")) + marker.len();
        let len = readme[start..].find("\n```").expect("the block ends");
        let shown = &readme[start..start + len];
        let (actual, _) = text(&run(&args));
        assert_eq!(shown, actual.trim_end(), "the README's `rehearsal {}` is out of date", args.join(" "));
    }
}

#[test]
fn an_unwritable_output_is_bad_input() {
    let o = run(&["run", "counter", "--trace", "/nonexistent-dir/for/sure/run.jsonl"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("/nonexistent-dir/for/sure/run.jsonl: cannot create the trace file"), "{err}");
    no_panic(&err);
    let o = run(&["sweep", "counter", "--seeds", "0..2", "--out", "/proc/version/out"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o).1);
}

#[test]
fn ctrl_c_stops_a_run_and_prints_what_it_did() {
    let child = Command::new(bin())
        .args(["run", "supervision", "--param", "jobs=10000000", "--param", "crash=0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Let it get going (the handler is installed first thing), then Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let o = child.wait_with_output().expect("the binary ends");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(130), "{out}{err}");
    assert!(out.contains("outcome      interrupted after"), "{out}");
    assert!(out.contains("conservation: sent"), "the summary is printed: {out}");
    no_panic(&err);
}
