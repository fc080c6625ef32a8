//! Ping-pong between two actors, for counting instructions per message
//! (`valgrind --tool=callgrind`): the same players as the `ping_pong`
//! benchmark.
//!
//! `cargo run --release -p rehearsal --example pingpong -- N [off|events|payloads] [random|fifo]`

use rehearsal::{Config, RunOutcome, Strategy, TraceLevel};

#[path = "../benches/workloads/mod.rs"]
mod workloads;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 =
        args.next().map_or(1_000_000, |a| a.replace('_', "").parse().expect("usage: pingpong [N] [level] [strategy]"));
    let level = match args.next().as_deref() {
        None | Some("off") => TraceLevel::Off,
        Some("events") => TraceLevel::Events,
        Some("payloads") => TraceLevel::Payloads,
        Some(other) => panic!("unknown trace level {other}"),
    };
    let strategy = match args.next().as_deref() {
        None | Some("random") => Strategy::Random,
        Some("fifo") => Strategy::Fifo,
        Some(other) => panic!("unknown strategy {other}"),
    };
    let cfg = Config::seeded(42).trace(level).strategy(strategy).max_steps(u64::MAX);
    let mut sys = workloads::ping_pong_system(cfg, n);
    let start = std::time::Instant::now();
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let took = start.elapsed();
    assert_eq!(sys.steps(), n);
    println!(
        "{n} messages in {:.1} ms ({:.1}M/s), trace hash {:?}",
        took.as_secs_f64() * 1e3,
        n as f64 / took.as_secs_f64() / 1e6,
        sys.trace_hash().map(rehearsal::trace::format_hash)
    );
    // Dropping the trace is not what is measured (the benchmark does not time it).
    std::mem::forget(sys);
}
