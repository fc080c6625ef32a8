//! Resident memory per idle actor.
//!
//! Spawns N idle actors (default 1,000,000; `cargo run --release -p
//! rehearsal --example memory -- N`), each holding a `u64`, and prints the
//! growth of the resident set (from `/proc/self/statm`) divided by N, plus
//! the time spawning took. Linux only.

use std::time::Instant;

use rehearsal::{Actor, Config, Context, Handled, System, TraceLevel};

/// An idle actor with a little state; it never gets a message.
struct Idle {
    state: u64,
}

impl Actor for Idle {
    type Msg = u64;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: u64) -> Handled {
        self.state += msg;
        Ok(())
    }
}

/// The resident set size, in bytes: resident pages times the page size.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("reading /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm's second field is the resident page count");
    pages * page_size()
}

/// The page size, from the kernel's own view of this process (`AT_PAGESZ`
/// in `/proc/self/auxv`), falling back to 4 KiB.
fn page_size() -> u64 {
    const AT_PAGESZ: u64 = 6;
    if let Ok(auxv) = std::fs::read("/proc/self/auxv") {
        for pair in auxv.chunks_exact(16) {
            let key = u64::from_ne_bytes(pair[..8].try_into().expect("8 bytes"));
            let value = u64::from_ne_bytes(pair[8..].try_into().expect("8 bytes"));
            if key == AT_PAGESZ {
                return value;
            }
        }
    }
    4096
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let n: u64 = match std::env::args().nth(1) {
        Some(a) => a.replace('_', "").parse().expect("usage: memory [N]"),
        None => 1_000_000,
    };
    assert!(n > 0, "N must be positive");

    let mut sys = System::new(Config::seeded(1).trace(TraceLevel::Off));
    let before = resident_bytes();
    let start = Instant::now();
    let mut addrs = Vec::with_capacity(0);
    for i in 0..n {
        let a = sys.spawn("", Idle { state: i });
        if i == 0 {
            addrs.push(a);
        }
    }
    let spawn_time = start.elapsed();
    let after = resident_bytes();
    assert_eq!(sys.actor_count() as u64, n);
    // The actors are still there (and idle) when measured.
    assert_eq!(sys.state(addrs[0], |a: &Idle| a.state), Some(0));

    let grown = after.saturating_sub(before);
    println!("actors:            {n}");
    println!("page size:         {} bytes", page_size());
    println!("resident before:   {:.1} MiB", mib(before));
    println!("resident after:    {:.1} MiB", mib(after));
    println!("growth:            {:.1} MiB", mib(grown));
    println!("bytes per actor:   {:.1}", grown as f64 / n as f64);
    println!(
        "spawn time:        {:.3} s ({:.0} ns per actor)",
        spawn_time.as_secs_f64(),
        spawn_time.as_nanos() as f64 / n as f64
    );
}
