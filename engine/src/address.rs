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

/// An untyped reference to a live actor slot: where it lives and who it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ref {
    pub(crate) slot: u32,
    /// Its mailbox's queue (in the pool of its message type), fixed from
    /// spawn to the final stop: a send finds the mailbox without waiting
    /// to read the slot (and checks the slot meanwhile).
    pub(crate) queue: u32,
    pub(crate) id: ActorId,
}

impl Ref {
    /// No actor (id 0: never an actor's).
    pub(crate) const NONE: Ref = Ref { slot: 0, queue: 0, id: ActorId(0) };
}

/// The same actor in the same slot (its queue follows from those).
impl PartialEq for Ref {
    fn eq(&self, other: &Self) -> bool {
        self.slot == other.slot && self.id == other.id
    }
}

impl Eq for Ref {}

/// The typed address of an actor that accepts messages of type `M`.
///
/// Cheap to copy, valid for the actor's whole life: a message sent to an
/// address during or after a restart reaches the new incarnation (SPEC rule
/// 2). A message sent after the actor stopped becomes a dead letter with
/// reason `no_recipient`.
pub struct Addr<M> {
    /// The slot (low half) and its mailbox's queue (high half), kept as a
    /// whole word: addresses travel inside messages, and a copy reads them
    /// back word by word; a 4-byte write read back inside an 8-byte word
    /// cannot be forwarded from the store buffer and stalls every such read
    /// for a dozen cycles.
    slot: u64,
    id: ActorId,
    _msg: PhantomData<fn(M)>,
}

impl<M> Addr<M> {
    #[inline(always)]
    pub(crate) fn new(r: Ref) -> Self {
        Addr { slot: u64::from(r.slot) | u64::from(r.queue) << 32, id: r.id, _msg: PhantomData }
    }

    /// The slot and the actor.
    #[inline(always)]
    pub(crate) fn r(&self) -> Ref {
        Ref { slot: self.slot as u32, queue: (self.slot >> 32) as u32, id: self.id }
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.id
    }
}

impl<M> Clone for Addr<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Addr<M> {}

impl<M> PartialEq for Addr<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<M> Eq for Addr<M> {}

impl<M> fmt::Debug for Addr<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Addr({})", self.id)
    }
}

/// A one-shot handle for answering an ask with a value of type `R`.
///
/// It travels inside the request message; the handler answers with
/// [`Context::reply`](crate::Context::reply). A reply that arrives after the
/// ask completed (timed out, say) becomes a dead letter `late_reply`.
pub struct ReplyTo<R> {
    pub(crate) ask: u64,
    /// The asking actor's id, 0 for a test.
    pub(crate) asker: u64,
    _reply: PhantomData<fn(R)>,
}

impl<R> ReplyTo<R> {
    pub(crate) fn new(ask: u64, asker: u64) -> Self {
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
