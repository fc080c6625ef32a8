//! The public face of the engine: [`System`], and the [`Core`] every
//! handler's context works on.

use std::fmt;
use std::io::Write;

use compact_str::{format_compact, CompactString};
use rand_chacha::ChaCha8Rng;
use slab::Slab;

use crate::actor::Actor;
use crate::address::{ActorId, Addr, MsgId, Ref, ReplyTo};
use crate::ask::{AskError, Asker, Asks, Pending, Reply};
use crate::cell::{ActorBox, Cell, Outcome};
use crate::clock::{Clock, Timer, TimerKind};
use crate::config::Config;
use crate::dead_letters::{DeadLetter, Stats};
use crate::mailbox::{Envelope, Item, Pools};
use crate::rng;
use crate::scheduler::Scheduler;
use crate::trace::{
    Comparer, DeadLetterReason, Event, EventKind, MsgKind, StopReason, TraceHeader, Tracer,
    FORMAT_NAME, FORMAT_VERSION,
};

pub(crate) const NIL: u32 = u32::MAX;
const STOPPING: u32 = 1;

/// Records an event if tracing is on, without building it otherwise.
macro_rules! trace {
    ($core:expr, $kind:expr) => {
        if $core.trace.on {
            let cause = $core.cause;
            $core.emit(cause, $kind);
        }
    };
    ($core:expr, cause = $cause:expr, $kind:expr) => {
        if $core.trace.on {
            $core.emit($cause, $kind);
        }
    };
}
pub(crate) use trace;

/// One actor's place: hot bookkeeping here, the actor itself boxed in `cell`.
pub(crate) struct Slot {
    pub(crate) id: ActorId,
    /// The actor; `None` while its own code runs.
    pub(crate) cell: Option<Box<dyn Cell>>,
    pub(crate) pool: u32,
    pub(crate) queue: u32,
    pub(crate) len: u32,
    pub(crate) high_water: u32,
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) last_child: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    pub(crate) flags: u32,
}

/// Everything a run owns. Handlers reach it through their
/// [`Context`](crate::Context).
pub(crate) struct Core {
    pub(crate) slots: Slab<Slot>,
    pub(crate) pools: Pools,
    pub(crate) sched: Scheduler,
    pub(crate) sched_rng: ChaCha8Rng,
    pub(crate) clock: Clock,
    pub(crate) config: Config,
    pub(crate) stats: Stats,
    pub(crate) dead: Vec<DeadLetter>,
    pub(crate) asks: Asks,
    pub(crate) trace: Tracer,
    /// Deliveries made; the delivery in progress has this number.
    pub(crate) step: u64,
    /// The delivery whose effects are being applied, 0 outside any.
    pub(crate) cause: u64,
    pub(crate) quiet: bool,
    next_actor: u64,
    next_msg: u64,
    /// Slots whose code is on the stack now (a handler, a hook).
    running: Vec<u32>,
    /// Stops that must wait until the actors involved are off the stack.
    deferred: Vec<(Ref, StopReason, bool)>,
    pub(crate) halted: bool,
    top_first: u32,
    top_last: u32,
    drain_buf: Vec<(u64, u64)>,
}

fn opt(id: u64) -> Option<ActorId> {
    (id != 0).then_some(ActorId(id))
}

// ===== impl Core =====

impl Core {
    fn new(config: Config, keep_in_memory: bool) -> Self {
        let mut sched_rng = rng::stream(config.seed, rng::SCHEDULE);
        let sched = Scheduler::new(config.strategy, &mut sched_rng);
        Core {
            slots: Slab::new(),
            pools: Pools::default(),
            sched,
            sched_rng,
            clock: Clock::default(),
            trace: Tracer::new(config.trace, keep_in_memory),
            quiet: !config.print_panics,
            config,
            stats: Stats::default(),
            dead: Vec::new(),
            asks: Asks::default(),
            step: 0,
            cause: 0,
            next_actor: 0,
            next_msg: 0,
            running: Vec::new(),
            deferred: Vec::new(),
            halted: false,
            top_first: NIL,
            top_last: NIL,
            drain_buf: Vec::new(),
        }
    }

    pub(crate) fn header(&self) -> TraceHeader {
        TraceHeader {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            engine: env!("CARGO_PKG_VERSION").to_string(),
            scenario: self.config.scenario.clone(),
            seed: self.config.seed,
            strategy: self.config.strategy,
            level: self.config.trace,
            max_steps: self.config.max_steps,
            params: self.config.params.clone(),
        }
    }

    #[inline]
    pub(crate) fn emit(&mut self, cause: u64, kind: EventKind) {
        let ev = Event {
            step: self.step,
            time: self.clock.now,
            cause: (cause != 0).then_some(cause),
            kind,
        };
        if self.trace.record(ev) {
            self.halted = true;
        }
    }

    #[inline]
    pub(crate) fn alive(&self, r: Ref) -> bool {
        matches!(self.slots.get(r.slot as usize), Some(s) if s.id == r.id)
    }

    fn slot_ref(&self, slot: u32) -> Ref {
        Ref {
            slot,
            id: self.slots[slot as usize].id,
        }
    }

    #[inline]
    pub(crate) fn next_msg_id(&mut self) -> u64 {
        self.next_msg += 1;
        self.next_msg
    }

    // ----- spawning -----

    pub(crate) fn spawn<A: Actor>(&mut self, parent: u32, name: &str, actor: A) -> Addr<A::Msg> {
        self.next_actor += 1;
        let id = ActorId(self.next_actor);
        let pool = self.pools.id_of::<A::Msg>();
        let queue = self.pools.new_queue::<A::Msg>(pool);
        let slot = self.slots.insert(Slot {
            id,
            cell: None,
            pool,
            queue,
            len: 0,
            high_water: 0,
            parent,
            first_child: NIL,
            last_child: NIL,
            prev: NIL,
            next: NIL,
            flags: 0,
        }) as u32;
        self.link(parent, slot);
        self.sched.on_spawn(slot, &mut self.sched_rng);
        self.stats.spawned += 1;
        let me = Ref { slot, id };
        let name: CompactString = if name.is_empty() {
            format_compact!("{}-{}", short_type::<A>(), id.0)
        } else {
            name.into()
        };
        trace!(
            self,
            EventKind::Spawn {
                actor: id,
                parent: (parent != NIL).then(|| self.slots[parent as usize].id),
                name: name.clone(),
                type_name: short_type::<A>().into(),
            }
        );
        let mut cell = Box::new(ActorBox::new(actor, name));
        self.running.push(slot);
        let started = cell.start(self, me);
        self.running.pop();
        self.slots[slot as usize].cell = Some(cell);
        if let Err(reason) = started {
            self.fail(me, reason, None, 0, false);
        }
        self.settle();
        Addr::new(me)
    }

    fn link(&mut self, parent: u32, slot: u32) {
        let last = if parent == NIL {
            self.top_last
        } else {
            self.slots[parent as usize].last_child
        };
        self.slots[slot as usize].prev = last;
        if last == NIL {
            if parent == NIL {
                self.top_first = slot;
            } else {
                self.slots[parent as usize].first_child = slot;
            }
        } else {
            self.slots[last as usize].next = slot;
        }
        if parent == NIL {
            self.top_last = slot;
        } else {
            self.slots[parent as usize].last_child = slot;
        }
    }

    fn unlink(&mut self, slot: u32) {
        let (parent, prev, next) = {
            let s = &self.slots[slot as usize];
            (s.parent, s.prev, s.next)
        };
        if prev == NIL {
            if parent == NIL {
                self.top_first = next;
            } else {
                self.slots[parent as usize].first_child = next;
            }
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            if parent == NIL {
                self.top_last = prev;
            } else {
                self.slots[parent as usize].last_child = prev;
            }
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    // ----- sending -----

    /// Sends a user message; returns its id.
    #[inline]
    pub(crate) fn send<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64) -> u64 {
        let id = self.next_msg_id();
        self.send_with_id(to, msg, from, id);
        id
    }

    #[inline]
    pub(crate) fn send_with_id<M: fmt::Debug + 'static>(
        &mut self,
        to: Ref,
        msg: M,
        from: u64,
        id: u64,
    ) {
        if self.trace.on {
            let payload = self.trace.payloads.then(|| format_compact!("{msg:?}"));
            let cause = self.cause;
            self.emit(
                cause,
                EventKind::Send {
                    msg: MsgId(id),
                    from: opt(from),
                    to: to.id,
                    what: MsgKind::User,
                    payload,
                },
            );
        }
        self.stats.sent += 1;
        let cause = self.cause;
        self.enqueue(
            to,
            Item::User(Envelope {
                msg,
                id,
                from,
                cause,
            }),
        );
    }

    /// Sends a poison pill.
    pub(crate) fn send_stop<M: 'static>(&mut self, to: Addr<M>, from: u64) {
        let id = self.next_msg_id();
        trace!(
            self,
            EventKind::Send {
                msg: MsgId(id),
                from: opt(from),
                to: to.id(),
                what: MsgKind::Stop,
                payload: None
            }
        );
        self.stats.sent += 1;
        let cause = self.cause;
        self.enqueue::<M>(to.r, Item::Stop { id, from, cause });
    }

    #[inline]
    fn enqueue<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        match self.slots.get_mut(to.slot as usize) {
            Some(s) if s.id == to.id => {
                let head = item.id();
                self.pools.queue::<M>(s.pool, s.queue).push_back(item);
                s.len += 1;
                if s.len > s.high_water {
                    s.high_water = s.len;
                }
                self.stats.queued += 1;
                if s.len == 1 {
                    self.sched.wake(to.slot, head);
                }
            }
            _ => {
                let (id, from) = (item.id(), item.from());
                drop(item);
                self.dead_letter(id, from, to.id, DeadLetterReason::NoRecipient, None);
            }
        }
    }

    /// Records a dead letter; completes an ask whose request it was.
    pub(crate) fn dead_letter(
        &mut self,
        msg: u64,
        from: u64,
        to: ActorId,
        reason: DeadLetterReason,
        why: Option<&str>,
    ) {
        self.stats.dead_letters += 1;
        self.stats.dead_by_reason[reason as usize] += 1;
        self.dead.push(DeadLetter {
            msg: MsgId(msg),
            from: opt(from),
            to,
            reason,
            step: self.step,
            time: self.clock.now,
        });
        trace!(
            self,
            EventKind::DeadLetter {
                msg: MsgId(msg),
                from: opt(from),
                to,
                reason
            }
        );
        if !self.asks.by_request.is_empty() {
            if let Some(ask) = self.asks.by_request.get(&msg).copied() {
                let err = match (reason, why) {
                    (DeadLetterReason::Failed, Some(why)) => AskError::Failed(why.to_string()),
                    _ => AskError::Dead,
                };
                self.complete_ask(ask, Err(err), 0);
            }
        }
    }

    // ----- timers -----

    pub(crate) fn send_after<M: fmt::Debug + 'static>(
        &mut self,
        to: Ref,
        msg: M,
        delay: u64,
        from: u64,
    ) -> u64 {
        let at = self.clock.now.saturating_add(delay);
        let cause = self.cause;
        let fire = Box::new(move |core: &mut Core| {
            core.send(to, msg, from);
        });
        let timer = self.clock.set(
            at,
            Timer {
                kind: TimerKind::Msg(fire),
                cause,
            },
        );
        trace!(
            self,
            EventKind::TimerSet {
                timer,
                to: to.id,
                at
            }
        );
        timer
    }

    pub(crate) fn cancel_timer(&mut self, timer: u64) -> bool {
        match self.clock.cancel(timer) {
            Some(Timer {
                kind: TimerKind::Msg(_),
                ..
            }) => {
                trace!(self, EventKind::TimerCancel { timer });
                true
            }
            Some(t) => {
                // Not a message timer: ask timeouts are not the user's to cancel.
                self.clock.set_back(timer, t);
                false
            }
            None => false,
        }
    }

    /// Jumps to the next timer and fires every timer due then. Returns false
    /// if no timer is pending.
    fn advance(&mut self) -> bool {
        let Some(at) = self.clock.next_due() else {
            return false;
        };
        self.clock.now = self.clock.now.max(at);
        self.fire_due();
        true
    }

    fn fire_due(&mut self) {
        while let Some((timer, t)) = self.clock.pop_due() {
            self.cause = t.cause;
            match t.kind {
                TimerKind::Msg(fire) => {
                    self.stats.timers_fired += 1;
                    trace!(self, EventKind::TimerFired { timer });
                    fire(self);
                }
                TimerKind::AskTimeout(ask) => {
                    if let Some(p) = self.asks.pending.get_mut(&ask) {
                        p.timer = 0;
                        self.complete_ask(ask, Err(AskError::Timeout), 0);
                    }
                }
            }
            self.cause = 0;
            self.settle();
        }
    }

    // ----- asks -----

    pub(crate) fn start_ask<M: fmt::Debug + 'static, R>(
        &mut self,
        to: Addr<M>,
        make: impl FnOnce(ReplyTo<R>) -> M,
        timeout: u64,
        asker: Asker,
        from: u64,
    ) -> u64 {
        self.asks.next += 1;
        let ask = self.asks.next;
        let msg = make(ReplyTo::new(ask, from));
        let id = self.next_msg_id();
        let deadline = self.clock.now.saturating_add(timeout);
        self.asks.pending.insert(
            ask,
            Pending {
                target: to.id(),
                request: id,
                timer: 0,
                asker,
            },
        );
        self.asks.by_request.insert(id, ask);
        trace!(
            self,
            EventKind::Ask {
                ask,
                from: opt(from),
                to: to.id(),
                msg: MsgId(id),
                deadline
            }
        );
        self.send_with_id(to.r, msg, from, id);
        if self.asks.pending.contains_key(&ask) {
            let timer = self.clock.set(
                deadline,
                Timer {
                    kind: TimerKind::AskTimeout(ask),
                    cause: self.cause,
                },
            );
            if let Some(p) = self.asks.pending.get_mut(&ask) {
                p.timer = timer;
            }
        }
        ask
    }

    /// Completes a pending ask; `from` is the replying actor (0 if none).
    pub(crate) fn complete_ask(&mut self, ask: u64, answer: Reply, from: u64) {
        let Some(p) = self.asks.pending.remove(&ask) else {
            return;
        };
        self.asks.by_request.remove(&p.request);
        if p.timer != 0 {
            self.clock.cancel(p.timer);
        }
        let outcome = match &answer {
            Ok(_) => crate::trace::AskOutcome::Reply,
            Err(e) => e.outcome(),
        };
        trace!(self, EventKind::AskDone { ask, outcome });
        match p.asker {
            Asker::External => {
                if answer.is_ok() {
                    self.stats.sent += 1;
                    self.stats.handled += 1;
                }
                self.asks.external.insert(ask, answer);
            }
            Asker::Actor(deliver) => deliver(self, answer, from),
        }
    }

    pub(crate) fn reply<R: fmt::Debug + 'static>(&mut self, to: ReplyTo<R>, value: R, from: u64) {
        if self.asks.pending.contains_key(&to.ask) {
            self.complete_ask(to.ask, Ok(Box::new(value)), from);
        } else {
            let id = self.next_msg_id();
            let asker = ActorId(to.asker);
            if self.trace.on {
                let payload = self.trace.payloads.then(|| format_compact!("{value:?}"));
                let cause = self.cause;
                self.emit(
                    cause,
                    EventKind::Send {
                        msg: MsgId(id),
                        from: opt(from),
                        to: asker,
                        what: MsgKind::User,
                        payload,
                    },
                );
            }
            self.stats.sent += 1;
            drop(value);
            self.dead_letter(id, from, asker, DeadLetterReason::LateReply, None);
        }
    }

    fn fail_asks_of(&mut self, target: ActorId) {
        if self.asks.pending.is_empty() {
            return;
        }
        let asks: Vec<u64> = self
            .asks
            .pending
            .iter()
            .filter(|(_, p)| p.target == target)
            .map(|(&a, _)| a)
            .collect();
        for ask in asks {
            self.complete_ask(ask, Err(AskError::Dead), 0);
        }
    }

    // ----- delivering -----

    /// Delivers the next message of `slot`: the one step of SPEC rule 6.
    pub(crate) fn deliver(&mut self, slot: u32) {
        self.step += 1;
        self.stats.steps += 1;
        self.cause = self.step;
        let me = self.slot_ref(slot);
        let mut cell = self.slots[slot as usize]
            .cell
            .take()
            .expect("engine invariant: a runnable actor is not running");
        self.running.push(slot);
        let outcome = cell.deliver(self, me);
        self.running.pop();
        self.slots[slot as usize].cell = Some(cell);
        match outcome {
            Outcome::Handled => {}
            Outcome::Stop => self.stop(me, StopReason::Normal, true),
            Outcome::Failed { reason, msg, from } => self.fail(me, reason, Some(msg), from, true),
        }
        self.settle();
        if self.alive(me) {
            let s = &self.slots[slot as usize];
            let more = s.len > 0;
            let next = if more && self.sched.needs_head() {
                self.pools.head_id(s.pool, s.queue)
            } else {
                None
            };
            self.sched.after(slot, more, next);
        }
        self.cause = 0;
    }

    /// Pops the next item of `me`'s mailbox (of type `M`).
    #[inline]
    pub(crate) fn pop<M: 'static>(&mut self, me: Ref) -> Option<Item<M>> {
        let s = &mut self.slots[me.slot as usize];
        let item = self.pools.queue::<M>(s.pool, s.queue).pop_front()?;
        s.len -= 1;
        self.stats.queued -= 1;
        Some(item)
    }

    // ----- stopping -----

    /// A handler or hook failed. Until supervision decides otherwise, the
    /// actor stops with reason `failed`.
    pub(crate) fn fail(
        &mut self,
        me: Ref,
        reason: String,
        msg: Option<u64>,
        from: u64,
        post_stop: bool,
    ) {
        self.stats.failures += 1;
        trace!(
            self,
            EventKind::Failure {
                actor: me.id,
                msg: msg.map(MsgId),
                reason: reason.clone()
            }
        );
        if let Some(m) = msg {
            self.dead_letter(m, from, me.id, DeadLetterReason::Failed, Some(&reason));
        }
        self.stop(me, StopReason::Failed(reason), post_stop);
    }

    /// Kills `r` at once: no hooks, reason `killed` (SPEC rule 19).
    pub(crate) fn kill(&mut self, r: Ref, by: u64) {
        if !self.alive(r) || self.slots[r.slot as usize].flags & STOPPING != 0 {
            return;
        }
        trace!(
            self,
            EventKind::Kill {
                actor: r.id,
                by: opt(by)
            }
        );
        self.stop(r, StopReason::Killed, false);
    }

    /// Stops `r` now, or as soon as its code (or a descendant's) is off the stack.
    pub(crate) fn stop(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        if self.busy(r.slot) {
            self.deferred.push((r, reason, hooks));
        } else {
            self.terminate(r, reason, hooks);
        }
    }

    /// True if and only if `slot` or one of its descendants is running code.
    fn busy(&self, slot: u32) -> bool {
        self.running.iter().any(|&top| {
            let mut s = top;
            loop {
                if s == slot {
                    return true;
                }
                match self.slots.get(s as usize) {
                    Some(x) if x.parent != NIL => s = x.parent,
                    _ => return false,
                }
            }
        })
    }

    /// Carries out deferred stops once nothing is running.
    fn settle(&mut self) {
        if !self.running.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.deferred.len() {
            let (r, reason, hooks) = self.deferred[i].clone();
            self.terminate(r, reason, hooks);
            i += 1;
        }
        self.deferred.clear();
    }

    /// Stops `r` for good: children first (youngest first), then post_stop,
    /// then the rest of the mailbox to dead letters, then pending asks
    /// (SPEC rule 18).
    fn terminate(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        if !self.alive(r) || self.slots[r.slot as usize].flags & STOPPING != 0 {
            return;
        }
        self.slots[r.slot as usize].flags |= STOPPING;
        let child_reason = if hooks {
            StopReason::Shutdown
        } else {
            StopReason::Killed
        };
        loop {
            let c = self.slots[r.slot as usize].last_child;
            if c == NIL || self.slots[c as usize].flags & STOPPING != 0 {
                break;
            }
            let cr = self.slot_ref(c);
            self.terminate(cr, child_reason.clone(), hooks);
        }
        if hooks {
            if let Some(mut cell) = self.slots[r.slot as usize].cell.take() {
                self.running.push(r.slot);
                let result = cell.post_stop(self, r);
                self.running.pop();
                self.slots[r.slot as usize].cell = Some(cell);
                if let Err(why) = result {
                    self.stats.failures += 1;
                    trace!(
                        self,
                        EventKind::Failure {
                            actor: r.id,
                            msg: None,
                            reason: format!("in post_stop: {why}")
                        }
                    );
                }
            }
        }
        let (pool, queue, len) = {
            let s = &self.slots[r.slot as usize];
            (s.pool, s.queue, s.len)
        };
        let mut letters = std::mem::take(&mut self.drain_buf);
        self.pools.dyn_pool(pool).drain(queue, true, &mut letters);
        self.stats.queued -= u64::from(len);
        for &(id, from) in &letters {
            self.dead_letter(id, from, r.id, DeadLetterReason::PendingAtStop, None);
        }
        letters.clear();
        self.drain_buf = letters;
        self.sched.remove(r.slot);
        self.unlink(r.slot);
        let slot = self.slots.remove(r.slot as usize);
        if let Some(cell) = slot.cell {
            // The actor's own Drop is user code too.
            let _ = crate::panic::catch(self.quiet, move || drop(cell));
        }
        self.stats.stopped += 1;
        trace!(
            self,
            EventKind::Stop {
                actor: r.id,
                reason
            }
        );
        self.fail_asks_of(r.id);
    }

    fn has_work(&mut self) -> bool {
        self.sched.runnable_len() > 0 || self.clock.next_due().is_some()
    }
}

/// The last path segment of a type's name, without generics' paths.
pub(crate) fn short_type<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

// ===== System =====

/// What one call to [`System::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// One message was delivered to this actor.
    Delivered(ActorId),
    /// Nothing was runnable: the clock jumped to this time and fired the
    /// timers due then.
    Advanced(u64),
    /// Nothing is runnable and no timer is pending.
    Idle,
    /// The step limit is reached and there is still work.
    StepLimit,
    /// The run was halted (a replay diverged).
    Halted,
}

/// How a run ended (SPEC rule 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a run can end at its step limit; check how it ended"]
pub enum RunOutcome {
    /// Nothing is runnable and no timer is pending.
    Idle,
    /// The step limit was reached with work left: a likely livelock, never
    /// a success.
    StepLimit,
    /// [`System::run_for`]: the time span passed.
    Elapsed,
    /// [`System::run_until`]: the predicate became true.
    Reached,
    /// The run was halted (a replay diverged).
    Halted,
}

impl fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunOutcome::Idle => "idle",
            RunOutcome::StepLimit => "step limit reached",
            RunOutcome::Elapsed => "time elapsed",
            RunOutcome::Reached => "condition reached",
            RunOutcome::Halted => "halted",
        })
    }
}

/// A running actor system: spawn actors, send them messages, and run the
/// scheduler step by step under a seed.
///
/// ```
/// use rehearsal::{Actor, Config, Context, Handled, RunOutcome, System};
///
/// struct Echo;
/// impl Actor for Echo {
///     type Msg = (u32, rehearsal::ReplyTo<u32>);
///     fn handle(&mut self, ctx: &mut Context<'_, Self>, (n, reply): Self::Msg) -> Handled {
///         ctx.reply(reply, n + 1);
///         Ok(())
///     }
/// }
///
/// let mut sys = System::new(Config::seeded(1));
/// let echo = sys.spawn("echo", Echo);
/// assert_eq!(sys.ask(echo, |r| (41, r), 10), Ok(42));
/// assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
/// assert!(sys.stats().conserved());
/// ```
pub struct System {
    pub(crate) core: Core,
}

impl System {
    /// A new system; the trace (if on) is kept in memory.
    pub fn new(config: Config) -> Self {
        System {
            core: Core::new(config, true),
        }
    }

    /// A new system that streams its trace as JSON Lines to `out` (header
    /// now, each event as it happens, the footer at [`System::finish`] or
    /// drop), and keeps it in memory too if `keep_in_memory`.
    pub fn with_trace_writer(
        config: Config,
        out: impl Write + 'static,
        keep_in_memory: bool,
    ) -> Self {
        let mut core = Core::new(config, keep_in_memory);
        if core.trace.on {
            let header = core.header();
            core.trace.set_writer(Box::new(out), &header);
        }
        System { core }
    }

    pub(crate) fn replaying(config: Config, comparer: Comparer) -> Self {
        let mut core = Core::new(config, false);
        core.trace.compare = Some(comparer);
        System { core }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The trace header this run writes.
    pub fn header(&self) -> TraceHeader {
        self.core.header()
    }

    /// Spawns a top-level actor. Its `pre_start` runs now; a failure there
    /// stops it at once. An empty name gets `Type-id`.
    pub fn spawn<A: Actor>(&mut self, name: &str, actor: A) -> Addr<A::Msg> {
        self.core.spawn(NIL, name, actor)
    }

    /// Sends `msg` to `to` from outside the system.
    pub fn send<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M) -> MsgId {
        MsgId(self.core.send(to.r, msg, 0))
    }

    /// Sends `msg` to `to` after `delay` ticks of virtual time; returns the timer id.
    pub fn send_after<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M, delay: u64) -> u64 {
        self.core.send_after(to.r, msg, delay, 0)
    }

    /// Sends a poison pill: `to` handles everything sent before it, then stops.
    pub fn stop<M: 'static>(&mut self, to: Addr<M>) {
        self.core.send_stop(to, 0);
    }

    /// Kills `to` at once: no hooks run, its mailbox becomes dead letters.
    pub fn kill<M>(&mut self, to: Addr<M>) {
        self.core.kill(to.r, 0);
        self.core.settle();
    }

    /// Asks `to` and runs the scheduler until the ask completes: the reply,
    /// the timeout (in ticks of virtual time), the handler's failure, or the
    /// target's death. Other actors keep running meanwhile.
    pub fn ask<M: fmt::Debug + 'static, R: 'static>(
        &mut self,
        to: Addr<M>,
        make: impl FnOnce(ReplyTo<R>) -> M,
        timeout: u64,
    ) -> Result<R, AskError> {
        let ask = self.core.start_ask(to, make, timeout, Asker::External, 0);
        loop {
            if let Some(answer) = self.core.asks.external.remove(&ask) {
                return answer.map(|b| {
                    *b.downcast::<R>()
                        .expect("engine invariant: a reply has its ReplyTo's type")
                });
            }
            let err = match self.step() {
                Step::Delivered(_) | Step::Advanced(_) => continue,
                // The timeout timer keeps the system busy until the ask completes.
                Step::Idle => AskError::Dead,
                Step::StepLimit => AskError::StepLimit,
                Step::Halted => AskError::Halted,
            };
            self.core.complete_ask(ask, Err(err.clone()), 0);
            self.core.asks.external.remove(&ask);
            return Err(err);
        }
    }

    /// One step: deliver one message, or, if nothing is runnable, jump the
    /// clock to the next timer and fire it.
    pub fn step(&mut self) -> Step {
        let core = &mut self.core;
        if core.halted {
            return Step::Halted;
        }
        if core.step >= core.config.max_steps {
            return if core.has_work() {
                Step::StepLimit
            } else {
                Step::Idle
            };
        }
        match core.sched.pick(&mut core.sched_rng, core.step + 1) {
            Some(slot) => {
                let id = core.slots[slot as usize].id;
                core.deliver(slot);
                Step::Delivered(id)
            }
            None if core.advance() => Step::Advanced(core.clock.now),
            None => Step::Idle,
        }
    }

    /// Runs until nothing is runnable and no timer is pending.
    pub fn run_until_idle(&mut self) -> RunOutcome {
        loop {
            match self.step() {
                Step::Delivered(_) | Step::Advanced(_) => {}
                Step::Idle => return RunOutcome::Idle,
                Step::StepLimit => return RunOutcome::StepLimit,
                Step::Halted => return RunOutcome::Halted,
            }
        }
    }

    /// Runs for `ticks` of virtual time: every delivery and every timer due
    /// up to `now + ticks`, then the clock stands at `now + ticks`.
    pub fn run_for(&mut self, ticks: u64) -> RunOutcome {
        let deadline = self.core.clock.now.saturating_add(ticks);
        loop {
            let core = &mut self.core;
            if core.halted {
                return RunOutcome::Halted;
            }
            if core.sched.runnable_len() == 0 {
                match core.clock.next_due() {
                    Some(at) if at <= deadline => {}
                    _ => {
                        core.clock.now = core.clock.now.max(deadline);
                        return RunOutcome::Elapsed;
                    }
                }
            }
            match self.step() {
                Step::Delivered(_) | Step::Advanced(_) => {}
                Step::Idle => {
                    self.core.clock.now = self.core.clock.now.max(deadline);
                    return RunOutcome::Elapsed;
                }
                Step::StepLimit => return RunOutcome::StepLimit,
                Step::Halted => return RunOutcome::Halted,
            }
        }
    }

    /// Runs until `done` returns true (checked before each step), the
    /// system is idle, or a limit is reached.
    pub fn run_until(&mut self, mut done: impl FnMut(&System) -> bool) -> RunOutcome {
        loop {
            if done(self) {
                return RunOutcome::Reached;
            }
            match self.step() {
                Step::Delivered(_) | Step::Advanced(_) => {}
                Step::Idle => {
                    return if done(self) {
                        RunOutcome::Reached
                    } else {
                        RunOutcome::Idle
                    }
                }
                Step::StepLimit => return RunOutcome::StepLimit,
                Step::Halted => return RunOutcome::Halted,
            }
        }
    }

    /// The virtual time, in ticks.
    pub fn now(&self) -> u64 {
        self.core.clock.now
    }

    /// Deliveries made so far.
    pub fn steps(&self) -> u64 {
        self.core.step
    }

    /// The run's counters.
    pub fn stats(&self) -> &Stats {
        &self.core.stats
    }

    /// Every dead letter so far, in order.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.core.dead
    }

    /// Timers not yet fired (ask timeouts included).
    pub fn pending_timers(&self) -> usize {
        self.core.clock.pending()
    }

    /// Returns true if and only if the actor at `addr` has not stopped.
    pub fn is_alive<M>(&self, addr: Addr<M>) -> bool {
        self.core.alive(addr.r)
    }

    /// How many messages wait in `addr`'s mailbox (`None` if it stopped).
    pub fn mailbox_len<M>(&self, addr: Addr<M>) -> Option<usize> {
        let s = self
            .core
            .slots
            .get(addr.r.slot as usize)
            .filter(|s| s.id == addr.r.id)?;
        Some(s.len as usize)
    }

    /// How many actors are alive.
    pub fn actor_count(&self) -> usize {
        self.core.slots.len()
    }

    /// Looks at an actor's state, for tests and invariants: `f` gets the
    /// actor if `addr` is alive and is an `A`.
    pub fn state<A: Actor, T>(&self, addr: Addr<A::Msg>, f: impl FnOnce(&A) -> T) -> Option<T> {
        let s = self
            .core
            .slots
            .get(addr.r.slot as usize)
            .filter(|s| s.id == addr.r.id)?;
        let cell = s.cell.as_ref()?;
        cell.as_any()
            .downcast_ref::<ActorBox<A>>()
            .map(|b| f(&b.state))
    }

    /// The events recorded in memory so far (empty if tracing is off or
    /// the trace goes only to a writer).
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> + '_ {
        self.core.trace.memory.iter().flat_map(|m| m.iter())
    }

    /// How many events are kept in memory.
    pub fn events_len(&self) -> usize {
        self.core.trace.memory.as_ref().map_or(0, |m| m.len())
    }

    /// The `i`-th event kept in memory.
    pub fn event(&self, i: usize) -> Option<&Event> {
        self.core.trace.memory.as_ref()?.get(i)
    }

    /// How many events were recorded (to any sink).
    pub fn events_recorded(&self) -> u64 {
        self.core.trace.count()
    }

    /// The running hash of every event so far (`None` if tracing is off).
    pub fn trace_hash(&self) -> Option<u64> {
        self.core.trace.on.then(|| self.core.trace.hash())
    }

    /// Returns true if and only if the run was halted (a replay diverged).
    pub fn is_halted(&self) -> bool {
        self.core.halted
    }

    /// Writes the trace footer and flushes the trace writer, if any; returns
    /// the first write error. Called by drop too; call it to see the error.
    pub fn finish(&mut self) -> std::io::Result<()> {
        match self.core.trace.finish_writer() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Leave a readable prefix; no footer, so readers call it truncated.
            if let Some(w) = &mut self.core.trace.writer {
                w.flush();
            }
        } else {
            let _ = self.finish();
        }
    }
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("seed", &self.core.config.seed)
            .field("strategy", &self.core.config.strategy)
            .field("step", &self.core.step)
            .field("now", &self.core.clock.now)
            .field("actors", &self.core.slots.len())
            .finish_non_exhaustive()
    }
}
