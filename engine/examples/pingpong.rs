//! Ping-pong between two actors, for counting instructions per message
//! (`valgrind --tool=callgrind`): the same players as the `ping_pong`
//! benchmark.
//!
//! `cargo run --release -p rehearsal --example pingpong -- N [off|events|payloads] [random|fifo]`

use rehearsal::{Actor, Addr, Config, Context, Handled, RunOutcome, Strategy, System, TraceLevel};

/// The ball carries how many hits are left and who hit it last.
#[derive(Debug)]
struct Ball {
    left: u64,
    from: Addr<Ball>,
}

/// One of the two players: sends the ball back until no hits are left.
struct Player {
    hits: u64,
}

impl Actor for Player {
    type Msg = Ball;

    #[inline]
    fn handle(&mut self, ctx: &mut Context<'_, Self>, ball: Ball) -> Handled {
        self.hits += 1;
        if ball.left > 1 {
            let me = ctx.addr();
            ctx.send(ball.from, Ball { left: ball.left - 1, from: me });
        }
        Ok(())
    }
}

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
    let mut sys = System::new(Config::seeded(42).trace(level).strategy(strategy).max_steps(u64::MAX));
    let a = sys.spawn("ping", Player { hits: 0 });
    let b = sys.spawn("pong", Player { hits: 0 });
    sys.send(a, Ball { left: n, from: b });
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
