//! One actor's cell: its state, behaviour and name behind one trait object,
//! and the code that runs a handler or hook inside `catch_unwind`.

use std::any::Any;

use compact_str::CompactString;
use rand_chacha::ChaCha8Rng;

use crate::actor::{Actor, Behavior};
use crate::address::{ActorId, MsgId, Ref};
use crate::context::Context;
use crate::mailbox::Item;
use crate::panic;
use crate::system::{trace, Core};
use crate::trace::EventKind;

/// What a delivery came to.
pub(crate) enum Outcome {
    Handled,
    /// A poison pill was taken.
    Stop,
    Failed {
        reason: String,
        msg: u64,
        from: u64,
    },
}

/// What the engine does with an actor without knowing its type.
pub(crate) trait Cell {
    /// Takes the next item of the actor's mailbox and handles it.
    fn deliver(&mut self, core: &mut Core, me: Ref) -> Outcome;
    /// Runs `post_stop`.
    fn post_stop(&mut self, core: &mut Core, me: Ref) -> Result<(), String>;
    fn as_any(&self) -> &dyn Any;
}

pub(crate) struct ActorBox<A: Actor> {
    pub(crate) state: A,
    pub(crate) behavior: Option<Behavior<A>>,
    pub(crate) name: CompactString,
    pub(crate) rng: Option<Box<ChaCha8Rng>>,
}

impl<A: Actor> ActorBox<A> {
    pub(crate) fn new(state: A, name: CompactString) -> Self {
        ActorBox {
            state,
            behavior: None,
            name,
            rng: None,
        }
    }

    /// Runs `pre_start`; a failure is the error's or the panic's text.
    pub(crate) fn start(&mut self, core: &mut Core, me: Ref) -> Result<(), String> {
        let quiet = core.quiet;
        let ActorBox {
            state,
            behavior,
            name,
            rng,
        } = self;
        let mut ctx = Context::new(core, me, None, behavior, rng, name);
        match panic::catch(quiet, || state.pre_start(&mut ctx)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(f)) => Err(f.reason().to_string()),
            Err(p) => Err(p),
        }
    }
}

impl<A: Actor> Cell for ActorBox<A> {
    #[inline]
    fn deliver(&mut self, core: &mut Core, me: Ref) -> Outcome {
        let Some(item) = core.pop::<A::Msg>(me) else {
            return Outcome::Handled;
        };
        match item {
            Item::User(env) => {
                let from = (env.from != 0).then_some(ActorId(env.from));
                let id = env.id;
                trace!(
                    core,
                    cause = env.cause,
                    EventKind::Deliver {
                        msg: MsgId(id),
                        actor: me.id,
                        from
                    }
                );
                let handler: Behavior<A> = self.behavior.unwrap_or(A::handle);
                let quiet = core.quiet;
                let ActorBox {
                    state,
                    behavior,
                    name,
                    rng,
                } = self;
                let mut ctx = Context::new(core, me, from, behavior, rng, name);
                let result = panic::catch(quiet, || handler(state, &mut ctx, env.msg));
                match result {
                    Ok(Ok(())) => {
                        core.stats.handled += 1;
                        trace!(
                            core,
                            EventKind::Done {
                                actor: me.id,
                                msg: MsgId(id)
                            }
                        );
                        Outcome::Handled
                    }
                    Ok(Err(f)) => Outcome::Failed {
                        reason: f.reason().to_string(),
                        msg: id,
                        from: env.from,
                    },
                    Err(text) => Outcome::Failed {
                        reason: text,
                        msg: id,
                        from: env.from,
                    },
                }
            }
            Item::Stop { id, from, cause } => {
                trace!(
                    core,
                    cause = cause,
                    EventKind::Deliver {
                        msg: MsgId(id),
                        actor: me.id,
                        from: (from != 0).then_some(ActorId(from))
                    }
                );
                core.stats.handled += 1;
                trace!(
                    core,
                    EventKind::Done {
                        actor: me.id,
                        msg: MsgId(id)
                    }
                );
                Outcome::Stop
            }
        }
    }

    fn post_stop(&mut self, core: &mut Core, me: Ref) -> Result<(), String> {
        let quiet = core.quiet;
        let ActorBox {
            state,
            behavior,
            name,
            rng,
        } = self;
        let mut ctx = Context::new(core, me, None, behavior, rng, name);
        panic::catch(quiet, || state.post_stop(&mut ctx))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
