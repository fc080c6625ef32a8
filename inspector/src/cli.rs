//! The command-line grammar (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rehearsal::Strategy;

/// Rehearse an actor system: run scenarios under a seed, inject failures,
/// replay the exact run.
#[derive(Debug, Parser)]
#[command(name = "rehearsal", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the built-in scenarios and their parameters.
    List,
    /// Run a scenario under a seed and check its invariants.
    Run(RunArgs),
    /// Re-run the run a trace recorded and compare it event by event.
    Replay(ReplayArgs),
    /// Run many seeds of a scenario in parallel and group the failures.
    Sweep(SweepArgs),
    /// Turn a trace into a Mermaid diagram, a Graphviz tree or a Chrome timeline.
    Export(ExportArgs),
    /// From a failing run's trace, find the fewest faults and the smallest
    /// parameters that still break the same invariant.
    Shrink(ShrinkArgs),
    /// Step through a recorded run, or run a scenario live, in the terminal
    /// (or print one screen).
    Inspect(InspectArgs),
}

/// Arguments of `rehearsal inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A trace file to step through, or the name of a scenario to run live
    /// (see `rehearsal list`): the run takes steps as you step or play.
    #[arg(value_name = "TRACE|SCENARIO")]
    pub target: String,
    /// Print the screen at the end of step N as text and exit (for tests,
    /// docs and bug reports) instead of opening the terminal UI.
    #[arg(long, value_name = "N")]
    pub snapshot_at: Option<u64>,
    /// The screen size for --snapshot-at, as WIDTHxHEIGHT (default 120x40).
    #[arg(long, value_name = "WxH", value_parser = parse_size, requires = "snapshot_at")]
    pub size: Option<(u16, u16)>,
    /// What the log's pane shows first (and what --snapshot-at prints): the
    /// event log, or the message flow (`v` toggles them).
    #[arg(long, value_enum, default_value_t = View::Log)]
    pub view: View,
    /// Live: the seed every random choice comes from (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Live: scheduling strategy: random (the default), fifo, pct, pct:DEPTH
    /// or pct:DEPTH:STEPS.
    #[arg(long, value_parser = parse_strategy)]
    pub strategy: Option<Strategy>,
    /// Live: a scenario parameter, as NAME=VALUE (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Live: inject the faults of this plan (TOML; see the README).
    #[arg(long, value_name = "PLAN")]
    pub faults: Option<PathBuf>,
    /// Live: swarm mode (the seed also draws which rules apply).
    #[arg(long, requires = "faults")]
    pub swarm: bool,
    /// Live: the most deliveries the run may make (default 100,000,000).
    #[arg(long)]
    pub max_steps: Option<u64>,
    /// Live: also write the run's trace to this file as it goes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// What the inspector shows in the log's pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// The event log around the cursor.
    Log,
    /// The message flow: a sequence diagram, one lane per actor.
    Flow,
}

/// Arguments of `rehearsal shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// The trace of a failing run.
    pub trace: PathBuf,
    /// Where to write the smallest failing run's trace (default: next to the
    /// input, with `.min.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `rehearsal sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario (see `rehearsal list`); not with --merge.
    #[arg(required_unless_present = "merge")]
    pub scenario: Option<String>,
    /// The seeds, as A..B (B excluded).
    #[arg(long, value_parser = parse_seeds, required_unless_present = "merge")]
    pub seeds: Option<crate::sweep::Seeds>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only shard I of N: every N-th seed from the I-th (I from 0), to
    /// split a sweep across machines; merge their --json outputs with --merge.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<crate::sweep::Shard>,
    /// Scheduling strategy: random, fifo, pct, pct:DEPTH or pct:DEPTH:STEPS.
    #[arg(long, default_value = "random", value_parser = parse_strategy)]
    pub strategy: Strategy,
    /// A scenario parameter, as NAME=VALUE (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Inject the faults of this plan (TOML).
    #[arg(long, value_name = "PLAN")]
    pub faults: Option<PathBuf>,
    /// Swarm mode: each seed also draws which rules apply.
    #[arg(long, requires = "faults")]
    pub swarm: bool,
    /// The most deliveries each run may make.
    #[arg(long, default_value_t = rehearsal::Config::DEFAULT_MAX_STEPS)]
    pub max_steps: u64,
    /// Write the trace of every failing seed to this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the results as JSON (for --merge) instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Skip the seeds a previous `--json` output (of an interrupted sweep)
    /// already holds, and include its results.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Merge the --json outputs of shards instead of running.
    #[arg(long, value_name = "FILES", num_args = 1.., conflicts_with_all = ["scenario", "seeds"])]
    pub merge: Vec<PathBuf>,
}

/// Arguments of `rehearsal export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// The format.
    #[arg(long, value_enum)]
    pub format: crate::export::Format,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Mermaid: the most events to draw.
    #[arg(long, default_value_t = 500)]
    pub limit: usize,
}

/// The default seed, printed with every run.
pub const DEFAULT_SEED: u64 = 1;

/// Arguments of `rehearsal run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario (see `rehearsal list`).
    pub scenario: String,
    /// The seed every random choice comes from.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Scheduling strategy: random, fifo, pct, pct:DEPTH or pct:DEPTH:STEPS.
    #[arg(long, default_value = "random", value_parser = parse_strategy)]
    pub strategy: Strategy,
    /// A scenario parameter, as NAME=VALUE (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// The most deliveries the run may make.
    #[arg(long, default_value_t = rehearsal::Config::DEFAULT_MAX_STEPS)]
    pub max_steps: u64,
    /// Inject the faults of this plan (TOML; see the README).
    #[arg(long, value_name = "PLAN")]
    pub faults: Option<PathBuf>,
    /// Swarm mode: the seed also draws which rules of the plan apply and
    /// scales their probabilities.
    #[arg(long, requires = "faults")]
    pub swarm: bool,
    /// Write the trace (JSON Lines) to this file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Record each message's Debug text in the trace.
    #[arg(long)]
    pub payloads: bool,
}

/// Arguments of `rehearsal replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The trace file to replay.
    pub trace: PathBuf,
}

fn parse_strategy(s: &str) -> Result<Strategy, String> {
    s.parse::<Strategy>().map_err(|e| e.to_string())
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    use crate::tui::views::{MIN_HEIGHT, MIN_WIDTH};
    let err = || {
        format!(
            "expected WIDTHxHEIGHT, at least {MIN_WIDTH}x{MIN_HEIGHT} and at most 1000x1000, like 120x40, got `{s}`"
        )
    };
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let (w, h) = (w.parse::<u16>().map_err(|_| err())?, h.parse::<u16>().map_err(|_| err())?);
    if !(MIN_WIDTH..=1000).contains(&w) || !(MIN_HEIGHT..=1000).contains(&h) {
        return Err(err());
    }
    Ok((w, h))
}

fn parse_seeds(s: &str) -> Result<crate::sweep::Seeds, String> {
    s.parse()
}

fn parse_shard(s: &str) -> Result<crate::sweep::Shard, String> {
    s.parse()
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
