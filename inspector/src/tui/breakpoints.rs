//! Breakpoints beyond a step: conditions on events and on the state that
//! stop playing (forward or backward) and that `[` and `]` jump to.
//!
//! Typed at the `B` prompt:
//!
//! | text | stops at |
//! |---|---|
//! | `fault` | every injected fault |
//! | `restart` | every restart |
//! | `failure` | every failure (a handler or hook that panicked or returned an error) |
//! | `depth>N` | a mailbox growing past N messages (`depth>N actor=GLOB`: only those actors') |
//! | a search query | every event it matches: `actor=worker*`, `kind=dead_letter`, `from=a to=b`, … |
//! | (nothing) | every match of the last search |

use rehearsal::{Event, EventKind};

use super::model::{mailbox_actor, Actors, Model};
use super::query::{glob, Query};

/// A condition that stops playing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breakpoint {
    /// Every event a query matches.
    Events(Query),
    /// Every injected fault.
    Fault,
    /// Every restart.
    Restart,
    /// Every failure.
    Failure,
    /// A mailbox growing past `above` messages: the event that takes it
    /// from `above` to `above + 1`; only actors whose name matches the glob
    /// `actor`, if given.
    Depth {
        /// The depth to grow past.
        above: u32,
        /// Only these actors (a glob on the name).
        actor: Option<String>,
    },
}

impl Breakpoint {
    /// Parses the text typed at the breakpoint prompt (see the module's
    /// table); an error says what was expected.
    ///
    /// ```
    /// # use rehearsal_inspector::tui::breakpoints::Breakpoint;
    /// assert_eq!(Breakpoint::parse("fault"), Ok(Breakpoint::Fault));
    /// assert_eq!(
    ///     Breakpoint::parse("depth>8 actor=sink"),
    ///     Ok(Breakpoint::Depth { above: 8, actor: Some("sink".into()) })
    /// );
    /// assert!(Breakpoint::parse("depth>many").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Breakpoint, String> {
        let text = text.trim();
        match text {
            "fault" | "faults" => return Ok(Breakpoint::Fault),
            "restart" | "restarts" => return Ok(Breakpoint::Restart),
            "failure" | "failures" | "crash" => return Ok(Breakpoint::Failure),
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("depth>") {
            let mut words = rest.split_whitespace();
            let n = words.next().unwrap_or_default();
            let above = n.parse::<u32>().map_err(|_| format!("`depth>{n}`: expected depth>N, N a number"))?;
            let actor = match words.next() {
                None => None,
                Some(w) => match w.strip_prefix("actor=") {
                    Some(g) if !g.is_empty() => Some(g.to_string()),
                    _ => return Err(format!("`{w}`: after depth>N, only actor=GLOB")),
                },
            };
            if let Some(extra) = words.next() {
                return Err(format!("`{extra}`: after depth>N, only actor=GLOB"));
            }
            return Ok(Breakpoint::Depth { above, actor });
        }
        Query::parse(text).map(Breakpoint::Events).map_err(|e| format!("{e} (or fault, restart, failure, depth>N)"))
    }

    /// The breakpoint as typed (for the status bar and messages).
    pub fn label(&self) -> String {
        match self {
            Breakpoint::Events(q) => q.text().to_string(),
            Breakpoint::Fault => "fault".into(),
            Breakpoint::Restart => "restart".into(),
            Breakpoint::Failure => "failure".into(),
            Breakpoint::Depth { above, actor: None } => format!("depth>{above}"),
            Breakpoint::Depth { above, actor: Some(a) } => format!("depth>{above} actor={a}"),
        }
    }

    /// Returns true if the breakpoint needs the state after each event
    /// (not just the event) to tell a hit.
    pub fn needs_state(&self) -> bool {
        matches!(self, Breakpoint::Depth { .. })
    }

    /// Returns true if event `ev`, which changed its mailbox's depth by
    /// `delta` and left the system in `after`, hits the breakpoint.
    pub fn hit(&self, ev: &Event, delta: i32, after: &Model, actors: &Actors) -> bool {
        match self {
            Breakpoint::Events(q) => q.matches(ev, actors),
            Breakpoint::Fault => matches!(ev.kind, EventKind::Fault { .. }),
            Breakpoint::Restart => matches!(ev.kind, EventKind::Restart { .. }),
            Breakpoint::Failure => matches!(ev.kind, EventKind::Failure { .. }),
            Breakpoint::Depth { above, actor } => {
                if delta <= 0 {
                    return false;
                }
                let Some(id) = mailbox_actor(&ev.kind) else { return false };
                let Some(st) = after.actor(actors, id) else { return false };
                let before = st.depth.saturating_add_signed(-delta);
                let named = actor.as_deref().is_none_or(|g| glob(g, &actors.name(id)));
                named && before <= *above && st.depth > *above
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(Breakpoint::parse(" restarts "), Ok(Breakpoint::Restart));
        assert_eq!(Breakpoint::parse("crash"), Ok(Breakpoint::Failure));
        assert_eq!(Breakpoint::parse("depth>3"), Ok(Breakpoint::Depth { above: 3, actor: None }));
        assert_eq!(
            Breakpoint::parse("depth>3 colour=red").unwrap_err(),
            "`colour=red`: after depth>N, only actor=GLOB"
        );
        assert_eq!(Breakpoint::parse("depth>").unwrap_err(), "`depth>`: expected depth>N, N a number");
        let q = Breakpoint::parse("actor=worker* kind=deliver").unwrap();
        assert_eq!(q.label(), "actor=worker* kind=deliver");
        assert!(Breakpoint::parse("colour=red").unwrap_err().contains("fault, restart, failure, depth>N"));
        for text in ["fault", "restart", "failure", "depth>8", "depth>8 actor=w*", "kind=stop"] {
            assert_eq!(Breakpoint::parse(text).unwrap().label(), text);
        }
    }
}
