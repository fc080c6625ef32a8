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

#![deny(missing_docs)]

mod actor;
mod address;
mod ask;
mod cell;
mod clock;
mod config;
mod context;
mod dead_letters;
mod kernel;
mod lifecycle;
mod links;
mod mailbox;
mod panic;
pub mod replay;
mod rng;
mod scheduler;
pub mod supervision;
mod system;
pub mod trace;

pub use actor::{Actor, Behavior, Down, Exit, Failure, Handled};
pub use address::{ActorId, Addr, MsgId, ReplyTo};
pub use ask::AskError;
pub use config::{Config, ParseStrategyError, Strategy, TraceLevel};
pub use context::Context;
pub use dead_letters::{DeadLetter, Stats};
pub use supervision::{ChildSpec, Directive, RestartType, Shutdown, SupervisorMsg, SupervisorSpec};
pub use system::{RunOutcome, Step, System};
pub use trace::{DeadLetterReason, Event, EventKind, StopReason};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
