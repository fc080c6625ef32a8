//! Any bytes given to the trace reader: an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rehearsal::trace::TraceReader;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 2;
    match TraceReader::new(std::io::Cursor::new(data.to_vec()), "fuzz.jsonl") {
        Err(e) => assert!(e.line >= 1 && e.line <= lines),
        Ok(mut r) => loop {
            match r.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    assert!(e.line >= 1 && e.line <= lines);
                    break;
                }
            }
        },
    }
});
