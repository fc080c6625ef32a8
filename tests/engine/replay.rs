//! SPEC rule 30: replay re-runs from the header and stops at the first event
//! that differs, with the expected and the actual event.

use std::fs::File;
use std::path::PathBuf;

use rehearsal::replay::{replay, replay_file, ReplayError};
use rehearsal::trace::{read_trace, TraceErrorKind, TraceReader};
use rehearsal::{
    Actor, Addr, AskError, Config, Context, EventKind, Handled, ReplyTo, RunOutcome, Strategy, System, TraceLevel,
};

use crate::util::{lines_of, temp_path, write_lines};

#[derive(Debug)]
pub enum BankMsg {
    Deposit(u64),
    Transfer { to: Addr<BankMsg>, amount: u64 },
    Balance(ReplyTo<u64>),
    Audit,
}

struct Account {
    balance: u64,
}

impl Actor for Account {
    type Msg = BankMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: BankMsg) -> Handled {
        match msg {
            BankMsg::Deposit(n) => self.balance += n,
            BankMsg::Transfer { to, amount } => {
                if self.balance >= amount {
                    self.balance -= amount;
                    ctx.send(to, BankMsg::Deposit(amount));
                }
            }
            BankMsg::Balance(r) => ctx.reply(r, self.balance),
            BankMsg::Audit => {
                ctx.send_after(ctx.addr(), BankMsg::Deposit(0), 5);
            }
        }
        Ok(())
    }
}

/// How the setup may differ from the recorded one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Original,
    /// A different amount in one message (a payload change only).
    OtherAmount,
    /// One more message at the end.
    Extra,
    /// The last message left out.
    Missing,
}

fn setup(sys: &mut System, v: Variant) {
    let accounts: Vec<Addr<BankMsg>> =
        (0..3).map(|i| sys.spawn(&format!("acct{i}"), Account { balance: 100 })).collect();
    for (i, &a) in accounts.iter().enumerate() {
        let to = accounts[(i + 1) % 3];
        let amount = if v == Variant::OtherAmount && i == 1 { 31 } else { 30 };
        sys.send(a, BankMsg::Transfer { to, amount });
        sys.send(a, BankMsg::Audit);
    }
    // After the divergence the run halts, so an ask may fail: ignore it.
    let _ = sys.ask(accounts[0], BankMsg::Balance, 10);
    let _ = sys.run_until_idle();
    if v != Variant::Missing {
        sys.send(accounts[2], BankMsg::Deposit(1));
        let _ = sys.run_until_idle();
    }
    if v == Variant::Extra {
        sys.send(accounts[2], BankMsg::Deposit(2));
        let _ = sys.run_until_idle();
    }
}

fn config(seed: u64) -> Config {
    Config::seeded(seed)
        .strategy(Strategy::Random)
        .trace(TraceLevel::Payloads)
        .scenario("bank", serde_json::json!({ "accounts": 3 }))
}

fn record(test: &str, seed: u64) -> PathBuf {
    let path = temp_path(test, "jsonl");
    let mut sys = System::with_trace_writer(config(seed), File::create(&path).expect("create"), false);
    setup(&mut sys, Variant::Original);
    sys.finish().expect("write");
    path
}

#[test]
fn replay_of_the_same_code_is_identical() {
    for seed in 0..5 {
        let path = record("identical", seed);
        let trace = read_trace(&path).expect("valid");
        let report = replay_file(&path, |s| setup(s, Variant::Original)).expect("replayed");
        assert!(report.is_identical(), "seed {seed}: {:?}", report.divergence);
        assert_eq!(report.events, trace.footer.events);
        assert_eq!(report.header, trace.header);
        assert_eq!(report.header.seed, seed);
    }
}

#[test]
fn replay_with_changed_setup_diverges() {
    let path = record("changed", 3);
    let trace = read_trace(&path).expect("valid");
    let report = replay_file(&path, |s| setup(s, Variant::OtherAmount)).expect("replayed");
    let d = report.divergence.expect("a changed payload diverges");
    let expected = d.expected.clone().expect("an expected event");
    let actual = d.actual.clone().expect("an actual event");
    assert_ne!(expected, actual);
    assert_eq!(expected, trace.events[d.index as usize]);
    assert_eq!(d.line, d.index + 2, "the header is line 1");
    // The first difference is the send with the changed amount.
    match (&expected.kind, &actual.kind) {
        (EventKind::Send { payload: Some(p1), .. }, EventKind::Send { payload: Some(p2), .. }) => {
            assert!(p1.contains("30") && p2.contains("31"), "{p1} vs {p2}");
        }
        other => panic!("expected two sends, got {other:?}"),
    }
    let text = d.to_string();
    assert!(text.contains("expected") && text.contains("actual"), "{text}");
    assert!(text.contains(&format!("trace line {}", d.line)), "{text}");
}

/// `ReplayReport::events` is documented as "events the re-run produced
/// before it ended or diverged": it must not count what the setup did after
/// the run halted at the divergence.
#[test]
fn replay_report_counts_events_up_to_the_divergence() {
    let path = record("counts", 3);
    let report = replay_file(&path, |s| setup(s, Variant::OtherAmount)).expect("replayed");
    let d = report.divergence.expect("a changed payload diverges");
    assert!(
        report.events == d.index || report.events == d.index + 1,
        "diverged at event {} but the report says the re-run produced {} events",
        d.index,
        report.events
    );
}

/// The divergence names the trace file's line even when the file has blank
/// lines, which the reader accepts.
#[test]
fn replay_divergence_line_counts_blank_lines() {
    let path = record("blank-divergence", 6);
    let mut lines = lines_of(&path);
    let i = lines.iter().position(|l| l.contains("\"payload\":\"Deposit(30)\"")).expect("a deposit");
    lines[i] = lines[i].replacen("Deposit(30)", "Deposit(29)", 1);
    // A blank line right after the header: the edited event moves down one.
    lines.insert(1, String::new());
    let edited_line = i as u64 + 2;
    write_lines(&path, &lines);
    assert!(lines[edited_line as usize - 1].contains("Deposit(29)"));
    let report = replay_file(&path, |s| setup(s, Variant::Original)).expect("replayed");
    let d = report.divergence.expect("the edit diverges");
    assert_eq!(d.line, edited_line, "{d}");
}

#[test]
fn replay_detects_a_run_that_ends_early_or_late() {
    let path = record("ends", 4);
    let trace = read_trace(&path).expect("valid");

    let report = replay_file(&path, |s| setup(s, Variant::Missing)).expect("replayed");
    let d = report.divergence.expect("fewer events diverge");
    assert!(d.actual.is_none(), "the run ended first: {d}");
    assert_eq!(d.expected.as_ref(), trace.events.get(d.index as usize));

    let report = replay_file(&path, |s| setup(s, Variant::Extra)).expect("replayed");
    let d = report.divergence.expect("more events diverge");
    assert!(d.expected.is_none(), "the trace ended first: {d}");
    assert!(d.actual.is_some());
    assert_eq!(d.index, trace.footer.events);
}

#[test]
fn replay_with_another_seed_in_the_header_diverges() {
    // A different schedule from the same code: edit the header's seed and
    // fix nothing else. Some seed among a few must schedule differently.
    let path = record("seed-edit", 5);
    let lines = lines_of(&path);
    let mut diverged = 0;
    for seed in 6..16 {
        let mut header: serde_json::Value = serde_json::from_str(&lines[0]).expect("JSON");
        header["seed"] = seed.into();
        let mut l = lines.clone();
        l[0] = header.to_string();
        let edited = temp_path("seed-edit-copy", "jsonl");
        write_lines(&edited, &l);
        let report = replay_file(&edited, |s| setup(s, Variant::Original)).expect("replayed");
        assert_eq!(report.header.seed, seed);
        if !report.is_identical() {
            diverged += 1;
        }
    }
    assert!(diverged > 0, "the seed in the header is not used by replay");
}

/// Edits one event line in a way that still parses; the replay must stop at
/// that line (or refuse the trace because its hash no longer matches).
fn check_edit(test: &str, pick: impl Fn(&str) -> bool, edit: impl Fn(&str) -> String) {
    let path = record(test, 6);
    let mut lines = lines_of(&path);
    let i = lines.iter().enumerate().skip(1).position(|(_, l)| pick(l)).map(|p| p + 1).expect("a line to edit");
    let edited = edit(&lines[i]);
    assert_ne!(edited, lines[i], "the edit changed nothing");
    lines[i] = edited;
    write_lines(&path, &lines);
    let line_no = i as u64 + 1;
    match replay_file(&path, |s| setup(s, Variant::Original)) {
        Ok(report) => {
            let d =
                report.divergence.unwrap_or_else(|| panic!("{test}: an edited line {line_no} replayed identically"));
            assert_eq!(d.line, line_no, "{test}: {d}");
            let expected = d.expected.expect("the edited event");
            assert_eq!(
                serde_json::to_value(&expected).unwrap(),
                serde_json::from_str::<serde_json::Value>(&lines[i]).unwrap(),
                "{test}: the expected event is the edited line"
            );
            assert!(d.actual.is_some());
        }
        Err(ReplayError::Trace(e)) => {
            assert!(matches!(e.kind, TraceErrorKind::HashMismatch { .. }), "{test}: {e}");
        }
        Err(e) => panic!("{test}: {e}"),
    }
}

#[test]
fn replay_detects_an_edited_payload() {
    check_edit(
        "edit-payload",
        |l| l.contains("\"payload\":\"Deposit(30)\""),
        |l| l.replacen("Deposit(30)", "Deposit(29)", 1),
    );
}

#[test]
fn replay_detects_an_edited_msg_id() {
    check_edit(
        "edit-msg",
        |l| l.contains("\"kind\":\"deliver\""),
        |l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let m = v["msg"].as_u64().unwrap();
            v["msg"] = (m + 1000).into();
            v.to_string()
        },
    );
}

#[test]
fn replay_detects_an_edited_step_or_actor() {
    check_edit(
        "edit-actor",
        |l| l.contains("\"kind\":\"done\""),
        |l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let a = v["actor"].as_u64().unwrap();
            v["actor"] = (a % 3 + 1).into();
            v.to_string()
        },
    );
    check_edit(
        "edit-time",
        |l| l.contains("\"kind\":\"timer_fired\""),
        |l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = v["time"].as_u64().unwrap();
            v["time"] = (t + 1).into();
            v.to_string()
        },
    );
}

#[test]
fn replay_of_bad_traces_is_an_error() {
    // A truncated trace: the re-run matches every event there is, then the
    // trace ends without its footer.
    let path = record("replay-truncated", 7);
    let mut lines = lines_of(&path);
    lines.pop();
    write_lines(&path, &lines);
    match replay_file(&path, |s| setup(s, Variant::Original)) {
        Err(ReplayError::Trace(e)) => assert_eq!(e.kind, TraceErrorKind::Truncated, "{e}"),
        other => panic!("expected a truncated-trace error, got {other:?}"),
    }

    // A bad line before anything differs.
    let path = record("replay-bad-line", 7);
    let mut lines = lines_of(&path);
    lines[4] = "{\"broken\"".into();
    write_lines(&path, &lines);
    match replay_file(&path, |s| setup(s, Variant::Original)) {
        Err(ReplayError::Trace(e)) => {
            assert_eq!(e.line, 5, "{e}");
            assert!(matches!(e.kind, TraceErrorKind::BadLine(_)), "{e}");
        }
        other => panic!("expected a bad-line error, got {other:?}"),
    }

    // A future version never starts a replay.
    let path = record("replay-future", 7);
    let mut lines = lines_of(&path);
    let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    header["version"] = 999.into();
    lines[0] = header.to_string();
    write_lines(&path, &lines);
    let mut ran = false;
    match replay_file(&path, |_| ran = true) {
        Err(ReplayError::Trace(e)) => {
            assert_eq!(e.kind, TraceErrorKind::FutureVersion { found: 999 })
        }
        other => panic!("expected a future-version error, got {other:?}"),
    }
    assert!(!ran, "the setup must not run for an unreadable trace");
}

#[test]
fn replay_from_memory_and_a_panicking_setup() {
    let path = record("memory-replay", 8);
    let bytes = std::fs::read(&path).expect("read");
    let reader = TraceReader::new(std::io::Cursor::new(bytes.clone()), "mem").expect("header");
    let report = replay(reader, |s| setup(s, Variant::Original)).expect("replayed");
    assert!(report.is_identical());

    // The setup panics before anything diverged: a setup error, not a crash.
    let reader = TraceReader::new(std::io::Cursor::new(bytes), "mem").expect("header");
    match replay(reader, |_| panic!("setup bug")) {
        Err(ReplayError::Setup(why)) => assert!(why.contains("setup bug"), "{why}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
}

/// A replayed run halts at the divergence: the setup's run calls report it.
#[test]
fn a_diverged_run_halts() {
    let path = record("halts", 9);
    let mut outcome = None;
    let mut ask = None;
    let report = replay_file(&path, |s| {
        let a = s.spawn("intruder", Account { balance: 0 });
        ask = Some(s.ask(a, BankMsg::Balance, 10));
        outcome = Some(s.run_until_idle());
        assert!(s.is_halted());
    })
    .expect("replayed");
    assert!(report.divergence.is_some());
    assert_eq!(outcome, Some(RunOutcome::Halted));
    assert_eq!(ask, Some(Err(AskError::Halted)));
}
