//! SPEC rules 6-7 and 29: the same seed gives a byte-identical trace, under
//! every strategy.

use rehearsal::trace::TraceReader;
use rehearsal::{
    Actor, Addr, AskError, Config, Context, EventKind, Handled, ReplyTo, RunOutcome, Strategy, System, TraceLevel,
};
use rehearsal_tests::SharedBuf;

/// A server that answers asks with ten times the question.
pub struct Server;

#[derive(Debug)]
pub enum ServerMsg {
    Get(u64, ReplyTo<u64>),
}

impl Actor for Server {
    type Msg = ServerMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ServerMsg) -> Handled {
        let ServerMsg::Get(k, reply) = msg;
        ctx.reply(reply, k * 10);
        Ok(())
    }
}

/// A node of a small mesh: it forwards hops to its peers, ticks on a timer,
/// and asks the server once.
pub struct Node {
    idx: usize,
    peers: Vec<Addr<NodeMsg>>,
    server: Addr<ServerMsg>,
    seen: Vec<String>,
}

#[derive(Debug)]
pub enum NodeMsg {
    Peers(Vec<Addr<NodeMsg>>),
    Start,
    Hop { from: usize, ttl: u32 },
    Tick(u32),
    Answer(Result<u64, AskError>),
}

impl Actor for Node {
    type Msg = NodeMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: NodeMsg) -> Handled {
        self.seen.push(format!("{msg:?}"));
        match msg {
            NodeMsg::Peers(p) => self.peers = p,
            NodeMsg::Start => {
                for (i, p) in self.peers.clone().into_iter().enumerate() {
                    if i != self.idx {
                        ctx.send(p, NodeMsg::Hop { from: self.idx, ttl: 3 });
                    }
                }
                ctx.send_after(ctx.addr(), NodeMsg::Tick(0), self.idx as u64 + 1);
                let idx = self.idx as u64;
                ctx.ask(self.server, move |r| ServerMsg::Get(idx, r), 50, NodeMsg::Answer);
            }
            NodeMsg::Hop { from, ttl } => {
                assert_ne!(from, self.idx, "no node hops to itself");
                if ttl > 0 {
                    let next = (self.idx + ttl as usize) % self.peers.len();
                    ctx.send(self.peers[next], NodeMsg::Hop { from: self.idx, ttl: ttl - 1 });
                }
            }
            NodeMsg::Tick(k) => {
                if k < 2 {
                    ctx.send_after(ctx.addr(), NodeMsg::Tick(k + 1), 3);
                }
            }
            NodeMsg::Answer(a) => {
                assert_eq!(a, Ok(self.idx as u64 * 10), "the server answers right");
            }
        }
        Ok(())
    }
}

/// Sets up and runs the mesh scenario on `sys`.
pub fn mesh(sys: &mut System) {
    let server = sys.spawn("server", Server);
    let nodes: Vec<Addr<NodeMsg>> = (0..4)
        .map(|idx| sys.spawn(&format!("node{idx}"), Node { idx, peers: Vec::new(), server, seen: Vec::new() }))
        .collect();
    for &n in &nodes {
        sys.send(n, NodeMsg::Peers(nodes.clone()));
    }
    for &n in &nodes {
        sys.send(n, NodeMsg::Start);
    }
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(sys.ask(server, |r| ServerMsg::Get(7, r), 10), Ok(70));
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
}

struct Run {
    bytes: Vec<u8>,
    hash: u64,
    events: Vec<rehearsal::Event>,
}

fn record(seed: u64, strategy: Strategy) -> Run {
    let buf = SharedBuf::new();
    let cfg = Config::seeded(seed)
        .strategy(strategy)
        .trace(TraceLevel::Payloads)
        .scenario("mesh", serde_json::json!({ "nodes": 4 }));
    let mut sys = System::with_trace_writer(cfg, buf.clone(), true);
    mesh(&mut sys);
    sys.finish().expect("the in-memory writer never fails");
    let hash = sys.trace_hash().expect("tracing is on");
    let events = rehearsal_tests::events(&sys);
    drop(sys);
    Run { bytes: buf.bytes(), hash, events }
}

fn check_same_seed_same_bytes(strategy: Strategy) {
    for seed in [0, 1, 42, 0xDEAD_BEEF] {
        let a = record(seed, strategy);
        let b = record(seed, strategy);
        assert!(a.bytes == b.bytes, "{strategy} seed {seed}: two runs wrote different trace bytes");
        assert_eq!(a.hash, b.hash, "{strategy} seed {seed}: hashes differ");
        assert_eq!(a.events, b.events);

        // The scenario really is concurrent: timers, an ask, many messages.
        let count = |name: &str| a.events.iter().filter(|e| e.kind.name() == name).count();
        assert!(count("deliver") > 30, "{strategy}: too few deliveries");
        assert!(count("timer_fired") >= 12, "{strategy}: the ticks fired");
        assert_eq!(count("ask"), 5, "{strategy}: four actor asks and one test ask");
        assert_eq!(count("ask_done"), 5);

        // The bytes are a whole trace whose footer names the same hash and
        // whose events are those kept in memory.
        let text = String::from_utf8(a.bytes.clone()).expect("UTF-8");
        let last = text.lines().last().expect("lines");
        assert!(last.contains(&rehearsal::trace::format_hash(a.hash)), "the footer holds the final hash: {last}");
        let mut reader = TraceReader::new(std::io::Cursor::new(a.bytes.clone()), "mem").expect("header");
        assert_eq!(reader.header().seed, seed);
        assert_eq!(reader.header().strategy, strategy);
        let mut read = Vec::new();
        while let Some(ev) = reader.next_event().expect("a well-formed trace") {
            read.push(ev);
        }
        assert_eq!(read, a.events, "the file holds the events kept in memory");
    }
}

#[test]
fn same_seed_same_trace_random() {
    check_same_seed_same_bytes(Strategy::Random);
}

#[test]
fn same_seed_same_trace_pct() {
    check_same_seed_same_bytes(Strategy::PCT);
    check_same_seed_same_bytes(Strategy::Pct { depth: 4, steps: 40 });
}

#[test]
fn same_seed_same_trace_fifo() {
    check_same_seed_same_bytes(Strategy::Fifo);
}

/// The hash is not a constant: other seeds give other runs under the
/// seeded strategies, and `fifo` ignores the seed's schedule entirely.
#[test]
fn seeds_matter_for_random_and_pct_only() {
    for strategy in [Strategy::Random, Strategy::Pct { depth: 3, steps: 60 }] {
        let mut hashes: Vec<u64> = (0..10).map(|s| record(s, strategy).hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert!(hashes.len() > 1, "{strategy}: ten seeds gave one and the same run");
    }
    // Fifo: the header differs by seed, the events do not.
    let a = record(1, Strategy::Fifo);
    let b = record(2, Strategy::Fifo);
    assert_eq!(a.events, b.events, "fifo must not depend on the seed");
    assert_eq!(a.hash, b.hash);
    assert_ne!(a.bytes, b.bytes, "the header records the seed");
}

/// The trace hash covers every event: the same run without payloads is a
/// different trace, and the event count matches the in-memory trace.
#[test]
fn hash_tracks_recorded_events() {
    let mut sys = System::new(Config::seeded(9));
    mesh(&mut sys);
    let n = sys.events_len() as u64;
    assert_eq!(sys.events_recorded(), n);
    let with_payloads = record(9, Strategy::Random);
    assert_eq!(with_payloads.events.len() as u64, n);
    assert_ne!(sys.trace_hash().expect("on"), with_payloads.hash, "payloads are part of the hash");

    // Tracing off: no hash, nothing recorded, same behaviour.
    let mut off = System::new(Config::seeded(9).trace(TraceLevel::Off));
    mesh(&mut off);
    assert_eq!(off.trace_hash(), None);
    assert_eq!(off.events_len(), 0);
    assert_eq!(off.stats().handled, sys.stats().handled);
    assert_eq!(off.stats().sent, sys.stats().sent);
    let kinds = rehearsal_tests::kinds_where(&sys, |k| matches!(k, EventKind::Stop { .. }));
    assert!(kinds.is_empty(), "no actor stopped in the mesh");
}

/// An observer that looks before every step (as the inspector's live mode
/// does) changes nothing in the run: every scenario records the same trace
/// with one as without.
#[test]
fn an_observer_changes_nothing() {
    for s in rehearsal_scenarios::all() {
        let given: &[(&str, &str)] = if s.name() == "iot" { &[("devices", "50")] } else { &[] };
        let params = rehearsal_scenarios::Params::resolve(*s, given).unwrap();
        let config = Config::seeded(11).scenario(s.name(), params.to_json());
        let mut plain = System::new(config.clone());
        s.run(&mut plain).unwrap();
        let mut watched = System::new(config);
        let calls = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let seen = calls.clone();
        watched.observe(move |sys| {
            assert_eq!(sys.steps(), sys.stats().steps);
            seen.set(seen.get() + 1);
            rehearsal::Observed::Continue
        });
        s.run(&mut watched).unwrap();
        assert_eq!(plain.trace_hash(), watched.trace_hash(), "{}", s.name());
        assert_eq!(plain.events_len(), watched.events_len(), "{}", s.name());
        assert!(calls.get() > plain.steps(), "{}: called before every step", s.name());
    }
}
