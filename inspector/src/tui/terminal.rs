//! The real terminal: raw mode and the alternate screen on the way in,
//! both undone on the way out — on quit, on error, and on a panic (a hook
//! restores the terminal before the panic message prints) — and the event
//! loop: keys, the mouse wheel, resizes, and the play clock's ticks.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Once;
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton,
    MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use super::app::App;
use super::commands::{Command, Key};
use super::views::{self, Theme};

/// How often playing advances the cursor.
pub const TICK: Duration = Duration::from_millis(100);

/// The terminal the inspector draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is in raw mode on the alternate screen now.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Raw mode, the alternate screen and mouse capture; installs the panic
/// hook first, so a panic from here on leaves a usable terminal.
pub fn init() -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture) {
        let _ = restore();
        return Err(e);
    }
    match Terminal::new(CrosstermBackend::new(out)) {
        Ok(t) => Ok(t),
        Err(e) => {
            let _ = restore();
            Err(e)
        }
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor again.
/// Does nothing if [`init`] did not run (or [`restore`] already did).
pub fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let screen = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    raw.and(screen)
}

/// Chains a panic hook that restores the terminal before the previous hook
/// prints the panic (once per process).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}

/// Restores the terminal when dropped: on quit, on an error returned with `?`.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// The inspector's key for a terminal event, if it has one: key presses
/// (not releases), Ctrl-C, and the mouse wheel.
pub fn key_of(ev: &Event) -> Option<Key> {
    match ev {
        Event::Key(k) => key_of_press(k),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Key::WheelUp),
            MouseEventKind::ScrollDown => Some(Key::WheelDown),
            _ => None,
        },
        _ => None,
    }
}

fn key_of_press(k: &KeyEvent) -> Option<Key> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    Some(match k.code {
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::CtrlC,
        KeyCode::Char(_) if k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => return None,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

/// Runs the inspector on the real terminal until the user quits. The
/// terminal is restored however this returns.
pub fn run(app: &mut App, theme: Theme) -> io::Result<()> {
    let mut terminal = init()?;
    let _restore = Restore;
    let mut next_tick = Instant::now() + TICK;
    let signalled = crate::interrupted();
    // Terminal events come from a thread of their own: when the terminal
    // goes away (its window closed), reading it can spin without end, and
    // this loop must still see the hang-up signal, finish a live run's
    // trace and leave.
    let (tx, events) = mpsc::channel();
    std::thread::Builder::new().name("terminal-events".into()).spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    })?;
    // Drawn again only after something happened: a paused inspector's
    // clock ticks change nothing, and a redraw lays out every pane.
    let mut dirty = true;
    loop {
        if signalled.load(std::sync::atomic::Ordering::Relaxed) {
            // SIGTERM or SIGHUP (the terminal closed): leave as on `q`.
            app.handle(Command::Quit);
        }
        if app.should_quit() {
            return Ok(());
        }
        if std::mem::take(&mut dirty) {
            terminal.draw(|frame| views::render(frame, app, &theme))?;
        }
        let timeout = next_tick.saturating_duration_since(Instant::now());
        match events.recv_timeout(timeout) {
            Ok(ev) => {
                dirty = true;
                if let Event::Resize(..) = ev {
                    terminal.autoresize()?;
                }
                if let Some(key) = key_of(&ev) {
                    // On a screen too small to draw, only quitting works:
                    // nothing moves where it cannot be seen.
                    let size = terminal.size()?;
                    let drawn = views::layout(ratatui::layout::Rect::new(0, 0, size.width, size.height)).is_some();
                    if drawn || matches!(key, Key::Char('q') | Key::CtrlC) {
                        app.handle_key(key);
                    }
                }
                if let Event::Mouse(m) = ev {
                    if m.kind == MouseEventKind::Down(MouseButton::Left) {
                        let size = terminal.size()?;
                        let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                        if let Some(cmd) = views::click(app, area, m.column, m.row) {
                            app.handle(cmd);
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(io::Error::other("the terminal closed"));
            }
        }
        if Instant::now() >= next_tick {
            dirty |= app.playing();
            app.handle(Command::Tick);
            next_tick = Instant::now() + TICK;
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyEventState, MouseEvent};

    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    fn mouse(kind: MouseEventKind) -> Event {
        Event::Mouse(MouseEvent { kind, column: 0, row: 0, modifiers: KeyModifiers::NONE })
    }

    #[test]
    fn keys_from_terminal_events() {
        assert_eq!(key_of(&press(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Key::Char('q')));
        assert_eq!(key_of(&press(KeyCode::Char('N'), KeyModifiers::SHIFT)), Some(Key::Char('N')));
        assert_eq!(key_of(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Key::CtrlC));
        assert_eq!(key_of(&press(KeyCode::Char('x'), KeyModifiers::CONTROL)), None);
        assert_eq!(key_of(&press(KeyCode::Right, KeyModifiers::NONE)), Some(Key::Right));
        assert_eq!(key_of(&press(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Key::BackTab));
        assert_eq!(key_of(&press(KeyCode::F(1), KeyModifiers::NONE)), None);
        let release = KeyEvent {
            code: KeyCode::Char('q'),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
        };
        assert_eq!(key_of(&Event::Key(release)), None);
        assert_eq!(key_of(&mouse(MouseEventKind::ScrollUp)), Some(Key::WheelUp));
        assert_eq!(key_of(&mouse(MouseEventKind::ScrollDown)), Some(Key::WheelDown));
        assert_eq!(key_of(&mouse(MouseEventKind::Moved)), None);
        assert_eq!(key_of(&Event::Resize(80, 24)), None);
    }

    #[test]
    fn restore_without_init_does_nothing() {
        assert!(restore().is_ok());
    }
}
