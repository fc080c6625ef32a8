//! Typed mailboxes.
//!
//! Each message type has one pool of queues, so a mailbox is a plain
//! `VecDeque` of typed items in a slab: no allocation per message, and
//! sending never touches the receiving actor's state.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, VecDeque};

use slab::Slab;

use crate::actor::{Down, Exit};
use crate::address::Ref;
use crate::trace::StopReason;

/// A user message with its bookkeeping.
pub(crate) struct Envelope<M> {
    pub(crate) msg: M,
    pub(crate) id: u64,
    /// The sender's actor id, 0 if none.
    pub(crate) from: u64,
    /// The step of the delivery that sent it, 0 if none.
    pub(crate) cause: u64,
}

/// A notification: it travels in the mailbox, in order with user messages
/// (SPEC rule 4), but is not of the actor's message type.
pub(crate) enum Signal {
    /// To a supervisor: a child failed (and is suspended, its instance kept)
    /// or exited (its instance gone).
    ChildEnded(Ended),
    Down(Down),
    Exit(Exit),
}

/// A child's end, as its supervisor hears of it.
pub(crate) struct Ended {
    pub(crate) child: Ref,
    /// The incarnation that ended: a later restart makes the report stale.
    pub(crate) incarnation: u32,
    pub(crate) reason: StopReason,
    /// A failure with the instance kept (suspended), as opposed to an exit.
    pub(crate) failed: bool,
    /// The failing message, if any.
    pub(crate) msg: Option<u64>,
}

pub(crate) struct SignalEnvelope {
    pub(crate) signal: Signal,
    pub(crate) id: u64,
    pub(crate) from: u64,
    pub(crate) cause: u64,
}

/// One entry of a mailbox.
pub(crate) enum Item<M> {
    User(Envelope<M>),
    /// A poison pill.
    Stop {
        id: u64,
        from: u64,
        cause: u64,
    },
    Signal(Box<SignalEnvelope>),
}

impl<M> Item<M> {
    pub(crate) fn id(&self) -> u64 {
        match self {
            Item::User(e) => e.id,
            Item::Stop { id, .. } => *id,
            Item::Signal(s) => s.id,
        }
    }

    pub(crate) fn from(&self) -> u64 {
        match self {
            Item::User(e) => e.from,
            Item::Stop { from, .. } => *from,
            Item::Signal(s) => s.from,
        }
    }
}

/// The queues of every actor whose message type is `M`, in a slab: a
/// stopped actor's queue is freed and its place reused.
pub(crate) struct Pool<M> {
    pub(crate) queues: Slab<VecDeque<Item<M>>>,
}

/// What the engine does with a pool without knowing its message type.
pub(crate) trait AnyPool: Any {
    fn head_id(&self, q: u32) -> Option<u64>;
    /// Removes every item of queue `q`, passing (id, from) of each to `out`;
    /// frees the queue if `free`.
    fn drain(&mut self, q: u32, free: bool, out: &mut Vec<(u64, u64)>);
    /// Appends a notification to queue `q`.
    fn push_signal(&mut self, q: u32, signal: Box<SignalEnvelope>);
}

impl<M: 'static> AnyPool for Pool<M> {
    fn head_id(&self, q: u32) -> Option<u64> {
        self.queues.get(q as usize)?.front().map(Item::id)
    }

    fn drain(&mut self, q: u32, free: bool, out: &mut Vec<(u64, u64)>) {
        if let Some(queue) = self.queues.get_mut(q as usize) {
            out.extend(queue.drain(..).map(|i| (i.id(), i.from())));
            if free {
                self.queues.remove(q as usize);
            }
        }
    }

    fn push_signal(&mut self, q: u32, signal: Box<SignalEnvelope>) {
        self.queues[q as usize].push_back(Item::Signal(signal));
    }
}

/// All pools, one per message type.
#[derive(Default)]
pub(crate) struct Pools {
    pools: Vec<Box<dyn AnyPool>>,
    by_type: BTreeMap<TypeId, u16>,
}

impl Pools {
    /// The pool id for message type `M`, creating the pool on first use.
    ///
    /// # Panics
    ///
    /// Past 65,535 message types.
    pub(crate) fn id_of<M: 'static>(&mut self) -> u16 {
        let next = u16::try_from(self.pools.len()).expect("at most 65,535 message types");
        let id = *self.by_type.entry(TypeId::of::<M>()).or_insert(next);
        if id == next {
            self.pools.push(Box::new(Pool::<M> { queues: Slab::new() }));
        }
        id
    }

    /// The pool id for message type `M`, if there is one.
    pub(crate) fn lookup<M: 'static>(&self) -> Option<u16> {
        self.by_type.get(&TypeId::of::<M>()).copied()
    }

    /// A new empty queue in pool `pool` (of type `M`).
    pub(crate) fn new_queue<M: 'static>(&mut self, pool: u16) -> u32 {
        self.get::<M>(pool).queues.insert(VecDeque::new()) as u32
    }

    /// The pool `pool`, which must hold `M`s.
    ///
    /// # Panics
    ///
    /// If `pool` was not made for `M`: an engine bug, since an actor's pool
    /// id is fixed by its type at spawn and addresses are typed.
    #[inline]
    pub(crate) fn get<M: 'static>(&mut self, pool: u16) -> &mut Pool<M> {
        let any: &mut dyn Any = self.pools[pool as usize].as_mut();
        any.downcast_mut::<Pool<M>>().expect("engine invariant: a pool holds the message type of its actors")
    }

    #[inline]
    pub(crate) fn queue<M: 'static>(&mut self, pool: u16, q: u32) -> &mut VecDeque<Item<M>> {
        &mut self.get::<M>(pool).queues[q as usize]
    }

    pub(crate) fn dyn_pool(&mut self, pool: u16) -> &mut dyn AnyPool {
        self.pools[pool as usize].as_mut()
    }

    pub(crate) fn head_id(&self, pool: u16, q: u32) -> Option<u64> {
        self.pools[pool as usize].head_id(q)
    }
}
