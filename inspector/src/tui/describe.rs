//! Events in words: one-line summaries for the log, every field for the
//! detail pane, and the actors an event involves (for search).

use rehearsal::trace::{AskOutcome, MsgKind};
use rehearsal::{ActorId, Event, EventKind, Overflow};
use serde_json::Value;

use super::model::Actors;

/// Every actor an event names.
pub fn involved(kind: &EventKind) -> Vec<ActorId> {
    let mut out = Vec::with_capacity(3);
    let mut add = |a: Option<ActorId>| {
        if let Some(a) = a {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    };
    match kind {
        EventKind::Spawn { actor, parent, .. } => {
            add(Some(*actor));
            add(*parent);
        }
        EventKind::Send { from, to, .. } | EventKind::DeadLetter { from, to, .. } | EventKind::Ask { from, to, .. } => {
            add(*from);
            add(Some(*to));
        }
        EventKind::Deliver { actor, from, .. } => {
            add(*from);
            add(Some(*actor));
        }
        EventKind::Kill { actor, by } => {
            add(*by);
            add(Some(*actor));
        }
        EventKind::Decision { supervisor, child, .. } | EventKind::Escalate { supervisor, child, .. } => {
            add(Some(*supervisor));
            add(Some(*child));
        }
        EventKind::Monitor { watcher, target, .. } => {
            add(Some(*watcher));
            add(Some(*target));
        }
        EventKind::Link { a, b } => {
            add(Some(*a));
            add(Some(*b));
        }
        EventKind::Deadlock { actors } => actors.iter().for_each(|a| add(Some(*a))),
        EventKind::TimerSet { to, .. } => add(Some(*to)),
        EventKind::Done { actor, .. }
        | EventKind::Failure { actor, .. }
        | EventKind::Stop { actor, .. }
        | EventKind::Suspend { actor, .. }
        | EventKind::Restart { actor, .. }
        | EventKind::Batch { actor, .. }
        | EventKind::Overflow { actor, .. }
        | EventKind::Admitted { actor, .. }
        | EventKind::Fault { actor, .. } => add(Some(*actor)),
        EventKind::IntensityExceeded { supervisor, .. } => add(Some(*supervisor)),
        // Timers, ask completions, system stops, limits, interruptions.
        _ => {}
    }
    out
}

/// Who sent (or did) it, for `from=`.
pub fn sender(kind: &EventKind) -> Option<ActorId> {
    match kind {
        EventKind::Send { from, .. }
        | EventKind::Deliver { from, .. }
        | EventKind::DeadLetter { from, .. }
        | EventKind::Ask { from, .. } => *from,
        EventKind::Kill { by, .. } => *by,
        EventKind::Decision { supervisor, .. } | EventKind::Escalate { supervisor, .. } => Some(*supervisor),
        EventKind::Monitor { watcher, .. } => Some(*watcher),
        _ => None,
    }
}

/// Who received (or underwent) it, for `to=`.
pub fn recipient(kind: &EventKind) -> Option<ActorId> {
    match kind {
        EventKind::Send { to, .. }
        | EventKind::DeadLetter { to, .. }
        | EventKind::Ask { to, .. }
        | EventKind::TimerSet { to, .. } => Some(*to),
        EventKind::Deliver { actor, .. }
        | EventKind::Kill { actor, .. }
        | EventKind::Overflow { actor, .. }
        | EventKind::Admitted { actor, .. }
        | EventKind::Fault { actor, .. } => Some(*actor),
        EventKind::Decision { child, .. } | EventKind::Escalate { child, .. } => Some(*child),
        EventKind::Monitor { target, .. } => Some(*target),
        _ => None,
    }
}

/// The actor an event is mostly about (the recipient, or the only actor).
pub fn principal(kind: &EventKind) -> Option<ActorId> {
    recipient(kind).or_else(|| involved(kind).first().copied())
}

/// `a`'s label, or `outside` for a message from outside the system.
pub fn who(actors: &Actors, a: Option<ActorId>) -> String {
    a.map_or_else(|| "outside".to_string(), |a| actors.label(a))
}

/// An enum's variant in snake_case, as the trace writes it (`ChildEnded` →
/// `child_ended`).
pub fn lower<T: std::fmt::Debug>(v: &T) -> String {
    // Our enums' Debug is their variant name; the trace writes them in snake_case.
    let mut out = String::new();
    for (i, c) in format!("{v:?}").chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn outcome(o: &AskOutcome) -> String {
    match o {
        AskOutcome::Failed(why) => format!("failed: {why}"),
        o => lower(o),
    }
}

/// `s` on one line: control characters (a panic message's newlines) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// One line about an event, actor names resolved.
pub fn summary(ev: &Event, actors: &Actors) -> String {
    one_line(&summary_text(ev, actors))
}

fn summary_text(ev: &Event, actors: &Actors) -> String {
    let n = |a: ActorId| actors.label(a);
    match &ev.kind {
        EventKind::Spawn { actor, parent, type_name, .. } => match parent {
            Some(p) => format!("{} ({type_name}) under {}", n(*actor), n(*p)),
            None => format!("{} ({type_name})", n(*actor)),
        },
        EventKind::Send { msg, from, to, what, payload } => {
            let mut s = format!("{} → {} {msg}", who(actors, *from), n(*to));
            if *what != MsgKind::User {
                s.push_str(&format!(" [{}]", lower(what)));
            }
            if let Some(p) = payload {
                s.push(' ');
                s.push_str(p);
            }
            s
        }
        EventKind::Deliver { msg, actor, from } => format!("{msg} → {} (from {})", n(*actor), who(actors, *from)),
        EventKind::Done { actor, msg } => format!("{} handled {msg}", n(*actor)),
        EventKind::TimerSet { timer, to, at } => format!("timer {timer} for {} at t={at}", n(*to)),
        EventKind::TimerCancel { timer } => format!("timer {timer} cancelled"),
        EventKind::TimerFired { timer } => format!("timer {timer} fired"),
        EventKind::Ask { ask, from, to, msg, deadline } => {
            format!("ask {ask}: {} → {} {msg}, deadline t={deadline}", who(actors, *from), n(*to))
        }
        EventKind::AskDone { ask, outcome: o } => format!("ask {ask}: {}", outcome(o)),
        EventKind::Kill { actor, by } => format!("{} killed by {}", n(*actor), who(actors, *by)),
        EventKind::Failure { actor, msg, reason } => match msg {
            Some(m) => format!("{} failed on {m}: {reason}", n(*actor)),
            None => format!("{} failed: {reason}", n(*actor)),
        },
        EventKind::Stop { actor, reason } => format!("{} stopped: {reason}", n(*actor)),
        EventKind::Suspend { actor, reason } => format!("{} suspended: {reason}", n(*actor)),
        EventKind::Decision { supervisor, child, directive, reason } => {
            format!("{}: {} {} ({reason})", n(*supervisor), lower(directive), n(*child))
        }
        EventKind::Restart { actor, from, to } => format!("{} incarnation {from} → {to}", n(*actor)),
        EventKind::IntensityExceeded { supervisor, restarts, period } => {
            format!("{}: {restarts} restarts within {period} ticks", n(*supervisor))
        }
        EventKind::Escalate { supervisor, child, reason } => {
            format!("{} escalates {}: {reason}", n(*supervisor), n(*child))
        }
        EventKind::SystemStop { reason } => format!("system stopped: {reason}"),
        EventKind::Deadlock { actors: cycle } => {
            let names: Vec<String> = cycle.iter().map(|a| n(*a)).collect();
            format!("cycle {}", names.join(" → "))
        }
        EventKind::Batch { actor, size } => format!("{} takes {size} at once", n(*actor)),
        EventKind::Overflow { actor, msg, policy, depth } => {
            // What the policy did with the message that found the mailbox full.
            let what = match policy {
                Overflow::DropNewest => format!("{msg} dropped (drop_newest)"),
                Overflow::DropOldest => format!("{msg} in, the oldest out (drop_oldest)"),
                Overflow::Reject => format!("{msg} handed back (reject)"),
                Overflow::Block => format!("{msg} parked (block)"),
                Overflow::Fail => format!("{msg} fails the receiver (fail)"),
            };
            format!("{} full at {depth}: {what}", n(*actor))
        }
        EventKind::Admitted { actor, msg } => format!("{msg} admitted to {}", n(*actor)),
        EventKind::Fault { rule, action, actor, msg } => match msg {
            Some(m) => format!("{action} {} {m} (rule {rule})", n(*actor)),
            None => format!("{action} {} (rule {rule})", n(*actor)),
        },
        EventKind::Monitor { monitor, watcher, target } => {
            format!("{} watches {} (monitor {monitor})", n(*watcher), n(*target))
        }
        EventKind::Link { a, b } => format!("{} ⇄ {}", n(*a), n(*b)),
        EventKind::DeadLetter { msg, from, to, reason } => {
            format!("{msg} {} → {}: {reason}", who(actors, *from), n(*to))
        }
        EventKind::Limit { limit, value } => format!("{limit} reached at {value}"),
        EventKind::Interrupted {} => "interrupted from outside".to_string(),
    }
}

/// Fields holding an actor id, by name (not for `restart`, whose `from`
/// and `to` are incarnations).
const ACTOR_FIELDS: [&str; 11] =
    ["actor", "from", "to", "parent", "supervisor", "child", "watcher", "target", "a", "b", "by"];

fn field_value(key: &str, v: &Value, actors: &Actors, ids: bool) -> String {
    match v {
        Value::Number(n) if ids && ACTOR_FIELDS.contains(&key) => match n.as_u64() {
            Some(id) => format!("#{id} {}", actors.label(ActorId(id))),
            None => n.to_string(),
        },
        Value::Array(items) if ids && key == "actors" => {
            let names: Vec<String> =
                items.iter().map(|i| i.as_u64().map_or(i.to_string(), |id| actors.label(ActorId(id)))).collect();
            names.join(", ")
        }
        Value::Number(n) if key == "msg" => format!("m{n}"),
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Every field of an event, as (name, value) pairs: position first, then
/// the kind's own fields as the trace writes them, actors named.
pub fn fields(ev: &Event, actors: &Actors) -> Vec<(String, String)> {
    let mut out = vec![
        ("kind".to_string(), ev.kind.name().to_string()),
        ("step".to_string(), ev.step.to_string()),
        ("time".to_string(), ev.time.to_string()),
        ("cause".to_string(), ev.cause.map_or_else(|| "outside".to_string(), |c| format!("step {c}"))),
    ];
    let ids = !matches!(ev.kind, EventKind::Restart { .. });
    if let Ok(Value::Object(map)) = serde_json::to_value(&ev.kind) {
        for (k, v) in map {
            if k != "kind" {
                let value = one_line(&field_value(&k, &v, actors, ids));
                out.push((k, value));
            }
        }
    }
    out
}
