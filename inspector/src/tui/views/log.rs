//! The event log around the selected event: the cursor marked `▶`, the
//! selected event highlighted, its causal chain marked `┃` (and what it
//! caused `↳`) and in bold, breakpoints `◆`, search matches `*`, and the
//! events after the cursor (the future) dimmed.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{digits, window, Chain, Theme};
use crate::tui::app::App;
use crate::tui::describe;

/// The three marker columns before event `i`'s row (the flow's too): the
/// cursor `▶`, the causal chain `┃`/`↳`, a breakpoint `◆` or a match `*`.
pub fn gutter(app: &App, theme: &Theme, chain: &Chain, i: usize) -> Vec<Span<'static>> {
    let cursor = if i == app.cursor() { Span::styled("▶", theme.cursor()) } else { Span::raw(" ") };
    let link = Span::styled(chain.marker(i), theme.chain());
    let mark = if app.is_breakpoint(i) {
        Span::styled("◆", theme.breakpoint())
    } else if app.is_match(i) {
        Span::styled("*", theme.matched())
    } else {
        Span::raw(" ")
    };
    vec![cursor, link, mark]
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
    let chain = Chain::of(app, start..start + height);
    let mut lines = Vec::with_capacity(height);
    for (i, ev) in events.iter().enumerate().skip(start).take(height) {
        let text = format!(
            "{i:>index_width$} s{:<step_width$} {:<11} {}",
            ev.step,
            ev.kind.name(),
            describe::summary(ev, tl.actors())
        );
        let body = if i == app.cursor() {
            Span::styled(text, theme.cursor())
        } else if chain.contains(i) {
            Span::styled(text, theme.chain())
        } else if i > app.cursor() {
            Span::styled(text, theme.dim())
        } else {
            Span::raw(text)
        };
        let mut line = Line::from(gutter(app, theme, &chain, i));
        line.push_span(body);
        if i == app.selected_event() {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
