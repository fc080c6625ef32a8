//! The warnings at the cursor, most severe first, with how often each fired.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{window, Theme};
use crate::tui::app::App;
use crate::tui::model::WarningKind;

/// The warnings as lines of text, without styles.
pub fn texts(app: &App) -> Vec<(WarningKind, String)> {
    let actors = app.timeline().actors();
    let model = app.model();
    model
        .warnings
        .iter()
        .map(|(key, w)| {
            let mut s = format!("{} {}", key.kind.symbol(), key.kind.label());
            if let Some(a) = key.actor {
                s.push(' ');
                s.push_str(&actors.label(a));
            }
            s.push_str(&format!(" ×{}", w.count));
            if let (WarningKind::MailboxGrowing, Some(st)) = (key.kind, key.actor.and_then(|a| model.actor(actors, a)))
            {
                s.push_str(&format!(" (depth {}, high {})", st.depth, st.high_water));
            }
            (key.kind, s)
        })
        .collect()
}

/// Draws the warnings.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let items = texts(app);
    let block = theme.block(format!(" warnings ({}) ", items.len()), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let mut lines = Vec::with_capacity(height);
    if items.is_empty() {
        lines.push(Line::from(Span::styled("none so far", theme.dim())));
    }
    let start = window(app.selected_warning(), items.len(), height);
    for (pos, (kind, text)) in items.into_iter().enumerate().skip(start).take(height) {
        let text = super::fit(&text, inner.width as usize);
        let mut line = Line::from(Span::styled(text, theme.warning(kind)));
        if focused && pos == app.selected_warning() {
            line = line.style(theme.selected(true));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
