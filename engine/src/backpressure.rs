//! Back-pressure: what a full bounded mailbox does (SPEC rule 22), parked
//! senders and deadlocks, and credit-based flow control (SPEC rule 23).

use std::collections::BTreeMap;

use crate::address::{ActorId, Key, MsgId, Ref};
use crate::clock::{Timer, TimerKind};
use crate::kernel::{trace, Core, BLOCKED, BLOCK_TIMEOUT, HOLD};
use crate::mailbox::{Item, Overflow, Signal};
use crate::trace::{DeadLetterReason, EventKind, MsgKind};

/// A run of consecutive sends parked on one mailbox by one sender.
#[derive(Clone, Copy)]
struct Run {
    /// The actor that sent them and is parked meanwhile; id 0 for none (a
    /// test or a timer).
    sender: Ref,
    /// The block timeout's timer, 0 for none: a run with a timer holds one
    /// send.
    timer: u64,
    /// How many sends it holds (at least 1).
    n: u32,
}

impl Run {
    fn sender(&self) -> Option<Ref> {
        (self.sender.key != Key::NONE).then_some(self.sender)
    }
}

/// The sends parked on one mailbox, in runs, oldest first. Their items wait
/// in the mailbox's queue, the last `total` of it, behind the admitted ones.
#[derive(Default)]
pub(crate) struct Parked {
    runs: Runs,
    total: u32,
}

/// A first-in first-out list of runs: a vector and the index of its first
/// live run, emptied whenever the last run goes (which is often: a mailbox
/// drains what parked on it), so the newest run is at hand at the end.
#[derive(Default)]
struct Runs {
    v: Vec<Run>,
    first: usize,
}

impl Runs {
    fn iter(&self) -> impl Iterator<Item = &Run> + '_ {
        self.v[self.first..].iter()
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Run> + '_ {
        self.v[self.first..].iter_mut()
    }

    /// The `r`-th live run.
    fn get_mut(&mut self, r: usize) -> Option<&mut Run> {
        self.v.get_mut(self.first + r)
    }

    #[inline(always)]
    fn front_mut(&mut self) -> Option<&mut Run> {
        self.v.get_mut(self.first)
    }

    /// The newest run (the vector's last is live: see `pop_front`).
    #[inline(always)]
    fn back_mut(&mut self) -> Option<&mut Run> {
        self.v.last_mut()
    }

    #[inline(always)]
    fn push_back(&mut self, run: Run) {
        self.v.push(run);
    }

    #[inline(always)]
    fn pop_front(&mut self) {
        self.first += 1;
        if self.first >= self.v.len() {
            self.v.clear();
            self.first = 0;
        } else if self.first >= 64 && self.first * 2 >= self.v.len() {
            self.v.drain(..self.first);
            self.first = 0;
        }
    }

    /// Takes out the `r`-th live run.
    fn remove(&mut self, r: usize) {
        if r == 0 {
            return self.pop_front();
        }
        self.v.remove(self.first + r);
    }
}

#[derive(Default)]
pub(crate) struct Flow {
    /// How many sends are parked in all.
    pub(crate) parked_total: usize,
    /// Per receiver slot: the sends parked on its mailbox (grown only where
    /// something parked).
    parked: Vec<Parked>,
    /// Per sender slot: how many runs of its sends are parked.
    blocked: Vec<u32>,
    /// Actor id → its block timeout, in ticks.
    pub(crate) block_timeouts: BTreeMap<u64, u64>,
    /// (sender id, receiver id) → credit the receiver granted and the sender has not used.
    credits: BTreeMap<(u64, u64), u32>,
    /// Deadlocks found so far, each the actors of one cycle.
    pub(crate) deadlocks: Vec<Vec<ActorId>>,
}

impl Flow {
    /// How many sends are parked on `slot`'s mailbox.
    #[inline]
    pub(crate) fn parked_on(&self, slot: u32) -> usize {
        self.parked.get(slot as usize).map_or(0, |p| p.total as usize)
    }
}

// ===== impl Core: overflow =====

impl Core {
    /// `item` meets `to`'s full mailbox: apply its policy (but block, which
    /// [`Core::bounded_send`] hands to [`Core::park_send`]).
    #[cold]
    pub(crate) fn overflow<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let s = &mut self.slots[to.slot as usize];
        let policy = Overflow::from_code(s.policy);
        let depth = s.len;
        let (id, from) = (item.id(), item.from());
        if !self.pools.holds::<M>(s.pool) {
            // An address of another system whose tag this one shares (see
            // `Key`): nobody here takes it.
            return self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None);
        }
        trace!(self, EventKind::Overflow { actor: to.id(), msg: MsgId(id), policy, depth });
        let s = &mut self.slots[to.slot as usize];
        match policy {
            Overflow::DropNewest => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id(), DeadLetterReason::DropNewest, None);
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
                    self.dead_letter(oid, ofrom, to.id(), DeadLetterReason::DropOldest, None);
                }
            }
            Overflow::Reject => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id(), DeadLetterReason::Rejected, None);
            }
            Overflow::Fail => {
                s.drops += 1;
                drop(item);
                self.dead_letter(id, from, to.id(), DeadLetterReason::MailboxOverflow, None);
                self.fail(to, "mailbox overflow".into(), None, 0, true);
            }
            Overflow::Block => unreachable!("engine invariant: `bounded_send` parks a send to a blocking mailbox"),
        }
    }

    /// Returns true if and only if `to` is alive, full, and rejects.
    pub(crate) fn would_reject(&self, to: Ref) -> bool {
        self.slots.get(to.slot as usize).is_some_and(|s| {
            s.key == to.key
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
            .filter_map(|i| self.slots.get(i).map(|s| s.key.actor()))
            .collect();
        ids.sort();
        ids
    }

    /// Where message `id` parked on `to` is among its parked sends.
    fn parked_position(&self, to: Ref, id: u64) -> Option<usize> {
        if self.flow.parked_total == 0 || !self.alive(to) {
            return None;
        }
        let n = self.flow.parked_on(to.slot);
        let s = &self.slots[to.slot as usize];
        let start = s.len as usize;
        self.pools.dyn_ref(s.pool).find(s.queue, start, id).filter(|&k| k < n)
    }

    /// Returns true if and only if message `id` to `to` is parked.
    pub(crate) fn is_parked(&self, to: Ref, id: u64) -> bool {
        self.parked_position(to, id).is_some()
    }

    /// A send to `to`'s bounded mailbox, which is full or has sends parked
    /// somewhere: parked sends get in first if there is room (the rule is
    /// that a mailbox with room has nothing parked, and a capacity raised
    /// by a fault, or room made while the actor's code runs at its exit,
    /// make room without a delivery), then the send is queued, or meets
    /// the policy.
    #[inline(never)]
    pub(crate) fn bounded_send<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let s = &self.slots[to.slot as usize];
        let room = |s: &crate::kernel::Slot| s.len - s.signals < s.capacity;
        if room(s) && self.flow.parked_on(to.slot) != 0 {
            self.admit(to);
        }
        let s = &self.slots[to.slot as usize];
        if room(s) {
            return self.push_item(to, item);
        }
        if s.policy == Overflow::Block.code() {
            return self.park_send(to, item);
        }
        self.overflow(to, item)
    }

    /// `item` meets `to`'s full mailbox with policy block: it is queued
    /// behind everything there, parked until `to` has room, and so is its
    /// sender, if it is the actor running now.
    #[inline(always)]
    pub(crate) fn park_send<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let s = &self.slots[to.slot as usize];
        let flags = s.flags;
        let (id, from) = (item.id(), item.from());
        let Some(queue) = self.pools.try_queue::<M>(s.pool, s.queue) else {
            // An address of another system whose tag this one shares (see
            // `Key`): nobody here takes it.
            return self.dead_letter(id, from, to.id(), DeadLetterReason::NoRecipient, None);
        };
        queue.push_back(item);
        // The common case: a handler's send, untraced, no timeout, no
        // deadlock to look for, and the sender's run on `to` goes on.
        if !self.trace.on && flags & (BLOCK_TIMEOUT | BLOCKED) == 0 && self.running.is_empty() && from != 0 {
            let d = self.delivering;
            if let Some(parked) = self.flow.parked.get_mut(to.slot as usize) {
                if let Some(run) = parked.runs.back_mut() {
                    if run.sender.slot == d && run.sender.id().0 == from && run.timer == 0 {
                        run.n += 1;
                        parked.total += 1;
                        self.flow.parked_total += 1;
                        self.stats.queued += 1;
                        return;
                    }
                }
            }
        }
        self.parked(to, id, from);
    }

    /// Message `id` from `from`, just queued behind everything in `to`'s
    /// full mailbox with policy block, is parked there: every case of
    /// [`Core::park_send`].
    #[inline(never)]
    fn parked(&mut self, to: Ref, id: u64, from: u64) {
        let s = &self.slots[to.slot as usize];
        let flags = s.flags;
        let depth = s.len;
        trace!(self, EventKind::Overflow { actor: to.id(), msg: MsgId(id), policy: Overflow::Block, depth });
        let running = match self.running.last() {
            Some(&r) => r,
            None => self.delivering,
        };
        let sender = match self.slots.get(running as usize) {
            Some(s) if from != 0 && s.key.actor().0 == from => Ref { slot: running, queue: s.queue, key: s.key },
            _ => Ref::NONE,
        };
        self.stats.queued += 1;
        self.flow.parked_total += 1;
        let timer = if flags & BLOCK_TIMEOUT != 0 { self.block_timer(to, id) } else { 0 };
        if self.flow.parked.len() <= to.slot as usize {
            self.grow_parked(to.slot);
        }
        let parked = &mut self.flow.parked[to.slot as usize];
        parked.total += 1;
        let run = parked.runs.back_mut();
        match run {
            Some(last) if timer == 0 && last.timer == 0 && last.sender == sender => last.n += 1,
            _ => {
                parked.runs.push_back(Run { sender, timer, n: 1 });
                if sender.id().0 != 0 {
                    // A new run: the sender counts it.
                    if self.flow.blocked.len() <= sender.slot as usize {
                        self.grow_blocked(sender.slot);
                    }
                    let n = &mut self.flow.blocked[sender.slot as usize];
                    *n += 1;
                    if *n == 1 {
                        self.block(sender);
                    }
                }
            }
        }
        if sender.id().0 != 0 && flags & BLOCKED != 0 {
            self.find_deadlock(sender, to);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_blocked(&mut self, slot: u32) {
        self.flow.blocked.resize(slot as usize + 1, 0);
    }

    #[cold]
    #[inline(never)]
    fn grow_parked(&mut self, slot: u32) {
        self.flow.parked.resize_with(slot as usize + 1, Parked::default);
    }

    /// `me`'s mailbox has room for one more: its oldest parked send (the
    /// item right behind the admitted ones) is admitted. Returns the sender
    /// (id 0 for none) and timer (0 for none) of its run if it was the
    /// run's last send, `None` if nothing was parked.
    #[inline(always)]
    pub(crate) fn admit_one(&mut self, me: Ref) -> Option<(Ref, u64)> {
        let parked = self.flow.parked.get_mut(me.slot as usize)?;
        let run = parked.runs.front_mut()?;
        parked.total -= 1;
        run.n -= 1;
        if run.n != 0 {
            return Some((Ref::NONE, 0));
        }
        let run = *run;
        parked.runs.pop_front();
        Some((run.sender, run.timer))
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
        if let Some(cycle) = self.wait_cycle(sender.id().0, to.id().0) {
            trace!(self, EventKind::Deadlock { actors: cycle.clone() });
            self.flow.deadlocks.push(cycle);
        }
    }

    /// The block timeout timer of message `id` parked on `to`, 0 if `to` has none.
    #[cold]
    #[inline(never)]
    fn block_timer(&mut self, to: Ref, id: u64) -> u64 {
        let Some(&t) = self.flow.block_timeouts.get(&to.id().0) else { return 0 };
        let at = self.clock.now.saturating_add(t);
        self.clock.set(at, Timer { kind: TimerKind::BlockTimeout { target: to, msg: id }, cause: self.cause })
    }

    /// If `target` waits (through parked sends) on `sender`, the cycle.
    fn wait_cycle(&self, sender: u64, target: u64) -> Option<Vec<ActorId>> {
        // Who waits on whom: (sender id → target ids), in the order of the
        // targets' (pool, queue), then of the parked sends.
        let mut edges: Vec<((u16, u32), u64, u64)> = Vec::new();
        for (slot, parked) in self.flow.parked.iter().enumerate() {
            let Some(t) = self.slots.get(slot) else { continue };
            for run in parked.runs.iter() {
                if let Some(s) = run.sender() {
                    edges.push(((t.pool, t.queue), s.id().0, t.key.actor().0));
                }
            }
        }
        edges.sort_by_key(|e| e.0);
        let mut waits: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (_, from, t) in edges {
            waits.entry(from).or_default().push(t);
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

    /// `r`'s mailbox may have room: parked sends get in while it has, and
    /// their senders go on.
    pub(crate) fn admit(&mut self, r: Ref) {
        if self.flow.parked_total == 0 {
            return;
        }
        let (pool, queue) = (self.slots[r.slot as usize].pool, self.slots[r.slot as usize].queue);
        loop {
            let s = &self.slots[r.slot as usize];
            if s.capacity != 0 && s.len - s.signals >= s.capacity {
                return;
            }
            let at = s.len as usize;
            let Some((sender, timer)) = self.admit_one(r) else { return };
            let id = self.pools.dyn_ref(pool).id_at(queue, at).unwrap_or(0);
            self.admitted(r, pool, queue, id, sender, timer);
        }
    }

    /// Parked send `id` was just admitted to `me`'s queue; `sender` (id 0
    /// for none) and `timer` (0 for none) are its run's if it was the
    /// run's last send.
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
        trace!(self, EventKind::Admitted { actor: me.id(), msg: MsgId(id) });
        if sender.id().0 != 0 {
            self.unpark(sender);
        }
    }

    /// The last send of one of `s`'s runs went through (or timed out). A stopped
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

    /// Takes parked send `msg` off `target`'s mailbox: a dead letter with `reason`.
    fn unpark_as_dead(&mut self, target: Ref, msg: u64, reason: DeadLetterReason) {
        let Some(pos) = self.parked_position(target, msg) else { return };
        let s = &self.slots[target.slot as usize];
        let (pool, queue, start) = (s.pool, s.queue, s.len as usize);
        let Some((id, from)) = self.pools.dyn_pool(pool).remove_at(queue, start + pos) else { return };
        // The run it was in.
        let parked = &mut self.flow.parked[target.slot as usize];
        let (mut r, mut before) = (0, 0);
        while let Some(run) = parked.runs.get_mut(r) {
            if before + run.n as usize > pos {
                break;
            }
            before += run.n as usize;
            r += 1;
        }
        let Some(run) = parked.runs.get_mut(r) else { return };
        run.n -= 1;
        let run = *run;
        parked.total -= 1;
        if run.n == 0 {
            parked.runs.remove(r);
        }
        self.flow.parked_total -= 1;
        self.stats.queued -= 1;
        if run.timer != 0 {
            self.clock.cancel(run.timer);
        }
        self.dead_letter(id, from, target.id(), reason, None);
        if let Some(s) = run.sender().filter(|_| run.n == 0) {
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
            self.dead_letter_parked(r);
            if self.flow.blocked.get(r.slot as usize).is_some_and(|n| *n > 0) {
                self.flow.blocked[r.slot as usize] = 0;
                // Its parked sends wait on without it.
                for parked in self.flow.parked.iter_mut() {
                    for run in parked.runs.iter_mut().filter(|run| run.sender.key == r.key) {
                        run.sender.key = Key::NONE;
                    }
                }
            }
        }
        self.flow.block_timeouts.remove(&r.id().0);
        if !self.flow.credits.is_empty() {
            self.flow.credits.retain(|&(s, t), _| s != r.id().0 && t != r.id().0);
        }
    }

    /// The sends parked on `r` (stopping for good) are dead letters
    /// `no_recipient`; their senders go on. A dead letter may complete an
    /// ask whose answer is sent to `r` and parks: those go too.
    pub(crate) fn dead_letter_parked(&mut self, r: Ref) {
        while self.flow.parked_on(r.slot) != 0 {
            let parked = self.flow.parked.get_mut(r.slot as usize).map(std::mem::take).unwrap_or_default();
            let (pool, queue) = (self.slots[r.slot as usize].pool, self.slots[r.slot as usize].queue);
            let mut items = Vec::new();
            self.pools.dyn_pool(pool).split_back(queue, parked.total as usize, &mut items);
            let mut items = items.into_iter();
            for &run in parked.runs.iter() {
                for k in 1..=run.n {
                    let Some((id, from)) = items.next() else { break };
                    self.flow.parked_total -= 1;
                    self.stats.queued -= 1;
                    if run.timer != 0 {
                        self.clock.cancel(run.timer);
                    }
                    self.dead_letter(id, from, r.id(), DeadLetterReason::NoRecipient, None);
                    match run.sender() {
                        Some(s) if k == run.n => self.unpark(s),
                        _ => {}
                    }
                }
            }
        }
    }

    // ----- credit -----

    /// `receiver` grants `sender` the right to send it `n` more messages.
    pub(crate) fn grant(&mut self, receiver: Ref, sender: Ref, n: u32) {
        self.signal(sender, receiver.id().0, Signal::Credit(n), MsgKind::Credit);
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
