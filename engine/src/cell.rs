//! One actor's cell: its state, behaviour and name behind one trait object,
//! and the code that runs a handler or hook inside `catch_unwind`.

use std::any::Any;

use compact_str::CompactString;
use rand_chacha::ChaCha8Rng;

use crate::actor::{Actor, Behavior, Handled};
use crate::address::{ActorId, Key, MsgId, Ref};
use crate::context::Context;
use crate::faults::Fate;
use crate::mailbox::{Envelope, Item, Signal};
use crate::panic;
use crate::system::{trace, Core};
use crate::trace::{DeadLetterReason, EventKind, StopReason};

/// What a delivery came to.
pub(crate) enum Outcome {
    Handled,
    /// A poison pill was taken.
    Stop,
    Failed(Box<Failed>),
}

/// A handler's failure: why, the message, its sender, and the rest of its
/// batch (each with its sender).
pub(crate) struct Failed {
    pub(crate) reason: String,
    pub(crate) msg: u64,
    pub(crate) from: u64,
    pub(crate) rest: Vec<(u64, u64)>,
}

impl Outcome {
    fn failed(reason: String, msg: u64, from: u64) -> Outcome {
        Outcome::Failed(Box::new(Failed { reason, msg, from, rest: Vec::new() }))
    }

    fn failed_batch(reason: String, mut batch: Vec<(u64, u64)>) -> Outcome {
        let (msg, from) = batch.remove(0);
        Outcome::Failed(Box::new(Failed { reason, msg, from, rest: batch }))
    }
}

/// What the engine does with an actor without knowing its type.
pub(crate) trait Cell {
    /// Takes the next item of the actor's mailbox and handles it; the actor
    /// is `key`, its slot and mailbox queue `place` (see
    /// [`Ref::from_place`]), in pool `pool`.
    ///
    /// The actor comes in parts, not as a [`Ref`]: all the arguments go in
    /// registers, where a `Ref` would be written to memory by the caller
    /// and read back by the callee on every delivery.
    fn deliver(&mut self, core: &mut Core, place: u64, key: Key, pool: u16) -> Outcome;
    /// Runs `pre_start`.
    fn start(&mut self, core: &mut Core, me: Ref) -> Result<(), String>;
    /// Runs `post_stop`.
    fn post_stop(&mut self, core: &mut Core, me: Ref) -> Result<(), String>;
    /// Runs `pre_restart` on the old incarnation.
    fn pre_restart(&mut self, core: &mut Core, me: Ref, reason: &StopReason, msg: Option<u64>) -> Result<(), String>;
    /// Runs `post_restart` on the new incarnation.
    fn post_restart(&mut self, core: &mut Core, me: Ref, reason: &StopReason) -> Result<(), String>;
    fn set_name(&mut self, name: CompactString);
    fn name(&self) -> &str;
    /// The actor's random stream, kept across incarnations.
    fn rng_slot(&mut self) -> &mut Option<Box<ChaCha8Rng>>;
    /// Takes over the random stream of the incarnation before.
    fn take_rng(&mut self, old: &mut dyn Cell) {
        *self.rng_slot() = old.rng_slot().take();
    }
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// A supervisor's strategy (for the trace); `None` for an actor.
    fn supervisor_strategy(&self) -> Option<crate::supervision::Strategy> {
        None
    }
}

pub(crate) struct ActorBox<A: Actor> {
    pub(crate) state: A,
    pub(crate) own: Own<A>,
}

/// What an actor has besides its state, which its [`Context`] lends out.
pub(crate) struct Own<A: Actor> {
    pub(crate) behavior: Option<Behavior<A>>,
    pub(crate) name: CompactString,
    pub(crate) rng: Option<Box<ChaCha8Rng>>,
}

impl<A: Actor> ActorBox<A> {
    pub(crate) fn new(state: A, name: CompactString) -> Self {
        ActorBox { state, own: Own { behavior: None, name, rng: None } }
    }

    /// Runs `f` on the actor with a fresh context, catching panics; a
    /// failure is the error's or the panic's text.
    fn hook(
        &mut self,
        core: &mut Core,
        me: Ref,
        f: impl FnOnce(&mut A, &mut Context<'_, A>) -> Handled,
    ) -> Result<(), String> {
        let ActorBox { state, own } = self;
        let mut ctx = Context::new(core, me, 0, own);
        match panic::catch(|| f(state, &mut ctx)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(f)) => Err(f.reason().to_string()),
            Err(p) => Err(p),
        }
    }
}

impl<A: Actor> ActorBox<A> {
    /// Takes `first` and up to `batch - 1` more user messages queued right
    /// behind it, and hands them to [`Actor::handle_batch`].
    #[cold]
    fn deliver_batch(
        &mut self,
        core: &mut Core,
        me: Ref,
        pool: u16,
        first: crate::mailbox::Envelope<A::Msg>,
    ) -> Outcome {
        let k = core.slots[me.slot as usize].batch as usize;
        let mut envs = vec![first];
        // Only what is queued: parked sends wait behind it.
        while envs.len() < k
            && core.slots[me.slot as usize].len > 0
            && matches!(core.pools.queue::<A::Msg>(pool, me.queue).front(), Some(Item::User(_)))
        {
            if let Some(Item::User(e)) = core.pop::<A::Msg>(me, pool) {
                envs.push(e);
            }
        }
        trace!(core, EventKind::Batch { actor: me.id(), size: envs.len() as u32 });
        let mut ids = Vec::with_capacity(envs.len());
        let mut msgs = Vec::with_capacity(envs.len());
        for e in envs {
            core.trace_deliver(e.id, me.id(), e.from, e.cause);
            ids.push((e.id, e.from));
            msgs.push(e.msg);
        }
        // Delivery-time faults look at the batch's first message and act on
        // the whole batch.
        let mut slow = 0;
        if core.fault_on {
            match core.delivery_fault(me, &msgs[0], ids[0].0) {
                Some((rule, Fate::Crash)) => {
                    return Outcome::failed_batch(format!("injected crash (rule {rule})"), ids)
                }
                Some((_, Fate::Kill)) => {
                    for &(id, from) in &ids {
                        core.dead_letter(id, from, me.id(), DeadLetterReason::PendingAtStop, None);
                    }
                    core.kill(me, 0);
                    return Outcome::Handled;
                }
                Some((_, Fate::Slow(ticks))) => slow = ticks,
                _ => {}
            }
        }
        let ActorBox { state, own } = self;
        let mut ctx = Context::new(core, me, ids[0].1, own);
        match panic::catch(|| state.handle_batch(&mut ctx, msgs)) {
            Ok(Ok(())) => {
                for &(id, _) in &ids {
                    core.stats.handled += 1;
                    core.trace_done(me.id(), id);
                }
                if slow > 0 {
                    core.slow_down(me, slow);
                }
                Outcome::Handled
            }
            Ok(Err(f)) => Outcome::failed_batch(f.reason().to_string(), ids),
            Err(text) => Outcome::failed_batch(text, ids),
        }
    }
}

impl<A: Actor> ActorBox<A> {
    /// Handles a user message in the common case: one at a time, with no
    /// fault plan. Kept small (everything else is in
    /// [`ActorBox::deliver_other`]), so the handler's own code has the
    /// registers.
    #[inline(always)]
    fn deliver_user(&mut self, core: &mut Core, me: Ref, env: Envelope<A::Msg>) -> Outcome {
        // Taken apart at once: the fields stay in registers, and only the
        // message itself is moved into the handler's call.
        let Envelope { msg, id, from, cause } = env;
        core.trace_deliver(id, me.id(), from, cause);
        self.handle(core, me, msg, id, from)
    }

    /// Runs the handler on message `id` (from `sent_by`, 0 if not an actor).
    #[inline(always)]
    fn handle(&mut self, core: &mut Core, me: Ref, msg: A::Msg, id: u64, sent_by: u64) -> Outcome {
        let installed: Option<Behavior<A>> = self.own.behavior;
        let ActorBox { state, own } = self;
        let mut ctx = Context::new(core, me, sent_by, own);
        // `A::handle` called directly, not through a pointer, so it can be inlined.
        let result = panic::catch(|| match installed {
            None => A::handle(state, &mut ctx, msg),
            Some(handler) => handler(state, &mut ctx, msg),
        });
        match result {
            Ok(Ok(())) => {
                core.stats.handled += 1;
                core.trace_done(me.id(), id);
                Outcome::Handled
            }
            Ok(Err(f)) => Outcome::failed(f.reason().to_string(), id, sent_by),
            Err(text) => Outcome::failed(text, id, sent_by),
        }
    }

    /// Delivers what [`ActorBox::deliver_user`] does not: a batch, a user
    /// message under a fault plan, a poison pill, a signal.
    #[inline(never)]
    fn deliver_other(&mut self, core: &mut Core, me: Ref, pool: u16, item: Item<A::Msg>) -> Outcome {
        match item {
            Item::User(env) if core.slots[me.slot as usize].batch > 1 => self.deliver_batch(core, me, pool, env),
            Item::User(env) => self.deliver_faulty(core, me, env),
            Item::Stop { id, from, cause } => {
                core.trace_deliver(id, me.id(), from, cause);
                core.stats.handled += 1;
                core.trace_done(me.id(), id);
                Outcome::Stop
            }
            Item::Signal(s) => {
                let (id, from) = (s.id, s.from);
                core.trace_deliver(id, me.id(), from, s.cause);
                let result = match s.signal {
                    Signal::Down(down) => self.hook(core, me, |a, ctx| a.on_down(ctx, down)),
                    Signal::Exit(exit) => self.hook(core, me, |a, ctx| a.on_exit(ctx, exit)),
                    Signal::Credit(n) => {
                        core.add_credit(me.id().0, from, n);
                        self.hook(core, me, |a, ctx| a.on_credit(ctx, ActorId(from), n))
                    }
                    // Only supervisors get these; an actor has nothing to do.
                    Signal::ChildEnded { .. } => Ok(()),
                };
                match result {
                    Ok(()) => {
                        core.stats.handled += 1;
                        core.trace_done(me.id(), id);
                        Outcome::Handled
                    }
                    Err(reason) => Outcome::failed(reason, id, from),
                }
            }
        }
    }

    /// A user message under a fault plan: a delivery-time fault may crash
    /// or kill the actor instead, or hold it after the handler.
    fn deliver_faulty(&mut self, core: &mut Core, me: Ref, env: Envelope<A::Msg>) -> Outcome {
        let Envelope { msg, id, from: sent_by, cause } = env;
        core.trace_deliver(id, me.id(), sent_by, cause);
        let mut slow = 0;
        match core.delivery_fault(me, &msg, id) {
            Some((rule, Fate::Crash)) => return Outcome::failed(format!("injected crash (rule {rule})"), id, sent_by),
            Some((_, Fate::Kill)) => {
                core.dead_letter(id, sent_by, me.id(), DeadLetterReason::PendingAtStop, None);
                core.kill(me, 0);
                return Outcome::Handled;
            }
            Some((_, Fate::Slow(ticks))) => slow = ticks,
            _ => {}
        }
        let outcome = self.handle(core, me, msg, id, sent_by);
        if slow > 0 && matches!(outcome, Outcome::Handled) {
            core.slow_down(me, slow);
        }
        outcome
    }
}

impl<A: Actor> Cell for ActorBox<A> {
    #[inline]
    fn deliver(&mut self, core: &mut Core, place: u64, key: Key, pool: u16) -> Outcome {
        let me = Ref::from_place(place, key);
        let Some((item, plain)) = core.pop_plain::<A::Msg>(me, pool) else {
            return Outcome::Handled;
        };
        match item {
            Item::User(env) if plain => self.deliver_user(core, me, env),
            item => self.deliver_other(core, me, pool, item),
        }
    }

    fn start(&mut self, core: &mut Core, me: Ref) -> Result<(), String> {
        self.hook(core, me, |a, ctx| a.pre_start(ctx))
    }

    fn post_stop(&mut self, core: &mut Core, me: Ref) -> Result<(), String> {
        self.hook(core, me, |a, ctx| {
            a.post_stop(ctx);
            Ok(())
        })
    }

    fn pre_restart(&mut self, core: &mut Core, me: Ref, reason: &StopReason, msg: Option<u64>) -> Result<(), String> {
        self.hook(core, me, |a, ctx| {
            a.pre_restart(ctx, reason, msg.map(MsgId));
            Ok(())
        })
    }

    fn post_restart(&mut self, core: &mut Core, me: Ref, reason: &StopReason) -> Result<(), String> {
        self.hook(core, me, |a, ctx| a.post_restart(ctx, reason))
    }

    fn set_name(&mut self, name: CompactString) {
        self.own.name = name;
    }

    fn name(&self) -> &str {
        &self.own.name
    }

    fn rng_slot(&mut self) -> &mut Option<Box<ChaCha8Rng>> {
        &mut self.own.rng
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
