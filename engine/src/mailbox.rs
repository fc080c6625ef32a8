//! Typed mailboxes.
//!
//! Each message type has one pool of queues, so a mailbox is a plain
//! ring buffer of typed items in a vector: no allocation per message, and
//! sending never touches the receiving actor's state.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;

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
    /// A credit grant of this many messages (the envelope's sender granted it).
    Credit(u32),
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

/// The queues of every actor whose message type is `M`: a stopped actor's
/// queue is freed and its place reused. Sends parked on a
/// full blocking mailbox wait in its queue too, behind every admitted item
/// (see `backpressure`).
pub(crate) struct Pool<M> {
    pub(crate) queues: Queues<Item<M>>,
}

/// Rings in a vector, a freed one's place reused (the last freed first).
/// Unlike a slab's entries, a ring's place is known without reading it,
/// so it can be fetched ahead (see `prefetch`).
pub(crate) struct Queues<T> {
    /// `None` for a freed place (no bigger than a ring: its buffer pointer
    /// is never null).
    v: Vec<Option<Ring<T>>>,
    free: Vec<u32>,
}

impl<T> Queues<T> {
    pub(crate) const fn new() -> Self {
        Queues { v: Vec::new(), free: Vec::new() }
    }

    /// A new empty ring; returns its index.
    pub(crate) fn insert(&mut self) -> usize {
        match self.free.pop() {
            Some(q) => {
                self.v[q as usize] = Some(Ring::new());
                q as usize
            }
            None => {
                self.v.push(Some(Ring::new()));
                self.v.len() - 1
            }
        }
    }

    /// Frees ring `q`, dropping what it holds.
    pub(crate) fn remove(&mut self, q: usize) {
        if let Some(place) = self.v.get_mut(q) {
            if place.take().is_some() {
                self.free.push(q as u32);
            }
        }
    }

    #[inline(always)]
    pub(crate) fn get(&self, q: usize) -> Option<&Ring<T>> {
        self.v.get(q)?.as_ref()
    }

    #[inline(always)]
    pub(crate) fn get_mut(&mut self, q: usize) -> Option<&mut Ring<T>> {
        self.v.get_mut(q)?.as_mut()
    }

    /// Where ring `q` is (not read).
    #[inline(always)]
    pub(crate) fn place(&self, q: usize) -> Option<&Option<Ring<T>>> {
        self.v.get(q)
    }
}

impl<T> std::ops::Index<usize> for Queues<T> {
    type Output = Ring<T>;

    fn index(&self, q: usize) -> &Ring<T> {
        self.get(q).expect("engine invariant: a live actor's queue is in use")
    }
}

impl<T> std::ops::IndexMut<usize> for Queues<T> {
    fn index_mut(&mut self, q: usize) -> &mut Ring<T> {
        self.get_mut(q).expect("engine invariant: a live actor's queue is in use")
    }
}

/// A first-in first-out queue in a ring buffer: what a mailbox needs of a
/// `VecDeque`, with a push and a pop small enough to be inlined where a
/// message is sent and delivered.
pub(crate) struct Ring<T> {
    /// The slots; those outside the `len` from `head` (wrapping) are `None`.
    buf: Vec<Option<T>>,
    head: u32,
    len: u32,
}

impl<T> Ring<T> {
    pub(crate) const fn new() -> Self {
        Ring { buf: Vec::new(), head: 0, len: 0 }
    }

    /// The index in `buf` of the `k`-th item (`k` at most `len`).
    #[inline(always)]
    fn at(&self, k: u32) -> usize {
        let i = self.head as usize + k as usize;
        if i >= self.buf.len() {
            i - self.buf.len()
        } else {
            i
        }
    }

    #[inline(always)]
    pub(crate) fn push_back(&mut self, x: T) {
        if self.len as usize == self.buf.len() {
            self.grow();
        }
        let i = self.at(self.len);
        // The slot is free (`None`): nothing to drop, so none of the code
        // that would drop an item is generated here.
        let free = self.buf[i].replace(x);
        debug_assert!(free.is_none(), "a ring's free slot is empty");
        std::mem::forget(free);
        self.len += 1;
    }

    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let x = self.buf[self.head as usize].take();
        self.head = self.at(1) as u32;
        self.len -= 1;
        x
    }

    /// Where the first item is (not read), if there is one.
    #[inline(always)]
    fn head_slot(&self) -> Option<&Option<T>> {
        if self.len == 0 {
            return None;
        }
        self.buf.get(self.head as usize)
    }

    pub(crate) fn front(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        self.buf[self.head as usize].as_ref()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        (0..self.len).filter_map(move |k| self.buf[self.at(k)].as_ref())
    }

    /// How many items it holds.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// The `k`-th item.
    #[inline(always)]
    pub(crate) fn get(&self, k: usize) -> Option<&T> {
        if k >= self.len as usize {
            return None;
        }
        self.buf[self.at(k as u32)].as_ref()
    }

    /// Takes out the newest item.
    pub(crate) fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let i = self.at(self.len - 1);
        self.len -= 1;
        self.buf[i].take()
    }

    /// Puts `x` in as the `pos`-th item (at most `len`); the ones from
    /// `pos` on move back.
    pub(crate) fn insert(&mut self, pos: usize, x: T) {
        let pos = pos.min(self.len as usize) as u32;
        self.push_back(x);
        let mut k = self.len - 1;
        while k > pos {
            let (to, from) = (self.at(k), self.at(k - 1));
            self.buf.swap(to, from);
            k -= 1;
        }
    }

    /// Takes out the `pos`-th item; the ones behind it move up.
    pub(crate) fn remove(&mut self, pos: usize) -> Option<T> {
        if pos >= self.len as usize {
            return None;
        }
        if pos == 0 {
            // The oldest (what `drop_oldest` evicts): nothing moves.
            return self.pop_front();
        }
        let pos = pos as u32;
        let i = self.at(pos);
        let x = self.buf[i].take();
        for k in pos..self.len - 1 {
            let (to, from) = (self.at(k), self.at(k + 1));
            self.buf[to] = self.buf[from].take();
        }
        self.len -= 1;
        x
    }

    /// Doubles the room (at least 4), the items in order from slot 0.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        // Full: the items fill `buf`, the first at `head`; those that
        // wrapped round (before `head`) move behind the old end.
        let old = self.buf.len();
        self.buf.resize_with((old * 2).max(4), || None);
        for i in 0..self.head as usize {
            self.buf.swap(i, old + i);
        }
    }
}

/// What the engine does with a pool without knowing its message type.
pub(crate) trait AnyPool: Any {
    /// The id of the first item of queue `q`.
    fn head_id(&self, q: u32) -> Option<u64>;
    /// Starts fetching queue `q` (its ring's bookkeeping).
    fn prefetch_queue(&self, q: u32);
    /// Starts fetching the first item of queue `q`.
    fn prefetch_head(&self, q: u32);
    /// The id of the `k`-th item of queue `q`.
    fn id_at(&self, q: u32, k: usize) -> Option<u64>;
    /// Removes every item of queue `q` but the last `keep` (the parked
    /// ones), passing (id, from) of each to `out`; frees the queue if `free`.
    fn drain(&mut self, q: u32, keep: usize, free: bool, out: &mut Vec<(u64, u64)>);
    /// Queues a notification on queue `q`, ahead of its last `parked` items;
    /// returns false (dropping it) if `q` is not in use.
    fn push_signal(&mut self, q: u32, signal: Box<SignalEnvelope>, parked: usize) -> bool;
    /// The position of message `id` among the items of queue `q` from the
    /// `from`-th on, counted from there.
    fn find(&self, q: u32, from: usize, id: u64) -> Option<usize>;
    /// Takes out the `k`-th item of queue `q`: its (id, from).
    fn remove_at(&mut self, q: u32, k: usize) -> Option<(u64, u64)>;
    /// Takes out the last `n` items of queue `q`, passing (id, from) of each
    /// to `out`, oldest first.
    fn split_back(&mut self, q: u32, n: usize, out: &mut Vec<(u64, u64)>);
}

impl<M: 'static> AnyPool for Pool<M> {
    fn head_id(&self, q: u32) -> Option<u64> {
        self.queues.get(q as usize)?.front().map(Item::id)
    }

    fn prefetch_queue(&self, q: u32) {
        if let Some(place) = self.queues.place(q as usize) {
            crate::prefetch::prefetch(place);
        }
    }

    fn prefetch_head(&self, q: u32) {
        if let Some(slot) = self.queues.get(q as usize).and_then(Ring::head_slot) {
            crate::prefetch::prefetch(slot);
        }
    }

    fn id_at(&self, q: u32, k: usize) -> Option<u64> {
        self.queues.get(q as usize)?.get(k).map(Item::id)
    }

    fn drain(&mut self, q: u32, keep: usize, free: bool, out: &mut Vec<(u64, u64)>) {
        if let Some(queue) = self.queues.get_mut(q as usize) {
            for _ in keep..queue.len() {
                let Some(i) = queue.pop_front() else { break };
                out.push((i.id(), i.from()));
            }
            if free {
                self.queues.remove(q as usize);
            }
        }
    }

    fn push_signal(&mut self, q: u32, signal: Box<SignalEnvelope>, parked: usize) -> bool {
        let Some(queue) = self.queues.get_mut(q as usize) else { return false };
        if parked == 0 {
            queue.push_back(Item::Signal(signal));
        } else {
            // In order with the admitted items, ahead of the parked ones.
            queue.insert(queue.len().saturating_sub(parked), Item::Signal(signal));
        }
        true
    }

    fn find(&self, q: u32, from: usize, id: u64) -> Option<usize> {
        let queue = self.queues.get(q as usize)?;
        (from..queue.len()).position(|k| queue.get(k).is_some_and(|i| i.id() == id))
    }

    fn remove_at(&mut self, q: u32, k: usize) -> Option<(u64, u64)> {
        let item = self.queues.get_mut(q as usize)?.remove(k)?;
        Some((item.id(), item.from()))
    }

    fn split_back(&mut self, q: u32, n: usize, out: &mut Vec<(u64, u64)>) {
        let Some(queue) = self.queues.get_mut(q as usize) else { return };
        let start = out.len();
        for _ in 0..n {
            let Some(i) = queue.pop_back() else { break };
            out.push((i.id(), i.from()));
        }
        out[start..].reverse();
    }
}

/// All pools, one per message type.
#[derive(Default)]
pub(crate) struct Pools {
    /// Each pool with its message type, side by side: one bounds check
    /// and one base address find both on every send and delivery.
    pools: Vec<(TypeId, Box<dyn AnyPool>)>,
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
            self.pools.push((TypeId::of::<M>(), Box::new(Pool::<M> { queues: Queues::new() })));
        }
        id
    }

    /// Returns true if and only if pool `pool` holds `M`s.
    #[inline]
    pub(crate) fn holds<M: 'static>(&self, pool: u16) -> bool {
        self.pools.get(pool as usize).is_some_and(|(t, _)| *t == TypeId::of::<M>())
    }

    /// The pool id for message type `M`, if there is one.
    pub(crate) fn lookup<M: 'static>(&self) -> Option<u16> {
        self.by_type.get(&TypeId::of::<M>()).copied()
    }

    /// A new empty queue in pool `pool` (of type `M`).
    pub(crate) fn new_queue<M: 'static>(&mut self, pool: u16) -> u32 {
        self.get::<M>(pool).queues.insert() as u32
    }

    /// The pool `pool`, which must hold `M`s.
    ///
    /// # Panics
    ///
    /// If `pool` was not made for `M`: an engine bug, since an actor's pool
    /// id is fixed by its type at spawn and addresses are typed.
    #[inline]
    pub(crate) fn get<M: 'static>(&mut self, pool: u16) -> &mut Pool<M> {
        self.try_get::<M>(pool).expect("engine invariant: a pool holds the message type of its actors")
    }

    /// The pool `pool`, if there is one and it holds `M`s.
    ///
    /// This is `downcast_mut` without its virtual call to `type_id`, which
    /// every send and every delivery would make: the pool's type is
    /// compared with the one recorded when it was made.
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) fn try_get<M: 'static>(&mut self, pool: u16) -> Option<&mut Pool<M>> {
        let i = pool as usize;
        let (t, p) = self.pools.get_mut(i)?;
        if *t != TypeId::of::<M>() {
            return None;
        }
        let p: &mut dyn AnyPool = p.as_mut();
        // SAFETY: `pools[i]` was pushed by `id_of` as the pair of
        // `TypeId::of::<M>()` and a `Pool<M>`, and pairs are never changed,
        // reordered or removed, so the trait object's data is a `Pool<M>`;
        // the returned borrow is the trait object's, as with `downcast_mut`.
        Some(unsafe { &mut *(p as *mut dyn AnyPool as *mut Pool<M>) })
    }

    /// Queue `q` of pool `pool`, if that pool holds `M`s and has that queue:
    /// an address of another system can point anywhere.
    #[inline]
    pub(crate) fn try_queue<M: 'static>(&mut self, pool: u16, q: u32) -> Option<&mut Ring<Item<M>>> {
        self.try_get::<M>(pool)?.queues.get_mut(q as usize)
    }

    #[inline]
    pub(crate) fn queue<M: 'static>(&mut self, pool: u16, q: u32) -> &mut Ring<Item<M>> {
        &mut self.get::<M>(pool).queues[q as usize]
    }

    pub(crate) fn dyn_ref(&self, pool: u16) -> &dyn AnyPool {
        self.pools[pool as usize].1.as_ref()
    }

    pub(crate) fn dyn_pool(&mut self, pool: u16) -> &mut dyn AnyPool {
        self.pools[pool as usize].1.as_mut()
    }

    pub(crate) fn head_id(&self, pool: u16, q: u32) -> Option<u64> {
        self.pools[pool as usize].1.head_id(q)
    }
}

// ===== mailbox configuration =====

/// What a full bounded mailbox does with one more message (SPEC rule 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// The incoming message becomes a dead letter `drop_newest`.
    DropNewest,
    /// The oldest queued message becomes a dead letter `drop_oldest`; the
    /// new one is queued.
    DropOldest,
    /// The sender gets its message back from
    /// [`Context::try_send`](crate::Context::try_send); a plain `send`
    /// makes it a dead letter `rejected`.
    Reject,
    /// The sending actor is parked, handling nothing, until there is room
    /// (or its block timeout passes: a dead letter `block_timeout`). A cycle
    /// of parked actors is a deadlock, reported, never left to hang.
    Block,
    /// The receiver fails with "mailbox overflow" and goes to supervision;
    /// the message is a dead letter `mailbox_overflow`.
    Fail,
}

impl Overflow {
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> Overflow {
        match code {
            0 => Overflow::DropNewest,
            1 => Overflow::DropOldest,
            2 => Overflow::Reject,
            3 => Overflow::Block,
            _ => Overflow::Fail,
        }
    }
}

/// An actor's mailbox: its capacity, what happens when it is full, and how
/// many messages a delivery may take at once.
///
/// ```
/// use rehearsal::{MailboxConfig, Overflow};
/// let m = MailboxConfig::bounded(8, Overflow::DropOldest).batch(4);
/// assert_eq!((m.capacity, m.batch), (8, 4));
/// assert_eq!(MailboxConfig::default(), MailboxConfig::UNBOUNDED);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailboxConfig {
    /// User messages it may hold; 0 for unbounded. Notifications (Down, Exit,
    /// a child's end) and credit grants never count (SPEC rule 4).
    pub capacity: u32,
    /// What a full mailbox does with one more message.
    pub overflow: Overflow,
    /// With [`Overflow::Block`]: how long a sender may stay parked, in ticks.
    pub block_timeout: Option<u64>,
    /// How many queued messages one delivery may take (SPEC rule 24); 1
    /// without batching. See [`Actor::handle_batch`](crate::Actor::handle_batch).
    pub batch: u8,
}

impl MailboxConfig {
    /// No limit.
    pub const UNBOUNDED: MailboxConfig =
        MailboxConfig { capacity: 0, overflow: Overflow::DropNewest, block_timeout: None, batch: 1 };

    /// At most `capacity` (at least 1) user messages, then `overflow`.
    pub fn bounded(capacity: u32, overflow: Overflow) -> Self {
        MailboxConfig { capacity: capacity.max(1), overflow, ..Self::UNBOUNDED }
    }

    /// Lets one delivery take up to `k` (at least 1) messages.
    pub fn batch(mut self, k: u8) -> Self {
        self.batch = k.max(1);
        self
    }

    /// Sets the block timeout (for [`Overflow::Block`]).
    pub fn block_timeout(mut self, ticks: u64) -> Self {
        self.block_timeout = Some(ticks);
        self
    }
}

impl Default for MailboxConfig {
    fn default() -> Self {
        Self::UNBOUNDED
    }
}

/// One actor's mailbox figures, from [`System::mailbox`](crate::System::mailbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxStats {
    /// Messages queued now (user messages and notifications).
    pub depth: u32,
    /// The most ever queued at once.
    pub high_water: u32,
    /// The capacity (0: unbounded).
    pub capacity: u32,
    /// What a full mailbox does.
    pub overflow: Overflow,
    /// Messages dropped, evicted or rejected by the policy.
    pub drops: u32,
}
