//! Built-in scenarios for rehearsal: real actor systems, each with
//! parameters, a driver, and invariants checked at the end of every run.
//!
//! A scenario reads its parameters from the run's [`Config`](rehearsal::Config) (so a trace
//! header is enough to rebuild it), sets the system up, runs it, and judges
//! it:
//!
//! ```
//! use rehearsal::{Config, System};
//! use rehearsal_scenarios::{find, Params};
//!
//! let counter = find("counter").unwrap();
//! let params = Params::resolve(counter, &[("clients", "3")]).unwrap();
//! let mut sys = System::new(Config::seeded(1).scenario("counter", params.to_json()));
//! let report = counter.run(&mut sys).unwrap();
//! assert!(report.passed());
//! ```

mod backpressure;
mod bank;
mod calculator;
mod counter;
mod greeter;
mod iot;
mod orders;
mod params;
mod pipeline;
mod supervision;
mod util;

use std::fmt;

use rehearsal::{RunOutcome, System};

pub use params::{ParamError, ParamSpec, Params};

/// One invariant's verdict after a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The invariant's name.
    pub name: &'static str,
    /// Whether it held.
    pub held: bool,
    /// What was observed.
    pub detail: String,
}

impl Verdict {
    /// A verdict: `held`, with what was observed.
    pub fn new(name: &'static str, held: bool, detail: impl Into<String>) -> Self {
        Verdict { name, held, detail: detail.into() }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.held { "ok  " } else { "FAIL" };
        write!(f, "{mark} {}: {}", self.name, self.detail)
    }
}

/// What a scenario run came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Each invariant's verdict.
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// Returns true if and only if the run ended normally and every invariant held.
    pub fn passed(&self) -> bool {
        self.outcome != RunOutcome::StepLimit && self.verdicts.iter().all(|v| v.held)
    }

    /// The invariants that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| !v.held)
    }
}

/// A built-in scenario.
pub trait Scenario: Sync {
    /// Its name on the command line.
    fn name(&self) -> &'static str;
    /// One line on what it rehearses.
    fn description(&self) -> &'static str;
    /// Its parameters, with defaults.
    fn params(&self) -> &'static [ParamSpec];
    /// Sets up `sys` from its config's parameters, runs it, and checks the
    /// invariants (including the conservation of messages).
    fn run(&self, sys: &mut System) -> Result<Report, ParamError>;
}

/// Every built-in scenario, in the order `rehearsal list` shows them.
pub fn all() -> &'static [&'static dyn Scenario] {
    &[
        &counter::Counter,
        &orders::Orders,
        &greeter::Greeter,
        &calculator::Calculator,
        &supervision::Supervision,
        &backpressure::Backpressure,
        &bank::Bank::CORRECT,
        &bank::Bank::BUGGY,
        &pipeline::Pipeline,
        &iot::Iot,
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static dyn Scenario> {
    all().iter().copied().find(|s| s.name() == name)
}

/// The invariant every scenario checks: every message sent was handled,
/// dead-lettered, or is still queued.
pub fn conservation(sys: &System) -> Verdict {
    let s = sys.stats();
    Verdict::new(
        "conservation",
        s.conserved(),
        format!("sent {} = handled {} + dead letters {} + queued {}", s.sent, s.handled, s.dead_letters, s.queued),
    )
}

/// Running scenarios from unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use rehearsal::faults::FaultPlan;
    use rehearsal::{Config, Stats, System, TraceLevel};

    use crate::{find, Params, Report};

    /// The config of a run of scenario `name` with parameters `given`
    /// (checked by the scenario's run) under `seed`, tracing off.
    pub(crate) fn config(name: &str, given: &[(&str, &str)], seed: u64) -> Config {
        let scenario = find(name).expect("a known scenario");
        let params = Params::resolve(scenario, given).expect("good parameters");
        Config::seeded(seed).trace(TraceLevel::Off).scenario(name, params.to_json())
    }

    /// Runs scenario `name` with parameters `given` under `seed`.
    pub(crate) fn run(name: &str, given: &[(&str, &str)], seed: u64) -> (Report, Stats) {
        let mut sys = System::new(config(name, given, seed));
        let report = find(name).unwrap().run(&mut sys).expect("good parameters");
        (report, sys.stats())
    }

    /// [`run`] with the fault plan `plan` (TOML).
    pub(crate) fn run_with_faults(name: &str, given: &[(&str, &str)], seed: u64, plan: &str) -> (Report, Stats) {
        let plan = FaultPlan::from_toml_str(plan, "plan.toml").expect("a good plan");
        let mut sys = System::new(config(name, given, seed).faults(plan));
        let report = find(name).unwrap().run(&mut sys).expect("good parameters");
        (report, sys.stats())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::all;

    #[test]
    fn scenarios_are_listed_in_order_each_with_one_line_and_distinct_parameters() {
        let names: Vec<&str> = all().iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "counter",
                "orders",
                "greeter",
                "calculator",
                "supervision",
                "backpressure",
                "bank",
                "bank-buggy",
                "pipeline",
                "iot"
            ]
        );
        for s in all() {
            assert!(!s.description().is_empty() && !s.description().contains('\n'), "{}", s.name());
            let params: BTreeSet<&str> = s.params().iter().map(|p| p.name).collect();
            assert_eq!(params.len(), s.params().len(), "{}: a parameter twice", s.name());
        }
    }

    #[test]
    fn every_scenario_is_deterministic() {
        use rehearsal::{Config, System};

        use crate::Params;

        for s in all() {
            let given: &[(&str, &str)] = if s.name() == "iot" { &[("devices", "300")] } else { &[] };
            let hash = |seed| {
                let params = Params::resolve(*s, given).unwrap();
                let mut sys = System::new(Config::seeded(seed).scenario(s.name(), params.to_json()));
                let report = s.run(&mut sys).unwrap();
                (sys.trace_hash(), report)
            };
            assert_eq!(hash(7), hash(7), "{}", s.name());
            assert_ne!(hash(7).0, hash(8).0, "{}: the seed changes nothing", s.name());
        }
    }
}
