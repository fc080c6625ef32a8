//! A ring of N actors with T tokens of H hops each: `cargo run --release -p rehearsal --example ring -- N T H`
//! (the `ring` benchmarks, for timing and counting instructions per message).
use rehearsal::{Actor, Addr, Config, Context, Handled, RunOutcome, System, TraceLevel};

#[derive(Debug)]
enum RingMsg {
    Link(Addr<RingMsg>),
    Token(u64),
}

struct Node {
    next: Option<Addr<RingMsg>>,
}

impl Actor for Node {
    type Msg = RingMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: RingMsg) -> Handled {
        match msg {
            RingMsg::Token(left) => {
                if left > 1 {
                    if let Some(next) = self.next {
                        ctx.send(next, RingMsg::Token(left - 1));
                    }
                }
            }
            RingMsg::Link(next) => self.next = Some(next),
        }
        Ok(())
    }
}

fn main() {
    let a: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (n, tokens, hops) = (a[0] as usize, a[1] as usize, a[2]);
    let mut sys = System::new(Config::seeded(42).trace(TraceLevel::Off).max_steps(u64::MAX));
    let mut nodes = Vec::with_capacity(n);
    let mut next = None;
    for _ in 0..n {
        let x = sys.spawn("", Node { next });
        nodes.push(x);
        next = Some(x);
    }
    nodes.reverse();
    let (first, last) = (nodes[0], nodes[n - 1]);
    sys.send(last, RingMsg::Link(first));
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
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
