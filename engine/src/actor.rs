//! The [`Actor`] trait, behaviours ("become") and failures.

use std::fmt;

use crate::context::Context;

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
        Failure {
            reason: reason.to_string(),
        }
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
