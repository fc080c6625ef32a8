//! Who runs next: the runnable set and the three strategies (SPEC rule 6).
//!
//! An actor is runnable while its mailbox holds something it may take. The
//! scheduler sees slots only; the engine tells it when a slot becomes
//! runnable ([`Scheduler::wake`]), what is left after a delivery
//! ([`Scheduler::after`]) and when a slot goes away ([`Scheduler::remove`]).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::Strategy;

const NONE: u32 = u32::MAX;

/// A slot chosen to run, with where its mailbox is when the strategy knows
/// it (`pool == u16::MAX` otherwise): the mailbox can then be read without
/// waiting for the slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Picked {
    pub(crate) slot: u32,
    pub(crate) pool: u16,
    pub(crate) queue: u32,
}

impl Picked {
    fn slot(slot: u32) -> Self {
        Picked { slot, pool: u16::MAX, queue: 0 }
    }
}

pub(crate) enum Scheduler {
    Random(RandomSet),
    Pct(Pct),
    Fifo(Fifo),
}

/// Uniform choice: a dense vector of runnable slots (with their mailboxes)
/// and each slot's position in it.
pub(crate) struct RandomSet {
    runnable: Vec<Picked>,
    pos: Vec<u32>,
}

/// PCT: distinct random priorities, the highest runnable runs; at each change
/// point the highest runnable drops below every initial priority.
pub(crate) struct Pct {
    prio: Vec<u64>,
    runnable: BTreeSet<(u64, u32)>,
    /// Change points, as step numbers, soonest last.
    change_points: Vec<u64>,
    lowered: u64,
}

/// Global send order: a heap of (head message id, slot, epoch).
pub(crate) struct Fifo {
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// Per slot: the epoch of its valid heap entry, or NONE if not runnable.
    state: Vec<u32>,
    epoch: Vec<u32>,
    /// Runnable slots (the heap may also hold stale entries).
    count: usize,
}

fn grow<T: Copy>(v: &mut Vec<T>, slot: u32, fill: T) {
    let need = slot as usize + 1;
    if v.len() < need {
        v.resize(need.max(v.len() * 2), fill);
    }
}

impl Scheduler {
    pub(crate) fn new(strategy: Strategy, rng: &mut ChaCha8Rng) -> Self {
        match strategy {
            Strategy::Random => Scheduler::Random(RandomSet { runnable: Vec::new(), pos: Vec::new() }),
            Strategy::Fifo => {
                Scheduler::Fifo(Fifo { heap: BinaryHeap::new(), state: Vec::new(), epoch: Vec::new(), count: 0 })
            }
            Strategy::Pct { depth, steps } => {
                let mut points = BTreeSet::new();
                // At most 10,000 change points: a depth beyond that is no test
                // (and a crafted trace header must not make us draw forever).
                let wanted = (depth.saturating_sub(1) as u64).min(steps).min(10_000);
                while (points.len() as u64) < wanted {
                    points.insert(rng.random_range(1..=steps));
                }
                let mut change_points: Vec<u64> = points.into_iter().collect();
                change_points.reverse();
                Scheduler::Pct(Pct { prio: Vec::new(), runnable: BTreeSet::new(), change_points, lowered: 0 })
            }
        }
    }

    /// Whether [`Scheduler::after`] needs the id of the next queued message.
    #[inline]
    pub(crate) fn needs_head(&self) -> bool {
        matches!(self, Scheduler::Fifo(_))
    }

    /// A new actor took `slot`.
    pub(crate) fn on_spawn(&mut self, slot: u32, rng: &mut ChaCha8Rng) {
        if let Scheduler::Pct(p) = self {
            grow(&mut p.prio, slot, 0);
            // Initial priorities sit above every lowered one (1..depth).
            p.prio[slot as usize] = rng.random_range(1u64 << 32..u64::MAX);
        }
    }

    /// `slot` (mailbox `queue` of pool `pool`) has a message (with id
    /// `head`) and may run, unless it already can.
    #[inline(always)]
    pub(crate) fn wake(&mut self, slot: u32, pool: u16, queue: u32, head: u64) {
        if let Scheduler::Random(r) = self {
            if let Some(p) = r.pos.get_mut(slot as usize) {
                if *p == NONE {
                    *p = r.runnable.len() as u32;
                    r.runnable.push(Picked { slot, pool, queue });
                }
                return;
            }
        }
        self.wake_other(slot, pool, queue, head);
    }

    /// [`Scheduler::wake`] for strategies other than random, or a slot it
    /// has not seen yet.
    #[inline(never)]
    fn wake_other(&mut self, slot: u32, pool: u16, queue: u32, head: u64) {
        match self {
            Scheduler::Random(r) => {
                if r.pos.len() <= slot as usize {
                    grow(&mut r.pos, slot, NONE);
                }
                let p = &mut r.pos[slot as usize];
                if *p == NONE {
                    *p = r.runnable.len() as u32;
                    r.runnable.push(Picked { slot, pool, queue });
                }
            }
            Scheduler::Pct(p) => {
                let prio = p.prio[slot as usize];
                p.runnable.insert((prio, slot));
            }
            Scheduler::Fifo(f) => {
                grow(&mut f.state, slot, NONE);
                grow(&mut f.epoch, slot, 0);
                if f.state[slot as usize] == NONE {
                    let e = f.epoch[slot as usize];
                    f.state[slot as usize] = e;
                    f.count += 1;
                    f.heap.push(Reverse((head, slot, e)));
                }
            }
        }
    }

    /// `slot` may no longer run (stopped, or nothing left to take).
    #[inline(always)]
    pub(crate) fn remove(&mut self, slot: u32) {
        if let Scheduler::Random(r) = self {
            let Some(&p) = r.pos.get(slot as usize) else {
                return;
            };
            if p == NONE {
                return;
            }
            r.pos[slot as usize] = NONE;
            // `swap_remove(p)`: the last one takes its place.
            if let Some(last) = r.runnable.pop() {
                if let Some(hole) = r.runnable.get_mut(p as usize) {
                    *hole = last;
                    r.pos[last.slot as usize] = p;
                }
            }
            return;
        }
        self.remove_other(slot);
    }

    /// [`Scheduler::remove`] for strategies other than random.
    #[inline(never)]
    fn remove_other(&mut self, slot: u32) {
        match self {
            Scheduler::Random(_) => {}
            Scheduler::Pct(p) => {
                if let Some(&prio) = p.prio.get(slot as usize) {
                    p.runnable.remove(&(prio, slot));
                }
            }
            Scheduler::Fifo(f) => {
                if let Some(s) = f.state.get_mut(slot as usize) {
                    if *s != NONE {
                        *s = NONE;
                        f.count -= 1;
                        f.epoch[slot as usize] = f.epoch[slot as usize].wrapping_add(1);
                    }
                }
            }
        }
    }

    /// Picks the slot to deliver to at step `step` (1-based), if any is runnable.
    #[inline]
    pub(crate) fn pick(&mut self, rng: &mut ChaCha8Rng, step: u64) -> Option<Picked> {
        match self {
            Scheduler::Random(r) => match r.runnable.len() {
                0 => None,
                1 => Some(r.runnable[0]),
                n => Some(r.runnable[rng.random_range(0..n)]),
            },
            Scheduler::Pct(p) => {
                if p.change_points.last() == Some(&step) {
                    p.change_points.pop();
                    if let Some(&(prio, slot)) = p.runnable.last() {
                        p.lowered += 1;
                        p.runnable.remove(&(prio, slot));
                        p.prio[slot as usize] = p.lowered;
                        p.runnable.insert((p.lowered, slot));
                    }
                }
                p.runnable.last().map(|&(_, s)| Picked::slot(s))
            }
            Scheduler::Fifo(f) => {
                while let Some(Reverse((_, slot, e))) = f.heap.pop() {
                    if f.state.get(slot as usize) == Some(&e) {
                        return Some(Picked::slot(slot));
                    }
                }
                None
            }
        }
    }

    /// After a delivery to `slot`: `next` is the id of its next message, if
    /// any (only asked for when [`Scheduler::needs_head`]), `more` whether
    /// anything is left.
    #[inline]
    pub(crate) fn after(&mut self, slot: u32, more: bool, next: Option<u64>) {
        match self {
            Scheduler::Random(_) | Scheduler::Pct(_) => {
                if !more {
                    self.remove(slot);
                }
            }
            Scheduler::Fifo(f) => match next {
                Some(head) if more => {
                    let e = f.state[slot as usize];
                    f.heap.push(Reverse((head, slot, e)));
                }
                _ => self.remove(slot),
            },
        }
    }

    /// How many actors are runnable now.
    pub(crate) fn runnable_len(&self) -> usize {
        match self {
            Scheduler::Random(r) => r.runnable.len(),
            Scheduler::Pct(p) => p.runnable.len(),
            Scheduler::Fifo(f) => f.count,
        }
    }
}
