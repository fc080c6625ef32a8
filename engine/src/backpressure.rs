//! Back-pressure: what a full bounded mailbox does (SPEC rule 22), parked
//! senders and deadlocks, and credit-based flow control (SPEC rule 23).

use std::collections::BTreeMap;

use crate::address::{ActorId, MsgId, Ref};
use crate::clock::{Timer, TimerKind};
use crate::kernel::{trace, Core, BLOCKED, BLOCK_TIMEOUT, HOLD};
use crate::mailbox::{Item, Overflow, Parked, Signal};
use crate::trace::{DeadLetterReason, EventKind, MsgKind};

#[derive(Default)]
pub(crate) struct Flow {
    /// How many sends are parked in all.
    pub(crate) parked_total: usize,
    /// Per sender slot: how many of its sends are parked.
    blocked: Vec<u32>,
    /// Actor id → its block timeout, in ticks.
    pub(crate) block_timeouts: BTreeMap<u64, u64>,
    /// (sender id, receiver id) → credit the receiver granted and the sender has not used.
    credits: BTreeMap<(u64, u64), u32>,
    /// Deadlocks found so far, each the actors of one cycle.
    pub(crate) deadlocks: Vec<Vec<ActorId>>,
}

// ===== impl Core: overflow =====

impl Core {
    /// `item` meets `to`'s full mailbox: apply its policy.
    #[cold]
    pub(crate) fn overflow<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let s = &mut self.slots[to.slot as usize];
        let policy = Overflow::from_code(s.policy);
        let depth = s.len;
        let (id, from) = (item.id(), item.from());
        if !self.pools.holds::<M>(s.pool) {
            // An address from another system: nobody here takes it.
            return self.dead_letter(id, from, to.id, DeadLetterReason::NoRecipient, None);
        }
        trace!(self, EventKind::Overflow { actor: to.id, msg: MsgId(id), policy, depth });
        let s = &mut self.slots[to.slot as usize];
        match policy {
            Overflow::DropNewest => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id, DeadLetterReason::DropNewest, None);
            }
            Overflow::DropOldest => {
                s.drops += 1;
                let q = self.pools.queue::<M>(s.pool, s.queue);
                // Notifications are never evicted: the oldest user message goes.
                let first_user = q.iter().position(|i| !matches!(i, Item::Signal(_)));
                let oldest = first_user.and_then(|p| q.remove(p));
                q.push_back(item);
                if let Some(old) = oldest {
                    let (oid, ofrom) = (old.id(), old.from());
                    drop(old);
                    self.dead_letter(oid, ofrom, to.id, DeadLetterReason::DropOldest, None);
                }
            }
            Overflow::Reject => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id, DeadLetterReason::Rejected, None);
            }
            Overflow::Fail => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id, DeadLetterReason::MailboxOverflow, None);
                self.fail(to, "mailbox overflow".into(), None, 0, true);
            }
            Overflow::Block => self.park_send(to, item),
        }
    }

    #[cold]
    #[inline(never)]
    fn no_recipient(&mut self, id: u64, from: u64, to: ActorId) {
        self.dead_letter(id, from, to, DeadLetterReason::NoRecipient, None);
    }

    #[inline(never)]
    fn trace_overflow(&mut self, actor: ActorId, id: u64, policy: Overflow, depth: u32) {
        trace!(self, EventKind::Overflow { actor, msg: MsgId(id), policy, depth });
    }

    /// Returns true if and only if `to` is alive, full, and rejects.
    pub(crate) fn would_reject(&self, to: Ref) -> bool {
        self.slots.get(to.slot as usize).is_some_and(|s| {
            s.id == to.id
                && s.capacity != 0
                && s.len - s.signals >= s.capacity
                && Overflow::from_code(s.policy) == Overflow::Reject
        })
    }

    // ----- blocking -----

    /// The actors parked now, by id.
    pub(crate) fn blocked_actors(&self) -> Vec<ActorId> {
        let mut ids: Vec<ActorId> = (0..self.flow.blocked.len())
            .filter(|&i| self.flow.blocked[i] > 0)
            .filter_map(|i| self.slots.get(i).map(|s| s.id))
            .collect();
        ids.sort();
        ids
    }

    /// Returns true if and only if message `id` to `to` is parked.
    pub(crate) fn is_parked(&self, to: Ref, id: u64) -> bool {
        self.flow.parked_total != 0
            && self.alive(to)
            && self.pools.dyn_ref(self.slots[to.slot as usize].pool).has_parked(self.slots[to.slot as usize].queue, id)
    }

    /// `item` meets `to`'s full mailbox with policy block: it is parked until
    /// `to` has room, and so is its sender, if it is the actor running now.
    #[inline(never)]
    pub(crate) fn park_send<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let (id, from) = (item.id(), item.from());
        let s = &self.slots[to.slot as usize];
        let (pool, queue, depth, flags) = (s.pool, s.queue, s.len, s.flags);
        if !self.pools.holds::<M>(pool) {
            // An address from another system: nobody here takes it.
            return self.no_recipient(id, from, to.id);
        }
        if self.trace.on {
            self.trace_overflow(to.id, id, Overflow::Block, depth);
        }
        let running = self.innermost_running().unwrap_or(crate::kernel::NIL);
        let sender = match self.slots.get(running as usize) {
            Some(s) if from != 0 && s.id.0 == from => Ref { slot: running, id: s.id },
            _ => Ref { slot: 0, id: ActorId(0) },
        };
        self.stats.queued += 1;
        let timer = if flags & BLOCK_TIMEOUT != 0 { self.block_timer(to, id) } else { 0 };
        self.pools.get::<M>(pool).parked_mut(queue).push_back(Parked { item, sender, timer });
        self.flow.parked_total += 1;
        if sender.id.0 == 0 {
            return;
        }
        let s = sender;
        if self.flow.blocked.len() <= s.slot as usize {
            self.flow.blocked.resize(s.slot as usize + 1, 0);
        }
        self.flow.blocked[s.slot as usize] += 1;
        if self.flow.blocked[s.slot as usize] == 1 {
            self.block(s);
        }
        if flags & BLOCKED != 0 {
            self.find_deadlock(s, to);
        }
    }

    /// `s` has a send parked now: it runs no more until it has none.
    #[cold]
    #[inline(never)]
    fn block(&mut self, s: Ref) {
        self.slots[s.slot as usize].flags |= BLOCKED;
        self.sched.remove(s.slot);
    }

    /// `sender` just parked on blocked `to`: a cycle of parked actors is a deadlock.
    #[cold]
    #[inline(never)]
    fn find_deadlock(&mut self, sender: Ref, to: Ref) {
        if let Some(cycle) = self.wait_cycle(sender.id.0, to.id.0) {
            trace!(self, EventKind::Deadlock { actors: cycle.clone() });
            self.flow.deadlocks.push(cycle);
        }
    }

    /// The block timeout timer of message `id` parked on `to`, 0 if `to` has none.
    #[cold]
    #[inline(never)]
    fn block_timer(&mut self, to: Ref, id: u64) -> u64 {
        let Some(&t) = self.flow.block_timeouts.get(&to.id.0) else { return 0 };
        let at = self.clock.now.saturating_add(t);
        self.clock.set(at, Timer { kind: TimerKind::BlockTimeout { target: to, msg: id }, cause: self.cause })
    }

    /// If `target` waits (through parked sends) on `sender`, the cycle.
    fn wait_cycle(&self, sender: u64, target: u64) -> Option<Vec<ActorId>> {
        // Who waits on whom: (sender id → target ids), from every pool.
        let owner: BTreeMap<(u16, u32), u64> = (0..self.slots.capacity_used())
            .filter_map(|i| self.slots.get(i).map(|s| ((s.pool, s.queue), s.id.0)))
            .collect();
        let mut waits: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut edges = Vec::new();
        for (pool, p) in self.pools.all() {
            edges.clear();
            p.parked_senders(&mut edges);
            for &(queue, from) in &edges {
                if let Some(&t) = owner.get(&(pool, queue)) {
                    waits.entry(from).or_default().push(t);
                }
            }
        }
        let mut path = vec![ActorId(sender)];
        let mut seen = std::collections::BTreeSet::new();
        fn walk(
            x: u64,
            goal: u64,
            waits: &BTreeMap<u64, Vec<u64>>,
            path: &mut Vec<ActorId>,
            seen: &mut std::collections::BTreeSet<u64>,
        ) -> bool {
            if x == goal {
                return true;
            }
            if !seen.insert(x) {
                return false;
            }
            path.push(ActorId(x));
            for &t in waits.get(&x).map_or(&[][..], |v| v.as_slice()) {
                if walk(t, goal, waits, path, seen) {
                    return true;
                }
            }
            path.pop();
            false
        }
        walk(target, sender, &waits, &mut path, &mut seen).then_some(path)
    }

    /// `me` just took a message from its queue: let parked sends in while
    /// there is room.
    pub(crate) fn admit<M: 'static>(&mut self, me: Ref, pool: u16, queue: u32) {
        loop {
            let s = &self.slots[me.slot as usize];
            if s.capacity != 0 && s.len - s.signals >= s.capacity {
                return;
            }
            let Some((id, sender, timer)) = self.pools.get::<M>(pool).admit_one(queue) else { return };
            self.admitted(me, pool, queue, id, sender, timer);
        }
    }

    /// Parked send `id` (its sender's id 0 for none, its timer 0 for none)
    /// was just moved into `me`'s queue.
    #[inline(always)]
    pub(crate) fn admitted(&mut self, me: Ref, pool: u16, queue: u32, id: u64, sender: Ref, timer: u64) {
        self.flow.parked_total -= 1;
        if timer != 0 {
            self.clock.cancel(timer);
        }
        let s = &mut self.slots[me.slot as usize];
        s.len += 1;
        s.high_water = s.high_water.max(s.len);
        if s.len == 1 && s.flags & HOLD == 0 {
            self.sched.wake(me.slot, pool, queue, id);
        }
        trace!(self, EventKind::Admitted { actor: me.id, msg: MsgId(id) });
        if sender.id.0 != 0 {
            self.unpark(sender);
        }
    }

    /// One of `s`'s parked sends went through (or timed out). A stopped
    /// sender's count was reset and its parked sends forgot it, so the slot
    /// here is still `s`.
    #[inline(always)]
    fn unpark(&mut self, s: Ref) {
        let Some(n) = self.flow.blocked.get_mut(s.slot as usize).filter(|n| **n > 0) else { return };
        *n -= 1;
        if *n == 0 {
            self.unblock(s);
        }
    }

    /// The last parked send of `s` went through (or timed out).
    #[inline(never)]
    fn unblock(&mut self, s: Ref) {
        if self.alive(s) {
            self.slots[s.slot as usize].flags &= !BLOCKED;
            self.wake_if_ready(s);
        }
    }

    /// Takes parked send `msg` off `target`'s list: a dead letter with `reason`.
    fn unpark_as_dead(&mut self, target: Ref, msg: u64, reason: DeadLetterReason) {
        if !self.alive(target) {
            return;
        }
        let (pool, queue) = (self.slots[target.slot as usize].pool, self.slots[target.slot as usize].queue);
        let Some((id, from, sender, timer)) = self.pools.dyn_pool(pool).take_parked(queue, msg) else { return };
        self.flow.parked_total -= 1;
        self.stats.queued -= 1;
        if let Some(t) = timer {
            self.clock.cancel(t);
        }
        self.dead_letter(id, from, target.id, reason, None);
        if let Some(s) = sender {
            self.unpark(s);
        }
    }

    /// A parked send's block timeout passed: it becomes a dead letter.
    pub(crate) fn block_timeout(&mut self, target: Ref, msg: u64) {
        self.unpark_as_dead(target, msg, DeadLetterReason::BlockTimeout);
    }

    /// Gives up a parked send that can never go through (its target will
    /// never drain): a dead letter `deadlock`.
    pub(crate) fn abandon_parked(&mut self, target: Ref, msg: u64) {
        self.unpark_as_dead(target, msg, DeadLetterReason::Deadlock);
    }

    /// `r` is stopping for good: sends parked on it are dead letters, its
    /// own parked sends wait on without it, its credits are gone.
    pub(crate) fn flow_forget(&mut self, r: Ref) {
        if self.flow.parked_total != 0 {
            let (pool, queue) = (self.slots[r.slot as usize].pool, self.slots[r.slot as usize].queue);
            let mut out = Vec::new();
            self.pools.dyn_pool(pool).drain_parked(queue, &mut out);
            for (id, from, sender, timer) in out {
                self.flow.parked_total -= 1;
                self.stats.queued -= 1;
                if let Some(t) = timer {
                    self.clock.cancel(t);
                }
                self.dead_letter(id, from, r.id, DeadLetterReason::NoRecipient, None);
                if let Some(s) = sender {
                    self.unpark(s);
                }
            }
            if self.flow.blocked.get(r.slot as usize).is_some_and(|n| *n > 0) {
                self.flow.blocked[r.slot as usize] = 0;
                for i in 0..self.pools.count() {
                    self.pools.dyn_pool(i).forget_sender(r.id.0);
                }
            }
        }
        self.flow.block_timeouts.remove(&r.id.0);
        if !self.flow.credits.is_empty() {
            self.flow.credits.retain(|&(s, t), _| s != r.id.0 && t != r.id.0);
        }
    }

    // ----- credit -----

    /// `receiver` grants `sender` the right to send it `n` more messages.
    pub(crate) fn grant(&mut self, receiver: Ref, sender: Ref, n: u32) {
        self.signal(sender, receiver.id.0, Signal::Credit(n), MsgKind::Credit);
    }

    /// A grant arrived at `me` from `receiver`.
    pub(crate) fn add_credit(&mut self, me: u64, receiver: u64, n: u32) {
        let c = self.flow.credits.entry((me, receiver)).or_default();
        *c = c.saturating_add(n);
    }

    /// Uses one credit of `sender` toward `receiver`, if it has any.
    pub(crate) fn take_credit(&mut self, sender: u64, receiver: u64) -> bool {
        match self.flow.credits.get_mut(&(sender, receiver)) {
            Some(c) if *c > 0 => {
                *c -= 1;
                true
            }
            _ => false,
        }
    }

    /// The credit `sender` holds toward `receiver`.
    pub(crate) fn credit(&self, sender: u64, receiver: u64) -> u32 {
        self.flow.credits.get(&(sender, receiver)).copied().unwrap_or(0)
    }
}
