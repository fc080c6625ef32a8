//! A fast producer and a slow consumer under each overflow policy, against
//! an unbounded mailbox: the cost per message sent.
//!
//! The producer sends bursts of 32 messages and then a message to itself for
//! the next burst; the consumer has room for 8. So under every bounded
//! policy most bursts overflow, and the policy's path is what is measured.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rehearsal::{Config, MailboxConfig, Overflow, RunOutcome, System, TraceLevel};

#[path = "workloads/mod.rs"]
mod workloads;
use workloads::{Consumer, Next, Producer};

const TOTAL: u64 = 200_000;

fn time(mailbox: MailboxConfig, reject: bool, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut sys = System::new(Config::seeded(1).trace(TraceLevel::Off).max_steps(u64::MAX));
        let c = sys.spawn_with("consumer", Consumer { sum: 0 }, mailbox);
        let p = sys.spawn("producer", Producer { to: c, sent: 0, total: TOTAL, reject });
        sys.send(p, Next);
        let start = Instant::now();
        let outcome = sys.run_until_idle();
        total += start.elapsed();
        assert_eq!(outcome, RunOutcome::Idle);
        assert!(sys.stats().conserved());
        drop(black_box(sys));
    }
    total
}

fn backpressure(c: &mut Criterion) {
    let mut g = c.benchmark_group("backpressure");
    g.throughput(Throughput::Elements(TOTAL));
    g.sample_size(20);
    let cases: [(&str, MailboxConfig, bool); 6] = [
        ("unbounded", MailboxConfig::UNBOUNDED, false),
        ("drop_newest", MailboxConfig::bounded(8, Overflow::DropNewest), false),
        ("drop_oldest", MailboxConfig::bounded(8, Overflow::DropOldest), false),
        ("reject_try_send", MailboxConfig::bounded(8, Overflow::Reject), true),
        ("reject_send", MailboxConfig::bounded(8, Overflow::Reject), false),
        ("block", MailboxConfig::bounded(8, Overflow::Block), false),
    ];
    for (name, mailbox, reject) in cases {
        g.bench_function(BenchmarkId::from_parameter(name), |b| b.iter_custom(|iters| time(mailbox, reject, iters)));
    }
    g.finish();
}

criterion_group!(benches, backpressure);
criterion_main!(benches);
