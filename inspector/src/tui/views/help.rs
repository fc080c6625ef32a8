//! The `?` popup: every binding of the command registry with its help.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{fit, Theme};
use crate::tui::app::App;
use crate::tui::commands::{bindings, Mode};

/// The help's lines, as (key label, help) pairs; a section title has no key.
pub fn entries() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("", "browsing")];
    out.extend(bindings(Mode::Normal).map(|b| (b.label, b.help)));
    out.push(("", "in the :, / and B prompts"));
    out.extend(bindings(Mode::Prompt).map(|b| (b.label, b.help)));
    out
}

/// Draws the popup over `area`, centred.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let entries = entries();
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(2).min(entries.len() as u16 + 2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = theme.block(" help · ↑/↓ scroll · ? or Esc close ", true);
    let inner = block.inner(popup);
    let rows = inner.height as usize;
    let scroll = app.help_scroll().min(entries.len().saturating_sub(rows));
    let key_width = entries.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let text_width = (inner.width as usize).saturating_sub(key_width + 3);
    let lines: Vec<Line> = entries
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|(k, h)| {
            if k.is_empty() {
                Line::from(Span::styled(h.to_string(), theme.label()))
            } else {
                Line::from(vec![
                    Span::styled(format!(" {k:<key_width$}  "), theme.key()),
                    Span::raw(fit(h, text_width)),
                ])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
