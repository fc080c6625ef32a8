//! SPEC rule 25: sent = handled + dead letters + queued, after every step,
//! in a run with dead letters of every reason.

use rehearsal::{
    Actor, Addr, AskError, Config, Context, DeadLetterReason, EventKind, Failure, Handled, ReplyTo, Step, Strategy,
    System,
};

#[derive(Debug)]
pub enum WorkMsg {
    Work(u32),
    Panic,
    Fail,
    /// Reply after `delay` ticks (through a timer to itself).
    ReplyLater(ReplyTo<u32>, u64),
    DoReply(ReplyTo<u32>),
    /// Send `n` messages to `to`, which may have stopped.
    SendTo(Addr<WorkMsg>, u32),
    /// Stop itself from inside the handler.
    StopMe,
}

struct Worker;

impl Actor for Worker {
    type Msg = WorkMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: WorkMsg) -> Handled {
        match msg {
            WorkMsg::Work(n) => {
                assert!(n < 100);
                Ok(())
            }
            WorkMsg::Panic => panic!("worker panics on purpose"),
            WorkMsg::Fail => Err(Failure::new("worker fails on purpose")),
            WorkMsg::ReplyLater(r, delay) => {
                ctx.send_after(ctx.addr(), WorkMsg::DoReply(r), delay);
                Ok(())
            }
            WorkMsg::DoReply(r) => {
                ctx.reply(r, 1);
                Ok(())
            }
            WorkMsg::SendTo(to, n) => {
                for i in 0..n {
                    ctx.send(to, WorkMsg::Work(i));
                }
                Ok(())
            }
            WorkMsg::StopMe => {
                ctx.stop();
                Ok(())
            }
        }
    }
}

/// Asks a worker for a late reply with a short timeout, from inside.
struct Asker {
    target: Addr<WorkMsg>,
    answers: Vec<Result<u32, AskError>>,
}

#[derive(Debug)]
pub enum AskerMsg {
    Go,
    Answer(Result<u32, AskError>),
}

impl Actor for Asker {
    type Msg = AskerMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: AskerMsg) -> Handled {
        match msg {
            AskerMsg::Go => {
                ctx.ask(self.target, |r| WorkMsg::ReplyLater(r, 10), 3, AskerMsg::Answer);
            }
            AskerMsg::Answer(a) => self.answers.push(a),
        }
        Ok(())
    }
}

fn assert_conserved(sys: &System, when: &str) {
    let s = sys.stats();
    assert!(
        s.conserved(),
        "{when}: sent {} != handled {} + dead {} + queued {}",
        s.sent,
        s.handled,
        s.dead_letters,
        s.queued
    );
}

/// Steps until idle, checking conservation after every single step.
fn run_checked(sys: &mut System, label: &str) {
    loop {
        let step = sys.step();
        assert_conserved(sys, &format!("{label}: after {step:?} at step {}", sys.steps()));
        match step {
            Step::Delivered(_) | Step::Advanced(_) => {}
            Step::Idle => return,
            other => panic!("{label}: unexpected {other:?}"),
        }
    }
}

fn scenario(seed: u64, strategy: Strategy) {
    let mut sys = System::new(Config::seeded(seed).strategy(strategy));
    let c = |sys: &System, when: &str| assert_conserved(sys, when);

    let gone = sys.spawn("gone", Worker);
    let panicker = sys.spawn("panicker", Worker);
    let failer = sys.spawn("failer", Worker);
    let pilled = sys.spawn("pilled", Worker);
    let killed = sys.spawn("killed", Worker);
    let self_stopper = sys.spawn("self-stopper", Worker);
    let slow = sys.spawn("slow", Worker);
    let relay = sys.spawn("relay", Worker);
    let asker = sys.spawn("asker", Asker { target: slow, answers: Vec::new() });
    c(&sys, "after spawning");

    // no_recipient: stop `gone`, then send to it from the test and from an actor.
    sys.stop(gone);
    c(&sys, "after a poison pill");
    run_checked(&mut sys, "stopping gone");
    assert!(!sys.is_alive(gone));
    sys.send(gone, WorkMsg::Work(1));
    c(&sys, "after a send to a stopped actor");
    sys.send(relay, WorkMsg::SendTo(gone, 3));

    // failed: a panic and an error return, each with messages queued behind.
    sys.send(panicker, WorkMsg::Work(1));
    sys.send(panicker, WorkMsg::Panic);
    sys.send(panicker, WorkMsg::Work(2));
    sys.send(failer, WorkMsg::Fail);
    sys.send(failer, WorkMsg::Work(3));
    sys.send(failer, WorkMsg::Work(4));

    // pending_at_stop: behind a poison pill, behind ctx.stop(), and killed.
    sys.send(pilled, WorkMsg::Work(1));
    sys.stop(pilled);
    sys.send(pilled, WorkMsg::Work(2));
    sys.send(pilled, WorkMsg::Work(3));
    sys.send(self_stopper, WorkMsg::StopMe);
    sys.send(self_stopper, WorkMsg::Work(5));
    for i in 0..4 {
        sys.send(killed, WorkMsg::Work(i));
    }
    c(&sys, "after queueing");
    sys.kill(killed);
    c(&sys, "after a kill");

    // late_reply: an actor's ask times out, the reply comes later.
    sys.send(asker, AskerMsg::Go);
    run_checked(&mut sys, "main run");

    // late_reply from a test's ask, and an ask that succeeds.
    let r = sys.ask(slow, |r| WorkMsg::ReplyLater(r, 10), 2);
    assert_eq!(r, Err(AskError::Timeout));
    c(&sys, "after a timed-out ask");
    let r = sys.ask(slow, |r| WorkMsg::ReplyLater(r, 1), 5);
    assert_eq!(r, Ok(1));
    c(&sys, "after an answered ask");
    run_checked(&mut sys, "late reply to the test");

    let s = sys.stats().clone();
    assert_eq!(s.queued, 0, "idle with messages queued");
    assert_eq!(s.dead(DeadLetterReason::NoRecipient), 4, "{s:?}");
    assert_eq!(s.dead(DeadLetterReason::Failed), 2, "{s:?}");
    // pilled: 2, self_stopper: 1, killed: 4, panicker: 1, failer: 2
    assert_eq!(s.dead(DeadLetterReason::PendingAtStop), 10, "{s:?}");
    assert_eq!(s.dead(DeadLetterReason::LateReply), 2, "{s:?}");
    assert_eq!(s.dead_letters, DeadLetterReason::ALL.iter().map(|&r| s.dead(r)).sum::<u64>());
    assert_eq!(s.dead_letters as usize, sys.dead_letters().len());
    for reason in DeadLetterReason::ALL {
        let listed = sys.dead_letters().iter().filter(|d| d.reason == reason).count() as u64;
        assert_eq!(listed, s.dead(reason), "{reason}");
    }
    // Every dead letter is in the trace too.
    let traced = sys.events().filter(|e| matches!(e.kind, EventKind::DeadLetter { .. })).count();
    assert_eq!(traced as u64, s.dead_letters);
    let answers = sys.state(asker, |a: &Asker| a.answers.clone()).expect("alive");
    assert_eq!(answers, vec![Err(AskError::Timeout)]);
    assert_conserved(&sys, "at the end");
}

#[test]
fn conserved_after_every_step_random() {
    for seed in 0..30 {
        scenario(seed, Strategy::Random);
    }
}

#[test]
fn conserved_after_every_step_pct_and_fifo() {
    for seed in 0..30 {
        scenario(seed, Strategy::PCT);
    }
    scenario(0, Strategy::Fifo);
}

/// The counters add up in a plain run too, and `queued` counts what waits.
#[test]
fn queued_counts_waiting_messages() {
    let mut sys = System::new(Config::seeded(3));
    let w = sys.spawn("w", Worker);
    for i in 0..5 {
        sys.send(w, WorkMsg::Work(i));
    }
    assert_eq!(sys.stats().queued, 5);
    assert_eq!(sys.mailbox_len(w), Some(5));
    assert_eq!(sys.stats().sent, 5);
    assert!(sys.stats().conserved());
    assert_eq!(sys.step(), Step::Delivered(w.id()));
    assert_eq!(sys.stats().queued, 4);
    assert_eq!(sys.stats().handled, 1);
    assert!(sys.stats().conserved());
    run_checked(&mut sys, "plain");
    assert_eq!(sys.stats().handled, 5);
    assert_eq!(sys.stats().steps, 5);
}
