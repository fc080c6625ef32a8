//! The actors the benchmarks time and the examples count instructions of
//! (`#[path]`-included by both, so the two always measure the same code):
//! ping-pong players, ring nodes, and a fast producer with a slow consumer.
#![allow(dead_code)]

use std::hint::black_box;

use rehearsal::{Actor, Addr, Config, Context, Handled, RunOutcome, System};

// ===== ping-pong =====

/// The ball carries how many hits are left and who hit it last.
#[derive(Debug)]
pub struct Ball {
    pub left: u64,
    pub from: Addr<Ball>,
}

/// One of the two players: sends the ball back until no hits are left.
pub struct Player {
    pub hits: u64,
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

/// A ping-pong system of two players, with the serve (of `messages` hits)
/// queued but not yet delivered.
pub fn ping_pong_system(cfg: Config, messages: u64) -> System {
    let mut sys = System::new(cfg);
    let a = sys.spawn("ping", Player { hits: 0 });
    let b = sys.spawn("pong", Player { hits: 0 });
    sys.send(a, Ball { left: messages, from: b });
    sys
}

// ===== rings =====

#[derive(Debug)]
pub enum RingMsg {
    /// Closes the ring: the last node learns the first.
    Link(Addr<RingMsg>),
    /// A token with this many deliveries left, this one included.
    Token(u64),
}

pub struct Node {
    pub next: Option<Addr<RingMsg>>,
}

impl Actor for Node {
    type Msg = RingMsg;

    #[inline]
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

/// A ring of `n` nodes, each passing tokens to the next; returns the system
/// and the nodes' addresses in ring order.
pub fn ring(cfg: Config, n: usize) -> (System, Vec<Addr<RingMsg>>) {
    assert!(n >= 1);
    let mut sys = System::new(cfg);
    let mut nodes = Vec::with_capacity(n);
    let mut next = None;
    for _ in 0..n {
        let a = sys.spawn("", Node { next });
        nodes.push(a);
        next = Some(a);
    }
    // Spawned last to first: node k sends to node k-1. Put them in ring
    // order (each sends to the one after it) and close the ring.
    nodes.reverse();
    let (first, last) = (nodes[0], nodes[n - 1]);
    sys.send(last, RingMsg::Link(first));
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle, "a benchmark run must end idle");
    (sys, nodes)
}

// ===== a fast producer, a slow consumer =====

/// Messages the producer sends before it sends itself the next `Next`.
pub const BURST: u64 = 32;

/// The producer's cue for its next burst.
#[derive(Debug)]
pub struct Next;

/// Sends `total` numbers to `to` in bursts of [`BURST`], with `try_send`
/// if `reject` (the policy hands refused messages back), else `send`.
pub struct Producer {
    pub to: Addr<u64>,
    pub sent: u64,
    pub total: u64,
    pub reject: bool,
}

impl Actor for Producer {
    type Msg = Next;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, _: Next) -> Handled {
        for _ in 0..BURST.min(self.total - self.sent) {
            if self.reject {
                let _ = black_box(ctx.try_send(self.to, self.sent));
            } else {
                ctx.send(self.to, self.sent);
            }
            self.sent += 1;
        }
        if self.sent < self.total {
            let me = ctx.addr();
            ctx.send(me, Next);
        }
        Ok(())
    }
}

/// Adds up what it gets.
pub struct Consumer {
    pub sum: u64,
}

impl Actor for Consumer {
    type Msg = u64;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Handled {
        self.sum = self.sum.wrapping_add(n);
        Ok(())
    }
}
