//! `rehearsal export`: a trace as a Mermaid sequence diagram, the
//! supervision tree as Graphviz DOT, or a Chrome/Perfetto timeline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rehearsal::trace::Trace;
use rehearsal::{ActorId, EventKind, StopReason};
use serde_json::json;

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Mermaid sequence diagram of the messages.
    Mermaid,
    /// The supervision tree as a Graphviz digraph.
    Dot,
    /// Chrome trace-event JSON, for chrome://tracing or ui.perfetto.dev.
    Chrome,
}

fn names(trace: &Trace) -> BTreeMap<ActorId, String> {
    trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Spawn { actor, name, .. } => Some((*actor, name.to_string())),
            _ => None,
        })
        .collect()
}

/// A Mermaid-safe participant id for an actor.
fn pid(a: ActorId) -> String {
    format!("a{}", a.0)
}

fn quote(s: &str) -> String {
    s.replace(['"', ';', '#', '\n'], " ")
}

/// A Mermaid sequence diagram: one participant per actor (the outside world
/// first), one arrow per message sent (up to `limit`), notes for failures,
/// restarts and stops.
pub fn mermaid(trace: &Trace, limit: usize) -> String {
    let names = names(trace);
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(out, "    participant ext as outside");
    for (id, name) in &names {
        let _ = writeln!(out, "    participant {} as {}", pid(*id), quote(name));
    }
    let mut shown = 0;
    for e in &trace.events {
        if shown >= limit {
            let _ = writeln!(out, "    Note over ext: {} more events not shown", trace.events.len() - shown);
            break;
        }
        let line = match &e.kind {
            EventKind::Send { msg, from, to, what, payload } => {
                let from = from.map_or("ext".to_string(), pid);
                let label = match (payload, what) {
                    (Some(p), _) => quote(p),
                    (None, rehearsal::trace::MsgKind::User) => format!("{msg}"),
                    (None, w) => format!("{msg} {w:?}"),
                };
                format!("    {from}->>{}: {label}", pid(*to))
            }
            EventKind::Failure { actor, reason, .. } => {
                format!("    Note over {}: failed: {}", pid(*actor), quote(reason))
            }
            EventKind::Restart { actor, to, .. } => {
                format!("    Note over {}: restarted (incarnation {to})", pid(*actor))
            }
            EventKind::Stop { actor, reason } => {
                format!("    Note over {}: stopped ({})", pid(*actor), quote(&reason.to_string()))
            }
            EventKind::Fault { rule, action, actor, .. } => {
                format!("    Note over {}: fault {} ({})", pid(*actor), quote(action), quote(rule))
            }
            EventKind::DeadLetter { msg, to, reason, .. } => {
                format!("    Note over {}: dead letter {msg} ({reason})", pid(*to))
            }
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
        shown += 1;
    }
    out
}

/// The supervision tree (every actor ever spawned, under its parent) as a
/// Graphviz digraph; actors that ended are drawn dashed, failed ones red.
pub fn dot(trace: &Trace) -> String {
    let mut out =
        String::from("digraph supervision {\n    rankdir=TB;\n    node [shape=box, fontname=\"monospace\"];\n");
    let mut ended: BTreeMap<ActorId, StopReason> = BTreeMap::new();
    let mut restarts: BTreeMap<ActorId, u32> = BTreeMap::new();
    for e in &trace.events {
        match &e.kind {
            EventKind::Stop { actor, reason } => {
                ended.insert(*actor, reason.clone());
            }
            EventKind::Restart { actor, .. } => *restarts.entry(*actor).or_default() += 1,
            _ => {}
        }
    }
    for e in &trace.events {
        if let EventKind::Spawn { actor, parent, name, type_name, .. } = &e.kind {
            let r = restarts.get(actor).copied().unwrap_or(0);
            let mut label = format!("{} ({type_name})", quote(name));
            if r > 0 {
                label.push_str(&format!("\\nrestarts: {r}"));
            }
            let style = match ended.get(actor) {
                Some(StopReason::Failed(_)) | Some(StopReason::Killed) => ", color=red, style=dashed",
                Some(_) => ", style=dashed",
                None => "",
            };
            let _ = writeln!(out, "    {} [label=\"{label}\"{style}];", pid(*actor));
            if let Some(p) = parent {
                let _ = writeln!(out, "    {} -> {};", pid(*p), pid(*actor));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// Chrome trace-event JSON: each delivery a complete event on its actor's
/// row (one step is one microsecond), faults and failures instant events.
pub fn chrome(trace: &Trace) -> serde_json::Value {
    let names = names(trace);
    let mut events = Vec::new();
    for (id, name) in &names {
        events.push(json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": id.0, "args": {"name": name}}));
    }
    for e in &trace.events {
        match &e.kind {
            EventKind::Deliver { msg, actor, from } => events.push(json!({
                "name": format!("{msg}"),
                "cat": "deliver",
                "ph": "X",
                "ts": e.step,
                "dur": 1,
                "pid": 1,
                "tid": actor.0,
                "args": {"from": from.map(|f| f.0), "time": e.time},
            })),
            EventKind::Failure { actor, reason, .. } => events.push(json!({
                "name": "failure", "cat": "failure", "ph": "i", "s": "t", "ts": e.step, "pid": 1, "tid": actor.0,
                "args": {"reason": reason},
            })),
            EventKind::Fault { rule, action, actor, .. } => events.push(json!({
                "name": format!("fault {action}"), "cat": "fault", "ph": "i", "s": "t", "ts": e.step, "pid": 1,
                "tid": actor.0, "args": {"rule": rule},
            })),
            EventKind::Restart { actor, to, .. } => events.push(json!({
                "name": "restart", "cat": "supervision", "ph": "i", "s": "t", "ts": e.step, "pid": 1, "tid": actor.0,
                "args": {"incarnation": to},
            })),
            _ => {}
        }
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"scenario": trace.header.scenario, "seed": trace.header.seed, "strategy": trace.header.strategy.to_string()},
    })
}
