//! The event log around the selected event: the cursor marked `▶`, the
//! selected event highlighted, breakpoints `◆`, search matches `*`, and the
//! events after the cursor (the future) dimmed.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{window, Theme};
use crate::tui::app::App;
use crate::tui::describe;

fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Draws the log.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let tl = app.timeline();
    let events = tl.events();
    let title = match app.query() {
        Some(q) => format!(" log · search: {} ", q.text()),
        None => " log ".to_string(),
    };
    let block = theme.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    if events.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("the trace has no events", theme.dim())), inner);
        return;
    }
    let index_width = digits(events.len() as u64 - 1);
    let step_width = digits(tl.last_step());
    let start = window(app.selected_event(), events.len(), height);
    let mut lines = Vec::with_capacity(height);
    for (i, ev) in events.iter().enumerate().skip(start).take(height) {
        let cursor = if i == app.cursor() { Span::styled("▶", theme.cursor()) } else { Span::raw(" ") };
        let mark = if app.is_breakpoint(i) {
            Span::styled("◆", theme.breakpoint())
        } else if app.is_match(i) {
            Span::styled("*", theme.matched())
        } else {
            Span::raw(" ")
        };
        let text = format!(
            "{i:>index_width$} s{:<step_width$} {:<11} {}",
            ev.step,
            ev.kind.name(),
            describe::summary(ev, tl.actors())
        );
        let body = if i > app.cursor() {
            Span::styled(text, theme.dim())
        } else if i == app.cursor() {
            Span::styled(text, theme.cursor())
        } else {
            Span::raw(text)
        };
        let mut line = Line::from(vec![cursor, mark, body]);
        if i == app.selected_event() {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
