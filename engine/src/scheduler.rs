//! Who runs next: the runnable set and the three strategies (SPEC rule 6).
//!
//! An actor is runnable while its mailbox holds something it may take. The
//! scheduler sees slots only; the engine tells it when a slot becomes
//! runnable ([`Scheduler::wake`]), what is left after a delivery
//! ([`Scheduler::after`]) and when a slot goes away ([`Scheduler::remove`]).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;

use crate::config::Strategy;

const NONE: u32 = u32::MAX;

/// A slot chosen to run, with where its mailbox is when the strategy knows
/// it (`pool() == u16::MAX` otherwise): the mailbox can then be read without
/// waiting for the slot.
///
/// One `u128`, written and read as two whole words: an entry of the runnable set is
/// often read back right after it was written (a message wakes its
/// receiver, and the sender's removal moves that entry), and a read that
/// spans several smaller writes cannot be forwarded from the store buffer:
/// it waits a dozen cycles, which was a tenth of a ping-pong message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Picked {
    /// The slot (bits 0-31), the queue (32-63), the pool (64-79), and bit
    /// 80 if [`Picked::ahead`].
    bits: u128,
}

impl Picked {
    #[inline(always)]
    pub(crate) fn new(slot: u32, pool: u16, queue: u32) -> Self {
        Picked { bits: u128::from(slot) | u128::from(queue) << 32 | u128::from(pool) << 64 }
    }

    fn slot_only(slot: u32) -> Self {
        Picked::new(slot, u16::MAX, 0)
    }

    #[inline(always)]
    pub(crate) fn slot(&self) -> u32 {
        self.bits as u32
    }

    #[inline(always)]
    pub(crate) fn queue(&self) -> u32 {
        (self.bits >> 32) as u32
    }

    #[inline(always)]
    pub(crate) fn pool(&self) -> u16 {
        (self.bits >> 64) as u16
    }

    /// Set by [`Scheduler::pick`] when the random set looks ahead (see
    /// [`RandomSet::upcoming`]): the next actors can be fetched.
    #[inline(always)]
    pub(crate) fn ahead(&self) -> bool {
        self.bits & AHEAD_BIT != 0
    }
}

const AHEAD_BIT: u128 = 1 << 80;

pub(crate) enum Scheduler {
    Random(RandomSet),
    Pct(Pct),
    Fifo(Fifo),
}

/// Uniform choice: a dense vector of runnable slots (with their mailboxes)
/// and each slot's position in it.
///
/// With many runnable actors, a delivery mostly waits for memory: the
/// runnable entry, the slot, the mailbox and the actor of a choice made at
/// random. So the set draws its random words a few steps ahead (the same
/// words, in the same order, as drawing each when needed), which tells
/// where the next choices will most likely fall while there is time to
/// fetch them (see [`RandomSet::upcoming`]).
pub(crate) struct RandomSet {
    runnable: Vec<Picked>,
    pos: Vec<u32>,
    /// The next words of the stream, drawn already (`ahead[..drawn]`).
    ahead: [u32; AHEAD],
    drawn: usize,
}

/// How many steps ahead the random words are drawn.
pub(crate) const AHEAD: usize = 3;

/// Runnable actors from which looking ahead pays: fewer fit in the caches.
pub(crate) const LOOK_AHEAD_FROM: usize = 1 << 14;

impl RandomSet {
    /// The next word of the scheduling stream.
    #[inline(always)]
    fn word(&mut self, rng: &mut ChaCha8Rng) -> u32 {
        if self.drawn == 0 {
            return rng.next_u32();
        }
        let w = self.ahead[0];
        self.ahead.copy_within(1.., 0);
        self.drawn -= 1;
        w
    }

    /// A uniform index below `n` (at least 2): exactly what
    /// `rng.random_range(0..n)` returns with rand's default features (its
    /// single-sample method for a `u32` range: a widening multiply, and a
    /// second word in the rare case the first is biased; 64-bit words past
    /// `u32::MAX`), from [`RandomSet::word`]s. It is written out here, so
    /// a rand feature (`unbiased`) could not change a schedule.
    #[inline(always)]
    fn index(&mut self, n: usize, rng: &mut ChaCha8Rng) -> usize {
        let Ok(range) = u32::try_from(n) else {
            // More than 2^32 runnable actors: the same with 64-bit words
            // (a `u64` is two words of the stream, the low one first).
            let range = n as u64;
            let mut word = |r: &mut Self| u64::from(r.word(rng)) | u64::from(r.word(rng)) << 32;
            let m = u128::from(word(self)) * u128::from(range);
            let (mut hi, lo) = ((m >> 64) as u64, m as u64);
            if lo > range.wrapping_neg() {
                let new_hi = ((u128::from(word(self)) * u128::from(range)) >> 64) as u64;
                hi += u64::from(lo.checked_add(new_hi).is_none());
            }
            return hi as usize;
        };
        let m = u64::from(self.word(rng)) * u64::from(range);
        let (mut hi, lo) = ((m >> 32) as u32, m as u32);
        if lo > range.wrapping_neg() {
            let new_hi = ((u64::from(self.word(rng)) * u64::from(range)) >> 32) as u32;
            hi += u32::from(lo.checked_add(new_hi).is_none());
        }
        hi as usize
    }

    /// Draws the words of the next steps, if the set is big enough to
    /// look ahead; returns true if it is.
    #[inline(always)]
    fn draw_ahead(&mut self, rng: &mut ChaCha8Rng) -> bool {
        if self.runnable.len() < LOOK_AHEAD_FROM {
            return false;
        }
        while self.drawn < AHEAD {
            self.ahead[self.drawn] = rng.next_u32();
            self.drawn += 1;
        }
        true
    }

    /// Where the runnable set keeps `slot`'s position (not read): a
    /// delivery that empties the mailbox updates it, and the position of
    /// the set's last entry, which takes that one's place.
    #[inline(always)]
    pub(crate) fn position_of(&self, slot: u32) -> Option<&u32> {
        self.pos.get(slot as usize)
    }

    /// The set's last entry.
    #[inline(always)]
    pub(crate) fn last(&self) -> Option<&Picked> {
        self.runnable.last()
    }

    /// The runnable entries (not read) of the actors most likely picked `k`
    /// steps from now (1 to [`AHEAD`]): the one the next word points to if
    /// the set keeps its size, and the one if it shrinks by one a step
    /// (each actor that runs out of messages leaves it), if another.
    #[inline(always)]
    pub(crate) fn upcoming(&self, k: usize) -> [Option<&Picked>; 2] {
        if k == 0 || k > self.drawn {
            return [None, None];
        }
        let (w, n) = (u64::from(self.ahead[k - 1]), self.runnable.len() as u64);
        let (same, shrunk) = ((w * n) >> 32, (w * n.saturating_sub(k as u64)) >> 32);
        let at = |i: u64| self.runnable.get(i as usize);
        [at(same), if shrunk == same { None } else { at(shrunk) }]
    }
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
            Strategy::Random => {
                Scheduler::Random(RandomSet { runnable: Vec::new(), pos: Vec::new(), ahead: [0; AHEAD], drawn: 0 })
            }
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
                    r.runnable.push(Picked::new(slot, pool, queue));
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
                    r.runnable.push(Picked::new(slot, pool, queue));
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
        self.remove_for_next(slot);
    }

    /// [`Scheduler::remove`], returning what the next [`Scheduler::pick`]
    /// will return if it comes next and knowing it took no work: the one
    /// runnable actor left, when the removal just moved it into place.
    #[inline(always)]
    pub(crate) fn remove_for_next(&mut self, slot: u32) -> Option<Picked> {
        if let Scheduler::Random(r) = self {
            let &p = r.pos.get(slot as usize)?;
            if p == NONE {
                return None;
            }
            r.pos[slot as usize] = NONE;
            // `swap_remove(p)`: the last one takes its place.
            if let Some(last) = r.runnable.pop() {
                if let Some(hole) = r.runnable.get_mut(p as usize) {
                    *hole = last;
                    r.pos[last.slot() as usize] = p;
                    // What `pick` returns for a set of one, without drawing.
                    return (r.runnable.len() == 1).then_some(last);
                }
            }
            return None;
        }
        self.remove_other(slot);
        None
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
    #[inline(always)]
    pub(crate) fn pick(&mut self, rng: &mut ChaCha8Rng, step: u64) -> Option<Picked> {
        // One runnable actor (a conversation of two, a token round a
        // ring): no choice to make, and no call.
        if let Scheduler::Random(r) = self {
            if r.runnable.len() == 1 {
                return Some(r.runnable[0]);
            }
        }
        self.pick_among(rng, step)
    }

    /// [`Scheduler::pick`] but for one random choice.
    #[inline(never)]
    fn pick_among(&mut self, rng: &mut ChaCha8Rng, step: u64) -> Option<Picked> {
        match self {
            Scheduler::Random(r) => match r.runnable.len() {
                0 => None,
                1 => Some(r.runnable[0]),
                n => {
                    let i = r.index(n, rng);
                    let mut p = r.runnable[i];
                    if r.draw_ahead(rng) {
                        p.bits |= AHEAD_BIT;
                    }
                    Some(p)
                }
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
                p.runnable.last().map(|&(_, s)| Picked::slot_only(s))
            }
            Scheduler::Fifo(f) => {
                while let Some(Reverse((_, slot, e))) = f.heap.pop() {
                    if f.state.get(slot as usize) == Some(&e) {
                        return Some(Picked::slot_only(slot));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Drawing words ahead changes nothing: every index is the one
    /// `random_range` draws, and the stream ends where it would.
    #[test]
    fn index_draws_what_random_range_draws() {
        let ns = [2, 3, 7, 1000, 1 << 20, 3_000_000_019, u32::MAX as usize, (1 << 32) + 5, usize::MAX / 3];
        for seed in 0..20 {
            let mut a = crate::rng::stream(seed, crate::rng::SCHEDULE);
            let mut b = a.clone();
            let mut set = RandomSet { runnable: Vec::new(), pos: Vec::new(), ahead: [0; AHEAD], drawn: 0 };
            for i in 0..3000usize {
                if i % 5 < 3 {
                    // What `draw_ahead` does for a big set.
                    while set.drawn < AHEAD {
                        set.ahead[set.drawn] = a.next_u32();
                        set.drawn += 1;
                    }
                }
                let n = ns[(i * 7 + seed as usize) % ns.len()];
                assert_eq!(set.index(n, &mut a), b.random_range(0..n), "seed {seed}, draw {i}, n {n}");
            }
            assert_eq!(set.word(&mut a), b.next_u32(), "the stream goes on where it would");
        }
    }
}
