//! The supervision properties of issue 3, checked over generated trees and
//! fault schedules. A failing case prints its seed and the one command that
//! replays it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rehearsal::supervision::{RestartType, Strategy as Sup};
use rehearsal::{ActorId, Directive, Event, EventKind, StopReason};

use crate::harness::{Actors, Case, Hook, Node, Op, Run};

fn restart_type() -> impl Strategy<Value = RestartType> {
    prop_oneof![
        3 => Just(RestartType::Permanent),
        1 => Just(RestartType::Transient),
        1 => Just(RestartType::Temporary),
    ]
}

fn strategy() -> impl Strategy<Value = Sup> {
    prop_oneof![Just(Sup::OneForOne), Just(Sup::OneForAll), Just(Sup::RestForOne)]
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = restart_type().prop_map(|restart| Node::Worker { restart });
    leaf.prop_recursive(3, 40, 8, |inner| {
        (strategy(), 1u32..4, 1u64..12, restart_type(), prop::collection::vec(inner, 1..=8)).prop_map(
            |(strategy, intensity, period, restart, children)| Node::Sup {
                strategy,
                intensity,
                period,
                restart,
                children,
            },
        )
    })
}

fn root() -> impl Strategy<Value = Node> {
    (strategy(), 1u32..5, 1u64..12, prop::collection::vec(node(), 1..=8)).prop_map(
        |(strategy, intensity, period, children)| Node::Sup {
            strategy,
            intensity,
            period,
            restart: RestartType::Permanent,
            children,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..64).prop_map(Op::Work),
        2 => (0usize..64, 1u32..4).prop_map(|(w, n)| Op::CrashAt(w, n)),
        2 => (0usize..64).prop_map(Op::Crash),
        1 => (0usize..64).prop_map(Op::Kill),
        1 => (0usize..64).prop_map(Op::Exit),
        1 => (1u64..8).prop_map(Op::Wait),
    ]
}

pub fn case(resume: bool) -> impl Strategy<Value = Case> {
    (root(), prop::collection::vec(op(), 1..40), any::<u64>()).prop_map(move |(root, ops, seed)| Case {
        root,
        ops,
        seed,
        resume,
    })
}

/// The command that replays `case`, for the failure message.
pub fn replay_command(case: &Case) -> String {
    let json = serde_json::to_string(case).expect("a case serializes");
    format!(
        "seed {}; replay this exact case with:\n  REHEARSAL_CASE='{json}' cargo test -p rehearsal-tests --test supervision replay_case -- --nocapture",
        case.seed
    )
}

/// Every property, on one case. `Err` names the property and what broke it.
pub fn check(case: &Case) -> Result<(), String> {
    let run = Run::new(case);
    let events = run.events();
    let again = Run::new(case);
    if run.sys.trace_hash() != again.sys.trace_hash() {
        return Err("12 (determinism): the same case gave two different traces".into());
    }
    let actors = Actors::of(&events);
    let log = run.shared.borrow().log.clone();
    check_decisions(&run, &events, &actors)?;
    check_intensity(&run, &events, &actors)?;
    check_messages(&run, &events)?;
    check_hooks(&events, &log)?;
    check_downs(&events, &actors)?;
    if case.resume {
        check_resume(&events, &log)?;
    }
    Ok(())
}

/// Which children each supervisor has alive, replayed from the trace.
struct Alive {
    children: BTreeMap<ActorId, Vec<ActorId>>,
}

impl Alive {
    fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Spawn { actor, parent: Some(p), .. } => self.children.entry(*p).or_default().push(*actor),
            EventKind::Stop { actor, .. } => {
                for v in self.children.values_mut() {
                    v.retain(|c| c != actor);
                }
            }
            _ => {}
        }
    }
}

/// The events the delivery in which `events[at]` happened caused, from `at` on
/// (what the test does from outside between steps is not part of it).
fn rest_of_step(events: &[Event], at: usize) -> &[Event] {
    let step = events[at].step;
    let end =
        events[at..].iter().position(|e| e.step != step || e.cause != Some(step)).map_or(events.len(), |n| at + n);
    &events[at..end]
}

/// Properties 1-4, 6 and 11: what each decision touched.
fn check_decisions(run: &Run, events: &[Event], actors: &Actors) -> Result<(), String> {
    let mut alive = Alive { children: BTreeMap::new() };
    for (i, e) in events.iter().enumerate() {
        alive.apply(e);
        let EventKind::Decision { supervisor, child, directive, reason } = &e.kind else { continue };
        let sname = &actors.name[supervisor];
        let cname = &actors.name[child];
        let info = &run.shape.nodes[sname];
        let (strategy, _, _) = info.sup.expect("a supervisor");
        let restart = run.shape.nodes[cname].restart;
        let siblings: Vec<ActorId> = alive.children.get(supervisor).cloned().unwrap_or_default();
        // The segment: until the supervisor's handler is done.
        let seg_end = events[i..]
            .iter()
            .position(|x| matches!(&x.kind, EventKind::Done { actor, .. } if actor == supervisor))
            .map_or(events.len(), |n| i + n);
        let seg = &events[i + 1..seg_end];
        let exceeded = seg.iter().any(|x| matches!(x.kind, EventKind::IntensityExceeded { .. }));
        let restarted: Vec<ActorId> = seg
            .iter()
            .filter_map(|x| if let EventKind::Restart { actor, .. } = x.kind { Some(actor) } else { None })
            .collect();
        let stopped: Vec<ActorId> = seg
            .iter()
            .filter_map(|x| if let EventKind::Stop { actor, .. } = x.kind { Some(actor) } else { None })
            .collect();
        let kind_of = |a: &ActorId| run.shape.nodes[&actors.name[a]].restart;

        // 11: nothing outside the supervisor's subtree is touched in its step,
        // unless the system stopped.
        let step_events = rest_of_step(events, i);
        if !step_events.iter().any(|x| matches!(x.kind, EventKind::SystemStop { .. })) {
            for x in step_events {
                if let EventKind::Restart { actor, .. }
                | EventKind::Stop { actor, .. }
                | EventKind::Suspend { actor, .. } = x.kind
                {
                    let parent_ok = actors.parent.get(supervisor).is_some_and(|p| actors.within(actor, *p));
                    if !actors.within(actor, *supervisor) && !parent_ok {
                        return Err(format!(
                            "11: deciding about {cname} touched {} outside {sname}'s subtree",
                            actors.name[&actor]
                        ));
                    }
                }
            }
        }

        // 6: restart types decide exits; temporary children are never restarted.
        let failed = matches!(reason, StopReason::Failed(_));
        if !failed {
            let expect = match restart {
                RestartType::Permanent => Directive::Restart,
                RestartType::Transient if reason.is_abnormal() => Directive::Restart,
                _ => Directive::Stop,
            };
            if *directive != expect {
                return Err(format!(
                    "6: {cname} ({restart:?}) ended with {reason} and got {directive:?}, expected {expect:?}"
                ));
            }
        }
        if restart == RestartType::Temporary && restarted.contains(child) {
            return Err(format!("6: temporary child {cname} was restarted"));
        }
        if *directive != Directive::Restart || restart == RestartType::Temporary || exceeded {
            continue;
        }

        // 1-3: who is restarted, per strategy.
        let pos = siblings.iter().position(|c| c == child);
        let expected: Vec<ActorId> = match strategy {
            Sup::OneForOne => vec![*child],
            Sup::OneForAll => siblings.iter().copied().filter(|c| kind_of(c) != RestartType::Temporary).collect(),
            Sup::RestForOne => match pos {
                Some(p) => siblings[p..].iter().copied().filter(|c| kind_of(c) != RestartType::Temporary).collect(),
                None => vec![*child],
            },
        };
        // 4: (re)starts in start order.
        if restarted != expected {
            return Err(format!(
                "1-4: {strategy:?} supervisor {sname} restarted {:?} for {cname}, expected {:?} in start order",
                restarted.iter().map(|a| &actors.name[a]).collect::<Vec<_>>(),
                expected.iter().map(|a| &actors.name[a]).collect::<Vec<_>>()
            ));
        }
        let untouched: Vec<ActorId> = match strategy {
            Sup::OneForOne => siblings.iter().copied().filter(|c| c != child).collect(),
            Sup::OneForAll => vec![],
            Sup::RestForOne => siblings[..pos.unwrap_or(0)].to_vec(),
        };
        for s in &untouched {
            if seg.iter().any(|x| match x.kind {
                EventKind::Restart { actor, .. } | EventKind::Stop { actor, .. } | EventKind::Suspend { actor, .. } => {
                    actors.within(actor, *s)
                }
                EventKind::DeadLetter { to, .. } => actors.within(to, *s),
                _ => false,
            }) {
                return Err(format!("1/3: restarting {cname} touched sibling {} under {strategy:?}", actors.name[s]));
            }
        }
        // 2: temporary siblings in a group restart are gone.
        if strategy != Sup::OneForOne {
            let group: &[ActorId] = match strategy {
                Sup::OneForAll => &siblings,
                _ => &siblings[pos.unwrap_or(0)..],
            };
            for t in group.iter().filter(|c| kind_of(c) == RestartType::Temporary) {
                if !stopped.contains(t) {
                    return Err(format!("2: temporary {} survived a group restart", actors.name[t]));
                }
            }
        }
        // 4: stops in reverse start order (temporary ones stop for good).
        let stop_order: Vec<usize> = stopped.iter().filter_map(|a| siblings.iter().position(|s| s == a)).collect();
        if stop_order.windows(2).any(|w| w[0] < w[1]) {
            return Err(format!("4: {sname} stopped children out of reverse start order: {stop_order:?}"));
        }
    }
    Ok(())
}

/// Property 5: restart intensity, per supervisor incarnation.
fn check_intensity(run: &Run, events: &[Event], actors: &Actors) -> Result<(), String> {
    // (supervisor, its incarnation) → times of restart groups.
    let mut groups: BTreeMap<(ActorId, u32), Vec<u64>> = BTreeMap::new();
    let mut incarnation: BTreeMap<ActorId, u32> = BTreeMap::new();
    let mut alive = Alive { children: BTreeMap::new() };
    for (i, e) in events.iter().enumerate() {
        alive.apply(e);
        match &e.kind {
            EventKind::Restart { actor, to, .. } => {
                incarnation.insert(*actor, *to);
            }
            EventKind::Decision { supervisor, directive: Directive::Restart, child, .. } => {
                let info = &run.shape.nodes[&actors.name[supervisor]];
                let (_, intensity, period) = info.sup.expect("a supervisor");
                if run.shape.nodes[&actors.name[child]].restart == RestartType::Temporary {
                    continue;
                }
                let key = (*supervisor, incarnation.get(supervisor).copied().unwrap_or(0));
                let times = groups.entry(key).or_default();
                let in_window = times.iter().filter(|&&t| e.time.saturating_sub(t) < period).count();
                let exceeded = events[i + 1..]
                    .iter()
                    .take_while(|x| !matches!(&x.kind, EventKind::Done { actor, .. } if actor == supervisor))
                    .any(|x| matches!(x.kind, EventKind::IntensityExceeded { .. }));
                if exceeded {
                    if in_window < intensity as usize {
                        return Err(format!(
                            "5: {} exceeded its intensity {intensity}/{period} with only {in_window} restarts in the window",
                            actors.name[supervisor]
                        ));
                    }
                    // Then: every child stopped, youngest first, and the supervisor ends.
                    let kids = alive.children.get(supervisor).cloned().unwrap_or_default();
                    let seg: Vec<&Event> = events[i + 1..]
                        .iter()
                        .take_while(|x| !matches!(&x.kind, EventKind::Done { actor, .. } if actor == supervisor))
                        .collect();
                    let order: Vec<usize> = seg
                        .iter()
                        .filter_map(|x| {
                            if let EventKind::Stop { actor, .. } = x.kind {
                                kids.iter().position(|k| *k == actor)
                            } else {
                                None
                            }
                        })
                        .collect();
                    if order.len() != kids.len() || order.windows(2).any(|w| w[0] < w[1]) {
                        return Err(format!(
                            "5: after exceeding its intensity {} stopped children {order:?} of {}, expected all in reverse order",
                            actors.name[supervisor],
                            kids.len()
                        ));
                    }
                    let ended = events[i..].iter().any(|x| match &x.kind {
                        EventKind::Suspend { actor, reason: StopReason::Shutdown }
                        | EventKind::Stop { actor, reason: StopReason::Shutdown } => actor == supervisor,
                        EventKind::SystemStop { .. } => true,
                        _ => false,
                    });
                    if !ended {
                        return Err(format!(
                            "5: {} exceeded its intensity but did not exit with shutdown",
                            actors.name[supervisor]
                        ));
                    }
                } else {
                    if in_window >= intensity as usize {
                        return Err(format!(
                            "5: {} restarted {} times within {period} ticks, intensity {intensity}",
                            actors.name[supervisor],
                            in_window + 1
                        ));
                    }
                    times.push(e.time);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Property 7: the failing message is never handled again; work is handled
/// at most once, and in send order per worker.
fn check_messages(run: &Run, events: &[Event]) -> Result<(), String> {
    let failed: BTreeSet<_> = events
        .iter()
        .filter_map(|e| if let EventKind::Failure { msg: Some(m), .. } = e.kind { Some(m) } else { None })
        .collect();
    let mut delivered = BTreeSet::new();
    for e in events {
        if let EventKind::Deliver { msg, .. } = e.kind {
            if failed.contains(&msg) && delivered.contains(&msg) {
                return Err(format!("7: failing message {msg} was delivered again"));
            }
            if !delivered.insert(msg) {
                return Err(format!("7: message {msg} was delivered twice"));
            }
        }
    }
    let log = run.shared.borrow();
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for entry in &log.log {
        if let Hook::Handle { seq, .. } = entry.hook {
            if !seen.insert(seq) {
                return Err(format!("7: work {seq} handled twice"));
            }
            if run.sent.get(&seq) != Some(&entry.name) {
                return Err(format!("7: work {seq} handled by {} but sent to {:?}", entry.name, run.sent.get(&seq)));
            }
            if let Some(prev) = last.insert(&entry.name, seq) {
                if prev > seq {
                    return Err(format!("7: {} handled work {seq} after {prev}", entry.name));
                }
            }
        }
    }
    Ok(())
}

/// Property 9: per incarnation, pre_start (or post_restart) comes before any
/// message, post_stop at most once and last, and nothing runs after a kill.
fn check_hooks(events: &[Event], log: &[crate::harness::Entry]) -> Result<(), String> {
    let killed: BTreeSet<ActorId> = events
        .iter()
        .filter_map(|e| if let EventKind::Kill { actor, .. } = e.kind { Some(actor) } else { None })
        .collect();
    let mut per: BTreeMap<(ActorId, u32), Vec<&Hook>> = BTreeMap::new();
    for e in log {
        per.entry((e.id, e.incarnation)).or_default().push(&e.hook);
    }
    for ((id, inc), hooks) in &per {
        let first_ok = matches!(hooks[0], Hook::PreStart | Hook::PostRestart);
        if !first_ok {
            return Err(format!("9: {id} incarnation {inc} began with {:?}", hooks[0]));
        }
        let stops = hooks.iter().filter(|h| matches!(h, Hook::PostStop)).count();
        if stops > 1 {
            return Err(format!("9: {id} incarnation {inc} ran post_stop {stops} times"));
        }
        if stops == 1 && !matches!(hooks.last(), Some(Hook::PostStop)) {
            return Err(format!("9: {id} incarnation {inc} ran {:?} after post_stop", hooks.last()));
        }
        let _ = killed.contains(id);
    }
    // After a kill, the killed incarnation runs no hook.
    for e in events {
        if let EventKind::Kill { actor, .. } = e.kind {
            let inc = log.iter().filter(|l| l.id == actor && l.step <= e.step).map(|l| l.incarnation).max();
            if let Some(inc) = inc {
                if log.iter().any(|l| {
                    l.id == actor
                        && l.incarnation == inc
                        && l.step >= e.step
                        && matches!(l.hook, Hook::PostStop | Hook::PreRestart)
                }) {
                    return Err(format!("9: killed {actor} incarnation {inc} ran a stop hook"));
                }
            }
        }
    }
    Ok(())
}

/// Property 10: a watcher's Down for X comes after all of X's descendants
/// stopped and after every message X sent it earlier.
fn check_downs(events: &[Event], actors: &Actors) -> Result<(), String> {
    let mut stopped = BTreeSet::new();
    // Per sender: its notes to the watcher not yet delivered.
    let mut pending: BTreeMap<ActorId, BTreeSet<rehearsal::MsgId>> = BTreeMap::new();
    let mut downs: BTreeMap<rehearsal::MsgId, ActorId> = BTreeMap::new();
    let watcher = actors.name.iter().find(|(_, n)| n.as_str() == "watcher").map(|(id, _)| *id);
    for e in events {
        match &e.kind {
            EventKind::Stop { actor, .. } => {
                stopped.insert(*actor);
            }
            EventKind::Send { msg, from: Some(x), to, what, .. } if Some(*to) == watcher => {
                if *what == rehearsal::trace::MsgKind::Down {
                    for (d, _) in actors.parent.iter().filter(|(d, _)| **d != *x && actors.within(**d, *x)) {
                        if !stopped.contains(d) {
                            return Err(format!("10: Down for {x} sent before its descendant {d} stopped"));
                        }
                    }
                    downs.insert(*msg, *x);
                } else {
                    pending.entry(*x).or_default().insert(*msg);
                }
            }
            EventKind::Deliver { msg, actor, .. } if Some(*actor) == watcher => {
                if let Some(x) = downs.get(msg) {
                    if pending.get(x).is_some_and(|p| !p.is_empty()) {
                        return Err(format!("10: Down for {x} delivered before {x}'s earlier messages"));
                    }
                } else {
                    for p in pending.values_mut() {
                        p.remove(msg);
                    }
                }
            }
            EventKind::DeadLetter { msg, .. } => {
                for p in pending.values_mut() {
                    p.remove(msg);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Property 8: resume runs no hooks and keeps the state.
fn check_resume(events: &[Event], log: &[crate::harness::Entry]) -> Result<(), String> {
    for e in events {
        let EventKind::Decision { child, directive: Directive::Resume, .. } = e.kind else { continue };
        if log.iter().any(|l| l.id == child && l.step == e.step && !matches!(l.hook, Hook::Handle { .. })) {
            return Err(format!("8: resuming {child} ran a hook"));
        }
        let before = log.iter().rev().find(|l| l.id == child && l.step < e.step);
        let after = log.iter().find(|l| l.id == child && l.step > e.step);
        if let (Some(b), Some(a)) = (before, after) {
            if let (Hook::Handle { count: cb, .. }, Hook::Handle { count: ca, .. }) = (&b.hook, &a.hook) {
                if a.incarnation == b.incarnation && *ca != cb + 1 {
                    return Err(format!("8: {child} resumed with count {ca} after {cb}"));
                }
            }
            if a.incarnation < b.incarnation {
                return Err(format!("8: {child} went back an incarnation"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(rehearsal_tests::proptest_config(256))]

    #[test]
    fn supervision_properties(case in case(false)) {
        if let Err(why) = check(&case) {
            prop_assert!(false, "property {why}\n{}", replay_command(&case));
        }
    }

    #[test]
    fn supervision_properties_with_resume(case in case(true)) {
        if let Err(why) = check(&case) {
            prop_assert!(false, "property {why}\n{}", replay_command(&case));
        }
    }
}

/// Replays the case in `REHEARSAL_CASE` (printed by a failing property), or
/// a fixed case when it is not set.
#[test]
fn replay_case() {
    let case: Case = match std::env::var("REHEARSAL_CASE") {
        Ok(json) => serde_json::from_str(&json).expect("REHEARSAL_CASE holds a case as JSON"),
        Err(_) => Case {
            root: Node::Sup {
                strategy: Sup::RestForOne,
                intensity: 2,
                period: 5,
                restart: RestartType::Permanent,
                children: vec![
                    Node::Worker { restart: RestartType::Permanent },
                    Node::Worker { restart: RestartType::Transient },
                    Node::Worker { restart: RestartType::Temporary },
                ],
            },
            ops: vec![Op::Work(0), Op::Work(1), Op::Crash(1), Op::Work(2), Op::Exit(1), Op::Kill(0), Op::Work(0)],
            seed: 7,
            resume: false,
        },
    };
    if let Err(why) = check(&case) {
        panic!("property {why}\n{}", replay_command(&case));
    }
}
