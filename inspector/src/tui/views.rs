//! Drawing the inspector: the layout, the colours, and one module per pane.
//!
//! Every view reads the [`App`] and draws into a [`Frame`]; none changes
//! anything. Colour is a flag of the [`Theme`], so `NO_COLOR` (and tests)
//! can turn it off: without colour, states still read by their symbols and
//! the selection by reverse video.

pub mod detail;
pub mod flow;
pub mod help;
pub mod hints;
pub mod log;
pub mod mailboxes;
pub mod status;
pub mod tree;
pub mod warnings;

use std::collections::HashSet;
use std::ops::Range;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Paragraph};
use ratatui::Frame;

use super::app::{App, Pane};
use super::commands::{Command, Target};
use super::model::{ActorState, WarningKind};

/// The smallest terminal the inspector draws in.
pub const MIN_WIDTH: u16 = 40;
/// The smallest terminal height the inspector draws in.
pub const MIN_HEIGHT: u16 = 10;

/// Styles, with or without colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Whether to use colour at all.
    pub color: bool,
}

impl Theme {
    /// A theme; `color` false draws with no colour at all (`NO_COLOR`).
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// An actor's state.
    pub fn state(&self, s: ActorState) -> Style {
        match s {
            ActorState::Running => self.fg(Color::Green),
            ActorState::Restarting => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ActorState::Stopped => self.dim(),
            ActorState::Failed => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            ActorState::Blocked => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ActorState::Unborn => Style::new(),
        }
    }

    /// A warning.
    pub fn warning(&self, k: WarningKind) -> Style {
        match k {
            WarningKind::Deadlock | WarningKind::SystemStop | WarningKind::Limit | WarningKind::Interrupted => {
                self.fg(Color::Red).add_modifier(Modifier::BOLD)
            }
            WarningKind::IntensityExceeded | WarningKind::RestartStorm | WarningKind::Escalation => {
                self.fg(Color::Yellow)
            }
            WarningKind::MailboxGrowing => self.fg(Color::Magenta),
            WarningKind::DeadLetters(_) => self.fg(Color::Cyan),
        }
    }

    /// Less important text; events after the cursor.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// The selected row.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// The cursor's marker and line.
    pub fn cursor(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected event's causal chain, and what it caused: bold (and
    /// cyan with colour), beside its `┃`/`↳` marker.
    pub fn chain(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// A breakpoint marker.
    pub fn breakpoint(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A search match marker.
    pub fn matched(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    /// The status bar.
    pub fn bar(&self) -> Style {
        if self.color {
            Style::new().fg(Color::White).bg(Color::Blue)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// A key in the hint bar and the help.
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// A label (field names, headers).
    pub fn label(&self) -> Style {
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }

    /// A message to the user.
    pub fn message(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// A pane's frame: thick and coloured when it has the focus.
    pub fn block<'a>(&self, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
        let block = Block::bordered().title(title);
        if focused {
            block.border_type(BorderType::Thick).border_style(self.fg(Color::Cyan).add_modifier(Modifier::BOLD))
        } else {
            block.border_style(self.dim())
        }
    }
}

/// The panes' places on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    /// The status bar (two lines).
    pub status: Rect,
    /// The supervision tree.
    pub tree: Rect,
    /// The mailboxes table.
    pub mailboxes: Rect,
    /// The warnings.
    pub warnings: Rect,
    /// The event log.
    pub log: Rect,
    /// The detail pane.
    pub detail: Rect,
    /// The key-hint bar.
    pub hints: Rect,
}

/// Lays the screen out: the status bar on top, the hint bar at the bottom,
/// the tree, mailboxes and warnings on the left, the log and the detail on
/// the right. `None` if the screen is too small.
pub fn layout(area: Rect) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [status, body, hints] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let [left, right] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body);
    let [tree, mailboxes, warnings] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(35), Constraint::Percentage(25)])
            .areas(left);
    let [log, detail] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
    Some(Areas { status, tree, mailboxes, warnings, log, detail, hints })
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    let Some(a) = layout(area) else {
        let text = format!(
            "the terminal is too small: {}x{} (the inspector needs {MIN_WIDTH}x{MIN_HEIGHT}); q quits",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    };
    status::render(frame, a.status, app, theme);
    tree::render(frame, a.tree, app, theme, app.pane() == Pane::Tree);
    mailboxes::render(frame, a.mailboxes, app, theme, app.pane() == Pane::Mailboxes);
    warnings::render(frame, a.warnings, app, theme, app.pane() == Pane::Warnings);
    if app.flow_visible() {
        flow::render(frame, a.log, app, theme, app.pane() == Pane::Log);
    } else {
        log::render(frame, a.log, app, theme, app.pane() == Pane::Log);
    }
    detail::render(frame, a.detail, app, theme);
    hints::render(frame, a.hints, app, theme);
    if app.help_visible() {
        help::render(frame, area, app, theme);
    }
}

/// What a left click at column `col`, row `row` of a screen of size `area`
/// lands on, as the command that selects it: the same rows the panes draw
/// (each pane keeps its selection in view the same way), so a click picks
/// what is under the pointer. `None` off the panes.
pub fn click(app: &App, area: Rect, col: u16, row: u16) -> Option<Command> {
    let a = layout(area)?;
    let inside = |r: Rect| col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height;
    let inner = |r: Rect| Rect::new(r.x + 1, r.y + 1, r.width.saturating_sub(2), r.height.saturating_sub(2));
    let pane_of =
        [(a.tree, Pane::Tree), (a.mailboxes, Pane::Mailboxes), (a.warnings, Pane::Warnings), (a.log, Pane::Log)];
    let (rect, pane) = pane_of.into_iter().find(|(r, _)| inside(*r))?;
    let body = inner(rect);
    let focus = Some(Command::Click(Target::Pane(pane)));
    if !inside(body) {
        return focus;
    }
    let off = (row - body.y) as usize;
    let height = body.height as usize;
    let actors = app.timeline().actors();
    let pick_actor = |rows: &[usize], off: usize, height: usize| {
        let selected =
            app.selected_actor().and_then(|x| actors.index_of(x)).and_then(|i| rows.iter().position(|&r| r == i));
        let start = window(selected.unwrap_or(0), rows.len(), height);
        rows.get(start + off).and_then(|&i| actors.get(i)).map(|info| Command::Click(Target::Actor(pane, info.id)))
    };
    let hit = match pane {
        Pane::Tree => pick_actor(&app.tree_rows(), off, height),
        Pane::Mailboxes if off == 0 => None,
        Pane::Mailboxes => pick_actor(&app.mailbox_rows(), off - 1, height.saturating_sub(1)),
        Pane::Warnings => {
            let n = app.model().warnings.len();
            let i = window(app.selected_warning(), n, height) + off;
            (i < n).then_some(Command::Click(Target::Warning(i)))
        }
        Pane::Log if app.flow_visible() => {
            // The flow: a lane's name selects its actor; a row, its event.
            let flow = flow::layout(app, body.width as usize, height);
            if off == 0 {
                let x = (col - body.x) as usize;
                x.checked_sub(flow.gutter)
                    .map(|x| x / flow.lane_width.max(1))
                    .and_then(|lane| flow.lanes.get(lane))
                    .map(|&id| Command::Click(Target::Actor(Pane::Tree, id)))
            } else {
                flow.rows.get(off - 1).map(|r| Command::Click(Target::Event(r.event)))
            }
        }
        Pane::Log => log::visible(app, height).get(off).map(|&i| Command::Click(Target::Event(i))),
    };
    hit.or(focus)
}

/// The first row to show so that row `selected` of `len` is visible in
/// `height` rows, near the middle when it can be.
pub fn window(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    selected.saturating_sub(height / 2).min(len - height)
}

/// How many decimal digits `n` has.
pub fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The selected event's causal chain (it, its cause, that one's cause, ...)
/// and the events in a window that it directly caused, for the log's and
/// the flow's marker column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    causes: HashSet<usize>,
    effects: HashSet<usize>,
}

impl Chain {
    /// The chain of `app`'s selected event, and its effects within `window`.
    pub fn of(app: &App, window: Range<usize>) -> Self {
        Chain {
            causes: app.causal_chain().into_iter().collect(),
            effects: app.effects_in(window).into_iter().collect(),
        }
    }

    /// Returns true if event `i` is in the chain or one of its effects.
    pub fn contains(&self, i: usize) -> bool {
        self.causes.contains(&i) || self.effects.contains(&i)
    }

    /// The marker of event `i`: `┃` in the chain (the selected event
    /// included), `↳` for an effect, else a space.
    pub fn marker(&self, i: usize) -> &'static str {
        if self.causes.contains(&i) {
            "┃"
        } else if self.effects.contains(&i) {
            "↳"
        } else {
            " "
        }
    }
}

/// `s` cut to `width` columns (by characters; the inspector's own symbols
/// are all one column wide).
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// An actor's name cut to `width` columns, keeping a numbered suffix
/// (`worker-12` → `wor…-12`) so that numbered siblings stay apart.
pub fn fit_name(name: &str, width: usize) -> String {
    let len = name.chars().count();
    if len <= width {
        return name.to_string();
    }
    // The longest tail from a separator that fits after a letter and `…`:
    // `worker-0 #13` keeps `-0 #13`, or at least ` #13`.
    let tails = name.char_indices().filter(|(_, c)| matches!(c, '-' | '_' | '.' | ':' | '/' | ' ')).map(|(p, _)| p);
    let tail = tails.map(|p| name[p..].chars().count()).filter(|t| t + 2 <= width).max();
    match tail {
        None => fit(name, width),
        Some(tail) => {
            let head: String = name.chars().take(width - 1 - tail).collect();
            let end: String = name.chars().skip(len - tail).collect();
            format!("{head}…{end}")
        }
    }
}
