//! Fault injection (SPEC section 7): plan files, each action, and replay.

use rehearsal::faults::{Action, FaultPlan, Trigger};
use rehearsal::replay::replay;
use rehearsal::trace::TraceReader;
use rehearsal::{Actor, Addr, Config, Context, DeadLetterReason, EventKind, Handled, System};
use rehearsal_tests::{kinds_where, run_conserved, Log, Recorder, SharedBuf};

fn plan(toml: &str) -> FaultPlan {
    FaultPlan::from_toml_str(toml, "plan.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn faults(sys: &System) -> Vec<(String, String)> {
    sys.events()
        .filter_map(|e| match &e.kind {
            EventKind::Fault { rule, action, .. } => Some((rule.clone(), action.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_issue_example_reads_as_written() {
    let p = plan("[[rule]]\nname = \"crash-workers\"\nactors = \"worker*\"\nprobability = 0.05\naction = \"crash\"\n");
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].name, "crash-workers");
    assert_eq!(p.rules[0].trigger, Trigger::Probability(0.05));
    assert_eq!(p.rules[0].action, Action::Crash);
}

#[test]
fn every_field_style_reads() {
    let p = plan(
        r#"
[[rule]]
name = "slow-db"
actors = "type:Db"
messages = "Query*"
at_message = 3
action = "slow"
ticks = 4

[[rule]]
name = "lag"
actors = "*"
probability = 0.5
action = "delay"
delay = [1, 10]

[[rule]]
name = "split"
actors = "east*"
action = "partition"
with = "west*"
from = 10
until = 20

[[rule]]
name = "squeeze"
actors = "queue"
at_time = 5
action = "shrink_mailbox"
capacity = 2
"#,
    );
    assert_eq!(p.rules.len(), 4);
    assert_eq!(p.rules[1].action, Action::Delay { min: 1, max: 10 });
    assert_eq!(p.rules[2].trigger, Trigger::Always);
    assert_eq!(p.rules[3].action, Action::ShrinkMailbox(2));
}

fn bad(toml: &str) -> rehearsal::faults::FaultPlanError {
    FaultPlan::from_toml_str(toml, "bad.toml").expect_err("a bad plan is an error")
}

#[test]
fn a_wrong_plan_names_the_line_and_the_field() {
    let rule = "[[rule]]\nname = \"r\"\nactors = \"*\"\n";
    let e = bad(&format!("{rule}probability = 1.5\naction = \"crash\"\n"));
    assert_eq!((e.line, e.field.as_deref()), (4, Some("probability")), "{e}");
    let e = bad(&format!("{rule}probability = 0.5\naction = \"explode\"\n"));
    assert_eq!((e.line, e.field.as_deref()), (5, Some("action")), "{e}");
    assert!(e.to_string().starts_with("bad.toml:5: field `action`: unknown action \"explode\""), "{e}");
    let e = bad(&format!("{rule}probabilty = 0.5\naction = \"crash\"\n"));
    assert_eq!((e.line, e.field.as_deref()), (4, Some("probabilty")), "{e}");
    let e = bad(&format!("{rule}probability = \"often\"\naction = \"crash\"\n"));
    assert_eq!(e.line, 4, "{e}");
    let e = bad(&format!("{rule}probability = 0.5\nat_time = 3\naction = \"crash\"\n"));
    assert_eq!((e.line, e.field.as_deref()), (5, Some("at_time")), "{e}");
    let e = bad(&format!("{rule}action = \"crash\"\n"));
    assert_eq!(e.field.as_deref(), Some("probability"), "{e}");
    let e = bad(&format!("{rule}probability = 0.5\naction = \"delay\"\ndelay = [5, 1]\n"));
    assert_eq!((e.line, e.field.as_deref()), (6, Some("delay")), "{e}");
    let e = bad("[[rule]]\nactors = \"*\"\nprobability = 0.5\naction = \"crash\"\n");
    assert_eq!(e.field.as_deref(), Some("name"), "{e}");
    let e = bad("[[rule]\nname = 3");
    assert_eq!(e.line, 1, "{e}");
    let e = bad(&format!("{rule}at_message = 0\naction = \"crash\"\n"));
    assert_eq!((e.line, e.field.as_deref()), (4, Some("at_message")), "{e}");
}

#[test]
fn unreadable_plan_files_are_errors() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("faults-files");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(FaultPlan::from_toml_file(&dir).unwrap_err().to_string().contains("directory"));
    assert!(FaultPlan::from_toml_file(dir.join("missing.toml")).is_err());
    let bin = dir.join("binary.toml");
    std::fs::write(&bin, b"[[rule]]\nname = \"\xff\xfe\"\n").unwrap();
    let e = FaultPlan::from_toml_file(&bin).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}

/// Counts its messages.
struct Worker {
    seen: Vec<u32>,
}

impl Actor for Worker {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        self.seen.push(n);
        Ok(())
    }
}

fn run_plan(toml: &str, sends: u32) -> (System, Addr<u32>) {
    let mut sys = System::new(Config::seeded(3).faults(plan(toml)));
    let w = sys.spawn("worker-1", Worker { seen: vec![] });
    for i in 1..=sends {
        sys.send(w, i);
    }
    run_conserved(&mut sys);
    (sys, w)
}

#[test]
fn crash_at_the_nth_message() {
    let (sys, w) = run_plan("[[rule]]\nname='c'\nactors='worker*'\nat_message=2\naction='crash'\n", 3);
    assert_eq!(faults(&sys), [("c".to_string(), "crash".to_string())]);
    assert!(!sys.is_alive(w), "an unsupervised actor stops after a failure");
    assert_eq!(sys.stats().dead(DeadLetterReason::Failed), 1);
    let reasons = kinds_where(&sys, |k| matches!(k, EventKind::Failure { .. }));
    assert!(matches!(&reasons[0], EventKind::Failure { reason, .. } if reason.contains("injected crash (rule c)")));
}

#[test]
fn kill_at_a_time_hits_every_matching_actor() {
    let mut sys =
        System::new(Config::seeded(3).faults(plan("[[rule]]\nname='k'\nactors='w*'\nat_time=7\naction='kill'\n")));
    let log = Log::new();
    let a = sys.spawn("w1", Recorder::new("w1", &log));
    let b = sys.spawn("w2", Recorder::new("w2", &log));
    let c = sys.spawn("other", Recorder::new("o", &log));
    run_conserved(&mut sys);
    assert_eq!(sys.now(), 7);
    assert!(!sys.is_alive(a) && !sys.is_alive(b) && sys.is_alive(c));
    assert_eq!(faults(&sys).len(), 2);
}

#[test]
fn drop_loses_the_message_as_a_dead_letter() {
    let (sys, w) = run_plan("[[rule]]\nname='d'\nactors='*'\nprobability=1.0\naction='drop'\n", 4);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.len()), Some(0));
    assert_eq!(sys.stats().dead(DeadLetterReason::InjectedDrop), 4);
}

#[test]
fn delay_can_reorder_and_the_trace_says_so() {
    let (sys, w) = run_plan("[[rule]]\nname='late'\nactors='*'\nat_message=1\naction='delay'\ndelay=[5,5]\n", 3);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.clone()), Some(vec![2, 3, 1]));
    assert_eq!(faults(&sys), [("late".to_string(), "delay".to_string())]);
    assert_eq!(sys.now(), 5);
}

#[test]
fn duplicate_needs_a_cloneable_message_type() {
    let toml = "[[rule]]\nname='twice'\nactors='*'\nat_message=1\naction='duplicate'\n";
    let (sys, w) = run_plan(toml, 2);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.clone()), Some(vec![1, 2]));
    assert_eq!(faults(&sys), [("twice".to_string(), "duplicate_skipped".to_string())]);
    let mut sys = System::new(Config::seeded(3).faults(plan(toml)));
    sys.allow_duplicates::<u32>();
    let w = sys.spawn("w", Worker { seen: vec![] });
    sys.send(w, 1);
    sys.send(w, 2);
    run_conserved(&mut sys);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.clone()), Some(vec![1, 1, 2]));
}

#[test]
fn shrink_and_slow() {
    let (sys, w) = run_plan("[[rule]]\nname='s'\nactors='*'\nat_message=1\naction='slow'\nticks=9\n", 2);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.clone()), Some(vec![1, 2]));
    assert_eq!(sys.now(), 9, "the second message waited for the slow handler");
    let mut sys = System::new(
        Config::seeded(3)
            .faults(plan("[[rule]]\nname='q'\nactors='*'\nat_time=1\naction='shrink_mailbox'\ncapacity=2\n")),
    );
    let w = sys.spawn("w", Worker { seen: vec![] });
    let _ = sys.run_for(2);
    for i in 0..5 {
        sys.send(w, i);
    }
    assert_eq!(sys.mailbox(w).unwrap().capacity, 2);
    run_conserved(&mut sys);
    assert_eq!(sys.stats().dead(DeadLetterReason::DropNewest), 3);
}

/// Sends its number to `to` when told.
struct Sender {
    to: Addr<u32>,
}

impl Actor for Sender {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        ctx.send(self.to, n);
        Ok(())
    }
}

#[test]
fn partition_drops_messages_across_groups_within_its_window() {
    let toml = "[[rule]]\nname='split'\nactors='east*'\naction='partition'\nwith='west*'\nfrom=10\nuntil=20\n";
    let mut sys = System::new(Config::seeded(3).faults(plan(toml)));
    let w = sys.spawn("west-1", Worker { seen: vec![] });
    let e = sys.spawn("east-1", Sender { to: w });
    sys.send(e, 1);
    run_conserved(&mut sys);
    let _ = sys.run_for(12);
    sys.send(e, 2);
    run_conserved(&mut sys);
    let _ = sys.run_for(10);
    sys.send(e, 3);
    run_conserved(&mut sys);
    assert_eq!(sys.state(w, |w: &Worker| w.seen.clone()), Some(vec![1, 3]));
    assert_eq!(sys.stats().dead(DeadLetterReason::Partitioned), 1);
}

fn faulty_run(sys: &mut System) {
    let w = sys.spawn("worker-1", Worker { seen: vec![] });
    let s = sys.spawn("sender", Sender { to: w });
    for i in 0..50 {
        sys.send(s, i);
        sys.send(w, 100 + i);
    }
    let _ = sys.run_until_idle();
}

const MIXED: &str = "[[rule]]\nname='drop'\nactors='worker*'\nprobability=0.2\naction='drop'\n\
[[rule]]\nname='lag'\nactors='worker*'\nprobability=0.3\naction='delay'\ndelay=[1,4]\n";

#[test]
fn a_replay_reproduces_every_fault() {
    let buf = SharedBuf::new();
    {
        let mut sys = System::with_trace_writer(Config::seeded(8).faults(plan(MIXED)), buf.clone(), false);
        faulty_run(&mut sys);
        assert!(sys.stats().dead(DeadLetterReason::InjectedDrop) > 0);
    }
    let reader = TraceReader::new(std::io::Cursor::new(buf.bytes()), "faulty.jsonl").unwrap();
    assert!(reader.header().faults.is_some());
    let report = replay(reader, faulty_run).unwrap();
    assert!(report.is_identical(), "{:?}", report.divergence);
}

#[test]
fn the_same_seed_and_plan_give_the_same_trace_and_an_idle_rule_moves_nothing() {
    let hash = |toml: Option<&str>| {
        let mut cfg = Config::seeded(21);
        if let Some(t) = toml {
            cfg = cfg.faults(plan(t));
        }
        let mut sys = System::new(cfg);
        faulty_run(&mut sys);
        sys.trace_hash()
    };
    assert_eq!(hash(Some(MIXED)), hash(Some(MIXED)));
    let nobody = "[[rule]]\nname='idle'\nactors='nobody*'\nprobability=0.9\naction='crash'\n";
    assert_eq!(hash(None), hash(Some(nobody)), "a rule that never matches draws nothing");
}

#[test]
fn swarm_draws_a_plan_per_seed() {
    let p = plan(MIXED);
    let plans: Vec<FaultPlan> = (0..20).map(|s| p.swarm(s)).collect();
    assert!(plans.iter().all(|q| !q.rules.is_empty()));
    assert!(plans.windows(2).any(|w| w[0] != w[1]));
    assert_eq!(p.swarm(3), p.swarm(3));
}

/// The README's fault plan example, read as written.
#[test]
fn the_readme_plan_reads() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```toml\n").expect("the README has a TOML block") + "```toml\n".len();
    let len = readme[start..].find("```").expect("the TOML block ends");
    let p = plan(&readme[start..start + len]);
    let names: Vec<&str> = p.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["crash-workers", "slow-db", "lag", "split", "squeeze", "lose-a-replica"]);
}

/// The guide's fault plan, read as written.
#[test]
fn the_guide_plan_reads() {
    let guide = include_str!("../../docs/guide.md");
    let start = guide.find("```toml\n").expect("the guide has a TOML block") + "```toml\n".len();
    let len = guide[start..].find("```").expect("the TOML block ends");
    let p = plan(&guide[start..start + len]);
    assert_eq!(p.rules.len(), 2);
}
