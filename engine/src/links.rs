//! Links and monitors (SPEC rule 20, Erlang semantics).
//!
//! A monitor is one-way: when the target stops for good, the watcher gets
//! one [`Down`](crate::Down), queued behind everything the target sent it
//! before; monitoring an actor that is already gone gives `Down` with no
//! reason ("noproc") at once. A link is two-way and idempotent: when one end
//! stops abnormally (failed, killed), the other is ended with the same
//! reason, unless it traps exits, in which case it gets one
//! [`Exit`](crate::Exit) message instead (for any reason, normal included).
//!
//! An actor restarted by its supervisor has not stopped: its watchers and
//! links are told only when it stops for good.

use std::collections::BTreeMap;

use crate::actor::{Down, Exit};
use crate::address::Ref;
use crate::kernel::{trace, Core, TRAP_EXIT};
use crate::mailbox::Signal;
use crate::trace::{EventKind, MsgKind, StopReason};

#[derive(Default)]
pub(crate) struct Links {
    /// Monitor id → (watcher, target id).
    monitors: BTreeMap<u64, (Ref, u64)>,
    /// Target id → its monitors, in the order they were set.
    by_target: BTreeMap<u64, Vec<u64>>,
    /// Actor id → linked actors, by id.
    links: BTreeMap<u64, BTreeMap<u64, Ref>>,
    next_monitor: u64,
}

// ===== impl Core: links and monitors =====

impl Core {
    /// `watcher` monitors `target`; returns the monitor's id.
    pub(crate) fn monitor(&mut self, watcher: Ref, target: Ref) -> u64 {
        self.links.next_monitor += 1;
        let monitor = self.links.next_monitor;
        trace!(self, EventKind::Monitor { monitor, watcher: watcher.id(), target: target.id() });
        if self.alive(target) {
            self.links.monitors.insert(monitor, (watcher, target.id().0));
            self.links.by_target.entry(target.id().0).or_default().push(monitor);
        } else {
            let down = Down { monitor, actor: target.id(), reason: None };
            self.signal(watcher, target.id().0, Signal::Down(down), MsgKind::Down);
        }
        monitor
    }

    /// Removes a monitor; returns true if and only if it was active.
    pub(crate) fn demonitor(&mut self, monitor: u64) -> bool {
        let Some((_, target)) = self.links.monitors.remove(&monitor) else {
            return false;
        };
        if let Some(v) = self.links.by_target.get_mut(&target) {
            v.retain(|&m| m != monitor);
            if v.is_empty() {
                self.links.by_target.remove(&target);
            }
        }
        true
    }

    /// Links `a` and `b`. Linking to an actor that is gone acts as if it had
    /// just failed with reason `noproc`.
    pub(crate) fn link(&mut self, a: Ref, b: Ref) {
        if a.key == b.key || !self.alive(a) {
            return;
        }
        if !self.alive(b) {
            self.exit_signal(b, a, &StopReason::Failed("noproc".into()));
            return;
        }
        let new = self.links.links.entry(a.id().0).or_default().insert(b.id().0, b).is_none();
        self.links.links.entry(b.id().0).or_default().insert(a.id().0, a);
        if new {
            trace!(self, EventKind::Link { a: a.id(), b: b.id() });
        }
    }

    /// Removes the link between `a` and `b`, if any.
    pub(crate) fn unlink_actors(&mut self, a: Ref, b: Ref) {
        if !self.ours(a.key) || !self.ours(b.key) {
            // Never linked: the ids would name actors of this system.
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            if let Some(m) = self.links.links.get_mut(&x.id().0) {
                m.remove(&y.id().0);
                if m.is_empty() {
                    self.links.links.remove(&x.id().0);
                }
            }
        }
    }

    /// Sets whether `r` traps exits.
    pub(crate) fn set_trap_exit(&mut self, r: Ref, on: bool) {
        if let Some(s) = self.slots.get_mut(r.slot as usize).filter(|s| s.key == r.key) {
            if on {
                s.flags |= TRAP_EXIT;
            } else {
                s.flags &= !TRAP_EXIT;
            }
        }
    }

    /// `from` ended with `reason`: tell linked actor `to`.
    fn exit_signal(&mut self, from: Ref, to: Ref, reason: &StopReason) {
        if !self.alive(to) {
            return;
        }
        if self.slots[to.slot as usize].flags & TRAP_EXIT != 0 {
            let exit = Exit { from: from.id(), reason: reason.clone() };
            self.signal(to, from.id().0, Signal::Exit(exit), MsgKind::Exit);
        } else if reason.is_abnormal() {
            self.end_actor(to, reason.clone(), false);
        }
    }

    /// `r` stopped for good: Down to its watchers, exit signals to its links,
    /// and forget the monitors it held.
    pub(crate) fn on_terminated(&mut self, r: Ref, reason: &StopReason) {
        if self.links.monitors.is_empty() && self.links.links.is_empty() {
            return;
        }
        if let Some(mons) = self.links.by_target.remove(&r.id().0) {
            for monitor in mons {
                if let Some((watcher, _)) = self.links.monitors.remove(&monitor) {
                    let down = Down { monitor, actor: r.id(), reason: Some(reason.clone()) };
                    self.signal(watcher, r.id().0, Signal::Down(down), MsgKind::Down);
                }
            }
        }
        let held: Vec<u64> = self.links.monitors.iter().filter(|(_, (w, _))| w.key == r.key).map(|(&m, _)| m).collect();
        for m in held {
            self.demonitor(m);
        }
        if let Some(peers) = self.links.links.remove(&r.id().0) {
            for (_, peer) in peers {
                if let Some(m) = self.links.links.get_mut(&peer.id().0) {
                    m.remove(&r.id().0);
                    if m.is_empty() {
                        self.links.links.remove(&peer.id().0);
                    }
                }
                self.exit_signal(r, peer, reason);
            }
        }
    }
}
