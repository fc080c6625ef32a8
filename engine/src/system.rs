//! The public face of the engine: [`System`].

use std::fmt;
use std::io::Write;

use crate::actor::Actor;
use crate::address::{ActorId, Addr, MsgId, ReplyTo};
use crate::ask::{AskError, Asker};
use crate::cell::ActorBox;
use crate::config::Config;
use crate::dead_letters::{DeadLetter, Stats};
use crate::mailbox::{MailboxConfig, MailboxStats};
use crate::supervision::{ChildSpec, SupervisorMsg, SupervisorSpec};
use crate::trace::{Comparer, Event, TraceHeader};

pub(crate) use crate::kernel::{short_type, trace, Core, NIL};

// ===== System =====

/// What one call to [`System::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// One message was delivered to this actor.
    Delivered(ActorId),
    /// Nothing was runnable: the clock jumped to this time and fired the
    /// timers due then.
    Advanced(u64),
    /// Nothing is runnable and no timer is pending.
    Idle,
    /// The step limit is reached and there is still work.
    StepLimit,
    /// The run was halted (a replay diverged).
    Halted,
    /// An escalation reached the root and the system stopped.
    Stopped,
    /// Nothing can run, no timer is pending, and sends are parked on full
    /// blocking mailboxes that will never drain: a deadlock (see
    /// [`System::blocked`]).
    Deadlock,
    /// The run reached one of its [`Limits`](crate::Limits).
    Limit(crate::config::Limit),
    /// The run was interrupted from outside ([`System::interrupt_on`]).
    Interrupted,
}

impl Step {
    /// The run's outcome if this step ends a run (`None` for a delivery or
    /// a clock advance).
    fn outcome(self) -> Option<RunOutcome> {
        Some(match self {
            Step::Delivered(_) | Step::Advanced(_) => return None,
            Step::Idle => RunOutcome::Idle,
            Step::StepLimit => RunOutcome::StepLimit,
            Step::Halted => RunOutcome::Halted,
            Step::Stopped => RunOutcome::SystemStopped,
            Step::Deadlock => RunOutcome::Deadlock,
            Step::Limit(l) => RunOutcome::Limit(l),
            Step::Interrupted => RunOutcome::Interrupted,
        })
    }
}

/// How often (in steps) a run with an interrupt flag looks at it.
const INTERRUPT_CHECK: u64 = 1024;

/// How a run ended (SPEC rule 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a run can end at its step limit; check how it ended"]
pub enum RunOutcome {
    /// Nothing is runnable and no timer is pending.
    Idle,
    /// The step limit was reached with work left: a likely livelock, never
    /// a success.
    StepLimit,
    /// [`System::run_for`]: the time span passed.
    Elapsed,
    /// [`System::run_until`]: the predicate became true.
    Reached,
    /// The run was halted (a replay diverged).
    Halted,
    /// An escalation reached the root and the system stopped (SPEC rule 17).
    SystemStopped,
    /// Actors are parked on full blocking mailboxes that can never drain
    /// (SPEC rule 22); [`System::blocked`] names them.
    Deadlock,
    /// The run reached one of its [`Limits`](crate::Limits).
    Limit(crate::config::Limit),
    /// The run was interrupted from outside ([`System::interrupt_on`]).
    Interrupted,
}

impl fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunOutcome::Idle => "idle",
            RunOutcome::StepLimit => "step limit reached",
            RunOutcome::Elapsed => "time elapsed",
            RunOutcome::Reached => "condition reached",
            RunOutcome::Halted => "halted",
            RunOutcome::SystemStopped => "system stopped (an escalation or a restart intensity reached the root)",
            RunOutcome::Deadlock => "deadlock",
            RunOutcome::Limit(crate::config::Limit::Actors) => "actor limit reached",
            RunOutcome::Limit(crate::config::Limit::Queued) => "queued-message limit reached",
            RunOutcome::Limit(crate::config::Limit::Time) => "virtual-time limit reached",
            RunOutcome::Interrupted => "interrupted",
        })
    }
}

/// A running actor system: spawn actors, send them messages, and run the
/// scheduler step by step under a seed.
///
/// ```
/// use rehearsal::{Actor, Config, Context, Handled, RunOutcome, System};
///
/// struct Echo;
/// impl Actor for Echo {
///     type Msg = (u32, rehearsal::ReplyTo<u32>);
///     fn handle(&mut self, ctx: &mut Context<'_, Self>, (n, reply): Self::Msg) -> Handled {
///         ctx.reply(reply, n + 1);
///         Ok(())
///     }
/// }
///
/// let mut sys = System::new(Config::seeded(1));
/// let echo = sys.spawn("echo", Echo);
/// assert_eq!(sys.ask(echo, |r| (41, r), 10), Ok(42));
/// assert_eq!(sys.run_until_idle(), RunOutcome::Idle);
/// assert!(sys.stats().conserved());
/// ```
pub struct System {
    pub(crate) core: Core,
    /// Looks at the system before every step (see [`System::observe`]).
    observer: Option<Observer>,
}

/// A callback that looks at the system before every step.
type Observer = Box<dyn FnMut(&System) -> Observed>;

/// What an observer ([`System::observe`]) tells the run to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Go on with the step.
    Continue,
    /// End the run here, as an interruption: the step is not taken, the run
    /// ends with [`RunOutcome::Interrupted`] and an `interrupted` event.
    Stop,
}

impl System {
    /// A new system; the trace (if on) is kept in memory.
    pub fn new(config: Config) -> Self {
        let mut core = Core::new(config, true);
        core.install_faults();
        System { core, observer: None }
    }

    /// Silences panics from actor code while the engine runs it.
    #[inline]
    fn quiet(&self) -> crate::panic::Quiet {
        crate::panic::Quiet::enter(self.core.quiet)
    }

    /// A new system that streams its trace as JSON Lines to `out` (header
    /// now, each event as it happens, the footer at [`System::finish`] or
    /// drop), and keeps it in memory too if `keep_in_memory`.
    pub fn with_trace_writer(config: Config, out: impl Write + 'static, keep_in_memory: bool) -> Self {
        let mut core = Core::new(config, keep_in_memory);
        core.install_faults();
        if core.trace.on {
            let header = core.header();
            core.trace.set_writer(Box::new(out), &header);
        }
        System { core, observer: None }
    }

    pub(crate) fn replaying(config: Config, comparer: Comparer) -> Self {
        let mut core = Core::new(config, false);
        core.install_faults();
        core.trace.set_compare(comparer);
        System { core, observer: None }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The trace header this run writes.
    pub fn header(&self) -> TraceHeader {
        self.core.header()
    }

    /// Spawns a top-level actor. Its `pre_start` runs now; a failure there
    /// stops it at once. An empty name gets `Type-id`.
    pub fn spawn<A: Actor>(&mut self, name: &str, actor: A) -> Addr<A::Msg> {
        let _quiet = self.quiet();
        self.core.spawn(NIL, name, actor, MailboxConfig::UNBOUNDED)
    }

    /// [`System::spawn`] with a mailbox of its own kind.
    pub fn spawn_with<A: Actor>(&mut self, name: &str, actor: A, mailbox: MailboxConfig) -> Addr<A::Msg> {
        let _quiet = self.quiet();
        self.core.spawn(NIL, name, actor, mailbox)
    }

    /// Lets the `duplicate` fault copy messages of type `M` (it cannot copy
    /// a message type that is not `Clone`; without this call the fault is
    /// recorded as `duplicate_skipped`).
    pub fn allow_duplicates<M: Clone + 'static>(&mut self) {
        self.core.allow_duplicates::<M>();
    }

    /// `addr`'s mailbox figures (`None` if it stopped).
    pub fn mailbox<M>(&self, addr: Addr<M>) -> Option<MailboxStats> {
        let s = self.core.live_slot(addr.r())?;
        Some(MailboxStats {
            depth: s.len,
            high_water: s.high_water,
            capacity: s.capacity,
            overflow: crate::mailbox::Overflow::from_code(s.policy),
            drops: s.drops,
        })
    }

    /// The actors parked on full blocking mailboxes now.
    pub fn blocked(&self) -> Vec<ActorId> {
        self.core.blocked_actors()
    }

    /// The deadlocks found so far, each the actors of one cycle of parked sends.
    pub fn deadlocks(&self) -> &[Vec<ActorId>] {
        &self.core.flow.deadlocks
    }

    /// Spawns a top-level supervisor; it starts the children `children`
    /// builds, in order. (Each incarnation of the supervisor calls
    /// `children` anew.)
    pub fn spawn_supervisor(
        &mut self,
        name: &str,
        spec: SupervisorSpec,
        children: impl Fn() -> Vec<ChildSpec> + 'static,
    ) -> Addr<SupervisorMsg> {
        let _quiet = self.quiet();
        let child = ChildSpec::supervisor(name, spec, children);
        let queue = (child.new_queue)(&mut self.core.pools);
        let new = crate::kernel::NewCell {
            type_name: child.type_name,
            queue,
            cell: (child.factory)(),
            flags: 0,
            mailbox: child.mailbox,
        };
        Addr::new(self.core.spawn_cell(NIL, name, new))
    }

    /// Starts a child under supervisor `sup` at run time (one-for-one
    /// semantics apply to it). Returns its id, or `None` if `sup` is gone.
    pub fn start_child(&mut self, sup: Addr<SupervisorMsg>, spec: ChildSpec) -> Option<ActorId> {
        let _quiet = self.quiet();
        self.core.with_supervisor(sup.r(), |s, core| s.start_child(core, sup.r(), spec)).map(|r| r.id())
    }

    /// The live child of supervisor `sup` called `name`, if its messages are `M`s.
    pub fn child<M: 'static>(&self, sup: Addr<SupervisorMsg>, name: &str) -> Option<Addr<M>> {
        self.core.child_addr(sup.r(), name)
    }

    /// The live children of supervisor `sup` (name and id), in start order.
    pub fn children(&self, sup: Addr<SupervisorMsg>) -> Vec<(String, ActorId)> {
        self.core.children_of(sup.r())
    }

    /// `addr`'s incarnation number (0, then one more at each restart), if alive.
    pub fn incarnation<M>(&self, addr: Addr<M>) -> Option<u32> {
        let r = addr.r();
        self.core.alive(r).then(|| self.core.incarnation(r.slot))
    }

    /// Returns true if and only if `addr` is suspended: failed or exited
    /// and waiting for its supervisor, or in a restart backoff.
    pub fn is_suspended<M>(&self, addr: Addr<M>) -> bool {
        self.core.live_slot(addr.r()).is_some_and(|s| s.flags & crate::kernel::SUSPENDED != 0)
    }

    /// `watcher` monitors `target` (see [`Context::monitor`](crate::Context::monitor)).
    pub fn monitor<W, T>(&mut self, watcher: Addr<W>, target: Addr<T>) -> u64 {
        self.core.monitor(watcher.r(), target.r())
    }

    /// Links `a` and `b` (see [`Context::link`](crate::Context::link)).
    pub fn link<A, B>(&mut self, a: Addr<A>, b: Addr<B>) {
        let _quiet = self.quiet();
        self.core.link(a.r(), b.r());
        self.core.settle();
    }

    /// Stops the run between steps once `flag` is set (by a Ctrl-C handler,
    /// say): the run ends with [`RunOutcome::Interrupted`], an `interrupted`
    /// event closes the trace, and everything recorded so far stays readable.
    /// The flag is looked at every 1,024 steps.
    pub fn interrupt_on(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.core.interrupt = Some(flag);
        self.core.gate = self.core.gate.min(self.core.step + INTERRUPT_CHECK);
    }

    /// Calls `observer` with the whole system before every step (every call
    /// of [`System::step`], in every `run_*` loop too), until it returns
    /// [`Observed::Stop`], which ends the run as an interruption.
    ///
    /// The observer only reads: it cannot change the schedule, so a run with
    /// one records the same trace as a run without. A trace being written to
    /// a file is flushed before each call, so the file holds everything the
    /// observer can see. It is how a driver paces
    /// a run from outside, one step at a time — the inspector's live mode
    /// hands each step's events to the screen this way.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use rehearsal::{Actor, Config, Context, Handled, Observed, RunOutcome, System};
    ///
    /// struct Echo;
    /// impl Actor for Echo {
    ///     type Msg = u32;
    ///     fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
    ///         if n > 0 { ctx.send(ctx.addr(), n - 1); }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut sys = System::new(Config::seeded(7));
    /// let echo = sys.spawn("echo", Echo);
    /// sys.send(echo, 10);
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let log = seen.clone();
    /// // Watch the step counter; stop after 4 deliveries.
    /// sys.observe(move |sys| {
    ///     log.borrow_mut().push(sys.steps());
    ///     if sys.steps() < 4 { Observed::Continue } else { Observed::Stop }
    /// });
    /// assert_eq!(sys.run_until_idle(), RunOutcome::Interrupted);
    /// assert_eq!(*seen.borrow(), [0, 1, 2, 3, 4]);
    /// assert_eq!(sys.steps(), 4);
    /// ```
    pub fn observe(&mut self, observer: impl FnMut(&System) -> Observed + 'static) {
        self.observer = Some(Box::new(observer));
        self.core.gate = self.core.gate.min(self.core.step);
    }

    /// Calls the observer; true if it asks the run to stop.
    #[cold]
    fn call_observer(&mut self) -> bool {
        let Some(mut observer) = self.observer.take() else { return false };
        // What the observer sees is on disk too: it may hold the run for a
        // long time (a person stepping through it), or the process may end.
        if let Some(w) = &mut self.core.trace.writer {
            w.flush();
        }
        let flow = observer(self);
        self.observer = Some(observer);
        // Look again before the next step.
        self.core.gate = self.core.gate.min(self.core.step);
        flow == Observed::Stop
    }

    /// Why the system stopped, if an escalation reached the root (SPEC rule 17).
    pub fn stopped(&self) -> Option<&str> {
        self.core.system_stopped.as_deref()
    }

    /// Sends `msg` to `to` from outside the system.
    ///
    /// If `to`'s mailbox is full with policy
    /// [`Overflow::Block`](crate::Overflow::Block), the caller is the
    /// blocked sender: like a thread on a full blocking queue, it waits, and
    /// the system runs meanwhile, until there is room. If there never can be
    /// (nothing else can run), the message becomes a dead letter `deadlock`.
    pub fn send<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M) -> MsgId {
        let id = self.core.send(to.r(), msg, 0);
        if self.core.is_parked(to.r(), id) {
            let _quiet = self.quiet();
            while self.core.is_parked(to.r(), id) {
                match self.step_inner() {
                    Step::Delivered(_) | Step::Advanced(_) => {}
                    Step::Idle | Step::Deadlock => self.core.abandon_parked(to.r(), id),
                    Step::StepLimit | Step::Halted | Step::Stopped | Step::Limit(_) | Step::Interrupted => break,
                }
            }
        }
        MsgId(id)
    }

    /// Sends `msg` to `to` after `delay` ticks of virtual time; returns the timer id.
    pub fn send_after<M: fmt::Debug + 'static>(&mut self, to: Addr<M>, msg: M, delay: u64) -> u64 {
        self.core.send_after(to.r(), msg, delay, 0)
    }

    /// Sends a poison pill: `to` handles everything sent before it, then stops.
    pub fn stop<M: 'static>(&mut self, to: Addr<M>) {
        self.core.send_stop(to, 0);
    }

    /// Kills `to` at once: no hooks run, its mailbox becomes dead letters.
    pub fn kill<M>(&mut self, to: Addr<M>) {
        let _quiet = self.quiet();
        self.core.kill(to.r(), 0);
        self.core.settle();
    }

    /// Asks `to` and runs the scheduler until the ask completes: the reply,
    /// the timeout (in ticks of virtual time), the handler's failure, or the
    /// target's death. Other actors keep running meanwhile.
    pub fn ask<M: fmt::Debug + 'static, R: 'static>(
        &mut self,
        to: Addr<M>,
        make: impl FnOnce(ReplyTo<R>) -> M,
        timeout: u64,
    ) -> Result<R, AskError> {
        let ask = self.core.start_ask(to, make, timeout, Asker::External, 0);
        let _quiet = self.quiet();
        loop {
            if let Some(answer) = self.core.asks.external.remove(&ask) {
                return answer.map(|b| *b.downcast::<R>().expect("engine invariant: a reply has its ReplyTo's type"));
            }
            let err = match self.step_inner() {
                Step::Delivered(_) | Step::Advanced(_) => continue,
                // The timeout timer keeps the system busy until the ask completes.
                Step::Idle => AskError::Dead,
                Step::StepLimit => AskError::StepLimit,
                Step::Halted | Step::Stopped => AskError::Halted,
                Step::Deadlock => AskError::Dead,
                Step::Limit(_) => AskError::StepLimit,
                Step::Interrupted => AskError::Halted,
            };
            self.core.complete_ask(ask, Err(err.clone()), 0);
            self.core.asks.external.remove(&ask);
            return Err(err);
        }
    }

    /// One step: deliver one message, or, if nothing is runnable, jump the
    /// clock to the next timer and fire it.
    pub fn step(&mut self) -> Step {
        let _quiet = self.quiet();
        self.step_inner()
    }

    /// [`System::step`] for callers that hold a [`Quiet`](crate::panic::Quiet) guard.
    #[inline]
    fn step_inner(&mut self) -> Step {
        let core = &mut self.core;
        if core.step >= core.gate {
            if core.halted {
                return Step::Halted;
            }
            if core.system_stopped.is_some() {
                return Step::Stopped;
            }
            if let Some(limit) = core.limit_hit {
                return Step::Limit(limit);
            }
            if core.step >= core.config.max_steps {
                return if core.has_work() { Step::StepLimit } else { Step::Idle };
            }
            if core.interrupted {
                return Step::Interrupted;
            }
            if let Some(flag) = &core.interrupt {
                if flag.load(std::sync::atomic::Ordering::Relaxed) {
                    core.interrupted = true;
                    core.close_gate();
                    crate::kernel::trace!(core, crate::trace::EventKind::Interrupted {});
                    return Step::Interrupted;
                }
                core.gate = (core.step + INTERRUPT_CHECK).min(core.config.max_steps);
            }
            if self.observer.is_some() && self.call_observer() {
                let core = &mut self.core;
                core.interrupted = true;
                core.close_gate();
                crate::kernel::trace!(core, crate::trace::EventKind::Interrupted {});
                return Step::Interrupted;
            }
        }
        let core = &mut self.core;
        match core.sched.pick(&mut core.sched_rng, core.step + 1) {
            Some(p) => Step::Delivered(core.deliver(p)),
            None if core.advance() => Step::Advanced(core.clock.now),
            None if core.limit_hit.is_some() => Step::Limit(core.limit_hit.unwrap_or(crate::config::Limit::Time)),
            None if core.flow.parked_total != 0 => {
                let actors = core.blocked_actors();
                crate::kernel::trace!(core, crate::trace::EventKind::Deadlock { actors });
                Step::Deadlock
            }
            None => Step::Idle,
        }
    }

    /// Runs until nothing is runnable and no timer is pending.
    pub fn run_until_idle(&mut self) -> RunOutcome {
        let _quiet = self.quiet();
        loop {
            // Deliveries while below the gate, without a `Step` each: what
            // `step_inner` does then, and the same picks.
            let core = &mut self.core;
            // The next pick, when the last delivery already knows it.
            let mut next = None;
            while core.step < core.gate {
                let p = match next {
                    Some(p) => p,
                    None => match core.sched.pick(&mut core.sched_rng, core.step + 1) {
                        Some(p) => p,
                        None => break,
                    },
                };
                next = core.deliver_for_next(p).1;
            }
            if let Some(outcome) = self.step_inner().outcome() {
                return outcome;
            }
        }
    }

    /// Runs for `ticks` of virtual time: every delivery and every timer due
    /// up to `now + ticks`, then the clock stands at `now + ticks`.
    pub fn run_for(&mut self, ticks: u64) -> RunOutcome {
        let deadline = self.core.clock.now.saturating_add(ticks);
        let _quiet = self.quiet();
        loop {
            let core = &mut self.core;
            if core.halted {
                return RunOutcome::Halted;
            }
            if core.sched.runnable_len() == 0 {
                match core.clock.next_due() {
                    Some(at) if at <= deadline => {}
                    _ => {
                        core.clock.now = core.clock.now.max(deadline);
                        return RunOutcome::Elapsed;
                    }
                }
            }
            match self.step_inner().outcome() {
                None => {}
                Some(RunOutcome::Idle) => {
                    self.core.clock.now = self.core.clock.now.max(deadline);
                    return RunOutcome::Elapsed;
                }
                Some(outcome) => return outcome,
            }
        }
    }

    /// Runs until `done` returns true (checked before each step), the
    /// system is idle, or a limit is reached.
    pub fn run_until(&mut self, mut done: impl FnMut(&System) -> bool) -> RunOutcome {
        loop {
            if done(self) {
                return RunOutcome::Reached;
            }
            match self.step().outcome() {
                None => {}
                Some(RunOutcome::Idle) => return if done(self) { RunOutcome::Reached } else { RunOutcome::Idle },
                Some(outcome) => return outcome,
            }
        }
    }

    /// The virtual time, in ticks.
    pub fn now(&self) -> u64 {
        self.core.clock.now
    }

    /// Deliveries made so far.
    pub fn steps(&self) -> u64 {
        self.core.step
    }

    /// The run's counters.
    pub fn stats(&self) -> Stats {
        Stats { steps: self.core.step, ..self.core.stats.clone() }
    }

    /// Every dead letter so far, in order.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.core.dead
    }

    /// Timers not yet fired (ask timeouts included).
    pub fn pending_timers(&self) -> usize {
        self.core.clock.pending()
    }

    /// Returns true if and only if the actor at `addr` has not stopped.
    pub fn is_alive<M>(&self, addr: Addr<M>) -> bool {
        self.core.alive(addr.r())
    }

    /// How many messages wait in `addr`'s mailbox (`None` if it stopped).
    pub fn mailbox_len<M>(&self, addr: Addr<M>) -> Option<usize> {
        let s = self.core.live_slot(addr.r())?;
        Some(s.len as usize)
    }

    /// How many actors are alive.
    pub fn actor_count(&self) -> usize {
        self.core.slots.len()
    }

    /// Looks at an actor's state, for tests and invariants: `f` gets the
    /// actor if `addr` is alive and is an `A`.
    pub fn state<A: Actor, T>(&self, addr: Addr<A::Msg>, f: impl FnOnce(&A) -> T) -> Option<T> {
        let s = self.core.live_slot(addr.r())?;
        let cell = s.cell.as_ref()?;
        cell.as_any().downcast_ref::<ActorBox<A>>().map(|b| f(&b.state))
    }

    /// The events recorded in memory so far (empty if tracing is off or
    /// the trace goes only to a writer).
    ///
    /// They are lent: the system keeps what was read decoded. To take
    /// copies of one's own (a view that keeps its events), use
    /// [`System::events_since`].
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> + '_ {
        self.core.trace.memory.iter().flat_map(|m| m.iter())
    }

    /// How many events are kept in memory.
    pub fn events_len(&self) -> usize {
        self.core.trace.memory.as_ref().map_or(0, |m| m.len())
    }

    /// The `i`-th event kept in memory.
    pub fn event(&self, i: usize) -> Option<&Event> {
        self.core.trace.memory.as_ref()?.get(i)
    }

    /// The events kept in memory from the `from`-th on, as values of the
    /// caller's own.
    ///
    /// [`System::events`] and [`System::event`] lend events, so the
    /// system keeps every part of its log that was read decoded (over 100
    /// bytes an event, against about 4 kept). A reader that keeps its own
    /// copy, such as a live view taking the new events now and then,
    /// should take them here: the system then keeps only its compact log,
    /// and recording goes on at full speed.
    ///
    /// ```
    /// use rehearsal::{Actor, Config, Context, Handled, System, TraceLevel};
    ///
    /// struct Echo;
    /// impl Actor for Echo {
    ///     type Msg = u32;
    ///     fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
    ///         if n > 0 { ctx.send(ctx.addr(), n - 1); }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut sys = System::new(Config::seeded(1).trace(TraceLevel::Events));
    /// let echo = sys.spawn("echo", Echo);
    /// sys.send(echo, 3);
    /// sys.run_until_idle();
    /// let all = sys.events_since(0);
    /// assert_eq!(all.len(), sys.events_len());
    /// assert_eq!(sys.events_since(1), all[1..]);
    /// assert!(sys.events_since(all.len()).is_empty());
    /// ```
    pub fn events_since(&self, from: usize) -> Vec<Event> {
        self.core.trace.memory.as_ref().map_or_else(Vec::new, |m| m.copy_from(from))
    }

    /// How many events were recorded (to any sink).
    pub fn events_recorded(&self) -> u64 {
        self.core.trace.count()
    }

    /// The running hash of every event so far (`None` if tracing is off).
    pub fn trace_hash(&self) -> Option<u64> {
        self.core.trace.on.then(|| self.core.trace.hash())
    }

    /// Returns true if and only if the run was halted (a replay diverged).
    pub fn is_halted(&self) -> bool {
        self.core.halted
    }

    /// Writes the trace footer and flushes the trace writer, if any; returns
    /// the first write error. Called by drop too; call it to see the error.
    pub fn finish(&mut self) -> std::io::Result<()> {
        match self.core.trace.finish_writer() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Leave a readable prefix; no footer, so readers call it truncated.
            if let Some(w) = &mut self.core.trace.writer {
                w.flush();
            }
        } else {
            let _ = self.finish();
        }
    }
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("seed", &self.core.config.seed)
            .field("strategy", &self.core.config.strategy)
            .field("step", &self.core.step)
            .field("now", &self.core.clock.now)
            .field("actors", &self.core.slots.len())
            .finish_non_exhaustive()
    }
}
