//! Supervision trees: child specs, strategies, restart intensity, deciders,
//! backoff (SPEC section 3).
//!
//! A supervisor is an actor the engine runs itself. It starts its children
//! from their specs in order; when one fails (a panic, an error return, an
//! injected crash) the child is suspended with its mailbox kept, and a
//! notification goes to the supervisor, queued like any message (SPEC rule
//! 4). When the supervisor handles it, its decider picks a [`Directive`]:
//!
//! - **restart**: per the strategy, the affected children are stopped in
//!   reverse start order and started again in start order, each keeping its
//!   address and queued messages (the failing message is a dead letter
//!   `failed`, never re-delivered). Hooks run as SPEC rule 16 says:
//!   `pre_restart` on the old incarnation, its children stopped, a new one
//!   from the factory, `post_restart`.
//! - **resume**: the child goes on with its state and behaviour; no hooks.
//! - **stop**: the child stops for good.
//! - **escalate**: the supervisor fails with the child's reason, and its own
//!   supervisor decides. At the root, the whole system stops.
//!
//! A child that exits without failing (it stopped itself, or was killed) is
//! restarted by its restart type alone: permanent always, transient only
//! after an abnormal exit (killed), temporary never.
//!
//! Each restart (a group restart counts once) is recorded; if more than
//! `intensity` fall within `period` ticks, the supervisor stops all its
//! children in reverse start order and exits with reason `shutdown`, and its
//! parent decides (SPEC rule 13).

use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use compact_str::CompactString;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::address::{ActorId, Addr, Key, Ref};
use crate::cell::{ActorBox, Cell, Outcome};
use crate::mailbox::{Ended, Item, MailboxConfig, Pools, Signal};
use crate::rng;
use crate::system::{trace, Core};
use crate::trace::{EventKind, StopReason};

/// The message type of a supervisor's address. Supervisors take no user
/// messages: drive them through [`System`](crate::System) and
/// [`Context`](crate::Context) methods (`start_child`, `child`, `stop`).
#[derive(Debug)]
pub enum SupervisorMsg {}

/// Which children a restart affects (SPEC rule 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Only the failed child.
    OneForOne,
    /// Every child.
    OneForAll,
    /// The failed child and every child started after it.
    RestForOne,
}

/// When a child is restarted (SPEC rule 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartType {
    /// Always.
    Permanent,
    /// Only after an abnormal end (failed or killed).
    Transient,
    /// Never; the child is removed when it ends.
    Temporary,
}

/// How a supervisor stops a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shutdown {
    /// Kill it: no hooks run.
    BrutalKill,
    /// Stop it with its hooks, allowing this many ticks. Hooks take no
    /// virtual time in this engine, so the limit is recorded but never hit.
    Timeout(u64),
    /// Stop it with its hooks, however long they take.
    Infinity,
}

/// A supervisor's decision about a failed child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Directive {
    /// Restart per the strategy.
    Restart,
    /// Keep the child's state and behaviour; drop only the failing message.
    Resume,
    /// Stop the child for good.
    Stop,
    /// Fail the supervisor with the child's reason.
    Escalate,
}

/// Exponential backoff between restarts (SPEC rule 14, Akka's
/// `restartWithBackoff`): the n-th restart in a row waits
/// `min(min·2ⁿ, max)·(1 + U[0, random_factor])` ticks, U drawn from the
/// supervisor's own seeded stream; the count resets after `reset_after`
/// quiet ticks. Messages for the child wait in its mailbox meanwhile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub min: u64,
    /// The longest delay before the random factor.
    pub max: u64,
    /// Up to this fraction is added at random.
    pub random_factor: f64,
    /// Quiet ticks after which the count starts again.
    pub reset_after: u64,
}

impl Backoff {
    /// The delay of the `n`-th restart in a row, with `u` from `[0, 1)`.
    ///
    /// ```
    /// use rehearsal::supervision::Backoff;
    /// let b = Backoff { min: 2, max: 20, random_factor: 0.5, reset_after: 100 };
    /// assert_eq!(b.delay(0, 0.0), 2);
    /// assert_eq!(b.delay(3, 0.0), 16);
    /// assert_eq!(b.delay(10, 0.0), 20);
    /// assert_eq!(b.delay(10, 0.999), 29);
    /// ```
    pub fn delay(&self, n: u32, u: f64) -> u64 {
        let base = self.min.saturating_mul(1u64.checked_shl(n.min(63)).unwrap_or(u64::MAX)).min(self.max);
        let factor = 1.0 + u.clamp(0.0, 1.0) * self.random_factor.max(0.0);
        (base as f64 * factor).floor() as u64
    }
}

/// A decider: maps a child's failure reason to a [`Directive`].
pub type Decider = Rc<dyn Fn(&str) -> Directive>;

/// How a supervisor supervises.
#[derive(Clone)]
pub struct SupervisorSpec {
    /// Which children a restart affects.
    pub strategy: Strategy,
    /// Restarts allowed within `period` (default 1).
    pub intensity: u32,
    /// The window, in ticks (default 5).
    pub period: u64,
    /// Optional backoff between restarts.
    pub backoff: Option<Backoff>,
    /// Maps a failure to a directive (default: always restart).
    pub decider: Decider,
}

impl SupervisorSpec {
    /// A spec with this strategy and Erlang's defaults: intensity 1 in 5
    /// ticks, no backoff, always restart.
    pub fn new(strategy: Strategy) -> Self {
        SupervisorSpec { strategy, intensity: 1, period: 5, backoff: None, decider: Rc::new(|_| Directive::Restart) }
    }

    /// Sets the restart intensity: at most `intensity` restarts in `period` ticks.
    pub fn intensity(mut self, intensity: u32, period: u64) -> Self {
        self.intensity = intensity;
        self.period = period;
        self
    }

    /// Sets a backoff between restarts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Sets the decider.
    pub fn decider(mut self, decider: impl Fn(&str) -> Directive + 'static) -> Self {
        self.decider = Rc::new(decider);
        self
    }
}

impl fmt::Debug for SupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorSpec")
            .field("strategy", &self.strategy)
            .field("intensity", &self.intensity)
            .field("period", &self.period)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

/// Builds a fresh incarnation of a child.
pub(crate) type Factory = Rc<dyn Fn() -> Box<dyn Cell>>;

/// How to start one child: a factory for fresh incarnations, a restart
/// type and a shutdown.
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) name: CompactString,
    pub(crate) restart: RestartType,
    pub(crate) shutdown: Shutdown,
    pub(crate) factory: Factory,
    pub(crate) new_queue: fn(&mut Pools) -> (u16, u32),
    pub(crate) type_name: &'static str,
    pub(crate) mailbox: MailboxConfig,
}

fn queue_for<M: 'static>(pools: &mut Pools) -> (u16, u32) {
    let pool = pools.id_of::<M>();
    (pool, pools.new_queue::<M>(pool))
}

impl ChildSpec {
    /// A permanent child called `name`, each incarnation built by `factory`,
    /// stopped with its hooks.
    pub fn new<A: Actor>(name: &str, factory: impl Fn() -> A + 'static) -> Self {
        ChildSpec {
            name: name.into(),
            restart: RestartType::Permanent,
            shutdown: Shutdown::Infinity,
            factory: Rc::new(move || Box::new(ActorBox::new(factory(), CompactString::default())) as Box<dyn Cell>),
            new_queue: queue_for::<A::Msg>,
            type_name: crate::system::short_type::<A>(),
            mailbox: MailboxConfig::UNBOUNDED,
        }
    }

    /// A child that is itself a supervisor; `children` builds its child
    /// specs anew for each incarnation.
    pub fn supervisor(name: &str, spec: SupervisorSpec, children: impl Fn() -> Vec<ChildSpec> + 'static) -> Self {
        let children: Rc<dyn Fn() -> Vec<ChildSpec>> = Rc::new(children);
        ChildSpec {
            name: name.into(),
            restart: RestartType::Permanent,
            shutdown: Shutdown::Infinity,
            factory: Rc::new(move || Box::new(SupervisorCell::new(spec.clone(), children.clone())) as Box<dyn Cell>),
            new_queue: queue_for::<SupervisorMsg>,
            type_name: "Supervisor",
            mailbox: MailboxConfig::UNBOUNDED,
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: RestartType) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Sets the child's mailbox (kept across restarts).
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = mailbox;
        self
    }

    /// The child's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("name", &self.name)
            .field("type", &self.type_name)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .finish_non_exhaustive()
    }
}

pub(crate) struct ChildEntry {
    pub(crate) spec: ChildSpec,
    pub(crate) child: Ref,
}

/// A supervisor: the engine runs it; it has no user code.
pub(crate) struct SupervisorCell {
    pub(crate) spec: SupervisorSpec,
    make_children: Rc<dyn Fn() -> Vec<ChildSpec>>,
    /// Live children in start order.
    pub(crate) children: Vec<ChildEntry>,
    restarts: VecDeque<u64>,
    backoff_n: u32,
    last_restart: Option<u64>,
    name: CompactString,
    rng: Option<Box<ChaCha8Rng>>,
}

impl SupervisorCell {
    pub(crate) fn new(spec: SupervisorSpec, make_children: Rc<dyn Fn() -> Vec<ChildSpec>>) -> Self {
        SupervisorCell {
            spec,
            make_children,
            children: Vec::new(),
            restarts: VecDeque::new(),
            backoff_n: 0,
            last_restart: None,
            name: CompactString::default(),
            rng: None,
        }
    }

    fn start_children(&mut self, core: &mut Core, me: Ref) {
        for spec in (self.make_children)() {
            let child = core.spawn_child(me.slot, &spec);
            self.children.push(ChildEntry { spec, child });
        }
    }

    /// A child failed or exited: decide, then act.
    fn child_ended(&mut self, core: &mut Core, me: Ref, ended: Ended) {
        let Ended { child, incarnation, reason, failed, msg } = ended;
        let Some(idx) = self.children.iter().position(|c| c.child == child) else {
            return;
        };
        if !core.alive(child) || core.incarnation(child.slot) != incarnation {
            return; // Stale: the child was restarted or removed since.
        }
        let failed = failed && !core.is_exited(child.slot);
        let restart = self.children[idx].spec.restart;
        let directive = if failed {
            match &reason {
                StopReason::Failed(why) => (self.spec.decider)(why),
                _ => Directive::Restart,
            }
        } else {
            match restart {
                RestartType::Permanent => Directive::Restart,
                RestartType::Transient if reason.is_abnormal() => Directive::Restart,
                _ => Directive::Stop,
            }
        };
        trace!(core, EventKind::Decision { supervisor: me.id(), child: child.id(), directive, reason: reason.clone() });
        match directive {
            Directive::Resume => core.resume(child),
            Directive::Stop => self.remove(core, idx, reason),
            Directive::Restart if restart == RestartType::Temporary => self.remove(core, idx, reason),
            Directive::Restart => self.restart(core, me, idx, reason, msg),
            Directive::Escalate => {
                let why = match &reason {
                    StopReason::Failed(why) => why.clone(),
                    other => other.to_string(),
                };
                trace!(core, EventKind::Escalate { supervisor: me.id(), child: child.id(), reason: why.clone() });
                if core.is_supervised(me.slot) {
                    core.fail(me, why, None, 0, true);
                } else {
                    core.stop_system(format!("escalated to the root by {}: {why}", me.id()));
                }
            }
        }
    }

    /// Stops child `idx` for good and forgets it.
    fn remove(&mut self, core: &mut Core, idx: usize, reason: StopReason) {
        let entry = self.children.remove(idx);
        core.terminate(entry.child, reason, entry.spec.shutdown != Shutdown::BrutalKill);
    }

    fn restart(&mut self, core: &mut Core, me: Ref, idx: usize, reason: StopReason, msg: Option<u64>) {
        let now = core.clock.now;
        while let Some(&t) = self.restarts.front() {
            if now.saturating_sub(t) >= self.spec.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.push_back(now);
        if self.restarts.len() > self.spec.intensity as usize {
            trace!(
                core,
                EventKind::IntensityExceeded {
                    supervisor: me.id(),
                    restarts: self.restarts.len() as u32,
                    period: self.spec.period
                }
            );
            self.stop_all(core);
            if core.is_supervised(me.slot) {
                core.end_actor(me, StopReason::Shutdown, true);
            } else {
                core.stop_system(format!(
                    "supervisor {} exceeded its restart intensity ({} in {} ticks)",
                    me.id(),
                    self.spec.intensity,
                    self.spec.period
                ));
            }
            return;
        }
        let affected: Vec<usize> = match self.spec.strategy {
            Strategy::OneForOne => vec![idx],
            Strategy::OneForAll => (0..self.children.len()).collect(),
            Strategy::RestForOne => (idx..self.children.len()).collect(),
        };
        // Phase 1: stop the affected, youngest first.
        let mut keep = Vec::new();
        for &i in affected.iter().rev() {
            let e = &self.children[i];
            if i == idx {
                core.tear_down(e.child, &reason, msg, true);
            } else if e.spec.restart == RestartType::Temporary {
                core.terminate(e.child, StopReason::Shutdown, e.spec.shutdown != Shutdown::BrutalKill);
                continue;
            } else {
                core.tear_down(e.child, &reason, None, e.spec.shutdown != Shutdown::BrutalKill);
            }
            keep.push(e.child);
        }
        self.children.retain(|c| core.alive(c.child));
        keep.reverse();
        // Phase 2: start them again, oldest first, now or after the backoff.
        let delay = match self.spec.backoff {
            None => 0,
            Some(b) => {
                if self.last_restart.is_some_and(|t| now.saturating_sub(t) >= b.reset_after) {
                    self.backoff_n = 0;
                }
                let seed = core.config.seed;
                let rng = self.rng.get_or_insert_with(|| Box::new(rng::stream(seed, rng::ACTORS + me.id().0)));
                let u: f64 = rng.random();
                let d = b.delay(self.backoff_n, u);
                self.backoff_n = self.backoff_n.saturating_add(1);
                d
            }
        };
        self.last_restart = Some(now);
        if delay == 0 {
            self.start_again(core, &keep, &reason);
        } else {
            core.restart_later(me, keep, reason, delay);
        }
    }

    /// Phase 2 of a restart: new incarnations, in start order.
    pub(crate) fn start_again(&mut self, core: &mut Core, children: &[Ref], reason: &StopReason) {
        for &c in children {
            if let Some(e) = self.children.iter().find(|e| e.child == c) {
                let factory = e.spec.factory.clone();
                core.reincarnate(c, factory, reason);
            }
        }
    }

    /// Stops every child, youngest first, for good.
    fn stop_all(&mut self, core: &mut Core) {
        while let Some(e) = self.children.pop() {
            core.terminate(e.child, StopReason::Shutdown, e.spec.shutdown != Shutdown::BrutalKill);
        }
    }

    /// Starts a child at run time (one-for-one semantics apply to it).
    pub(crate) fn start_child(&mut self, core: &mut Core, me: Ref, spec: ChildSpec) -> Ref {
        let child = core.spawn_child(me.slot, &spec);
        self.children.push(ChildEntry { spec, child });
        child
    }
}

// ===== impl Core: supervisors from outside =====

impl Core {
    /// Runs `f` on supervisor `sup` (taken out of its slot meanwhile).
    pub(crate) fn with_supervisor<T>(
        &mut self,
        sup: Ref,
        f: impl FnOnce(&mut SupervisorCell, &mut Core) -> T,
    ) -> Option<T> {
        if !self.alive(sup) {
            return None;
        }
        let mut cell = self.slots[sup.slot as usize].cell.take()?;
        let out = match cell.as_any_mut().downcast_mut::<SupervisorCell>() {
            Some(s) => {
                self.running.push(sup.slot);
                let out = f(s, self);
                self.running.pop();
                Some(out)
            }
            None => None,
        };
        self.slots[sup.slot as usize].cell = Some(cell);
        self.settle();
        out
    }

    /// The live child of `sup` called `name`, if its messages are `M`s.
    pub(crate) fn child_addr<M: 'static>(&self, sup: Ref, name: &str) -> Option<Addr<M>> {
        let s = self.slots.get(sup.slot as usize).filter(|s| s.key == sup.key)?;
        let cell = s.cell.as_ref()?.as_any().downcast_ref::<SupervisorCell>()?;
        let child = cell.children.iter().find(|e| e.spec.name == name)?.child;
        let pool = self.pools.lookup::<M>()?;
        (self.alive(child) && self.slots[child.slot as usize].pool == pool).then(|| Addr::new(child))
    }

    /// The live children of `sup`, in start order.
    pub(crate) fn children_of(&self, sup: Ref) -> Vec<(String, ActorId)> {
        let Some(s) = self.slots.get(sup.slot as usize).filter(|s| s.key == sup.key) else {
            return Vec::new();
        };
        let Some(cell) = s.cell.as_ref().and_then(|c| c.as_any().downcast_ref::<SupervisorCell>()) else {
            return Vec::new();
        };
        cell.children.iter().map(|e| (e.spec.name.to_string(), e.child.id())).collect()
    }
}

impl Cell for SupervisorCell {
    fn deliver(&mut self, core: &mut Core, place: u64, key: Key, pool: u16) -> Outcome {
        let me = Ref::from_place(place, key);
        let Some(item) = core.pop::<SupervisorMsg>(me, pool) else {
            return Outcome::Handled;
        };
        let (id, from, cause) = match &item {
            Item::User(e) => (e.id, e.from, e.cause),
            Item::Stop { id, from, cause } => (*id, *from, *cause),
            Item::Signal(s) => (s.id, s.from, s.cause),
        };
        core.trace_deliver(id, me.id(), from, cause);
        core.stats.handled += 1;
        match item {
            Item::User(e) => match e.msg {},
            Item::Stop { .. } => {
                core.trace_done(me.id(), id);
                Outcome::Stop
            }
            Item::Signal(s) => {
                if let Signal::ChildEnded(ended) = s.signal {
                    self.child_ended(core, me, ended);
                }
                core.trace_done(me.id(), id);
                Outcome::Handled
            }
        }
    }

    fn start(&mut self, core: &mut Core, me: Ref) -> Result<(), String> {
        self.start_children(core, me);
        Ok(())
    }

    fn post_stop(&mut self, _core: &mut Core, _me: Ref) -> Result<(), String> {
        Ok(())
    }

    fn pre_restart(
        &mut self,
        _core: &mut Core,
        _me: Ref,
        _reason: &StopReason,
        _msg: Option<u64>,
    ) -> Result<(), String> {
        Ok(())
    }

    fn post_restart(&mut self, core: &mut Core, me: Ref, _reason: &StopReason) -> Result<(), String> {
        self.start_children(core, me);
        Ok(())
    }

    fn set_name(&mut self, name: CompactString) {
        self.name = name;
    }

    fn supervisor_strategy(&self) -> Option<Strategy> {
        Some(self.spec.strategy)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn rng_slot(&mut self) -> &mut Option<Box<ChaCha8Rng>> {
        &mut self.rng
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
