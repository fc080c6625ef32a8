//! SPEC rules 26-27: ask completes exactly once — reply, timeout, failure or
//! dead target — and a late reply is a dead letter.

use rehearsal::trace::AskOutcome;
use rehearsal::{
    Actor, ActorId, Addr, AskError, Config, Context, DeadLetterReason, EventKind, Failure, Handled, ReplyTo,
    RunOutcome, System,
};

#[derive(Debug)]
pub enum Req {
    /// Reply with n + 1 at once.
    Inc(u32, ReplyTo<u32>),
    /// Never reply.
    Ignore(ReplyTo<u32>),
    /// Panic with this text.
    Panic(String, ReplyTo<u32>),
    /// Return an error with this text.
    Fail(String, ReplyTo<u32>),
    /// Reply with n after `delay` ticks, via a timer.
    Later(u32, u64, ReplyTo<u32>),
    /// Stop without replying.
    StopNow(ReplyTo<u32>),
    Deferred(u32, ReplyTo<u32>),
}

struct Target;

impl Actor for Target {
    type Msg = Req;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Req) -> Handled {
        match msg {
            Req::Inc(n, r) => ctx.reply(r, n + 1),
            Req::Ignore(_r) => {}
            Req::Panic(text, _r) => panic!("{text}"),
            Req::Fail(text, _r) => return Err(Failure::new(text)),
            Req::Later(n, delay, r) => {
                ctx.send_after(ctx.addr(), Req::Deferred(n, r), delay);
            }
            Req::Deferred(n, r) => ctx.reply(r, n),
            Req::StopNow(_r) => ctx.stop(),
        }
        Ok(())
    }
}

fn ask_done_outcomes(sys: &System) -> Vec<(u64, AskOutcome)> {
    sys.events()
        .filter_map(|e| match &e.kind {
            EventKind::AskDone { ask, outcome } => Some((*ask, outcome.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn ask_gets_the_reply() {
    let mut sys = System::new(Config::seeded(1));
    let t = sys.spawn("target", Target);
    assert_eq!(sys.ask(t, |r| Req::Inc(41, r), 10), Ok(42));
    assert_eq!(sys.ask(t, |r| Req::Inc(1, r), 10), Ok(2));
    assert_eq!(sys.now(), 0, "a reply takes no virtual time");
    assert_eq!(ask_done_outcomes(&sys), vec![(1, AskOutcome::Reply), (2, AskOutcome::Reply)]);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(sys.dead_letters().is_empty());
    assert!(sys.stats().conserved());
    assert_eq!(sys.pending_timers(), 0, "the timeout timers were cancelled");
}

#[test]
fn ask_times_out_at_the_deadline() {
    let mut sys = System::new(Config::seeded(2));
    let t = sys.spawn("target", Target);
    // Move the clock first, so the deadline is not just the timeout.
    assert_eq!(sys.run_for(100), RunOutcome::Elapsed);
    assert_eq!(sys.now(), 100);
    assert_eq!(sys.ask(t, Req::Ignore, 25), Err(AskError::Timeout));
    assert_eq!(sys.now(), 125, "virtual time advanced to the deadline");
    let deadline = sys
        .events()
        .find_map(|e| match e.kind {
            EventKind::Ask { deadline, .. } => Some(deadline),
            _ => None,
        })
        .expect("an ask event");
    assert_eq!(deadline, 125);
    assert_eq!(ask_done_outcomes(&sys), vec![(1, AskOutcome::Timeout)]);
    // The ask completed at the deadline, not earlier or later.
    let done_at = sys.events().find(|e| matches!(e.kind, EventKind::AskDone { .. })).map(|e| e.time);
    assert_eq!(done_at, Some(125));
    assert!(sys.is_alive(t), "a timeout does not hurt the target");
    assert_eq!(sys.ask(t, |r| Req::Inc(0, r), 1), Ok(1));
}

#[test]
fn ask_reports_a_panicking_handler() {
    let mut sys = System::new(Config::seeded(3));
    let t = sys.spawn("target", Target);
    let r = sys.ask(t, |r| Req::Panic("the answer is not 42".into(), r), 10);
    match r {
        Err(AskError::Failed(text)) => {
            assert!(text.contains("the answer is not 42"), "the panic text is kept: {text:?}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(sys.now(), 0, "a failure completes the ask at once");
    assert!(!sys.is_alive(t), "a failed actor stops (no supervisor)");
    let failed: Vec<_> = sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::Failed).collect();
    assert_eq!(failed.len(), 1, "the request is a dead letter `failed`");
    assert!(matches!(
        &ask_done_outcomes(&sys)[..],
        [(1, AskOutcome::Failed(why))] if why.contains("the answer is not 42")
    ));
}

#[test]
fn ask_reports_an_error_return() {
    let mut sys = System::new(Config::seeded(3));
    let t = sys.spawn("target", Target);
    assert_eq!(sys.ask(t, |r| Req::Fail("out of cheese".into(), r), 10), Err(AskError::Failed("out of cheese".into())));
}

#[test]
fn ask_a_dead_target() {
    let mut sys = System::new(Config::seeded(4));
    let t = sys.spawn("target", Target);
    sys.stop(t);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(!sys.is_alive(t));
    assert_eq!(sys.ask(t, |r| Req::Inc(1, r), 10), Err(AskError::Dead));
    assert_eq!(sys.now(), 0, "no waiting for a timeout");
    assert_eq!(sys.pending_timers(), 0);
    assert_eq!(sys.dead_letters().last().map(|d| d.reason), Some(DeadLetterReason::NoRecipient));

    // A target that stops while handling the request without replying.
    let t2 = sys.spawn("stopper", Target);
    assert_eq!(sys.ask(t2, Req::StopNow, 10), Err(AskError::Dead));
    assert_eq!(sys.now(), 0);

    // A request still queued when the target is stopped by a poison pill
    // sent before it.
    let t3 = sys.spawn("pilled", Target);
    sys.stop(t3);
    assert_eq!(sys.ask(t3, |r| Req::Inc(1, r), 10), Err(AskError::Dead));
    assert!(sys.stats().conserved());
}

#[test]
fn late_reply_is_a_dead_letter() {
    let mut sys = System::new(Config::seeded(5));
    let t = sys.spawn("target", Target);
    assert_eq!(sys.ask(t, |r| Req::Later(7, 20, r), 5), Err(AskError::Timeout));
    assert_eq!(sys.now(), 5);
    assert!(sys.dead_letters().iter().all(|d| d.reason != DeadLetterReason::LateReply));
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert_eq!(sys.now(), 20);
    let late: Vec<_> = sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::LateReply).cloned().collect();
    assert_eq!(late.len(), 1, "{:?}", sys.dead_letters());
    assert_eq!(late[0].from, Some(t.id()));
    assert_eq!(late[0].time, 20);
    assert_eq!(sys.stats().dead(DeadLetterReason::LateReply), 1);
    // Exactly one completion: the timeout.
    assert_eq!(ask_done_outcomes(&sys), vec![(1, AskOutcome::Timeout)]);
    assert!(sys.stats().conserved());
}

/// An actor that asks other actors and gets the answers as messages.
struct Client {
    answers: Vec<(&'static str, Result<u32, AskError>)>,
}

#[derive(Debug)]
pub enum ClientMsg {
    AskAll { target: Addr<Req>, silent: Addr<Req>, dead: Addr<Req>, crasher: Addr<Req> },
    Answer(&'static str, Result<u32, AskError>),
}

impl Actor for Client {
    type Msg = ClientMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ClientMsg) -> Handled {
        match msg {
            ClientMsg::AskAll { target, silent, dead, crasher } => {
                ctx.ask(target, |r| Req::Inc(9, r), 10, |a| ClientMsg::Answer("reply", a));
                ctx.ask(silent, Req::Ignore, 30, |a| ClientMsg::Answer("timeout", a));
                ctx.ask(dead, |r| Req::Inc(0, r), 10, |a| ClientMsg::Answer("dead", a));
                ctx.ask(crasher, |r| Req::Panic("crash inside".into(), r), 10, |a| ClientMsg::Answer("failed", a));
                // Nothing has completed yet except the dead target's ask:
                // the handler never blocks.
            }
            ClientMsg::Answer(what, a) => self.answers.push((what, a)),
        }
        Ok(())
    }
}

#[test]
fn actor_ask_answer_arrives_as_a_message() {
    let mut sys = System::new(Config::seeded(6));
    let target = sys.spawn("target", Target);
    let silent = sys.spawn("silent", Target);
    let dead = sys.spawn("dead", Target);
    let crasher = sys.spawn("crasher", Target);
    sys.stop(dead);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let client = sys.spawn("client", Client { answers: Vec::new() });
    sys.send(client, ClientMsg::AskAll { target, silent, dead, crasher });
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let mut answers = sys.state(client, |c: &Client| c.answers.clone()).expect("alive");
    answers.sort_by_key(|(w, _)| *w);
    assert_eq!(answers.len(), 4, "{answers:?}");
    assert_eq!(answers[0], ("dead", Err(AskError::Dead)));
    assert!(
        matches!(&answers[1], ("failed", Err(AskError::Failed(t))) if t.contains("crash inside")),
        "{:?}",
        answers[1]
    );
    assert_eq!(answers[2], ("reply", Ok(10)));
    assert_eq!(answers[3], ("timeout", Err(AskError::Timeout)));
    assert_eq!(sys.now(), 30, "the timeout moved the clock to its deadline");

    // The answers were delivered to the client as messages: every answer is
    // a Deliver to the client after the AskAll delivery.
    let delivered_to_client =
        sys.events().filter(|e| matches!(e.kind, EventKind::Deliver { actor, .. } if actor == client.id())).count();
    assert_eq!(delivered_to_client, 5);
    // The asks were made by the client, and each completed exactly once.
    let asks: Vec<Option<ActorId>> = sys
        .events()
        .filter_map(|e| match e.kind {
            EventKind::Ask { from, .. } => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(asks, vec![Some(client.id()); 4]);
    let mut done: Vec<u64> = ask_done_outcomes(&sys).iter().map(|(a, _)| *a).collect();
    done.sort_unstable();
    assert_eq!(done, vec![1, 2, 3, 4]);
    assert!(sys.stats().conserved());
}

/// An actor's ask whose reply comes after its timeout: the asker gets the
/// timeout once, and the reply is a dead letter `late_reply`.
#[test]
fn actor_ask_late_reply() {
    struct Late {
        answers: Vec<Result<u32, AskError>>,
        target: Addr<Req>,
    }
    #[derive(Debug)]
    enum LateMsg {
        Go,
        Answer(Result<u32, AskError>),
    }
    impl Actor for Late {
        type Msg = LateMsg;
        fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: LateMsg) -> Handled {
            match msg {
                LateMsg::Go => {
                    ctx.ask(self.target, |r| Req::Later(3, 50, r), 10, LateMsg::Answer);
                }
                LateMsg::Answer(a) => self.answers.push(a),
            }
            Ok(())
        }
    }
    let mut sys = System::new(Config::seeded(7));
    let target = sys.spawn("target", Target);
    let late = sys.spawn("late", Late { answers: Vec::new(), target });
    sys.send(late, LateMsg::Go);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    let answers = sys.state(late, |l: &Late| l.answers.clone()).expect("alive");
    assert_eq!(answers, vec![Err(AskError::Timeout)]);
    let late_letters: Vec<_> = sys.dead_letters().iter().filter(|d| d.reason == DeadLetterReason::LateReply).collect();
    assert_eq!(late_letters.len(), 1);
    assert_eq!(late_letters[0].from, Some(target.id()));
    assert_eq!(late_letters[0].to, late.id());
    assert_eq!(late_letters[0].time, 50);
}
