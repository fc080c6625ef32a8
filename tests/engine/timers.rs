//! SPEC rules 8-9: virtual time, timer order, cancelling, run_for and the
//! step limit.

use rehearsal::{Actor, Addr, Config, Context, EventKind, Handled, RunOutcome, Step, Strategy, System};
use rehearsal_tests::{Log, Recorder};

fn fired(sys: &System) -> Vec<u64> {
    sys.events()
        .filter_map(|e| match e.kind {
            EventKind::TimerFired { timer } => Some(timer),
            _ => None,
        })
        .collect()
}

#[test]
fn timers_due_at_the_same_tick_fire_in_the_order_set() {
    for seed in 0..10 {
        let log = Log::new();
        let mut sys = System::new(Config::seeded(seed));
        let a = sys.spawn("a", Recorder::new("a", &log));
        let b = sys.spawn("b", Recorder::new("b", &log));
        // Set in the order 5, 1, 4, 2, 3 (message values), alternating
        // recipients, all due at tick 10.
        let mut set = Vec::new();
        for (i, n) in [5, 1, 4, 2, 3].into_iter().enumerate() {
            let to = if i % 2 == 0 { a } else { b };
            set.push(sys.send_after(to, n, 10));
        }
        // One set later, from a later time, due at the same tick.
        assert_eq!(sys.run_for(4), RunOutcome::Elapsed);
        set.push(sys.send_after(a, 6, 6));
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        assert_eq!(sys.now(), 10);
        assert_eq!(fired(&sys), set, "seed {seed}: fired out of set order");
        // The sends happen in that order, so each mailbox gets them in it.
        let sends: Vec<u64> = sys
            .events()
            .filter_map(|e| match e.kind {
                EventKind::Send { msg, .. } => Some(msg.0),
                _ => None,
            })
            .collect();
        assert_eq!(sends.len(), 6);
        assert!(sends.windows(2).all(|w| w[0] < w[1]));
        let of = |name: &str| -> Vec<String> { log.entries().into_iter().filter(|e| e.starts_with(name)).collect() };
        assert_eq!(of("a:"), ["a:5", "a:4", "a:3", "a:6"], "seed {seed}");
        assert_eq!(of("b:"), ["b:1", "b:2"], "seed {seed}");
    }
}

#[test]
fn timers_fire_in_time_order() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(1));
    let a = sys.spawn("a", Recorder::new("a", &log));
    sys.send_after(a, 30, 30);
    sys.send_after(a, 10, 10);
    sys.send_after(a, 20, 20);
    sys.send_after(a, 0, 0);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(log.entries(), ["a:0", "a:10", "a:20", "a:30"]);
    // Each delivery happened at its timer's time.
    let times: Vec<u64> =
        sys.events().filter(|e| matches!(e.kind, EventKind::Deliver { .. })).map(|e| e.time).collect();
    assert_eq!(times, [0, 10, 20, 30]);
}

#[test]
fn the_clock_jumps_to_the_next_timer_when_idle() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(2));
    let a = sys.spawn("a", Recorder::new("a", &log));
    sys.send(a, 1);
    sys.send_after(a, 2, 1000);
    assert_eq!(sys.step(), Step::Delivered(a.id()));
    assert_eq!(sys.now(), 0, "time does not move while something is runnable");
    assert_eq!(sys.step(), Step::Advanced(1000));
    assert_eq!(sys.now(), 1000);
    assert_eq!(sys.step(), Step::Delivered(a.id()));
    assert_eq!(sys.step(), Step::Idle);
    assert_eq!(sys.now(), 1000, "idle does not move the clock");
    assert_eq!(log.entries(), ["a:1", "a:2"]);
    assert_eq!(sys.stats().timers_fired, 1);
    assert_eq!(sys.pending_timers(), 0);
}

/// Sets timers on request and cancels them on request.
struct Canceller {
    me_log: Log,
    timers: Vec<u64>,
    cancelled: Vec<bool>,
}

#[derive(Debug)]
pub enum CMsg {
    Set(u64),
    Cancel(usize),
    Fire(usize),
}

impl Actor for Canceller {
    type Msg = CMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: CMsg) -> Handled {
        match msg {
            CMsg::Set(delay) => {
                let i = self.timers.len();
                let t = ctx.send_after(ctx.addr(), CMsg::Fire(i), delay);
                self.timers.push(t);
            }
            CMsg::Cancel(i) => {
                let ok = ctx.cancel_timer(self.timers[i]);
                self.cancelled.push(ok);
            }
            CMsg::Fire(i) => self.me_log.push(format!("fire {i} at {}", ctx.now())),
        }
        Ok(())
    }
}

#[test]
fn cancel_timer_works() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(3));
    let c = sys.spawn("c", Canceller { me_log: log.clone(), timers: Vec::new(), cancelled: Vec::new() });
    sys.send(c, CMsg::Set(10)); // timer 0
    sys.send(c, CMsg::Set(20)); // timer 1
    sys.send(c, CMsg::Set(30)); // timer 2
    sys.send(c, CMsg::Cancel(1));
    sys.send(c, CMsg::Cancel(1)); // twice: false the second time
    assert_eq!(sys.run_for(15), RunOutcome::Elapsed);
    assert_eq!(log.entries(), ["fire 0 at 10"]);
    sys.send(c, CMsg::Cancel(0)); // already fired: false
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(log.entries(), ["fire 0 at 10", "fire 2 at 30"]);
    assert_eq!(sys.now(), 30);
    let cancelled = sys.state(c, |c: &Canceller| c.cancelled.clone()).expect("alive");
    assert_eq!(cancelled, [true, false, false]);
    let timers = sys.state(c, |c: &Canceller| c.timers.clone()).expect("alive");
    let cancel_events: Vec<u64> = sys
        .events()
        .filter_map(|e| match e.kind {
            EventKind::TimerCancel { timer } => Some(timer),
            _ => None,
        })
        .collect();
    assert_eq!(cancel_events, [timers[1]]);
    assert_eq!(fired(&sys), [timers[0], timers[2]]);
    assert_eq!(sys.pending_timers(), 0);
}

#[test]
fn run_for_leaves_the_clock_at_now_plus_ticks() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(4));
    let a = sys.spawn("a", Recorder::new("a", &log));
    // Nothing to do at all: the clock still moves.
    assert_eq!(sys.run_for(7), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 7);
    sys.send_after(a, 1, 30); // due at 37
    sys.send_after(a, 2, 70); // due at 77
    sys.send_after(a, 3, 50); // due at 57: exactly the deadline
    assert_eq!(sys.run_for(50), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 57);
    assert_eq!(log.entries(), ["a:1", "a:3"], "timers due at the deadline fire");
    assert_eq!(sys.run_for(10), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 67);
    assert_eq!(log.entries().len(), 2);
    assert_eq!(sys.run_for(100), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 167);
    assert_eq!(log.entries(), ["a:1", "a:3", "a:2"]);
    // Messages already queued are handled within run_for(0), time stays.
    sys.send(a, 4);
    assert_eq!(sys.run_for(0), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 167);
    assert_eq!(log.entries().last().map(String::as_str), Some("a:4"));
}

/// Sends itself a message forever.
struct Looper {
    count: u64,
}

impl Actor for Looper {
    type Msg = ();
    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Handled {
        self.count += 1;
        ctx.send(ctx.addr(), ());
        Ok(())
    }
}

/// Re-arms a timer to itself forever.
struct Ticker;

impl Actor for Ticker {
    type Msg = ();
    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Handled {
        ctx.send_after(ctx.addr(), (), 5);
        Ok(())
    }
}

#[test]
fn step_limit_is_reported_not_idle() {
    let mut sys = System::new(Config::seeded(1).max_steps(1000));
    let l = sys.spawn("looper", Looper { count: 0 });
    sys.send(l, ());
    assert_eq!(sys.run_until_idle(), RunOutcome::StepLimit);
    assert_eq!(sys.steps(), 1000);
    assert_eq!(sys.state(l, |l: &Looper| l.count), Some(1000));
    assert_eq!(sys.step(), Step::StepLimit, "stays at the limit");
    assert_eq!(sys.run_for(10), RunOutcome::StepLimit);
    assert_eq!(sys.run_until(|_| false), RunOutcome::StepLimit);
    assert!(sys.stats().conserved());

    // A livelock through timers is caught the same way.
    let mut sys = System::new(Config::seeded(1).max_steps(1000));
    let t = sys.spawn("ticker", Ticker);
    sys.send(t, ());
    assert_eq!(sys.run_until_idle(), RunOutcome::StepLimit);
    assert_eq!(sys.steps(), 1000);
    assert_eq!(sys.now(), 999 * 5);

    // Exactly at the limit with nothing left to do is success.
    let log = Log::new();
    let mut sys = System::new(Config::seeded(1).max_steps(3));
    let a: Addr<u32> = sys.spawn("a", Recorder::new("a", &log));
    for i in 0..3 {
        sys.send(a, i);
    }
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(sys.steps(), 3);
}

#[test]
fn run_until_stops_when_the_condition_holds() {
    let mut sys = System::new(Config::seeded(5));
    let l = sys.spawn("looper", Looper { count: 0 });
    sys.send(l, ());
    let outcome = sys.run_until(|s| s.state(l, |l: &Looper| l.count) == Some(25));
    assert_eq!(outcome, RunOutcome::Reached);
    assert_eq!(sys.steps(), 25);
}

/// run_for never fires a timer due after its deadline, whatever happened
/// before: here an actor with queued messages was killed first.
#[test]
fn run_for_after_a_kill_does_not_overshoot() {
    for strategy in [Strategy::Random, Strategy::PCT, Strategy::Fifo] {
        let log = Log::new();
        let mut sys = System::new(Config::seeded(1).strategy(strategy));
        let a = sys.spawn("a", Recorder::new("a", &log));
        let b = sys.spawn("b", Recorder::new("b", &log));
        sys.send(a, 1);
        sys.send(a, 2);
        sys.send_after(b, 9, 100);
        sys.kill(a);
        assert_eq!(sys.run_for(50), RunOutcome::Elapsed, "{strategy}");
        assert_eq!(sys.now(), 50, "{strategy}: run_for(50) overshot");
        assert!(log.entries().is_empty(), "{strategy}: {:?}", log.entries());
        assert_eq!(sys.run_for(50), RunOutcome::Elapsed, "{strategy}");
        assert_eq!(sys.now(), 100, "{strategy}");
        assert_eq!(log.entries(), ["b:9"], "{strategy}");
    }
}

/// Reaching the step limit with nothing left to do is idle, not a step
/// limit hit, under every strategy — also after a kill left no work.
#[test]
fn step_limit_with_no_work_left_is_idle() {
    for strategy in [Strategy::Random, Strategy::PCT, Strategy::Fifo] {
        let log = Log::new();
        let mut sys = System::new(Config::seeded(1).strategy(strategy).max_steps(3));
        let a = sys.spawn("a", Recorder::new("a", &log));
        let b = sys.spawn("b", Recorder::new("b", &log));
        for i in 0..3 {
            sys.send(a, i);
        }
        sys.send(b, 7);
        sys.kill(b);
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle, "{strategy}");
        assert_eq!(sys.steps(), 3);
        assert_eq!(sys.step(), Step::Idle, "{strategy}");
    }
}

/// Spawns a child per message, forever, and sends itself more.
struct Breeder;

impl Actor for Breeder {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        ctx.spawn("child", Breeder);
        let me = ctx.addr();
        ctx.send(me, n + 1);
        ctx.send(me, n + 2);
        ctx.send_after(me, n, 10);
        Ok(())
    }
}

#[test]
fn each_limit_ends_the_run_with_its_name() {
    use rehearsal::{Limit, Limits, TraceLevel};
    let run = |limits: Limits| {
        let mut sys = System::new(Config::seeded(1).trace(TraceLevel::Events).limits(limits));
        let b = sys.spawn("b", Breeder);
        sys.send(b, 0);
        let outcome = sys.run_until_idle();
        let recorded = sys.events().any(|e| matches!(e.kind, EventKind::Limit { .. }));
        (outcome, recorded, sys.actor_count() as u64, sys.stats().queued, sys.now())
    };
    let (o, rec, actors, _, _) = run(Limits { max_actors: 50, ..Limits::default() });
    assert_eq!(o, RunOutcome::Limit(Limit::Actors));
    assert!(rec && actors <= 51);
    let (o, rec, _, queued, _) = run(Limits { max_queued: 100, ..Limits::default() });
    assert_eq!(o, RunOutcome::Limit(Limit::Queued));
    assert!(rec && queued <= 101);
    // Time: a lone timer chain far into the future.
    let mut sys = System::new(Config::seeded(1).limits(Limits { max_time: 55, ..Limits::default() }));
    let log = Log::new();
    let r = sys.spawn("r", Recorder::new("r", &log));
    for t in [10, 50, 60, 70] {
        sys.send_after(r, t as u32, t);
    }
    assert_eq!(sys.run_until_idle(), RunOutcome::Limit(Limit::Time));
    assert_eq!(sys.now(), 50);
    assert_eq!(log.entries(), ["r:10", "r:50"]);
}

#[test]
fn an_interrupt_stops_the_run_and_leaves_a_readable_trace() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let buf = rehearsal_tests::SharedBuf::new();
    let flag = Arc::new(AtomicBool::new(false));
    {
        let mut sys = System::with_trace_writer(Config::seeded(1), buf.clone(), false);
        sys.interrupt_on(flag.clone());
        let s = sys.spawn("spinner", Looper { count: 0 });
        sys.send(s, ());
        // Raise the flag the way a Ctrl-C handler would, then run "forever".
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(sys.run_until_idle(), RunOutcome::Interrupted);
        assert!(sys.steps() <= 1024, "stopped within one check interval");
        assert_eq!(sys.step(), Step::Interrupted, "and stays stopped");
    }
    let trace = rehearsal::trace::TraceReader::new(std::io::Cursor::new(buf.bytes()), "i.jsonl").unwrap();
    let events: Vec<_> = trace.into_events().collect::<Result<_, _>>().expect("a complete, readable trace");
    assert!(matches!(events.last().map(|e| &e.kind), Some(EventKind::Interrupted {})));
}
