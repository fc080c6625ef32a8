//! Ping-pong between two actors, for counting instructions per message
//! (`valgrind --tool=callgrind`): the same players as the `ping_pong`
//! benchmark.
//!
//! `cargo run --release -p rehearsal --example pingpong -- N [off|events|payloads] [random|fifo] [RUNS]`
//!
//! With RUNS, it makes that many runs one after another, as the benchmark
//! does (the first writes its trace into fresh memory, the later ones into
//! memory the process already has), and prints each.

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
    let runs: u32 = args.next().map_or(1, |a| a.parse().expect("usage: pingpong [N] [level] [strategy] [runs]"));
    let cfg = Config::seeded(42).trace(level).strategy(strategy).max_steps(u64::MAX);
    for run in 1..=runs {
        let mut sys = workloads::ping_pong_system(cfg.clone(), n);
        let start = std::time::Instant::now();
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        let took = start.elapsed();
        assert_eq!(sys.steps(), n);
        println!(
            "run {run}: {n} messages in {:.1} ms ({:.1}M/s), trace hash {:?}",
            took.as_secs_f64() * 1e3,
            n as f64 / took.as_secs_f64() / 1e6,
            sys.trace_hash().map(rehearsal::trace::format_hash)
        );
        if run == runs {
            // Dropping the last trace is not what is measured.
            std::mem::forget(sys);
        }
    }
}
