//! The state of the system at any event of a trace, folded from the events.
//!
//! A [`Timeline`] reads a [`Trace`] once: it learns the actors (names, types,
//! parents), works out how each event changes a mailbox's depth, and keeps a
//! [`Model`] checkpoint every [`CHECKPOINT_EVERY`] events. Moving to any
//! event, forward or back, then folds only the events after the nearest
//! checkpoint, so a jump costs a few thousand events even in a trace of a
//! million.
//!
//! The cursor is an event index; a model "at" the cursor has applied every
//! event up to and including it.

use std::collections::{BTreeMap, HashMap, HashSet};

use rehearsal::trace::{DeadLetterReason, Trace};
use rehearsal::{ActorId, Directive, Event, EventKind, Overflow, StopReason};

/// Events between two checkpoints (at least; see [`Timeline::new`]).
pub const CHECKPOINT_EVERY: usize = 4096;
/// A mailbox this deep or deeper that reaches a new high-water mark is
/// reported as growing.
pub const MAILBOX_WARN_DEPTH: u32 = 8;
/// This many restarts of one actor ...
pub const STORM_RESTARTS: usize = 3;
/// ... within this many steps are a restart storm.
pub const STORM_WINDOW: u64 = 100;

// ===== actors: what never changes =====

/// What the trace says about an actor when it is spawned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActorInfo {
    /// Its id.
    pub id: ActorId,
    /// Its name.
    pub name: String,
    /// Its Rust type (`Supervisor` for supervisors).
    pub type_name: String,
    /// Its parent, if any.
    pub parent: Option<ActorId>,
    /// The index of its `spawn` event.
    pub spawned_at: usize,
    /// How deep it is in the supervision tree (0 for top-level actors).
    pub level: usize,
    /// Whether it supervises: a `Supervisor`, or it made a supervision decision.
    pub supervisor: bool,
    /// Its mailbox, if bounded: capacity and overflow policy.
    pub mailbox: Option<(u32, rehearsal::Overflow)>,
    /// Its strategy, if it is a supervisor.
    pub strategy: Option<rehearsal::supervision::Strategy>,
}

/// Every actor of a trace, in spawn order (an actor's index is its place in
/// that order, which is also the order of ids).
#[derive(Clone, Debug, Default)]
pub struct Actors {
    infos: Vec<ActorInfo>,
    by_id: HashMap<u64, usize>,
    /// How many actors bear each name (a restarted supervisor's new
    /// children take their predecessors' names).
    names: HashMap<String, u32>,
    /// Indexes in supervision-tree order: each actor followed by its
    /// children, depth first, children in spawn order.
    tree: Vec<usize>,
    /// Per spawn index: its place in `tree` (`usize::MAX`: not in it).
    tree_pos: Vec<usize>,
}

impl Actors {
    /// How many actors the trace spawns.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// Returns true if the trace spawns no actor.
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// The actor with spawn index `i`.
    pub fn get(&self, i: usize) -> Option<&ActorInfo> {
        self.infos.get(i)
    }

    /// The spawn index of `id`.
    pub fn index_of(&self, id: ActorId) -> Option<usize> {
        self.by_id.get(&id.0).copied()
    }

    /// What is known about `id`.
    pub fn info(&self, id: ActorId) -> Option<&ActorInfo> {
        self.index_of(id).and_then(|i| self.infos.get(i))
    }

    /// `id`'s name, or `#id` for an actor the trace never spawned.
    pub fn name(&self, id: ActorId) -> String {
        self.info(id).map_or_else(|| id.to_string(), |a| a.name.clone())
    }

    /// `id`'s name as the screen shows it: with its id after it (`worker-0
    /// #12`) when other actors bear the same name.
    pub fn label(&self, id: ActorId) -> String {
        match self.info(id) {
            None => id.to_string(),
            Some(a) if self.names.get(&a.name).is_some_and(|n| *n > 1) => format!("{} {id}", a.name),
            Some(a) => a.name.clone(),
        }
    }

    /// The actors in supervision-tree order, as spawn indexes.
    pub fn tree_order(&self) -> &[usize] {
        &self.tree
    }

    /// The place of the actor with spawn index `i` in [`tree_order`](Actors::tree_order).
    pub fn tree_position(&self, i: usize) -> Option<usize> {
        self.tree_pos.get(i).copied().filter(|&p| p != usize::MAX)
    }

    /// Every actor, in spawn order.
    pub fn iter(&self) -> impl Iterator<Item = &ActorInfo> + '_ {
        self.infos.iter()
    }

    fn spawn(&mut self, kind: &EventKind, at: usize) {
        let EventKind::Spawn { actor: id, parent, name, type_name, mailbox, strategy } = kind else { return };
        if self.by_id.contains_key(&id.0) {
            return;
        }
        self.by_id.insert(id.0, self.infos.len());
        *self.names.entry(name.to_string()).or_default() += 1;
        self.infos.push(ActorInfo {
            id: *id,
            name: name.to_string(),
            type_name: type_name.to_string(),
            parent: *parent,
            spawned_at: at,
            level: 0,
            supervisor: type_name == "Supervisor" || strategy.is_some(),
            mailbox: *mailbox,
            strategy: *strategy,
        });
    }

    fn mark_supervisor(&mut self, id: ActorId) {
        if let Some(&i) = self.by_id.get(&id.0) {
            self.infos[i].supervisor = true;
        }
    }

    /// Orders the tree and sets each actor's level.
    fn finish(&mut self) {
        let n = self.infos.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, a) in self.infos.iter().enumerate() {
            match a.parent.and_then(|p| self.by_id.get(&p.0).copied()) {
                Some(p) if p != i => children[p].push(i),
                _ => roots.push(i),
            }
        }
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        let mut seen = vec![false; n];
        while let Some((i, level)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            self.infos[i].level = level;
            order.push(i);
            for &c in children[i].iter().rev() {
                stack.push((c, level + 1));
            }
        }
        self.tree_pos = vec![usize::MAX; n];
        for (pos, &i) in order.iter().enumerate() {
            self.tree_pos[i] = pos;
        }
        self.tree = order;
    }
}

// ===== the model: what changes =====

/// Where an actor is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActorState {
    /// Not spawned yet.
    #[default]
    Unborn,
    /// Alive and handling messages.
    Running,
    /// Suspended: it failed or exited and waits for its supervisor, or for a
    /// restart's backoff.
    Restarting,
    /// Stopped normally (itself, a poison pill, or its parent's shutdown).
    Stopped,
    /// Stopped abnormally: failed without a supervisor to restart it, or killed.
    Failed,
    /// Running, but parked: a send of its waits for room in a full
    /// mailbox with the `block` policy, and it handles nothing until then.
    Blocked,
}

impl ActorState {
    /// A one-column symbol, so the state reads without colour too.
    pub fn symbol(self) -> &'static str {
        match self {
            ActorState::Unborn => " ",
            ActorState::Running => "●",
            ActorState::Restarting => "◐",
            ActorState::Stopped => "○",
            ActorState::Failed => "✗",
            ActorState::Blocked => "‖",
        }
    }

    /// The state in words.
    pub fn label(self) -> &'static str {
        match self {
            ActorState::Unborn => "not spawned",
            ActorState::Running => "running",
            ActorState::Restarting => "restarting (suspended)",
            ActorState::Stopped => "stopped",
            ActorState::Failed => "failed",
            ActorState::Blocked => "blocked (a send waits for room in a full mailbox)",
        }
    }
}

/// How an actor's last incarnation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It stopped itself or took a poison pill.
    Normal,
    /// Its parent stopped it.
    Shutdown,
    /// It was killed.
    Killed,
    /// A handler or hook failed.
    Failed,
}

impl Ended {
    fn of(reason: &StopReason) -> Ended {
        match reason {
            StopReason::Normal => Ended::Normal,
            StopReason::Shutdown => Ended::Shutdown,
            StopReason::Killed => Ended::Killed,
            StopReason::Failed(_) => Ended::Failed,
        }
    }
}

/// One actor's state at the cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActorStatus {
    /// Running, restarting, stopped or failed.
    pub state: ActorState,
    /// Restarts so far.
    pub restarts: u32,
    /// Messages in its mailbox (notifications included; parked sends not).
    pub depth: u32,
    /// The deepest its mailbox has been.
    pub high_water: u32,
    /// Messages its mailbox refused or lost: overflows (except parking) and
    /// dead letters `block_timeout`, `deadlock`, `injected_drop`, `partitioned`.
    pub drops: u32,
    /// Deliveries to it.
    pub delivered: u64,
    /// Its failures.
    pub failures: u32,
    /// Its sends parked on full mailboxes (policy `block`): it is blocked.
    pub parked: u32,
    /// Sends parked on its full mailbox, waiting for room.
    pub waiting: u32,
    /// How it ended, if it did (stop or suspension).
    pub ended: Option<Ended>,
    /// The steps of its last restarts, newest first (`u64::MAX`: none).
    recent_restarts: [u64; STORM_RESTARTS - 1],
}

impl ActorStatus {
    /// The state to show: [`ActorState::Blocked`] for a running actor with
    /// a parked send.
    pub fn shown_state(&self) -> ActorState {
        if self.state == ActorState::Running && self.parked > 0 {
            ActorState::Blocked
        } else {
            self.state
        }
    }
}

/// Run-wide counters at the cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events applied.
    pub events: u64,
    /// `spawn` events.
    pub spawns: u64,
    /// `send` events.
    pub sends: u64,
    /// `deliver` events.
    pub deliveries: u64,
    /// Injected faults.
    pub faults: u64,
    /// Failures (handlers and hooks).
    pub failures: u64,
    /// Restarts.
    pub restarts: u64,
    /// Actors stopped for good.
    pub stops: u64,
    /// Dead letters.
    pub dead_letters: u64,
    /// Dead letters by reason, in the order of [`DeadLetterReason::ALL`].
    pub dead_by_reason: [u64; DeadLetterReason::ALL.len()],
    /// Deadlocks found.
    pub deadlocks: u64,
    /// Overflow events (a full mailbox's policy acted).
    pub overflows: u64,
}

impl Counts {
    /// Dead letters with `reason`.
    pub fn dead(&self, reason: DeadLetterReason) -> u64 {
        reason_index(reason).map_or(0, |i| self.dead_by_reason[i])
    }
}

fn reason_index(reason: DeadLetterReason) -> Option<usize> {
    DeadLetterReason::ALL.iter().position(|r| *r == reason)
}

/// What a warning is about; the order is the order of severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningKind {
    /// Actors parked on each other's full mailboxes.
    Deadlock,
    /// An escalation reached the root and stopped the system.
    SystemStop,
    /// The run reached one of its limits.
    Limit,
    /// The run was interrupted from outside.
    Interrupted,
    /// A supervisor restarted more than its intensity allows.
    IntensityExceeded,
    /// An actor restarted [`STORM_RESTARTS`] times within [`STORM_WINDOW`] steps.
    RestartStorm,
    /// A supervisor passed a child's failure up.
    Escalation,
    /// A mailbox reached a new high-water mark of [`MAILBOX_WARN_DEPTH`] or more.
    MailboxGrowing,
    /// Messages were not handled, for this reason.
    DeadLetters(DeadLetterReason),
}

impl WarningKind {
    /// A one-column symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            WarningKind::Deadlock | WarningKind::SystemStop | WarningKind::Limit | WarningKind::Interrupted => "✗",
            WarningKind::IntensityExceeded | WarningKind::RestartStorm | WarningKind::Escalation => "↻",
            WarningKind::MailboxGrowing => "▲",
            WarningKind::DeadLetters(_) => "✉",
        }
    }

    /// What it is, in words.
    pub fn label(self) -> String {
        match self {
            WarningKind::Deadlock => "deadlock".into(),
            WarningKind::SystemStop => "system stopped".into(),
            WarningKind::Limit => "limit reached".into(),
            WarningKind::Interrupted => "interrupted".into(),
            WarningKind::IntensityExceeded => "intensity exceeded".into(),
            WarningKind::RestartStorm => "restart storm".into(),
            WarningKind::Escalation => "escalation".into(),
            WarningKind::MailboxGrowing => "mailbox growing".into(),
            WarningKind::DeadLetters(r) => format!("dead letters {r}"),
        }
    }
}

/// A warning: its kind and the actor concerned (if one is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WarningKey {
    /// What.
    pub kind: WarningKind,
    /// Who.
    pub actor: Option<ActorId>,
}

/// How often a warning fired, and where first and last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarningCount {
    /// How many times.
    pub count: u64,
    /// The index of the first event that raised it.
    pub first: usize,
    /// The index of the last.
    pub last: usize,
}

/// The state of the system after some prefix of a trace's events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// How many events are applied (the cursor plus one).
    pub applied: usize,
    /// The step of the last event applied.
    pub step: u64,
    /// The virtual time of the last event applied.
    pub time: u64,
    /// Per actor spawned so far, by spawn index.
    pub actors: Vec<ActorStatus>,
    /// The counters.
    pub counts: Counts,
    /// The warnings, most severe first.
    pub warnings: BTreeMap<WarningKey, WarningCount>,
    /// Why the system stopped, if an escalation reached the root.
    pub system_stopped: Option<String>,
    /// Parked sends: message → (receiver, the sender it parks, if any).
    pub parked: BTreeMap<u64, (ActorId, Option<ActorId>)>,
}

impl Model {
    /// The status of `id`, if it has been spawned.
    pub fn actor(&self, actors: &Actors, id: ActorId) -> Option<&ActorStatus> {
        actors.index_of(id).and_then(|i| self.actors.get(i))
    }

    /// How big the model is, to space checkpoints so that their memory stays
    /// proportional to the trace.
    fn weight(&self) -> usize {
        self.actors.len() + self.warnings.len()
    }

    fn warn(&mut self, kind: WarningKind, actor: Option<ActorId>, at: usize) {
        let w =
            self.warnings.entry(WarningKey { kind, actor }).or_insert(WarningCount { count: 0, first: at, last: at });
        w.count += 1;
        w.last = at;
    }

    fn status_mut(&mut self, actors: &Actors, id: ActorId) -> Option<&mut ActorStatus> {
        let i = actors.index_of(id)?;
        self.actors.get_mut(i)
    }

    /// A parked send is admitted or gone: its receiver waits for one fewer,
    /// its sender is one step nearer unblocked.
    fn unpark(&mut self, actors: &Actors, msg: u64) {
        if let Some((to, from)) = self.parked.remove(&msg) {
            if let Some(s) = self.status_mut(actors, to) {
                s.waiting = s.waiting.saturating_sub(1);
            }
            if let Some(s) = from.and_then(|f| self.status_mut(actors, f)) {
                s.parked = s.parked.saturating_sub(1);
            }
        }
    }

    /// Applies event `at`, whose mailbox depth change is `delta`; `prev` is
    /// the event before it (a `block` overflow right after its own send
    /// parks that send's sender).
    fn apply(&mut self, actors: &Actors, at: usize, ev: &Event, delta: i32, prev: Option<&Event>) {
        self.applied = at + 1;
        self.step = ev.step;
        self.time = ev.time;
        self.counts.events += 1;
        if delta != 0 {
            if let Some(id) = mailbox_actor(&ev.kind) {
                if let Some(s) = self.status_mut(actors, id) {
                    s.depth = s.depth.saturating_add_signed(delta);
                    let new_high = s.depth > s.high_water;
                    if new_high {
                        s.high_water = s.depth;
                    }
                    if new_high && s.depth >= MAILBOX_WARN_DEPTH {
                        self.warn(WarningKind::MailboxGrowing, Some(id), at);
                    }
                }
            }
        }
        match &ev.kind {
            EventKind::Spawn { actor, .. } => {
                self.counts.spawns += 1;
                if let Some(i) = actors.index_of(*actor) {
                    if self.actors.len() <= i {
                        self.actors.resize(i + 1, ActorStatus::default());
                    }
                    let s = &mut self.actors[i];
                    s.state = ActorState::Running;
                    s.recent_restarts = [u64::MAX; STORM_RESTARTS - 1];
                }
            }
            EventKind::Send { .. } => self.counts.sends += 1,
            EventKind::Deliver { actor, .. } => {
                self.counts.deliveries += 1;
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.delivered += 1;
                }
            }
            EventKind::Failure { actor, .. } => {
                self.counts.failures += 1;
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.failures += 1;
                    // Failed: its supervisor's suspension or its stop follows.
                    if s.state == ActorState::Running {
                        s.state = ActorState::Failed;
                    }
                }
            }
            EventKind::Suspend { actor, reason } => {
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.state = ActorState::Restarting;
                    s.ended = Some(Ended::of(reason));
                }
            }
            EventKind::Decision { child, directive: Directive::Resume, .. } => {
                if let Some(s) = self.status_mut(actors, *child) {
                    if s.state == ActorState::Restarting {
                        s.state = ActorState::Running;
                    }
                }
            }
            EventKind::Restart { actor, .. } => {
                self.counts.restarts += 1;
                let step = ev.step;
                let mut storm = false;
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.state = ActorState::Running;
                    s.restarts += 1;
                    storm = s.recent_restarts.iter().all(|&t| t != u64::MAX && step.saturating_sub(t) <= STORM_WINDOW);
                    s.recent_restarts.rotate_right(1);
                    s.recent_restarts[0] = step;
                }
                if storm {
                    self.warn(WarningKind::RestartStorm, Some(*actor), at);
                }
            }
            EventKind::Stop { actor, reason } => {
                self.counts.stops += 1;
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.state = if reason.is_abnormal() { ActorState::Failed } else { ActorState::Stopped };
                    s.ended = Some(Ended::of(reason));
                }
            }
            EventKind::IntensityExceeded { supervisor, .. } => {
                self.warn(WarningKind::IntensityExceeded, Some(*supervisor), at);
            }
            EventKind::Escalate { supervisor, .. } => self.warn(WarningKind::Escalation, Some(*supervisor), at),
            EventKind::SystemStop { reason } => {
                self.system_stopped = Some(reason.clone());
                self.warn(WarningKind::SystemStop, None, at);
            }
            EventKind::Limit { .. } => self.warn(WarningKind::Limit, None, at),
            EventKind::Interrupted {} => self.warn(WarningKind::Interrupted, None, at),
            EventKind::Deadlock { actors: cycle } => {
                self.counts.deadlocks += 1;
                self.warn(WarningKind::Deadlock, cycle.first().copied(), at);
            }
            EventKind::Overflow { actor, msg, policy: Overflow::Block, .. } => {
                self.counts.overflows += 1;
                let sender = match prev.map(|p| &p.kind) {
                    Some(EventKind::Send { msg: m, from, .. }) if m == msg => *from,
                    _ => None,
                };
                self.parked.insert(msg.0, (*actor, sender));
                if let Some(s) = self.status_mut(actors, *actor) {
                    s.waiting += 1;
                }
                if let Some(s) = sender.and_then(|p| self.status_mut(actors, p)) {
                    s.parked += 1;
                }
            }
            EventKind::Admitted { msg, .. } => self.unpark(actors, msg.0),
            EventKind::Overflow { actor, policy, .. } => {
                self.counts.overflows += 1;
                if *policy != Overflow::Block {
                    if let Some(s) = self.status_mut(actors, *actor) {
                        s.drops += 1;
                    }
                }
            }
            EventKind::Fault { .. } => self.counts.faults += 1,
            EventKind::DeadLetter { to, reason, msg, .. } => {
                self.unpark(actors, msg.0);
                self.counts.dead_letters += 1;
                if let Some(i) = reason_index(*reason) {
                    self.counts.dead_by_reason[i] += 1;
                }
                if matches!(
                    reason,
                    DeadLetterReason::BlockTimeout
                        | DeadLetterReason::Deadlock
                        | DeadLetterReason::InjectedDrop
                        | DeadLetterReason::Partitioned
                ) {
                    if let Some(s) = self.status_mut(actors, *to) {
                        s.drops += 1;
                    }
                }
                self.warn(WarningKind::DeadLetters(*reason), None, at);
            }
            _ => {}
        }
    }
}

/// The actor whose mailbox an event may change.
pub fn mailbox_actor(kind: &EventKind) -> Option<ActorId> {
    match kind {
        EventKind::Send { to, .. } | EventKind::DeadLetter { to, .. } => Some(*to),
        EventKind::Deliver { actor, .. }
        | EventKind::Overflow { actor, .. }
        | EventKind::Admitted { actor, .. }
        | EventKind::Stop { actor, .. } => Some(*actor),
        _ => None,
    }
}

// ===== mailbox depth =====

/// Tracks which messages sit in a mailbox, to tell how each event changes
/// a depth, the way the engine counts it:
///
/// - a send queues its message (+1), unless the mailbox is full: then an
///   `overflow` of the same message follows at once, and the message never
///   enters (policies `drop_newest`, `reject`, `fail`; `block` parks it
///   until `admitted`, +1), or it enters in place of the oldest one
///   (`drop_oldest`: the evicted message's dead letter then changes nothing);
/// - a delivery pops before it lets parked sends in, and its `admitted`
///   events come before its `deliver`: the pops are counted at the first
///   admission, so the high-water mark matches the engine's;
/// - a delivery, or a dead letter of a queued message, takes it out (-1);
/// - an overflow of a message already counted (one that was delayed in
///   flight and lands on a full mailbox) takes it out;
/// - whatever a stopped actor still holds goes with it.
#[derive(Default)]
struct Mailboxes {
    /// Queued message → its mailbox's owner.
    queued: HashMap<u64, u64>,
    /// Owner → how many of `queued` are its.
    per_actor: HashMap<u64, u32>,
    /// Owner → messages that replaced an evicted one and whose eviction's
    /// dead letter has not come yet.
    evicting: HashMap<u64, u32>,
    /// Messages a delivery pops as soon as they are admitted.
    popping: HashSet<u64>,
}

impl Mailboxes {
    fn put(&mut self, msg: u64, actor: u64) -> i32 {
        if self.queued.insert(msg, actor).is_some() {
            return 0;
        }
        *self.per_actor.entry(actor).or_default() += 1;
        1
    }

    fn take(&mut self, msg: u64) -> i32 {
        match self.queued.remove(&msg) {
            Some(actor) => {
                if let Some(n) = self.per_actor.get_mut(&actor) {
                    *n = n.saturating_sub(1);
                }
                -1
            }
            None => 0,
        }
    }

    /// The messages taken out of `actor`'s mailbox by the delivery that
    /// follows the `admitted` events from `i` on: the engine pops them
    /// first, then lets parked sends in, then records the delivery.
    fn popped_after_admissions(events: &[Event], i: usize, actor: ActorId) -> Vec<u64> {
        let mut j = i;
        while matches!(events.get(j).map(|e| &e.kind), Some(EventKind::Admitted { actor: a, .. }) if *a == actor) {
            j += 1;
        }
        let size = match events.get(j).map(|e| &e.kind) {
            Some(EventKind::Batch { actor: a, size }) if *a == actor => {
                j += 1;
                *size as usize
            }
            _ => 1,
        };
        events[j.min(events.len())..]
            .iter()
            .take(size)
            .map_while(|e| match &e.kind {
                EventKind::Deliver { msg, actor: a, .. } if *a == actor => Some(msg.0),
                _ => None,
            })
            .collect()
    }

    /// How event `i` changes its mailbox's depth.
    fn delta(&mut self, events: &[Event], i: usize) -> i32 {
        let kind = &events[i].kind;
        let next = events.get(i + 1).map(|e| &e.kind);
        match kind {
            EventKind::Send { msg, to, .. } => match next {
                Some(EventKind::Overflow { msg: m, policy, .. }) if m == msg => {
                    if *policy == Overflow::DropOldest {
                        self.put(msg.0, to.0);
                        *self.evicting.entry(to.0).or_default() += 1;
                    }
                    0
                }
                _ => self.put(msg.0, to.0),
            },
            EventKind::Admitted { msg, actor } => {
                let first =
                    i == 0 || !matches!(&events[i - 1].kind, EventKind::Admitted { actor: a, .. } if a == actor);
                let mut delta = 0;
                if first {
                    // The delivery's pops came first; count them first, so
                    // the high-water mark never sees the mailbox over-full.
                    // A message admitted and popped in the same delivery
                    // (a batch) never counts.
                    self.popping.clear();
                    for m in Self::popped_after_admissions(events, i, *actor) {
                        match self.take(m) {
                            0 => {
                                self.popping.insert(m);
                            }
                            d => delta += d,
                        }
                    }
                }
                if self.popping.remove(&msg.0) {
                    delta
                } else {
                    delta + self.put(msg.0, actor.0)
                }
            }
            EventKind::DeadLetter { msg, to, reason: DeadLetterReason::DropOldest, .. }
                if self.evicting.get(&to.0).is_some_and(|n| *n > 0) =>
            {
                if let Some(n) = self.evicting.get_mut(&to.0) {
                    *n -= 1;
                }
                self.take(msg.0);
                0
            }
            EventKind::Deliver { msg, .. } | EventKind::DeadLetter { msg, .. } => self.take(msg.0),
            EventKind::Overflow { msg, policy, .. } if *policy != Overflow::DropOldest => self.take(msg.0),
            EventKind::Stop { actor, .. } => {
                self.evicting.remove(&actor.0);
                let left = self.per_actor.remove(&actor.0).unwrap_or(0);
                if left > 0 {
                    self.queued.retain(|_, a| *a != actor.0);
                }
                -i32::try_from(left).unwrap_or(i32::MAX)
            }
            _ => 0,
        }
    }
}

// ===== the timeline =====

/// A trace with everything needed to show the system at any event.
///
/// A timeline can grow: a live run [`extend`](Timeline::extend)s it with
/// each step's events, and everything (actors, depths, checkpoints) is
/// worked out the same way as for a recorded trace read at once, so a live
/// run and its recording show the same at every event.
pub struct Timeline {
    trace: Trace,
    actors: Actors,
    /// Per event: how it changes its [`mailbox_actor`]'s depth.
    deltas: Vec<i32>,
    /// Models at increasing `applied`, the first with none applied.
    checkpoints: Vec<Model>,
    /// The messages in each mailbox after the last event.
    boxes: Mailboxes,
    /// The model after the last event.
    tip: Model,
    /// Per actor (by spawn index): each change of its mailbox's depth, as
    /// (event index, depth after it), for the depth-over-time sparklines.
    history: Vec<Vec<(u32, u32)>>,
    /// Every `send` as (message id, event index), sorted: where a delivered
    /// message was sent, found by a binary search rather than a scan back.
    sends: Vec<(u64, u32)>,
}

impl Timeline {
    /// Reads the trace once. A checkpoint is kept every [`CHECKPOINT_EVERY`]
    /// events, or every as many events as the model has actors and warnings
    /// if that is more: checkpoint memory stays proportional to the trace
    /// even with a million actors.
    pub fn new(mut trace: Trace) -> Self {
        let events = std::mem::take(&mut trace.events);
        let mut tl = Timeline {
            trace,
            actors: Actors::default(),
            deltas: Vec::with_capacity(events.len()),
            checkpoints: vec![Model::default()],
            boxes: Mailboxes::default(),
            tip: Model::default(),
            history: Vec::new(),
            sends: Vec::new(),
        };
        tl.extend(events);
        tl
    }

    /// Appends `events` (the events of whole steps, or of whatever a driver
    /// did between steps: an `overflow` always follows its `send` in the
    /// same batch) and works them in.
    pub fn extend(&mut self, events: Vec<Event>) {
        let from = self.trace.events.len();
        if self.trace.events.is_empty() {
            self.trace.events = events;
        } else {
            self.trace.events.extend(events);
        }
        let events = &self.trace.events;
        let mut spawned = false;
        for (i, ev) in events.iter().enumerate().skip(from) {
            match &ev.kind {
                EventKind::Spawn { .. } => {
                    self.actors.spawn(&ev.kind, i);
                    spawned = true;
                }
                EventKind::Decision { supervisor, .. }
                | EventKind::IntensityExceeded { supervisor, .. }
                | EventKind::Escalate { supervisor, .. } => self.actors.mark_supervisor(*supervisor),
                _ => {}
            }
            let delta = self.boxes.delta(events, i);
            self.deltas.push(delta);
            self.tip.apply(&self.actors, i, ev, delta, i.checked_sub(1).map(|p| &events[p]));
            if let EventKind::Send { msg, .. } = &ev.kind {
                // Ids grow with each send, so this almost always appends.
                let key = (msg.0, u32::try_from(i).unwrap_or(u32::MAX));
                match self.sends.last() {
                    Some(last) if *last > key => {
                        let at = self.sends.partition_point(|s| *s < key);
                        self.sends.insert(at, key);
                    }
                    _ => self.sends.push(key),
                }
            }
            if delta != 0 {
                if let Some(a) = mailbox_actor(&ev.kind).and_then(|id| self.actors.index_of(id)) {
                    if self.history.len() <= a {
                        self.history.resize_with(a + 1, Vec::new);
                    }
                    let depth = self.tip.actors.get(a).map_or(0, |s| s.depth);
                    self.history[a].push((u32::try_from(i).unwrap_or(u32::MAX), depth));
                }
            }
            let since = self.tip.applied - self.checkpoints.last().map_or(0, |c| c.applied);
            if since >= CHECKPOINT_EVERY.max(self.tip.weight()) {
                self.checkpoints.push(self.tip.clone());
            }
        }
        if spawned {
            self.actors.finish();
        }
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The events.
    pub fn events(&self) -> &[Event] {
        &self.trace.events
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.trace.events.len()
    }

    /// Returns true if the trace holds no event.
    pub fn is_empty(&self) -> bool {
        self.trace.events.is_empty()
    }

    /// The actors.
    pub fn actors(&self) -> &Actors {
        &self.actors
    }

    /// How many checkpoints are kept (the empty model included).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// The step of the last event (the run's length in deliveries).
    pub fn last_step(&self) -> u64 {
        self.trace.events.last().map_or(0, |e| e.step)
    }

    /// Moves `model` to the state after the first `applied` events (at most
    /// all of them): onward from where it is if that is nearer than every
    /// checkpoint, else from the nearest checkpoint at or before. Returns how
    /// many events it folded.
    pub fn seek(&self, model: &mut Model, applied: usize) -> usize {
        let target = applied.min(self.len());
        let cp = self.checkpoint_at(target);
        if !(model.applied <= target && model.applied >= cp.applied) {
            model.clone_from(cp);
        }
        let from = model.applied;
        for i in from..target {
            let prev = i.checked_sub(1).map(|p| &self.trace.events[p]);
            model.apply(&self.actors, i, &self.trace.events[i], self.deltas[i], prev);
        }
        target - from
    }

    /// The depth of actor `actor`'s mailbox (a spawn index) over the first
    /// `applied` events, in `buckets` equal stretches: the deepest it was in
    /// each (what a sparkline draws).
    pub fn depth_series(&self, actor: usize, applied: usize, buckets: usize) -> Vec<u32> {
        let changes = self.history.get(actor).map_or(&[][..], |h| &h[..]);
        let applied = applied.min(self.len());
        (0..buckets)
            .map(|b| {
                let lo = b * applied / buckets;
                let hi = ((b + 1) * applied / buckets).max(lo + 1).min(applied.max(1));
                let p = changes.partition_point(|c| (c.0 as usize) < lo);
                let at_start = if p > 0 { changes[p - 1].1 } else { 0 };
                changes[p..].iter().take_while(|c| (c.0 as usize) < hi).fold(at_start, |m, c| m.max(c.1))
            })
            .collect()
    }

    /// How event `i` changed its mailbox's depth ([`mailbox_actor`]).
    pub fn delta(&self, i: usize) -> i32 {
        self.deltas.get(i).copied().unwrap_or(0)
    }

    /// The number of events applied in the nearest checkpoint at or before
    /// `applied` events: folding from there is cheap.
    pub fn checkpoint_before(&self, applied: usize) -> usize {
        self.checkpoint_at(applied).applied
    }

    /// The nearest checkpoint at or before `applied` events.
    fn checkpoint_at(&self, applied: usize) -> &Model {
        let at = self.checkpoints.partition_point(|c| c.applied <= applied).saturating_sub(1);
        &self.checkpoints[at]
    }

    /// The model after the first `applied` events.
    pub fn model_at(&self, applied: usize) -> Model {
        let mut m = Model::default();
        self.seek(&mut m, applied);
        m
    }

    /// The index of the last event of step `step`, or of the last step
    /// before it that has events; `None` for an empty trace.
    pub fn end_of_step(&self, step: u64) -> Option<usize> {
        let n = self.trace.events.partition_point(|e| e.step <= step);
        match n {
            0 if self.is_empty() => None,
            0 => Some(0),
            n => Some(n - 1),
        }
    }

    /// The index of the first event of step `step`, if the step has events.
    pub fn start_of_step(&self, step: u64) -> Option<usize> {
        let i = self.trace.events.partition_point(|e| e.step < step);
        self.trace.events.get(i).filter(|e| e.step == step).map(|_| i)
    }

    /// What caused event `i`: for a delivery, the send of its message; for
    /// anything else with a cause, the delivery (or batch) of the step that
    /// caused it. `None` when the cause is outside the system.
    pub fn cause_of(&self, i: usize) -> Option<usize> {
        let events = &self.trace.events;
        let ev = events.get(i)?;
        if let EventKind::Deliver { msg, .. } | EventKind::Admitted { msg, .. } = &ev.kind {
            // The last send of that message before `i`.
            let before = u32::try_from(i).unwrap_or(u32::MAX);
            let at = self.sends.partition_point(|s| *s < (msg.0, before));
            if let Some(&(m, sent)) = at.checked_sub(1).and_then(|k| self.sends.get(k)) {
                if m == msg.0 {
                    return Some(sent as usize);
                }
            }
        }
        let step = ev.cause?;
        let start = self.start_of_step(step)?;
        events[start..]
            .iter()
            .take_while(|e| e.step == step)
            .position(|e| matches!(e.kind, EventKind::Deliver { .. } | EventKind::Batch { .. }))
            .map(|p| start + p)
    }

    /// The causal chain of event `i`: `i` itself, then its cause, the
    /// cause's cause, and so on back to the outside, following
    /// [`cause_of`](Timeline::cause_of) for at most `max_links` links (and
    /// never around a loop). Empty if there is no event `i`.
    pub fn causal_chain(&self, i: usize, max_links: usize) -> Vec<usize> {
        if i >= self.len() {
            return Vec::new();
        }
        let mut chain = vec![i];
        let mut at = i;
        while chain.len() <= max_links {
            match self.cause_of(at) {
                Some(c) if !chain.contains(&c) => {
                    chain.push(c);
                    at = c;
                }
                _ => break,
            }
        }
        chain
    }

    /// The events in `range` that event `i` directly caused: those whose
    /// [`cause_of`](Timeline::cause_of) is `i` (a send's delivery; the events
    /// of the step a delivery started). Only candidates are checked, so the
    /// cost is that of a scan of `range`.
    pub fn effects_in(&self, i: usize, range: std::ops::Range<usize>) -> Vec<usize> {
        let events = &self.trace.events;
        let Some(ev) = events.get(i) else { return Vec::new() };
        let range = range.start.max(i + 1)..range.end.min(events.len());
        let candidate = |e: &Event| match &ev.kind {
            EventKind::Send { msg, .. } => {
                matches!(&e.kind, EventKind::Deliver { msg: m, .. } | EventKind::Admitted { msg: m, .. } if m == msg)
            }
            EventKind::Deliver { .. } | EventKind::Batch { .. } => e.cause == Some(ev.step),
            _ => false,
        };
        range.filter(|&j| candidate(&events[j]) && self.cause_of(j) == Some(i)).collect()
    }

    /// The next (`forward`) or previous delivery to `actor` strictly after
    /// or before event `from`.
    pub fn delivery_to(&self, actor: ActorId, from: usize, forward: bool) -> Option<usize> {
        let events = &self.trace.events;
        let is = |e: &Event| matches!(e.kind, EventKind::Deliver { actor: a, .. } if a == actor);
        if forward {
            let start = from.saturating_add(1).min(events.len());
            events[start..].iter().position(is).map(|p| start + p)
        } else {
            events[..from.min(events.len())].iter().rposition(is)
        }
    }
}

#[cfg(test)]
mod tests {
    use rehearsal::trace::TraceFooter;
    use rehearsal::{MsgId, TraceLevel};

    use super::*;
    use crate::tui::fixture;

    /// The model after `applied` events, folded from the start with no checkpoint.
    fn fold_from_start(tl: &Timeline, applied: usize) -> Model {
        let mut m = Model::default();
        for i in 0..applied {
            m.apply(&tl.actors, i, &tl.trace.events[i], tl.deltas[i], i.checked_sub(1).map(|p| &tl.trace.events[p]));
        }
        m
    }

    fn ev(step: u64, kind: EventKind) -> Event {
        Event { step, time: 0, cause: None, kind }
    }

    /// A synthetic trace of `n` events: two actors, then sends, deliveries
    /// and dones in turn, a few messages always queued.
    fn synthetic(n: usize) -> Trace {
        let (a, b) = (ActorId(1), ActorId(2));
        let mut events = Vec::with_capacity(n);
        events.push(ev(
            0,
            EventKind::Spawn {
                actor: a,
                parent: None,
                name: "a".into(),
                type_name: "A".into(),
                mailbox: None,
                strategy: None,
            },
        ));
        events.push(ev(
            0,
            EventKind::Spawn {
                actor: b,
                parent: Some(a),
                name: "b".into(),
                type_name: "B".into(),
                mailbox: None,
                strategy: None,
            },
        ));
        let (mut sent, mut delivered, mut step) = (0u64, 0u64, 0u64);
        while events.len() < n {
            let to = if sent % 2 == 0 { b } else { a };
            sent += 1;
            events.push(ev(
                step,
                EventKind::Send { msg: MsgId(sent), from: None, to, what: MsgKind::User, payload: None },
            ));
            if sent > 3 && events.len() + 1 < n {
                delivered += 1;
                step += 1;
                let actor = if delivered % 2 == 1 { b } else { a };
                events.push(ev(step, EventKind::Deliver { msg: MsgId(delivered), actor, from: None }));
                events.push(ev(step, EventKind::Done { actor, msg: MsgId(delivered) }));
            }
        }
        events.truncate(n);
        let header =
            rehearsal::System::new(rehearsal::Config::seeded(0).scenario("synthetic", serde_json::json!({}))).header();
        let footer = TraceFooter { events: n as u64, hash: String::new() };
        Trace { header, events, footer }
    }

    use rehearsal::trace::MsgKind;

    #[test]
    fn mailbox_depths_match_the_engine_at_every_step() {
        let mut s = fixture::sample_in_memory();
        let mut points = Vec::new();
        loop {
            let at = s.sys.events_len();
            let boxes: Vec<_> = [s.sink, s.collector, s.temp]
                .iter()
                .map(|a| s.sys.mailbox(*a))
                .chain([s.worker, s.other].iter().map(|a| s.sys.mailbox(*a)))
                .collect();
            points.push((at, boxes));
            match s.sys.step() {
                rehearsal::Step::Delivered(_) | rehearsal::Step::Advanced(_) => {}
                _ => break,
            }
        }
        let events: Vec<Event> = s.sys.events().cloned().collect();
        // The same run written to a file and read back is the same, event for event.
        assert_eq!(fixture::sample_trace().events, events);
        let trace = Trace { header: s.sys.header(), events, footer: TraceFooter { events: 0, hash: String::new() } };
        let tl = Timeline::new(trace.clone());
        let names = ["sink", "collector", "temp", "worker-1", "worker-2"];
        for (at, boxes) in points {
            let m = tl.model_at(at);
            for (name, stats) in names.iter().zip(boxes) {
                let Some(stats) = stats else { continue };
                let i = tl.actors().iter().position(|a| a.name == *name).unwrap();
                let st = &m.actors[i];
                assert_eq!(
                    (st.depth, st.high_water, st.drops),
                    (stats.depth, stats.high_water, stats.drops),
                    "{name} after {at} events"
                );
            }
        }
    }

    #[test]
    fn counts_match_the_engine_at_the_end() {
        let (trace, stats) = fixture::sample_trace_and_stats();
        let tl = Timeline::new(trace.clone());
        let m = tl.model_at(tl.len());
        assert_eq!(m.counts.sends, stats.sent);
        assert_eq!(m.counts.failures, stats.failures);
        assert_eq!(m.counts.dead_letters, stats.dead_letters);
        for r in DeadLetterReason::ALL {
            assert_eq!(m.counts.dead(r), stats.dead(r), "{r}");
        }
        assert_eq!(m.counts.spawns, stats.spawned);
        assert_eq!(m.counts.stops, stats.stopped);
        assert_eq!(m.counts.restarts, 3);
        assert_eq!(m.applied, tl.len());
        assert_eq!(m.step, 27);
    }

    #[test]
    fn actors_states_and_the_tree() {
        let trace = fixture::sample_trace();
        let tl = Timeline::new(trace.clone());
        let actors = tl.actors();
        let names: Vec<(&str, usize)> = actors
            .tree_order()
            .iter()
            .map(|&i| (actors.get(i).unwrap().name.as_str(), actors.get(i).unwrap().level))
            .collect();
        assert_eq!(
            names,
            [
                ("sink", 0),
                ("collector", 0),
                ("producer", 0),
                ("sup", 0),
                ("worker-1", 1),
                ("worker-2", 1),
                ("client", 0),
                ("temp", 0)
            ]
        );
        let sup = actors.iter().find(|a| a.name == "sup").unwrap();
        assert!(sup.supervisor && sup.type_name == "Supervisor");
        let worker = actors.iter().find(|a| a.name == "worker-1").unwrap().id;
        let temp = actors.iter().find(|a| a.name == "temp").unwrap().id;
        // Before anything: nothing spawned.
        assert!(tl.model_at(0).actors.is_empty());
        // Step 12 ends with worker-1 suspended after its first failure.
        let m = tl.model_at(tl.end_of_step(12).unwrap() + 1);
        let w = m.actor(actors, worker).unwrap();
        assert_eq!((w.state, w.failures, w.restarts, w.ended), (ActorState::Restarting, 1, 0, Some(Ended::Failed)));
        // Step 15 restarts it.
        let m = tl.model_at(tl.end_of_step(15).unwrap() + 1);
        assert_eq!(m.actor(actors, worker).unwrap().state, ActorState::Running);
        assert_eq!(m.actor(actors, worker).unwrap().restarts, 1);
        // At the end: three restarts, temp stopped by its poison pill.
        let m = tl.model_at(tl.len());
        assert_eq!(m.actor(actors, worker).unwrap().restarts, 3);
        let t = m.actor(actors, temp).unwrap();
        assert_eq!((t.state, t.ended, t.depth), (ActorState::Stopped, Some(Ended::Normal), 0));
    }

    #[test]
    fn warnings_with_counts() {
        let trace = fixture::sample_trace();
        let tl = Timeline::new(trace.clone());
        let actors = tl.actors();
        let id = |n: &str| actors.iter().find(|a| a.name == n).unwrap().id;
        let m = tl.model_at(tl.len());
        let count = |kind, actor| m.warnings.get(&WarningKey { kind, actor }).map(|w| w.count);
        assert_eq!(count(WarningKind::RestartStorm, Some(id("worker-1"))), Some(1));
        // 8, 9 and 10 messages deep: three new highs at or above the threshold.
        assert_eq!(count(WarningKind::MailboxGrowing, Some(id("collector"))), Some(3));
        assert_eq!(count(WarningKind::DeadLetters(DeadLetterReason::DropNewest), None), Some(3));
        assert_eq!(count(WarningKind::DeadLetters(DeadLetterReason::Failed), None), Some(3));
        assert_eq!(count(WarningKind::DeadLetters(DeadLetterReason::PendingAtStop), None), Some(1));
        assert_eq!(m.warnings.len(), 5);
        // Most severe first.
        assert_eq!(m.warnings.keys().next().unwrap().kind, WarningKind::RestartStorm);
        let storm = m.warnings[&WarningKey { kind: WarningKind::RestartStorm, actor: Some(id("worker-1")) }];
        assert_eq!(trace.events[storm.first].kind.name(), "restart");
    }

    #[test]
    fn seeking_anywhere_folds_from_the_nearest_checkpoint() {
        let trace = fixture::ping_pong_trace(20_000);
        let tl = Timeline::new(trace.clone());
        assert!(tl.len() > 100_000, "{}", tl.len());
        assert!(tl.checkpoints() >= tl.len() / CHECKPOINT_EVERY);
        let mut m = Model::default();
        // A fixed walk of jumps, forward and back.
        let mut x: u64 = 12345;
        for _ in 0..40 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let target = (x >> 33) as usize % (tl.len() + 1);
            let folded = tl.seek(&mut m, target);
            assert!(folded < CHECKPOINT_EVERY, "folded {folded} events to reach {target}");
            assert_eq!(m.applied, target);
        }
        // The result is the same as folding from the start.
        for target in [0, 1, 4095, 4096, 4097, tl.len() / 2, tl.len() - 1, tl.len()] {
            tl.seek(&mut m, target);
            assert_eq!(m, fold_from_start(&tl, target), "at {target}");
        }
        // Stepping one event on folds one event.
        tl.seek(&mut m, 5000);
        assert_eq!(tl.seek(&mut m, 5001), 1);
    }

    #[test]
    fn a_million_events_jump_cheaply() {
        let trace = synthetic(1_000_000);
        let tl = Timeline::new(trace.clone());
        assert_eq!(tl.len(), 1_000_000);
        assert!(tl.checkpoints() > 200);
        let mut m = Model::default();
        for target in [999_999, 3, 500_000, 1_000_000, 250_123, 250_122] {
            let folded = tl.seek(&mut m, target);
            assert!(folded < CHECKPOINT_EVERY, "folded {folded} events to reach {target}");
        }
        let b = tl.actors().index_of(ActorId(2)).unwrap();
        let end = tl.model_at(tl.len());
        // Sends run three ahead of deliveries, split between the two actors.
        assert!(end.actors[b].depth >= 1 && end.actors[b].depth <= 3, "{:?}", end.actors[b]);
    }

    #[test]
    fn checkpoints_space_out_with_many_actors() {
        // 20,000 spawns: a checkpoint holds every actor, so they come no
        // more often than every as many events as there are actors.
        let mut events = Vec::new();
        for i in 1..=20_000u64 {
            events.push(ev(
                0,
                EventKind::Spawn {
                    actor: ActorId(i),
                    parent: None,
                    name: "x".into(),
                    type_name: "X".into(),
                    mailbox: None,
                    strategy: None,
                },
            ));
        }
        let trace = Trace { events, ..synthetic(0) };
        let tl = Timeline::new(trace.clone());
        assert!(tl.checkpoints() <= 1 + 20_000 / CHECKPOINT_EVERY, "{}", tl.checkpoints());
    }

    #[test]
    fn steps_and_causes() {
        let trace = fixture::sample_trace();
        let tl = Timeline::new(trace.clone());
        assert_eq!(tl.last_step(), 27);
        assert_eq!(tl.end_of_step(0), Some(12));
        assert_eq!(tl.end_of_step(12), Some(70));
        assert_eq!(tl.end_of_step(1000), Some(112));
        assert_eq!(tl.start_of_step(12), Some(66));
        assert_eq!(tl.start_of_step(1000), None);
        // A delivery's cause is its send; a send's is the delivery that made it.
        assert_eq!(tl.cause_of(56), Some(14));
        assert_eq!(tl.cause_of(14), Some(13));
        // The message delivered at 13 came from outside.
        assert_eq!(tl.cause_of(13), Some(9));
        assert_eq!(tl.cause_of(9), None);
        // The chain follows causes back to the outside, the event first.
        assert_eq!(tl.causal_chain(56, 64), [56, 14, 13, 9]);
        assert_eq!(tl.causal_chain(56, 2), [56, 14, 13]);
        assert_eq!(tl.causal_chain(9, 64), [9]);
        assert_eq!(tl.causal_chain(tl.len(), 64), Vec::<usize>::new());
        // Every link is the cause of the one before.
        for i in 0..tl.len() {
            let chain = tl.causal_chain(i, 64);
            assert!(chain.windows(2).all(|w| tl.cause_of(w[0]) == Some(w[1])), "{i}: {chain:?}");
        }
        // A send's effect is its delivery; a delivery's, what its step did.
        assert_eq!(tl.effects_in(14, 0..tl.len()), [56]);
        assert_eq!(tl.effects_in(14, 0..56), Vec::<usize>::new());
        let by_13 = tl.effects_in(13, 0..tl.len());
        assert!(by_13.contains(&14), "{by_13:?}");
        assert!(by_13.iter().all(|&j| tl.cause_of(j) == Some(13)), "{by_13:?}");
        assert_eq!(tl.effects_in(9, 0..tl.len()), [13]);
        let worker = tl.actors().iter().find(|a| a.name == "worker-1").unwrap().id;
        assert_eq!(tl.delivery_to(worker, 0, true), Some(56));
        assert_eq!(tl.delivery_to(worker, 56, true), Some(66));
        assert_eq!(tl.delivery_to(worker, 66, false), Some(56));
        assert_eq!(tl.delivery_to(worker, 56, false), None);
        assert_eq!(tl.delivery_to(worker, 111, true), None);
    }

    #[test]
    fn a_delivery_s_cause_is_the_last_send_of_its_message_before_it() {
        // Timers and delays send ids out of order; a duplicate fault sends one twice.
        let mut traces = vec![fixture::sample_trace()];
        for name in ["supervision", "orders", "greeter"] {
            let s = rehearsal_scenarios::find(name).unwrap();
            let params = rehearsal_scenarios::Params::resolve(s, &[]).unwrap();
            let mut sys = rehearsal::System::new(rehearsal::Config::seeded(4).scenario(name, params.to_json()));
            s.run(&mut sys).unwrap();
            let events: Vec<Event> = sys.events().cloned().collect();
            traces.push(Trace { header: sys.header(), events, footer: TraceFooter { events: 0, hash: String::new() } });
        }
        for t in traces {
            let tl = Timeline::new(t.clone());
            for (i, ev) in t.events.iter().enumerate() {
                if let EventKind::Deliver { msg, .. } | EventKind::Admitted { msg, .. } = &ev.kind {
                    let brute = t.events[..i]
                        .iter()
                        .rposition(|e| matches!(&e.kind, EventKind::Send { msg: m, .. } if m == msg));
                    if brute.is_some() {
                        assert_eq!(tl.cause_of(i), brute, "{} event {i}", t.header.scenario);
                    }
                }
            }
        }
    }

    #[test]
    fn depth_series_follow_the_model() {
        let trace = fixture::sample_trace();
        let tl = Timeline::new(trace.clone());
        let collector = tl.actors().iter().position(|a| a.name == "collector").unwrap();
        for applied in [0, 1, 30, 70, tl.len()] {
            // One bucket per event: the deeper of before and after it.
            let depth = |applied: usize| tl.model_at(applied).actors.get(collector).map_or(0, |s| s.depth);
            let series = tl.depth_series(collector, applied, applied.max(1));
            for (i, d) in series.iter().enumerate().take(applied) {
                assert_eq!(*d, depth(i).max(depth(i + 1)), "event {i}");
            }
            // Fewer buckets: each the deepest of its stretch.
            let coarse = tl.depth_series(collector, applied, 7);
            assert_eq!(coarse.len(), 7);
            let max = (0..applied).map(|i| tl.model_at(i + 1).actors.get(collector).map_or(0, |s| s.depth)).max();
            assert_eq!(coarse.iter().copied().max().filter(|_| applied > 0), max);
        }
        // The high-water mark at the end is the series' peak.
        let end = tl.model_at(tl.len());
        assert_eq!(tl.depth_series(collector, tl.len(), 20).into_iter().max(), Some(end.actors[collector].high_water));
    }

    #[test]
    fn blocked_senders_and_waiting_sends_match_the_engine() {
        use rehearsal::{Config, System};
        // Kills and crashes of the supervised consumer (its parked sends get
        // in when it exits), delays, and a mailbox shrunk under the sends.
        let plan = rehearsal::faults::FaultPlan::from_toml_str(
            r#"
            [[rule]]
            name = "crash"
            actors = "consumer*"
            probability = 0.05
            action = "crash"
            [[rule]]
            name = "kill"
            actors = "consumer*"
            probability = 0.03
            action = "kill"
            [[rule]]
            name = "late"
            actors = "*"
            probability = 0.05
            action = "delay"
            delay = [1, 5]
            [[rule]]
            name = "shrink"
            actors = "consumer*"
            at_message = 20
            action = "shrink_mailbox"
            capacity = 3
            "#,
            "plan.toml",
        )
        .unwrap();
        for (seed, faults) in (0..6).map(|s| (s, None)).chain((0..12).map(|s| (s, Some(plan.clone())))) {
            let s = rehearsal_scenarios::find("backpressure").unwrap();
            let params = rehearsal_scenarios::Params::resolve(s, &[("policy", "block")]).unwrap();
            let mut cfg = Config::seeded(seed).scenario("backpressure", params.to_json());
            cfg.faults = faults;
            let mut sys = System::new(cfg);
            // Record what the engine says before every step.
            let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let log = seen.clone();
            sys.observe(move |sys| {
                log.borrow_mut().push((sys.events_len(), sys.blocked()));
                rehearsal::Observed::Continue
            });
            s.run(&mut sys).unwrap();
            let events: Vec<Event> = sys.events().cloned().collect();
            let trace = Trace { header: sys.header(), events, footer: TraceFooter { events: 0, hash: String::new() } };
            let tl = Timeline::new(trace);
            let mut blocked_somewhere = false;
            for (at, blocked) in seen.borrow().iter() {
                let m = tl.model_at(*at);
                let mut shown: Vec<ActorId> = tl
                    .actors()
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| m.actors.get(*i).is_some_and(|s| s.parked > 0))
                    .map(|(_, a)| a.id)
                    .collect();
                shown.sort();
                let mut engine = blocked.clone();
                engine.sort();
                assert_eq!(shown, engine, "seed {seed}, after {at} events");
                blocked_somewhere |= !engine.is_empty();
                let waiting: u32 = m.actors.iter().map(|s| s.waiting).sum();
                assert!(waiting as usize >= engine.len(), "seed {seed}: every blocked sender's send waits");
                assert_eq!(waiting as usize, m.parked.len());
            }
            assert!(blocked_somewhere, "seed {seed}: the producer never blocked");
        }
    }

    #[test]
    fn bounded_mailboxes_match_the_engine() {
        use rehearsal::{Config, MailboxConfig, System};
        let policies = [Overflow::DropOldest, Overflow::DropNewest, Overflow::Reject, Overflow::Block];
        for (policy, batch) in policies.iter().flat_map(|p| [(*p, 1), (*p, 3)]) {
            let mut sys = System::new(Config::seeded(3).trace(TraceLevel::Events));
            let sink = sys.spawn_with("sink", fixture::Sink, MailboxConfig::bounded(2, policy).batch(batch));
            let collector = sys.spawn("collector", fixture::Sink);
            // From outside, then from an actor (which a blocking mailbox parks).
            for n in 0..5 {
                sys.send(sink, n);
            }
            let producer = sys.spawn("producer", fixture::Producer { sink, collector });
            sys.send(producer, 6);
            let mut points = vec![(sys.events_len(), sys.mailbox(sink).unwrap())];
            while let rehearsal::Step::Delivered(_) = sys.step() {
                points.push((sys.events_len(), sys.mailbox(sink).unwrap()));
            }
            let events: Vec<Event> = sys.events().cloned().collect();
            let trace = Trace { events, ..synthetic(0) };
            let tl = Timeline::new(trace.clone());
            for (at, stats) in points {
                let st = tl.model_at(at).actors[0].clone();
                let engine = (stats.depth, stats.high_water, stats.drops);
                assert_eq!((st.depth, st.high_water, st.drops), engine, "{policy:?} batch {batch} after {at} events");
            }
        }
    }
}
