//! Typed mailboxes.
//!
//! Each message type has one pool of queues, so a mailbox is a plain
//! ring buffer of typed items in a vector: no allocation per message, and
//! sending never touches the receiving actor's state.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::ptr::NonNull;

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
///
/// Every send and every delivery finds the pool of its message type, and
/// in a conversation that lookup is on the path from one message to the
/// next: the pool number comes from the message just taken (its sender's
/// slot, its recipient's runnable entry), and from it the table entry, the
/// pool, then its queues. So a few pools are also kept by their *type*
/// ([`Pools::hot`]): where to look is then known from the type alone, at
/// compile time, and the processor fetches the pool while it is still
/// reading the message. That alone made ping-pong about 8% faster on the
/// development machine.
///
/// To keep pointers to pools while the table is in use, the table owns its
/// pools through raw pointers (from `Box::leak`) rather than `Box`es,
/// and frees them when dropped: every reference to a pool is made from
/// those pointers, for no longer than a borrow of the table.
pub(crate) struct Pools {
    /// Each pool with its message type, in the order made (a pool's id is
    /// its index). Never changed, reordered or shortened but by `drop`.
    pools: Vec<(TypeId, NonNull<dyn AnyPool>)>,
    by_type: BTreeMap<TypeId, u16>,
    /// Pools by a hash of their type ([`hot_index`]), each filled by the
    /// last lookup of a type with that hash.
    hot: [Option<Hot>; HOT],
}

/// A pool found by its type.
#[derive(Clone, Copy)]
struct Hot {
    ty: TypeId,
    id: u16,
    /// The pool: `pools[id].1`, as a thin pointer.
    pool: NonNull<()>,
}

/// Places in [`Pools::hot`].
const HOT: usize = 4;

/// The place of message type `M` in [`Pools::hot`]: a constant for each
/// `M` once compiled (a type's id is one).
#[inline(always)]
fn hot_index<M: 'static>() -> usize {
    struct Low(u64);
    impl std::hash::Hasher for Low {
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
        fn write_u64(&mut self, x: u64) {
            self.0 ^= x;
        }
        fn finish(&self) -> u64 {
            self.0
        }
    }
    let mut h = Low(0);
    std::hash::Hash::hash(&TypeId::of::<M>(), &mut h);
    (h.0 % HOT as u64) as usize
}

impl Default for Pools {
    fn default() -> Self {
        Pools { pools: Vec::new(), by_type: BTreeMap::new(), hot: [None; HOT] }
    }
}

impl Drop for Pools {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        for (_, pool) in self.pools.drain(..) {
            // SAFETY: each pointer came from `Box::leak` in `id_of`, appears
            // once in `pools`, and is freed only here; no borrow of `self`
            // is alive, and the copies in `hot` go with `self` unused.
            drop(unsafe { Box::from_raw(pool.as_ptr()) });
        }
    }
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
            let pool: Box<dyn AnyPool> = Box::new(Pool::<M> { queues: Queues::new() });
            self.pools.push((TypeId::of::<M>(), NonNull::from(Box::leak(pool))));
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
    /// compared with the one recorded when it was made. Found in
    /// [`Pools::hot`] if it is there (see [`Pools`]).
    #[inline(always)]
    pub(crate) fn try_get<M: 'static>(&mut self, pool: u16) -> Option<&mut Pool<M>> {
        self.try_get_in::<M, true>(pool)
    }

    /// The pool of an actor's own messages: `pool` must be that actor's
    /// pool, which holds `M`s. A system has one pool per message type, so
    /// a pool of `M`s found by its type is that one, without comparing ids
    /// (debug builds check).
    #[inline(always)]
    pub(crate) fn own<M: 'static>(&mut self, pool: u16) -> &mut Pool<M> {
        self.try_get_in::<M, false>(pool).expect("engine invariant: a pool holds the message type of its actors")
    }

    /// [`Pools::try_get`], comparing the id of a pool found by its type with
    /// `pool` if `CHECK_ID`.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn try_get_in<M: 'static, const CHECK_ID: bool>(&mut self, pool: u16) -> Option<&mut Pool<M>> {
        if let Some(h) = self.hot[hot_index::<M>()] {
            if (!CHECK_ID || h.id == pool) && h.ty == TypeId::of::<M>() {
                debug_assert!(h.id == pool, "engine invariant: an actor's own pool holds its messages");
                // SAFETY: `h` was filled in by `try_get_cold` below from
                // the entry `pools[h.id]`, whose type is `h.ty`, here
                // `TypeId::of::<M>()`: `h.pool` is a live `Pool<M>` that
                // only `drop` frees (whether or not `h.id` is `pool`). The
                // borrow returned is the only one, for as long as `self` is
                // borrowed mutably.
                return Some(unsafe { h.pool.cast::<Pool<M>>().as_mut() });
            }
        }
        self.try_get_cold(pool)
    }

    /// [`Pools::try_get`] through the table; keeps the pool in
    /// [`Pools::hot`].
    #[inline(never)]
    #[allow(unsafe_code)]
    fn try_get_cold<M: 'static>(&mut self, pool: u16) -> Option<&mut Pool<M>> {
        let &(t, p) = self.pools.get(pool as usize)?;
        if t != TypeId::of::<M>() {
            return None;
        }
        let p = p.cast::<()>();
        self.hot[hot_index::<M>()] = Some(Hot { ty: t, id: pool, pool: p });
        // SAFETY: `id_of` made `pools[pool]` a `Pool<M>` when it recorded
        // its type (entries are never changed, reordered or removed but by
        // `drop`), so the trait object's data is a live `Pool<M>`; the
        // borrow returned is the only one, for as long as `self` is
        // borrowed mutably.
        Some(unsafe { p.cast::<Pool<M>>().as_mut() })
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

    #[allow(unsafe_code)]
    pub(crate) fn dyn_ref(&self, pool: u16) -> &dyn AnyPool {
        // SAFETY: a live pool (only `drop` frees them), borrowed shared for
        // as long as `self` is, while no mutable borrow can be alive.
        unsafe { self.pools[pool as usize].1.as_ref() }
    }

    #[allow(unsafe_code)]
    pub(crate) fn dyn_pool(&mut self, pool: u16) -> &mut dyn AnyPool {
        // SAFETY: a live pool (only `drop` frees them); the borrow returned
        // is the only one, for as long as `self` is borrowed mutably.
        unsafe { self.pools[pool as usize].1.as_mut() }
    }

    pub(crate) fn head_id(&self, pool: u16, q: u32) -> Option<u64> {
        self.dyn_ref(pool).head_id(q)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user<M>(msg: M, id: u64) -> Item<M> {
        Item::User(Envelope { msg, id, from: 0, cause: 0 })
    }

    /// Six message types: more than the places of `Pools::hot`, so some
    /// share one and take it from each other. Every lookup still finds the
    /// pool of its own type, and no other: by id, by type, hot or not.
    #[test]
    fn pools_are_found_by_type_whatever_shares_a_hot_place() {
        let mut pools = Pools::default();
        let ids = [
            pools.id_of::<u8>(),
            pools.id_of::<u16>(),
            pools.id_of::<u32>(),
            pools.id_of::<u64>(),
            pools.id_of::<String>(),
            pools.id_of::<Vec<u8>>(),
        ];
        assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
        assert_eq!(pools.id_of::<u32>(), 2, "one pool per type");
        let qs = [
            pools.new_queue::<u8>(0),
            pools.new_queue::<u16>(1),
            pools.new_queue::<u32>(2),
            pools.new_queue::<u64>(3),
            pools.new_queue::<String>(4),
            pools.new_queue::<Vec<u8>>(5),
        ];
        for round in 0..3u64 {
            pools.queue::<u8>(0, qs[0]).push_back(user(round as u8, round));
            pools.queue::<u16>(1, qs[1]).push_back(user(round as u16 + 100, round));
            pools.queue::<u32>(2, qs[2]).push_back(user(round as u32 + 200, round));
            pools.queue::<u64>(3, qs[3]).push_back(user(round + 300, round));
            pools.queue::<String>(4, qs[4]).push_back(user(format!("s{round}"), round));
            pools.queue::<Vec<u8>>(5, qs[5]).push_back(user(vec![round as u8; 3], round));
        }
        // A pool asked for with the wrong type, or a wrong id, is none.
        assert!(pools.try_get::<u16>(0).is_none());
        assert!(pools.try_get::<u8>(1).is_none());
        assert!(pools.try_get::<u8>(6).is_none());
        assert!(pools.try_queue::<u8>(0, 99).is_none());
        assert!(pools.holds::<String>(4) && !pools.holds::<String>(3));
        for round in 0..3u64 {
            let Some(Item::User(e)) = pools.queue::<String>(4, qs[4]).pop_front() else { panic!("a string") };
            assert_eq!((e.msg, e.id), (format!("s{round}"), round));
            let Some(Item::User(e)) = pools.queue::<u8>(0, qs[0]).pop_front() else { panic!("a u8") };
            assert_eq!(e.msg, round as u8);
            let Some(Item::User(e)) = pools.queue::<Vec<u8>>(5, qs[5]).pop_front() else { panic!("a vec") };
            assert_eq!(e.msg, vec![round as u8; 3]);
            let Some(Item::User(e)) = pools.queue::<u64>(3, qs[3]).pop_front() else { panic!("a u64") };
            assert_eq!(e.msg, round + 300);
            let Some(Item::User(e)) = pools.queue::<u16>(1, qs[1]).pop_front() else { panic!("a u16") };
            assert_eq!(e.msg, round as u16 + 100);
            let Some(Item::User(e)) = pools.queue::<u32>(2, qs[2]).pop_front() else { panic!("a u32") };
            assert_eq!(e.msg, round as u32 + 200);
        }
        assert_eq!(pools.dyn_ref(4).head_id(qs[4]), None, "all taken");
        // Left queued: dropped with the pools (Miri checks nothing leaks).
        pools.queue::<String>(4, qs[4]).push_back(user("left".to_string(), 9));
        assert_eq!(pools.head_id(4, qs[4]), Some(9));
    }
}
