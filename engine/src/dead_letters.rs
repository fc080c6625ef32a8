//! Dead letters and the conservation counters (SPEC rule 25).

use serde::{Deserialize, Serialize};

use crate::address::{ActorId, MsgId};
use crate::trace::DeadLetterReason;

/// A message that was not handled, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The message.
    pub msg: MsgId,
    /// Its sender, if an actor.
    pub from: Option<ActorId>,
    /// Its intended recipient.
    pub to: ActorId,
    /// Why it was not handled.
    pub reason: DeadLetterReason,
    /// The step at which it became a dead letter.
    pub step: u64,
    /// The virtual time at which it became a dead letter.
    pub time: u64,
}

/// Counters of a run. Between steps they always satisfy
/// `sent == handled + dead_letters + rejected_back + queued` ([`Stats::conserved`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Deliveries made.
    pub steps: u64,
    /// Messages sent: user messages, poison pills, timer messages, replies.
    pub sent: u64,
    /// Messages handled to completion.
    pub handled: u64,
    /// Messages that became dead letters.
    pub dead_letters: u64,
    /// Messages waiting in mailboxes now, or parked with a blocked sender.
    pub queued: u64,
    /// Dead letters by reason, in the order of [`DeadLetterReason::ALL`].
    pub dead_by_reason: [u64; DeadLetterReason::ALL.len()],
    /// Messages handed back to their sender by [`Context::try_send`](crate::Context::try_send).
    pub rejected_back: u64,
    /// Actors spawned.
    pub spawned: u64,
    /// Actors stopped, for any reason.
    pub stopped: u64,
    /// Failures: handler and hook panics and error returns.
    pub failures: u64,
    /// Restarts by supervisors (one per actor restarted).
    pub restarts: u64,
    /// Timers fired.
    pub timers_fired: u64,
    /// Faults injected by the fault plan.
    pub faults: u64,
    /// Injected faults that may change the order of one sender's messages
    /// to one receiver (a `delay`, a `duplicate`): per-pair FIFO (SPEC rule
    /// 6) is a promise only while this is 0.
    #[serde(default)]
    pub reorders: u64,
}

impl Stats {
    /// Returns true if and only if every message is accounted for:
    /// `sent == handled + dead_letters + rejected_back + queued` (SPEC rule 25).
    pub fn conserved(&self) -> bool {
        self.sent == self.handled + self.dead_letters + self.rejected_back + self.queued
    }

    /// Dead letters with this reason.
    pub fn dead(&self, reason: DeadLetterReason) -> u64 {
        self.dead_by_reason[reason as usize]
    }
}
