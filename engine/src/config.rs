//! How a [`System`](crate::System) is set up: seed, strategy, limits, tracing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the scheduler picks the next actor to run (SPEC rule 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Uniformly random over the runnable actors, from the schedule stream.
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., 2010): random
    /// distinct priorities, the highest-priority runnable actor runs, and at
    /// `depth - 1` change points chosen among the first `steps` steps the
    /// running actor drops to the lowest priority.
    Pct {
        /// The bug depth `d`: `d - 1` priority change points.
        depth: u32,
        /// The expected run length, over which change points are spread.
        steps: u64,
    },
    /// Global send order: the oldest undelivered message goes next. No
    /// randomness at all.
    Fifo,
}

impl Strategy {
    /// PCT with the usual defaults: depth 3 over the first 10,000 steps.
    pub const PCT: Strategy = Strategy::Pct { depth: 3, steps: 10_000 };
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Random => f.write_str("random"),
            Strategy::Pct { depth, steps } => write!(f, "pct:{depth}:{steps}"),
            Strategy::Fifo => f.write_str("fifo"),
        }
    }
}

/// Error from parsing a [`Strategy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown strategy `{0}`: expected random, fifo, pct or pct:DEPTH[:STEPS]")]
pub struct ParseStrategyError(String);

impl FromStr for Strategy {
    type Err = ParseStrategyError;

    /// Parses `random`, `fifo`, `pct`, `pct:DEPTH` or `pct:DEPTH:STEPS`.
    ///
    /// ```
    /// use rehearsal::Strategy;
    /// assert_eq!("fifo".parse::<Strategy>(), Ok(Strategy::Fifo));
    /// assert_eq!("pct:5".parse::<Strategy>(), Ok(Strategy::Pct { depth: 5, steps: 10_000 }));
    /// assert!("lifo".parse::<Strategy>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseStrategyError(s.to_string());
        let mut parts = s.split(':');
        match parts.next() {
            Some("random") if parts.next().is_none() => Ok(Strategy::Random),
            Some("fifo") if parts.next().is_none() => Ok(Strategy::Fifo),
            Some("pct") => {
                let depth = match parts.next() {
                    None => return Ok(Strategy::PCT),
                    Some(d) => d.parse::<u32>().ok().filter(|d| *d >= 1).ok_or_else(err)?,
                };
                let steps = match parts.next() {
                    None => 10_000,
                    Some(k) => k.parse::<u64>().ok().filter(|k| *k >= 1).ok_or_else(err)?,
                };
                if parts.next().is_some() {
                    return Err(err());
                }
                Ok(Strategy::Pct { depth, steps })
            }
            _ => Err(err()),
        }
    }
}

/// How much of a run the trace records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceLevel {
    /// Nothing: the fastest runs, no trace hash.
    Off,
    /// Every event, without message payloads.
    Events,
    /// Every event, with each message's `Debug` text.
    Payloads,
}

/// The settings of one run. Everything that changes the run is here, and all
/// of it goes into the trace header so a replay can rebuild the run.
///
/// ```
/// use rehearsal::{Config, Strategy, TraceLevel};
/// let cfg = Config::seeded(42).strategy(Strategy::Fifo).trace(TraceLevel::Payloads);
/// assert_eq!(cfg.seed, 42);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The seed every random choice comes from.
    pub seed: u64,
    /// The scheduling strategy.
    pub strategy: Strategy,
    /// How much the trace records.
    pub trace: TraceLevel,
    /// The most deliveries a run may make; reaching it is reported as
    /// [`RunOutcome::StepLimit`](crate::RunOutcome::StepLimit), a likely livelock.
    pub max_steps: u64,
    /// Limits that end a run with a named outcome instead of exhausting the
    /// machine ([`RunOutcome::Limit`](crate::RunOutcome::Limit)).
    #[serde(default)]
    pub limits: Limits,
    /// A label for the run (the scenario's name), written to the trace header.
    pub scenario: String,
    /// Free-form parameters of the scenario, written to the trace header so a
    /// replay can rebuild the same run.
    #[serde(default)]
    pub params: serde_json::Value,
    /// The fault plan, if any (SPEC section 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<crate::faults::FaultPlan>,
    /// Print panics from actors to stderr (they are always caught; by default
    /// they are silent and only recorded as failures).
    #[serde(default)]
    pub print_panics: bool,
}

impl Config {
    /// The default step limit: 100 million deliveries.
    pub const DEFAULT_MAX_STEPS: u64 = 100_000_000;

    /// A configuration with this seed, the `random` strategy, event tracing
    /// to memory, and the default step limit.
    pub fn seeded(seed: u64) -> Self {
        Config {
            seed,
            strategy: Strategy::Random,
            trace: TraceLevel::Events,
            max_steps: Self::DEFAULT_MAX_STEPS,
            limits: Limits::default(),
            scenario: String::new(),
            params: serde_json::Value::Null,
            faults: None,
            print_panics: false,
        }
    }

    /// Sets the fault plan.
    pub fn faults(mut self, plan: crate::faults::FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// Sets the strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the trace level.
    pub fn trace(mut self, level: TraceLevel) -> Self {
        self.trace = level;
        self
    }

    /// Sets the step limit.
    pub fn max_steps(mut self, max_steps: u64) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// Sets the limits on actors, queued messages and virtual time.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the scenario label and its parameters.
    pub fn scenario(mut self, name: impl Into<String>, params: serde_json::Value) -> Self {
        self.scenario = name.into();
        self.params = params;
        self
    }

    /// Prints caught panics to stderr.
    pub fn print_panics(mut self, on: bool) -> Self {
        self.print_panics = on;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::seeded(0)
    }
}

/// Limits on a run besides its step limit. Reaching one ends the run with
/// [`RunOutcome::Limit`](crate::RunOutcome::Limit) naming it, and a
/// `limit` event in the trace.
///
/// Besides these, a system spawns at most 2^40 - 1 actors in its whole
/// life (ids are 40 bits); spawning past that panics. At a million spawns a
/// second that is twelve days of spawning.
///
/// ```
/// use rehearsal::{Config, Limits};
/// let cfg = Config::seeded(1).limits(Limits { max_actors: 10, ..Limits::default() });
/// assert_eq!(cfg.limits.max_actors, 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The most actors alive at once.
    pub max_actors: u64,
    /// The most messages queued (and parked) at once, in all mailboxes.
    pub max_queued: u64,
    /// The latest virtual time the clock may reach.
    pub max_time: u64,
}

impl Default for Limits {
    /// 50 million actors, 100 million queued messages, no time limit.
    fn default() -> Self {
        Limits { max_actors: 50_000_000, max_queued: 100_000_000, max_time: u64::MAX }
    }
}

/// Which limit a run reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// [`Limits::max_actors`].
    Actors,
    /// [`Limits::max_queued`].
    Queued,
    /// [`Limits::max_time`].
    Time,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Actors => "actor limit",
            Limit::Queued => "queued-message limit",
            Limit::Time => "virtual-time limit",
        })
    }
}
