//! The supervision tree at the cursor: each actor under its parent, its
//! state as a symbol and a colour, its restarts; a folded subtree shows
//! as `+N` (its hidden descendants) after its root.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, window, Theme};
use crate::tui::app::App;
use crate::tui::describe;
use crate::tui::model::ActorState;

/// Draws the tree.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let rows = app.tree_rows();
    let actors = app.timeline().actors();
    let model = app.model();
    let spawned = app.model().actors.len();
    let mut title = format!(" tree ({spawned}");
    if rows.len() < spawned {
        let what = if app.hiding_stopped() { "stopped or folded" } else { "folded" };
        title.push_str(&format!(", {} {what} away", spawned - rows.len()));
    }
    title.push_str(") ");
    let block = theme.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (height, width) = (inner.height as usize, inner.width as usize);
    let selected =
        app.selected_actor().and_then(|a| actors.index_of(a)).and_then(|i| rows.iter().position(|&r| r == i));
    let start = window(selected.unwrap_or(0), rows.len(), height);
    let mut lines = Vec::with_capacity(height);
    for (pos, &i) in rows.iter().enumerate().skip(start).take(height) {
        let (Some(info), Some(st)) = (actors.get(i), model.actors.get(i)) else { continue };
        let indent = "  ".repeat(info.level.min(width / 4));
        let mut restarts = if st.restarts > 0 { format!(" ↻{}", st.restarts) } else { String::new() };
        if app.is_collapsed(info.id) {
            restarts.push_str(&format!(" +{}", app.descendants(info.id)));
        }
        let room = width.saturating_sub(indent.len() + 2 + restarts.chars().count());
        let name = super::fit_name(&actors.label(info.id), room);
        let type_room = room.saturating_sub(name.chars().count());
        let kind = match info.strategy {
            Some(st) => format!(" {} {}", info.type_name, describe::lower(&st)),
            None => format!(" {}", info.type_name),
        };
        let type_name = if type_room > 3 { fit(&kind, type_room) } else { String::new() };
        let style = theme.state(st.shown_state());
        let mut line = Line::from(vec![
            Span::raw(indent),
            Span::styled(st.shown_state().symbol(), style),
            Span::raw(" "),
            Span::styled(name, style),
            Span::styled(type_name, theme.dim()),
            Span::styled(restarts, theme.state(ActorState::Restarting)),
        ]);
        if Some(pos) == selected {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
