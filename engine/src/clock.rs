//! Virtual time and the timer heap (SPEC rule 8).
//!
//! Timers are ordered by (time, sequence): two timers due at the same tick
//! fire in the order they were set. Time moves only when nothing is
//! runnable: the clock jumps to the next timer.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::system::Core;

/// What happens when a timer fires.
pub(crate) enum TimerKind {
    /// Send a message (the closure knows its type and recipient).
    Msg(Box<dyn FnOnce(&mut Core)>),
    /// An ask's timeout.
    AskTimeout(u64),
    /// A delayed message lands (a `delay` fault).
    Land(Box<dyn FnOnce(&mut Core)>),
    /// The end of a `slow` fault.
    Release(crate::address::Ref),
    /// A fault rule with `at_time` fires on every matching actor.
    FaultAt(usize),
    /// A parked send's block timeout.
    BlockTimeout { target: crate::address::Ref, msg: u64 },
    /// The end of a restart backoff: start these children of `sup` again.
    Restart { sup: crate::address::Ref, children: Vec<crate::address::Ref>, reason: crate::trace::StopReason },
}

pub(crate) struct Timer {
    pub(crate) kind: TimerKind,
    /// The delivery that set it, 0 if none.
    pub(crate) cause: u64,
}

#[derive(Default)]
pub(crate) struct Clock {
    pub(crate) now: u64,
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    timers: BTreeMap<u64, Timer>,
    next: u64,
}

impl Clock {
    /// Sets a timer due at `at`; returns its id.
    pub(crate) fn set(&mut self, at: u64, timer: Timer) -> u64 {
        self.next += 1;
        let id = self.next;
        self.heap.push(Reverse((at, id)));
        self.timers.insert(id, timer);
        id
    }

    /// Cancels a timer; returns it if it was pending.
    pub(crate) fn cancel(&mut self, id: u64) -> Option<Timer> {
        self.timers.remove(&id)
    }

    /// Puts back a timer taken by [`Clock::cancel`]; its heap entry is still there.
    pub(crate) fn set_back(&mut self, id: u64, timer: Timer) {
        self.timers.insert(id, timer);
    }

    /// The time of the next pending timer.
    pub(crate) fn next_due(&mut self) -> Option<u64> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if self.timers.contains_key(&id) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes the next timer due at or before `now`, in (time, sequence) order.
    pub(crate) fn pop_due(&mut self) -> Option<(u64, Timer)> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if at > self.now {
                return None;
            }
            self.heap.pop();
            if let Some(t) = self.timers.remove(&id) {
                return Some((id, t));
            }
        }
        None
    }

    /// How many timers are pending.
    pub(crate) fn pending(&self) -> usize {
        self.timers.len()
    }
}
