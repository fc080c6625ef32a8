//! SPEC rule 15: a panic in a handler or hook is caught; the run goes on,
//! and the actor stops with reason `failed`.

use rehearsal::{
    Actor, ActorId, Config, Context, DeadLetterReason, EventKind, Failure, Handled, RunOutcome, StopReason, Strategy,
    System,
};
use rehearsal_tests::{Log, Recorder};

#[derive(Debug)]
pub enum Risky {
    Ok(u32),
    Panic(&'static str),
    PanicAny,
    Err(&'static str),
}

struct Fragile {
    log: Log,
}

impl Actor for Fragile {
    type Msg = Risky;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Risky) -> Handled {
        self.log.push(format!("{msg:?}"));
        match msg {
            Risky::Ok(n) => {
                assert!(n < 100);
                Ok(())
            }
            Risky::Panic(why) => panic!("fragile broke: {why}"),
            Risky::PanicAny => std::panic::panic_any(42_u8),
            Risky::Err(why) => Err(Failure::new(why)),
        }
    }

    fn post_stop(&mut self, _ctx: &mut Context<'_, Self>) {
        self.log.push("post_stop");
    }
}

fn stop_reason(sys: &System, id: ActorId) -> Option<StopReason> {
    sys.events().find_map(|e| match &e.kind {
        EventKind::Stop { actor, reason } if *actor == id => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn a_handler_panic_is_caught_and_the_run_continues() {
    for strategy in [Strategy::Random, Strategy::PCT, Strategy::Fifo] {
        let log = Log::new();
        let other_log = Log::new();
        let mut sys = System::new(Config::seeded(8).strategy(strategy));
        let f = sys.spawn("fragile", Fragile { log: log.clone() });
        let other = sys.spawn("other", Recorder::new("other", &other_log));
        sys.send(f, Risky::Ok(1));
        let bad = sys.send(f, Risky::Panic("on purpose"));
        let behind = sys.send(f, Risky::Ok(2));
        for i in 0..5 {
            sys.send(other, i);
        }
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle, "{strategy}");
        assert_eq!(log.entries(), ["Ok(1)", "Panic(\"on purpose\")", "post_stop"], "{strategy}");
        assert_eq!(other_log.entries().len(), 5, "other actors keep running");
        assert!(!sys.is_alive(f));
        assert!(sys.is_alive(other));
        match stop_reason(&sys, f.id()) {
            Some(StopReason::Failed(text)) => {
                assert!(text.contains("fragile broke: on purpose"), "{text}")
            }
            other => panic!("{strategy}: expected Failed, got {other:?}"),
        }
        let failures: Vec<_> = sys
            .events()
            .filter_map(|e| match &e.kind {
                EventKind::Failure { actor, msg, reason } => Some((*actor, *msg, reason.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, f.id());
        assert_eq!(failures[0].1, Some(bad));
        assert!(failures[0].2.contains("on purpose"));
        assert_eq!(sys.stats().failures, 1);
        let letters: Vec<_> = sys.dead_letters().iter().map(|d| (d.msg, d.reason)).collect();
        assert_eq!(
            letters,
            vec![(bad, DeadLetterReason::Failed), (behind, DeadLetterReason::PendingAtStop)],
            "the failing message is never re-delivered"
        );
        // The system is still usable afterwards.
        let again = sys.spawn("again", Fragile { log: log.clone() });
        sys.send(again, Risky::Ok(3));
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        assert_eq!(log.entries().last().map(String::as_str), Some("Ok(3)"));
        assert!(sys.stats().conserved());
    }
}

#[test]
fn a_non_text_panic_and_an_error_return_are_failures_too() {
    let log = Log::new();
    let mut sys = System::new(Config::seeded(9));
    let a = sys.spawn("a", Fragile { log: log.clone() });
    let b = sys.spawn("b", Fragile { log: log.clone() });
    sys.send(a, Risky::PanicAny);
    sys.send(b, Risky::Err("no more disk"));
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(matches!(stop_reason(&sys, a.id()), Some(StopReason::Failed(t)) if !t.is_empty()));
    assert_eq!(stop_reason(&sys, b.id()), Some(StopReason::Failed("no more disk".into())));
    assert_eq!(sys.stats().failures, 2);
    assert_eq!(sys.stats().dead(DeadLetterReason::Failed), 2);
}

struct BadStart;

impl Actor for BadStart {
    type Msg = u32;
    fn pre_start(&mut self, _ctx: &mut Context<'_, Self>) -> Handled {
        panic!("cannot start");
    }
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _msg: u32) -> Handled {
        unreachable!("never started")
    }
}

struct BadStop;

impl Actor for BadStop {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, _msg: u32) -> Handled {
        ctx.stop();
        Ok(())
    }
    fn post_stop(&mut self, _ctx: &mut Context<'_, Self>) {
        panic!("cannot stop cleanly");
    }
}

#[test]
fn hook_panics_are_caught() {
    let mut sys = System::new(Config::seeded(10));
    let bad_start = sys.spawn("bad-start", BadStart);
    assert!(!sys.is_alive(bad_start), "a failed pre_start stops the actor");
    assert!(matches!(stop_reason(&sys, bad_start.id()), Some(StopReason::Failed(t)) if t.contains("cannot start")));
    sys.send(bad_start, 1);
    assert_eq!(sys.dead_letters().last().map(|d| d.reason), Some(DeadLetterReason::NoRecipient));

    let bad_stop = sys.spawn("bad-stop", BadStop);
    sys.send(bad_stop, 1);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(!sys.is_alive(bad_stop));
    let post_stop_failure = sys.events().any(|e| {
        matches!(&e.kind, EventKind::Failure { actor, reason, .. }
            if *actor == bad_stop.id() && reason.contains("cannot stop cleanly"))
    });
    assert!(post_stop_failure, "the post_stop panic is recorded");
    assert!(stop_reason(&sys, bad_stop.id()).is_some());
    assert!(sys.stats().conserved());
}

/// A panic in an ask's answer mapping (actor code too) fails the asker,
/// not the engine.
#[test]
fn a_panic_in_an_ask_mapping_fails_the_asker() {
    struct Echo;
    impl Actor for Echo {
        type Msg = rehearsal::ReplyTo<u32>;
        fn handle(&mut self, ctx: &mut Context<'_, Self>, r: Self::Msg) -> Handled {
            ctx.reply(r, 5);
            Ok(())
        }
    }
    struct Asker {
        echo: rehearsal::Addr<rehearsal::ReplyTo<u32>>,
    }
    impl Actor for Asker {
        type Msg = u32;
        fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
            if n == 0 {
                ctx.ask(self.echo, |r| r, 10, |_answer| -> u32 { panic!("mapping exploded") });
            }
            Ok(())
        }
    }
    let mut sys = System::new(Config::seeded(11));
    let echo = sys.spawn("echo", Echo);
    let asker = sys.spawn("asker", Asker { echo });
    sys.send(asker, 0);
    assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
    assert!(sys.is_alive(echo));
    assert!(!sys.is_alive(asker));
    assert!(matches!(stop_reason(&sys, asker.id()), Some(StopReason::Failed(t)) if t.contains("mapping exploded")));
    assert!(sys.stats().conserved());
}
