//! `rehearsal sweep`: many seeds of one scenario, in parallel, with a
//! progress bar; failures grouped by invariant; shards and merging.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rehearsal::faults::FaultPlan;
use rehearsal::trace::format_hash;
use rehearsal::{Config, Strategy, System, TraceLevel};
use rehearsal_scenarios::{Params, Scenario};
use serde::{Deserialize, Serialize};

use crate::CliError;

/// A range of seeds, `A..B` (B excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeds {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl std::str::FromStr for Seeds {
    type Err = String;

    /// Parses `A..B` with `A < B`.
    ///
    /// ```
    /// use rehearsal_inspector::sweep::Seeds;
    /// assert_eq!("3..10".parse::<Seeds>(), Ok(Seeds { start: 3, end: 10 }));
    /// assert!("10..3".parse::<Seeds>().is_err());
    /// assert!("ten".parse::<Seeds>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("expected a seed range A..B with A < B (B excluded), got `{s}`");
        let (a, b) = s.split_once("..").ok_or_else(err)?;
        let (start, end) = (a.trim().parse::<u64>().map_err(|_| err())?, b.trim().parse::<u64>().map_err(|_| err())?);
        if start >= end {
            return Err(err());
        }
        Ok(Seeds { start, end })
    }
}

/// Shard `index` of `count`: every `count`-th seed, starting at the
/// `index`-th.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Parses `I/N` with `I < N`.
    ///
    /// ```
    /// use rehearsal_inspector::sweep::Shard;
    /// assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
    /// assert!("4/4".parse::<Shard>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("expected a shard I/N with I < N (I from 0), got `{s}`");
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| err())?, n.trim().parse::<u64>().map_err(|_| err())?);
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

/// One seed's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Whether every invariant held and the run ended normally.
    pub passed: bool,
    /// How the run ended.
    pub outcome: String,
    /// The invariants that failed (a step limit counts as `step-limit`).
    pub failed: Vec<String>,
    /// The trace hash.
    pub hash: String,
}

/// A sweep's results, as `--json` writes them and `--merge` reads them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The scenario.
    pub scenario: String,
    /// Its parameters.
    pub params: serde_json::Value,
    /// The strategy.
    pub strategy: Strategy,
    /// The seed range.
    pub seeds: Seeds,
    /// The shard, if any.
    pub shard: Option<Shard>,
    /// The fault plan file, as given.
    #[serde(default)]
    pub faults: Option<String>,
    /// Swarm mode.
    #[serde(default)]
    pub swarm: bool,
    /// Per seed, in seed order.
    pub results: Vec<SeedResult>,
    /// The sweep was interrupted: seeds are missing (resume with `--resume`).
    #[serde(default)]
    pub interrupted: bool,
}

impl SweepReport {
    /// Takes in the results of `other` (an earlier part of the same sweep).
    pub fn absorb(&mut self, other: SweepReport) {
        let mut by_seed: BTreeMap<u64, SeedResult> = other.results.into_iter().map(|r| (r.seed, r)).collect();
        by_seed.extend(std::mem::take(&mut self.results).into_iter().map(|r| (r.seed, r)));
        self.results = by_seed.into_values().collect();
    }
}

/// What a sweep runs.
pub struct SweepJob<'a> {
    /// The scenario.
    pub scenario: &'static dyn Scenario,
    /// Its parameters.
    pub params: &'a Params,
    /// The strategy.
    pub strategy: Strategy,
    /// The seeds.
    pub seeds: Seeds,
    /// The shard.
    pub shard: Option<Shard>,
    /// The fault plan, and its file as given.
    pub faults: Option<(&'a FaultPlan, String)>,
    /// Swarm mode.
    pub swarm: bool,
    /// The step limit.
    pub max_steps: u64,
    /// Worker threads.
    pub jobs: usize,
}

impl SweepJob<'_> {
    /// The config of one seed's run.
    pub fn config(&self, seed: u64) -> Config {
        let mut cfg = Config::seeded(seed)
            .strategy(self.strategy)
            .trace(TraceLevel::Events)
            .max_steps(self.max_steps)
            .scenario(self.scenario.name(), self.params.to_json());
        cfg.faults = self.faults.as_ref().map(|(p, _)| if self.swarm { p.swarm(seed) } else { (*p).clone() });
        cfg
    }

    fn seeds(&self) -> Vec<u64> {
        (self.seeds.start..self.seeds.end)
            .filter(|s| self.shard.is_none_or(|sh| (s - self.seeds.start) % sh.count == sh.index))
            .collect()
    }

    /// Runs one seed (no trace kept, only the hash); `None` if it was interrupted.
    pub fn run_one(&self, seed: u64) -> Result<Option<SeedResult>, CliError> {
        let mut sys = System::new(self.config(seed));
        sys.interrupt_on(crate::interrupted());
        let report = self.scenario.run(&mut sys).map_err(|e| CliError::bad_input(e.to_string()))?;
        let mut failed: Vec<String> = report.failures().map(|v| v.name.to_string()).collect();
        if report.outcome == rehearsal::RunOutcome::StepLimit {
            failed.push("step-limit".into());
        }
        if report.outcome == rehearsal::RunOutcome::Interrupted {
            return Ok(None);
        }
        Ok(Some(SeedResult {
            seed,
            passed: report.passed(),
            outcome: report.outcome.to_string(),
            failed,
            hash: sys.trace_hash().map(format_hash).unwrap_or_default(),
        }))
    }

    /// Runs the seed again with its trace written to `path`.
    pub fn record(&self, seed: u64, path: &Path) -> Result<(), CliError> {
        let file = File::create(path)
            .map_err(|e| CliError::bad_input(format!("{}: cannot create the trace file: {e}", path.display())))?;
        let mut sys = System::with_trace_writer(self.config(seed), BufWriter::new(file), false);
        self.scenario.run(&mut sys).map_err(|e| CliError::bad_input(e.to_string()))?;
        sys.finish().map_err(|e| CliError::bad_input(format!("{}: cannot write the trace: {e}", path.display())))
    }

    /// Runs every seed of the sweep (but those `done` holds) on `jobs`
    /// threads, with a progress bar on stderr (hidden when stderr is not a
    /// terminal). Ctrl-C stops it between seeds, keeping what was done.
    pub fn run(&self, done: Option<&SweepReport>) -> Result<SweepReport, CliError> {
        let skip: std::collections::BTreeSet<u64> =
            done.map(|d| d.results.iter().map(|r| r.seed).collect()).unwrap_or_default();
        let seeds: Vec<u64> = self.seeds().into_iter().filter(|s| !skip.contains(s)).collect();
        let stop = crate::interrupted();
        let bar = ProgressBar::new(seeds.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {per_sec}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let next = AtomicU64::new(0);
        let (tx, rx) = mpsc::channel::<Result<Option<SeedResult>, CliError>>();
        let mut results = Vec::with_capacity(seeds.len());
        let mut failures = 0u64;
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1) {
                let tx = tx.clone();
                let (seeds, next) = (&seeds, &next);
                let stop = stop.clone();
                scope.spawn(move || loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(&seed) = seeds.get(i) else { break };
                    if tx.send(self.run_one(seed)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            for r in rx {
                match r {
                    Ok(None) => {}
                    Ok(Some(r)) => {
                        if !r.passed {
                            failures += 1;
                            bar.set_message(format!("{failures} failing"));
                        }
                        results.push(r);
                        bar.inc(1);
                    }
                    Err(e) => {
                        next.store(u64::MAX, Ordering::Relaxed);
                        bar.finish_and_clear();
                        return Err(e);
                    }
                }
            }
            Ok(())
        })?;
        bar.finish_and_clear();
        results.sort_by_key(|r| r.seed);
        Ok(SweepReport {
            scenario: self.scenario.name().to_string(),
            params: self.params.to_json(),
            strategy: self.strategy,
            seeds: self.seeds,
            shard: self.shard,
            faults: self.faults.as_ref().map(|(_, f)| f.clone()),
            swarm: self.swarm,
            interrupted: stop.load(Ordering::Relaxed),
            results,
        })
    }
}

/// Reads `--json` outputs of shards and merges them (results in seed order,
/// each seed once).
pub fn merge(files: &[PathBuf]) -> Result<SweepReport, CliError> {
    let mut merged: Option<SweepReport> = None;
    let mut by_seed = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| CliError::bad_input(format!("{}: cannot read the sweep results: {e}", f.display())))?;
        let r: SweepReport = serde_json::from_str(&text).map_err(|e| {
            CliError::bad_input(format!(
                "{}:{}: expected the JSON that `sweep --json` writes: {e}",
                f.display(),
                e.line()
            ))
        })?;
        if let Some(m) = &merged {
            if m.scenario != r.scenario || m.params != r.params || m.strategy != r.strategy || m.faults != r.faults {
                return Err(CliError::bad_input(format!(
                    "{}: these results are for {} {} ({}), not {} {} ({}); only shards of one sweep merge",
                    f.display(),
                    r.scenario,
                    r.params,
                    r.strategy,
                    m.scenario,
                    m.params,
                    m.strategy
                )));
            }
        }
        for res in &r.results {
            by_seed.insert(res.seed, res.clone());
        }
        let m = merged.get_or_insert_with(|| SweepReport { results: vec![], shard: None, ..r.clone() });
        m.interrupted |= r.interrupted;
        m.seeds.start = m.seeds.start.min(r.seeds.start);
        m.seeds.end = m.seeds.end.max(r.seeds.end);
    }
    let mut m = merged.ok_or_else(|| CliError::bad_input("--merge needs at least one file"))?;
    m.results = by_seed.into_values().collect();
    Ok(m)
}

/// Prints the human summary of a sweep.
pub fn summary(
    out: &mut dyn Write,
    r: &SweepReport,
    elapsed: Option<f64>,
    traces: &[(u64, PathBuf)],
) -> std::io::Result<()> {
    let failed: Vec<&SeedResult> = r.results.iter().filter(|x| !x.passed).collect();
    writeln!(out, "scenario   {} {}", r.scenario, r.params)?;
    write!(out, "seeds      {}..{}", r.seeds.start, r.seeds.end)?;
    if let Some(s) = r.shard {
        write!(out, " (shard {}/{})", s.index, s.count)?;
    }
    writeln!(out, ", {} run, {} passed, {} failed", r.results.len(), r.results.len() - failed.len(), failed.len())?;
    if r.interrupted {
        writeln!(out, "INTERRUPTED  not every seed ran; save --json output and continue with --resume FILE")?;
    }
    if let Some(secs) = elapsed {
        writeln!(out, "speed      {:.0} seeds/s ({secs:.2} s)", r.results.len() as f64 / secs.max(1e-9))?;
    }
    let mut by_invariant: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for f in &failed {
        for name in &f.failed {
            by_invariant.entry(name).or_default().push(f.seed);
        }
    }
    for (name, seeds) in &by_invariant {
        let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
        let more = if seeds.len() > 10 { format!(" and {} more", seeds.len() - 10) } else { String::new() };
        writeln!(out, "FAILED     {name}: {} seeds: {}{more}", seeds.len(), shown.join(", "))?;
    }
    for (seed, path) in traces.iter().take(5) {
        writeln!(out, "trace      seed {seed}: {}  (rehearsal replay {})", path.display(), path.display())?;
    }
    if traces.len() > 5 {
        let dir = traces[0].1.parent().map(|d| d.display().to_string()).unwrap_or_default();
        writeln!(out, "trace      and {} more in {dir}", traces.len() - 5)?;
    }
    if let Some(first) = failed.first() {
        let params: Vec<String> = match &r.params {
            serde_json::Value::Object(m) => {
                m.iter().map(|(k, v)| format!(" --param {k}={}", v.as_str().unwrap_or_default())).collect()
            }
            _ => vec![],
        };
        let faults = match &r.faults {
            Some(f) if r.swarm => format!(" --faults {f} --swarm"),
            Some(f) => format!(" --faults {f}"),
            None => String::new(),
        };
        writeln!(
            out,
            "rerun      rehearsal run {} --seed {} --strategy {}{}{faults}",
            r.scenario,
            first.seed,
            r.strategy,
            params.concat()
        )?;
    }
    Ok(())
}

/// The seeds/s and elapsed seconds of a sweep started at `start`.
pub fn elapsed(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
