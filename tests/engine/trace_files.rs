//! SPEC rules 29 and 31: the trace file, and bad trace files giving errors
//! that name the line — never panics.

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use rehearsal::trace::{read_trace, TraceError, TraceErrorKind, TraceReader, FORMAT_NAME, FORMAT_VERSION};
use rehearsal::{Actor, Config, Context, Handled, RunOutcome, Strategy, System, TraceLevel};

use crate::util::{lines_of, temp_path, write_lines};

struct Chatter {
    peer: Option<rehearsal::Addr<u32>>,
}

impl Actor for Chatter {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n > 0 {
            if let Some(p) = self.peer {
                ctx.send(p, n - 1);
            }
            if n % 3 == 0 {
                ctx.send_after(ctx.addr(), 0, 2);
            }
        }
        Ok(())
    }
}

fn chatter(sys: &mut System) {
    let a = sys.spawn("a", Chatter { peer: None });
    let b = sys.spawn("b", Chatter { peer: Some(a) });
    sys.send(b, 5);
    sys.send(a, 4);
    sys.send(b, 9);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
}

/// Records the chatter run to a new file; returns its path.
fn recorded(test: &str) -> PathBuf {
    let path = temp_path(test, "jsonl");
    let cfg = Config::seeded(21)
        .strategy(Strategy::Random)
        .trace(TraceLevel::Payloads)
        .scenario("chatter", serde_json::json!({ "n": 9 }));
    let mut sys = System::with_trace_writer(cfg, File::create(&path).expect("create"), false);
    chatter(&mut sys);
    sys.finish().expect("write the trace");
    path
}

fn err_of(path: &Path) -> TraceError {
    match read_trace(path) {
        Ok(t) => panic!("{} read as a valid trace: {:?}", path.display(), t.footer),
        Err(e) => {
            // The error prints as file:line: message (file: message when it
            // is about the whole file).
            let text = e.to_string();
            let at = if e.line == 0 { format!("{}: ", e.file) } else { format!("{}:{}: ", e.file, e.line) };
            assert!(text.starts_with(&at), "{text}");
            e
        }
    }
}

fn write(test: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_path(test, "jsonl");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn a_recorded_trace_reads_back() {
    let path = recorded("reads-back");
    let trace = read_trace(&path).expect("a valid trace");
    assert_eq!(trace.header.format, FORMAT_NAME);
    assert_eq!(trace.header.version, FORMAT_VERSION);
    assert_eq!(trace.header.seed, 21);
    assert_eq!(trace.header.scenario, "chatter");
    assert_eq!(trace.header.level, TraceLevel::Payloads);
    assert_eq!(trace.header.params, serde_json::json!({ "n": 9 }));
    assert_eq!(trace.footer.events, trace.events.len() as u64);

    // The same run in memory has the same events and hash.
    let mut sys = System::new(Config::seeded(21).trace(TraceLevel::Payloads));
    chatter(&mut sys);
    let events: Vec<_> = sys.events().cloned().collect();
    assert_eq!(trace.events, events);
    assert_eq!(trace.footer.hash, rehearsal::trace::format_hash(sys.trace_hash().expect("on")));
    // Lines: header, one per event, footer.
    assert_eq!(lines_of(&path).len(), events.len() + 2);
    // Every event has step, time and kind; payloads are Debug text.
    for line in &lines_of(&path)[1..events.len() + 1] {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert!(v.get("step").is_some() && v.get("time").is_some() && v.get("kind").is_some());
        if v["kind"] == "send" {
            assert!(v.get("payload").is_some(), "{line}");
        }
    }

    // The streaming reader agrees.
    let mut r = TraceReader::open(&path).expect("open");
    let mut n = 0;
    while r.next_event().expect("valid").is_some() {
        n += 1;
    }
    assert_eq!(n, events.len());
    assert_eq!(r.footer(), Some(&trace.footer));
    assert_eq!(r.next_event(), Ok(None), "stays at the end");
}

#[test]
fn empty_file() {
    let e = err_of(&write("empty", b""));
    assert_eq!(e.kind, TraceErrorKind::Empty);
    assert_eq!(e.line, 1);
    // Blank lines only are empty too.
    let e = err_of(&write("blank", b"\n  \n\n"));
    assert_eq!(e.kind, TraceErrorKind::Empty);
}

#[test]
fn garbage_bytes() {
    let e = err_of(&write("garbage", b"hello, world\n\x00\x01\x02 more\n"));
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
    assert_eq!(e.line, 1);
    for junk in [&b"[1,2,3]\n"[..], b"42\n", b"\"format\"\n", b"{}\n", b"{\"format\":7}\n"] {
        let e = err_of(&write("junk", junk));
        assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
        assert_eq!(e.line, 1);
    }
    // Binary noise, including NUL bytes and no newline at all.
    let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let e = err_of(&write("noise", &noise));
    assert!(!matches!(e.kind, TraceErrorKind::Io(_)), "{e}");
}

#[test]
fn non_utf8_bytes() {
    let e = err_of(&write("non-utf8-header", b"\xff\xfe\x80garbage\n"));
    assert_eq!(e.line, 1, "{e}");
    assert!(matches!(e.kind, TraceErrorKind::BadLine(_) | TraceErrorKind::NotATrace(_)), "{e}");

    // A valid trace with one event line made invalid UTF-8.
    let path = recorded("non-utf8-event");
    let mut lines: Vec<Vec<u8>> =
        std::fs::read(&path).expect("read").split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    lines[3] = b"{\"step\":1,\"time\":0,\"kind\":\"done\xff\xfe\"}".to_vec();
    std::fs::write(&path, lines.join(&b'\n')).expect("write");
    let e = err_of(&path);
    assert_eq!(e.line, 4, "{e}");
    assert!(matches!(e.kind, TraceErrorKind::BadLine(_)), "{e}");
}

fn header_with(field: &str, value: serde_json::Value) -> Vec<u8> {
    let path = recorded("header-template");
    let lines = lines_of(&path);
    let mut header: serde_json::Value = serde_json::from_str(&lines[0]).expect("JSON");
    header[field] = value;
    let mut out = serde_json::to_string(&header).expect("JSON");
    out.push('\n');
    for l in &lines[1..] {
        out.push_str(l);
        out.push('\n');
    }
    out.into_bytes()
}

#[test]
fn another_format() {
    let e = err_of(&write("other-format", &header_with("format", "something-else".into())));
    assert_eq!(e.line, 1);
    match &e.kind {
        TraceErrorKind::NotATrace(why) => assert!(why.contains("something-else"), "{why}"),
        other => panic!("expected NotATrace, got {other:?}"),
    }
}

#[test]
fn future_version() {
    let e = err_of(&write("future", &header_with("version", 999.into())));
    assert_eq!(e.kind, TraceErrorKind::FutureVersion { found: 999 });
    assert_eq!(e.line, 1);
    assert!(e.to_string().contains("999"));
    // Even a version too big for u32 is an error, not a panic.
    let e = err_of(&write("far-future", &header_with("version", serde_json::json!(u64::MAX))));
    assert!(matches!(e.kind, TraceErrorKind::FutureVersion { .. }));
    // A version that is not a number.
    let e = err_of(&write("version-text", &header_with("version", "1".into())));
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
    // The current version is fine.
    let ok = write("current", &header_with("version", serde_json::json!(FORMAT_VERSION)));
    assert!(read_trace(ok).is_ok());
}

#[test]
fn bad_header_fields() {
    let e = err_of(&write("bad-strategy", &header_with("strategy", "lifo".into())));
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
    assert_eq!(e.line, 1);
    let e = err_of(&write("bad-seed", &header_with("seed", (-1).into())));
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
}

#[test]
fn footer_removed_is_truncated() {
    let path = recorded("no-footer");
    let mut lines = lines_of(&path);
    let n_events = lines.len() - 2;
    lines.pop();
    write_lines(&path, &lines);
    let e = err_of(&path);
    assert_eq!(e.kind, TraceErrorKind::Truncated, "{e}");
    // The error names the end of the file: the last line, or the line
    // after it where the end line belongs.
    let last = lines.len() as u64;
    assert!(e.line == last || e.line == last + 1, "line {} ({e})", e.line);

    // The events before are readable: a usable prefix.
    let mut r = TraceReader::open(&path).expect("header");
    for _ in 0..n_events {
        assert!(matches!(r.next_event(), Ok(Some(_))));
    }
    let e2 = r.next_event().expect_err("truncated");
    assert_eq!(e2.kind, TraceErrorKind::Truncated);
    assert_eq!(e2.line, e.line);
}

#[test]
fn file_cut_in_the_middle_of_a_line() {
    let path = recorded("cut");
    let bytes = std::fs::read(&path).expect("read");
    let lines = lines_of(&path);
    // Cut in the middle of line 6 (1-based).
    let start: usize = lines[..5].iter().map(|l| l.len() + 1).sum();
    let cut = start + lines[5].len() / 2;
    std::fs::write(&path, &bytes[..cut]).expect("write");
    let e = err_of(&path);
    assert_eq!(e.line, 6, "{e}");
    assert!(matches!(e.kind, TraceErrorKind::BadLine(_) | TraceErrorKind::Truncated), "{e}");

    // Cut inside the footer.
    let footer_start: usize = lines[..lines.len() - 1].iter().map(|l| l.len() + 1).sum();
    std::fs::write(&path, &bytes[..footer_start + 5]).expect("write");
    let e = err_of(&path);
    assert_eq!(e.line, lines.len() as u64, "{e}");

    // Cut inside the header.
    std::fs::write(&path, &bytes[..lines[0].len() / 2]).expect("write");
    let e = err_of(&path);
    assert_eq!(e.line, 1, "{e}");
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)), "{e}");
}

#[test]
fn bad_event_line_in_the_middle() {
    let replacements = [
        "{\"step\":1,\"kind\":\"nonsense\"}".to_string(),
        "not json at all".to_string(),
        "{\"step\":-4,\"time\":0,\"kind\":\"done\",\"actor\":1,\"msg\":1}".to_string(),
        "{\"step\":1e400,\"time\":0,\"kind\":\"done\",\"actor\":1,\"msg\":1}".to_string(),
        "{\"step\":1,\"time\":0,\"kind\":\"done\",\"actor\":1}".to_string(),
        "[".repeat(100_000),
        "{\"end\":{\"events\":\"many\"}}".to_string(),
        "\u{0}\u{1}".to_string(),
    ];
    for (i, bad) in replacements.iter().enumerate() {
        let path = recorded("bad-event");
        let mut lines = lines_of(&path);
        assert!(lines.len() > 10);
        lines[6] = bad.clone(); // line 7
        write_lines(&path, &lines);
        let e = err_of(&path);
        assert_eq!(e.line, 7, "replacement {i}: {e}");
        assert!(matches!(e.kind, TraceErrorKind::BadLine(_)), "replacement {i}: {e}");
        // The streaming reader yields the five events before, then the error.
        let mut r = TraceReader::open(&path).expect("header");
        for _ in 0..5 {
            assert!(matches!(r.next_event(), Ok(Some(_))));
        }
        let e2 = r.next_event().expect_err("bad line");
        assert_eq!(e2.line, 7);
    }
}

#[test]
fn blank_lines_keep_line_numbers_right() {
    let path = recorded("blank-lines");
    let mut lines = lines_of(&path);
    lines.insert(3, String::new()); // a blank line 4
    lines[7] = "oops".into(); // line 8
    write_lines(&path, &lines);
    let e = err_of(&path);
    assert_eq!(e.line, 8, "{e}");
}

#[test]
fn footer_mismatches_and_trailing_data() {
    let path = recorded("footer");
    let lines = lines_of(&path);
    let footer: serde_json::Value = serde_json::from_str(lines.last().expect("footer")).unwrap();
    let last = lines.len() as u64;

    // A changed count.
    let mut f = footer.clone();
    f["end"]["events"] = (footer["end"]["events"].as_u64().unwrap() + 1).into();
    let mut l = lines.clone();
    *l.last_mut().unwrap() = f.to_string();
    write_lines(&path, &l);
    let e = err_of(&path);
    assert!(matches!(e.kind, TraceErrorKind::CountMismatch { .. }), "{e}");
    assert_eq!(e.line, last);

    // A changed hash.
    let mut f = footer.clone();
    f["end"]["hash"] = "0123456789abcdef".into();
    let mut l = lines.clone();
    *l.last_mut().unwrap() = f.to_string();
    write_lines(&path, &l);
    let e = err_of(&path);
    assert!(matches!(e.kind, TraceErrorKind::HashMismatch { .. }), "{e}");
    assert_eq!(e.line, last);

    // An event edited in a way that still parses: the hash catches it.
    let mut l = lines.clone();
    let i = l.iter().position(|x| x.contains("\"kind\":\"deliver\"")).expect("a deliver");
    l[i] = l[i].replacen("\"time\":", "\"time\":1", 1);
    write_lines(&path, &l);
    let e = err_of(&path);
    assert!(matches!(e.kind, TraceErrorKind::HashMismatch { .. }), "{e}");

    // Something after the footer.
    let mut l = lines.clone();
    l.push("{\"step\":99}".into());
    write_lines(&path, &l);
    let e = err_of(&path);
    assert_eq!(e.kind, TraceErrorKind::TrailingData);
    assert_eq!(e.line, last + 1);
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = temp_path("a-dir", "d");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let e = err_of(&dir);
    assert!(matches!(e.kind, TraceErrorKind::Io(_)), "{e}");
    assert!(TraceReader::open(&dir).is_err());
    assert!(rehearsal::replay::replay_file(&dir, |_| {}).is_err());
}

#[test]
fn a_missing_file() {
    let path = temp_path("missing", "jsonl");
    let e = err_of(&path);
    assert!(matches!(e.kind, TraceErrorKind::Io(_)), "{e}");
    assert!(e.file.contains("missing"), "the error names the file: {e}");
    assert!(!e.to_string().contains(".jsonl:0"), "no line 0: {e}");
    assert!(rehearsal::replay::replay_file(&path, |_| {}).is_err());
}

#[test]
fn reader_over_memory() {
    let path = recorded("memory");
    let bytes = std::fs::read(&path).expect("read");
    let r = TraceReader::new(Cursor::new(bytes.clone()), "in-memory").expect("header");
    let events: Result<Vec<_>, _> = r.into_events().collect();
    assert_eq!(events.expect("valid").len(), read_trace(&path).unwrap().events.len());
    // into_events ends with the error, once.
    let cut = &bytes[..bytes.len() - 3];
    let r = TraceReader::new(BufReader::new(Cursor::new(cut.to_vec())), "cut").expect("header");
    let items: Vec<_> = r.into_events().collect();
    assert!(items.last().expect("items").is_err());
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
    // An empty reader.
    let e = TraceReader::new(Cursor::new(Vec::new()), "nothing").err().expect("empty");
    assert_eq!(e.kind, TraceErrorKind::Empty);
    assert_eq!(e.file, "nothing");
}

/// A run that panics while the system is alive leaves a readable prefix:
/// every event up to that point, then "truncated".
#[test]
fn an_interrupted_run_leaves_a_readable_prefix() {
    let path = temp_path("interrupted", "jsonl");
    let p = path.clone();
    let outcome = std::panic::catch_unwind(move || {
        let mut sys = System::with_trace_writer(Config::seeded(4), File::create(&p).expect("create"), true);
        chatter(&mut sys);
        let n = sys.events_len();
        assert!(n > 10);
        panic!("interrupted after {n} events");
    });
    let text = match outcome {
        Err(payload) => payload.downcast_ref::<String>().cloned().expect("a String payload"),
        Ok(()) => unreachable!(),
    };
    let n: usize = text.trim_start_matches("interrupted after ").trim_end_matches(" events").parse().expect("a count");
    let mut r = TraceReader::open(&path).expect("the header was written");
    let mut read = 0;
    let err = loop {
        match r.next_event() {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("an interrupted trace has no footer"),
            Err(e) => break e,
        }
    };
    assert_eq!(read, n, "every event up to the interruption");
    assert_eq!(err.kind, TraceErrorKind::Truncated);
}

#[test]
fn header_errors_say_it_is_not_a_trace() {
    // Bytes that are not UTF-8 on the first line.
    let e = err_of(&write("binary", b"\xff\xfe\x00garbage\n"));
    assert!(matches!(e.kind, TraceErrorKind::NotATrace(_)) && e.line == 1, "{e}");
    // Version 0 does not exist.
    let e = err_of(&write("v0", br#"{"format":"rehearsal-trace","version":0}"#));
    assert!(e.to_string().contains("version 0"), "{e}");
    // A JSON error names our line, not serde's "line 1".
    let path = recorded("cut-mid-line");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = &text[..text.len() / 2];
    let e = err_of(&write("cut-mid-line", cut.as_bytes()));
    assert!(!e.to_string().contains("at line 1 column"), "{e}");
}

#[test]
fn a_cut_trace_reads_up_to_the_cut() {
    let path = recorded("prefix");
    let full = read_trace(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Cut after 10 events (header + 10 lines), and again in the middle of a line.
    let whole = lines[..11].join("\n") + "\n";
    let (t, e) = rehearsal::trace::read_trace_prefix(write("prefix-lines", whole.as_bytes())).unwrap();
    assert_eq!(t.events, full.events[..10]);
    assert!(matches!(e.unwrap().kind, TraceErrorKind::Truncated));
    let ragged = format!("{}{}", whole, &lines[11][..lines[11].len() / 2]);
    let (t, e) = rehearsal::trace::read_trace_prefix(write("prefix-ragged", ragged.as_bytes())).unwrap();
    assert_eq!(t.events, full.events[..10]);
    assert_eq!(e.unwrap().line, 12);
    // A whole trace: everything, no error.
    let (t, e) = rehearsal::trace::read_trace_prefix(&path).unwrap();
    assert_eq!((t.events.len(), e), (full.events.len(), None));
    // A bad header is still an error.
    assert!(rehearsal::trace::read_trace_prefix(write("prefix-bad", b"hello\n")).is_err());
}

/// Format 1 (one chain step a word) is still read, its hash checked the
/// way it was written: the events of `rehearsal run counter --seed 7`, as
/// the engine before format 2 wrote them, with the hash it gave them.
#[test]
fn a_format_1_trace_is_read_with_its_own_hash() {
    const FORMAT_1_HASH: &str = "e3d5ea21117a22ce";
    let path = temp_path("format-1", "jsonl");
    let scenario = rehearsal_scenarios::find("counter").expect("the counter scenario");
    let params = rehearsal_scenarios::Params::resolve(scenario, &[]).expect("default parameters");
    let cfg =
        Config::seeded(7).strategy(Strategy::Random).trace(TraceLevel::Events).scenario("counter", params.to_json());
    let mut sys = System::with_trace_writer(cfg, File::create(&path).expect("create"), false);
    let _ = scenario.run(&mut sys).expect("the scenario runs");
    sys.finish().expect("write the trace");
    let v2 = read_trace(&path).expect("the format 2 trace reads back");
    assert_eq!(v2.header.version, FORMAT_VERSION);
    assert_ne!(v2.footer.hash, FORMAT_1_HASH, "the formats hash differently");

    let original = lines_of(&path);
    let as_format_1 = |hash: &str| {
        let mut l = original.clone();
        l[0] = l[0].replacen(&format!("\"version\":{FORMAT_VERSION}"), "\"version\":1", 1);
        let end = l.len() - 1;
        l[end] = l[end].replacen(&v2.footer.hash, hash, 1);
        write_lines(&path, &l);
    };
    as_format_1(FORMAT_1_HASH);
    let v1 = read_trace(&path).expect("a format 1 trace with its own hash reads");
    assert_eq!(v1.header.version, 1);
    assert_eq!(v1.events, v2.events);

    // Format 2's hash in a format 1 trace is a mismatch, and so is a
    // format 1 hash one digit off.
    as_format_1(&v2.footer.hash);
    assert!(matches!(err_of(&path).kind, TraceErrorKind::HashMismatch { .. }));
    as_format_1("e3d5ea21117a22cf");
    assert!(matches!(err_of(&path).kind, TraceErrorKind::HashMismatch { .. }));
}

/// A message whose `Debug` fails half-way: the payload says so.
struct HalfDebug;

impl std::fmt::Debug for HalfDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Half")?;
        Err(std::fmt::Error)
    }
}

struct Sink;

impl Actor for Sink {
    type Msg = HalfDebug;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _msg: HalfDebug) -> Handled {
        Ok(())
    }
}

#[test]
fn a_failing_debug_is_recorded_as_failing() {
    let mut sys = System::new(Config::seeded(3).trace(TraceLevel::Payloads));
    let sink = sys.spawn("sink", Sink);
    sys.send(sink, HalfDebug);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let payloads: Vec<_> = sys
        .events()
        .filter_map(|e| match &e.kind {
            rehearsal::trace::EventKind::Send { payload, .. } => payload.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(payloads, ["Half <Debug failed>"]);
    assert_eq!(sys.stats().handled, 1);
}
