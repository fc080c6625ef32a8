//! What each subcommand does.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rehearsal::faults::FaultPlan;
use rehearsal::replay::{replay, ReplayError};
use rehearsal::trace::{format_hash, TraceReader};
use rehearsal::{Config, DeadLetterReason, RunOutcome, System, TraceLevel};
use rehearsal_scenarios::{Params, Report, Scenario};

use crate::cli::{Cli, Command, ExportArgs, InspectArgs, ReplayArgs, RunArgs, ShrinkArgs, SweepArgs, View};
use crate::{CliError, EXIT_FAILED, EXIT_OK};

type Out<'a> = &'a mut dyn Write;

pub(crate) fn dispatch(cli: Cli, out: Out<'_>) -> Result<u8, CliError> {
    match cli.command {
        Command::List => list(out),
        Command::Run(args) => run(args, out),
        Command::Replay(args) => replay_cmd(args, out),
        Command::Sweep(args) => sweep_cmd(args, out),
        Command::Export(args) => export_cmd(args, out),
        Command::Shrink(args) => shrink_cmd(args, out),
        Command::Inspect(args) => inspect_cmd(args, out),
    }
}

fn inspect_cmd(args: InspectArgs, out: Out<'_>) -> Result<u8, CliError> {
    // A file by that name is a trace; else a scenario's name runs it live.
    let path = PathBuf::from(&args.target);
    let scenario = match rehearsal_scenarios::find(&args.target) {
        _ if path.is_file() => return inspect_trace_cmd(&path, &args, out),
        Some(s) => s,
        None => {
            let what = if path.is_dir() { "is a directory" } else { "no such file" };
            return Err(CliError::bad_input(format!(
                "{}: {what}; expected a trace file, or a scenario to run live: {}",
                args.target,
                scenario_names()
            )));
        }
    };
    let given: Vec<(&str, &str)> = args.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let params = Params::resolve(scenario, &given).map_err(|e| CliError::bad_input(e.to_string()))?;
    let seed = args.seed.unwrap_or(crate::cli::DEFAULT_SEED);
    let mut config = Config::seeded(seed)
        .strategy(args.strategy.unwrap_or(rehearsal::Strategy::Random))
        .trace(TraceLevel::Events)
        .max_steps(args.max_steps.unwrap_or(Config::DEFAULT_MAX_STEPS))
        .scenario(scenario.name(), params.to_json());
    if let Some(path) = &args.faults {
        let plan = FaultPlan::from_toml_file(path).map_err(|e| CliError::bad_input(e.to_string()))?;
        config.faults = Some(if args.swarm { plan.swarm(seed) } else { plan });
    }
    if let Some(path) = args.trace.as_deref().filter(|p| p.is_dir()) {
        return Err(CliError::bad_input(format!("{}: is a directory; expected a trace file to write", path.display())));
    }
    let run = crate::tui::live::LiveRun::start(scenario, config, args.trace.as_deref()).map_err(CliError::bad_input)?;
    show(crate::tui::App::live(run), &args, out)
}

/// Shows `app` as `args` ask: one screen as text with --snapshot-at, else
/// the terminal UI.
fn show(mut app: crate::tui::App, args: &InspectArgs, out: Out<'_>) -> Result<u8, CliError> {
    if args.view == View::Flow {
        app.handle(crate::tui::Command::ToggleFlow);
    }
    match args.snapshot_at {
        Some(step) => {
            let (w, h) = args.size.unwrap_or((120, 40));
            writeln!(out, "{}", crate::tui::screen_at(app, step, w, h, false)).map_err(io_err)?;
            Ok(EXIT_OK)
        }
        None => {
            crate::tui::inspect(app).map_err(CliError::bad_input)?;
            Ok(exit_code(crate::interrupted().load(std::sync::atomic::Ordering::Relaxed), true))
        }
    }
}

fn inspect_trace_cmd(path: &Path, args: &InspectArgs, out: Out<'_>) -> Result<u8, CliError> {
    // The options of a live run mean nothing for a recording: say so.
    let live_only = [
        (args.seed.is_some(), "--seed"),
        (args.strategy.is_some(), "--strategy"),
        (!args.params.is_empty(), "--param"),
        (args.faults.is_some(), "--faults"),
        (args.max_steps.is_some(), "--max-steps"),
        (args.trace.is_some(), "--trace"),
    ];
    if let Some((_, flag)) = live_only.iter().find(|(given, _)| *given) {
        return Err(CliError::bad_input(format!(
            "{flag} is for a live run (inspect SCENARIO); {} is a recorded trace, which has its own",
            path.display()
        )));
    }
    // A cut or damaged trace opens up to the damage, and says so.
    let (trace, damage) = rehearsal::trace::read_trace_prefix(path).map_err(|e| CliError::bad_input(e.to_string()))?;
    let note = damage.map(|e| format!("{e}: showing the {} events before it", trace.events.len()));
    let mut app = crate::tui::App::new(trace);
    if let Some(n) = note {
        if args.snapshot_at.is_some() {
            eprintln!("note: {n}");
        }
        app.mark_cut(n);
    }
    show(app, args, out)
}

fn shrink_cmd(args: ShrinkArgs, out: Out<'_>) -> Result<u8, CliError> {
    let trace = rehearsal::trace::read_trace(&args.trace).map_err(|e| CliError::bad_input(e.to_string()))?;
    let dest = args.out.clone().unwrap_or_else(|| args.trace.with_extension("min.jsonl"));
    let s = crate::shrink::shrink(&trace, &args.trace, &dest)?;
    let pairs = |p: &Params| p.pairs().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    let w = |out: Out<'_>| -> std::io::Result<()> {
        writeln!(out, "invariant   {} still fails", s.invariant)?;
        writeln!(out, "faults      {} injected -> {} needed", s.faults_before, s.plan.rules.len())?;
        writeln!(out, "parameters  {} -> {}", pairs(&s.params_before), pairs(&s.params))?;
        writeln!(out, "runs        {}", s.runs)?;
        writeln!(out, "trace       {}  (rehearsal replay {})", dest.display(), dest.display())?;
        if !s.plan.rules.is_empty() {
            writeln!(out, "the faults that are needed, as a plan:\n")?;
            write!(out, "{}", s.plan.to_toml())?;
        }
        Ok(())
    };
    w(out).map_err(io_err)?;
    Ok(EXIT_OK)
}

fn sweep_cmd(args: SweepArgs, out: Out<'_>) -> Result<u8, CliError> {
    let start = std::time::Instant::now();
    let (report, traces) = if !args.merge.is_empty() {
        (crate::sweep::merge(&args.merge)?, Vec::new())
    } else {
        let name = args.scenario.as_deref().unwrap_or_default();
        let scenario = find_scenario(name)?;
        let given: Vec<(&str, &str)> = args.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let params = Params::resolve(scenario, &given).map_err(|e| CliError::bad_input(e.to_string()))?;
        let plan = match &args.faults {
            Some(path) => Some(FaultPlan::from_toml_file(path).map_err(|e| CliError::bad_input(e.to_string()))?),
            None => None,
        };
        if let Some(dir) = &args.out {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::bad_input(format!("{}: cannot create the output directory: {e}", dir.display()))
            })?;
        }
        let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let job = crate::sweep::SweepJob {
            scenario,
            params: &params,
            strategy: args.strategy,
            seeds: args.seeds.ok_or_else(|| CliError::bad_input("--seeds A..B is required"))?,
            shard: args.shard,
            faults: plan.as_ref().zip(args.faults.as_ref().map(|p| p.display().to_string())),
            swarm: args.swarm,
            max_steps: args.max_steps,
            jobs,
        };
        let previous = match &args.resume {
            Some(path) => Some(crate::sweep::merge(std::slice::from_ref(path))?),
            None => None,
        };
        let mut report = job.run(previous.as_ref())?;
        if let Some(prev) = previous {
            report.absorb(prev);
        }
        let mut traces = Vec::new();
        if let Some(dir) = &args.out {
            for r in report.results.iter().filter(|r| !r.passed) {
                let path = dir.join(format!("{}-seed-{}.jsonl", report.scenario, r.seed));
                job.record(r.seed, &path)?;
                traces.push((r.seed, path));
            }
        }
        (report, traces)
    };
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::bad_input(e.to_string()))?;
        writeln!(out, "{text}").map_err(io_err)?;
    } else {
        let elapsed = args.merge.is_empty().then(|| crate::sweep::elapsed(start));
        crate::sweep::summary(out, &report, elapsed, &traces).map_err(io_err)?;
    }
    Ok(exit_code(report.interrupted, report.results.iter().all(|r| r.passed)))
}

/// The exit code of a command that ran something: 130 if Ctrl-C (or a
/// signal) cut it short, else whether it passed.
fn exit_code(interrupted: bool, passed: bool) -> u8 {
    if interrupted {
        crate::EXIT_INTERRUPTED
    } else if passed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn export_cmd(args: ExportArgs, out: Out<'_>) -> Result<u8, CliError> {
    let trace = rehearsal::trace::read_trace(&args.trace).map_err(|e| CliError::bad_input(e.to_string()))?;
    let text = match args.format {
        crate::export::Format::Mermaid => crate::export::mermaid(&trace, args.limit),
        crate::export::Format::Dot => crate::export::dot(&trace),
        crate::export::Format::Chrome => {
            serde_json::to_string(&crate::export::chrome(&trace)).map_err(|e| CliError::bad_input(e.to_string()))?
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::bad_input(format!("{}: cannot write the export: {e}", path.display())))?,
        None => writeln!(out, "{text}").map_err(io_err)?,
    }
    Ok(EXIT_OK)
}

fn io_err(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // The reader went away (`| head`): nothing more to say.
        return CliError { code: crate::EXIT_OK, message: String::new() };
    }
    CliError::bad_input(format!("cannot write output: {e}"))
}

fn find_scenario(name: &str) -> Result<&'static dyn Scenario, CliError> {
    rehearsal_scenarios::find(name).ok_or_else(|| {
        CliError::bad_input(format!("unknown scenario `{name}`; the scenarios are: {}", scenario_names()))
    })
}

/// The built-in scenarios' names, comma-separated.
fn scenario_names() -> String {
    rehearsal_scenarios::all().iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

fn list(out: Out<'_>) -> Result<u8, CliError> {
    for s in rehearsal_scenarios::all() {
        writeln!(out, "{:<12} {}", s.name(), s.description()).map_err(io_err)?;
        for p in s.params() {
            let flag = format!("--param {}={}", p.name, p.default);
            writeln!(out, "    {flag:<28} {}", p.help).map_err(io_err)?;
        }
    }
    Ok(EXIT_OK)
}

fn run(args: RunArgs, out: Out<'_>) -> Result<u8, CliError> {
    let scenario = find_scenario(&args.scenario)?;
    let given: Vec<(&str, &str)> = args.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let params = Params::resolve(scenario, &given).map_err(|e| CliError::bad_input(e.to_string()))?;
    let level = if args.payloads { TraceLevel::Payloads } else { TraceLevel::Events };
    let plan = match &args.faults {
        Some(path) => {
            let plan = FaultPlan::from_toml_file(path).map_err(|e| CliError::bad_input(e.to_string()))?;
            Some(if args.swarm { plan.swarm(args.seed) } else { plan })
        }
        None => None,
    };
    let mut config = Config::seeded(args.seed)
        .strategy(args.strategy)
        .trace(level)
        .max_steps(args.max_steps)
        .scenario(scenario.name(), params.to_json());
    config.faults = plan;
    let mut sys = match &args.trace {
        Some(path) => {
            if path.is_dir() {
                return Err(CliError::bad_input(format!(
                    "{}: is a directory; expected a trace file to write",
                    path.display()
                )));
            }
            let file = File::create(path)
                .map_err(|e| CliError::bad_input(format!("{}: cannot create the trace file: {e}", path.display())))?;
            System::with_trace_writer(config, BufWriter::new(file), false)
        }
        // Without a trace file only the hash is kept, not the events.
        None => System::with_trace_writer(config.clone(), std::io::sink(), false),
    };
    sys.interrupt_on(crate::interrupted());
    let report = scenario.run(&mut sys).map_err(|e| CliError::bad_input(e.to_string()))?;
    if let Some(path) = &args.trace {
        sys.finish().map_err(|e| CliError::bad_input(format!("{}: cannot write the trace: {e}", path.display())))?;
    }
    summary(out, scenario, &params, &args, &sys, &report).map_err(io_err)?;
    Ok(exit_code(report.outcome == RunOutcome::Interrupted, report.passed()))
}

fn command_line(scenario: &dyn Scenario, params: &Params, args: &RunArgs) -> String {
    let mut cmd = format!("rehearsal run {} --seed {} --strategy {}", scenario.name(), args.seed, args.strategy);
    for (k, v) in params.pairs() {
        cmd.push_str(&format!(" --param {k}={v}"));
    }
    if let Some(f) = &args.faults {
        cmd.push_str(&format!(" --faults {}", f.display()));
        if args.swarm {
            cmd.push_str(" --swarm");
        }
    }
    if args.max_steps != Config::DEFAULT_MAX_STEPS {
        cmd.push_str(&format!(" --max-steps {}", args.max_steps));
    }
    cmd
}

fn summary(
    out: Out<'_>,
    scenario: &dyn Scenario,
    params: &Params,
    args: &RunArgs,
    sys: &System,
    report: &Report,
) -> std::io::Result<()> {
    let s = sys.stats();
    let pairs: Vec<String> = params.pairs().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(out, "scenario     {} ({})", scenario.name(), pairs.join(" "))?;
    writeln!(out, "seed         {}   strategy {}", args.seed, args.strategy)?;
    let ended = match report.outcome {
        RunOutcome::StepLimit => "STEP LIMIT REACHED (a likely livelock)".to_string(),
        other => other.to_string(),
    };
    writeln!(out, "outcome      {ended} after {} steps, virtual time {}", s.steps, sys.now())?;
    writeln!(
        out,
        "messages     sent {}, handled {}, dead letters {}, still queued {}",
        s.sent, s.handled, s.dead_letters, s.queued
    )?;
    writeln!(
        out,
        "actors       spawned {}, stopped {}, failures {}, restarts {}",
        s.spawned, s.stopped, s.failures, s.restarts
    )?;
    if args.faults.is_some() {
        writeln!(out, "faults       {} injected", s.faults)?;
    }
    let by_reason: Vec<String> =
        DeadLetterReason::ALL.iter().filter(|r| s.dead(**r) > 0).map(|r| format!("{r} {}", s.dead(*r))).collect();
    writeln!(out, "dead letters {}", if by_reason.is_empty() { "none".to_string() } else { by_reason.join(", ") })?;
    writeln!(out, "invariants")?;
    for v in &report.verdicts {
        writeln!(out, "  {v}")?;
    }
    if let Some(h) = sys.trace_hash() {
        writeln!(out, "trace hash   {}", format_hash(h))?;
    }
    if let Some(path) = &args.trace {
        writeln!(out, "trace file   {}", path.display())?;
    }
    if !report.passed() {
        writeln!(out, "FAILED. Run it again with:")?;
        writeln!(out, "  {}", command_line(scenario, params, args))?;
        if let Some(path) = &args.trace {
            writeln!(out, "or replay the recorded run with:\n  rehearsal replay {}", path.display())?;
        }
    }
    Ok(())
}

fn replay_cmd(args: ReplayArgs, out: Out<'_>) -> Result<u8, CliError> {
    let reader = TraceReader::open(&args.trace).map_err(|e| CliError::bad_input(e.to_string()))?;
    let header = reader.header().clone();
    let scenario = find_scenario(&header.scenario).map_err(|e| {
        CliError::bad_input(format!("{}:1: the trace's scenario is unknown: {}", args.trace.display(), e.message))
    })?;
    let mut param_error = None;
    let report = replay(reader, |sys| {
        if let Err(e) = scenario.run(sys) {
            param_error = Some(e);
        }
    });
    if let Some(e) = param_error {
        return Err(CliError::bad_input(format!(
            "{}:1: bad parameters in the trace header: {e}",
            args.trace.display()
        )));
    }
    match report {
        Ok(r) => match r.divergence {
            None => {
                writeln!(
                    out,
                    "identical: {} events of {} (seed {}, strategy {}) replayed the same",
                    r.events, header.scenario, header.seed, header.strategy
                )
                .map_err(io_err)?;
                if r.interrupted {
                    writeln!(out, "(the recorded run was interrupted there; the replay stopped at the same point)")
                        .map_err(io_err)?;
                }
                Ok(EXIT_OK)
            }
            Some(d) => {
                writeln!(out, "DIVERGED: {}", args.trace.display()).map_err(io_err)?;
                writeln!(out, "{d}").map_err(io_err)?;
                Ok(EXIT_FAILED)
            }
        },
        Err(ReplayError::Trace(e)) => Err(CliError::bad_input(e.to_string())),
        Err(ReplayError::Setup(why)) => {
            Err(CliError { code: EXIT_FAILED, message: format!("the scenario panicked during the replay: {why}") })
        }
    }
}
