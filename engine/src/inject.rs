//! Where fault rules meet the engine: on send, on delivery, at set times.
//! Every fault injected is a `fault` event naming its rule.

use std::any::{Any, TypeId};
use std::fmt;

use compact_str::CompactString;

use crate::address::{ActorId, Key, MsgId, Ref};
use crate::clock::{Timer, TimerKind};
use crate::faults::{message_kind, Fate, Injector};
use crate::kernel::{trace, Core, SLOWED};
use crate::mailbox::{Envelope, Item};
use crate::trace::{DeadLetterReason, EventKind};

/// A clone function for message type `M`, stored type-erased.
type CloneFn<M> = fn(&M) -> M;

// ===== impl Core: faults =====

impl Core {
    /// Installs the config's fault plan, if any.
    pub(crate) fn install_faults(&mut self) {
        let Some(plan) = self.config.faults.clone() else { return };
        let inj = Injector::new(plan, self.config.seed);
        for (rule, at) in inj.timed() {
            self.clock.set(at, Timer { kind: TimerKind::FaultAt(rule), cause: 0 });
        }
        self.faults = Some(Box::new(inj));
        self.fault_on = true;
    }

    /// Lets the `duplicate` fault copy messages of type `M`.
    pub(crate) fn allow_duplicates<M: Clone + 'static>(&mut self) {
        let f: CloneFn<M> = |m| m.clone();
        self.dups.insert(TypeId::of::<M>(), Box::new(f));
    }

    fn fault_event(&mut self, rule: usize, action: &str, actor: ActorId, msg: Option<u64>) {
        self.stats.faults += 1;
        if self.trace.on {
            let name = self.faults.as_ref().map_or(String::new(), |f| f.plan.rules[rule].name.clone());
            let action = CompactString::from(action);
            trace!(self, EventKind::Fault { rule: name, action, actor, msg: msg.map(MsgId) });
        }
    }

    fn kind_of<M: fmt::Debug>(&self, msg: &M) -> Option<String> {
        let inj = self.faults.as_ref()?;
        inj.needs_kind.then(|| message_kind(&format!("{msg:?}")).to_string())
    }

    /// A user message is being sent with faults on: drop it, partition it,
    /// delay it, duplicate it, or let it through.
    #[cold]
    pub(crate) fn send_with_faults<M: fmt::Debug + 'static>(&mut self, to: Ref, msg: M, from: u64, id: u64) {
        let cause = self.cause;
        if !self.ours(to.key) {
            // Another system's actor: no rule of this plan names it, and
            // its id must not count against (or draw for) this system's
            // actor of the same id. A dead letter `no_recipient`.
            return self.enqueue(to, Item::User(Envelope { msg, id, from, cause }));
        }
        let kind = self.kind_of(&msg);
        let now = self.clock.now;
        let fate = self.faults.as_mut().and_then(|f| f.at_send(from, to.id().0, kind.as_deref(), now));
        let Some((rule, fate)) = fate else {
            return self.enqueue(to, Item::User(Envelope { msg, id, from, cause }));
        };
        match fate {
            Fate::Drop => {
                self.fault_event(rule, "drop", to.id(), Some(id));
                drop(msg);
                self.dead_letter(id, from, to.id(), DeadLetterReason::InjectedDrop, None);
            }
            Fate::Partitioned => {
                self.fault_event(rule, "partition", to.id(), Some(id));
                drop(msg);
                self.dead_letter(id, from, to.id(), DeadLetterReason::Partitioned, None);
            }
            Fate::Delay(ticks) => {
                self.fault_event(rule, "delay", to.id(), Some(id));
                self.stats.reorders += 1;
                // In flight meanwhile: counted as queued.
                self.stats.queued += 1;
                let land = Box::new(move |core: &mut Core| {
                    core.stats.queued -= 1;
                    core.enqueue(to, Item::User(Envelope { msg, id, from, cause }));
                });
                let at = now.saturating_add(ticks);
                self.clock.set(at, Timer { kind: TimerKind::Land(land), cause });
            }
            Fate::Duplicate => {
                let copy = self
                    .dups
                    .get(&TypeId::of::<M>())
                    .and_then(|f| (f.as_ref() as &dyn Any).downcast_ref::<CloneFn<M>>())
                    .map(|f| f(&msg));
                self.enqueue(to, Item::User(Envelope { msg, id, from, cause }));
                match copy {
                    Some(copy) => {
                        self.fault_event(rule, "duplicate", to.id(), Some(id));
                        self.stats.reorders += 1;
                        let copy_id = self.next_msg_id();
                        self.trace_send(copy_id, from, to.id(), &copy);
                        self.stats.sent += 1;
                        self.enqueue(to, Item::User(Envelope { msg: copy, id: copy_id, from, cause }));
                    }
                    None => self.fault_event(rule, "duplicate_skipped", to.id(), Some(id)),
                }
            }
            Fate::Crash | Fate::Kill | Fate::Slow(_) | Fate::Shrink(_) => {
                self.enqueue(to, Item::User(Envelope { msg, id, from, cause }))
            }
        }
    }

    /// A user message is about to be handled by `me` with faults on.
    #[cold]
    pub(crate) fn delivery_fault<M: fmt::Debug>(&mut self, me: Ref, msg: &M, id: u64) -> Option<(String, Fate)> {
        let kind = self.kind_of(msg);
        let now = self.clock.now;
        let (rule, fate) = self.faults.as_mut()?.at_delivery(me.id().0, kind.as_deref(), now)?;
        let action = match fate {
            Fate::Crash => "crash",
            Fate::Kill => "kill",
            Fate::Slow(_) => "slow",
            Fate::Shrink(_) => "shrink_mailbox",
            _ => "other",
        };
        self.fault_event(rule, action, me.id(), Some(id));
        if let Fate::Shrink(n) = fate {
            self.shrink(me, n);
        }
        let name = self.faults.as_ref().map_or(String::new(), |f| f.plan.rules[rule].name.clone());
        Some((name, fate))
    }

    fn shrink(&mut self, r: Ref, n: u32) {
        if let Some(s) = self.slots.get_mut(r.slot as usize).filter(|s| s.key == r.key) {
            s.capacity = n;
            // A capacity raised (the rule's `capacity` above the mailbox's
            // own) lets parked sends in.
            self.admit(r);
        }
    }

    /// `me` handled a message slowly: it takes nothing for `ticks`.
    pub(crate) fn slow_down(&mut self, me: Ref, ticks: u64) {
        self.slots[me.slot as usize].flags |= SLOWED;
        self.sched.remove(me.slot);
        let at = self.clock.now.saturating_add(ticks);
        let cause = self.cause;
        self.clock.set(at, Timer { kind: TimerKind::Release(me), cause });
    }

    /// The end of a `slow` fault.
    pub(crate) fn release(&mut self, r: Ref) {
        if self.alive(r) {
            self.slots[r.slot as usize].flags &= !SLOWED;
            self.wake_if_ready(r);
        }
    }

    /// A rule with `at_time` fires on every matching actor alive now.
    pub(crate) fn fault_at(&mut self, rule: usize) {
        let Some(inj) = self.faults.as_mut() else { return };
        let action = inj.plan.rules[rule].action.clone();
        let targets: Vec<Ref> = inj
            .targets(rule)
            .into_iter()
            .filter_map(|id| inj.slot_of.get(&id).map(|&slot| (slot, id)))
            .filter_map(|(slot, id)| {
                self.slots.get(slot as usize).map(|s| Ref {
                    slot,
                    queue: s.queue,
                    key: Key::new(self.tag, ActorId(id)),
                })
            })
            .collect();
        for r in targets {
            if !self.alive(r) {
                continue;
            }
            match action {
                crate::faults::Action::Kill => {
                    self.fault_event(rule, "kill", r.id(), None);
                    self.kill(r, 0);
                }
                crate::faults::Action::ShrinkMailbox(n) => {
                    self.fault_event(rule, "shrink_mailbox", r.id(), None);
                    self.shrink(r, n);
                }
                _ => {}
            }
        }
        self.settle();
    }
}
