//! `rehearsal shrink`: from a failing run, the fewest injected faults and the
//! smallest parameters that still break the same invariant.
//!
//! The faults a run injected are read from its trace and turned into a plan
//! of exact faults (this actor, its n-th message). Delta debugging (Zeller's
//! ddmin) then looks for a smallest subset that still fails the same
//! invariant under the same seed and strategy, and each numeric parameter is
//! lowered while the failure stays. The result is written as a trace, whose
//! header holds the shrunk plan and parameters, so `rehearsal replay` and
//! `rehearsal inspect` work on it directly.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use rehearsal::faults::{Action, FaultPlan, FaultRule, Selector, Trigger};
use rehearsal::replay::config_of;
use rehearsal::trace::{MsgKind, Trace};
use rehearsal::{ActorId, Config, EventKind, System, TraceLevel};
use rehearsal_scenarios::{Params, Scenario};

use crate::CliError;

/// What shrinking found.
pub struct Shrunk {
    /// The invariant that keeps failing.
    pub invariant: String,
    /// Faults injected by the original run.
    pub faults_before: usize,
    /// The exact faults that still make it fail.
    pub plan: FaultPlan,
    /// Parameters before and after.
    pub params_before: Params,
    /// The smallest parameters found.
    pub params: Params,
    /// How many runs shrinking took.
    pub runs: u64,
}

/// The faults a trace records, as exact rules: each fires once, on the same
/// actor at the same message count.
pub fn exact_faults(trace: &Trace) -> Vec<FaultRule> {
    let mut names: BTreeMap<ActorId, String> = BTreeMap::new();
    let mut sends_to: BTreeMap<ActorId, u64> = BTreeMap::new();
    let mut delivered_to: BTreeMap<ActorId, u64> = BTreeMap::new();
    let mut user_msgs = std::collections::BTreeSet::new();
    let mut rules = Vec::new();
    let plan = trace.header.faults.clone().unwrap_or_default();
    for e in &trace.events {
        match &e.kind {
            EventKind::Spawn { actor, name, .. } => {
                names.insert(*actor, name.to_string());
            }
            EventKind::Send { msg, to, what: MsgKind::User, .. } => {
                user_msgs.insert(*msg);
                *sends_to.entry(*to).or_default() += 1;
            }
            EventKind::Deliver { msg, actor, .. } if user_msgs.contains(msg) => {
                *delivered_to.entry(*actor).or_default() += 1;
            }
            EventKind::Fault { rule, action, actor, msg } => {
                let Some(name) = names.get(actor) else { continue };
                let original = plan.rules.iter().find(|r| &r.name == rule);
                let action = match (action.as_str(), original.map(|r| &r.action)) {
                    ("delay", Some(a @ Action::Delay { .. })) => a.clone(),
                    ("slow", Some(a @ Action::Slow(_))) => a.clone(),
                    ("shrink_mailbox", Some(a @ Action::ShrinkMailbox(_))) => a.clone(),
                    ("crash", _) => Action::Crash,
                    ("kill", _) => Action::Kill,
                    ("drop", _) | ("partition", _) => Action::Drop,
                    ("duplicate", _) => Action::Duplicate,
                    _ => continue,
                };
                let trigger = match (msg, action.at_send()) {
                    (None, _) => Trigger::AtTime(e.time),
                    (Some(_), true) => Trigger::AtMessage(sends_to.get(actor).copied().unwrap_or(1)),
                    (Some(_), false) => Trigger::AtMessage(delivered_to.get(actor).copied().unwrap_or(1)),
                };
                rules.push(FaultRule {
                    name: format!("{rule}#{}", rules.len() + 1),
                    actors: Selector(name.clone()),
                    messages: None,
                    trigger,
                    action,
                });
            }
            _ => {}
        }
    }
    rules
}

struct Runner<'a> {
    scenario: &'static dyn Scenario,
    base: Config,
    invariant: &'a str,
    runs: u64,
}

impl Runner<'_> {
    fn config(&self, rules: &[FaultRule], params: &Params) -> Config {
        let mut cfg = self.base.clone().trace(TraceLevel::Off);
        cfg.params = params.to_json();
        cfg.faults = (!rules.is_empty()).then(|| FaultPlan { rules: rules.to_vec() });
        cfg
    }

    /// Returns true if and only if the run still fails the invariant.
    fn fails(&mut self, rules: &[FaultRule], params: &Params) -> bool {
        self.runs += 1;
        let mut sys = System::new(self.config(rules, params));
        match self.scenario.run(&mut sys) {
            Ok(report) => report.failures().any(|v| v.name == self.invariant),
            Err(_) => false,
        }
    }

    /// Zeller's ddmin: a 1-minimal failing subset of `rules`.
    fn ddmin(&mut self, mut rules: Vec<FaultRule>, params: &Params) -> Vec<FaultRule> {
        let mut n = 2usize;
        while rules.len() >= 2 {
            let chunk = rules.len().div_ceil(n);
            let parts: Vec<Vec<FaultRule>> = rules.chunks(chunk).map(<[FaultRule]>::to_vec).collect();
            let mut reduced = false;
            for part in &parts {
                if self.fails(part, params) {
                    rules = part.clone();
                    n = 2;
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                for i in 0..parts.len() {
                    let complement: Vec<FaultRule> =
                        parts.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, p)| p.clone()).collect();
                    if self.fails(&complement, params) {
                        rules = complement;
                        n = (n - 1).max(2);
                        reduced = true;
                        break;
                    }
                }
            }
            if !reduced {
                if n >= rules.len() {
                    break;
                }
                n = (n * 2).min(rules.len());
            }
        }
        if rules.len() == 1 && self.fails(&[], params) {
            rules.clear();
        }
        rules
    }

    /// Lowers each numeric parameter while the failure stays.
    fn smaller_params(&mut self, rules: &[FaultRule], mut params: Params) -> Params {
        let names: Vec<String> = params.pairs().map(|(k, _)| k.to_string()).collect();
        for name in names {
            let Ok(mut value) = params.get::<u64>(&name) else { continue };
            let mut low = 0u64;
            // Binary search for the smallest value that still fails.
            while low < value {
                let mid = low + (value - low) / 2;
                let Some(candidate) = params.with(&name, &mid.to_string()) else { break };
                if candidate.number(&name, 0..=u64::MAX).is_ok() && self.fails(rules, &candidate) {
                    value = mid;
                    params = candidate;
                } else {
                    low = mid + 1;
                }
            }
        }
        params
    }
}

/// Shrinks the failing run `trace` holds; writes the smallest run's trace to `out`.
pub fn shrink(trace: &Trace, path: &Path, out: &Path) -> Result<Shrunk, CliError> {
    let scenario = rehearsal_scenarios::find(&trace.header.scenario).ok_or_else(|| {
        CliError::bad_input(format!(
            "{}:1: the trace's scenario `{}` is unknown",
            path.display(),
            trace.header.scenario
        ))
    })?;
    let base = config_of(&trace.header);
    let params = Params::from_json(scenario, &base.params)
        .map_err(|e| CliError::bad_input(format!("{}:1: bad parameters in the trace header: {e}", path.display())))?;
    let mut sys = System::new(base.clone().trace(TraceLevel::Off));
    let report = scenario.run(&mut sys).map_err(|e| CliError::bad_input(e.to_string()))?;
    let invariant = report.failures().next().map(|v| v.name).ok_or_else(|| {
        CliError::bad_input(format!("{}: this run passes every invariant; there is nothing to shrink", path.display()))
    })?;
    let rules = exact_faults(trace);
    let mut runner = Runner { scenario, base, invariant, runs: 1 };
    if !runner.fails(&rules, &params) {
        return Err(CliError {
            code: crate::EXIT_FAILED,
            message: format!(
                "{}: the run's faults, replayed as exact faults, no longer break `{invariant}`; cannot shrink",
                path.display()
            ),
        });
    }
    let faults_before = rules.len();
    let rules = runner.ddmin(rules, &params);
    let small = runner.smaller_params(&rules, params.clone());
    let cfg = runner.config(&rules, &small).trace(TraceLevel::Payloads);
    let file = File::create(out).map_err(|e| CliError::bad_input(format!("{}: cannot create: {e}", out.display())))?;
    let mut sys = System::with_trace_writer(cfg, BufWriter::new(file), false);
    let _ = scenario.run(&mut sys);
    sys.finish().map_err(|e| CliError::bad_input(format!("{}: cannot write: {e}", out.display())))?;
    Ok(Shrunk {
        invariant: invariant.to_string(),
        faults_before,
        plan: FaultPlan { rules },
        params_before: params,
        params: small,
        runs: runner.runs,
    })
}
