//! A fast producer and a slow consumer under one overflow policy, for
//! counting instructions per message (`valgrind --tool=callgrind`): the same
//! actors as the `backpressure` benchmark.
//!
//! `cargo run --release -p rehearsal --example flood -- N [unbounded|block|drop_newest|drop_oldest|reject]`

use rehearsal::{Config, MailboxConfig, Overflow, RunOutcome, System, TraceLevel};

#[path = "../benches/workloads/mod.rs"]
mod workloads;
use workloads::{Consumer, Next, Producer};

fn main() {
    let mut args = std::env::args().skip(1);
    let total: u64 = args.next().map_or(200_000, |a| a.replace('_', "").parse().expect("usage: flood [N] [policy]"));
    let mailbox = match args.next().as_deref() {
        None | Some("unbounded") => MailboxConfig::UNBOUNDED,
        Some("block") => MailboxConfig::bounded(8, Overflow::Block),
        Some("drop_newest") => MailboxConfig::bounded(8, Overflow::DropNewest),
        Some("drop_oldest") => MailboxConfig::bounded(8, Overflow::DropOldest),
        Some("reject") => MailboxConfig::bounded(8, Overflow::Reject),
        Some(other) => panic!("unknown policy {other}"),
    };
    let mut sys = System::new(Config::seeded(1).trace(TraceLevel::Off).max_steps(u64::MAX));
    let c = sys.spawn_with("consumer", Consumer { sum: 0 }, mailbox);
    let p = sys.spawn("producer", Producer { to: c, sent: 0, total, reject: false });
    sys.send(p, Next);
    let start = std::time::Instant::now();
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let took = start.elapsed();
    assert!(sys.stats().conserved());
    println!(
        "{total} messages, {} steps in {:.1} ms ({:.1} ns per message), trace hash {:?}",
        sys.steps(),
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / total as f64,
        sys.trace_hash().map(rehearsal::trace::format_hash)
    );
    std::mem::forget(sys);
}
