//! The terminal inspector: a recorded trace replayed in a terminal UI.
//!
//! The state of the system at any event is folded from the trace
//! ([`model`]); the [`app`] holds the cursor, the selection, playback and
//! the prompts, and changes only through [`commands::Command`]s, which one
//! registry ([`commands::BINDINGS`]) binds to keys, lists in the hint bar
//! and explains in the help. The [`views`] draw it; [`terminal`] runs it on
//! a real terminal.
//!
//! The command line calls [`inspect`] for the interactive inspector
//! and [`screen_at`] to print one screen (`--snapshot-at N --size WxH`).

pub mod app;
pub mod breakpoints;
pub mod commands;
pub mod describe;
pub mod live;
pub mod model;
pub mod query;
pub mod terminal;
pub mod views;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::Terminal;
use rehearsal::trace::Trace;

pub use app::App;
pub use commands::{Command, Key};
pub use views::Theme;

/// Runs the inspector on `app` (a recording's or a live run's) on the
/// terminal until the user quits. Colour is off when the `NO_COLOR`
/// environment variable is set (and not empty). Errors are one line.
pub fn inspect(mut app: App) -> Result<(), String> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err("the inspector needs a terminal; --snapshot-at N prints one screen as text instead".into());
    }
    terminal::run(&mut app, Theme::new(color_from_env())).map_err(|e| format!("the terminal: {e}"))
}

/// Whether to use colour: not when `NO_COLOR` is set to anything but the
/// empty string (<https://no-color.org>).
pub fn color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The screen with the cursor at the last event of step `step` (the last
/// event, if the run is shorter), `width` by `height`, as text: one line
/// per row. With `color` false the text is plain (trailing spaces trimmed);
/// with `color` true each styled run carries ANSI SGR escapes, so a
/// terminal shows the colours.
pub fn snapshot(trace: Trace, step: u64, width: u16, height: u16, color: bool) -> String {
    screen_at(App::new(trace), step, width, height, color)
}

/// The screen of `app` (a recording's or a live run's, in the view it is
/// in) with the cursor at the last event of step `step`, as [`snapshot`]
/// prints it.
pub fn screen_at(mut app: App, step: u64, width: u16, height: u16, color: bool) -> String {
    app.handle(Command::GoToStep(step));
    let buffer = render(&app, width, height, color);
    if color {
        buffer_ansi(&buffer)
    } else {
        buffer_text(&buffer)
    }
}

/// Draws `app` on a `width` by `height` test backend and returns its buffer.
pub fn render(app: &App, width: u16, height: u16, color: bool) -> Buffer {
    let theme = Theme::new(color);
    let mut terminal = Terminal::new(TestBackend::new(width.max(1), height.max(1)))
        .expect("invariant: a test backend cannot fail to start");
    terminal.draw(|f| views::render(f, app, &theme)).expect("invariant: drawing on a test backend cannot fail");
    terminal.backend().buffer().clone()
}

/// The cells of each row of `buffer`, skipping those hidden by a wide symbol.
fn rows(buffer: &Buffer) -> impl Iterator<Item = Vec<&ratatui::buffer::Cell>> + '_ {
    buffer.content.chunks(buffer.area.width.max(1) as usize).map(|cells| {
        let mut out = Vec::with_capacity(cells.len());
        let mut skip = 0usize;
        for c in cells {
            if skip == 0 {
                out.push(c);
            }
            skip = skip.max(Span::raw(c.symbol()).width()).saturating_sub(1);
        }
        out
    })
}

/// The text of `buffer`, one line per row, trailing spaces trimmed.
pub fn buffer_text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for row in rows(buffer) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn sgr_color(c: Color, background: bool) -> Option<String> {
    let base = if background { 40 } else { 30 };
    let bright = if background { 100 } else { 90 };
    Some(match c {
        Color::Reset => return None,
        Color::Black => format!("{base}"),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{bright}"),
        Color::LightRed => format!("{}", bright + 1),
        Color::LightGreen => format!("{}", bright + 2),
        Color::LightYellow => format!("{}", bright + 3),
        Color::LightBlue => format!("{}", bright + 4),
        Color::LightMagenta => format!("{}", bright + 5),
        Color::LightCyan => format!("{}", bright + 6),
        Color::White => format!("{}", bright + 7),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    })
}

fn sgr(style: Style) -> String {
    let mut codes: Vec<String> = Vec::new();
    let m = style.add_modifier;
    for (bit, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(bit) {
            codes.push(code.to_string());
        }
    }
    codes.extend(style.fg.and_then(|c| sgr_color(c, false)));
    codes.extend(style.bg.and_then(|c| sgr_color(c, true)));
    if codes.is_empty() {
        String::new()
    } else {
        format!("\x1b[{}m", codes.join(";"))
    }
}

/// The text of `buffer` with ANSI SGR escapes for its styles, one line per
/// row, each line ending with a reset.
pub fn buffer_ansi(buffer: &Buffer) -> String {
    let mut out = String::new();
    for row in rows(buffer) {
        let mut current: Option<Style> = None;
        for c in row {
            let style = c.style();
            if current != Some(style) {
                out.push_str("\x1b[0m");
                out.push_str(&sgr(style));
                current = Some(style);
            }
            out.push_str(c.symbol());
        }
        let _ = writeln!(out, "\x1b[0m");
    }
    out
}
