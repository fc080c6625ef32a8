//! The bottom line: the open prompt, the last message, and the key hints,
//! all from the command registry.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::Theme;
use crate::tui::app::{App, Prompt};
use crate::tui::commands::{bindings, Binding, Command};

/// Draws the hint bar.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = area.width as usize;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let prompt = match app.prompt() {
        Some(Prompt::GoTo(s)) => Some(format!("go to step: {s}█ ")),
        Some(Prompt::Search(s)) => Some(format!("search: {s}█ ")),
        Some(Prompt::Break(s)) => Some(format!("break on (fault, restart, failure, depth>N, a query): {s}█ ")),
        None => app.message().map(|m| format!("{m} ")),
    };
    spans.extend(prompt.map(|p| Span::styled(p, theme.message())));
    let hint = |spans: &mut Vec<Span<'static>>, b: &Binding| {
        spans.extend([Span::raw("  "), Span::styled(b.label, theme.key()), Span::raw(format!(" {}", b.hint))]);
    };
    // The help's hint goes last but always has room: it leads to the rest.
    let room = |b: &Binding| 2 + b.label.chars().count() + 1 + b.hint.chars().count();
    let help = bindings(app.mode()).find(|b| b.command == Command::Help);
    let reserved = help.map_or(0, room);
    for b in bindings(app.mode()).filter(|b| !b.hint.is_empty() && b.command != Command::Help) {
        if spans.iter().map(Span::width).sum::<usize>() + room(b) + reserved > width {
            break;
        }
        hint(&mut spans, b);
    }
    if let Some(b) = help {
        hint(&mut spans, b);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
