//! Each overflow policy, blocking, deadlocks, credit and batching.

use rehearsal::supervision::Strategy;
use rehearsal::{
    Actor, ActorId, Addr, ChildSpec, Context, DeadLetterReason, Down, EventKind, Handled, MailboxConfig, Overflow,
    RunOutcome, SupervisorSpec, System,
};
use rehearsal_tests::{kinds_where, run_conserved, Log, Recorder};

use crate::actors::{burst, pair_about_to_deadlock, sys, Batcher};

/// Sends 1..=n from outside to a fresh recorder with `mailbox`, then runs.
fn fill(policy: Overflow, capacity: u32, n: u32) -> (System, Log, Addr<u32>) {
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(capacity, policy));
    for i in 1..=n {
        sys.send(r, i);
        assert!(sys.mailbox(r).unwrap().depth <= capacity, "capacity exceeded");
    }
    run_conserved(&mut sys);
    (sys, log, r)
}

#[test]
fn drop_newest_keeps_the_queue_and_dead_letters_the_newcomers() {
    let (sys, log, r) = fill(Overflow::DropNewest, 3, 5);
    assert_eq!(log.entries(), ["r:1", "r:2", "r:3"]);
    assert_eq!(sys.stats().dead(DeadLetterReason::DropNewest), 2);
    let m = sys.mailbox(r).unwrap();
    assert_eq!((m.drops, m.high_water, m.capacity), (2, 3, 3));
}

#[test]
fn drop_oldest_keeps_exactly_the_newest_in_order() {
    let (sys, log, _) = fill(Overflow::DropOldest, 3, 7);
    assert_eq!(log.entries(), ["r:5", "r:6", "r:7"]);
    let dropped: Vec<u64> =
        sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::DropOldest).map(|d| d.msg.0).collect();
    assert_eq!(dropped.len(), 4);
}

#[test]
fn reject_hands_the_message_back_to_try_send_and_changes_nothing() {
    struct P {
        to: Addr<u32>,
        back: Vec<u32>,
    }
    impl Actor for P {
        type Msg = u32;
        fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
            for i in 0..n {
                if let Err(r) = ctx.try_send(self.to, i) {
                    self.back.push(r.msg);
                }
            }
            Ok(())
        }
    }
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(2, Overflow::Reject));
    let p = sys.spawn("p", P { to: r, back: vec![] });
    sys.send(p, 5);
    run_conserved(&mut sys);
    assert_eq!(log.entries(), ["r:0", "r:1"]);
    assert_eq!(sys.state(p, |p: &P| p.back.clone()), Some(vec![2, 3, 4]));
    let s = sys.stats();
    assert_eq!((s.rejected_back, s.dead_letters), (3, 0));
    // A plain send to a full rejecting mailbox is a dead letter `rejected`.
    let (sys, _, _) = fill(Overflow::Reject, 1, 3);
    assert_eq!(sys.stats().dead(DeadLetterReason::Rejected), 2);
}

#[test]
fn block_parks_the_sender_until_there_is_room_and_loses_nothing() {
    let (mut sys, log) = (sys(), Log::new());
    let r = sys.spawn_with("r", Recorder::new("r", &log), MailboxConfig::bounded(2, Overflow::Block));
    let b = sys.spawn("b", burst("burst", r, &log));
    sys.send(b, 6);
    sys.send(b, 0);
    run_conserved(&mut sys);
    let e = log.entries();
    // Burst handled nothing while any of its sends was parked: the last one
    // was admitted when r took 4, so "burst:next" comes after "r:4".
    let pos = |x: &str| e.iter().position(|y| y == x).unwrap_or_else(|| panic!("{x} missing in {e:?}"));
    assert!(pos("burst:next") > pos("r:4"), "{e:?}");
    let handled: Vec<u32> = e.iter().filter_map(|x| x.strip_prefix("r:")).map(|n| n.parse().unwrap()).collect();
    assert_eq!(handled, [1, 2, 3, 4, 5, 6], "nothing lost, FIFO kept");
    assert_eq!(kinds_where(&sys, |k| matches!(k, EventKind::Admitted { .. })).len(), 4);
    assert_eq!(sys.stats().dead_letters, 0);
    assert!(sys.blocked().is_empty());
}

/// Logs what it gets; stops itself (an exit, not a failure) on 1.
struct Quitter {
    log: Log,
}

impl Actor for Quitter {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n == 1 {
            ctx.stop();
        } else {
            self.log.push(format!("q:{n}"));
        }
        Ok(())
    }
}

#[test]
fn a_supervised_receiver_that_exits_lets_parked_sends_in_and_their_sender_go_on() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let sup =
        sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), move || {
            let l = l.clone();
            vec![ChildSpec::new("q", move || Quitter { log: l.clone() })
                .mailbox(MailboxConfig::bounded(2, Overflow::Block))]
        });
    let q = sys.child::<u32>(sup, "q").unwrap();
    let b = sys.spawn("b", burst("burst", q, &log));
    // 1 and 2 are queued, 3, 4 and 5 parked: b waits.
    sys.send(b, 5);
    sys.send(b, 0);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle, "no send may stay parked: {:?}", sys.blocked());
    assert!(sys.stats().conserved());
    // q took 1 (which let 3 in) and exited: 2 and 3 were still queued, and
    // its emptied mailbox let 4 and 5 in, for the restarted q.
    assert_eq!(sys.stats().dead(DeadLetterReason::PendingAtStop), 2);
    assert_eq!(sys.incarnation(q), Some(1));
    // b went on as soon as 5 got in (before the restarted q ran).
    let e = log.entries();
    assert_eq!(e.iter().filter(|x| x.starts_with("q:")).collect::<Vec<_>>(), ["q:4", "q:5"], "{e:?}");
    assert!(e.contains(&"burst:next".to_string()), "{e:?}");
    assert!(sys.blocked().is_empty());
}

#[test]
fn a_block_timeout_dead_letters_the_parked_send() {
    // A receiver that is suspended (waiting for a restart backoff) cannot drain.
    let (mut sys, log2) = (self::sys(), Log::new());
    let l = log2.clone();
    let backoff = rehearsal::supervision::Backoff { min: 50, max: 50, random_factor: 0.0, reset_after: 1000 };
    let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(5, 1000).backoff(backoff);
    let sup = sys.spawn_supervisor("sup", spec, move || {
        let l = l.clone();
        vec![ChildSpec::new("slow", move || Crashy { log: l.clone() })
            .mailbox(MailboxConfig::bounded(1, Overflow::Block).block_timeout(5))]
    });
    let slow = sys.child::<u32>(sup, "slow").unwrap();
    let b = sys.spawn("b", burst("burst", slow, &log2));
    sys.send(slow, 0); // crashes: slow waits 50 ticks for its restart
    let _ = sys.run_for(1);
    sys.send(slow, 7);
    sys.send(b, 1); // parks: slow's mailbox is full and slow is suspended
    run_conserved(&mut sys);
    assert_eq!(sys.stats().dead(DeadLetterReason::BlockTimeout), 1);
    assert!(sys.blocked().is_empty());
}

/// Crashes on 0, logs the rest.
struct Crashy {
    log: Log,
}

impl Actor for Crashy {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n == 0 {
            panic!("zero");
        }
        self.log.push(format!("crashy:{n}"));
        Ok(())
    }
}

#[test]
fn a_cycle_of_parked_senders_is_a_reported_deadlock() {
    let mut sys = sys();
    let (p, q) = pair_about_to_deadlock(&mut sys);
    assert_eq!(sys.run_until_idle(), RunOutcome::Deadlock);
    let mut blocked = sys.blocked();
    blocked.sort();
    assert_eq!(blocked, vec![p.id(), q.id()]);
    let reported = kinds_where(&sys, |k| matches!(k, EventKind::Deadlock { .. }));
    assert!(!reported.is_empty());
    assert!(!sys.deadlocks().is_empty(), "the cycle was found when the second actor parked");
    assert!(sys.stats().conserved());
}

#[test]
fn fail_policy_fails_the_receiver_and_supervision_restarts_it() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), move || {
        let l = l.clone();
        vec![ChildSpec::new("r", move || Recorder::new("r", &l)).mailbox(MailboxConfig::bounded(2, Overflow::Fail))]
    });
    let r = sys.child::<u32>(sup, "r").unwrap();
    for i in 1..=3 {
        sys.send(r, i);
    }
    run_conserved(&mut sys);
    assert_eq!(sys.stats().dead(DeadLetterReason::MailboxOverflow), 1);
    assert_eq!(sys.incarnation(r), Some(1));
    // The old incarnation ran post_stop (the default pre_restart); the queue survived.
    assert_eq!(log.entries(), ["r:post_stop", "r:1", "r:2"]);
}

#[derive(Debug)]
enum Flow {
    Data(u32),
    Start(Addr<Flow>, u32),
}

/// Sends `left` numbers to `to` as credit allows.
struct Producer {
    to: Option<Addr<Flow>>,
    left: u32,
    next: u32,
    max_credit_seen: u32,
}

impl Producer {
    fn pump(&mut self, ctx: &mut Context<'_, Self>) {
        let Some(to) = self.to else { return };
        self.max_credit_seen = self.max_credit_seen.max(ctx.credit(to));
        while self.left > 0 {
            match ctx.send_credited(to, Flow::Data(self.next)) {
                Ok(_) => {
                    self.next += 1;
                    self.left -= 1;
                }
                Err(_) => break,
            }
        }
    }
}

impl Actor for Producer {
    type Msg = Flow;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Flow) -> Handled {
        if let Flow::Start(to, n) = msg {
            self.to = Some(to);
            self.left = n;
            self.pump(ctx);
        }
        Ok(())
    }
    fn on_credit(&mut self, ctx: &mut Context<'_, Self>, _from: ActorId, _n: u32) -> Handled {
        self.pump(ctx);
        Ok(())
    }
}

/// Grants credit in windows of `window`, one more per message handled.
struct Consumer {
    window: u32,
    got: Vec<u32>,
}

impl Actor for Consumer {
    type Msg = Flow;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Flow) -> Handled {
        match msg {
            Flow::Start(p, _) => ctx.grant(p, self.window),
            Flow::Data(n) => self.got.push(n),
        }
        Ok(())
    }
}

#[test]
fn credit_flow_never_exceeds_the_grant_and_drops_nothing() {
    let mut sys = sys();
    let c = sys.spawn_with("c", Consumer { window: 3, got: vec![] }, MailboxConfig::bounded(3, Overflow::DropNewest));
    let p = sys.spawn("p", Producer { to: None, left: 0, next: 0, max_credit_seen: 0 });
    sys.send(c, Flow::Start(p, 0));
    sys.send(p, Flow::Start(c, 10));
    run_conserved(&mut sys);
    // Only the first window was granted: three messages, no drops.
    assert_eq!(sys.state(c, |c: &Consumer| c.got.clone()), Some(vec![0, 1, 2]));
    assert_eq!(sys.stats().dead_letters, 0);
    sys.send(c, Flow::Start(p, 0));
    run_conserved(&mut sys);
    assert_eq!(sys.state(c, |c: &Consumer| c.got.len()), Some(6));
    assert_eq!(sys.stats().dead_letters, 0);
}

#[test]
fn batching_takes_up_to_k_messages_in_order() {
    let mut sys = sys();
    let b = sys.spawn_with("b", Batcher::default(), MailboxConfig::UNBOUNDED.batch(4));
    for i in 0..10 {
        sys.send(b, i);
    }
    run_conserved(&mut sys);
    assert_eq!(sys.state(b, |b: &Batcher| b.sizes.clone()), Some(vec![4, 4, 2]));
    assert_eq!(sys.state(b, |b: &Batcher| b.seen.clone()), Some((0..10).collect()));
    assert_eq!(sys.steps(), 3);
    assert_eq!(sys.stats().handled, 10);
}

/// A watcher with a tiny mailbox.
struct Watcher {
    downs: u32,
}

impl Actor for Watcher {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _n: u32) -> Handled {
        Ok(())
    }
    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, _down: Down) -> Handled {
        self.downs += 1;
        Ok(())
    }
}

#[test]
fn notifications_bypass_capacity() {
    let (mut sys, log) = (sys(), Log::new());
    let w = sys.spawn_with("w", Watcher { downs: 0 }, MailboxConfig::bounded(1, Overflow::DropNewest));
    let targets: Vec<Addr<u32>> = (0..3).map(|i| sys.spawn(&format!("t{i}"), Recorder::new("t", &log))).collect();
    for &t in &targets {
        sys.monitor(w, t);
    }
    sys.send(w, 1);
    for &t in &targets {
        sys.kill(t);
    }
    assert_eq!(sys.mailbox(w).unwrap().depth, 4, "one message and three Downs");
    run_conserved(&mut sys);
    assert_eq!(sys.state(w, |w: &Watcher| w.downs), Some(3));
    assert_eq!(sys.stats().dead(DeadLetterReason::DropNewest), 0);
}

/// Logs the numbers it gets and the Downs, in the order it handles them.
struct LogWatcher {
    log: Log,
}

impl Actor for LogWatcher {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        self.log.push(format!("w:{n}"));
        Ok(())
    }
    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, _down: Down) -> Handled {
        self.log.push("w:down");
        Ok(())
    }
}

#[test]
fn a_notification_goes_ahead_of_parked_sends() {
    let (mut sys, log) = (sys(), Log::new());
    let w = sys.spawn_with("w", LogWatcher { log: log.clone() }, MailboxConfig::bounded(1, Overflow::Block));
    let t = sys.spawn("t", Recorder::new("t", &log));
    sys.monitor(w, t);
    let b = sys.spawn("b", burst("burst", w, &log));
    sys.send(b, 3);
    // b's send of 1 is queued, 2 and 3 are parked.
    assert_eq!(sys.step(), rehearsal::Step::Delivered(b.id()));
    assert_eq!(sys.blocked(), [b.id()]);
    sys.kill(t);
    run_conserved(&mut sys);
    // The Down is queued behind 1, and ahead of what was still parked.
    assert_eq!(log.entries(), ["w:1", "w:down", "w:2", "w:3"]);
    assert!(sys.blocked().is_empty());
}
