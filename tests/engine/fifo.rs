//! SPEC rule 3: per-pair FIFO, over many seeds, with several senders and
//! relays in between.

use std::collections::{BTreeMap, BTreeSet};

use rehearsal::{Actor, ActorId, Addr, Config, Context, EventKind, Handled, RunOutcome, Strategy, System};

/// A message numbered per (sender, receiver) pair by its sender.
#[derive(Debug, Clone, Copy)]
pub struct Numbered {
    seq: u32,
}

/// Records, per sender, the sequence numbers it received; forwards what it
/// receives to its targets (a relay) numbering per pair again.
struct Node {
    targets: Vec<Addr<Numbered>>,
    next_seq: BTreeMap<ActorId, u32>,
    received: BTreeMap<ActorId, Vec<u32>>,
    /// Global arrival order, to see that interleavings differ.
    arrivals: Vec<(ActorId, u32)>,
    pick: usize,
}

impl Node {
    fn new(targets: Vec<Addr<Numbered>>) -> Self {
        Node { targets, next_seq: BTreeMap::new(), received: BTreeMap::new(), arrivals: Vec::new(), pick: 0 }
    }

    fn send_numbered(&mut self, ctx: &mut Context<'_, Self>, to: Addr<Numbered>) {
        let seq = self.next_seq.entry(to.id()).or_insert(0);
        ctx.send(to, Numbered { seq: *seq });
        *seq += 1;
    }
}

impl Actor for Node {
    type Msg = Numbered;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Numbered) -> Handled {
        let from = ctx.sender().unwrap_or(ActorId(0));
        self.received.entry(from).or_default().push(msg.seq);
        self.arrivals.push((from, msg.seq));
        if !self.targets.is_empty() {
            // A relay forwards each message to one target, round robin,
            // and every other one to all of them.
            let t = self.targets[self.pick % self.targets.len()];
            self.pick += 1;
            self.send_numbered(ctx, t);
            if msg.seq % 2 == 0 {
                for t in self.targets.clone() {
                    self.send_numbered(ctx, t);
                }
            }
        }
        Ok(())
    }
}

/// A sender: on each tick it sends a numbered message to the receiver and
/// to one relay, then ticks itself again, `count` times.
struct Sender {
    receiver: Addr<Numbered>,
    relays: Vec<Addr<Numbered>>,
    next_seq: BTreeMap<ActorId, u32>,
    left: u32,
}

impl Actor for Sender {
    type Msg = ();
    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Handled {
        if self.left == 0 {
            return Ok(());
        }
        self.left -= 1;
        let relay = self.relays[self.left as usize % self.relays.len()];
        for to in [self.receiver, relay, self.receiver] {
            let seq = self.next_seq.entry(to.id()).or_insert(0);
            ctx.send(to, Numbered { seq: *seq });
            *seq += 1;
        }
        ctx.send(ctx.addr(), ());
        Ok(())
    }
}

/// Runs the network under one seed; checks per-pair order at every node;
/// returns the receiver's global arrival order.
fn run(seed: u64, strategy: Strategy) -> Vec<(ActorId, u32)> {
    let mut sys = System::new(Config::seeded(seed).strategy(strategy));
    let receiver = sys.spawn("receiver", Node::new(Vec::new()));
    let sink = sys.spawn("sink", Node::new(Vec::new()));
    // relay2 forwards to relay0 and relay1, which forward to the receiver
    // and the sink: messages reach the receiver by several paths.
    let relay0 = sys.spawn("relay0", Node::new(vec![receiver, sink]));
    let relay1 = sys.spawn("relay1", Node::new(vec![sink, receiver]));
    let relay2 = sys.spawn("relay2", Node::new(vec![relay0, relay1, receiver]));
    let relays = vec![relay0, relay1, relay2];
    let senders: Vec<_> = (0..4)
        .map(|i| {
            sys.spawn(
                &format!("sender{i}"),
                Sender { receiver, relays: relays.clone(), next_seq: BTreeMap::new(), left: 6 + i },
            )
        })
        .collect();
    // The test itself is a sender too (ActorId 0 in the records).
    for s in &senders {
        sys.send(*s, ());
    }
    for seq in 0..5 {
        sys.send(receiver, Numbered { seq });
    }
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(sys.dead_letters().is_empty());

    // What each sender sent to each node, from the trace: the Send events
    // in trace order are the send order.
    let mut sent: BTreeMap<(u64, u64), u32> = BTreeMap::new();
    for e in sys.events() {
        if let EventKind::Send { from, to, .. } = &e.kind {
            *sent.entry((from.map_or(0, |f| f.0), to.0)).or_default() += 1;
        }
    }

    for node in [receiver, sink, relay0, relay1, relay2] {
        let received = sys.state(node, |n: &Node| n.received.clone()).expect("alive");
        assert!(!received.is_empty());
        for (from, seqs) in received {
            let expected: Vec<u32> = (0..seqs.len() as u32).collect();
            assert_eq!(seqs, expected, "{strategy} seed {seed}: {} -> {} out of order or with gaps", from, node.id());
            assert_eq!(
                sent.get(&(from.0, node.id().0)).copied(),
                Some(seqs.len() as u32),
                "{strategy} seed {seed}: {from} -> {}: not everything sent arrived",
                node.id()
            );
        }
    }
    sys.state(receiver, |n: &Node| n.arrivals.clone()).expect("alive")
}

fn check(strategy: Strategy) {
    let mut distinct = BTreeSet::new();
    for seed in 0..200 {
        distinct.insert(run(seed, strategy));
    }
    // The property was checked under many interleavings, not one.
    assert!(distinct.len() > 10, "{strategy}: only {} distinct interleavings in 200 seeds", distinct.len());
}

#[test]
fn per_pair_fifo_random() {
    check(Strategy::Random);
}

#[test]
fn per_pair_fifo_pct() {
    check(Strategy::Pct { depth: 3, steps: 150 });
    for seed in 0..50 {
        run(seed, Strategy::PCT);
    }
}

#[test]
fn per_pair_fifo_fifo() {
    for seed in 0..5 {
        run(seed, Strategy::Fifo);
    }
}
