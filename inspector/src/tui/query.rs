//! Search queries over events: `actor=worker*`, `kind=failure` (or a
//! fault's action, `kind=delay`; `kind=crash` is every failure and crash),
//! `from=a to=b`, `msg=12`, `step=40`, `reason=drop*`, or plain words that
//! must appear in the event's summary. Every term must match.

use rehearsal::{ActorId, Event, EventKind};

use super::describe;
use super::model::Actors;

/// One term of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Actor(String),
    Kind(String),
    From(String),
    To(String),
    Msg(u64),
    Step(u64),
    Reason(String),
    Text(String),
}

/// A parsed search query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    text: String,
    terms: Vec<Term>,
}

/// The keys a query understands, for help and error messages.
pub const KEYS: &str = "actor= kind= from= to= msg= step= reason=";

impl Query {
    /// Parses a query; an error names the term that is wrong.
    ///
    /// ```
    /// # use rehearsal_inspector::tui::query::Query;
    /// assert!(Query::parse("actor=worker* kind=deliver").is_ok());
    /// assert!(Query::parse("colour=red").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let term = match word.split_once('=') {
                None => Term::Text(word.to_lowercase()),
                Some((key, value)) => {
                    if value.is_empty() {
                        return Err(format!("`{word}`: no value after `=`"));
                    }
                    let number = |what: &str| {
                        value
                            .trim_start_matches('m')
                            .parse::<u64>()
                            .map_err(|_| format!("`{word}`: {what} must be a number"))
                    };
                    match key {
                        "actor" | "a" => Term::Actor(value.to_string()),
                        "kind" | "k" => Term::Kind(value.to_string()),
                        "from" => Term::From(value.to_string()),
                        "to" => Term::To(value.to_string()),
                        "msg" | "m" => Term::Msg(number("msg")?),
                        "step" | "s" => Term::Step(number("step")?),
                        "reason" => Term::Reason(value.to_lowercase()),
                        other => return Err(format!("unknown search key `{other}`: use {KEYS} or plain words")),
                    }
                }
            };
            terms.push(term);
        }
        if terms.is_empty() {
            return Err("empty search".into());
        }
        Ok(Query { text: text.trim().to_string(), terms })
    }

    /// The query as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Returns true if every term matches `ev`.
    pub fn matches(&self, ev: &Event, actors: &Actors) -> bool {
        self.terms.iter().all(|t| term_matches(t, ev, actors))
    }
}

fn actor_matches(pattern: &str, a: ActorId, actors: &Actors) -> bool {
    glob(pattern, &actors.name(a)) || glob(pattern, &a.to_string()) || glob(pattern, &a.0.to_string())
}

fn term_matches(t: &Term, ev: &Event, actors: &Actors) -> bool {
    match t {
        Term::Actor(p) => describe::involved(&ev.kind).into_iter().any(|a| actor_matches(p, a, actors)),
        Term::Kind(p) => kind_matches(p, &ev.kind),
        Term::From(p) => describe::sender(&ev.kind).is_some_and(|a| actor_matches(p, a, actors)),
        Term::To(p) => describe::recipient(&ev.kind).is_some_and(|a| actor_matches(p, a, actors)),
        Term::Msg(m) => msg_of(&ev.kind) == Some(*m),
        Term::Step(s) => ev.step == *s,
        Term::Reason(p) => reason_of(&ev.kind).is_some_and(|r| glob(p, &r.to_lowercase())),
        Term::Text(w) => describe::summary(ev, actors).to_lowercase().contains(w.as_str()),
    }
}

/// An event's kind, or for a fault its action (`kind=delay`); `crash`
/// also names every failure, injected or not.
fn kind_matches(pattern: &str, kind: &EventKind) -> bool {
    if glob(pattern, kind.name()) {
        return true;
    }
    match kind {
        EventKind::Fault { action, .. } => glob(pattern, action),
        EventKind::Failure { .. } => glob(pattern, "crash"),
        _ => false,
    }
}

fn msg_of(kind: &EventKind) -> Option<u64> {
    match kind {
        EventKind::Send { msg, .. }
        | EventKind::Deliver { msg, .. }
        | EventKind::Done { msg, .. }
        | EventKind::Ask { msg, .. }
        | EventKind::Overflow { msg, .. }
        | EventKind::Admitted { msg, .. }
        | EventKind::DeadLetter { msg, .. } => Some(msg.0),
        EventKind::Failure { msg, .. } | EventKind::Fault { msg, .. } => msg.map(|m| m.0),
        _ => None,
    }
}

fn reason_of(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::DeadLetter { reason, .. } => Some(reason.to_string()),
        EventKind::Stop { reason, .. } | EventKind::Suspend { reason, .. } | EventKind::Decision { reason, .. } => {
            Some(reason.to_string())
        }
        EventKind::Failure { reason, .. } | EventKind::Escalate { reason, .. } | EventKind::SystemStop { reason } => {
            Some(reason.clone())
        }
        _ => None,
    }
}

/// A glob: `*` is any run of characters, `?` any one character.
///
/// ```
/// # use rehearsal_inspector::tui::query::glob;
/// assert!(glob("worker*", "worker-3"));
/// assert!(glob("w?rker-*", "worker-3"));
/// assert!(!glob("worker", "worker-3"));
/// ```
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;
    use crate::tui::model::Timeline;

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*c*", "acxc"));
        assert!(!glob("a*c", "abcd"));
        assert!(glob("?", "é"));
        assert!(!glob("", "a"));
    }

    #[test]
    fn parse_errors_name_the_term() {
        assert_eq!(Query::parse("  ").unwrap_err(), "empty search");
        assert_eq!(Query::parse("kind=").unwrap_err(), "`kind=`: no value after `=`");
        assert_eq!(Query::parse("msg=x").unwrap_err(), "`msg=x`: msg must be a number");
        assert!(Query::parse("wat=1").unwrap_err().contains("unknown search key `wat`"));
        assert_eq!(Query::parse(" kind=send  to=sink ").unwrap().text(), "kind=send  to=sink");
    }

    #[test]
    fn matching() {
        let t = fixture::sample_trace();
        let tl = Timeline::new(t.clone());
        let count = |q: &str| {
            let q = Query::parse(q).unwrap();
            t.events.iter().filter(|e| q.matches(e, tl.actors())).count()
        };
        assert_eq!(count("kind=failure"), 3);
        assert_eq!(count("kind=dead_letter reason=drop*"), 3);
        assert_eq!(count("reason=pending_at_stop"), 1);
        assert_eq!(count("actor=worker-*"), count("actor=worker-1") + count("actor=worker-2"));
        assert_eq!(count("from=producer to=sink kind=send"), 5);
        assert_eq!(count("to=#1 kind=send"), 5);
        assert_eq!(count("msg=m7"), count("msg=7"));
        assert_eq!(count("step=12"), 5);
        assert_eq!(count("digest"), 9, "three failures, suspensions and decisions say it");
        assert_eq!(count("kind=restart actor=sup"), 0);
        // kind=crash: every failure (the fixture injects none).
        assert_eq!(count("kind=crash"), 3);
    }

    #[test]
    fn a_fault_s_action_is_its_kind() {
        use rehearsal::faults::FaultPlan;
        let plan = "[[rule]]\nname = \"c\"\nactors = \"counter\"\nat_message = 3\naction = \"crash\"\n\n\
                    [[rule]]\nname = \"d\"\nactors = \"client-*\"\nat_message = 1\naction = \"delay\"\ndelay = [1, 2]\n";
        let plan = FaultPlan::from_toml_str(plan, "p.toml").unwrap();
        let s = rehearsal_scenarios::find("counter").unwrap();
        let params = rehearsal_scenarios::Params::resolve(s, &[]).unwrap();
        let mut cfg = rehearsal::Config::seeded(1).scenario("counter", params.to_json());
        cfg.faults = Some(plan);
        let mut sys = rehearsal::System::new(cfg);
        s.run(&mut sys).unwrap();
        let events: Vec<Event> = sys.events().cloned().collect();
        let tl = Timeline::new(rehearsal::trace::Trace {
            header: sys.header(),
            events: events.clone(),
            footer: rehearsal::trace::TraceFooter { events: 0, hash: String::new() },
        });
        let count = |q: &str| {
            let q = Query::parse(q).unwrap();
            events.iter().filter(|e| q.matches(e, tl.actors())).count()
        };
        assert_eq!(count("kind=delay"), 4, "one delay per client");
        // The injected crash: its fault event and the failure it caused.
        assert_eq!(count("kind=crash"), 2);
        assert_eq!(count("kind=fault"), 5);
    }
}
