//! How actors end: stop, kill, failure, and what a supervisor does about it
//! (SPEC sections 3 and 4). Every path that ends an incarnation is here.

use std::rc::Rc;

use crate::address::{ActorId, MsgId, Ref};
use crate::cell::Cell;
use crate::clock::{Timer, TimerKind};
use crate::kernel::{trace, Core, BRUTAL, EXITED, HOLD, NIL, STOPPING, SUPERVISED, SUSPENDED};
use crate::mailbox::{Ended, Signal, SignalEnvelope};
use crate::supervision::SupervisorCell;
use crate::trace::{DeadLetterReason, EventKind, MsgKind, StopReason};

fn opt(id: u64) -> Option<ActorId> {
    (id != 0).then_some(ActorId(id))
}

// ===== impl Core: ending =====

impl Core {
    /// Stops `r` (a poison pill taken, or `ctx.stop()`).
    pub(crate) fn stop(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        self.end_actor(r, reason, hooks);
    }

    /// Kills `r` at once: no hooks, reason `killed` (SPEC rule 19).
    pub(crate) fn kill(&mut self, r: Ref, by: u64) {
        if !self.alive(r) || self.slots[r.slot as usize].flags & (STOPPING | EXITED) != 0 {
            return;
        }
        trace!(self, EventKind::Kill { actor: r.id(), by: opt(by) });
        self.end_actor(r, StopReason::Killed, false);
    }

    /// A handler or hook failed. The failing message is a dead letter
    /// `failed`; a supervised actor is suspended and its supervisor told; any
    /// other actor stops with reason `failed`.
    pub(crate) fn fail(&mut self, me: Ref, reason: String, msg: Option<u64>, from: u64, post_stop: bool) {
        self.stats.failures += 1;
        trace!(self, EventKind::Failure { actor: me.id(), msg: msg.map(MsgId), reason: reason.clone() });
        if let Some(m) = msg {
            self.dead_letter(m, from, me.id(), DeadLetterReason::Failed, Some(&reason));
        }
        if !self.alive(me) || self.slots[me.slot as usize].flags & (STOPPING | EXITED) != 0 {
            return;
        }
        let reason = StopReason::Failed(reason);
        if self.supervised_live(me.slot) {
            let s = &mut self.slots[me.slot as usize];
            if s.flags & SUSPENDED == 0 {
                s.flags |= SUSPENDED;
                self.sched.remove(me.slot);
            }
            trace!(self, EventKind::Suspend { actor: me.id(), reason: reason.clone() });
            self.notify_parent(me, reason, true, msg);
        } else {
            self.end_actor(me, reason, post_stop);
        }
    }

    /// Ends `r`'s incarnation: parked for its supervisor's decision if it
    /// has one, otherwise stopped for good. Waits if its code (or a
    /// descendant's) is on the stack.
    pub(crate) fn end_actor(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        if !self.alive(r) || self.slots[r.slot as usize].flags & (STOPPING | EXITED) != 0 {
            return;
        }
        if self.busy(r.slot) {
            self.deferred.push((r, reason, hooks));
        } else if self.supervised_live(r.slot) {
            self.park(r, reason, hooks);
        } else {
            self.terminate(r, reason, hooks);
        }
    }

    /// True if and only if `slot` or one of its descendants is running code.
    fn busy(&self, slot: u32) -> bool {
        let delivering = (self.delivering != NIL).then_some(self.delivering);
        self.running.iter().copied().chain(delivering).any(|top| {
            let mut s = top;
            loop {
                if s == slot {
                    return true;
                }
                match self.slots.get(s as usize) {
                    Some(_) if self.slots.tree[s as usize].parent != NIL => s = self.slots.tree[s as usize].parent,
                    _ => return false,
                }
            }
        })
    }

    /// Carries out deferred ends once nothing is running.
    #[inline]
    pub(crate) fn settle(&mut self) {
        if !self.deferred.is_empty() && self.running.is_empty() && self.delivering == NIL {
            self.settle_deferred();
        }
    }

    #[cold]
    fn settle_deferred(&mut self) {
        let mut i = 0;
        while i < self.deferred.len() {
            let (r, reason, hooks) = self.deferred[i].clone();
            self.end_actor(r, reason, hooks);
            i += 1;
        }
        self.deferred.clear();
    }

    /// Returns true if and only if `slot`'s end goes to a live supervisor.
    pub(crate) fn supervised_live(&self, slot: u32) -> bool {
        let parent = self.slots.tree[slot as usize].parent;
        self.slots[slot as usize].flags & SUPERVISED != 0
            && parent != NIL
            && self.slots.get(parent as usize).is_some_and(|p| p.flags & STOPPING == 0)
    }

    /// Returns true if and only if `slot` has a supervisor.
    pub(crate) fn is_supervised(&self, slot: u32) -> bool {
        self.slots.get(slot as usize).is_some_and(|s| s.flags & SUPERVISED != 0)
    }

    /// Returns true if and only if `slot`'s incarnation has ended.
    pub(crate) fn is_exited(&self, slot: u32) -> bool {
        self.slots.get(slot as usize).is_some_and(|s| s.flags & EXITED != 0)
    }

    /// `slot`'s incarnation number.
    pub(crate) fn incarnation(&self, slot: u32) -> u32 {
        self.slots.get(slot as usize).map_or(0, |s| s.incarnation)
    }

    /// Stops `r`'s children for good, youngest first (SPEC rule 11).
    fn stop_children(&mut self, r: Ref, hooks: bool) {
        let reason = if hooks { StopReason::Shutdown } else { StopReason::Killed };
        loop {
            let c = self.slots.tree[r.slot as usize].last_child;
            if c == NIL || self.slots[c as usize].flags & STOPPING != 0 {
                break;
            }
            let child_hooks = hooks && self.slots[c as usize].flags & BRUTAL == 0;
            let cr = self.slot_ref(c);
            self.terminate(cr, reason.clone(), child_hooks);
        }
    }

    /// Runs a hook of `r`'s cell with `r` on the stack; a failure is
    /// recorded (the hook's incarnation is ending anyway).
    fn run_hook(&mut self, r: Ref, what: &str, hook: impl FnOnce(&mut dyn Cell, &mut Core, Ref) -> Result<(), String>) {
        let Some(mut cell) = self.slots[r.slot as usize].cell.take() else {
            return;
        };
        self.running.push(r.slot);
        let result = hook(cell.as_mut(), self, r);
        self.running.pop();
        self.slots[r.slot as usize].cell = Some(cell);
        if let Err(why) = result {
            self.stats.failures += 1;
            trace!(self, EventKind::Failure { actor: r.id(), msg: None, reason: format!("in {what}: {why}") });
        }
    }

    /// Dead-letters everything queued for `r` (`pending_at_stop`); what is
    /// parked stays parked.
    fn drain_mailbox(&mut self, r: Ref) {
        let (pool, queue, len) = {
            let s = &mut self.slots[r.slot as usize];
            let len = s.len;
            s.len = 0;
            s.signals = 0;
            (s.pool, s.queue, len)
        };
        let mut letters = std::mem::take(&mut self.drain_buf);
        let parked = self.flow.parked_on(r.slot);
        self.pools.dyn_pool(pool).drain(queue, parked, false, &mut letters);
        self.stats.queued -= u64::from(len);
        for &(id, from) in &letters {
            self.dead_letter(id, from, r.id(), DeadLetterReason::PendingAtStop, None);
        }
        letters.clear();
        self.drain_buf = letters;
    }

    /// Frees the mailbox (`queue` of `pool`) of `r`, whose slot was just
    /// freed. What reached it after it was drained (sent by code the drain
    /// ran: an ask answered by one of its dead letters, say) goes nowhere
    /// now: dead letters `no_recipient`. Until here the slot kept its
    /// mailbox, so nothing sent to the slot could land in a queue freed and
    /// given to another actor.
    fn release_mailbox(&mut self, r: Ref, pool: u16, queue: u32) {
        self.dead_letter_parked(r);
        let mut letters = Vec::new();
        self.pools.dyn_pool(pool).drain(queue, 0, true, &mut letters);
        for (id, from) in letters {
            self.stats.queued -= 1;
            self.dead_letter(id, from, r.id(), DeadLetterReason::NoRecipient, None);
        }
    }

    /// A supervised actor exited (stopped itself, took a poison pill, was
    /// killed): its incarnation ends as a stop would, but the slot stays,
    /// suspended, until the supervisor decides.
    fn park(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        self.slots[r.slot as usize].flags |= STOPPING;
        self.stop_children(r, hooks);
        if hooks {
            self.run_hook(r, "post_stop", |c, core, r| c.post_stop(core, r));
        }
        self.drain_mailbox(r);
        let s = &mut self.slots[r.slot as usize];
        s.flags = (s.flags & !STOPPING) | SUSPENDED | EXITED;
        self.sched.remove(r.slot);
        trace!(self, EventKind::Suspend { actor: r.id(), reason: reason.clone() });
        self.admit(r);
        self.notify_parent(r, reason, false, None);
    }

    fn notify_parent(&mut self, r: Ref, reason: StopReason, failed: bool, msg: Option<u64>) {
        let (parent, incarnation) = (self.slots.tree[r.slot as usize].parent, self.slots[r.slot as usize].incarnation);
        let to = self.slot_ref(parent);
        let ended = Ended { child: r, incarnation, reason, failed, msg };
        self.signal(to, r.id().0, Signal::ChildEnded(ended), MsgKind::ChildEnded);
    }

    /// Queues a notification for `to`, behind what `from` sent it before
    /// (SPEC rule 4).
    pub(crate) fn signal(&mut self, to: Ref, from: u64, signal: Signal, what: MsgKind) {
        let id = self.next_msg_id();
        trace!(self, EventKind::Send { msg: MsgId(id), from: opt(from), to: to.id(), what, payload: None });
        self.stats.sent += 1;
        let cause = self.cause;
        match self.slots.get_mut(to.slot as usize) {
            Some(s) if s.key == to.key => {
                let parked = self.flow.parked_on(to.slot);
                let s = &mut self.slots[to.slot as usize];
                let envelope = Box::new(SignalEnvelope { signal, id, from, cause });
                if !self.pools.dyn_pool(s.pool).push_signal(s.queue, envelope, parked) {
                    // Engine invariant: a live slot's queue is in use.
                    return self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None);
                }
                s.len += 1;
                s.signals += 1;
                s.high_water = s.high_water.max(s.len);
                self.stats.queued += 1;
                if s.len == 1 && s.flags & HOLD == 0 {
                    self.sched.wake(to.slot, s.pool, s.queue, id);
                }
            }
            _ => self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None),
        }
    }

    /// Stops `r` for good: children first (youngest first), then post_stop,
    /// then the rest of the mailbox to dead letters, then pending asks,
    /// watchers and links (SPEC rule 18).
    pub(crate) fn terminate(&mut self, r: Ref, reason: StopReason, hooks: bool) {
        if !self.alive(r) || self.slots[r.slot as usize].flags & STOPPING != 0 {
            return;
        }
        let exited = self.slots[r.slot as usize].flags & EXITED != 0;
        self.slots[r.slot as usize].flags |= STOPPING;
        let hooks = hooks && !exited;
        if !exited {
            self.stop_children(r, hooks);
        }
        if hooks {
            self.run_hook(r, "post_stop", |c, core, r| c.post_stop(core, r));
        }
        self.flow_forget(r);
        self.drain_mailbox(r);
        self.sched.remove(r.slot);
        self.detach(r.slot);
        let (pool, queue) = (self.slots[r.slot as usize].pool, self.slots[r.slot as usize].queue);
        if let Some(cell) = self.slots.remove(r.slot as usize) {
            // The actor's own Drop is user code too.
            let _ = crate::panic::catch(move || drop(cell));
        }
        self.release_mailbox(r, pool, queue);
        self.stats.stopped += 1;
        trace!(self, EventKind::Stop { actor: r.id(), reason: reason.clone() });
        self.fail_asks_of(r.id());
        self.on_terminated(r, &reason);
    }

    // ----- restarts -----

    /// Phase 1 of a restart, for one child: `pre_restart` on the old
    /// incarnation (unless killed brutally), then its children stopped.
    pub(crate) fn tear_down(&mut self, child: Ref, reason: &StopReason, msg: Option<u64>, hooks: bool) {
        if !self.alive(child) {
            return;
        }
        if self.slots[child.slot as usize].flags & EXITED == 0 {
            if hooks {
                self.run_hook(child, "pre_restart", |c, core, r| c.pre_restart(core, r, reason, msg));
            }
            self.slots[child.slot as usize].flags |= STOPPING;
            self.stop_children(child, hooks);
            self.slots[child.slot as usize].flags &= !STOPPING;
        }
        self.slots[child.slot as usize].flags |= SUSPENDED | EXITED;
        self.sched.remove(child.slot);
    }

    /// Phase 2 of a restart: a new incarnation from `factory` takes the
    /// slot, keeping the address, the mailbox and the random stream.
    pub(crate) fn reincarnate(&mut self, child: Ref, factory: Rc<dyn Fn() -> Box<dyn Cell>>, reason: &StopReason) {
        if !self.alive(child) {
            return;
        }
        let mut cell = factory();
        let (from, to) = {
            let s = &mut self.slots[child.slot as usize];
            s.incarnation += 1;
            (s.incarnation - 1, s.incarnation)
        };
        if let Some(mut old) = self.slots[child.slot as usize].cell.take() {
            cell.set_name(old.name().into());
            cell.take_rng(old.as_mut());
            let _ = crate::panic::catch(move || drop(old));
        }
        self.stats.restarts += 1;
        trace!(self, EventKind::Restart { actor: child.id(), from, to });
        self.slots[child.slot as usize].flags &= !(SUSPENDED | EXITED);
        self.running.push(child.slot);
        let result = cell.post_restart(self, child, reason);
        self.running.pop();
        self.slots[child.slot as usize].cell = Some(cell);
        match result {
            Err(why) => self.fail(child, format!("in post_restart: {why}"), None, 0, true),
            Ok(()) => self.wake_if_ready(child),
        }
    }

    /// Lets a suspended actor run again, with its state and behaviour.
    pub(crate) fn resume(&mut self, child: Ref) {
        if !self.alive(child) {
            return;
        }
        self.slots[child.slot as usize].flags &= !SUSPENDED;
        self.wake_if_ready(child);
    }

    pub(crate) fn wake_if_ready(&mut self, r: Ref) {
        let s = &self.slots[r.slot as usize];
        if s.len > 0 && s.flags & HOLD == 0 {
            if let Some(head) = self.pools.head_id(s.pool, s.queue) {
                self.sched.wake(r.slot, s.pool, s.queue, head);
            }
        }
    }

    /// Phase 2 of a restart after a backoff delay.
    pub(crate) fn restart_later(&mut self, sup: Ref, children: Vec<Ref>, reason: StopReason, delay: u64) {
        let at = self.clock.now.saturating_add(delay);
        let cause = self.cause;
        self.clock.set(at, Timer { kind: TimerKind::Restart { sup, children, reason }, cause });
    }

    /// A backoff ended: start the children again.
    pub(crate) fn restart_now(&mut self, sup: Ref, children: Vec<Ref>, reason: StopReason) {
        if !self.alive(sup) {
            return;
        }
        let Some(mut cell) = self.slots[sup.slot as usize].cell.take() else {
            return;
        };
        self.running.push(sup.slot);
        if let Some(s) = cell.as_any_mut().downcast_mut::<SupervisorCell>() {
            s.start_again(self, &children, &reason);
        }
        self.running.pop();
        self.slots[sup.slot as usize].cell = Some(cell);
        self.settle();
    }

    /// An escalation reached the root: stop every actor, youngest top-level
    /// first, and end the run (SPEC rule 17).
    pub(crate) fn stop_system(&mut self, reason: String) {
        if self.system_stopped.is_some() {
            return;
        }
        trace!(self, EventKind::SystemStop { reason: reason.clone() });
        self.system_stopped = Some(reason);
        self.close_gate();
        let mut top = Vec::new();
        let mut s = self.top_last;
        while s != NIL {
            top.push(self.slot_ref(s));
            s = self.slots.tree[s as usize].prev;
        }
        for r in top {
            self.end_actor(r, StopReason::Shutdown, true);
        }
    }
}
