//! The one registry of commands: each with its keys, its name and its help.
//! The key-hint bar, the `?` help popup and the key dispatch all read
//! [`BINDINGS`], so they cannot disagree.

/// A key, as the inspector sees it (the terminal layer maps crossterm's
/// events to these; the mouse wheel is a key too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A printable character (space included).
    Char(char),
    /// Ctrl-C.
    CtrlC,
    /// ←
    Left,
    /// →
    Right,
    /// ↑
    Up,
    /// ↓
    Down,
    /// Home
    Home,
    /// End
    End,
    /// Page Up
    PageUp,
    /// Page Down
    PageDown,
    /// Tab
    Tab,
    /// Shift-Tab
    BackTab,
    /// Enter
    Enter,
    /// Esc
    Esc,
    /// Backspace
    Backspace,
    /// The mouse wheel, up.
    WheelUp,
    /// The mouse wheel, down.
    WheelDown,
}

/// Everything the inspector can be told to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Leave.
    Quit,
    /// The cursor one event forward.
    StepForward,
    /// The cursor one event back.
    StepBack,
    /// The cursor to the next delivery to the selected actor.
    NextDelivery,
    /// The cursor to the previous delivery to the selected actor.
    PrevDelivery,
    /// The cursor to the first event.
    First,
    /// The cursor to the last event.
    Last,
    /// Open the go-to-step prompt.
    GoToPrompt,
    /// Play or pause.
    PlayPause,
    /// Play faster.
    Faster,
    /// Play slower.
    Slower,
    /// Open the search prompt.
    SearchPrompt,
    /// The cursor to the cause of the selected event.
    Cause,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PrevPane,
    /// Selection up in the focused pane.
    Up,
    /// Selection down in the focused pane.
    Down,
    /// The log's selection a few events back (mouse wheel).
    ScrollUp,
    /// The log's selection a few events on (mouse wheel).
    ScrollDown,
    /// Toggle a breakpoint at the selected event's step.
    ToggleBreakpoint,
    /// Open the breakpoint prompt (a condition: fault, restart, failure,
    /// depth>N, a search query).
    BreakPrompt,
    /// Add (or remove, if it is there) a breakpoint condition; `clear`
    /// removes every breakpoint (what `B` text Enter does).
    AddBreakpoint(String),
    /// Play backward (stops at breakpoints, like playing forward).
    PlayBackward,
    /// Jump to the next breakpoint hit.
    NextHit,
    /// Enter: fold or unfold the selected actor's subtree (tree), move the
    /// cursor to the selected event (log) or warning's first event.
    Activate,
    /// Filter the log to the search's matches, or show every event again.
    ToggleFilter,
    /// Leave the actors that stopped for good out of the tree and the
    /// mailboxes, or show them again.
    HideStopped,
    /// Sort the mailboxes by the next column.
    SortMailboxes,
    /// Reverse the mailboxes' order.
    ReverseSort,
    /// Jump to the previous breakpoint hit.
    PrevHit,
    /// Show the message flow (a sequence diagram) in the log's pane, or the
    /// log again.
    ToggleFlow,
    /// Show or hide the help.
    Help,
    /// Close the help, or cancel a prompt.
    Close,
    /// Prompt: submit.
    Submit,
    /// Prompt: delete the last character.
    Backspace,
    /// Prompt: type a character.
    Input(char),
    /// Go to the end of step N (what `:` N Enter does).
    GoToStep(u64),
    /// Search for a query and jump to the next match (what `/` query Enter does).
    Search(String),
    /// A clock tick: playing advances the cursor.
    Tick,
    /// A mouse click on something (what [`views::click`](super::views::click) finds).
    Click(Target),
}

/// What a mouse click lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A pane, away from its rows: focus it.
    Pane(super::app::Pane),
    /// An actor's row in the tree or the mailboxes: focus the pane, select it.
    Actor(super::app::Pane, rehearsal::ActorId),
    /// An event of the log: select it; clicking the selected event again
    /// moves the cursor there.
    Event(usize),
    /// A warning: select it.
    Warning(usize),
}

/// Which keys are live: the normal ones, or a prompt's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Browsing.
    Normal,
    /// Typing into the go-to or search prompt.
    Prompt,
}

/// One entry of the registry.
#[derive(Clone, Debug)]
pub struct Binding {
    /// What it does.
    pub command: Command,
    /// When it is live.
    pub mode: Mode,
    /// The keys that run it.
    pub keys: &'static [Key],
    /// The keys as shown.
    pub label: &'static str,
    /// A short name, for the hint bar (empty: not in the hint bar).
    pub hint: &'static str,
    /// What it does, for the help popup.
    pub help: &'static str,
}

const fn b(
    command: Command,
    keys: &'static [Key],
    label: &'static str,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding { command, mode: Mode::Normal, keys, label, hint, help }
}

const fn p(
    command: Command,
    keys: &'static [Key],
    label: &'static str,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding { command, mode: Mode::Prompt, keys, label, hint, help }
}

/// Every command with a key, in the order the hint bar and the help show them.
pub const BINDINGS: &[Binding] = &[
    b(Command::Quit, &[Key::Char('q'), Key::CtrlC], "q", "quit", "quit (the terminal is restored)"),
    b(Command::StepForward, &[Key::Right, Key::Char('l')], "→/l", "step", "step forward one event"),
    b(Command::StepBack, &[Key::Left, Key::Char('h')], "←/h", "back", "step back one event"),
    b(Command::NextDelivery, &[Key::Char('n')], "n", "next dlv", "next delivery to the selected actor"),
    b(Command::PrevDelivery, &[Key::Char('N')], "N", "", "previous delivery to the selected actor"),
    b(Command::First, &[Key::Char('g'), Key::Home], "g/Home", "", "first event"),
    b(Command::Last, &[Key::Char('G'), Key::End], "G/End", "", "last event"),
    b(Command::GoToPrompt, &[Key::Char(':')], ":", "goto", "go to step N: type N, then Enter"),
    b(Command::PlayPause, &[Key::Char(' ')], "space", "play", "play or pause (at the end: from the start)"),
    b(Command::Faster, &[Key::Char('+'), Key::Char('=')], "+", "", "play faster"),
    b(Command::Slower, &[Key::Char('-'), Key::Char('_')], "-", "", "play slower"),
    b(
        Command::SearchPrompt,
        &[Key::Char('/')],
        "/",
        "search",
        "search: actor=GLOB kind=GLOB from=GLOB to=GLOB msg=N step=N reason=GLOB words",
    ),
    b(Command::ToggleFilter, &[Key::Char('f')], "f", "", "filter the log to the search's matches (again: all)"),
    b(Command::Cause, &[Key::Char('c')], "c", "cause", "jump to the cause of the selected event"),
    b(Command::NextPane, &[Key::Tab], "Tab", "pane", "next pane"),
    b(
        Command::Activate,
        &[Key::Enter],
        "Enter",
        "",
        "tree: fold/unfold the subtree; log, warnings: put the cursor there",
    ),
    b(Command::PrevPane, &[Key::BackTab], "S-Tab", "", "previous pane"),
    b(Command::ToggleFlow, &[Key::Char('v')], "v", "flow", "switch the log and the message flow (a lane per actor)"),
    b(Command::Up, &[Key::Up, Key::Char('k')], "↑/k", "", "move the selection up"),
    b(Command::Down, &[Key::Down, Key::Char('j')], "↓/j", "", "move the selection down"),
    b(Command::ScrollUp, &[Key::WheelUp, Key::PageUp], "wheel/PgUp", "", "scroll the log up"),
    b(Command::ScrollDown, &[Key::WheelDown, Key::PageDown], "wheel/PgDn", "", "scroll the log down"),
    b(Command::ToggleBreakpoint, &[Key::Char('b')], "b", "", "toggle a breakpoint at the selected event's step"),
    b(
        Command::BreakPrompt,
        &[Key::Char('B')],
        "B",
        "break",
        "break on: fault, restart, failure, depth>N [actor=G], a query; again: remove; clear: all",
    ),
    b(Command::PlayBackward, &[Key::Char('r')], "r", "", "play backward (stops at breakpoints too)"),
    b(Command::NextHit, &[Key::Char(']')], "]", "", "jump to the next breakpoint hit (a live run runs on to it)"),
    b(Command::PrevHit, &[Key::Char('[')], "[", "", "jump to the previous breakpoint hit"),
    b(
        Command::SortMailboxes,
        &[Key::Char('s')],
        "s",
        "",
        "sort the mailboxes by the next column: depth, fill, high, drops, handled, name",
    ),
    b(Command::ReverseSort, &[Key::Char('S')], "S", "", "reverse the mailboxes' order"),
    b(Command::HideStopped, &[Key::Char('x')], "x", "", "hide (or show) stopped actors in the tree and mailboxes"),
    b(Command::Help, &[Key::Char('?')], "?", "help", "show or hide this help"),
    b(Command::Close, &[Key::Esc], "Esc", "", "close the help"),
    p(Command::Submit, &[Key::Enter], "Enter", "go", "go to the step, search, or set the breakpoint"),
    p(Command::Close, &[Key::Esc], "Esc", "cancel", "cancel the prompt"),
    p(Command::Backspace, &[Key::Backspace], "Bksp", "delete", "delete the last character"),
];

/// The command `key` runs in `mode`. In a prompt, a character that is not
/// bound types itself.
pub fn lookup(mode: Mode, key: Key) -> Option<Command> {
    let bound = BINDINGS.iter().find(|b| b.mode == mode && b.keys.contains(&key)).map(|b| b.command.clone());
    match (bound, mode, key) {
        (Some(c), _, _) => Some(c),
        (None, Mode::Prompt, Key::Char(c)) => Some(Command::Input(c)),
        (None, Mode::Prompt, Key::CtrlC) => Some(Command::Close),
        _ => None,
    }
}

/// The bindings live in `mode`.
pub fn bindings(mode: Mode) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.mode == mode)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        for mode in [Mode::Normal, Mode::Prompt] {
            let mut seen = HashSet::new();
            for b in bindings(mode) {
                for k in b.keys {
                    assert!(seen.insert(*k), "{k:?} is bound twice in {mode:?}");
                }
            }
        }
    }

    #[test]
    fn every_binding_has_keys_a_label_and_help() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.label.is_empty() && !b.help.is_empty(), "{b:?}");
        }
    }

    #[test]
    fn the_briefs_keys() {
        let normal = |k| lookup(Mode::Normal, k);
        assert_eq!(normal(Key::Char('q')), Some(Command::Quit));
        assert_eq!(normal(Key::Right), Some(Command::StepForward));
        assert_eq!(normal(Key::Char('l')), Some(Command::StepForward));
        assert_eq!(normal(Key::Left), Some(Command::StepBack));
        assert_eq!(normal(Key::Char('h')), Some(Command::StepBack));
        assert_eq!(normal(Key::Char('n')), Some(Command::NextDelivery));
        assert_eq!(normal(Key::Char('N')), Some(Command::PrevDelivery));
        assert_eq!(normal(Key::Char('g')), Some(Command::First));
        assert_eq!(normal(Key::Home), Some(Command::First));
        assert_eq!(normal(Key::Char('G')), Some(Command::Last));
        assert_eq!(normal(Key::End), Some(Command::Last));
        assert_eq!(normal(Key::Char(':')), Some(Command::GoToPrompt));
        assert_eq!(normal(Key::Char(' ')), Some(Command::PlayPause));
        assert_eq!(normal(Key::Char('+')), Some(Command::Faster));
        assert_eq!(normal(Key::Char('-')), Some(Command::Slower));
        assert_eq!(normal(Key::Char('/')), Some(Command::SearchPrompt));
        assert_eq!(normal(Key::Char('c')), Some(Command::Cause));
        assert_eq!(normal(Key::Tab), Some(Command::NextPane));
        assert_eq!(normal(Key::Up), Some(Command::Up));
        assert_eq!(normal(Key::Char('k')), Some(Command::Up));
        assert_eq!(normal(Key::Down), Some(Command::Down));
        assert_eq!(normal(Key::Char('j')), Some(Command::Down));
        assert_eq!(normal(Key::Char('?')), Some(Command::Help));
        assert_eq!(normal(Key::Char('v')), Some(Command::ToggleFlow));
        assert_eq!(normal(Key::WheelUp), Some(Command::ScrollUp));
        assert_eq!(normal(Key::WheelDown), Some(Command::ScrollDown));
        assert_eq!(normal(Key::Char('X')), None);
        // In a prompt, characters type; Enter, Esc and Backspace edit.
        let prompt = |k| lookup(Mode::Prompt, k);
        assert_eq!(prompt(Key::Char('q')), Some(Command::Input('q')));
        assert_eq!(prompt(Key::Char(' ')), Some(Command::Input(' ')));
        assert_eq!(prompt(Key::Enter), Some(Command::Submit));
        assert_eq!(prompt(Key::Esc), Some(Command::Close));
        assert_eq!(prompt(Key::CtrlC), Some(Command::Close));
        assert_eq!(prompt(Key::Backspace), Some(Command::Backspace));
        assert_eq!(prompt(Key::Left), None);
    }
}
