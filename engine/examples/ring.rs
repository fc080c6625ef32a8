//! A ring of N actors with T tokens of H hops each: `cargo run --release -p rehearsal --example ring -- N T H [off|events]`
//! (the `ring` benchmarks, for timing and counting instructions per message;
//! `events` keeps the trace in memory).
use rehearsal::{Config, RunOutcome, TraceLevel};

#[path = "../benches/workloads/mod.rs"]
mod workloads;
use workloads::RingMsg;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<u64> = args.iter().take(3).map(|a| a.parse().expect("usage: ring N T H [off|events]")).collect();
    let (n, tokens, hops) = (a[0] as usize, a[1] as usize, a[2]);
    let level = match args.get(3).map(String::as_str) {
        None | Some("off") => TraceLevel::Off,
        Some("events") => TraceLevel::Events,
        Some(other) => panic!("unknown trace level {other}"),
    };
    let (mut sys, nodes) = workloads::ring(Config::seeded(42).trace(level).max_steps(u64::MAX), n);
    let stride = n / tokens;
    for rep in 0..2 {
        let start = std::time::Instant::now();
        for t in 0..tokens {
            sys.send(nodes[t * stride], RingMsg::Token(hops));
        }
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        let took = start.elapsed();
        let msgs = tokens as u64 * hops;
        println!(
            "rep {rep}: {msgs} messages in {:.1} ms ({:.2}M/s)",
            took.as_secs_f64() * 1e3,
            msgs as f64 / took.as_secs_f64() / 1e6
        );
    }
    std::mem::forget(sys);
}
