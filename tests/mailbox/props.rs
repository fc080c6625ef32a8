//! The mailbox properties of issue 4 over generated producers, consumers,
//! capacities, policies, fault plans and seeds. A failing case prints its
//! seed and the command that replays it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rehearsal::faults::{Action, FaultPlan, FaultRule, Selector, Trigger};
use rehearsal::{
    Actor, ActorId, Addr, Config, Context, EventKind, Handled, MailboxConfig, MsgId, Overflow, RunOutcome, Step, System,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Mode {
    Send,
    TrySend,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Case {
    /// Per consumer: capacity (0 unbounded), policy, batch.
    consumers: Vec<(u32, Overflow, u8)>,
    /// Per producer: bursts of (consumer, count, mode).
    producers: Vec<Vec<(usize, u32, Mode)>>,
    /// Fault rules: (action index, probability in percent).
    faults: Vec<(u8, u8)>,
    seed: u64,
}

#[derive(Debug, Clone)]
struct Item {
    producer: usize,
    seq: u32,
}

enum PMsg {
    Start,
    Ping,
}

impl std::fmt::Debug for PMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PMsg::Start => "Start",
            PMsg::Ping => "Ping",
        })
    }
}

struct Producer {
    me: usize,
    targets: Vec<Addr<Item>>,
    bursts: Vec<(usize, u32, Mode)>,
}

impl Actor for Producer {
    type Msg = PMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: PMsg) -> Handled {
        if let PMsg::Start = msg {
            let mut seq = 0;
            for &(c, n, mode) in &self.bursts {
                let to = self.targets[c % self.targets.len()];
                for _ in 0..n {
                    seq += 1;
                    let item = Item { producer: self.me, seq };
                    match mode {
                        Mode::Send => {
                            ctx.send(to, item);
                        }
                        Mode::TrySend => {
                            let _ = ctx.try_send(to, item);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

struct Consumer {
    got: Vec<(usize, u32)>,
}

impl Actor for Consumer {
    type Msg = Item;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, item: Item) -> Handled {
        self.got.push((item.producer, item.seq));
        Ok(())
    }
}

fn plan(case: &Case) -> Option<FaultPlan> {
    if case.faults.is_empty() {
        return None;
    }
    let rules = case
        .faults
        .iter()
        .enumerate()
        .map(|(i, &(a, p))| {
            let action = match a % 8 {
                0 => Action::Drop,
                1 => Action::Delay { min: 1, max: 3 },
                2 => Action::Crash,
                3 => Action::Kill,
                4 => Action::Slow(2),
                5 => Action::ShrinkMailbox(1),
                6 => Action::Partition { with: Selector("consumer*".into()), from: 0, until: 3 },
                _ => Action::Duplicate,
            };
            let on_producers = matches!(action, Action::Crash | Action::Kill | Action::Partition { .. });
            let actors = if on_producers { "producer*" } else { "consumer*" };
            FaultRule {
                name: format!("rule-{i}"),
                actors: Selector(actors.into()),
                messages: None,
                trigger: if matches!(action, Action::Partition { .. }) {
                    Trigger::Always
                } else {
                    Trigger::Probability(f64::from(p % 30) / 100.0)
                },
                action,
            }
        })
        .collect();
    Some(FaultPlan { rules })
}

struct Run {
    sys: System,
    consumers: Vec<Addr<Item>>,
    producers: Vec<Addr<PMsg>>,
    outcome: RunOutcome,
}

/// Builds and runs a case, checking properties 1 and 3 at every step.
fn build(case: &Case) -> Result<Run, String> {
    let mut cfg = Config::seeded(case.seed).max_steps(100_000);
    cfg.faults = plan(case);
    let mut sys = System::new(cfg);
    let consumers: Vec<Addr<Item>> = case
        .consumers
        .iter()
        .enumerate()
        .map(|(i, &(cap, policy, batch))| {
            let mb = if cap == 0 { MailboxConfig::UNBOUNDED } else { MailboxConfig::bounded(cap, policy) };
            sys.spawn_with(&format!("consumer-{i}"), Consumer { got: vec![] }, mb.batch(batch.max(1)))
        })
        .collect();
    let producers: Vec<Addr<PMsg>> = case
        .producers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let p = Producer { me: i, targets: consumers.clone(), bursts: b.clone() };
            sys.spawn(&format!("producer-{i}"), p)
        })
        .collect();
    for &p in &producers {
        sys.send(p, PMsg::Start);
        sys.send(p, PMsg::Ping);
    }
    let mut run = Run { sys, consumers, producers, outcome: RunOutcome::Idle };
    run.outcome = run_checked(&mut run.sys, &run.consumers, case)?;
    Ok(run)
}

/// Runs step by step, checking properties 1 and 3 after every step.
fn run_checked(sys: &mut System, consumers: &[Addr<Item>], case: &Case) -> Result<RunOutcome, String> {
    loop {
        let step = sys.step();
        let s = sys.stats();
        if !s.conserved() {
            return Err(format!("3: conservation broken after {step:?}: {s:?}"));
        }
        for (i, &c) in consumers.iter().enumerate() {
            let cap = case.consumers[i].0;
            if let Some(m) = sys.mailbox(c) {
                if cap != 0 && m.depth > cap {
                    return Err(format!("1: consumer-{i} holds {} with capacity {cap}", m.depth));
                }
            }
        }
        match step {
            Step::Delivered(_) | Step::Advanced(_) => {}
            Step::Idle => return Ok(RunOutcome::Idle),
            Step::Deadlock => return Ok(RunOutcome::Deadlock),
            Step::StepLimit => return Ok(RunOutcome::StepLimit),
            Step::Halted | Step::Stopped => return Ok(RunOutcome::Halted),
            Step::Limit(l) => return Ok(RunOutcome::Limit(l)),
            Step::Interrupted => return Ok(RunOutcome::Interrupted),
        }
    }
}

fn check(case: &Case) -> Result<(), String> {
    let run = build(case)?;
    let again = build(case)?;
    if run.sys.trace_hash() != again.sys.trace_hash() {
        return Err("7: the same seed and plan gave two traces".into());
    }
    let events: Vec<_> = run.sys.events().cloned().collect();
    // 5: a parked sender handles nothing until its send is admitted.
    // (A message that lands late from a delay fault and parks then does not
    // park its sender, who sent it long before: only a send that parks in
    // the very step it was sent parks its sender.)
    let mut from_of: BTreeMap<MsgId, (Option<ActorId>, u64)> = BTreeMap::new();
    let mut parked: BTreeMap<MsgId, ActorId> = BTreeMap::new();
    // Messages a delay fault held back: when they land (even in the same
    // step, after the clock moved on), their senders are not parked.
    let mut delayed: BTreeSet<MsgId> = BTreeSet::new();
    for e in &events {
        match &e.kind {
            EventKind::Send { msg, from, .. } => {
                from_of.insert(*msg, (*from, e.step));
            }
            EventKind::Fault { action, msg: Some(m), .. } if action == "delay" => {
                delayed.insert(*m);
            }
            EventKind::Overflow { msg, policy: Overflow::Block, .. } => {
                if let Some((Some(p), step)) = from_of.get(msg) {
                    if *step == e.step && !delayed.contains(msg) && run.producers.iter().any(|a| a.id() == *p) {
                        parked.insert(*msg, *p);
                    }
                }
            }
            EventKind::Admitted { msg, .. } | EventKind::DeadLetter { msg, .. } => {
                parked.remove(msg);
            }
            EventKind::Deliver { actor, msg, .. } => {
                // Another parked send of the same producer may still wait; any
                // delivery to a producer with a parked send breaks the rule.
                if let Some((m, _)) = parked.iter().find(|(_, p)| *p == actor) {
                    return Err(format!("5: {actor} got {msg} while its send {m} was parked"));
                }
            }
            _ => {}
        }
    }
    if run.outcome == RunOutcome::Deadlock {
        if run.sys.blocked().is_empty() {
            return Err("5: a deadlock with nobody blocked".into());
        }
        if !events.iter().any(|e| matches!(e.kind, EventKind::Deadlock { .. })) {
            return Err("5: a deadlock the trace does not report".into());
        }
    }
    // 6: per-pair FIFO unless a delay fault fired.
    let delayed = events.iter().any(|e| matches!(&e.kind, EventKind::Fault { action, .. } if action == "delay"));
    if !delayed {
        for (i, &c) in run.consumers.iter().enumerate() {
            let Some(got) = run.sys.state(c, |c: &Consumer| c.got.clone()) else { continue };
            let mut last: BTreeMap<usize, u32> = BTreeMap::new();
            for (p, seq) in got {
                if let Some(prev) = last.insert(p, seq) {
                    if seq <= prev {
                        return Err(format!("6: consumer-{i} got {seq} after {prev} from producer-{p}"));
                    }
                }
            }
        }
    }
    Ok(())
}

fn policy() -> impl Strategy<Value = Overflow> {
    prop_oneof![
        Just(Overflow::DropNewest),
        Just(Overflow::DropOldest),
        Just(Overflow::Reject),
        Just(Overflow::Block),
        Just(Overflow::Fail),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let consumers = prop::collection::vec((0u32..6, policy(), 1u8..4), 1..=3);
    let burst = (0usize..3, 1u32..8, prop_oneof![Just(Mode::Send), Just(Mode::TrySend)]);
    let producers = prop::collection::vec(prop::collection::vec(burst, 1..4), 1..=4);
    let faults = prop::collection::vec((0u8..8, 0u8..30), 0..3);
    (consumers, producers, faults, any::<u64>()).prop_map(|(consumers, producers, faults, seed)| Case {
        consumers,
        producers,
        faults,
        seed,
    })
}

fn replay_command(case: &Case) -> String {
    let json = serde_json::to_string(case).expect("a case serializes");
    format!(
        "seed {}; replay this exact case with:\n  REHEARSAL_CASE='{json}' cargo test -p rehearsal-tests --test mailbox replay_case -- --nocapture",
        case.seed
    )
}

/// Property 2: what each policy leaves, on a consumer that does not run
/// while `n` messages arrive from outside.
fn check_policy(policy: Overflow, cap: u32, n: u32) -> Result<(), String> {
    let mut sys = System::new(Config::seeded(1));
    let c = sys.spawn_with("c", Consumer { got: vec![] }, MailboxConfig::bounded(cap, policy));
    for seq in 1..=n {
        sys.send(c, Item { producer: 0, seq });
    }
    let _ = sys.run_until_idle();
    let got: Vec<u32> = sys.state(c, |c: &Consumer| c.got.iter().map(|g| g.1).collect()).unwrap_or_default();
    let kept = n.min(cap);
    let expect: Vec<u32> = match policy {
        Overflow::DropOldest => (n - kept + 1..=n).collect(),
        Overflow::DropNewest | Overflow::Reject => (1..=kept).collect(),
        // The test is the blocked sender: it waits while the consumer drains.
        Overflow::Block => (1..=n).collect(),
        Overflow::Fail => (1..=kept).collect(),
    };
    if policy == Overflow::Fail {
        // The owner fails at the first overflow and, unsupervised, stops.
        if n > cap && sys.is_alive(c) {
            return Err("2: fail policy: the owner is still alive after an overflow".into());
        }
        return Ok(());
    }
    if got != expect {
        return Err(format!("2: {policy:?} cap {cap} after {n} sends kept {got:?}, expected {expect:?}"));
    }
    let dropped = sys.stats().dead_letters;
    let want = if policy == Overflow::Block { 0 } else { u64::from(n - kept) };
    if dropped != want {
        return Err(format!("2: {policy:?}: {dropped} dead letters, expected {want}"));
    }
    Ok(())
}

/// Property 4: with credit, in flight never exceeds what was granted, and
/// nothing is dropped.
#[derive(Debug)]
enum CMsg {
    Data(#[allow(dead_code)] u32),
    Go(Addr<CMsg>, u32),
}

struct CProducer {
    to: Option<Addr<CMsg>>,
    left: u32,
    sent: u32,
}

impl CProducer {
    fn pump(&mut self, ctx: &mut Context<'_, Self>) {
        if let Some(to) = self.to {
            while self.left > 0 && ctx.send_credited(to, CMsg::Data(self.sent)).is_ok() {
                self.sent += 1;
                self.left -= 1;
            }
        }
    }
}

impl Actor for CProducer {
    type Msg = CMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: CMsg) -> Handled {
        if let CMsg::Go(to, n) = msg {
            self.to = Some(to);
            self.left = n;
            self.pump(ctx);
        }
        Ok(())
    }
    fn on_credit(&mut self, ctx: &mut Context<'_, Self>, _: ActorId, _: u32) -> Handled {
        self.pump(ctx);
        Ok(())
    }
}

struct CConsumer {
    producer: Option<Addr<CMsg>>,
    granted: u32,
    handled: u32,
    refill: u32,
}

impl Actor for CConsumer {
    type Msg = CMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: CMsg) -> Handled {
        match msg {
            CMsg::Go(p, window) => {
                self.producer = Some(p);
                self.granted += window;
                ctx.grant(p, window);
            }
            CMsg::Data(_) => {
                self.handled += 1;
                if self.handled % self.refill == 0 {
                    if let Some(p) = self.producer {
                        self.granted += self.refill;
                        ctx.grant(p, self.refill);
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_credit(window: u32, refill: u32, total: u32, seed: u64) -> Result<(), String> {
    let mut sys = System::new(Config::seeded(seed));
    let c = sys.spawn_with(
        "c",
        CConsumer { producer: None, granted: 0, handled: 0, refill },
        MailboxConfig::bounded(window, Overflow::DropNewest),
    );
    let p = sys.spawn("p", CProducer { to: None, left: 0, sent: 0 });
    sys.send(c, CMsg::Go(p, window));
    sys.send(p, CMsg::Go(c, total));
    loop {
        let step = sys.step();
        let sent = sys.state(p, |p: &CProducer| p.sent).unwrap_or(0);
        let (granted, handled) = sys.state(c, |c: &CConsumer| (c.granted, c.handled)).unwrap_or((0, 0));
        if sent - handled > granted - handled {
            return Err(format!("4: {} in flight with {} credit outstanding", sent - handled, granted - handled));
        }
        if !matches!(step, Step::Delivered(_) | Step::Advanced(_)) {
            break;
        }
    }
    if sys.stats().dead_letters != 0 {
        return Err(format!("4: {} messages dropped under credit", sys.stats().dead_letters));
    }
    Ok(())
}

proptest! {
    #![proptest_config(rehearsal_tests::proptest_config(256))]

    #[test]
    fn mailbox_properties(case in case()) {
        if let Err(why) = check(&case) {
            prop_assert!(false, "property {why}\n{}", replay_command(&case));
        }
    }

    #[test]
    fn policies_leave_what_they_promise(policy in policy(), cap in 1u32..8, n in 0u32..20) {
        prop_assert_eq!(check_policy(policy, cap, n), Ok(()));
    }

    #[test]
    fn credit_bounds_what_is_in_flight(window in 1u32..6, refill in 1u32..4, total in 0u32..40, seed in any::<u64>()) {
        prop_assert_eq!(check_credit(window, refill.min(window), total, seed), Ok(()));
    }
}

/// Replays the case in `REHEARSAL_CASE`, or a fixed case without it.
#[test]
fn replay_case() {
    let case: Case = match std::env::var("REHEARSAL_CASE") {
        Ok(json) => serde_json::from_str(&json).expect("REHEARSAL_CASE holds a case as JSON"),
        Err(_) => Case {
            consumers: vec![(2, Overflow::Block, 1), (3, Overflow::DropOldest, 2)],
            producers: vec![vec![(0, 5, Mode::Send), (1, 4, Mode::TrySend)], vec![(0, 3, Mode::Send)]],
            faults: vec![(1, 20)],
            seed: 9,
        },
    };
    if let Err(why) = check(&case) {
        panic!("property {why}\n{}", replay_command(&case));
    }
}
