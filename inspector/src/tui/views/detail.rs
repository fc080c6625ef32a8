//! The detail pane: the selected actor (when the tree or the mailboxes have
//! the focus) or the selected event, every field of it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use rehearsal::ActorId;

use super::Theme;
use crate::tui::app::{App, Pane};
use crate::tui::describe;

/// Columns of the depth-over-time sparkline of an actor.
const DEPTH_SPARK: usize = 24;

/// What the detail pane shows: a title and (label, value) rows. The
/// selected actor while the tree or the mailboxes have the focus, the
/// selected warning while the warnings have it, else the selected event.
pub fn content(app: &App) -> (String, Vec<(String, String)>) {
    match app.pane() {
        Pane::Tree | Pane::Mailboxes => {
            if let Some(a) = app.selected_actor() {
                return actor(app, a);
            }
        }
        Pane::Warnings => {
            if let Some(w) = warning(app) {
                return w;
            }
        }
        Pane::Log => {}
    }
    event(app)
}

fn warning(app: &App) -> Option<(String, Vec<(String, String)>)> {
    let tl = app.timeline();
    let (key, count) = app.model().warnings.iter().nth(app.selected_warning())?;
    let at = |i: usize| {
        let ev = &tl.events()[i];
        format!("event {i}, step {}: {} {}", ev.step, ev.kind.name(), describe::summary(ev, tl.actors()))
    };
    let mut rows = vec![("warning".to_string(), format!("{} {}", key.kind.symbol(), key.kind.label()))];
    if let Some(a) = key.actor {
        rows.push(("actor".into(), format!("{a} {}", tl.actors().label(a))));
    }
    rows.push(("count".into(), count.count.to_string()));
    rows.push(("first".into(), at(count.first)));
    if count.last != count.first {
        rows.push(("last".into(), at(count.last)));
    }
    Some((" warning ".to_string(), rows))
}

fn event(app: &App) -> (String, Vec<(String, String)>) {
    let tl = app.timeline();
    let i = app.selected_event();
    match tl.events().get(i) {
        None => (" detail ".to_string(), vec![("event".into(), "none".into())]),
        Some(ev) => {
            let mut title = format!(" event {i} ");
            if i != app.cursor() {
                title = format!(" event {i} (cursor at {}) ", app.cursor());
            }
            (title, describe::fields(ev, tl.actors()))
        }
    }
}

fn actor(app: &App, id: ActorId) -> (String, Vec<(String, String)>) {
    let tl = app.timeline();
    let actors = tl.actors();
    let Some(info) = actors.info(id) else {
        return (format!(" actor {id} "), vec![("actor".into(), "unknown".into())]);
    };
    let st = app.model().actor(actors, id).cloned().unwrap_or_default();
    let children = actors.iter().filter(|a| a.parent == Some(id) && a.spawned_at <= app.cursor()).count();
    let mut rows = vec![
        ("state".to_string(), format!("{} {}", st.shown_state().symbol(), st.shown_state().label())),
        ("mailbox".to_string(), {
            let mut m = format!("depth {}, high {}, drops {}", st.depth, st.high_water, st.drops);
            if st.waiting > 0 {
                m.push_str(&format!(", {} parked sends waiting for room", st.waiting));
            }
            if st.parked > 0 {
                m.push_str(&format!("; {} of its own sends parked", st.parked));
            }
            m
        }),
        ("restarts".to_string(), format!("{}, failures {}", st.restarts, st.failures)),
        (
            "parent".to_string(),
            info.parent.map_or_else(|| "none (top level)".into(), |p| format!("{p} {}", actors.label(p))),
        ),
    ];
    if info.supervisor || children > 0 {
        rows.push(("children".into(), children.to_string()));
    }
    rows.push(("delivered".into(), st.delivered.to_string()));
    if let Some(i) = actors.index_of(id) {
        let applied = app.model().applied;
        let series = tl.depth_series(i, applied, DEPTH_SPARK);
        let peak = series.iter().copied().max().unwrap_or(0);
        rows.push(("depth".into(), format!("{} peak {peak}", super::mailboxes::sparkline(&series))));
    }
    if let Some(e) = st.ended {
        rows.push(("ended".into(), describe::lower(&e)));
    }
    rows.push(("id".into(), format!("{id}, type {}, spawned at event {}", info.type_name, info.spawned_at)));
    (format!(" actor {} ", info.name), rows)
}

/// Draws the detail pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (title, rows) = content(app);
    let block = theme.block(title, false);
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, v)| Line::from(vec![Span::styled(format!("{k:<width$} "), theme.label()), Span::raw(v)]))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}
