//! The slot table: one cache line per actor, free slots reused
//! last-freed first (deterministic).

use std::ops::{Index, IndexMut};

use crate::address::Key;
use crate::cell::Cell;

/// One actor's place: what a send and a delivery touch, and the tree links.
/// Exactly one cache line.
#[repr(C, align(64))]
pub(crate) struct Slot {
    /// The actor with its system's tag; [`Key::NONE`] marks a free slot.
    pub(crate) key: Key,
    /// The actor; `None` while its own code runs.
    pub(crate) cell: Option<Box<dyn Cell>>,
    pub(crate) queue: u32,
    pub(crate) pool: u16,
    pub(crate) flags: u16,
    pub(crate) len: u32,
    pub(crate) high_water: u32,
    /// Restarts so far: 0 for the first incarnation.
    pub(crate) incarnation: u32,
    /// User messages allowed in the mailbox; 0 for unbounded.
    pub(crate) capacity: u32,
    /// Notifications in the mailbox (they do not count against capacity).
    pub(crate) signals: u32,
    /// Messages the overflow policy dropped, evicted or rejected.
    pub(crate) drops: u32,
    /// The overflow policy (see `mailbox::Overflow::code`).
    pub(crate) policy: u8,
    /// Messages a delivery may take at once (1 without batching).
    pub(crate) batch: u8,
    pub(crate) _spare: u16,
}

/// Where a slot sits in the actor tree: touched only at spawn and stop.
#[derive(Clone, Copy)]
pub(crate) struct Tree {
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) last_child: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 64);

#[derive(Default)]
pub(crate) struct Slots {
    v: Vec<Slot>,
    /// The tree links of each slot, by index.
    pub(crate) tree: Vec<Tree>,
    free: Vec<u32>,
    live: usize,
}

impl Slots {
    /// Places `slot` (whose id must not be 0) under `parent`; returns its index.
    pub(crate) fn insert(&mut self, slot: Slot, parent: u32) -> usize {
        self.live += 1;
        let nil = u32::MAX;
        let tree = Tree { parent, first_child: nil, last_child: nil, prev: nil, next: nil };
        match self.free.pop() {
            Some(i) => {
                self.v[i as usize] = slot;
                self.tree[i as usize] = tree;
                i as usize
            }
            None => {
                self.v.push(slot);
                self.tree.push(tree);
                self.v.len() - 1
            }
        }
    }

    /// Frees slot `i`; returns its actor.
    pub(crate) fn remove(&mut self, i: usize) -> Option<Box<dyn Cell>> {
        let s = &mut self.v[i];
        s.key = Key::NONE;
        self.live -= 1;
        self.free.push(i as u32);
        s.cell.take()
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Slot> {
        self.v.get(i).filter(|s| s.key != Key::NONE)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.v.get_mut(i).filter(|s| s.key != Key::NONE)
    }

    /// Slot `i`, live or free.
    #[inline(always)]
    pub(crate) fn raw(&self, i: usize) -> Option<&Slot> {
        self.v.get(i)
    }

    /// Whether slot `i` holds actor `key` with mailbox queue `queue`: two
    /// tests, of the index then of the slot. `key` must not be
    /// [`Key::NONE`], which every free slot holds.
    #[inline(always)]
    pub(crate) fn holds(&self, i: usize, key: Key, queue: u32) -> bool {
        i < self.v.len() && {
            let s = &self.v[i];
            s.key == key && s.queue == queue
        }
    }

    /// Live actors.
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}

impl Index<usize> for Slots {
    type Output = Slot;

    #[inline]
    fn index(&self, i: usize) -> &Slot {
        &self.v[i]
    }
}

impl IndexMut<usize> for Slots {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.v[i]
    }
}
