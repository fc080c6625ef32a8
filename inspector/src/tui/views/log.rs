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

/// The event index column is at least this wide ...
pub const MIN_INDEX_DIGITS: usize = 5;
/// ... and the step column this wide.
pub const MIN_STEP_DIGITS: usize = 3;

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

/// The events the log shows in `height` rows: around the selected event,
/// all of them or (filtered) only the search's matches.
pub fn visible(app: &App, height: usize) -> Vec<usize> {
    match app.filtered() {
        None => {
            let n = app.timeline().len();
            let start = window(app.selected_event(), n, height);
            (start..(start + height).min(n)).collect()
        }
        Some(rows) => {
            let at = rows.partition_point(|&r| r < app.selected_event()).min(rows.len().saturating_sub(1));
            let start = window(at, rows.len(), height);
            rows.iter().skip(start).take(height).copied().collect()
        }
    }
}

/// Draws the log.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let tl = app.timeline();
    let events = tl.events();
    let title = match (app.query(), app.filtered()) {
        (Some(q), Some(rows)) => {
            // Say so when the cursor is on an event the filter hides.
            let off = if rows.binary_search(&app.cursor()).is_err() {
                format!(" · cursor at {} (not a match)", app.cursor())
            } else {
                String::new()
            };
            format!(" log · only {} ({}){off} ", q.text(), rows.len())
        }
        (Some(q), None) => format!(" log · search: {} ", q.text()),
        (None, _) => " log ".to_string(),
    };
    let block = theme.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    if events.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("the trace has no events", theme.dim())), inner);
        return;
    }
    // At least 5 and 3 digits, so the columns stay put while a live run
    // grows (and match its recording's).
    let index_width = digits(events.len() as u64 - 1).max(MIN_INDEX_DIGITS);
    let step_width = digits(tl.last_step()).max(MIN_STEP_DIGITS);
    let rows = visible(app, height);
    if rows.is_empty() {
        let text = "no event matches the search (so far): f shows every event";
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
        return;
    }
    let chain = Chain::of(app, rows[0]..rows[rows.len() - 1] + 1);
    let mut lines = Vec::with_capacity(height);
    for &i in &rows {
        let ev = &events[i];
        let text = format!(
            "{i:>index_width$} s{:<step_width$} {:<11} {}",
            ev.step,
            ev.kind.name(),
            describe::summary(ev, tl.actors())
        );
        // Cut with an ellipsis, so a cut message id never reads as another.
        let text = super::fit(&text, (inner.width as usize).saturating_sub(3));
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
