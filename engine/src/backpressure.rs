//! Back-pressure: what a full bounded mailbox does (SPEC rule 22), parked
//! senders and deadlocks, and credit-based flow control (SPEC rule 23).

use std::collections::{BTreeMap, VecDeque};

use crate::address::{ActorId, MsgId, Ref};
use crate::clock::{Timer, TimerKind};
use crate::kernel::{trace, Core, BLOCKED};
use crate::mailbox::{Item, Overflow, Signal};
use crate::trace::{DeadLetterReason, EventKind, MsgKind};

/// A send waiting for room in a full [`Overflow::Block`] mailbox.
struct Parked {
    /// The actor that sent it and is parked meanwhile (none for a test or a timer).
    sender: Option<Ref>,
    id: u64,
    from: u64,
    timer: Option<u64>,
    /// Queues the message (its type is known only here).
    admit: Box<dyn FnOnce(&mut Core)>,
}

#[derive(Default)]
pub(crate) struct Flow {
    /// Target actor id → sends waiting for room, oldest first.
    parked: BTreeMap<u64, VecDeque<Parked>>,
    /// How many sends are parked in all.
    pub(crate) parked_total: usize,
    /// Parked sender id → (its slot, its parked sends).
    blocked: BTreeMap<u64, (Ref, u32)>,
    /// Actor id → its block timeout, in ticks.
    pub(crate) block_timeouts: BTreeMap<u64, u64>,
    /// (sender id, receiver id) → credit the receiver granted and the sender has not used.
    credits: BTreeMap<(u64, u64), u32>,
    /// Deadlocks found so far, each the actors of one cycle.
    pub(crate) deadlocks: Vec<Vec<ActorId>>,
}

impl Flow {
    /// Returns true if and only if message `id` is parked.
    pub(crate) fn is_parked(&self, id: u64) -> bool {
        self.parked.values().any(|q| q.iter().any(|p| p.id == id))
    }

    /// The actors parked now, by id.
    pub(crate) fn blocked_actors(&self) -> Vec<ActorId> {
        self.blocked.keys().map(|&id| ActorId(id)).collect()
    }
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
                let oldest = q.iter().position(|i| !matches!(i, Item::Signal(_))).and_then(|p| q.remove(p));
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

    /// Parks `item` until `to` has room; parks its sender too, if it is the
    /// actor running now.
    fn park_send<M: 'static>(&mut self, to: Ref, item: Item<M>) {
        let (id, from) = (item.id(), item.from());
        let sender = self.running.last().map(|&s| self.slot_ref(s)).filter(|r| r.id.0 == from && from != 0);
        self.stats.queued += 1;
        let timer = self.flow.block_timeouts.get(&to.id.0).map(|&t| {
            let at = self.clock.now.saturating_add(t);
            self.clock.set(at, Timer { kind: TimerKind::BlockTimeout { target: to.id.0, msg: id }, cause: self.cause })
        });
        let admit = Box::new(move |core: &mut Core| core.enqueue_admitted(to, item));
        self.flow.parked.entry(to.id.0).or_default().push_back(Parked { sender, id, from, timer, admit });
        self.flow.parked_total += 1;
        let Some(s) = sender else { return };
        self.flow.blocked.entry(s.id.0).or_insert((s, 0)).1 += 1;
        self.slots[s.slot as usize].flags |= BLOCKED;
        self.sched.remove(s.slot);
        if let Some(cycle) = self.wait_cycle(s.id.0, to.id.0) {
            trace!(self, EventKind::Deadlock { actors: cycle.clone() });
            self.flow.deadlocks.push(cycle);
        }
    }

    /// If `target` waits (through parked sends) on `sender`, the cycle.
    fn wait_cycle(&self, sender: u64, target: u64) -> Option<Vec<ActorId>> {
        let mut path = vec![ActorId(sender)];
        let mut seen = std::collections::BTreeSet::new();
        self.waits_on(target, sender, &mut path, &mut seen).then_some(path)
    }

    fn waits_on(&self, x: u64, goal: u64, path: &mut Vec<ActorId>, seen: &mut std::collections::BTreeSet<u64>) -> bool {
        if x == goal {
            return true;
        }
        if !seen.insert(x) || !self.flow.blocked.contains_key(&x) {
            return false;
        }
        path.push(ActorId(x));
        for (&t, q) in &self.flow.parked {
            if q.iter().any(|p| p.sender.is_some_and(|s| s.id.0 == x)) && self.waits_on(t, goal, path, seen) {
                return true;
            }
        }
        path.pop();
        false
    }

    /// `me` just took a message: let parked sends in while there is room.
    pub(crate) fn admit(&mut self, me: Ref) {
        loop {
            let s = &self.slots[me.slot as usize];
            if s.capacity != 0 && s.len - s.signals >= s.capacity {
                return;
            }
            let Some(q) = self.flow.parked.get_mut(&me.id.0) else { return };
            let Some(p) = q.pop_front() else { return };
            if q.is_empty() {
                self.flow.parked.remove(&me.id.0);
            }
            self.flow.parked_total -= 1;
            if let Some(t) = p.timer {
                self.clock.cancel(t);
            }
            trace!(self, EventKind::Admitted { actor: me.id, msg: MsgId(p.id) });
            (p.admit)(self);
            if let Some(s) = p.sender {
                self.unpark(s);
            }
        }
    }

    /// One of `s`'s parked sends went through (or timed out).
    fn unpark(&mut self, s: Ref) {
        let Some(entry) = self.flow.blocked.get_mut(&s.id.0) else { return };
        entry.1 -= 1;
        if entry.1 > 0 {
            return;
        }
        self.flow.blocked.remove(&s.id.0);
        if self.alive(s) {
            self.slots[s.slot as usize].flags &= !BLOCKED;
            self.wake_if_ready(s);
        }
    }

    /// A parked send's block timeout passed: it becomes a dead letter.
    pub(crate) fn block_timeout(&mut self, target: u64, msg: u64) {
        let Some(q) = self.flow.parked.get_mut(&target) else { return };
        let Some(pos) = q.iter().position(|p| p.id == msg) else { return };
        let p = q.remove(pos).expect("position is in range");
        if q.is_empty() {
            self.flow.parked.remove(&target);
        }
        self.flow.parked_total -= 1;
        self.stats.queued -= 1;
        self.dead_letter(p.id, p.from, ActorId(target), DeadLetterReason::BlockTimeout, None);
        if let Some(s) = p.sender {
            self.unpark(s);
        }
    }

    /// Gives up a parked send that can never go through (its target will
    /// never drain): a dead letter `deadlock`.
    pub(crate) fn abandon_parked(&mut self, msg: u64) {
        let target = self.flow.parked.iter().find(|(_, q)| q.iter().any(|p| p.id == msg)).map(|(&t, _)| t);
        let Some(target) = target else { return };
        let q = self.flow.parked.get_mut(&target).expect("found above");
        let pos = q.iter().position(|p| p.id == msg).expect("found above");
        let p = q.remove(pos).expect("position is in range");
        if q.is_empty() {
            self.flow.parked.remove(&target);
        }
        self.flow.parked_total -= 1;
        self.stats.queued -= 1;
        if let Some(t) = p.timer {
            self.clock.cancel(t);
        }
        self.dead_letter(p.id, p.from, ActorId(target), DeadLetterReason::Deadlock, None);
        if let Some(s) = p.sender {
            self.unpark(s);
        }
    }

    /// `r` stopped: sends parked on it are dead letters, its credits are gone.
    pub(crate) fn flow_forget(&mut self, r: Ref) {
        if let Some(q) = self.flow.parked.remove(&r.id.0) {
            for p in q {
                self.flow.parked_total -= 1;
                self.stats.queued -= 1;
                if let Some(t) = p.timer {
                    self.clock.cancel(t);
                }
                self.dead_letter(p.id, p.from, r.id, DeadLetterReason::NoRecipient, None);
                if let Some(s) = p.sender {
                    self.unpark(s);
                }
            }
        }
        self.flow.blocked.remove(&r.id.0);
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
