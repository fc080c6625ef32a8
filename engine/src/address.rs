//! Typed addresses, actor ids and message ids.

use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// The identity of one actor for the whole run: a serial number given at spawn,
/// never reused, and unchanged by restarts.
///
/// Ids start at 1 and follow spawn order, so the same run always gives the
/// same ids.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActorId(pub u64);

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The identity of one message (user message, poison pill, reply or
/// notification): a serial number in global send order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub u64);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// Bits of a [`Key`] that hold the actor's id; the system's tag is below.
const ID_BITS: u32 = 40;

/// The most actors one system can spawn in its life: ids must fit in the
/// bits of a [`Key`] above the tag.
pub(crate) const MAX_ACTOR_ID: u64 = (1 << ID_BITS) - 1;

/// Bits of a system's tag in a [`Key`].
const TAG_BITS: u32 = 64 - ID_BITS;

/// An actor's id with its system's tag below it: what addresses carry and
/// slots hold.
///
/// Ids follow spawn order in every system, so two systems have an actor 1
/// in slot 0, and an address kept from one system (a test that keeps
/// addresses across runs, say) would reach the other's actor. The tag makes
/// the compare that checks an address against its slot (the actor is still
/// there) also check that the address is this system's. It never reaches
/// the trace, the schedule or the API: [`Key::actor`] takes it off.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(u64);

impl Key {
    /// No actor: what a free slot holds.
    pub(crate) const NONE: Key = Key(0);

    /// Actor `id` (0 to [`MAX_ACTOR_ID`]; 0 for no actor, as the asker of a
    /// test's ask) of the system tagged `tag`.
    #[inline]
    pub(crate) fn new(tag: u32, id: ActorId) -> Key {
        debug_assert!(id.0 <= MAX_ACTOR_ID);
        Key(id.0 << TAG_BITS | u64::from(tag))
    }

    /// The actor's id, without the tag.
    #[inline(always)]
    pub(crate) fn actor(self) -> ActorId {
        // One shift, no mask to load: the tag is in the low bits.
        ActorId(self.0 >> TAG_BITS)
    }

    /// The tag of the system the actor is of.
    pub(crate) fn tag(self) -> u32 {
        (self.0 & ((1 << TAG_BITS) - 1)) as u32
    }
}

/// The id only: the tag must never reach what a run prints or records.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.actor())
    }
}

/// A tag for a new system: different from the last 2^24 - 1 systems made
/// in this process (it wraps after that).
pub(crate) fn new_system_tag() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) & ((1 << TAG_BITS) - 1)
}

/// An untyped reference to a live actor slot: where it lives and who it is.
///
/// Laid out as two words, the key then the slot and queue (the slot in the
/// low half): see [`Ref::from_place`].
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct Ref {
    pub(crate) key: Key,
    pub(crate) slot: u32,
    /// Its mailbox's queue (in the pool of its message type), fixed from
    /// spawn to the final stop: a send finds the mailbox without waiting
    /// to read the slot (and checks the slot meanwhile).
    pub(crate) queue: u32,
}

impl Ref {
    /// No actor (key 0: never an actor's).
    pub(crate) const NONE: Ref = Ref { slot: 0, queue: 0, key: Key::NONE };

    /// The actor's id.
    #[inline(always)]
    pub(crate) fn id(&self) -> ActorId {
        self.key.actor()
    }

    /// The actor in slot `place as u32` with its mailbox's queue
    /// `place >> 32`, whose key is `key`. The slot and the queue come as one
    /// word, and sit in one word of the `Ref` (its layout is fixed), so the
    /// compiler can write them whole and read them back whole (see
    /// [`Addr`]; on a little-endian machine).
    #[inline(always)]
    pub(crate) fn from_place(place: u64, key: Key) -> Ref {
        Ref { slot: place as u32, queue: (place >> 32) as u32, key }
    }

    /// The slot and the queue as one word (see [`Ref::from_place`]).
    #[inline(always)]
    pub(crate) fn place(&self) -> u64 {
        u64::from(self.slot) | u64::from(self.queue) << 32
    }
}

/// The same actor in the same slot (its queue follows from those).
impl PartialEq for Ref {
    fn eq(&self, other: &Self) -> bool {
        self.slot == other.slot && self.key == other.key
    }
}

impl Eq for Ref {}

/// The typed address of an actor that accepts messages of type `M`.
///
/// Cheap to copy, valid for the actor's whole life: a message sent to an
/// address during or after a restart reaches the new incarnation (SPEC rule
/// 2). A message sent after the actor stopped becomes a dead letter with
/// reason `no_recipient`.
///
/// An address belongs to the system that spawned the actor. Used with
/// another system (kept across the runs of a property test, say) it names
/// nobody there, even when that system has an actor with the same id: a
/// send becomes a dead letter `no_recipient`, a link or monitor sees an
/// actor that is not there. So two addresses compare equal only if they
/// are of the same system: the same seed run twice gives addresses that
/// differ. (Systems are told apart by a 24-bit tag; the 2^24-th system a
/// process makes after another shares its tag. Timer and monitor ids are
/// numbers of their own system, not checked this way.)
///
/// ```
/// use rehearsal::{Actor, Config, Context, DeadLetterReason, Handled, System};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Msg = u32;
///     fn handle(&mut self, _ctx: &mut Context<'_, Self>, _n: u32) -> Handled {
///         Ok(())
///     }
/// }
///
/// let mut x = System::new(Config::seeded(1));
/// let mut y = System::new(Config::seeded(1));
/// let in_x = x.spawn("sink", Sink);
/// let in_y = y.spawn("sink", Sink);
/// assert_eq!(in_x.id(), in_y.id());
/// assert_ne!(in_x, in_y);
/// y.send(in_x, 7);
/// y.run_until_idle();
/// assert_eq!(y.stats().handled, 0);
/// assert_eq!(y.dead_letters()[0].reason, DeadLetterReason::NoRecipient);
/// ```
pub struct Addr<M> {
    /// The slot (low half) and its mailbox's queue (high half), kept as a
    /// whole word: addresses travel inside messages, and a copy reads them
    /// back word by word; a 4-byte write read back inside an 8-byte word
    /// cannot be forwarded from the store buffer and stalls every such read
    /// for a dozen cycles.
    slot: u64,
    key: Key,
    _msg: PhantomData<fn(M)>,
}

impl<M> Addr<M> {
    #[inline(always)]
    pub(crate) fn new(r: Ref) -> Self {
        Addr { slot: r.place(), key: r.key, _msg: PhantomData }
    }

    /// The slot and the actor.
    #[inline(always)]
    pub(crate) fn r(&self) -> Ref {
        Ref::from_place(self.slot, self.key)
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.key.actor()
    }
}

impl<M> Clone for Addr<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Addr<M> {}

/// The same actor of the same system.
impl<M> PartialEq for Addr<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<M> Eq for Addr<M> {}

impl<M> fmt::Debug for Addr<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Addr({})", self.id())
    }
}

/// A one-shot handle for answering an ask with a value of type `R`.
///
/// It travels inside the request message; the handler answers with
/// [`Context::reply`](crate::Context::reply). A reply that arrives after the
/// ask completed (timed out, say) becomes a dead letter `late_reply`.
pub struct ReplyTo<R> {
    pub(crate) ask: u64,
    /// The asking actor (id 0 for a test), with its system's tag: a reply
    /// through a handle from another system must not answer this one's ask
    /// of the same number.
    pub(crate) asker: Key,
    _reply: PhantomData<fn(R)>,
}

impl<R> ReplyTo<R> {
    pub(crate) fn new(ask: u64, asker: Key) -> Self {
        ReplyTo { ask, asker, _reply: PhantomData }
    }

    /// The id of the ask this handle answers.
    pub fn ask_id(&self) -> u64 {
        self.ask
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyTo(ask {})", self.ask)
    }
}
