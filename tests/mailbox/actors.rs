//! Actors and set-ups the unit tests of this binary share.

use rehearsal::{Actor, Addr, Config, Context, Handled, MailboxConfig, Overflow, System};
use rehearsal_tests::{run_conserved, Log};

pub fn sys() -> System {
    System::new(Config::seeded(5))
}

/// Sends 1..=n to `to` in one handler; on 0 logs "{name}:next", that it
/// went on.
pub struct Burst {
    name: String,
    to: Addr<u32>,
    log: Log,
}

impl Actor for Burst {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n == 0 {
            self.log.push(format!("{}:next", self.name));
            return Ok(());
        }
        for i in 1..=n {
            ctx.send(self.to, i);
        }
        Ok(())
    }
}

pub fn burst(name: &str, to: Addr<u32>, log: &Log) -> Burst {
    Burst { name: name.into(), to, log: log.clone() }
}

#[derive(Debug)]
pub enum PairMsg {
    Peer(Addr<PairMsg>),
    Go(u32),
}

/// Sends its peer `n` messages at once.
pub struct Pair {
    pub peer: Option<Addr<PairMsg>>,
}

impl Actor for Pair {
    type Msg = PairMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: PairMsg) -> Handled {
        match msg {
            PairMsg::Peer(p) => self.peer = Some(p),
            PairMsg::Go(n) => {
                if let Some(p) = self.peer {
                    for _ in 0..n {
                        ctx.send(p, PairMsg::Go(0));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Two pairs `p` and `q` with mailboxes of one (policy block), each told to
/// send the other three messages: running on, they park on each other.
pub fn pair_about_to_deadlock(sys: &mut System) -> (Addr<PairMsg>, Addr<PairMsg>) {
    let cfg = MailboxConfig::bounded(1, Overflow::Block);
    let p = sys.spawn_with("p", Pair { peer: None }, cfg);
    let q = sys.spawn_with("q", Pair { peer: Some(p) }, cfg);
    sys.send(p, PairMsg::Peer(q));
    run_conserved(sys);
    sys.send(p, PairMsg::Go(3));
    sys.send(q, PairMsg::Go(3));
    (p, q)
}

/// Records the batch sizes it gets, and the numbers in them.
#[derive(Default)]
pub struct Batcher {
    pub sizes: Vec<usize>,
    pub seen: Vec<u32>,
}

impl Actor for Batcher {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        self.sizes.push(1);
        self.seen.push(n);
        Ok(())
    }
    fn handle_batch(&mut self, _ctx: &mut Context<'_, Self>, batch: Vec<u32>) -> Handled {
        self.sizes.push(batch.len());
        self.seen.extend(batch);
        Ok(())
    }
}
