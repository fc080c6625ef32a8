//! The [`Core`] of a run: actor slots, mailboxes, the scheduler, the clock,
//! and the way of one message through them (ARCHITECTURE.md).

use std::fmt;
use std::fmt::Write as _;

use compact_str::{format_compact, CompactString};
use rand_chacha::ChaCha8Rng;

use crate::actor::Actor;
use crate::address::{ActorId, Addr, Key, MsgId, Ref, ReplyTo, MAX_ACTOR_ID};
use crate::ask::{AskError, Asker, Asks, Pending, Reply};
use crate::cell::{ActorBox, Cell, Outcome};
use crate::clock::{Clock, Timer, TimerKind};
use crate::config::Config;
use crate::dead_letters::{DeadLetter, Stats};
use crate::mailbox::{Envelope, Item, MailboxConfig, Pools};
use crate::rng;
use crate::scheduler::{Picked, Scheduler};
pub(crate) use crate::slots::Slot;
use crate::slots::Slots;
use crate::supervision::{ChildSpec, Shutdown};
use crate::trace::{
    DeadLetterReason, Event, EventKind, Head, MsgKind, StopReason, TraceHeader, Tracer, FORMAT_NAME, FORMAT_VERSION,
};

pub(crate) const NIL: u32 = u32::MAX;
/// Slot flags.
pub(crate) const STOPPING: u16 = 1;
/// Handles nothing until its supervisor decides (or a backoff ends).
pub(crate) const SUSPENDED: u16 = 2;
/// Its incarnation has ended (exited or torn down); only a restart or a
/// final stop may follow.
pub(crate) const EXITED: u16 = 4;
/// Its parent is a supervisor that will decide about its end.
pub(crate) const SUPERVISED: u16 = 8;
/// Its supervisor stops it without hooks.
pub(crate) const BRUTAL: u16 = 16;
/// It traps exits of linked actors.
pub(crate) const TRAP_EXIT: u16 = 32;
/// It sent to a full blocking mailbox and waits for room.
pub(crate) const BLOCKED: u16 = 64;
/// A `slow` fault holds it for a while.
pub(crate) const SLOWED: u16 = 128;
/// Its mailbox has a block timeout (in `Flow::block_timeouts`).
pub(crate) const BLOCK_TIMEOUT: u16 = 256;
/// Flags that keep an actor from running although it has messages.
pub(crate) const HOLD: u16 = SUSPENDED | BLOCKED | SLOWED;

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

/// Everything a run owns. Handlers reach it through their
/// [`Context`](crate::Context).
pub(crate) struct Core {
    pub(crate) slots: Slots,
    pub(crate) pools: Pools,
    pub(crate) sched: Scheduler,
    pub(crate) sched_rng: ChaCha8Rng,
    pub(crate) clock: Clock,
    pub(crate) config: Config,
    pub(crate) stats: Stats,
    pub(crate) dead: Vec<DeadLetter>,
    pub(crate) asks: Asks,
    pub(crate) trace: Tracer,
    /// Where a message's `Debug` text is written for payload tracing.
    payload_buf: String,
    /// Deliveries made; the delivery in progress has this number.
    pub(crate) step: u64,
    /// The delivery whose effects are being applied, 0 outside any.
    pub(crate) cause: u64,
    pub(crate) quiet: bool,
    /// This system's tag, in the [`Key`] of each of its actors.
    pub(crate) tag: u32,
    next_actor: u64,
    next_msg: u64,
    /// The slot whose message is being delivered, NIL outside a delivery:
    /// the bottom of the stack of code running now.
    pub(crate) delivering: u32,
    /// Slots whose code is on the stack now above `delivering` (a hook, a
    /// child's `pre_start`...), innermost last.
    pub(crate) running: Vec<u32>,
    /// Ends that must wait until the actors involved are off the stack.
    pub(crate) deferred: Vec<(Ref, StopReason, bool)>,
    pub(crate) halted: bool,
    /// [`System::step`](crate::System::step) takes its slow path from this
    /// step on: the step limit, or 0 once halted or stopped.
    pub(crate) gate: u64,
    /// The limit the run reached, if any.
    pub(crate) limit_hit: Option<crate::config::Limit>,
    /// Set from outside (a Ctrl-C handler) to stop the run between steps.
    pub(crate) interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The run was interrupted.
    pub(crate) interrupted: bool,
    /// Set when an escalation reached the root: the system has stopped.
    pub(crate) system_stopped: Option<String>,
    pub(crate) top_first: u32,
    pub(crate) top_last: u32,
    pub(crate) drain_buf: Vec<(u64, u64)>,
    pub(crate) links: crate::links::Links,
    pub(crate) flow: crate::backpressure::Flow,
    /// The fault injector, if the config has a plan.
    pub(crate) faults: Option<Box<crate::faults::Injector>>,
    /// `faults.is_some()`, read on the hot path.
    pub(crate) fault_on: bool,
    /// Clone functions for the `duplicate` fault, by message type.
    pub(crate) dups: std::collections::BTreeMap<std::any::TypeId, Box<dyn std::any::Any>>,
}

/// An actor about to get a slot.
pub(crate) struct NewCell {
    pub(crate) type_name: &'static str,
    /// Its mailbox: (pool, queue).
    pub(crate) queue: (u16, u32),
    pub(crate) cell: Box<dyn Cell>,
    pub(crate) flags: u16,
    pub(crate) mailbox: MailboxConfig,
}

fn opt(id: u64) -> Option<ActorId> {
    (id != 0).then_some(ActorId(id))
}

// ===== impl Core =====

impl Core {
    pub(crate) fn new(config: Config, keep_in_memory: bool) -> Self {
        let mut sched_rng = rng::stream(config.seed, rng::SCHEDULE);
        let sched = Scheduler::new(config.strategy, &mut sched_rng);
        let max_steps = config.max_steps;
        if !config.print_panics {
            crate::panic::install();
        }
        Core {
            slots: Slots::default(),
            pools: Pools::default(),
            sched,
            sched_rng,
            clock: Clock::default(),
            trace: Tracer::new(config.trace, keep_in_memory),
            payload_buf: String::new(),
            quiet: !config.print_panics,
            config,
            stats: Stats::default(),
            dead: Vec::new(),
            asks: Asks::default(),
            step: 0,
            cause: 0,
            tag: crate::address::new_system_tag(),
            next_actor: 0,
            next_msg: 0,
            delivering: NIL,
            running: Vec::new(),
            deferred: Vec::new(),
            halted: false,
            limit_hit: None,
            interrupt: None,
            interrupted: false,
            gate: max_steps,
            system_stopped: None,
            links: Default::default(),
            flow: Default::default(),
            faults: None,
            fault_on: false,
            dups: Default::default(),
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
            limits: self.config.limits,
            params: self.config.params.clone(),
            faults: self.config.faults.clone(),
        }
    }

    /// Records an event (see the `trace!` macro).
    #[inline(never)]
    pub(crate) fn emit(&mut self, cause: u64, kind: EventKind) {
        let ev = Event { step: self.step, time: self.clock.now, cause: (cause != 0).then_some(cause), kind };
        let halt = self.trace.record(ev);
        self.halt_if(halt);
    }

    /// A replay comparison found a difference (`halt`): the run stops here.
    #[inline(always)]
    fn halt_if(&mut self, halt: bool) {
        if halt {
            self.halted = true;
            self.gate = 0;
        }
    }

    /// The step, time and cause of an event recorded now.
    #[inline(always)]
    fn head(&self, cause: u64) -> Head {
        Head { step: self.step, time: self.clock.now, cause }
    }

    /// Records the `deliver` of message `id` (sent in step `cause`) to `me`.
    #[inline(always)]
    pub(crate) fn trace_deliver(&mut self, id: u64, me: ActorId, from: u64, cause: u64) {
        if self.trace.on {
            let head = self.head(cause);
            let halt = self.trace.deliver(head, id, me.0, from);
            self.halt_if(halt);
        }
    }

    /// Records that `me` handled message `id`.
    #[inline(always)]
    pub(crate) fn trace_done(&mut self, me: ActorId, id: u64) {
        if self.trace.on {
            let head = self.head(self.cause);
            let halt = self.trace.done(head, me.0, id);
            self.halt_if(halt);
        }
    }

    #[inline]
    pub(crate) fn alive(&self, r: Ref) -> bool {
        self.live_slot(r).is_some()
    }

    /// `r`'s slot, if `r` is alive.
    #[inline]
    pub(crate) fn live_slot(&self, r: Ref) -> Option<&Slot> {
        self.slots.get(r.slot as usize).filter(|s| s.key == r.key)
    }

    /// Whether `key` names an actor of this system (alive or not): an
    /// address or reply handle kept from another system does not.
    #[inline]
    pub(crate) fn ours(&self, key: Key) -> bool {
        key.tag() == self.tag
    }

    pub(crate) fn slot_ref(&self, slot: u32) -> Ref {
        let s = &self.slots[slot as usize];
        Ref { slot, queue: s.queue, key: s.key }
    }

    #[inline]
    pub(crate) fn next_msg_id(&mut self) -> u64 {
        self.next_msg += 1;
        self.next_msg
    }

    // ----- spawning -----

    pub(crate) fn spawn<A: Actor>(
        &mut self,
        parent: u32,
        name: &str,
        actor: A,
        mailbox: MailboxConfig,
    ) -> Addr<A::Msg> {
        let pool = self.pools.id_of::<A::Msg>();
        let queue = self.pools.new_queue::<A::Msg>(pool);
        let cell = Box::new(ActorBox::new(actor, CompactString::default()));
        let new = NewCell { type_name: short_type::<A>(), queue: (pool, queue), cell, flags: 0, mailbox };
        Addr::new(self.spawn_cell(parent, name, new))
    }

    /// Spawns a child of supervisor `parent` from its spec.
    pub(crate) fn spawn_child(&mut self, parent: u32, spec: &ChildSpec) -> Ref {
        let queue = (spec.new_queue)(&mut self.pools);
        let flags = SUPERVISED | if spec.shutdown == Shutdown::BrutalKill { BRUTAL } else { 0 };
        let new = NewCell { type_name: spec.type_name, queue, cell: (spec.factory)(), flags, mailbox: spec.mailbox };
        self.spawn_cell(parent, &spec.name, new)
    }

    /// Gives `cell` a slot, links it under `parent`, records the spawn, and
    /// runs its `pre_start`.
    pub(crate) fn spawn_cell(&mut self, parent: u32, name: &str, new: NewCell) -> Ref {
        let NewCell { type_name, queue: (pool, queue), mut cell, flags, mailbox } = new;
        assert!(self.next_actor < MAX_ACTOR_ID, "at most {MAX_ACTOR_ID} actors spawned in one system");
        self.next_actor += 1;
        let id = ActorId(self.next_actor);
        let key = Key::new(self.tag, id);
        let slot = self.slots.insert(
            Slot {
                key,
                cell: None,
                pool,
                queue,
                len: 0,
                high_water: 0,
                incarnation: 0,
                capacity: mailbox.capacity,
                signals: 0,
                drops: 0,
                policy: mailbox.overflow.code(),
                batch: mailbox.batch,
                _spare: 0,
                flags,
            },
            parent,
        ) as u32;
        self.attach(parent, slot);
        if self.slots.len() as u64 > self.config.limits.max_actors {
            self.reach_limit(crate::config::Limit::Actors, self.slots.len() as u64);
        }
        self.sched.on_spawn(slot, &mut self.sched_rng);
        self.stats.spawned += 1;
        let me = Ref { slot, queue, key };
        if let Some(t) = mailbox.block_timeout {
            self.flow.block_timeouts.insert(id.0, t);
            self.slots[slot as usize].flags |= BLOCK_TIMEOUT;
        }
        let name: CompactString = if name.is_empty() { format_compact!("{type_name}-{}", id.0) } else { name.into() };
        trace!(
            self,
            EventKind::Spawn {
                actor: id,
                parent: (parent != NIL).then(|| self.slots[parent as usize].key.actor()),
                name: name.clone(),
                type_name: type_name.into(),
                mailbox: (mailbox.capacity != 0).then_some((mailbox.capacity, mailbox.overflow)),
                strategy: cell.supervisor_strategy(),
            }
        );
        if let Some(inj) = self.faults.as_mut() {
            inj.names.insert(id.0, (name.to_string(), type_name));
            inj.slot_of.insert(id.0, slot);
        }
        cell.set_name(name);
        self.running.push(slot);
        let started = cell.start(self, me);
        self.running.pop();
        self.slots[slot as usize].cell = Some(cell);
        if let Err(reason) = started {
            self.fail(me, reason, None, 0, false);
        }
        self.settle();
        me
    }

    /// Sets the first child of `parent` (of the top level for `NIL`).
    fn set_first(&mut self, parent: u32, slot: u32) {
        match parent {
            NIL => self.top_first = slot,
            p => self.slots.tree[p as usize].first_child = slot,
        }
    }

    /// Sets the last child of `parent` (of the top level for `NIL`).
    fn set_last(&mut self, parent: u32, slot: u32) {
        match parent {
            NIL => self.top_last = slot,
            p => self.slots.tree[p as usize].last_child = slot,
        }
    }

    /// Appends `slot` to `parent`'s children (start order).
    fn attach(&mut self, parent: u32, slot: u32) {
        let last = if parent == NIL { self.top_last } else { self.slots.tree[parent as usize].last_child };
        self.slots.tree[slot as usize].prev = last;
        match last {
            NIL => self.set_first(parent, slot),
            l => self.slots.tree[l as usize].next = slot,
        }
        self.set_last(parent, slot);
    }

    /// Takes `slot` out of its parent's children.
    pub(crate) fn detach(&mut self, slot: u32) {
        let t = self.slots.tree[slot as usize];
        match t.prev {
            NIL => self.set_first(t.parent, t.next),
            p => self.slots.tree[p as usize].next = t.next,
        }
        match t.next {
            NIL => self.set_last(t.parent, t.prev),
            n => self.slots.tree[n as usize].prev = t.prev,
        }
    }

    // ----- sending -----

    /// Sends a user message; returns its id.
    #[inline(always)]
    pub(crate) fn send<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64) -> u64 {
        let id = self.next_msg_id();
        self.send_with_id(to, msg, from, id);
        id
    }

    /// Records the `send` event of user message `id` (with its payload at
    /// [`TraceLevel::Payloads`](crate::TraceLevel::Payloads)).
    #[inline(always)]
    pub(crate) fn trace_send<M: fmt::Debug>(&mut self, id: u64, from: u64, to: ActorId, msg: &M) {
        if self.trace.payloads {
            return self.trace_send_payload(id, from, to, msg);
        }
        self.trace_send_event(id, from, to);
    }

    /// [`Core::trace_send`] below [`TraceLevel::Payloads`](crate::TraceLevel::Payloads).
    #[inline(always)]
    fn trace_send_event(&mut self, id: u64, from: u64, to: ActorId) {
        if self.trace.on {
            let head = self.head(self.cause);
            let halt = self.trace.send(head, id, from, to.0);
            self.halt_if(halt);
        }
    }

    /// [`Core::trace_send`] with the message's `Debug` text.
    #[inline(never)]
    fn trace_send_payload<M: fmt::Debug>(&mut self, id: u64, from: u64, to: ActorId, msg: &M) {
        // Written into a buffer kept for it: `Debug` writes a message in
        // many small pieces, and the log copies the text once.
        let mut buf = std::mem::take(&mut self.payload_buf);
        buf.clear();
        if write!(buf, "{msg:?}").is_err() {
            // A `Debug` that fails: what it wrote, and that it failed.
            buf.push_str(" <Debug failed>");
        }
        let head = self.head(self.cause);
        let halt = self.trace.send_payload(head, id, from, to.0, &buf);
        self.payload_buf = buf;
        self.halt_if(halt);
    }

    #[inline(always)]
    pub(crate) fn send_with_id<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64, id: u64) {
        if self.trace.payloads {
            return self.send_with_payload(to, msg, from, id);
        }
        // Nothing here borrows `msg`, so it can stay in registers.
        self.trace_send_event(id, from, to.id());
        self.send_traced(to, msg, from, id);
    }

    /// [`Core::send_with_id`] at [`TraceLevel::Payloads`](crate::TraceLevel::Payloads):
    /// the message's text is taken from a reference to it.
    #[inline(never)]
    fn send_with_payload<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64, id: u64) {
        self.trace_send_payload(id, from, to.id(), &msg);
        self.send_traced(to, msg, from, id);
    }

    /// The rest of [`Core::send_with_id`] once its event is recorded.
    #[inline(always)]
    fn send_traced<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64, id: u64) {
        self.stats.sent += 1;
        if self.fault_on {
            return self.send_with_faults(to, msg, from, id);
        }
        let cause = self.cause;
        self.enqueue(to, Item::User(Envelope { msg, id, from, cause }));
    }

    /// Sends a poison pill.
    pub(crate) fn send_stop<M: 'static>(&mut self, to: Addr<M>, from: u64) {
        let id = self.next_msg_id();
        trace!(
            self,
            EventKind::Send { msg: MsgId(id), from: opt(from), to: to.id(), what: MsgKind::Stop, payload: None }
        );
        self.stats.sent += 1;
        let cause = self.cause;
        self.enqueue::<M>(to.r(), Item::Stop { id, from, cause });
    }

    #[inline(always)]
    pub(crate) fn enqueue<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        // `to.key` is never `Key::NONE`, so a free slot never matches; an
        // address of this system names the queue its slot has.
        if !self.slots.holds(to.slot as usize, to.key, to.queue) {
            let (id, from) = (item.id(), item.from());
            drop(item);
            return self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None);
        }
        let s = &self.slots[to.slot as usize];
        if s.capacity != 0 && (s.len - s.signals >= s.capacity || self.flow.parked_total != 0) {
            return self.bounded_send(to, item);
        }
        self.push_item(to, item);
    }

    /// Queues `item` in `to`'s mailbox (`to` is alive, and its mailbox has
    /// room with nothing parked).
    ///
    /// The mailbox is found from `to` (the address the message was sent
    /// to), not from the slot: with many actors both are often far in
    /// memory, and the two reads then overlap instead of one waiting for the
    /// other (`enqueue` checks that `to.queue` is the slot's).
    #[inline(always)]
    pub(crate) fn push_item<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let s = &mut self.slots[to.slot as usize];
        let head = item.id();
        let Some(queue) = self.pools.try_queue::<M>(s.pool, to.queue) else {
            // An address of another system whose tag this one shares (see
            // `Key`): nobody here takes it.
            let (id, from) = (item.id(), item.from());
            return self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None);
        };
        queue.push_back(item);
        s.len += 1;
        if s.len > s.high_water {
            s.high_water = s.len;
        }
        self.stats.queued += 1;
        if s.len == 1 && s.flags & HOLD == 0 {
            self.sched.wake(to.slot, s.pool, to.queue, head);
        }
        if self.stats.queued > self.config.limits.max_queued {
            self.reach_limit(crate::config::Limit::Queued, self.stats.queued);
        }
    }

    /// A `try_send` met a full rejecting mailbox: the message counts as sent
    /// and handed back. Returns its id.
    pub(crate) fn rejected_back<M: fmt::Debug>(&mut self, to: Ref, msg: &M, from: u64) -> u64 {
        let id = self.next_msg_id();
        self.trace_send(id, from, to.id(), msg);
        if self.trace.on {
            let cause = self.cause;
            let depth = self.slots[to.slot as usize].len;
            let policy = crate::mailbox::Overflow::Reject;
            self.emit(cause, EventKind::Overflow { actor: to.id(), msg: MsgId(id), policy, depth });
        }
        self.stats.sent += 1;
        self.stats.rejected_back += 1;
        self.slots[to.slot as usize].drops += 1;
        id
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
        trace!(self, EventKind::DeadLetter { msg: MsgId(msg), from: opt(from), to, reason });
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

    pub(crate) fn send_after<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, delay: u64, from: u64) -> u64 {
        let at = self.clock.now.saturating_add(delay);
        let cause = self.cause;
        let fire = Box::new(move |core: &mut Core| {
            core.send(to, msg, from);
        });
        let timer = self.clock.set(at, Timer { kind: TimerKind::Msg(fire), cause });
        trace!(self, EventKind::TimerSet { timer, to: to.id(), at });
        timer
    }

    pub(crate) fn cancel_timer(&mut self, timer: u64) -> bool {
        match self.clock.cancel(timer) {
            Some(Timer { kind: TimerKind::Msg(_), .. }) => {
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
    pub(crate) fn advance(&mut self) -> bool {
        let Some(at) = self.clock.next_due() else {
            return false;
        };
        if at > self.config.limits.max_time {
            self.reach_limit(crate::config::Limit::Time, at);
            return false;
        }
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
                TimerKind::Restart { sup, children, reason } => self.restart_now(sup, children, reason),
                TimerKind::BlockTimeout { target, msg } => self.block_timeout(target, msg),
                TimerKind::Land(land) => land(self),
                TimerKind::Release(r) => self.release(r),
                TimerKind::FaultAt(rule) => self.fault_at(rule),
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
        let msg = make(ReplyTo::new(ask, Key::new(self.tag, ActorId(from))));
        let id = self.next_msg_id();
        let deadline = self.clock.now.saturating_add(timeout);
        self.asks.pending.insert(ask, Pending { target: to.id(), request: id, timer: 0, asker });
        self.asks.by_request.insert(id, ask);
        trace!(self, EventKind::Ask { ask, from: opt(from), to: to.id(), msg: MsgId(id), deadline });
        self.send_with_id(to.r(), msg, from, id);
        if self.asks.pending.contains_key(&ask) {
            let timer = self.clock.set(deadline, Timer { kind: TimerKind::AskTimeout(ask), cause: self.cause });
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
        // A handle of another system's ask answers nothing here.
        let ours = self.ours(to.asker);
        if ours && self.asks.pending.contains_key(&to.ask) {
            self.complete_ask(to.ask, Ok(Box::new(value)), from);
        } else {
            let id = self.next_msg_id();
            let asker = to.asker.actor();
            self.trace_send(id, from, asker, &value);
            self.stats.sent += 1;
            drop(value);
            let reason = if ours { DeadLetterReason::LateReply } else { DeadLetterReason::NoRecipient };
            self.dead_letter(id, from, asker, reason, None);
        }
    }

    pub(crate) fn fail_asks_of(&mut self, target: ActorId) {
        if self.asks.pending.is_empty() {
            return;
        }
        let asks: Vec<u64> = self.asks.pending.iter().filter(|(_, p)| p.target == target).map(|(&a, _)| a).collect();
        for ask in asks {
            self.complete_ask(ask, Err(AskError::Dead), 0);
        }
    }

    // ----- delivering -----

    /// Delivers the next message of the picked actor: the one step of SPEC
    /// rule 6. Returns who got it.
    #[inline(always)]
    pub(crate) fn deliver(&mut self, p: Picked) -> ActorId {
        self.deliver_for_next(p).0
    }

    /// [`Core::deliver`], also returning what the next pick will return if
    /// it comes right after and the delivery knows it (see
    /// [`Scheduler::remove_for_next`]).
    #[inline(always)]
    pub(crate) fn deliver_for_next(&mut self, p: Picked) -> (ActorId, Option<Picked>) {
        let mut next = None;
        if p.ahead() {
            self.prefetch_ahead();
        }
        self.step += 1;
        self.cause = self.step;
        let s = &mut self.slots[p.slot() as usize];
        let (pool, queue) = if p.pool() == u16::MAX { (s.pool, s.queue) } else { (p.pool(), p.queue()) };
        let me = Ref { slot: p.slot(), queue, key: s.key };
        let mut cell = s.cell.take().expect("engine invariant: a runnable actor is not running");
        self.delivering = p.slot();
        let outcome = cell.deliver(self, me.place(), me.key, pool);
        self.delivering = NIL;
        let s = &mut self.slots[p.slot() as usize];
        // `s.cell` is `None` (taken above): put back without dropping what
        // is there. Nothing puts a cell into a slot during its delivery
        // (the slot cannot be freed or reused then: ends are deferred while
        // it runs; a hook, a supervisor's own call or a restart finds no
        // cell there and puts none back; `reincarnate` never targets it).
        // Were that ever not so (an engine bug), the cell there would leak,
        // not be dropped.
        let none = s.cell.replace(cell);
        debug_assert!(none.is_none(), "engine invariant: a running actor's cell is out of its slot");
        std::mem::forget(none);
        if matches!(outcome, Outcome::Handled) && self.deferred.is_empty() {
            // The common case: the actor is still there, nothing else to do.
            let more = s.len > 0 && s.flags & HOLD == 0;
            if !more {
                next = self.sched.remove_for_next(p.slot());
            } else if self.sched.needs_head() {
                let head = self.pools.head_id(pool, queue);
                self.sched.after(p.slot(), true, head);
            }
        } else {
            self.after_delivery(me, outcome);
        }
        self.cause = 0;
        (me.id(), next)
    }

    /// Starts fetching what the next deliveries will most likely read (see
    /// [`RandomSet::upcoming`](crate::scheduler::RandomSet::upcoming)): the
    /// runnable entry three steps ahead, the slot, the mailbox and the
    /// runnable position two steps ahead, and the actor's state and first
    /// message one step ahead.
    #[inline(never)]
    fn prefetch_ahead(&self) {
        use crate::prefetch::prefetch;
        let Scheduler::Random(r) = &self.sched else { return };
        for e in r.upcoming(3).into_iter().flatten() {
            prefetch(e);
        }
        // Where the mailbox is comes with the runnable entry.
        for &p in r.upcoming(2).into_iter().flatten() {
            if let Some(s) = self.slots.raw(p.slot() as usize) {
                prefetch(s);
            }
            if let Some(pos) = r.position_of(p.slot()) {
                prefetch(pos);
            }
            if p.pool() != u16::MAX {
                self.pools.dyn_ref(p.pool()).prefetch_queue(p.queue());
            }
        }
        if let Some(pos) = r.last().and_then(|l| r.position_of(l.slot())) {
            prefetch(pos);
        }
        for &p in r.upcoming(1).into_iter().flatten() {
            if let Some(cell) = self.slots.raw(p.slot() as usize).and_then(|s| s.cell.as_deref()) {
                prefetch(cell);
            }
            if p.pool() != u16::MAX {
                self.pools.dyn_ref(p.pool()).prefetch_head(p.queue());
            }
        }
    }

    #[cold]
    fn after_delivery(&mut self, me: Ref, outcome: Outcome) {
        match outcome {
            Outcome::Handled => {}
            Outcome::Stop => self.stop(me, StopReason::Normal, true),
            Outcome::Failed(f) => {
                for &(id, from) in &f.rest {
                    self.dead_letter(id, from, me.id(), DeadLetterReason::Failed, Some(&f.reason));
                }
                self.fail(me, f.reason, Some(f.msg), f.from, true)
            }
        }
        self.settle();
        if self.alive(me) {
            let s = &self.slots[me.slot as usize];
            let more = s.len > 0 && s.flags & HOLD == 0;
            let next = if more && self.sched.needs_head() { self.pools.head_id(s.pool, s.queue) } else { None };
            self.sched.after(me.slot, more, next);
        }
    }

    /// Pops the next item of `me`'s mailbox (its queue of pool `pool`, of
    /// type `M`): `pool` must be `me`'s own pool (see [`Pools::own`]).
    #[inline(always)]
    pub(crate) fn pop<M: 'static>(&mut self, me: Ref, pool: u16) -> Option<Item<M>> {
        self.pop_plain(me, pool).map(|(item, _)| item)
    }

    /// [`Core::pop`], also telling whether a user message goes the plain
    /// way: one at a time (no batching) and no fault plan. Known here,
    /// where the slot is at hand (the caller would look it up again), and
    /// before a parked send is admitted: both are fixed for a run (the
    /// fault plan) or the actor's life (its batch size).
    #[inline(always)]
    pub(crate) fn pop_plain<M: 'static>(&mut self, me: Ref, pool: u16) -> Option<(Item<M>, bool)> {
        let ring = self.pools.own::<M>(pool).queues.get_mut(me.queue as usize)?;
        let item = ring.pop_front()?;
        let s = &mut self.slots[me.slot as usize];
        let plain = s.batch <= 1 && !self.fault_on;
        s.len -= 1;
        if let Item::Signal(_) = item {
            s.signals -= 1;
        }
        self.stats.queued -= 1;
        if self.flow.parked_total != 0 && (s.capacity == 0 || s.len - s.signals < s.capacity) {
            // The room just made lets the oldest parked send in (the one
            // right behind what is queued), if there is one. One: as a rule
            // a mailbox with room has nothing parked (sends and capacity
            // changes admit what the room allows).
            let at = s.len as usize;
            // Its id is needed to trace it, or to wake `me` with it.
            let id = if self.trace.on || at == 0 { ring.get(at).map_or(0, Item::id) } else { 0 };
            if let Some((sender, timer)) = self.admit_one(me) {
                self.admitted(me, pool, me.queue, id, sender, timer);
            }
        }
        Some((item, plain))
    }

    /// Stops the fast path of [`System::step`](crate::System::step): after a
    /// halt, a system stop, or at the step limit.
    pub(crate) fn close_gate(&mut self) {
        self.gate = 0;
    }

    /// The run reached `limit` (at `value`): it ends there.
    #[cold]
    pub(crate) fn reach_limit(&mut self, limit: crate::config::Limit, value: u64) {
        if self.limit_hit.is_none() {
            self.limit_hit = Some(limit);
            trace!(self, EventKind::Limit { limit, value });
            self.close_gate();
        }
    }

    pub(crate) fn has_work(&mut self) -> bool {
        self.sched.runnable_len() > 0 || self.clock.next_due().is_some()
    }
}

/// The last path segment of a type's name, without generics' paths.
pub(crate) fn short_type<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
