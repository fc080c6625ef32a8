//! Running a test of your own actor system over many seeds.
//!
//! [`Harness::run`] runs a closure on a fresh [`System`] for each seed. On
//! the first failure (an `Err` or a panic) it runs that seed again with its
//! trace written to a file under the target directory, and panics with the
//! seed, the file, and the commands that replay and inspect it:
//!
//! ```text
//! bank-transfers failed at seed 17: total money 990, expected 1000
//!   trace:   target/rehearsal/bank-transfers-seed-17.jsonl
//!   inspect: rehearsal inspect target/rehearsal/bank-transfers-seed-17.jsonl
//!   rerun:   REHEARSAL_SEED=17 cargo test bank_transfers
//! ```
//!
//! The number of seeds comes from [`Harness::seeds`], or from the
//! `REHEARSAL_SEEDS` environment variable; `REHEARSAL_SEED=n` runs only
//! seed `n`.
//!
//! ```
//! use rehearsal::harness::Harness;
//! use rehearsal::{Actor, Context, Handled};
//!
//! struct Counter(u32);
//! impl Actor for Counter {
//!     type Msg = u32;
//!     fn handle(&mut self, _: &mut Context<'_, Self>, n: u32) -> Handled { self.0 += n; Ok(()) }
//! }
//!
//! Harness::new("counter-adds-up").seeds(20).run(|sys| {
//!     let c = sys.spawn("counter", Counter(0));
//!     for n in 1..=4 {
//!         sys.send(c, n);
//!     }
//!     let _ = sys.run_until_idle();
//!     match sys.state(c, |c: &Counter| c.0) {
//!         Some(10) => Ok(()),
//!         other => Err(format!("counter holds {other:?}")),
//!     }
//! });
//! ```

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use crate::config::{Config, Strategy};
use crate::faults::FaultPlan;
use crate::system::System;

/// Runs a test over many seeds; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Harness {
    name: String,
    seeds: u64,
    first: u64,
    strategy: Strategy,
    faults: Option<FaultPlan>,
    max_steps: u64,
}

impl Harness {
    /// A harness for the test called `name` (used in file names), 100 seeds
    /// from 0 by default.
    pub fn new(name: &str) -> Self {
        Harness {
            name: name.to_string(),
            seeds: 100,
            first: 0,
            strategy: Strategy::Random,
            faults: None,
            max_steps: Config::DEFAULT_MAX_STEPS,
        }
    }

    /// Runs `n` seeds (unless `REHEARSAL_SEEDS` says otherwise).
    pub fn seeds(mut self, n: u64) -> Self {
        self.seeds = n;
        self
    }

    /// Starts at seed `first`.
    pub fn from_seed(mut self, first: u64) -> Self {
        self.first = first;
        self
    }

    /// Uses this scheduling strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Injects the faults of this plan.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(plan);
        self
    }

    /// Sets the step limit of each run.
    pub fn max_steps(mut self, max_steps: u64) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// The config of the run of `seed`.
    pub fn config(&self, seed: u64) -> Config {
        let mut cfg = Config::seeded(seed).strategy(self.strategy).max_steps(self.max_steps);
        cfg.scenario = self.name.clone();
        cfg.faults = self.faults.clone();
        cfg
    }

    /// The seeds this harness runs: `REHEARSAL_SEED` alone, or
    /// `REHEARSAL_SEEDS` (or [`Harness::seeds`]) from the first.
    pub fn seed_list(&self) -> Vec<u64> {
        if let Some(one) = std::env::var("REHEARSAL_SEED").ok().and_then(|s| s.trim().parse().ok()) {
            return vec![one];
        }
        let n = std::env::var("REHEARSAL_SEEDS").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(self.seeds);
        (self.first..self.first.saturating_add(n)).collect()
    }

    /// Runs `test` on a fresh system for each seed; panics at the first
    /// failure with the seed, its trace file and the commands to use it.
    ///
    /// # Panics
    ///
    /// When `test` returns an error or panics for some seed.
    pub fn run(&self, test: impl Fn(&mut System) -> Result<(), String>) {
        for seed in self.seed_list() {
            let mut sys = System::new(self.config(seed).trace(crate::TraceLevel::Off));
            let outcome = {
                let _quiet = crate::panic::Quiet::enter(true);
                crate::panic::catch(|| test(&mut sys))
            };
            let why = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(why)) => why,
                Err(panic) => format!("panicked: {panic}"),
            };
            let file = self.record(seed, &test);
            let test_fn = self.name.replace('-', "_");
            let trace = match &file {
                Ok(path) => format!("\n  trace:   {p}\n  inspect: rehearsal inspect {p}", p = path.display()),
                Err(e) => format!("\n  (the trace could not be written: {e})"),
            };
            panic!(
                "{} failed at seed {seed}: {why}{trace}\n  rerun:   REHEARSAL_SEED={seed} cargo test {test_fn}",
                self.name
            );
        }
    }

    /// Runs `seed` again with its trace written under the target directory.
    fn record(&self, seed: u64, test: &impl Fn(&mut System) -> Result<(), String>) -> std::io::Result<PathBuf> {
        let dir = target_dir().join("rehearsal");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-seed-{seed}.jsonl", self.name));
        let file = File::create(&path)?;
        let mut sys = System::with_trace_writer(
            self.config(seed).trace(crate::TraceLevel::Payloads),
            BufWriter::new(file),
            false,
        );
        {
            let _quiet = crate::panic::Quiet::enter(true);
            let _ = crate::panic::catch(|| test(&mut sys));
        }
        sys.finish()?;
        Ok(path)
    }
}

/// The cargo target directory: `CARGO_TARGET_DIR`, or the `target` folder
/// above the running test binary, or `./target`.
fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().find(|a| a.file_name().is_some_and(|n| n == "target")).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, Context, Handled};

    struct Flaky;
    impl Actor for Flaky {
        type Msg = u32;
        fn handle(&mut self, ctx: &mut Context<'_, Self>, _: u32) -> Handled {
            use rand::Rng;
            if ctx.rng().random_range(0..10) == 0 {
                return Err(crate::Failure::new("unlucky"));
            }
            Ok(())
        }
    }

    fn flaky(sys: &mut System) -> Result<(), String> {
        let a = sys.spawn("flaky", Flaky);
        for n in 0..5 {
            sys.send(a, n);
        }
        let _ = sys.run_until_idle();
        if sys.stats().failures > 0 {
            Err("the flaky actor failed".into())
        } else {
            Ok(())
        }
    }

    #[test]
    fn a_failing_seed_is_reported_with_its_trace() {
        let h = Harness::new("harness-self-test").seeds(50);
        let err = std::panic::catch_unwind(|| h.run(flaky)).expect_err("some seed fails");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("harness-self-test failed at seed "), "{msg}");
        let seed: u64 =
            msg.split("at seed ").nth(1).and_then(|r| r.split(':').next()).and_then(|s| s.parse().ok()).unwrap();
        let path = target_dir().join("rehearsal").join(format!("harness-self-test-seed-{seed}.jsonl"));
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        let report = crate::replay::replay_file(&path, |sys| {
            let _ = flaky(sys);
        })
        .expect("the trace reads");
        assert!(report.is_identical(), "{:?}", report.divergence);
        assert!(msg.contains(&format!("REHEARSAL_SEED={seed} cargo test harness_self_test")), "{msg}");
    }
}
