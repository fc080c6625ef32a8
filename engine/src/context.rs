//! What a handler may do: send, spawn, set timers, ask, reply, stop, become,
//! draw random numbers, read the clock.

use std::fmt;

use rand_chacha::ChaCha8Rng;

use crate::actor::{Actor, Behavior};
use crate::address::{ActorId, Addr, MsgId, Ref, ReplyTo};
use crate::ask::{AskError, Asker};
use crate::cell::Own;
use crate::mailbox::MailboxConfig;
use crate::rng;
use crate::supervision::{ChildSpec, SupervisorMsg};
use crate::system::Core;
use crate::trace::StopReason;

/// A handler's view of the system. Every effect is applied at once and
/// recorded in the trace with this delivery as its cause.
pub struct Context<'a, A: Actor> {
    core: &'a mut Core,
    me: Ref,
    /// Who sent the message being handled, 0 if not an actor.
    sender: u64,
    own: &'a mut Own<A>,
}

impl<'a, A: Actor> Context<'a, A> {
    pub(crate) fn new(core: &'a mut Core, me: Ref, sender: u64, own: &'a mut Own<A>) -> Self {
        Context { core, me, sender, own }
    }

    /// This actor's own address.
    pub fn addr(&self) -> Addr<A::Msg> {
        Addr::new(self.me)
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.me.id()
    }

    /// This actor's name.
    pub fn name(&self) -> &str {
        self.own.name.as_str()
    }

    /// Who sent the message being handled, if it was an actor.
    pub fn sender(&self) -> Option<ActorId> {
        (self.sender != 0).then_some(ActorId(self.sender))
    }

    /// The virtual time, in ticks.
    pub fn now(&self) -> u64 {
        self.core.clock.now
    }

    /// The number of this delivery (the step).
    pub fn step(&self) -> u64 {
        self.core.step
    }

    /// Sends `msg` to `to`. A stopped recipient makes it a dead letter
    /// `no_recipient`; nothing is lost silently.
    #[inline]
    pub fn send<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M) -> MsgId {
        MsgId(self.core.send(to.r(), msg, self.me.id().0))
    }

    /// Sends `msg` to `to` after `delay` ticks; returns the timer's id.
    pub fn send_after<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M, delay: u64) -> u64 {
        self.core.send_after(to.r(), msg, delay, self.me.id().0)
    }

    /// Cancels a timer set with [`Context::send_after`]; returns true if and
    /// only if it had not fired yet.
    pub fn cancel_timer(&mut self, timer: u64) -> bool {
        self.core.cancel_timer(timer)
    }

    /// Spawns a child of this actor. Its `pre_start` runs now; a failure
    /// there stops the child at once. An empty name gets `Type-id`.
    pub fn spawn<B: Actor>(&mut self, name: &str, actor: B) -> Addr<B::Msg> {
        self.core.spawn(self.me.slot, name, actor, MailboxConfig::UNBOUNDED)
    }

    /// [`Context::spawn`] with a mailbox of its own kind.
    pub fn spawn_with<B: Actor>(&mut self, name: &str, actor: B, mailbox: MailboxConfig) -> Addr<B::Msg> {
        self.core.spawn(self.me.slot, name, actor, mailbox)
    }

    /// Sends `msg` unless `to`'s mailbox is full with policy
    /// [`Overflow::Reject`](crate::Overflow::Reject), in which case the
    /// message comes back (SPEC rule 22). Under any other policy it is
    /// [`Context::send`].
    pub fn try_send<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M) -> Result<MsgId, Rejected<M>> {
        if self.core.would_reject(to.r()) {
            let id = self.core.rejected_back(to.r(), &msg, self.me.id().0);
            return Err(Rejected { msg, id: MsgId(id) });
        }
        Ok(self.send(to, msg))
    }

    /// Grants `sender` credit for `n` more messages to this actor (SPEC rule
    /// 23). The grant travels as a notification; when it arrives the sender
    /// holds the credit and its [`Actor::on_credit`] runs.
    pub fn grant<M>(&mut self, sender: Addr<M>, n: u32) {
        self.core.grant(self.me, sender.r(), n);
    }

    /// Sends `msg` to `to` using one credit `to` granted; without credit the
    /// message comes back and nothing is sent. A receiver whose capacity
    /// covers the credit it grants never drops a message.
    pub fn send_credited<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M) -> Result<MsgId, NoCredit<M>> {
        if self.core.ours(to.r().key) && self.core.take_credit(self.me.id().0, to.id().0) {
            Ok(self.send(to, msg))
        } else {
            Err(NoCredit(msg))
        }
    }

    /// The credit this actor holds toward `to`.
    pub fn credit<M>(&self, to: Addr<M>) -> u32 {
        if !self.core.ours(to.r().key) {
            // Another system's actor granted nothing here.
            return 0;
        }
        self.core.credit(self.me.id().0, to.id().0)
    }

    /// The handler the next message goes to: the installed behaviour, or
    /// [`Actor::handle`].
    pub fn behavior(&self) -> Behavior<A> {
        self.own.behavior.unwrap_or(A::handle)
    }

    /// Asks `to` without blocking: `make` builds the request around a
    /// [`ReplyTo`], and when the ask completes (reply, timeout after
    /// `timeout` ticks, the target's failure or death) `map` turns the
    /// answer into a message for this actor, which arrives like any other.
    pub fn ask<M, R>(
        &mut self,
        to: Addr<M>,
        make: impl FnOnce(ReplyTo<R>) -> M,
        timeout: u64,
        map: impl FnOnce(Result<R, AskError>) -> A::Msg + 'static,
    ) -> u64
    where
        M: fmt::Debug + 'static,
        R: 'static,
    {
        let me = self.me;
        let deliver = Box::new(move |core: &mut Core, answer: crate::ask::Reply, from: u64| {
            let answer = answer.map(|b| *b.downcast::<R>().expect("engine invariant: a reply has its ReplyTo's type"));
            match crate::panic::catch(move || map(answer)) {
                Ok(msg) => {
                    core.send(me, msg, from);
                }
                Err(why) => core.fail(me, format!("in an ask's answer mapping: {why}"), None, 0, true),
            }
        });
        self.core.start_ask(to, make, timeout, Asker::Actor(deliver), self.me.id().0)
    }

    /// Answers an ask. If the ask already completed (it timed out, say), the
    /// reply becomes a dead letter `late_reply`.
    pub fn reply<R: fmt::Debug + 'static>(&mut self, to: ReplyTo<R>, value: R) {
        self.core.reply(to, value, self.me.id().0);
    }

    /// Stops this actor once the current handler returns: its children stop
    /// (youngest first), `post_stop` runs, the rest of the mailbox becomes
    /// dead letters `pending_at_stop`.
    pub fn stop(&mut self) {
        self.core.stop(self.me, StopReason::Normal, true);
    }

    /// Sends `to` a poison pill: it handles everything sent before, then stops.
    pub fn stop_actor<M: 'static>(&mut self, to: Addr<M>) {
        self.core.send_stop(to, self.me.id().0);
    }

    /// Kills `to` at once (after the current handler, if `to` is this actor
    /// or one of its ancestors): no hooks, reason `killed`.
    pub fn kill<M>(&mut self, to: Addr<M>) {
        self.core.kill(to.r(), self.me.id().0);
    }

    /// "Become": the next message (and every one after, until the next
    /// call) is handled by `behavior` instead of [`Actor::handle`].
    pub fn become_(&mut self, behavior: Behavior<A>) {
        self.own.behavior = Some(behavior);
    }

    /// Goes back to [`Actor::handle`] for the next message.
    pub fn unbecome(&mut self) {
        self.own.behavior = None;
    }

    /// Monitors `target`: when it stops for good, this actor's
    /// [`Actor::on_down`] gets one [`Down`](crate::Down), queued behind
    /// everything `target` sent before. If `target` is already gone, the
    /// `Down` (with no reason: "noproc") comes at once. Returns the monitor's id.
    pub fn monitor<M>(&mut self, target: Addr<M>) -> u64 {
        self.core.monitor(self.me, target.r())
    }

    /// Removes a monitor; returns true if and only if it was active.
    pub fn demonitor(&mut self, monitor: u64) -> bool {
        self.core.demonitor(monitor)
    }

    /// Links this actor with `other` (both ways; linking twice is linking
    /// once): when either stops abnormally, the other is ended with the same
    /// reason, unless it traps exits.
    pub fn link<M>(&mut self, other: Addr<M>) {
        self.core.link(self.me, other.r());
    }

    /// Removes the link with `other`, if any.
    pub fn unlink<M>(&mut self, other: Addr<M>) {
        self.core.unlink_actors(self.me, other.r());
    }

    /// Traps exits: a linked actor's end arrives as an [`Exit`](crate::Exit)
    /// to [`Actor::on_exit`] instead of ending this actor.
    pub fn trap_exit(&mut self, on: bool) {
        self.core.set_trap_exit(self.me, on);
    }

    /// Starts a child under supervisor `sup` at run time (one-for-one
    /// semantics apply to it). Returns its id, or `None` if `sup` is gone.
    pub fn start_child(&mut self, sup: Addr<SupervisorMsg>, spec: ChildSpec) -> Option<ActorId> {
        self.core.with_supervisor(sup.r(), |s, core| s.start_child(core, sup.r(), spec)).map(|r| r.id())
    }

    /// The live child of supervisor `sup` called `name`, if its messages are `M`s.
    pub fn child<M: 'static>(&self, sup: Addr<SupervisorMsg>, name: &str) -> Option<Addr<M>> {
        self.core.child_addr(sup.r(), name)
    }

    /// This actor's incarnation number: 0, then one more at each restart.
    pub fn incarnation(&self) -> u32 {
        self.core.incarnation(self.me.slot)
    }

    /// This actor's own seeded random stream (stream `2^32 + id` of the
    /// run's seed): independent of the schedule and of other actors.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        let (seed, id) = (self.core.config.seed, self.me.id().0);
        self.own.rng.get_or_insert_with(|| Box::new(rng::stream(seed, rng::ACTORS + id)))
    }
}

impl<A: Actor> fmt::Debug for Context<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("me", &self.me.id()).field("step", &self.core.step).finish_non_exhaustive()
    }
}

/// A message a full mailbox with policy [`Overflow::Reject`](crate::Overflow::Reject)
/// handed back to its sender.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected<M> {
    /// The message.
    pub msg: M,
    /// The id it was given.
    pub id: MsgId,
}

/// A message [`Context::send_credited`] did not send for lack of credit.
#[derive(Debug, PartialEq, Eq)]
pub struct NoCredit<M>(pub M);
