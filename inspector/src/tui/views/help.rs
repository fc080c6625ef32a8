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
    out.push(("", "the mouse"));
    out.push(("click", "select the actor, event or warning under it; click an event again to go there"));
    out.push(("wheel", "scroll the log"));
    out
}

/// Draws the popup over `area`, centred.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let entries = entries();
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(2).min(entries.len() as u16 * 2 + 2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = theme.block(" help · ↑/↓ scroll · ? or Esc close ", true);
    let inner = block.inner(popup);
    let rows = inner.height as usize;
    let key_width = entries.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let text_width = (inner.width as usize).saturating_sub(key_width + 3).max(10);
    // Each help wraps onto lines of its own under itself: nothing is cut.
    let mut all: Vec<Line> = Vec::new();
    for (k, h) in &entries {
        if k.is_empty() {
            all.push(Line::from(Span::styled(h.to_string(), theme.label())));
            continue;
        }
        for (n, part) in wrap(h, text_width).into_iter().enumerate() {
            let key = if n == 0 { *k } else { "" };
            all.push(Line::from(vec![Span::styled(format!(" {key:<key_width$}  "), theme.key()), Span::raw(part)]));
        }
    }
    let scroll = app.help_scroll().min(all.len().saturating_sub(rows));
    let lines: Vec<Line> = all.into_iter().skip(scroll).take(rows).collect();
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// `text` in lines of at most `width` columns, broken between words (a
/// word longer than a line is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("invariant: never empty");
        let len = last.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(fit(word, width));
        } else if len > 0 {
            last.push(' ');
            last.push_str(word);
        } else {
            *last = fit(word, width);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), [""]);
        assert_eq!(wrap("abcdefghij", 4), ["abc…"]);
    }
}
