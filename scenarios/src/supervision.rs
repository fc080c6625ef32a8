//! `supervision`: a dispatcher hands jobs to workers under a supervisor;
//! workers crash now and then on their own (and whenever a fault plan says),
//! and the supervisor restarts them per its strategy. With `nested=1` the
//! workers sit in two pools, each a supervisor whose decider escalates every
//! failure, so the root restarts whole pools.
//!
//! Every job must be handled once or be a dead letter (`failed` for the job
//! a worker crashed on, `pending_at_stop` for jobs queued at a worker that a
//! pool restart replaced); the tree must be alive at the end unless the
//! restart intensity was exceeded, which stops the system; and the restarts
//! must follow the strategy.

use std::collections::BTreeMap;

use rand::Rng;
use rehearsal::supervision::Strategy;
use rehearsal::{
    Actor, Addr, ChildSpec, Context, DeadLetterReason, Directive, Failure, Handled, RunOutcome, SupervisorMsg,
    SupervisorSpec, System,
};

use crate::util::{dead_by_msg, faults_injected, histogram, no_problems, shared, Shared};
use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Supervision;

/// What the run leaves behind.
#[derive(Default)]
struct Book {
    /// Message id → job, for every job sent.
    sent: BTreeMap<u64, u64>,
    /// Jobs handled, by job.
    handled: BTreeMap<u64, u32>,
    /// Worker index → how many times an incarnation of it started.
    starts: BTreeMap<usize, u64>,
    /// Worker index → how many times it crashed on its own.
    crashes: BTreeMap<usize, u64>,
}

#[derive(Debug)]
struct Job(u64);

struct Worker {
    index: usize,
    crash: f64,
    book: Shared<Book>,
}

impl Actor for Worker {
    type Msg = Job;

    fn pre_start(&mut self, _ctx: &mut Context<'_, Self>) -> Handled {
        *self.book.borrow_mut().starts.entry(self.index).or_default() += 1;
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, Job(job): Job) -> Handled {
        if ctx.rng().random_bool(self.crash) {
            *self.book.borrow_mut().crashes.entry(self.index).or_default() += 1;
            return Err(Failure::new(format!("worker-{} crashed on job {job}", self.index)));
        }
        *self.book.borrow_mut().handled.entry(job).or_default() += 1;
        Ok(())
    }
}

#[derive(Debug)]
struct Tick;

/// Sends one job per tick to a worker drawn at random, looking the worker
/// up by name each time (a pool restart replaces its workers).
struct Dispatcher {
    /// For each worker: the supervisor it sits under, its name, its last address.
    workers: Vec<(Addr<SupervisorMsg>, String, Addr<Job>)>,
    jobs: u64,
    next: u64,
    book: Shared<Book>,
}

impl Actor for Dispatcher {
    type Msg = Tick;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, Tick: Tick) -> Handled {
        if self.next >= self.jobs {
            return Ok(());
        }
        let w = ctx.rng().random_range(0..self.workers.len());
        let (sup, name, last) = &self.workers[w];
        // If the worker is gone (its tree shut down), send to its last
        // address anyway: the job becomes a dead letter `no_recipient`.
        let to = ctx.child::<Job>(*sup, name).unwrap_or(*last);
        self.workers[w].2 = to;
        let job = self.next;
        self.next += 1;
        let msg = ctx.send(to, Job(job));
        self.book.borrow_mut().sent.insert(msg.0, job);
        if self.next < self.jobs {
            let me = ctx.addr();
            ctx.send_after(me, Tick, 1);
        }
        Ok(())
    }
}

fn parse_strategy(s: &str) -> Strategy {
    match s {
        "one_for_all" => Strategy::OneForAll,
        "rest_for_one" => Strategy::RestForOne,
        _ => Strategy::OneForOne,
    }
}

impl Scenario for Supervision {
    fn name(&self) -> &'static str {
        "supervision"
    }

    fn description(&self) -> &'static str {
        "let it crash: workers crash at random under a supervisor (optionally nested pools that escalate)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "workers", default: "4", help: "how many workers" },
            ParamSpec { name: "jobs", default: "100", help: "jobs sent, one per tick" },
            ParamSpec { name: "crash", default: "0.05", help: "the chance a worker crashes on a job" },
            ParamSpec {
                name: "strategy",
                default: "one_for_one",
                help: "the root's strategy: one_for_one, one_for_all or rest_for_one",
            },
            ParamSpec { name: "nested", default: "0", help: "1: workers in two pools whose deciders escalate" },
            ParamSpec { name: "intensity", default: "5", help: "restarts the root allows within the period" },
            ParamSpec { name: "period", default: "10", help: "the intensity's window, in ticks" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let workers = p.number("workers", 1..=10_000)? as usize;
        let jobs = p.number("jobs", 0..=10_000_000)?;
        let crash = p.probability("crash")?;
        let strategy_name = p.choice("strategy", &["one_for_one", "one_for_all", "rest_for_one"])?;
        let strategy = parse_strategy(strategy_name);
        let nested = p.number("nested", 0..=1)? == 1;
        let intensity = p.number("intensity", 0..=1_000_000)? as u32;
        let period = p.number("period", 1..=1_000_000)?;
        let book: Shared<Book> = shared();

        let worker_spec = {
            let book = book.clone();
            move |i: usize| {
                let book = book.clone();
                ChildSpec::new(&format!("worker-{i}"), move || Worker { index: i, crash, book: book.clone() })
            }
        };
        let root_spec = SupervisorSpec::new(strategy).intensity(intensity, period);
        // Pools: worker indices per pool (one pool of all when flat).
        let pools: Vec<Vec<usize>> = if nested && workers >= 2 {
            let half = workers / 2;
            vec![(0..half).collect(), (half..workers).collect()]
        } else {
            vec![(0..workers).collect()]
        };
        let nested = nested && pools.len() == 2;
        let root = if nested {
            let pools = pools.clone();
            sys.spawn_supervisor("sup", root_spec, move || {
                pools
                    .iter()
                    .enumerate()
                    .map(|(k, members)| {
                        let (members, worker_spec) = (members.clone(), worker_spec.clone());
                        // A pool decides nothing itself: every failure goes up.
                        let spec = SupervisorSpec::new(Strategy::OneForOne).decider(|_| Directive::Escalate);
                        ChildSpec::supervisor(&format!("pool-{}", ["a", "b"][k]), spec, move || {
                            members.iter().map(|&i| worker_spec(i)).collect()
                        })
                    })
                    .collect()
            })
        } else {
            sys.spawn_supervisor("sup", root_spec, move || (0..workers).map(&worker_spec).collect())
        };
        let pool_addrs: Vec<Addr<SupervisorMsg>> = if nested {
            ["pool-a", "pool-b"].iter().map(|n| sys.child(root, n).expect("a pool just started")).collect()
        } else {
            vec![root]
        };
        let mut table = Vec::new();
        for (k, members) in pools.iter().enumerate() {
            for &i in members {
                let name = format!("worker-{i}");
                let addr = sys.child::<Job>(pool_addrs[k], &name).expect("a worker just started");
                table.push((pool_addrs[k], name, addr));
            }
        }
        let dispatcher =
            sys.spawn("dispatcher", Dispatcher { workers: table.clone(), jobs, next: 0, book: book.clone() });
        sys.send(dispatcher, Tick);
        let outcome = sys.run_until_idle();

        let book = book.borrow();
        let faulty = faults_injected(sys);
        let stopped = sys.stopped().map(str::to_string);
        let intensity_stop = stopped.as_deref().is_some_and(|s| s.contains("restart intensity"));
        let mut verdicts = vec![jobs_verdict(sys, &book, outcome, faulty, jobs)];

        // The tree is whole at the end, unless the intensity was exceeded.
        let missing: Vec<&str> = table
            .iter()
            .filter(|(sup, name, _)| sys.child::<Job>(*sup, name).is_none())
            .map(|t| t.1.as_str())
            .collect();
        verdicts.push(match &stopped {
            Some(why) => Verdict::new(
                "tree-alive",
                intensity_stop,
                format!("the restart intensity ({intensity} in {period} ticks) was exceeded; {why}"),
            ),
            None => Verdict::new(
                "tree-alive",
                sys.is_alive(root) && missing.is_empty(),
                if missing.is_empty() {
                    format!("the root and all {workers} workers are alive")
                } else {
                    format!("missing: {}", missing.join(", "))
                },
            ),
        });
        verdicts.push(restarts_verdict(&book, &pools, strategy, nested, faulty, stopped.is_some(), workers));
        verdicts.push(conservation(sys));
        Ok(Report { outcome, verdicts })
    }
}

/// Every job sent was handled once, or is a dead letter for a reason a
/// crash or a restart explains (any reason, when faults were injected).
fn jobs_verdict(sys: &System, book: &Book, outcome: RunOutcome, faulty: bool, jobs: u64) -> Verdict {
    let dead = dead_by_msg(sys);
    let expected = [DeadLetterReason::Failed, DeadLetterReason::PendingAtStop, DeadLetterReason::NoRecipient];
    let mut reasons: BTreeMap<DeadLetterReason, u64> = BTreeMap::new();
    let (mut handled, mut dead_n, mut queued) = (0u64, 0u64, 0u64);
    let mut bad = Vec::new();
    for (msg, job) in &book.sent {
        let h = book.handled.get(job).copied().unwrap_or(0);
        match (h, dead.get(msg)) {
            (1, None) => handled += 1,
            (0, Some(r)) if faulty || expected.contains(r) => {
                dead_n += 1;
                *reasons.entry(*r).or_default() += 1;
            }
            // Still queued when the system stopped.
            (0, None) if outcome != RunOutcome::Idle => queued += 1,
            (h, r) => bad.push(format!("job {job}: handled {h} times, dead letter {r:?}")),
        }
    }
    let q = if queued > 0 { format!(", {queued} still queued at the stop") } else { String::new() };
    no_problems("every-job-handled-or-dead-lettered", &bad, 5, || {
        format!(
            "{} of {jobs} jobs sent: {handled} handled, {dead_n} dead letters ({}){q}",
            book.sent.len(),
            histogram(&reasons)
        )
    })
}

/// The restarts follow the strategy. A start after the first is a restart
/// (or, in a pool, a fresh worker after the pool restarted).
fn restarts_verdict(
    book: &Book,
    pools: &[Vec<usize>],
    strategy: Strategy,
    nested: bool,
    faulty: bool,
    stopped: bool,
    workers: usize,
) -> Verdict {
    let restarts = |i: usize| book.starts.get(&i).copied().unwrap_or(0).saturating_sub(1);
    let crashes = |i: usize| book.crashes.get(&i).copied().unwrap_or(0);
    let total_restarts: u64 = (0..workers).map(restarts).sum();
    let total_crashes: u64 = (0..workers).map(crashes).sum();
    let per: Vec<String> = (0..workers).map(|i| format!("{}", restarts(i))).collect();
    // Nested, a pool's restart starts new workers: they count as restarts
    // of the workers they replace (the run's summary counts the pools').
    let counted = if nested { " (a pool's restart starts new workers: counted here)" } else { "" };
    let counts = format!(
        "{total_crashes} worker crashes, {total_restarts} worker restarts{counted} (per worker: {})",
        if workers <= 16 { per.join(" ") } else { format!("{} workers", workers) }
    );
    if stopped {
        // The last crash found the intensity spent: no restart followed it.
        return Verdict::new("restarts-follow-strategy", true, format!("{counts}; not checked after the stop"));
    }
    // Units that restart together: workers (flat) or pools (nested), with
    // each unit's restarts and the crashes inside it.
    let mut problems = Vec::new();
    let units: Vec<(u64, u64)> = if nested {
        pools
            .iter()
            .enumerate()
            .map(|(k, members)| {
                // Workers in a pool restart together, as the pool does (a
                // kill, though, is the pool's own business: it restarts
                // just that worker).
                let r = members.iter().map(|&i| restarts(i)).min().unwrap_or(0);
                if !faulty && members.iter().any(|&i| restarts(i) != r) {
                    problems.push(format!("the workers of pool {k} restarted unequally"));
                }
                (r, members.iter().map(|&i| crashes(i)).sum())
            })
            .collect()
    } else {
        (0..workers).map(|i| (restarts(i), crashes(i))).collect()
    };
    // A crash reported while its unit is already being restarted is stale
    // and restarts nothing; so a unit's restarts may fall short of its
    // crashes only where crash reports can queue behind one another (pools,
    // and group strategies). Faults may add restarts (kills) and crashes.
    let exact = !nested && !faulty;
    match strategy {
        Strategy::OneForOne => {
            for (u, &(r, c)) in units.iter().enumerate() {
                let ok = if exact {
                    r == c
                } else if faulty {
                    c == 0 || r >= 1
                } else {
                    r <= c && (c == 0 || r >= 1)
                };
                if !ok {
                    problems.push(format!("unit {u}: {r} restarts for {c} crashes"));
                }
            }
        }
        Strategy::OneForAll => {
            let r0 = units[0].0;
            if units.iter().any(|&(r, _)| r != r0) {
                problems.push("one_for_all restarted units unequally".to_string());
            }
            let c: u64 = units.iter().map(|u| u.1).sum();
            if (c > 0 && r0 == 0) || (!faulty && r0 > c) {
                problems.push(format!("{r0} group restarts for {c} crashes"));
            }
        }
        Strategy::RestForOne => {
            if units.windows(2).any(|w| w[1].0 < w[0].0) {
                problems.push("rest_for_one restarted a unit more than a later one".to_string());
            }
            let (r, c) = units[0];
            let ok = if exact { r == c } else { (c == 0 || r >= 1) && (faulty || r <= c) };
            if !ok {
                problems.push(format!("the first unit: {r} restarts for {c} crashes"));
            }
        }
    }
    Verdict::new(
        "restarts-follow-strategy",
        problems.is_empty(),
        if problems.is_empty() { counts } else { format!("{}; {counts}", problems.join("; ")) },
    )
}

#[cfg(test)]
mod tests {
    use crate::testing::{run, run_with_faults};

    #[test]
    fn passes_under_each_strategy_flat_and_nested() {
        for strategy in ["one_for_one", "one_for_all", "rest_for_one"] {
            for nested in ["0", "1"] {
                let mut failures = 0;
                for seed in 0..3 {
                    let params = [("strategy", strategy), ("nested", nested), ("jobs", "60")];
                    let (report, stats) = run("supervision", &params, seed);
                    assert!(report.passed(), "{strategy} nested={nested} seed {seed}: {report:?}");
                    failures += stats.failures;
                }
                assert!(failures > 0, "{strategy} nested={nested}: no crash at all");
            }
        }
    }

    #[test]
    fn exceeding_the_intensity_stops_the_system_and_still_passes() {
        let params = [("crash", "0.9"), ("intensity", "2"), ("period", "100")];
        let (report, _) = run("supervision", &params, 1);
        assert_eq!(report.outcome, rehearsal::RunOutcome::SystemStopped);
        assert!(report.passed(), "{report:?}");
    }

    #[test]
    fn passes_with_injected_crashes_and_kills() {
        let plan = r#"
            [[rule]]
            name = "crash"
            actors = "worker-*"
            probability = 0.05
            action = "crash"

            [[rule]]
            name = "kill-one"
            actors = "worker-1"
            at_time = 30
            action = "kill"
        "#;
        for strategy in ["one_for_one", "one_for_all", "rest_for_one"] {
            for nested in ["0", "1"] {
                let params = [("strategy", strategy), ("nested", nested), ("intensity", "50")];
                let (report, _) = run_with_faults("supervision", &params, 2, plan);
                assert!(report.passed(), "{strategy} nested={nested}: {report:?}");
            }
        }
    }
}
