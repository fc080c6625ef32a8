//! The events a run records, one per thing that happened.

use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::address::{ActorId, MsgId};
use crate::supervision::Directive;
use crate::trace::hash::{Digest, Words};

/// One thing that happened in a run.
///
/// `step` is the number of deliveries made so far (the delivery in progress
/// included), `time` the virtual time, and `cause` the step of the delivery
/// that caused this event: the handler that sent, spawned, stopped or set
/// the timer. For a [`EventKind::Deliver`] it is the delivery in which the
/// message was sent. `None` means the cause is outside the system (the test
/// or the scenario's driver).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Deliveries made so far.
    pub step: u64,
    /// Virtual time, in ticks.
    pub time: u64,
    /// The step of the delivery that caused this event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<u64>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What kind of message a [`EventKind::Send`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    /// A message of the receiver's own type.
    User,
    /// A poison pill: stop after the messages queued before it.
    Stop,
    /// A credit grant (flow control), from receiver to sender.
    Credit,
    /// A child's end (failure or exit), reported to its supervisor.
    ChildEnded,
    /// A monitor's notification that its target stopped.
    Down,
    /// A linked actor's exit, to an actor that traps exits.
    Exit,
}

/// Why an actor stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It stopped itself or handled a poison pill.
    Normal,
    /// Its parent stopped, and stopped it first.
    Shutdown,
    /// It was killed: no hooks ran.
    Killed,
    /// A handler or hook failed with this reason.
    Failed(String),
}

impl StopReason {
    /// Returns true if and only if the stop is abnormal (killed or failed).
    pub fn is_abnormal(&self) -> bool {
        matches!(self, StopReason::Killed | StopReason::Failed(_))
    }
}

impl StopReason {
    /// Gives the reason's words to `d` (see [`Event::words`]).
    pub(crate) fn words(&self, d: &mut impl Words) {
        match self {
            StopReason::Normal => d.u64(1),
            StopReason::Shutdown => d.u64(2),
            StopReason::Killed => d.u64(3),
            StopReason::Failed(why) => {
                d.u64(4);
                d.str(why);
            }
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Normal => f.write_str("normal"),
            StopReason::Shutdown => f.write_str("shutdown"),
            StopReason::Killed => f.write_str("killed"),
            StopReason::Failed(why) => write!(f, "failed({why})"),
        }
    }
}

/// Why a message became a dead letter (SPEC rule 25).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterReason {
    /// The recipient had stopped (or never existed).
    NoRecipient,
    /// Its handler failed; a failing message is never re-delivered.
    Failed,
    /// It was still queued when the recipient stopped.
    PendingAtStop,
    /// A reply that came after its ask had completed.
    LateReply,
    /// A full mailbox with policy `drop_newest` refused it.
    DropNewest,
    /// A full mailbox with policy `drop_oldest` evicted it for a newer one.
    DropOldest,
    /// A full mailbox with policy `reject` refused it, and the sender used a
    /// plain `send`.
    Rejected,
    /// Its sender stayed parked on a full mailbox longer than the block timeout.
    BlockTimeout,
    /// A full mailbox with policy `fail` refused it (and its owner failed).
    MailboxOverflow,
    /// Its sender was parked on a full mailbox that could never drain.
    Deadlock,
    /// A fault rule dropped it.
    InjectedDrop,
    /// A fault rule's partition separated sender and recipient.
    Partitioned,
}

impl DeadLetterReason {
    /// Every reason, in a fixed order.
    pub const ALL: [DeadLetterReason; 12] = [
        DeadLetterReason::NoRecipient,
        DeadLetterReason::Failed,
        DeadLetterReason::PendingAtStop,
        DeadLetterReason::LateReply,
        DeadLetterReason::DropNewest,
        DeadLetterReason::DropOldest,
        DeadLetterReason::Rejected,
        DeadLetterReason::BlockTimeout,
        DeadLetterReason::MailboxOverflow,
        DeadLetterReason::Deadlock,
        DeadLetterReason::InjectedDrop,
        DeadLetterReason::Partitioned,
    ];

    /// The reason's name as the trace writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::NoRecipient => "no_recipient",
            DeadLetterReason::Failed => "failed",
            DeadLetterReason::PendingAtStop => "pending_at_stop",
            DeadLetterReason::LateReply => "late_reply",
            DeadLetterReason::DropNewest => "drop_newest",
            DeadLetterReason::DropOldest => "drop_oldest",
            DeadLetterReason::Rejected => "rejected",
            DeadLetterReason::BlockTimeout => "block_timeout",
            DeadLetterReason::MailboxOverflow => "mailbox_overflow",
            DeadLetterReason::Deadlock => "deadlock",
            DeadLetterReason::InjectedDrop => "injected_drop",
            DeadLetterReason::Partitioned => "partitioned",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an ask completed (SPEC rule 26).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskOutcome {
    /// The target replied in time.
    Reply,
    /// The timeout passed first.
    Timeout,
    /// The handler of the request failed with this reason.
    Failed(String),
    /// The target stopped, or the request could not be delivered.
    Dead,
    /// The run stopped (step limit or halt) before the ask completed.
    Abandoned,
}

/// The kinds of [`Event`], with the actors and messages involved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// An actor was created.
    Spawn {
        /// The new actor.
        actor: ActorId,
        /// Its parent, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ActorId>,
        /// Its name.
        name: CompactString,
        /// Its Rust type.
        #[serde(rename = "type")]
        type_name: CompactString,
        /// Its mailbox, if bounded: (capacity, overflow policy).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mailbox: Option<(u32, crate::mailbox::Overflow)>,
        /// Its strategy, if it is a supervisor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strategy: Option<crate::supervision::Strategy>,
    },
    /// A message was sent (and, unless a dead letter follows, queued).
    Send {
        /// The message.
        msg: MsgId,
        /// The sender, if it was an actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ActorId>,
        /// The recipient.
        to: ActorId,
        /// What kind of message.
        #[serde(default = "user_kind", skip_serializing_if = "is_user")]
        what: MsgKind,
        /// The message's `Debug` text, at [`TraceLevel::Payloads`](crate::TraceLevel::Payloads).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<CompactString>,
    },
    /// A message was handed to its recipient.
    Deliver {
        /// The message.
        msg: MsgId,
        /// The recipient.
        actor: ActorId,
        /// The sender, if it was an actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ActorId>,
    },
    /// A handler returned normally.
    Done {
        /// The actor.
        actor: ActorId,
        /// The message it handled.
        msg: MsgId,
    },
    /// A timer was set.
    TimerSet {
        /// The timer.
        timer: u64,
        /// Who gets its message.
        to: ActorId,
        /// When it fires.
        at: u64,
    },
    /// A timer was cancelled before it fired.
    TimerCancel {
        /// The timer.
        timer: u64,
    },
    /// A timer fired; the message it sends follows as a [`EventKind::Send`].
    TimerFired {
        /// The timer.
        timer: u64,
    },
    /// An ask started: `msg` is the request.
    Ask {
        /// The ask.
        ask: u64,
        /// Who asks, if an actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ActorId>,
        /// Who is asked.
        to: ActorId,
        /// The request message.
        msg: MsgId,
        /// The virtual time at which it times out.
        deadline: u64,
    },
    /// An ask completed.
    AskDone {
        /// The ask.
        ask: u64,
        /// How.
        outcome: AskOutcome,
    },
    /// An actor was killed: it stops at once, running no hooks.
    Kill {
        /// The actor.
        actor: ActorId,
        /// Who killed it, if an actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<ActorId>,
    },
    /// A handler or hook failed.
    Failure {
        /// The actor.
        actor: ActorId,
        /// The message being handled, if it was a handler.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg: Option<MsgId>,
        /// The panic text or error.
        reason: String,
    },
    /// An actor stopped for good.
    Stop {
        /// The actor.
        actor: ActorId,
        /// Why.
        reason: StopReason,
    },
    /// An actor under a supervisor failed or exited and waits for the
    /// supervisor's decision; it handles nothing meanwhile.
    Suspend {
        /// The actor.
        actor: ActorId,
        /// Why it ended.
        reason: StopReason,
    },
    /// A supervisor decided what to do about a child's end.
    Decision {
        /// The supervisor.
        supervisor: ActorId,
        /// The child.
        child: ActorId,
        /// The decision.
        directive: Directive,
        /// The child's reason.
        reason: StopReason,
    },
    /// A new incarnation took an actor's place, keeping its address and mailbox.
    Restart {
        /// The actor.
        actor: ActorId,
        /// The old incarnation number.
        from: u32,
        /// The new incarnation number.
        to: u32,
    },
    /// A supervisor restarted more than its intensity allows within its
    /// period: it stops its children and exits with reason shutdown.
    IntensityExceeded {
        /// The supervisor.
        supervisor: ActorId,
        /// Restarts within the period, this one included.
        restarts: u32,
        /// The period, in ticks.
        period: u64,
    },
    /// A supervisor passed a child's failure up: it fails with the child's reason.
    Escalate {
        /// The supervisor.
        supervisor: ActorId,
        /// The child whose failure it passes up.
        child: ActorId,
        /// The reason.
        reason: String,
    },
    /// An escalation reached the root: the whole system stops.
    SystemStop {
        /// Why.
        reason: String,
    },
    /// Actors parked on each other's full mailboxes: none can go on.
    Deadlock {
        /// The actors in the cycle, from the one that just parked.
        actors: Vec<ActorId>,
    },
    /// A delivery took several messages at once; their `deliver` events follow.
    Batch {
        /// The actor.
        actor: ActorId,
        /// How many messages.
        size: u32,
    },
    /// A message was dropped, evicted, rejected or parked by a full
    /// mailbox's policy (a dead letter follows unless it was parked).
    Overflow {
        /// The mailbox's owner.
        actor: ActorId,
        /// The message concerned.
        msg: MsgId,
        /// The policy that acted.
        policy: crate::mailbox::Overflow,
        /// The mailbox's depth at that moment.
        depth: u32,
    },
    /// A parked send got room and was queued; its sender may run again
    /// once none of its sends is parked.
    Admitted {
        /// The mailbox's owner.
        actor: ActorId,
        /// The message.
        msg: MsgId,
    },
    /// The run reached one of its limits and stops.
    Limit {
        /// Which.
        limit: crate::config::Limit,
        /// The figure that reached it.
        value: u64,
    },
    /// The run was interrupted from outside (Ctrl-C) and stops here.
    Interrupted {},
    /// A fault rule injected a fault.
    Fault {
        /// The rule's name.
        rule: String,
        /// What it did (crash, kill, drop, duplicate, delay, shrink_mailbox, slow, partition).
        action: CompactString,
        /// The actor it hit.
        actor: ActorId,
        /// The message concerned, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg: Option<MsgId>,
    },
    /// A monitor was set up.
    Monitor {
        /// The monitor's id.
        monitor: u64,
        /// Who watches.
        watcher: ActorId,
        /// Who is watched.
        target: ActorId,
    },
    /// Two actors were linked.
    Link {
        /// One end.
        a: ActorId,
        /// The other end.
        b: ActorId,
    },
    /// A message was not handled.
    DeadLetter {
        /// The message.
        msg: MsgId,
        /// Its sender, if an actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ActorId>,
        /// Its intended recipient.
        to: ActorId,
        /// Why it was not handled.
        reason: DeadLetterReason,
    },
}

fn user_kind() -> MsgKind {
    MsgKind::User
}

fn is_user(k: &MsgKind) -> bool {
    *k == MsgKind::User
}

impl EventKind {
    /// The kind's name as the trace writes it.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Spawn { .. } => "spawn",
            EventKind::Send { .. } => "send",
            EventKind::Deliver { .. } => "deliver",
            EventKind::Done { .. } => "done",
            EventKind::TimerSet { .. } => "timer_set",
            EventKind::TimerCancel { .. } => "timer_cancel",
            EventKind::TimerFired { .. } => "timer_fired",
            EventKind::Ask { .. } => "ask",
            EventKind::AskDone { .. } => "ask_done",
            EventKind::Kill { .. } => "kill",
            EventKind::Failure { .. } => "failure",
            EventKind::Stop { .. } => "stop",
            EventKind::DeadLetter { .. } => "dead_letter",
            EventKind::Suspend { .. } => "suspend",
            EventKind::Decision { .. } => "decision",
            EventKind::Restart { .. } => "restart",
            EventKind::IntensityExceeded { .. } => "intensity_exceeded",
            EventKind::Escalate { .. } => "escalate",
            EventKind::SystemStop { .. } => "system_stop",
            EventKind::Monitor { .. } => "monitor",
            EventKind::Link { .. } => "link",
            EventKind::Deadlock { .. } => "deadlock",
            EventKind::Batch { .. } => "batch",
            EventKind::Overflow { .. } => "overflow",
            EventKind::Admitted { .. } => "admitted",
            EventKind::Fault { .. } => "fault",
            EventKind::Limit { .. } => "limit",
            EventKind::Interrupted {} => "interrupted",
        }
    }
}

#[inline(always)]
fn opt_id(d: &mut impl Words, a: Option<ActorId>) {
    d.u64(a.map_or(0, |a| a.0));
}

// The encodings of the events of every message, shared by `Event::words`
// and the tracer's fast paths, which hash them without building an `Event`.

/// Folds an event's step, time and cause into `d`.
#[inline(always)]
pub(crate) fn digest_head(d: &mut impl Words, step: u64, time: u64, cause: Option<u64>) {
    d.u64(step);
    d.u64(time);
    d.u64(cause.map_or(u64::MAX, |c| c));
}

/// Folds a `send` (its payload aside) into `d`.
#[inline(always)]
pub(crate) fn digest_send(d: &mut impl Words, msg: MsgId, from: Option<ActorId>, to: ActorId, what: MsgKind) {
    d.u64(2);
    d.u64(msg.0);
    opt_id(d, from);
    d.u64(to.0);
    d.u64(what as u64);
}

/// Folds a `deliver` into `d`.
#[inline(always)]
pub(crate) fn digest_deliver(d: &mut impl Words, msg: MsgId, actor: ActorId, from: Option<ActorId>) {
    d.u64(3);
    d.u64(msg.0);
    d.u64(actor.0);
    opt_id(d, from);
}

/// Folds a `done` into `d`.
#[inline(always)]
pub(crate) fn digest_done(d: &mut impl Words, actor: ActorId, msg: MsgId) {
    d.u64(4);
    d.u64(actor.0);
    d.u64(msg.0);
}

impl Event {
    /// Folds this event into the running hash `d` (format 2).
    pub(crate) fn digest(&self, d: &mut Digest) {
        let mut w = d.begin();
        self.words(&mut w);
        d.end(w);
    }

    /// Gives this event's words to `d`, in the order the trace hash takes
    /// them (see `trace::hash`). The encoding is fixed here, field by
    /// field, so hashes are stable across Rust versions and machines.
    pub(crate) fn words(&self, d: &mut impl Words) {
        digest_head(d, self.step, self.time, self.cause);
        match &self.kind {
            EventKind::Spawn { actor, parent, name, type_name, mailbox, strategy } => {
                d.u64(1);
                d.u64(actor.0);
                opt_id(d, *parent);
                d.str(name);
                d.str(type_name);
                // Absent fields add nothing, so older traces keep their hashes.
                if let Some((capacity, policy)) = mailbox {
                    d.u64(u64::from(*capacity));
                    d.u64(*policy as u64);
                }
                if let Some(s) = strategy {
                    d.u64(100 + *s as u64);
                }
            }
            EventKind::Send { msg, from, to, what, payload } => {
                digest_send(d, *msg, *from, *to, *what);
                if let Some(p) = payload {
                    d.str(p);
                }
            }
            EventKind::Deliver { msg, actor, from } => digest_deliver(d, *msg, *actor, *from),
            EventKind::Done { actor, msg } => digest_done(d, *actor, *msg),
            EventKind::TimerSet { timer, to, at } => {
                d.u64(5);
                d.u64(*timer);
                d.u64(to.0);
                d.u64(*at);
            }
            EventKind::TimerCancel { timer } => {
                d.u64(6);
                d.u64(*timer);
            }
            EventKind::TimerFired { timer } => {
                d.u64(7);
                d.u64(*timer);
            }
            EventKind::Ask { ask, from, to, msg, deadline } => {
                d.u64(8);
                d.u64(*ask);
                opt_id(d, *from);
                d.u64(to.0);
                d.u64(msg.0);
                d.u64(*deadline);
            }
            EventKind::AskDone { ask, outcome } => {
                d.u64(9);
                d.u64(*ask);
                match outcome {
                    AskOutcome::Reply => d.u64(1),
                    AskOutcome::Timeout => d.u64(2),
                    AskOutcome::Failed(why) => {
                        d.u64(3);
                        d.str(why);
                    }
                    AskOutcome::Dead => d.u64(4),
                    AskOutcome::Abandoned => d.u64(5),
                }
            }
            EventKind::Kill { actor, by } => {
                d.u64(10);
                d.u64(actor.0);
                opt_id(d, *by);
            }
            EventKind::Failure { actor, msg, reason } => {
                d.u64(11);
                d.u64(actor.0);
                d.u64(msg.map_or(0, |m| m.0));
                d.str(reason);
            }
            EventKind::Stop { actor, reason } => {
                d.u64(12);
                d.u64(actor.0);
                reason.words(d);
            }
            EventKind::Suspend { actor, reason } => {
                d.u64(14);
                d.u64(actor.0);
                reason.words(d);
            }
            EventKind::Decision { supervisor, child, directive, reason } => {
                d.u64(15);
                d.u64(supervisor.0);
                d.u64(child.0);
                d.u64(*directive as u64);
                reason.words(d);
            }
            EventKind::Restart { actor, from, to } => {
                d.u64(16);
                d.u64(actor.0);
                d.u64(u64::from(*from));
                d.u64(u64::from(*to));
            }
            EventKind::IntensityExceeded { supervisor, restarts, period } => {
                d.u64(17);
                d.u64(supervisor.0);
                d.u64(u64::from(*restarts));
                d.u64(*period);
            }
            EventKind::Escalate { supervisor, child, reason } => {
                d.u64(18);
                d.u64(supervisor.0);
                d.u64(child.0);
                d.str(reason);
            }
            EventKind::SystemStop { reason } => {
                d.u64(19);
                d.str(reason);
            }
            EventKind::Monitor { monitor, watcher, target } => {
                d.u64(20);
                d.u64(*monitor);
                d.u64(watcher.0);
                d.u64(target.0);
            }
            EventKind::Link { a, b } => {
                d.u64(21);
                d.u64(a.0);
                d.u64(b.0);
            }
            EventKind::Deadlock { actors } => {
                d.u64(22);
                d.u64(actors.len() as u64);
                for a in actors {
                    d.u64(a.0);
                }
            }
            EventKind::Interrupted {} => d.u64(28),
            EventKind::Limit { limit, value } => {
                d.u64(27);
                d.u64(*limit as u64);
                d.u64(*value);
            }
            EventKind::Fault { rule, action, actor, msg } => {
                d.u64(26);
                d.str(rule);
                d.str(action);
                d.u64(actor.0);
                d.u64(msg.map_or(0, |m| m.0));
            }
            EventKind::Admitted { actor, msg } => {
                d.u64(25);
                d.u64(actor.0);
                d.u64(msg.0);
            }
            EventKind::Batch { actor, size } => {
                d.u64(23);
                d.u64(actor.0);
                d.u64(u64::from(*size));
            }
            EventKind::Overflow { actor, msg, policy, depth } => {
                d.u64(24);
                d.u64(actor.0);
                d.u64(msg.0);
                d.u64(*policy as u64);
                d.u64(u64::from(*depth));
            }
            EventKind::DeadLetter { msg, from, to, reason } => {
                d.u64(13);
                d.u64(msg.0);
                opt_id(d, *from);
                d.u64(to.0);
                d.u64(*reason as u64);
            }
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} t={} ", self.step, self.time)?;
        match serde_json::to_string(&self.kind) {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "{:?}", self.kind),
        }
    }
}
