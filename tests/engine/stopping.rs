//! Edges found by a review: the scheduling stream of a run that crosses
//! the random scheduler's look-ahead threshold, and messages and
//! notifications sent to an actor while it is being stopped for good (by
//! code its stop runs), which must be dead letters, never a panic or a
//! message in another actor's mailbox.

use rehearsal::{Actor, Addr, AskError, Config, Context, Handled, ReplyTo, TraceLevel};
use rehearsal::{DeadLetterReason, System};
use rehearsal_tests::Log;

// ----- (1) the scheduling stream across the look-ahead threshold -----

/// Handles `n`: sends `n - 1` on to another actor (chosen by a hash), so
/// the runnable set grows and shrinks around 16,384.
struct Hop {
    peers: std::rc::Rc<std::cell::RefCell<Vec<Addr<u32>>>>,
}

impl Actor for Hop {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        if n > 0 && n % 4 != 0 {
            let peers = self.peers.borrow();
            let k =
                (u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ctx.id().0.wrapping_mul(31)) % peers.len() as u64;
            let to = peers[k as usize];
            drop(peers);
            ctx.send(to, n - 1);
        }
        Ok(())
    }
}

/// The trace of a run where 20,000 actors get 1..=5 messages each: the set
/// starts above the threshold (words drawn ahead), drops below it and to
/// zero while words are buffered. The engine before the look-ahead gave
/// the format 1 hash pinned below; the trace is checked against it by
/// reading it back as a format 1 trace (whose reader checks the footer's
/// hash the way format 1 computed it).
#[test]
fn stream_across_the_threshold_matches_the_engine_before_look_ahead() {
    let cfg = Config::seeded(77).strategy(rehearsal::Strategy::Random).trace(TraceLevel::Events);
    let file = rehearsal_tests::SharedBuf::default();
    let mut sys = System::with_trace_writer(cfg, file.clone(), false);
    let n = 20_000u32;
    let peers = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let addrs: Vec<Addr<u32>> = (0..n).map(|i| sys.spawn(&format!("a{i}"), Hop { peers: peers.clone() })).collect();
    peers.borrow_mut().extend(addrs.iter().copied());
    for (i, &a) in addrs.iter().enumerate() {
        for k in 0..(i % 5 + 1) as u32 {
            sys.send(a, k + (i as u32 % 7));
        }
    }
    // A second wave while words are buffered and the set is small.
    for _ in 0..3 {
        for _ in 0..30_000 {
            if sys.step() == rehearsal::Step::Idle {
                break;
            }
        }
        for (i, &a) in addrs.iter().enumerate().step_by(3) {
            sys.send(a, i as u32 % 11);
        }
    }
    assert_eq!(sys.run_until_idle(), rehearsal::RunOutcome::Idle);
    let h = format!("{:016x}", sys.trace_hash().expect("tracing is on"));
    assert_eq!(h, PINNED_V2, "the schedule changed");
    sys.finish().expect("the trace is written");

    // The same events as a format 1 trace, with the hash from before.
    let text = String::from_utf8(file.bytes()).expect("UTF-8");
    let (header, rest) = text.split_once('\n').expect("a header line");
    let body = rest.trim_end().rsplit_once('\n').expect("an end line").0;
    let events = body.lines().count();
    let v1 = format!(
        "{}\n{body}\n{{\"end\":{{\"events\":{events},\"hash\":\"{PINNED_BEFORE_LOOK_AHEAD}\"}}}}\n",
        header.replacen("\"version\":2", "\"version\":1", 1)
    );
    let mut r = rehearsal::trace::TraceReader::new(v1.as_bytes(), "v1.jsonl").expect("a header");
    assert_eq!(r.header().version, 1);
    while let Some(_ev) =
        r.next_event().unwrap_or_else(|e| panic!("the schedule differs from the engine before the look-ahead: {e}"))
    {
    }
}

/// Format 1's hash of the run, from the engine before the look-ahead.
const PINNED_BEFORE_LOOK_AHEAD: &str = "9171dacae082efb9";
/// Format 2's hash of the same run.
const PINNED_V2: &str = "b3c7136b50d774e0";

// ----- (2) a signal / send to an actor whose queue was freed -----

#[derive(Debug)]
#[allow(dead_code)]
enum RMsg {
    Req(ReplyTo<u32>),
    Other(u32),
}

/// Records what it handles (and Down notifications).
struct R {
    name: &'static str,
    log: Log,
}

impl Actor for R {
    type Msg = RMsg;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: RMsg) -> Handled {
        self.log.push(format!("{}:{msg:?}", self.name));
        Ok(())
    }
    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: rehearsal::Down) -> Handled {
        self.log.push(format!("{}:down {:?}", self.name, down.actor));
        Ok(())
    }
}

#[derive(Debug)]
enum AMsg {
    Go,
    #[allow(dead_code)]
    Answer(bool),
}

/// Asks `r`; its answer mapping panics (user code), so it fails when the
/// ask completes. Its post_stop optionally spawns an `R` and sends to `r`.
struct A {
    r: Addr<RMsg>,
    in_post_stop: bool,
    log: Log,
    b: std::rc::Rc<std::cell::Cell<Option<Addr<RMsg>>>>,
}

impl Actor for A {
    type Msg = AMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: AMsg) -> Handled {
        if let AMsg::Go = msg {
            ctx.ask(self.r, RMsg::Req, 1000, |r: Result<u32, AskError>| -> AMsg {
                if r.is_err() {
                    panic!("the answer mapping fails");
                }
                AMsg::Answer(true)
            });
        }
        Ok(())
    }
    fn post_stop(&mut self, ctx: &mut Context<'_, Self>) {
        if self.in_post_stop {
            // Takes the queue place `r` just freed (same message type).
            let b = ctx.spawn("b", R { name: "b", log: self.log.clone() });
            self.log.push(format!("spawned {:?}", b.id()));
            self.b.set(Some(b));
            // `r` is being stopped for good: this must be a dead letter.
            ctx.send(self.r, RMsg::Other(666));
        }
    }
}

/// `r` monitors `a`; `a` asked `r`, and `r` is killed with the request
/// still queued: the request's dead letter completes the ask, `a`'s answer
/// mapping panics, `a` stops for good and its Down goes to `r`, whose slot
/// still matches but whose queue was just freed.
#[test]
fn down_to_an_actor_whose_queue_was_just_freed() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(1));
    let r = sys.spawn("r", R { name: "r", log: log.clone() });
    let a = sys.spawn("a", A { r, in_post_stop: false, log: log.clone(), b: Default::default() });
    sys.monitor(r, a);
    sys.send(a, AMsg::Go);
    assert_eq!(sys.step(), rehearsal::Step::Delivered(a.id()));
    assert_eq!(sys.mailbox_len(r), Some(1), "the request waits in r's mailbox");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sys.kill(r)));
    if let Err(p) = &caught {
        let text = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        panic!("System::kill panicked: {text:?}");
    }
    assert!(!sys.is_alive(r) && !sys.is_alive(a));
    assert!(sys.stats().conserved(), "{:?}", sys.stats());
}

/// The same window, but `a`'s post_stop spawns an actor of `r`'s type (it
/// takes `r`'s freed queue place) and sends to `r`: the message must be a
/// dead letter `no_recipient`, never land in the new actor's mailbox.
#[test]
fn a_send_to_a_freed_queue_never_reaches_the_actor_reusing_it() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(1));
    let r = sys.spawn("r", R { name: "r", log: log.clone() });
    let cell = std::rc::Rc::new(std::cell::Cell::new(None));
    let a = sys.spawn("a", A { r, in_post_stop: true, log: log.clone(), b: cell.clone() });
    sys.send(a, AMsg::Go);
    assert_eq!(sys.step(), rehearsal::Step::Delivered(a.id()));
    sys.kill(r);
    assert!(!sys.is_alive(r) && !sys.is_alive(a));
    let no_recipient = sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::NoRecipient).count();
    let queued_after_kill = sys.stats().queued;
    // b (#3) was sent nothing yet: give it one message and run.
    let b = cell.get().expect("a's post_stop spawned b");
    sys.send(b, RMsg::Other(1));
    assert_eq!(sys.run_until_idle(), rehearsal::RunOutcome::Idle);
    assert!(sys.stats().conserved(), "{:?}", sys.stats());
    assert_eq!(
        (no_recipient, queued_after_kill, log.entries()),
        (1, 0, vec!["spawned #3".to_string(), "b:Other(1)".to_string()]),
        "the send to the stopping r was not a dead letter: it sits in the queue r freed, now b's"
    );
}
