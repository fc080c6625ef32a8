//! Parked sends (policy block) at the edges: a capacity raised by a fault,
//! sends made by code that runs while an actor exits or stops, many runs of
//! parked sends, stopped senders, abandoned outside sends, batching, and
//! tracing on and off. Several were bugs, found by a review.

use rehearsal::faults::FaultPlan;
use rehearsal::{
    Actor, Addr, AskError, Config, Context, DeadLetterReason, Handled, MailboxConfig, Overflow, ReplyTo, RunOutcome,
    Step, System,
};
use rehearsal_tests::{run_conserved, Log, Recorder};

use crate::actors::{burst, pair_about_to_deadlock, sys, Batcher, Pair, PairMsg};

// A `shrink_mailbox` rule that raises the capacity makes room while sends
// are parked: they get in at once, ahead of any later send, which then
// finds room and is queued, not parked.

#[test]
fn growing_capacity_then_a_send_with_room_is_not_parked() {
    let plan = FaultPlan::from_toml_str(
        "[[rule]]\nname='grow'\nactors='r'\nat_message=1\naction='shrink_mailbox'\ncapacity=10\n",
        "plan.toml",
    )
    .unwrap();
    let mut sys = System::new(Config::seeded(5).faults(plan));
    let log = Log::new();
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(1, Overflow::Block));
    let b = sys.spawn("b", burst("b", r, &log));
    sys.send(b, 3);
    // b: 1 queued, 2 and 3 parked.
    assert_eq!(sys.step(), Step::Delivered(b.id()));
    assert_eq!(sys.blocked(), [b.id()]);
    // r takes 1 (2 gets in), its capacity becomes 10.
    assert_eq!(sys.step(), Step::Delivered(r.id()));
    assert_eq!(sys.mailbox(r).unwrap().capacity, 10);
    assert_eq!(log.entries(), ["r:1"]);
    // A send from outside into a mailbox with room (depth 1 < 10) goes in at
    // once: System::send must not run the system.
    let steps = sys.steps();
    sys.send(r, 100);
    assert_eq!(sys.steps(), steps, "a send into a mailbox with room waited (ran steps): log {:?}", log.entries());
    run_conserved(&mut sys);
    assert!(sys.blocked().is_empty());
}

// A send made to an actor while it is being stopped for good (by an ask's
// answer, run by a dead letter of that stop) is a dead letter too, never
// lost, and the next actor in the slot starts clean.

#[derive(Debug)]
#[allow(dead_code)] // The fields travel, only the kinds matter here.
enum SelfAsk {
    Go,
    Fill,
    Req(ReplyTo<u32>),
    Answer(bool),
}

struct Asker;

impl Actor for Asker {
    type Msg = SelfAsk;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: SelfAsk) -> Handled {
        if let SelfAsk::Go = msg {
            let me = ctx.addr();
            // Fills the mailbox (capacity 1); the request then parks on it.
            ctx.send(me, SelfAsk::Fill);
            ctx.ask(me, SelfAsk::Req, 1000, |r: Result<u32, AskError>| SelfAsk::Answer(r.is_ok()));
        }
        Ok(())
    }
}

/// A system whose actor `a` (a mailbox of one, policy block) was told to go:
/// in its first step it parks an ask to itself on its own mailbox.
fn an_asker_of_itself() -> (System, Addr<SelfAsk>) {
    let mut sys = System::new(Config::seeded(5).max_steps(1_000));
    let a = sys.spawn_with("a", Asker, MailboxConfig::bounded(1, Overflow::Block));
    sys.send(a, SelfAsk::Go);
    (sys, a)
}

/// Spawns a recorder `n` (into the slot the asker freed), sends it 1 and
/// runs; returns its log, its address and how the run ended.
fn a_recorder_in_the_freed_slot(sys: &mut System) -> (Log, Addr<u32>, RunOutcome) {
    let log = Log::new();
    let n = sys.spawn("n", Recorder::new("n", &log));
    sys.send(n, 1);
    let outcome = sys.run_until_idle();
    (log, n, outcome)
}

#[test]
fn a_send_made_while_flow_forget_runs_is_not_lost() {
    let (mut sys, a) = an_asker_of_itself();
    assert_eq!(sys.step(), Step::Delivered(a.id()));
    assert_eq!(sys.blocked(), [a.id()], "a waits on its own mailbox");
    sys.kill(a);
    assert!(!sys.is_alive(a));
    let s = sys.stats();
    assert!(s.conserved(), "{s:?}");
    assert_eq!(s.queued, 0, "nothing is alive to hold a message, yet {} counted queued: {s:?}", s.queued);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle, "blocked: {:?}", sys.blocked());
    // The next actor takes the slot: it must not inherit anything.
    let (log, n, outcome) = a_recorder_in_the_freed_slot(&mut sys);
    assert_eq!(log.entries(), ["n:1"]);
    assert_eq!((outcome, sys.steps()), (RunOutcome::Idle, 2), "mailbox len {:?}", sys.mailbox_len(n));
}

/// Past the counters of the test before: the run ends idle, and the next
/// actor in the freed slot starts clean (once, a stale parked entry made it
/// admit a phantom item and take empty deliveries until the step limit).
#[test]
fn a_send_made_while_flow_forget_runs_leaves_the_reused_slot_clean() {
    let (mut sys, a) = an_asker_of_itself();
    assert_eq!(sys.step(), Step::Delivered(a.id()));
    sys.kill(a);
    let idle = sys.run_until_idle();
    let (log, n, outcome) = a_recorder_in_the_freed_slot(&mut sys);
    assert_eq!(
        (idle, outcome, sys.steps(), sys.mailbox_len(n)),
        (RunOutcome::Idle, RunOutcome::Idle, 2, Some(0)),
        "log {:?}",
        log.entries()
    );
}

// Runs of parked sends, stopped senders, abandoned outside sends,
// batching, tracing.

/// More than 64 runs on one mailbox: `Runs::pop_front` compacts; every
/// sender is let go when its own run ends, FIFO per sender kept.
#[test]
fn many_runs_compact_and_every_sender_goes_on() {
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(1, Overflow::Block));
    let senders: Vec<Addr<u32>> =
        (0..100).map(|i| sys.spawn(&format!("s{i}"), burst(&format!("s{i}"), r, &log))).collect();
    for &s in &senders {
        sys.send(s, 2);
        sys.send(s, 0);
    }
    run_conserved(&mut sys);
    assert!(sys.blocked().is_empty());
    let e = log.entries();
    assert_eq!(e.iter().filter(|x| x.starts_with("r:")).count(), 200);
    for i in 0..100 {
        assert!(e.contains(&format!("s{i}:next")), "s{i} never went on");
    }
    assert_eq!(sys.stats().dead_letters, 0);
}

/// A sender killed while its run is parked, and a new actor in its slot
/// that parks on the same mailbox: the old run must not count for the new
/// actor, and the new actor goes on when its own sends get in.
#[test]
fn a_stopped_senders_slot_reused_by_a_new_sender() {
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(1, Overflow::Block));
    let a = sys.spawn("a", burst("a", r, &log));
    sys.send(a, 6);
    assert_eq!(sys.step(), Step::Delivered(a.id()));
    sys.kill(a);
    let n = sys.spawn("n", burst("n", r, &log));
    sys.send(n, 2);
    sys.send(n, 0);
    while sys.step() != Step::Delivered(n.id()) {}
    assert_eq!(sys.blocked(), [n.id()], "log {:?}", log.entries());
    run_conserved(&mut sys);
    assert!(sys.blocked().is_empty());
    let e = log.entries();
    let rs: Vec<&String> = e.iter().filter(|x| x.starts_with("r:")).collect();
    assert_eq!(rs, ["r:1", "r:2", "r:3", "r:4", "r:5", "r:6", "r:1", "r:2"], "{e:?}");
    assert_eq!(e.last().map(String::as_str), Some("n:next"), "{e:?}");
}

/// System::send's parked message abandoned (deadlock) while an actor's run
/// is parked behind it: `Runs::remove` in the middle; the runs around it
/// keep their counts.
#[test]
fn abandoning_an_outside_send_in_the_middle_of_runs() {
    let mut sys = sys();
    let (p, q) = pair_about_to_deadlock(&mut sys);
    assert_eq!(sys.run_until_idle(), RunOutcome::Deadlock);
    // c will park two sends on p while the outside send below waits.
    let c = sys.spawn("c", Pair { peer: Some(p) });
    sys.send(c, PairMsg::Go(2));
    let x = sys.send(p, PairMsg::Go(0));
    assert!(sys.dead_letters().iter().any(|d| d.msg == x && d.reason == DeadLetterReason::Deadlock));
    let mut blocked = sys.blocked();
    blocked.sort();
    assert_eq!(blocked, [p.id(), q.id(), c.id()]);
    assert!(sys.stats().conserved());
    // Killing p dead-letters what is parked on it: q and c go on.
    sys.kill(p);
    assert!(!sys.blocked().contains(&c.id()), "c still blocked: {:?}", sys.blocked());
    assert!(!sys.blocked().contains(&q.id()), "q still blocked: {:?}", sys.blocked());
    run_conserved(&mut sys);
    assert_eq!(sys.stats().queued, 0);
    assert!(sys.blocked().is_empty());
}

/// Batching takes what got in meanwhile, in order, and nothing more than is
/// queued.
#[test]
fn batch_with_parked_sends() {
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Batcher::default(), MailboxConfig::bounded(2, Overflow::Block).batch(4));
    let b = sys.spawn("b", burst("b", r, &log));
    sys.send(b, 7);
    sys.send(b, 0);
    run_conserved(&mut sys);
    assert_eq!(sys.state(r, |b: &Batcher| b.seen.clone()), Some((1..=7).collect()));
    assert!(sys.blocked().is_empty());
    assert_eq!(log.entries(), ["b:next"]);
}

/// The fast path of park_send (trace off) and the traced path give the same
/// run.
#[test]
fn trace_on_and_off_agree() {
    fn run(trace: bool) -> Vec<String> {
        let cfg = Config::seeded(9);
        let cfg = if trace { cfg.trace(rehearsal::TraceLevel::Payloads) } else { cfg };
        let (mut sys, log) = (System::new(cfg), Log::new());
        let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(2, Overflow::Block));
        let senders: Vec<Addr<u32>> =
            (0..5).map(|i| sys.spawn(&format!("s{i}"), burst(&format!("s{i}"), r, &log))).collect();
        for (i, &s) in senders.iter().enumerate() {
            sys.send(s, 3 + i as u32);
            sys.send(s, 0);
        }
        run_conserved(&mut sys);
        assert!(sys.blocked().is_empty());
        log.entries()
    }
    assert_eq!(run(false), run(true));
}

// A supervised actor that exits with sends parked on it: code run by its
// mailbox's dead letters (an ask's answer) may send to it; that send goes
// behind the parked ones, whose block timeouts and senders stay right.

struct StopAsker;

impl Actor for StopAsker {
    type Msg = SelfAsk;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: SelfAsk) -> Handled {
        if let SelfAsk::Go = msg {
            let me = ctx.addr();
            // Queued: the mailbox (capacity 1) is now full.
            ctx.ask(me, SelfAsk::Req, 1000, |r: Result<u32, AskError>| SelfAsk::Answer(r.is_ok()));
            // Parked on its own mailbox, with a block timeout of 5.
            ctx.send(me, SelfAsk::Fill);
            ctx.stop();
        }
        Ok(())
    }
}

#[test]
fn a_send_during_an_exits_drain_does_not_take_a_parked_sends_place() {
    use rehearsal::supervision::{Backoff, Strategy};
    use rehearsal::{ChildSpec, SupervisorSpec};
    let mut sys = System::new(Config::seeded(5).max_steps(10_000));
    let backoff = Backoff { min: 50, max: 50, random_factor: 0.0, reset_after: 1000 };
    let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(5, 1000).backoff(backoff);
    let sup = sys.spawn_supervisor("sup", spec, || {
        vec![ChildSpec::new("s", || StopAsker).mailbox(MailboxConfig::bounded(1, Overflow::Block).block_timeout(5))]
    });
    let s = sys.child::<SelfAsk>(sup, "s").unwrap();
    sys.send(s, SelfAsk::Go);
    let outcome = sys.run_until_idle();
    let st = sys.stats();
    assert_eq!(
        (outcome, st.dead(DeadLetterReason::BlockTimeout), sys.blocked()),
        (RunOutcome::Idle, 1, vec![]),
        "{st:?}"
    );
}
