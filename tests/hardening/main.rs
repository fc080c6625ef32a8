//! Bad input never panics: the trace reader and the fault-plan parser fed
//! random bytes, random truncations and random single-field edits of valid
//! files. Every case is an error naming the line (and the field where there
//! is one), or a valid result.

use std::io::Cursor;

use proptest::prelude::*;
use rehearsal::faults::FaultPlan;
use rehearsal::trace::{TraceErrorKind, TraceReader};
use rehearsal::{Actor, Config, Context, Handled, MailboxConfig, Overflow, System, TraceLevel};
use rehearsal_tests::SharedBuf;

struct Echo;

impl Actor for Echo {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n % 7 == 3 {
            panic!("seven");
        }
        if n > 0 {
            let me = ctx.addr();
            ctx.send_after(me, n - 1, 1);
        }
        Ok(())
    }
}

/// A valid trace with payloads, failures, timers and drops.
fn valid_trace() -> Vec<u8> {
    let buf = SharedBuf::new();
    {
        let mut sys = System::with_trace_writer(Config::seeded(4).trace(TraceLevel::Payloads), buf.clone(), false);
        let a = sys.spawn_with("echo", Echo, MailboxConfig::bounded(2, Overflow::DropOldest));
        for n in [5, 9, 12, 2] {
            sys.send(a, n);
        }
        let _ = sys.run_until_idle();
    }
    buf.bytes()
}

/// Reads a whole trace; returns the error, if any. Panics propagate.
fn read_all(bytes: &[u8]) -> Result<usize, rehearsal::trace::TraceError> {
    let mut r = TraceReader::new(Cursor::new(bytes.to_vec()), "t.jsonl")?;
    let mut n = 0;
    while r.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn lines_of(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

const PLAN: &str = r#"[[rule]]
name = "crash-workers"
actors = "worker*"
messages = "Work*"
probability = 0.05
action = "crash"

[[rule]]
name = "lag"
actors = "db"
at_message = 3
action = "delay"
delay = [1, 10]

[[rule]]
name = "split"
actors = "east*"
action = "partition"
with = "west*"
from = 10
until = 20
"#;

proptest! {
    #![proptest_config(rehearsal_tests::proptest_config(256))]

    #[test]
    fn random_bytes_are_not_a_trace(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = read_all(&bytes) {
            prop_assert!(e.line >= 1 && e.line <= lines_of(&bytes) + 1, "{e}");
            prop_assert!(e.to_string().starts_with("t.jsonl:"), "{e}");
        }
    }

    #[test]
    fn a_truncated_trace_is_an_error_naming_a_line(cut in 0usize..100_000) {
        let full = valid_trace();
        // Cutting only the final newline leaves a complete trace.
        let cut = cut % (full.len() - 1);
        let err = read_all(&full[..cut]).expect_err("a cut trace has no end line");
        prop_assert!(err.line >= 1 && err.line <= lines_of(&full[..cut]) + 1, "{err}");
    }

    #[test]
    fn a_single_edit_is_caught_or_harmless(line in 0usize..1000, at in 0usize..1000, byte in any::<u8>()) {
        let full = valid_trace();
        let text = String::from_utf8(full.clone()).expect("a trace is UTF-8");
        let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
        let i = line % lines.len();
        let j = at % lines[i].len().max(1);
        if lines[i].is_empty() {
            lines[i].push(byte);
        } else {
            lines[i][j] = byte;
        }
        let edited: Vec<u8> = lines.join(&b'\n').into_iter().chain([b'\n']).collect();
        match read_all(&edited) {
            // The edit changed nothing that matters (or hit JSON whitespace).
            Ok(n) => prop_assert!(n > 0),
            Err(e) => {
                let expected_line = (i + 1) as u64;
                // A newline written into a line splits it: its rest is on the next.
                let on_line = e.line == expected_line || (byte == b'\n' && e.line == expected_line + 1);
                // An edit the JSON still accepts shows up at the end line's check.
                let at_end = matches!(e.kind, TraceErrorKind::HashMismatch { .. } | TraceErrorKind::CountMismatch { .. } | TraceErrorKind::Truncated | TraceErrorKind::TrailingData);
                prop_assert!(on_line || at_end, "edit on line {expected_line}, error: {e}");
            }
        }
    }

    #[test]
    fn random_plans_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = FaultPlan::from_toml_str(&text, "p.toml") {
            prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}");
        }
    }

    #[test]
    fn truncated_and_edited_plans_name_their_line(cut in 0usize..1000, at in 0usize..1000, byte in 32u8..127) {
        let cut = cut % PLAN.len();
        let truncated = &PLAN[..cut];
        if let Err(e) = FaultPlan::from_toml_str(truncated, "p.toml") {
            prop_assert!(e.line >= 1 && e.line <= truncated.lines().count() + 1, "{e}");
        }
        let mut edited = PLAN.as_bytes().to_vec();
        let i = at % edited.len();
        edited[i] = byte;
        let edited = String::from_utf8(edited).expect("ASCII edit");
        if let Err(e) = FaultPlan::from_toml_str(&edited, "p.toml") {
            let line_of_edit = PLAN[..i].matches('\n').count() + 1;
            // The error is near the edit: on the line of the rule (table) it
            // broke, which starts at most 8 lines before it, or where the
            // parser noticed (an unclosed string or array, or a renamed table
            // whose keys it then refuses, a few lines on).
            prop_assert!(e.line <= line_of_edit + 7 && e.line + 8 >= line_of_edit, "edit on line {line_of_edit}: {e}");
        }
    }
}

#[test]
fn a_huge_line_is_an_error_not_an_allocation_storm() {
    let mut bytes = valid_trace();
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut huge = b"{\"step\":1,\"time\":0,\"kind\":\"send\",\"msg\":1,\"to\":1,\"payload\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 5_000_000));
    huge.extend(b"\"}\n");
    bytes.splice(header_end..header_end, huge);
    let err = read_all(&bytes).expect_err("the edit breaks the hash chain at least");
    assert!(err.line >= 2, "{err}");
}
