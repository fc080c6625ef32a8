//! The mailboxes at the cursor, deepest first: depth, capacity and policy
//! (`8/old` is 8 with drop-oldest; shown when the pane is wide enough),
//! high-water mark, drops.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, window, Theme};
use crate::tui::app::App;

/// Draws the table.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let rows = app.mailbox_rows();
    let actors = app.timeline().actors();
    let model = app.model();
    let block = theme.block(" mailboxes ", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // The capacity/policy column only when there is room for it and 8
    // characters of name.
    let show_cap = width >= 36;
    let name_width = width.saturating_sub(if show_cap { 29 } else { 19 }).max(4);
    let row = |name: &str, depth: &str, cap: &str, high: &str, drops: &str| {
        if show_cap {
            format!("{:<name_width$} {depth:>5} {cap:>9} {high:>5} {drops:>5}", fit(name, name_width))
        } else {
            format!("{:<name_width$} {depth:>5} {high:>5} {drops:>5}", fit(name, name_width))
        }
    };
    let cap = |m: Option<(u32, rehearsal::Overflow)>| match m {
        None => "-".to_string(),
        Some((n, policy)) => {
            let p = match policy {
                rehearsal::Overflow::DropNewest => "new",
                rehearsal::Overflow::DropOldest => "old",
                rehearsal::Overflow::Reject => "rej",
                rehearsal::Overflow::Block => "blk",
                rehearsal::Overflow::Fail => "fail",
            };
            format!("{n}/{p}")
        }
    };
    let mut lines = vec![Line::from(Span::styled(row("actor", "depth", "cap", "high", "drops"), theme.label()))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled("no messages yet", theme.dim())));
    }
    let height = (inner.height as usize).saturating_sub(1);
    let selected =
        app.selected_actor().and_then(|a| actors.index_of(a)).and_then(|i| rows.iter().position(|&r| r == i));
    let start = window(selected.unwrap_or(0), rows.len(), height);
    for (pos, &i) in rows.iter().enumerate().skip(start).take(height) {
        let (Some(info), Some(st)) = (actors.get(i), model.actors.get(i)) else { continue };
        let text = row(
            &info.name,
            &st.depth.to_string(),
            &cap(info.mailbox),
            &st.high_water.to_string(),
            &st.drops.to_string(),
        );
        let mut line = Line::from(Span::styled(text, theme.state(st.state)));
        if st.depth == 0 {
            line = line.style(theme.dim());
        }
        if Some(pos) == selected {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
