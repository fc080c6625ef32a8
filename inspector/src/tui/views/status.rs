//! The status bar: what is replayed, where the cursor is, and the run's
//! counters at the cursor.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rehearsal::trace::DeadLetterReason;

use super::Theme;
use crate::tui::app::App;

const SEP: &str = " │ ";

/// The two lines of the status bar, as text, for a bar `width` wide (the
/// dead letters' reasons are listed as far as they fit).
pub fn lines(app: &App, width: usize) -> [String; 2] {
    let tl = app.timeline();
    let h = &tl.trace().header;
    let m = app.model();
    let play = match (app.playing(), app.reverse()) {
        (false, _) => "⏸".to_string(),
        (true, false) => format!("▶ {}/tick", app.speed()),
        (true, true) => format!("◀ {}/tick", app.speed()),
    };
    let scenario = if h.scenario.is_empty() { "(no scenario)" } else { h.scenario.as_str() };
    let event = if tl.is_empty() {
        "no events".to_string()
    } else {
        format!("event {}/{}{}", app.cursor(), tl.len() - 1, if app.growing() { "+" } else { "" })
    };
    let first = [
        match (app.is_live(), app.growing()) {
            (false, _) => format!(" REPLAY {play}"),
            (true, true) => format!(" LIVE {play}"),
            (true, false) => {
                let verdict = match app.live_ending() {
                    Some(e) if e.passed => "invariants ok".to_string(),
                    Some(e) if e.failed.is_empty() => format!("FAILED: {}", e.outcome),
                    Some(e) => format!("FAILED {}", e.failed.join(", ")),
                    None => String::new(),
                };
                format!(" LIVE (ended, {verdict}) {play}")
            }
        },
        // Where the cursor is first: on a narrow screen the run's name,
        // seed and strategy are what gets cut.
        format!("step {} of {}{}", app.step(), tl.last_step(), if app.growing() { "+" } else { "" }),
        event,
        format!("t={}", m.time),
        scenario.to_string(),
        format!("seed {}", h.seed),
        h.strategy.to_string(),
    ]
    .join(SEP);
    let c = &m.counts;
    let mut second = vec![
        match app.cut() {
            Some(_) => format!(" TRACE CUT at event {} │ faults {}", tl.len(), c.faults),
            None => format!(" faults {}", c.faults),
        },
        format!("failures {}", c.failures),
        format!("restarts {}", c.restarts),
        format!("dead letters {}", c.dead_letters),
    ];
    if !app.breakpoints().is_empty() || !app.conditions().is_empty() {
        let mut breaks: Vec<String> = app.breakpoints().iter().map(|s| format!("step {s}")).collect();
        breaks.extend(app.conditions().iter().map(|b| b.label()));
        let used: usize = second.iter().map(|p| p.chars().count() + SEP.chars().count()).sum();
        let room = width.saturating_sub(used + "breaks: ".len());
        let text = breaks.join(", ");
        second.push(format!("breaks: {}", super::fit(&text, room.max(4))));
    }
    if m.system_stopped.is_some() {
        second.push("SYSTEM STOPPED".to_string());
    }
    if c.dead_letters > 0 {
        // The reasons, most frequent first, as many as fit.
        let mut by: Vec<(u64, DeadLetterReason)> =
            DeadLetterReason::ALL.iter().map(|&r| (c.dead(r), r)).filter(|(n, _)| *n > 0).collect();
        by.sort_by_key(|b| std::cmp::Reverse(b.0));
        let room = width.saturating_sub(second.join(SEP).chars().count());
        let mut parts: Vec<String> = by.iter().map(|(n, r)| format!("{r} {n}")).collect();
        while !parts.is_empty() {
            let more = if parts.len() < by.len() { ", …" } else { "" };
            let text = format!(" ({}{more})", parts.join(", "));
            if text.chars().count() <= room {
                second[3].push_str(&text);
                break;
            }
            parts.pop();
        }
    }
    [first, second.join(SEP)]
}

/// Draws the status bar.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [first, second] = lines(app, area.width as usize);
    let text = vec![
        Line::from(Span::styled(first, theme.bar().add_modifier(Modifier::BOLD))),
        Line::from(Span::styled(second, theme.bar())),
    ];
    frame.render_widget(Paragraph::new(text).style(theme.bar()), area);
}
