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
    let push = |spans: &mut Vec<Span<'static>>, s: Span<'static>| spans.push(s);
    let used = |spans: &Vec<Span<'static>>| spans.iter().map(Span::width).sum::<usize>();
    match app.prompt() {
        Some(Prompt::GoTo(s)) => push(&mut spans, Span::styled(format!("go to step: {s}█ "), theme.message())),
        Some(Prompt::Search(s)) => push(&mut spans, Span::styled(format!("search: {s}█ "), theme.message())),
        Some(Prompt::Break(s)) => push(
            &mut spans,
            Span::styled(format!("break on (fault, restart, failure, depth>N, a query): {s}█ "), theme.message()),
        ),
        None => {
            if let Some(m) = app.message() {
                push(&mut spans, Span::styled(format!("{m} "), theme.message()));
            }
        }
    }
    // The help's hint goes last but always has room: it leads to the rest.
    let room = |b: &Binding| 2 + b.label.chars().count() + 1 + b.hint.chars().count();
    let help = bindings(app.mode()).find(|b| b.command == Command::Help);
    let reserved = help.map_or(0, room);
    for b in bindings(app.mode()).filter(|b| !b.hint.is_empty() && b.command != Command::Help) {
        if used(&spans) + room(b) + reserved > width {
            break;
        }
        push(&mut spans, Span::raw("  "));
        push(&mut spans, Span::styled(b.label, theme.key()));
        push(&mut spans, Span::raw(format!(" {}", b.hint)));
    }
    if let Some(b) = help {
        push(&mut spans, Span::raw("  "));
        push(&mut spans, Span::styled(b.label, theme.key()));
        push(&mut spans, Span::raw(format!(" {}", b.hint)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
