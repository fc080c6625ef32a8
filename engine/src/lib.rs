//! # rehearsal
//!
//! A deterministic, single-threaded actor engine for rehearsing an actor
//! system before it meets production: run it under a seed, inject failures,
//! replay the exact run, and check it over thousands of seeds.
//!
//! ## The model
//!
//! An [`Actor`] has private state and one message type. The three
//! primitives are [`System::spawn`] / [`Context::spawn`], sending
//! ([`Context::send`]), and "become" ([`Context::become_`]): naming the
//! handler for the next message. Handlers never block; request–reply is an
//! ask whose answer arrives later as a message ([`Context::ask`]), or, from
//! a test, [`System::ask`], which runs the scheduler until the answer.
//!
//! ## Determinism
//!
//! One step delivers one message to one actor. Which actor goes next is
//! chosen by the [`Strategy`] from a ChaCha stream of the seed; time is
//! virtual and moves only by timers. Nothing else may influence a run: no
//! wall clock, no hash-map order, no addresses. The same seed, code and
//! inputs give a byte-identical [`trace`], whose running hash identifies
//! the run.
//!
//! ## Example
//!
//! ```
//! use rehearsal::{Actor, Addr, Config, Context, Handled, RunOutcome, System};
//!
//! // A bank account that refuses to go negative, and a client that
//! // withdraws twice.
//! struct Account { balance: i64 }
//! #[derive(Debug)]
//! enum AccountMsg { Withdraw(i64, rehearsal::ReplyTo<bool>) }
//!
//! impl Actor for Account {
//!     type Msg = AccountMsg;
//!     fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: AccountMsg) -> Handled {
//!         let AccountMsg::Withdraw(n, reply) = msg;
//!         let ok = self.balance >= n;
//!         if ok { self.balance -= n; }
//!         ctx.reply(reply, ok);
//!         Ok(())
//!     }
//! }
//!
//! let mut sys = System::new(Config::seeded(3));
//! let acct = sys.spawn("account", Account { balance: 100 });
//! assert_eq!(sys.ask(acct, |r| AccountMsg::Withdraw(70, r), 5), Ok(true));
//! assert_eq!(sys.ask(acct, |r| AccountMsg::Withdraw(70, r), 5), Ok(false));
//! assert_eq!(sys.state(acct, |a: &Account| a.balance), Some(30));
//! assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
//!
//! // The same seed gives the same trace, event for event.
//! let again = {
//!     let mut sys2 = System::new(Config::seeded(3));
//!     let acct = sys2.spawn("account", Account { balance: 100 });
//!     let _ = sys2.ask(acct, |r| AccountMsg::Withdraw(70, r), 5);
//!     let _ = sys2.ask(acct, |r| AccountMsg::Withdraw(70, r), 5);
//!     sys2.trace_hash()
//! };
//! assert_eq!(sys.trace_hash(), again);
//! ```

//!
//! ## Supervision: let it crash
//!
//! A supervisor starts its children from specs, and when one fails it
//! restarts it (or its siblings, per the [`supervision::Strategy`]) with a
//! fresh state, the same address, and the messages that were queued behind
//! the failing one (SPEC section 3). Here a one-for-one supervisor has three
//! workers; one crashes, only it restarts, and the message after the crash
//! is handled by the new incarnation:
//!
//! ```
//! use rehearsal::supervision::Strategy;
//! use rehearsal::{Actor, ChildSpec, Config, Context, DeadLetterReason, Handled, System, SupervisorSpec};
//!
//! struct Worker { done: u32 }
//!
//! impl Actor for Worker {
//!     type Msg = &'static str;
//!     fn handle(&mut self, _ctx: &mut Context<'_, Self>, job: &'static str) -> Handled {
//!         if job == "poison" { panic!("cannot digest {job}"); }
//!         self.done += 1;
//!         Ok(())
//!     }
//! }
//!
//! let mut sys = System::new(Config::seeded(9));
//! let sup = sys.spawn_supervisor("sup", SupervisorSpec::new(Strategy::OneForOne), || {
//!     ["w1", "w2", "w3"].map(|n| ChildSpec::new(n, || Worker { done: 0 })).to_vec()
//! });
//! let w1 = sys.child::<&'static str>(sup, "w1").unwrap();
//! let w2 = sys.child::<&'static str>(sup, "w2").unwrap();
//! sys.send(w1, "job");
//! sys.send(w2, "job");
//! sys.send(w2, "poison");
//! sys.send(w2, "job");
//! let _ = sys.run_until_idle();
//!
//! // w2 crashed and was restarted in place: same address, new incarnation,
//! // fresh state that handled only the job queued behind the crash.
//! assert_eq!(sys.incarnation(w2), Some(1));
//! assert_eq!(sys.state(w2, |w: &Worker| w.done), Some(1));
//! // Its siblings were not touched (one-for-one).
//! assert_eq!(sys.incarnation(w1), Some(0));
//! assert_eq!(sys.state(w1, |w: &Worker| w.done), Some(1));
//! // The poison message is a dead letter, never re-delivered.
//! assert_eq!(sys.stats().dead(DeadLetterReason::Failed), 1);
//! assert!(sys.stats().conserved());
//! ```

#![deny(missing_docs)]

mod actor;
mod address;
mod ask;
mod backpressure;
mod cell;
mod clock;
mod config;
mod context;
mod dead_letters;
pub mod faults;
pub mod harness;
mod inject;
mod kernel;
mod lifecycle;
mod links;
mod mailbox;
mod panic;
mod prefetch;
pub mod replay;
mod rng;
mod scheduler;
mod slots;
pub mod supervision;
mod system;
pub mod trace;

pub use actor::{Actor, Behavior, Down, Exit, Failure, Handled};
pub use address::{ActorId, Addr, MsgId, ReplyTo};
pub use ask::AskError;
pub use config::{Config, Limit, Limits, ParseStrategyError, Strategy, TraceLevel};
pub use context::{Context, NoCredit, Rejected};
pub use dead_letters::{DeadLetter, Stats};
pub use mailbox::{MailboxConfig, MailboxStats, Overflow};
pub use supervision::{ChildSpec, Directive, RestartType, Shutdown, SupervisorMsg, SupervisorSpec};
pub use system::{Observed, RunOutcome, Step, System};
pub use trace::{DeadLetterReason, Event, EventKind, StopReason};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The user guide's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
pub struct GuideDoctests;
