//! The [`Actor`] trait, behaviours ("become") and failures.

use std::fmt;

use crate::address::{ActorId, MsgId};
use crate::context::Context;
use crate::trace::StopReason;

/// What a handler returns: `Ok(())`, or a [`Failure`] that goes to
/// supervision exactly like a panic would (SPEC rule 15).
pub type Handled = Result<(), Failure>;

/// A behaviour: the function that handles the next message. Install one with
/// [`Context::become_`](crate::Context::become_) ("become", SPEC rule 1).
pub type Behavior<A> = fn(&mut A, &mut Context<'_, A>, <A as Actor>::Msg) -> Handled;

/// An actor: private state plus a handler for its one message type.
///
/// The engine calls [`Actor::handle`] once per delivered message unless a
/// behaviour installed with [`Context::become_`](crate::Context::become_)
/// takes its place. Handlers never block: to wait for something, send a
/// message, set a timer or ask, and handle the answer when it arrives.
///
/// # Examples
///
/// ```
/// use rehearsal::{Actor, Config, Context, Handled, System};
///
/// struct Counter(u64);
///
/// impl Actor for Counter {
///     type Msg = u64;
///     fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Handled {
///         self.0 += n;
///         Ok(())
///     }
/// }
///
/// let mut sys = System::new(Config::seeded(7));
/// let c = sys.spawn("counter", Counter(0));
/// sys.send(c, 2);
/// sys.send(c, 3);
/// sys.run_until_idle();
/// assert_eq!(sys.state(c, |c: &Counter| c.0), Some(5));
/// ```
pub trait Actor: Sized + 'static {
    /// The one type of message this actor accepts. `Debug` is what the trace
    /// records as the payload.
    type Msg: fmt::Debug + 'static;

    /// Handles one message.
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Self::Msg) -> Handled;

    /// Runs once when an incarnation starts, before it handles any message.
    fn pre_start(&mut self, ctx: &mut Context<'_, Self>) -> Handled {
        let _ = ctx;
        Ok(())
    }

    /// Runs once when the actor stops (normally, by a poison pill, or after a
    /// failure); never after a kill.
    fn post_stop(&mut self, ctx: &mut Context<'_, Self>) {
        let _ = ctx;
    }

    /// Runs on the failing (old) incarnation when its supervisor restarts it,
    /// before its children are stopped and the new incarnation is built
    /// (SPEC rule 16). `msg` is the message whose handling failed, if any.
    /// By default it calls [`Actor::post_stop`], as Akka does.
    fn pre_restart(&mut self, ctx: &mut Context<'_, Self>, reason: &StopReason, msg: Option<MsgId>) {
        let _ = (reason, msg);
        self.post_stop(ctx);
    }

    /// Runs on the new incarnation after a restart, before it handles any
    /// message. By default it calls [`Actor::pre_start`], as Akka does.
    fn post_restart(&mut self, ctx: &mut Context<'_, Self>, reason: &StopReason) -> Handled {
        let _ = reason;
        self.pre_start(ctx)
    }

    /// Handles a batch of messages taken in one delivery, in order, when the
    /// mailbox allows batches ([`MailboxConfig::batch`](crate::MailboxConfig::batch)).
    /// By default each goes to the current behaviour in turn; override it to
    /// work on the batch as a whole. A failure fails the whole batch: every
    /// message in it becomes a dead letter `failed`.
    fn handle_batch(&mut self, ctx: &mut Context<'_, Self>, batch: Vec<Self::Msg>) -> Handled {
        for msg in batch {
            let handler = ctx.behavior();
            handler(self, ctx, msg)?;
        }
        Ok(())
    }

    /// `from` granted this actor credit for `n` more messages (see
    /// [`Context::send_credited`](crate::Context::send_credited)). The credit is
    /// already added when this runs. Ignored by default.
    fn on_credit(&mut self, ctx: &mut Context<'_, Self>, from: ActorId, n: u32) -> Handled {
        let _ = (ctx, from, n);
        Ok(())
    }

    /// A monitored actor stopped (see [`Context::monitor`](crate::Context::monitor)).
    /// Ignored by default.
    fn on_down(&mut self, ctx: &mut Context<'_, Self>, down: Down) -> Handled {
        let _ = (ctx, down);
        Ok(())
    }

    /// A linked actor exited and this actor traps exits (see
    /// [`Context::trap_exit`](crate::Context::trap_exit)). Ignored by default.
    fn on_exit(&mut self, ctx: &mut Context<'_, Self>, exit: Exit) -> Handled {
        let _ = (ctx, exit);
        Ok(())
    }
}

/// A monitor's notification: the watched actor stopped (SPEC rule 20).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Down {
    /// The monitor's id, as [`Context::monitor`](crate::Context::monitor) returned it.
    pub monitor: u64,
    /// The actor that stopped.
    pub actor: ActorId,
    /// Why; `None` ("noproc") if it was already gone when the monitor was set.
    pub reason: Option<StopReason>,
}

/// A linked actor's exit, delivered to an actor that traps exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// The actor that exited.
    pub from: ActorId,
    /// Why.
    pub reason: StopReason,
}

/// Why a handler failed: an explicit error return, a caught panic, or an
/// injected crash.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    reason: String,
}

impl Failure {
    /// A failure with this reason.
    ///
    /// ```
    /// let f = rehearsal::Failure::new("disk full");
    /// assert_eq!(f.reason(), "disk full");
    /// ```
    pub fn new(reason: impl fmt::Display) -> Self {
        Failure { reason: reason.to_string() }
    }

    /// The reason text.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Failure({:?})", self.reason)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::new(e)
    }
}
