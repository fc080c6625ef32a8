//! Each supervision rule on a hand-written tree (SPEC sections 3 and 4).

use rehearsal::supervision::{Backoff, RestartType, Shutdown, Strategy};
use rehearsal::{
    Actor, Addr, ChildSpec, Config, Context, DeadLetterReason, Directive, Down, EventKind, Exit, Handled, MsgId,
    ReplyTo, RunOutcome, StopReason, SupervisorMsg, SupervisorSpec, System,
};
use rehearsal_tests::{kinds_where, run_conserved, Log};

#[derive(Debug)]
enum Msg {
    Work(u32),
    Crash(&'static str),
    Exit,
    Get(ReplyTo<(u32, Vec<u32>)>),
}

/// A worker that counts and remembers its work, and logs its hooks as
/// `name#incarnation:hook`.
struct W {
    name: &'static str,
    log: Log,
    count: u32,
    seen: Vec<u32>,
}

impl W {
    fn spec(name: &'static str, log: &Log) -> ChildSpec {
        let log = log.clone();
        ChildSpec::new(name, move || W { name, log: log.clone(), count: 0, seen: vec![] })
    }

    fn note(&self, ctx: &Context<'_, Self>, what: &str) {
        self.log.push(format!("{}#{}:{what}", self.name, ctx.incarnation()));
    }
}

impl Actor for W {
    type Msg = Msg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Msg) -> Handled {
        match msg {
            Msg::Work(n) => {
                self.count += 1;
                self.seen.push(n);
            }
            Msg::Crash(why) => panic!("{why}"),
            Msg::Exit => ctx.stop(),
            Msg::Get(r) => ctx.reply(r, (self.count, self.seen.clone())),
        }
        Ok(())
    }

    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        self.note(ctx, "pre_start");
        Ok(())
    }

    fn post_stop(&mut self, ctx: &mut Context<'_, Self>) {
        self.note(ctx, "post_stop");
    }

    fn pre_restart(&mut self, ctx: &mut Context<'_, Self>, _: &StopReason, _: Option<MsgId>) {
        self.note(ctx, "pre_restart");
    }

    fn post_restart(&mut self, ctx: &mut Context<'_, Self>, _: &StopReason) -> Handled {
        self.note(ctx, "post_restart");
        Ok(())
    }
}

fn sys() -> System {
    System::new(Config::seeded(11))
}

fn child(sys: &System, sup: Addr<SupervisorMsg>, name: &str) -> Addr<Msg> {
    sys.child::<Msg>(sup, name).unwrap_or_else(|| panic!("no live child {name}"))
}

fn state(sys: &mut System, a: Addr<Msg>) -> (u32, Vec<u32>) {
    sys.ask(a, Msg::Get, 10).expect("a live worker answers")
}

fn three(sys: &mut System, strategy: Strategy, log: &Log, types: [RestartType; 3]) -> Addr<SupervisorMsg> {
    let log = log.clone();
    sys.spawn_supervisor("sup", SupervisorSpec::new(strategy).intensity(10, 10), move || {
        vec![
            W::spec("a", &log).restart(types[0]),
            W::spec("b", &log).restart(types[1]),
            W::spec("c", &log).restart(types[2]),
        ]
    })
}

const PERM: [RestartType; 3] = [RestartType::Permanent; 3];

#[test]
fn one_for_one_restarts_only_the_failed_child() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(&mut sys, Strategy::OneForOne, &log, PERM);
    let (a, b, c) = (child(&sys, sup, "a"), child(&sys, sup, "b"), child(&sys, sup, "c"));
    for w in [a, b, c] {
        sys.send(w, Msg::Work(1));
    }
    sys.send(b, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!(state(&mut sys, a), (1, vec![1]));
    assert_eq!(state(&mut sys, c), (1, vec![1]));
    assert_eq!(state(&mut sys, b), (0, vec![]), "b is a fresh incarnation");
    assert_eq!((sys.incarnation(a), sys.incarnation(b), sys.incarnation(c)), (Some(0), Some(1), Some(0)));
}

#[test]
fn one_for_all_restarts_every_non_temporary_child_and_drops_temporary_ones() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(
        &mut sys,
        Strategy::OneForAll,
        &log,
        [RestartType::Permanent, RestartType::Transient, RestartType::Temporary],
    );
    let (a, b, c) = (child(&sys, sup, "a"), child(&sys, sup, "b"), child(&sys, sup, "c"));
    sys.send(a, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!((sys.incarnation(a), sys.incarnation(b)), (Some(1), Some(1)));
    assert!(!sys.is_alive(c), "the temporary child is gone");
    let names: Vec<String> = sys.children(sup).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn rest_for_one_restarts_the_failed_child_and_younger_ones() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(&mut sys, Strategy::RestForOne, &log, PERM);
    let (a, b, c) = (child(&sys, sup, "a"), child(&sys, sup, "b"), child(&sys, sup, "c"));
    sys.send(a, Msg::Work(7));
    sys.send(b, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!((sys.incarnation(a), sys.incarnation(b), sys.incarnation(c)), (Some(0), Some(1), Some(1)));
    assert_eq!(state(&mut sys, a), (1, vec![7]), "the older sibling keeps its state");
}

#[test]
fn group_restart_stops_youngest_first_and_starts_in_spec_order() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(&mut sys, Strategy::OneForAll, &log, PERM);
    let b = child(&sys, sup, "b");
    sys.send(b, Msg::Crash("boom"));
    run_conserved(&mut sys);
    let after: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(
        after,
        [
            "c#0:pre_restart",
            "b#0:pre_restart",
            "a#0:pre_restart",
            "a#1:post_restart",
            "b#1:post_restart",
            "c#1:post_restart"
        ]
    );
    let _ = sup;
}

/// A nested supervisor `inner` (intensity 2 in 10 ticks) with one worker,
/// under a permanent `outer` that tolerates much more.
fn nested(sys: &mut System, log: &Log, inner_spec: SupervisorSpec) -> Addr<SupervisorMsg> {
    let log = log.clone();
    sys.spawn_supervisor("outer", SupervisorSpec::new(Strategy::OneForOne).intensity(100, 10), move || {
        let log = log.clone();
        vec![ChildSpec::supervisor("inner", inner_spec.clone(), move || vec![W::spec("w", &log)])]
    })
}

fn inner_w(sys: &System, outer: Addr<SupervisorMsg>) -> (Addr<SupervisorMsg>, Addr<Msg>) {
    let inner = sys.child::<SupervisorMsg>(outer, "inner").expect("inner is alive");
    (inner, child(sys, inner, "w"))
}

#[test]
fn intensity_exactly_at_the_limit_keeps_restarting() {
    let (mut sys, log) = (sys(), Log::new());
    let outer = nested(&mut sys, &log, SupervisorSpec::new(Strategy::OneForOne).intensity(2, 10));
    let (inner, w) = inner_w(&sys, outer);
    for _ in 0..2 {
        sys.send(w, Msg::Crash("boom"));
        run_conserved(&mut sys);
        let _ = sys.run_for(1);
    }
    assert_eq!(sys.incarnation(w), Some(2), "two restarts within the period are allowed");
    assert_eq!(sys.incarnation(inner), Some(0), "the supervisor itself was not restarted");
    assert!(kinds_where(&sys, |k| matches!(k, EventKind::IntensityExceeded { .. })).is_empty());
}

#[test]
fn intensity_one_past_the_limit_shuts_the_supervisor_down_and_its_parent_decides() {
    let (mut sys, log) = (sys(), Log::new());
    let outer = nested(&mut sys, &log, SupervisorSpec::new(Strategy::OneForOne).intensity(2, 10));
    let (inner, w) = inner_w(&sys, outer);
    for _ in 0..3 {
        sys.send(w, Msg::Crash("boom"));
        run_conserved(&mut sys);
        let _ = sys.run_for(1);
    }
    let exceeded = kinds_where(&sys, |k| matches!(k, EventKind::IntensityExceeded { .. }));
    assert_eq!(exceeded, [EventKind::IntensityExceeded { supervisor: inner.id(), restarts: 3, period: 10 }]);
    // The worker was stopped for good, then inner exited with shutdown, and
    // outer restarted inner, which started a new worker.
    assert!(!sys.is_alive(w));
    assert!(kinds_where(&sys, |k| *k == EventKind::Stop { actor: w.id(), reason: StopReason::Shutdown }).len() == 1);
    assert!(!kinds_where(
        &sys,
        |k| matches!(k, EventKind::Decision { child, reason: StopReason::Shutdown, directive: Directive::Restart, .. } if *child == inner.id())
    )
    .is_empty());
    assert_eq!(sys.incarnation(inner), Some(1));
    let (_, w2) = inner_w(&sys, outer);
    assert_ne!(w2.id(), w.id(), "the new inner incarnation started a new worker");
    assert_eq!(sys.incarnation(w2), Some(0));
}

#[test]
fn restarts_spread_wider_than_the_period_never_exceed_it() {
    let (mut sys, log) = (sys(), Log::new());
    let outer = nested(&mut sys, &log, SupervisorSpec::new(Strategy::OneForOne).intensity(1, 5));
    let (inner, w) = inner_w(&sys, outer);
    for _ in 0..6 {
        sys.send(w, Msg::Crash("boom"));
        run_conserved(&mut sys);
        let _ = sys.run_for(5);
    }
    assert_eq!(sys.incarnation(w), Some(6));
    assert_eq!(sys.incarnation(inner), Some(0));
}

#[test]
fn restart_types_decide_after_a_normal_exit_and_a_kill() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(
        &mut sys,
        Strategy::OneForOne,
        &log,
        [RestartType::Permanent, RestartType::Transient, RestartType::Temporary],
    );
    let (a, b, c) = (child(&sys, sup, "a"), child(&sys, sup, "b"), child(&sys, sup, "c"));
    for w in [a, b, c] {
        sys.send(w, Msg::Exit);
    }
    run_conserved(&mut sys);
    assert_eq!(sys.incarnation(a), Some(1), "permanent: restarted after a normal exit");
    assert!(!sys.is_alive(b), "transient: not restarted after a normal exit");
    assert!(!sys.is_alive(c), "temporary: never restarted");

    let (mut sys, log) = (self::sys(), Log::new());
    let sup = three(
        &mut sys,
        Strategy::OneForOne,
        &log,
        [RestartType::Permanent, RestartType::Transient, RestartType::Temporary],
    );
    let (a, b, c) = (child(&sys, sup, "a"), child(&sys, sup, "b"), child(&sys, sup, "c"));
    for w in [a, b, c] {
        sys.kill(w);
    }
    run_conserved(&mut sys);
    assert_eq!((sys.incarnation(a), sys.incarnation(b)), (Some(1), Some(1)), "killed is abnormal");
    assert!(!sys.is_alive(c));
}

#[test]
fn the_failing_message_is_dead_and_the_queue_goes_to_the_new_incarnation_in_order() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(&mut sys, Strategy::OneForOne, &log, PERM);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Work(1));
    let bad = sys.send(a, Msg::Crash("boom"));
    for n in 2..6 {
        sys.send(a, Msg::Work(n));
    }
    run_conserved(&mut sys);
    assert_eq!(state(&mut sys, a), (4, vec![2, 3, 4, 5]));
    let failed: Vec<_> =
        sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::Failed).map(|d| d.msg).collect();
    assert_eq!(failed, [bad]);
    assert_eq!(sys.events().filter(|e| matches!(e.kind, EventKind::Deliver { msg, .. } if msg == bad)).count(), 1);
}

#[test]
fn a_message_sent_while_suspended_reaches_the_new_incarnation() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = three(&mut sys, Strategy::OneForOne, &log, PERM);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Crash("boom"));
    // Deliver the crash only: a is now suspended, its supervisor not yet told.
    while !sys.is_suspended(a) {
        let _ = sys.step();
    }
    sys.send(a, Msg::Work(9));
    run_conserved(&mut sys);
    assert_eq!(state(&mut sys, a), (1, vec![9]));
}

#[test]
fn resume_keeps_state_and_behaviour_and_runs_no_hooks() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne).decider(|why| {
        if why.contains("minor") {
            Directive::Resume
        } else {
            Directive::Restart
        }
    });
    let sup = sys.spawn_supervisor("sup", spec, move || vec![W::spec("a", &l)]);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Work(1));
    sys.send(a, Msg::Crash("minor glitch"));
    sys.send(a, Msg::Work(2));
    run_conserved(&mut sys);
    assert_eq!(state(&mut sys, a), (2, vec![1, 2]));
    assert_eq!(sys.incarnation(a), Some(0));
    assert_eq!(log.entries(), ["a#0:pre_start"], "no hooks ran");
}

#[test]
fn stop_directive_stops_the_child_for_good() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne).decider(|_| Directive::Stop);
    let sup = sys.spawn_supervisor("sup", spec, move || vec![W::spec("a", &l)]);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Crash("fatal"));
    sys.send(a, Msg::Work(1));
    run_conserved(&mut sys);
    assert!(!sys.is_alive(a));
    assert_eq!(log.entries(), ["a#0:pre_start", "a#0:post_stop"]);
    assert_eq!(sys.stats().dead(DeadLetterReason::PendingAtStop), 1);
}

#[test]
fn escalate_fails_the_supervisor_and_its_parent_restarts_it() {
    let (mut sys, log) = (sys(), Log::new());
    let outer = nested(&mut sys, &log, SupervisorSpec::new(Strategy::OneForOne).decider(|_| Directive::Escalate));
    let (inner, w) = inner_w(&sys, outer);
    sys.send(w, Msg::Crash("bad"));
    run_conserved(&mut sys);
    let esc = kinds_where(&sys, |k| matches!(k, EventKind::Escalate { .. }));
    assert_eq!(esc, [EventKind::Escalate { supervisor: inner.id(), child: w.id(), reason: "bad".into() }]);
    assert_eq!(sys.incarnation(inner), Some(1));
    assert!(!sys.is_alive(w), "a restarted supervisor starts new children");
    let (_, w2) = inner_w(&sys, outer);
    assert_eq!(state(&mut sys, w2), (0, vec![]));
}

#[test]
fn escalation_reaching_the_root_stops_the_system() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne).decider(|_| Directive::Escalate);
    let sup = sys.spawn_supervisor("root", spec, move || vec![W::spec("a", &l), W::spec("b", &l)]);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Crash("fatal"));
    assert_eq!(sys.run_until_idle(), RunOutcome::SystemStopped);
    assert!(sys.stopped().is_some_and(|why| why.contains("fatal")), "{:?}", sys.stopped());
    assert_eq!(sys.actor_count(), 0, "everything stopped");
    assert!(log.entries().ends_with(&["b#0:post_stop".to_string(), "a#0:post_stop".to_string()]));
}

/// A worker with a child, to see SPEC rule 16's order.
struct Parent {
    log: Log,
}

impl Actor for Parent {
    type Msg = Msg;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Msg) -> Handled {
        if let Msg::Crash(why) = msg {
            panic!("{why}");
        }
        Ok(())
    }

    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        let name = if ctx.incarnation() == 0 { "kid0" } else { "kid1" };
        ctx.spawn(name, W { name, log: self.log.clone(), count: 0, seen: vec![] });
        Ok(())
    }

    fn pre_restart(&mut self, _: &mut Context<'_, Self>, _: &StopReason, _: Option<MsgId>) {
        self.log.push("parent:pre_restart");
    }

    fn post_restart(&mut self, ctx: &mut Context<'_, Self>, _: &StopReason) -> Handled {
        self.log.push("parent:post_restart");
        self.pre_start(ctx)
    }
}

#[test]
fn restart_order_follows_rule_16() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), move || {
        let l = l.clone();
        vec![ChildSpec::new("p", move || Parent { log: l.clone() })]
    });
    let p = sys.child::<Msg>(sup, "p").expect("p");
    sys.send(p, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!(
        log.entries(),
        ["kid0#0:pre_start", "parent:pre_restart", "kid0#0:post_stop", "parent:post_restart", "kid1#0:pre_start"]
    );
}

#[test]
fn dynamic_children_start_at_run_time_and_restart_one_for_one() {
    let (mut sys, log) = (sys(), Log::new());
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), Vec::new);
    assert!(sys.children(sup).is_empty());
    sys.start_child(sup, W::spec("d1", &log)).expect("started");
    sys.start_child(sup, W::spec("d2", &log)).expect("started");
    let (d1, d2) = (child(&sys, sup, "d1"), child(&sys, sup, "d2"));
    sys.send(d2, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!((sys.incarnation(d1), sys.incarnation(d2)), (Some(0), Some(1)));
    assert_eq!(sys.children(sup).len(), 2);
}

#[test]
fn backoff_delays_the_restart_and_messages_wait_for_it() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let backoff = Backoff { min: 4, max: 100, random_factor: 0.0, reset_after: 1000 };
    let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(10, 1000).backoff(backoff);
    let sup = sys.spawn_supervisor("sup", spec, move || vec![W::spec("a", &l)]);
    let a = child(&sys, sup, "a");
    sys.send(a, Msg::Crash("boom"));
    sys.send(a, Msg::Work(1));
    let _ = sys.run_for(3);
    assert!(sys.is_suspended(a), "still in backoff at t=3");
    assert_eq!(sys.mailbox_len(a), Some(1));
    run_conserved(&mut sys);
    assert_eq!(sys.now(), 4, "restarted at t=4");
    assert_eq!(state(&mut sys, a), (1, vec![1]));
    // The second restart in a row waits twice as long.
    let t = sys.now();
    sys.send(a, Msg::Crash("boom"));
    run_conserved(&mut sys);
    assert_eq!(sys.now() - t, 8);
}

/// Records Downs and Exits.
struct Watch {
    log: Log,
    trap: bool,
}

impl Actor for Watch {
    type Msg = Msg;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Msg) -> Handled {
        if let Msg::Crash(why) = msg {
            panic!("{why}");
        }
        Ok(())
    }

    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        ctx.trap_exit(self.trap);
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Handled {
        self.log.push(format!("down {} {:?}", down.actor, down.reason));
        Ok(())
    }

    fn on_exit(&mut self, _ctx: &mut Context<'_, Self>, exit: Exit) -> Handled {
        self.log.push(format!("exit {} {}", exit.from, exit.reason));
        Ok(())
    }

    fn post_stop(&mut self, _ctx: &mut Context<'_, Self>) {
        self.log.push("watch:post_stop");
    }
}

#[test]
fn a_monitor_gets_one_down_after_the_target_and_its_children_stopped() {
    let (mut sys, log) = (sys(), Log::new());
    let watch = sys.spawn("watch", Watch { log: log.clone(), trap: false });
    let l = log.clone();
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), move || vec![W::spec("a", &l)]);
    let m = sys.monitor(watch, sup);
    sys.stop(sup);
    run_conserved(&mut sys);
    assert_eq!(log.entries(), ["a#0:pre_start", "a#0:post_stop", format!("down {} Some(Normal)", sup.id()).as_str()]);
    // Monitoring a dead actor: Down with no reason ("noproc"), at once.
    let m2 = sys.monitor(watch, sup);
    assert_ne!(m, m2);
    run_conserved(&mut sys);
    assert_eq!(log.entries().last().map(String::as_str), Some(format!("down {} None", sup.id()).as_str()));
}

#[test]
fn links_kill_peers_on_abnormal_exit_unless_they_trap_exits() {
    let (mut sys, log) = (sys(), Log::new());
    let a = sys.spawn("a", Watch { log: log.clone(), trap: false });
    let b = sys.spawn("b", Watch { log: log.clone(), trap: false });
    let t = sys.spawn("t", Watch { log: log.clone(), trap: true });
    sys.link(a, b);
    sys.link(a, b);
    sys.link(a, t);
    sys.send(a, Msg::Crash("bad"));
    run_conserved(&mut sys);
    assert!(!sys.is_alive(a) && !sys.is_alive(b), "b died with a");
    assert!(sys.is_alive(t), "t traps exits");
    let stops = kinds_where(&sys, |k| matches!(k, EventKind::Stop { .. }));
    assert_eq!(
        stops,
        [
            EventKind::Stop { actor: a.id(), reason: StopReason::Failed("bad".into()) },
            EventKind::Stop { actor: b.id(), reason: StopReason::Failed("bad".into()) },
        ]
    );
    assert!(log.entries().contains(&format!("exit {} failed(bad)", a.id())));
    // A normal exit does not kill a linked peer.
    let c = sys.spawn("c", Watch { log: log.clone(), trap: false });
    let d = sys.spawn("d", Watch { log: log.clone(), trap: false });
    sys.link(c, d);
    sys.stop(c);
    run_conserved(&mut sys);
    assert!(sys.is_alive(d));
}

/// Fails in pre_start.
struct Broken;

impl Actor for Broken {
    type Msg = ();

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _: ()) -> Handled {
        Ok(())
    }

    fn pre_start(&mut self, _ctx: &mut Context<'_, Self>) -> Handled {
        Err(rehearsal::Failure::new("cannot start"))
    }
}

#[test]
fn a_failure_in_a_hook_is_a_failure_like_any_other() {
    let mut sys = sys();
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne).intensity(3, 10), || {
        vec![ChildSpec::new("broken", || Broken)]
    });
    assert_eq!(sys.run_until_idle(), RunOutcome::SystemStopped);
    let failures = kinds_where(&sys, |k| matches!(k, EventKind::Failure { .. }));
    assert_eq!(failures.len(), 4, "the first start and three restarts failed");
    assert!(sys.stopped().is_some_and(|w| w.contains("intensity")));
    let _ = sup;
}

#[test]
fn brutal_kill_shutdown_runs_no_hooks_in_a_group_restart() {
    let (mut sys, log) = (sys(), Log::new());
    let l = log.clone();
    let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForAll), move || {
        vec![W::spec("a", &l).shutdown(Shutdown::BrutalKill), W::spec("b", &l)]
    });
    let b = child(&sys, sup, "b");
    sys.send(b, Msg::Crash("boom"));
    run_conserved(&mut sys);
    let after: Vec<String> = log.entries().into_iter().skip(2).collect();
    assert_eq!(after, ["b#0:pre_restart", "a#1:post_restart", "b#1:post_restart"]);
}
