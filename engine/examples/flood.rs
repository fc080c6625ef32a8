//! A fast producer and a slow consumer under one overflow policy, for
//! counting instructions per message (`valgrind --tool=callgrind`): the same
//! actors as the `backpressure` benchmark.
//!
//! `cargo run --release -p rehearsal --example flood -- N [unbounded|block|drop_newest|drop_oldest|reject]`

use rehearsal::{Actor, Addr, Config, Context, Handled, MailboxConfig, Overflow, RunOutcome, System, TraceLevel};

const BURST: u64 = 32;

#[derive(Debug)]
struct Next;

struct Producer {
    to: Addr<u64>,
    sent: u64,
    total: u64,
}

impl Actor for Producer {
    type Msg = Next;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, _: Next) -> Handled {
        for _ in 0..BURST.min(self.total - self.sent) {
            ctx.send(self.to, self.sent);
            self.sent += 1;
        }
        if self.sent < self.total {
            let me = ctx.addr();
            ctx.send(me, Next);
        }
        Ok(())
    }
}

struct Consumer {
    sum: u64,
}

impl Actor for Consumer {
    type Msg = u64;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Handled {
        self.sum = self.sum.wrapping_add(n);
        Ok(())
    }
}

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
    let p = sys.spawn("producer", Producer { to: c, sent: 0, total });
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
