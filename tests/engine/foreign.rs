//! An address or a reply handle kept from one system and used in another
//! reaches nobody there (as a pid names its node in Erlang, and an
//! `ActorRef` its system in Akka).
//!
//! Ids follow spawn order in every system, so two systems that spawn the
//! same actors have the same ids in the same slots: a test that keeps an
//! address across runs would otherwise deliver to the other system's actor,
//! silently.

use std::cell::RefCell;
use std::rc::Rc;

use rehearsal::{
    Actor, Addr, AskError, Config, Context, DeadLetterReason, Handled, ReplyTo, RunOutcome, System, TraceLevel,
};

/// Records what it gets.
struct Counter {
    got: Rc<RefCell<Vec<u32>>>,
}

impl Actor for Counter {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        self.got.borrow_mut().push(n);
        Ok(())
    }
}

/// Acts on addresses it is handed.
struct Relay;

#[derive(Debug)]
enum RelayMsg {
    Send(Addr<u32>, u32),
    Stop(Addr<u32>),
    Kill(Addr<u32>),
    Link(Addr<u32>),
    LinkRelay(Addr<RelayMsg>),
    Unlink(Addr<u32>),
    Credit(Addr<u32>, Rc<RefCell<Option<(u32, bool)>>>),
}

impl Actor for Relay {
    type Msg = RelayMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: RelayMsg) -> Handled {
        match msg {
            RelayMsg::Send(to, n) => {
                ctx.send(to, n);
            }
            RelayMsg::Stop(to) => ctx.stop_actor(to),
            RelayMsg::Kill(to) => ctx.kill(to),
            RelayMsg::Link(to) => ctx.link(to),
            RelayMsg::LinkRelay(to) => ctx.link(to),
            RelayMsg::Unlink(to) => ctx.unlink(to),
            RelayMsg::Credit(to, out) => {
                let credit = ctx.credit(to);
                let sent = ctx.send_credited(to, 1).is_ok();
                *out.borrow_mut() = Some((credit, sent));
            }
        }
        Ok(())
    }
}

/// What the counter got.
type Got = Rc<RefCell<Vec<u32>>>;

/// A system with a counter then a relay: the same ids and slots in any two.
fn system(seed: u64) -> (System, Addr<u32>, Addr<RelayMsg>, Got) {
    let mut sys = System::new(Config::seeded(seed).trace(TraceLevel::Events));
    let got = Rc::new(RefCell::new(Vec::new()));
    let counter = sys.spawn("counter", Counter { got: got.clone() });
    let relay = sys.spawn("relay", Relay);
    (sys, counter, relay, got)
}

#[test]
fn another_systems_address_reaches_nobody_here() {
    let (mut x, x_counter, _, x_got) = system(1);
    let (mut y, y_counter, y_relay, y_got) = system(1);
    assert_eq!(x_counter.id(), y_counter.id(), "the same ids in both systems");
    assert_ne!(x_counter, y_counter, "but not the same actor");

    // From outside.
    y.send(x_counter, 5);
    y.send_after(x_counter, 6, 10);
    y.stop(x_counter);
    y.kill(x_counter);
    assert!(!y.is_alive(x_counter));
    assert_eq!(y.mailbox_len(x_counter), None);
    assert_eq!(y.incarnation(x_counter), None);
    assert!(y.mailbox(x_counter).is_none());
    assert_eq!(y.ask(x_counter, |_: ReplyTo<u32>| 7, 100), Err(AskError::Dead));
    // From an actor.
    y.send(y_relay, RelayMsg::Send(x_counter, 8));
    y.send(y_relay, RelayMsg::Stop(x_counter));
    y.send(y_relay, RelayMsg::Kill(x_counter));
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);

    assert!(y_got.borrow().is_empty(), "y's counter got nothing");
    assert!(y.is_alive(y_counter), "nor was it stopped or killed");
    assert!(y.is_alive(y_relay));
    let dead: Vec<(u64, DeadLetterReason)> = y.dead_letters().iter().map(|d| (d.to.0, d.reason)).collect();
    // The send, the timer's message, the pill, the ask, the relay's send and pill.
    assert_eq!(dead, vec![(x_counter.id().0, DeadLetterReason::NoRecipient); 6]);
    assert!(y.stats().conserved());

    // Each address still works in its own system, and `x` saw nothing of the above.
    x.send(x_counter, 1);
    y.send(y_counter, 2);
    assert_eq!(x.run_until_idle(), RunOutcome::Idle);
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    assert_eq!(*x_got.borrow(), vec![1]);
    assert_eq!(*y_got.borrow(), vec![2]);
    assert!(x.dead_letters().is_empty());
}

#[test]
fn links_and_credit_do_not_cross_systems() {
    let (x, x_counter, _, _) = system(2);
    let (mut y, y_counter, y_relay, _) = system(2);
    // Linking to another system's actor is linking to one that is not
    // there: the relay gets the exit `noproc` and, not trapping, ends.
    y.send(y_relay, RelayMsg::Link(x_counter));
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    assert!(!y.is_alive(y_relay), "linked to nobody: exit noproc");

    // Unlinking another system's actor leaves the link with this one's.
    let (mut y, y_counter2, y_relay, _) = system(2);
    let _ = y_counter;
    y.send(y_relay, RelayMsg::Link(y_counter2));
    y.send(y_relay, RelayMsg::Unlink(x_counter));
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    y.kill(y_counter2);
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    assert!(!y.is_alive(y_relay), "still linked: the counter's kill ended the relay");

    // Another system's actor holds no credit here, and takes none.
    let out = Rc::new(RefCell::new(None));
    let (mut y, _, y_relay, y_got) = system(2);
    y.send(y_relay, RelayMsg::Credit(x_counter, out.clone()));
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    assert_eq!(*out.borrow(), Some((0, false)));
    assert!(y_got.borrow().is_empty());
    drop(x);
}

/// Keeps the reply handle of the first request it gets, unanswered, and
/// answers later requests through it.
struct Keeper {
    kept: Rc<RefCell<Option<ReplyTo<u32>>>>,
}

#[derive(Debug)]
struct Request(ReplyTo<u32>);

impl Actor for Keeper {
    type Msg = Request;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, Request(reply): Request) -> Handled {
        let kept = self.kept.borrow_mut().take();
        match kept {
            None => *self.kept.borrow_mut() = Some(reply),
            // A handle from another system's ask of the same number.
            Some(old) => ctx.reply(old, 99),
        }
        Ok(())
    }
}

#[test]
fn another_systems_reply_handle_answers_no_ask_here() {
    let kept = Rc::new(RefCell::new(None));
    let mut x = System::new(Config::seeded(3));
    let x_keeper = x.spawn("keeper", Keeper { kept: kept.clone() });
    assert_eq!(x.ask(x_keeper, Request, 10), Err(AskError::Timeout));
    assert!(kept.borrow().is_some(), "x's ask 1 left its handle");

    // y's ask 1 is pending while its keeper answers through x's handle.
    let mut y = System::new(Config::seeded(3));
    let y_keeper = y.spawn("keeper", Keeper { kept: kept.clone() });
    assert_eq!(y.ask(y_keeper, Request, 10), Err(AskError::Timeout), "not answered with 99");
    let reasons: Vec<DeadLetterReason> = y.dead_letters().iter().map(|d| d.reason).collect();
    assert_eq!(reasons, vec![DeadLetterReason::NoRecipient]);
    assert!(y.stats().conserved());
}

#[test]
fn the_tag_never_reaches_the_trace() {
    fn run() -> (String, String) {
        let (mut sys, counter, relay, _) = system(4);
        sys.send(relay, RelayMsg::Send(counter, 3));
        sys.send(counter, 4);
        assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
        let hash = sys.trace_hash().map(rehearsal::trace::format_hash).expect("traced");
        (hash, format!("{counter:?} {:?}", sys.events().collect::<Vec<_>>()))
    }
    let first = run();
    // Systems made in between move the next system's tag.
    let others: Vec<System> = (0..5).map(|s| System::new(Config::seeded(s))).collect();
    assert_eq!(run(), first);
    drop(others);
    assert_eq!(run(), first);
    assert!(first.1.starts_with("Addr(#1) "), "{}", first.1);
}

/// What a fault plan's rules count and draw must not see another system's
/// actor: a rule aimed at this system's counter ignores a send to `x`'s.
#[test]
fn fault_rules_ignore_another_systems_actor() {
    let plan = rehearsal::faults::FaultPlan::from_toml_str(
        "[[rule]]\nname = \"drop-first\"\nactors = \"counter\"\nat_message = 1\naction = \"drop\"\n",
        "plan.toml",
    )
    .expect("a valid plan");
    let (_x, x_counter, _, _) = system(5);
    let got: Got = Rc::new(RefCell::new(Vec::new()));
    let mut y = System::new(Config::seeded(5).faults(plan));
    let y_counter = y.spawn("counter", Counter { got: got.clone() });
    assert_eq!(x_counter.id(), y_counter.id());
    y.send(x_counter, 5);
    y.send(y_counter, 6);
    y.send(y_counter, 7);
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    let reasons: Vec<DeadLetterReason> = y.dead_letters().iter().map(|d| d.reason).collect();
    assert_eq!(reasons, vec![DeadLetterReason::NoRecipient, DeadLetterReason::InjectedDrop]);
    assert_eq!(*got.borrow(), vec![7], "the rule's first message was y's own 6");
}

/// Linking to, or being watched by, another system's actor with one's own
/// id is not linking to or being watched by oneself.
#[test]
fn a_namesake_in_another_system_is_not_oneself() {
    let (_x, _, x_relay, _) = system(6);
    let (mut y, _, y_relay, _) = system(6);
    assert_eq!(x_relay.id(), y_relay.id());
    y.send(y_relay, RelayMsg::LinkRelay(x_relay));
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    assert!(!y.is_alive(y_relay), "linked to nobody: exit noproc");
}

/// A monitor whose watcher is another system's actor is not this system's
/// namesake's: that one's end leaves it, and the target's end still sends
/// its `Down` (to nobody here: a dead letter).
#[test]
fn a_foreign_watchers_monitor_outlives_its_local_namesake() {
    let (_x, _, x_relay, _) = system(7);
    let (mut y, y_counter, y_relay, _) = system(7);
    assert_eq!(x_relay.id(), y_relay.id());
    y.monitor(x_relay, y_counter);
    y.kill(y_relay);
    y.kill(y_counter);
    assert_eq!(y.run_until_idle(), RunOutcome::Idle);
    let dead: Vec<(u64, DeadLetterReason)> = y.dead_letters().iter().map(|d| (d.to.0, d.reason)).collect();
    assert_eq!(dead, vec![(x_relay.id().0, DeadLetterReason::NoRecipient)], "the Down to the foreign watcher");
    assert!(y.stats().conserved());
}
