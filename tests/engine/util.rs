//! Helpers for files: unique temporary paths and recorded traces.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A fresh path under Cargo's temporary directory for integration tests,
/// unique per test, per call and per process. Any old file there is removed.
pub fn temp_path(test: &str, ext: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rehearsal-engine-tests");
    std::fs::create_dir_all(&dir).expect("create the temporary directory");
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{test}-{}-{n}.{ext}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// The lines of a text file (without their newlines).
pub fn lines_of(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path).expect("read the trace").lines().map(str::to_string).collect()
}

/// Writes `lines`, each followed by a newline.
pub fn write_lines(path: &std::path::Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).expect("write the trace");
}
