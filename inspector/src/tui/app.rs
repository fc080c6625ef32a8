//! The inspector's state, with no terminal: where the cursor is, what is
//! selected, playing or paused, the prompt, breakpoints. [`App::handle`]
//! applies one [`Command`]; the views only read.

use std::collections::BTreeSet;

use rehearsal::trace::{Trace, TraceFooter};
use rehearsal::ActorId;

use super::commands::{lookup, Command, Key, Mode};
use super::describe;
use super::live::{Ending, LiveRun};
use super::model::{Model, Timeline};
use super::query::Query;

/// Playing speeds, in events per tick.
pub const SPEEDS: [usize; 11] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
/// The speed a new app plays at (an index into [`SPEEDS`]).
pub const DEFAULT_SPEED: usize = 2;
/// Events the log moves per wheel notch or page key.
pub const SCROLL_EVENTS: usize = 3;
/// The most causes the causal chain of the selected event follows back.
pub const CHAIN_LINKS: usize = 64;

/// The panes that take the focus, in Tab order. (The detail pane follows the
/// selection: the selected actor in the tree and mailboxes, else the
/// selected event.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The event log.
    Log,
    /// The supervision tree.
    Tree,
    /// The mailboxes table.
    Mailboxes,
    /// The warnings.
    Warnings,
}

impl Pane {
    /// Every focusable pane, in Tab order.
    pub const ALL: [Pane; 4] = [Pane::Log, Pane::Tree, Pane::Mailboxes, Pane::Warnings];

    fn shifted(self, by: isize) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ALL[(i + by).rem_euclid(Pane::ALL.len() as isize) as usize]
    }
}

/// An open prompt and what has been typed into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `:` — a step number.
    GoTo(String),
    /// `/` — a search query.
    Search(String),
}

/// The inspector's state for one trace.
pub struct App {
    timeline: Timeline,
    model: Model,
    cursor: usize,
    pane: Pane,
    selected_actor: Option<ActorId>,
    selected_event: usize,
    selected_warning: usize,
    playing: bool,
    speed: usize,
    query: Option<Query>,
    prompt: Option<Prompt>,
    breakpoints: BTreeSet<u64>,
    break_on_match: bool,
    help: bool,
    help_scroll: usize,
    flow: bool,
    quit: bool,
    message: Option<String>,
    last_fold: usize,
    live: Option<LiveRun>,
}

impl App {
    /// An app over `trace`, the cursor on the first event.
    pub fn new(trace: Trace) -> Self {
        let timeline = Timeline::new(trace);
        let mut app = App {
            timeline,
            model: Model::default(),
            cursor: 0,
            pane: Pane::Log,
            selected_actor: None,
            selected_event: 0,
            selected_warning: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            query: None,
            prompt: None,
            breakpoints: BTreeSet::new(),
            break_on_match: false,
            help: false,
            help_scroll: 0,
            flow: false,
            quit: false,
            message: None,
            last_fold: 0,
            live: None,
        };
        app.move_to(0);
        app
    }

    /// An app over a live run: the scenario's set-up is shown, and the run
    /// takes steps as the cursor moves past the last event so far (stepping,
    /// playing, going to a step).
    pub fn live(mut run: LiveRun) -> Self {
        let events = run.take_pending();
        let footer = TraceFooter { events: 0, hash: String::new() };
        let mut app = App::new(Trace { header: run.header().clone(), events, footer });
        app.live = Some(run);
        if let Some(end) = app.live_ending() {
            let text = ending_text(end);
            app.say(text);
        }
        app
    }

    // ----- reading -----

    /// The timeline (the trace, its actors, checkpoints).
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The state of the system at the cursor.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The cursor: an event index.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The step of the event at the cursor.
    pub fn step(&self) -> u64 {
        self.timeline.events().get(self.cursor).map_or(0, |e| e.step)
    }

    /// The focused pane.
    pub fn pane(&self) -> Pane {
        self.pane
    }

    /// The selected actor, if any.
    pub fn selected_actor(&self) -> Option<ActorId> {
        self.selected_actor
    }

    /// The selected event (the cursor, unless the log was scrolled).
    pub fn selected_event(&self) -> usize {
        self.selected_event
    }

    /// The selected warning's place in the warnings list.
    pub fn selected_warning(&self) -> usize {
        self.selected_warning
    }

    /// Returns true while playing.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Events per tick when playing.
    pub fn speed(&self) -> usize {
        SPEEDS[self.speed]
    }

    /// The last search, if any.
    pub fn query(&self) -> Option<&Query> {
        self.query.as_ref()
    }

    /// The open prompt, if any.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    /// The steps with a breakpoint.
    pub fn breakpoints(&self) -> &BTreeSet<u64> {
        &self.breakpoints
    }

    /// Returns true if playing stops at search matches.
    pub fn break_on_match(&self) -> bool {
        self.break_on_match
    }

    /// Returns true while the help popup shows.
    pub fn help_visible(&self) -> bool {
        self.help
    }

    /// How far the help popup is scrolled.
    pub fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    /// Returns true while the log's pane shows the message flow (a sequence
    /// diagram) instead of the log.
    pub fn flow_visible(&self) -> bool {
        self.flow
    }

    /// The causal chain of the selected event: the event itself, its cause,
    /// that one's cause, and so on back to the outside (at most
    /// [`CHAIN_LINKS`] causes). Empty for an empty trace.
    pub fn causal_chain(&self) -> Vec<usize> {
        self.timeline.causal_chain(self.selected_event, CHAIN_LINKS)
    }

    /// The events in `range` that the selected event directly caused (see
    /// [`Timeline::effects_in`]).
    pub fn effects_in(&self, range: std::ops::Range<usize>) -> Vec<usize> {
        self.timeline.effects_in(self.selected_event, range)
    }

    /// Returns true once the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// A one-line message about the last command (a search miss, a breakpoint).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// How many events the last cursor move folded (a jump folds from the
    /// nearest checkpoint, so this stays small).
    pub fn last_fold(&self) -> usize {
        self.last_fold
    }

    /// Returns true for a live run (running or ended), false for a recording.
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// How the live run ended, once it has.
    pub fn live_ending(&self) -> Option<&Ending> {
        self.live.as_ref().and_then(|l| l.ended())
    }

    /// Returns true if more events may come: a live run that has not ended.
    pub fn growing(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.ended().is_none())
    }

    /// Lets a live run take steps until event `i` exists or the run ends.
    fn reach(&mut self, i: usize) {
        while i >= self.timeline.len() && self.growing() {
            let steps = (i + 1 - self.timeline.len()) as u64;
            self.advance_live(steps);
        }
    }

    /// Lets a live run take steps until step `step` is over or the run ends.
    fn reach_step(&mut self, step: u64) {
        while self.growing() && (self.timeline.is_empty() || self.timeline.last_step() <= step) {
            let steps = step.saturating_sub(self.timeline.last_step()).max(1);
            self.advance_live(steps);
        }
    }

    fn advance_live(&mut self, steps: u64) {
        let Some(run) = &mut self.live else { return };
        let progress = run.advance(steps);
        self.timeline.extend(progress.events);
        if let Some(end) = &progress.ended {
            self.say(ending_text(end));
        }
    }

    /// Which keys are live.
    pub fn mode(&self) -> Mode {
        if self.prompt.is_some() {
            Mode::Prompt
        } else {
            Mode::Normal
        }
    }

    /// The actors in the tree at the cursor (spawned by then), in tree order.
    pub fn tree_rows(&self) -> Vec<usize> {
        let spawned = self.model.actors.len();
        self.timeline.actors().tree_order().iter().copied().filter(|&i| i < spawned).collect()
    }

    /// The mailboxes at the cursor that have held anything, deepest first
    /// (then by high-water mark, drops, spawn order), as spawn indexes.
    pub fn mailbox_rows(&self) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.model.actors.len())
            .filter(|&i| {
                let s = &self.model.actors[i];
                s.depth > 0 || s.high_water > 0 || s.drops > 0
            })
            .collect();
        let a = &self.model.actors;
        rows.sort_by(|&x, &y| {
            (a[y].depth, a[y].high_water, a[y].drops).cmp(&(a[x].depth, a[x].high_water, a[x].drops)).then(x.cmp(&y))
        });
        rows
    }

    /// Returns true if event `i` is a match of the last search.
    pub fn is_match(&self, i: usize) -> bool {
        match (&self.query, self.timeline.events().get(i)) {
            (Some(q), Some(ev)) => q.matches(ev, self.timeline.actors()),
            _ => false,
        }
    }

    /// Returns true if event `i` is the first event of a step with a breakpoint.
    pub fn is_breakpoint(&self, i: usize) -> bool {
        let events = self.timeline.events();
        match events.get(i) {
            Some(ev) => self.breakpoints.contains(&ev.step) && (i == 0 || events[i - 1].step != ev.step),
            None => false,
        }
    }

    /// The actor `n`/`N` follow: the selected one, else the selected event's.
    fn focus_actor(&self) -> Option<ActorId> {
        self.selected_actor
            .or_else(|| self.timeline.events().get(self.selected_event).and_then(|e| describe::principal(&e.kind)))
    }

    // ----- acting -----

    /// Runs the command `key` is bound to in the current mode; returns false
    /// if the key does nothing.
    pub fn handle_key(&mut self, key: Key) -> bool {
        match lookup(self.mode(), key) {
            Some(c) => {
                self.handle(c);
                true
            }
            None => false,
        }
    }

    /// Applies one command.
    pub fn handle(&mut self, cmd: Command) {
        if cmd != Command::Tick {
            self.message = None;
        }
        match cmd {
            Command::Quit => self.quit = true,
            Command::StepForward => {
                self.reach(self.cursor.saturating_add(1));
                self.move_to(self.cursor.saturating_add(1));
            }
            Command::StepBack => self.move_to(self.cursor.saturating_sub(1)),
            Command::NextDelivery | Command::PrevDelivery => {
                let forward = cmd == Command::NextDelivery;
                match self.focus_actor() {
                    None => self.say("no actor selected: Tab to the tree and pick one"),
                    Some(a) => match self.timeline.delivery_to(a, self.cursor, forward) {
                        Some(i) => self.move_to(i),
                        None => {
                            let name = self.timeline.actors().name(a);
                            let which = if forward { "after" } else { "before" };
                            self.say(format!("no delivery to {name} {which} this event"));
                        }
                    },
                }
            }
            Command::First => self.move_to(0),
            Command::Last => self.move_to(self.timeline.len().saturating_sub(1)),
            Command::GoToPrompt => self.prompt = Some(Prompt::GoTo(String::new())),
            Command::SearchPrompt => self.prompt = Some(Prompt::Search(String::new())),
            Command::PlayPause => {
                self.playing = !self.playing && !self.timeline.is_empty();
                if self.playing && self.cursor + 1 >= self.timeline.len() && !self.growing() {
                    // At the end: play from the start.
                    self.move_to(0);
                }
            }
            Command::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Command::Slower => self.speed = self.speed.saturating_sub(1),
            Command::Cause => match self.timeline.cause_of(self.selected_event) {
                Some(i) => self.move_to(i),
                None => self.say("this event's cause is outside the system"),
            },
            Command::NextPane => self.focus(self.pane.shifted(1)),
            Command::PrevPane => self.focus(self.pane.shifted(-1)),
            Command::Up => self.move_selection(-1),
            Command::Down => self.move_selection(1),
            Command::ScrollUp => self.scroll(-(SCROLL_EVENTS as isize)),
            Command::ScrollDown => self.scroll(SCROLL_EVENTS as isize),
            Command::ToggleBreakpoint => {
                if let Some(ev) = self.timeline.events().get(self.selected_event) {
                    let step = ev.step;
                    if !self.breakpoints.remove(&step) {
                        self.breakpoints.insert(step);
                        self.say(format!("breakpoint at step {step}"));
                    } else {
                        self.say(format!("breakpoint at step {step} removed"));
                    }
                }
            }
            Command::BreakOnMatch => {
                self.break_on_match = !self.break_on_match;
                match (&self.query, self.break_on_match) {
                    (_, false) => self.say("playing no longer stops at matches"),
                    (Some(q), true) => self.say(format!("playing stops at matches of {}", q.text())),
                    (None, true) => self.say("playing stops at matches (search with / first)"),
                }
            }
            Command::ToggleFlow => self.flow = !self.flow,
            Command::Help => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Command::Close => {
                if self.prompt.take().is_none() {
                    self.help = false;
                }
            }
            Command::Submit => self.submit(),
            Command::Backspace => {
                if let Some(Prompt::GoTo(s) | Prompt::Search(s)) = &mut self.prompt {
                    s.pop();
                }
            }
            Command::Input(c) => match &mut self.prompt {
                Some(Prompt::GoTo(s)) if c.is_ascii_digit() => s.push(c),
                Some(Prompt::Search(s)) => s.push(c),
                _ => {}
            },
            Command::GoToStep(step) => self.go_to_step(step),
            Command::Search(text) => self.search(&text),
            Command::Tick => self.tick(),
        }
    }

    fn say(&mut self, m: impl Into<String>) {
        self.message = Some(m.into());
    }

    /// Moves the cursor (clamped to the trace) and the selected event with it.
    fn move_to(&mut self, i: usize) {
        let i = i.min(self.timeline.len().saturating_sub(1));
        self.cursor = i;
        self.selected_event = i;
        let applied = if self.timeline.is_empty() { 0 } else { i + 1 };
        self.last_fold = self.timeline.seek(&mut self.model, applied);
        self.selected_warning = self.selected_warning.min(self.model.warnings.len().saturating_sub(1));
    }

    fn go_to_step(&mut self, step: u64) {
        self.reach_step(step);
        match self.timeline.end_of_step(step) {
            Some(i) => {
                self.move_to(i);
                let last = self.timeline.last_step();
                if step > last {
                    self.say(format!("the run has {last} steps; at the last"));
                }
            }
            None => self.say("the trace has no events"),
        }
    }

    fn search(&mut self, text: &str) {
        let query = if text.trim().is_empty() {
            match &self.query {
                Some(q) => q.clone(),
                None => return self.say("type a search, e.g. kind=failure"),
            }
        } else {
            match Query::parse(text) {
                Ok(q) => q,
                Err(e) => return self.say(format!("search: {e}")),
            }
        };
        let events = self.timeline.events();
        let actors = self.timeline.actors();
        let n = events.len();
        let found = (1..=n).map(|k| (self.cursor + k) % n.max(1)).find(|&i| query.matches(&events[i], actors));
        match found {
            Some(i) => {
                let wrapped = i <= self.cursor;
                let step = events[i].step;
                self.move_to(i);
                let wrap = if wrapped { " (wrapped to the start)" } else { "" };
                self.say(format!("match at event {i}, step {step}{wrap}"));
            }
            None => self.say(format!("no event matches {}", query.text())),
        }
        self.query = Some(query);
    }

    fn submit(&mut self) {
        match self.prompt.take() {
            Some(Prompt::GoTo(s)) => match s.parse::<u64>() {
                Ok(step) => self.go_to_step(step),
                Err(_) => self.say("go to: type a step number"),
            },
            Some(Prompt::Search(s)) => self.search(&s),
            None => {}
        }
    }

    fn focus(&mut self, pane: Pane) {
        self.pane = pane;
        if matches!(pane, Pane::Tree | Pane::Mailboxes) && self.selected_actor.is_none() {
            let rows = if pane == Pane::Tree { self.tree_rows() } else { self.mailbox_rows() };
            self.selected_actor = rows.first().and_then(|&i| self.timeline.actors().get(i)).map(|a| a.id);
        }
    }

    fn move_selection(&mut self, by: isize) {
        if self.help {
            let n = super::commands::BINDINGS.len();
            self.help_scroll = step_index(self.help_scroll, by, n);
            return;
        }
        match self.pane {
            Pane::Log => self.scroll(by),
            Pane::Warnings => {
                let n = self.model.warnings.len();
                self.selected_warning = step_index(self.selected_warning, by, n);
            }
            Pane::Tree | Pane::Mailboxes => {
                let rows = if self.pane == Pane::Tree { self.tree_rows() } else { self.mailbox_rows() };
                let actors = self.timeline.actors();
                let at = self
                    .selected_actor
                    .and_then(|a| actors.index_of(a))
                    .and_then(|i| rows.iter().position(|&r| r == i));
                let next = match at {
                    Some(p) => step_index(p, by, rows.len()),
                    None => 0,
                };
                if let Some(&i) = rows.get(next) {
                    self.selected_actor = actors.get(i).map(|a| a.id);
                }
            }
        }
    }

    fn scroll(&mut self, by: isize) {
        self.selected_event = step_index(self.selected_event, by, self.timeline.len());
    }

    fn tick(&mut self) {
        if !self.playing {
            return;
        }
        self.reach(self.cursor + self.speed());
        let last = self.timeline.len().saturating_sub(1);
        if self.cursor >= last {
            self.playing = false;
            return self.say(self.end_text());
        }
        let target = (self.cursor + self.speed()).min(last);
        let stop = (self.cursor + 1..=target)
            .find(|&i| self.is_breakpoint(i) || (self.break_on_match && self.query.is_some() && self.is_match(i)));
        match stop {
            Some(i) => {
                self.move_to(i);
                self.playing = false;
                let why = if self.is_breakpoint(i) { "breakpoint" } else { "match" };
                self.say(format!("{why} at event {i}, step {}", self.step()));
            }
            None => {
                self.move_to(target);
                if target == last && !self.growing() {
                    self.playing = false;
                    self.say(self.end_text());
                }
            }
        }
    }
}

impl App {
    /// What to say when playing reaches the end.
    fn end_text(&self) -> String {
        match self.live_ending() {
            Some(end) => ending_text(end),
            None => "end of the trace".to_string(),
        }
    }
}

/// A live run's end, in one line: the outcome and the invariants' verdict.
fn ending_text(end: &Ending) -> String {
    let failed: Vec<&str> =
        end.verdicts.iter().filter_map(|v| v.strip_prefix("FAIL ")).map(|v| v.split(':').next().unwrap_or(v)).collect();
    let verdict = if end.passed {
        "every invariant held".to_string()
    } else if failed.is_empty() {
        "FAILED".to_string()
    } else {
        format!("FAILED: {}", failed.join(", "))
    };
    format!("the run ended: {} — {verdict}", end.outcome)
}

/// `i` moved by `by`, within `0..n`.
fn step_index(i: usize, by: isize, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    i.saturating_add_signed(by).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::commands::BINDINGS;
    use crate::tui::fixture;
    use crate::tui::model::ActorState;

    fn id(app: &App, name: &str) -> ActorId {
        app.timeline().actors().iter().find(|a| a.name == name).unwrap().id
    }

    fn keys(app: &mut App, keys: &[Key]) {
        for k in keys {
            app.handle_key(*k);
        }
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            app.handle_key(Key::Char(c));
        }
    }

    #[test]
    fn a_new_app_is_at_the_first_event() {
        let t = fixture::sample_trace();
        let app = App::new(t.clone());
        assert_eq!((app.cursor(), app.selected_event(), app.step()), (0, 0, 0));
        assert_eq!(app.model().applied, 1);
        assert_eq!(app.pane(), Pane::Log);
        assert!(!app.playing() && !app.help_visible() && !app.should_quit());
        assert_eq!(app.speed(), SPEEDS[DEFAULT_SPEED]);
        assert_eq!(app.mode(), Mode::Normal);
    }

    #[test]
    fn quit() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Quit);
        assert!(app.should_quit());
        let mut app = App::new(t.clone());
        assert!(app.handle_key(Key::CtrlC));
        assert!(app.should_quit());
    }

    #[test]
    fn step_forward_and_back_clamped() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::StepBack);
        assert_eq!(app.cursor(), 0);
        keys(&mut app, &[Key::Right, Key::Char('l'), Key::Right]);
        assert_eq!((app.cursor(), app.selected_event(), app.model().applied), (3, 3, 4));
        keys(&mut app, &[Key::Left, Key::Char('h')]);
        assert_eq!(app.cursor(), 1);
        app.handle(Command::Last);
        app.handle(Command::StepForward);
        assert_eq!(app.cursor(), t.events.len() - 1);
        assert_eq!(app.last_fold(), 0);
    }

    #[test]
    fn first_and_last() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('G'));
        assert_eq!(app.cursor(), 112);
        assert_eq!(app.model().step, 27);
        app.handle_key(Key::Char('g'));
        assert_eq!(app.cursor(), 0);
        app.handle_key(Key::End);
        assert_eq!(app.cursor(), 112);
        app.handle_key(Key::Home);
        assert_eq!(app.cursor(), 0);
    }

    #[test]
    fn next_and_previous_delivery_to_the_selected_actor() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        // No actor selected: the selected event's (spawn of sink) is used.
        app.handle_key(Key::Char('n'));
        assert_eq!(app.cursor(), 60);
        app.handle(Command::First);
        // Select worker-1 in the tree: sink, collector, producer, sup, worker-1.
        app.handle(Command::NextPane);
        assert_eq!(app.selected_actor(), Some(id(&app, "sink")));
        app.handle(Command::Last);
        keys(&mut app, &[Key::Down, Key::Down, Key::Down, Key::Char('j')]);
        assert_eq!(app.selected_actor(), Some(id(&app, "worker-1")));
        app.handle(Command::First);
        app.handle(Command::NextDelivery);
        assert_eq!(app.cursor(), 56);
        app.handle(Command::NextDelivery);
        assert_eq!(app.cursor(), 66);
        app.handle_key(Key::Char('N'));
        assert_eq!(app.cursor(), 56);
        app.handle(Command::PrevDelivery);
        assert_eq!(app.cursor(), 56);
        assert_eq!(app.message(), Some("no delivery to worker-1 before this event"));
    }

    #[test]
    fn go_to_step_through_the_prompt() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char(':'));
        assert_eq!(app.prompt(), Some(&Prompt::GoTo(String::new())));
        assert_eq!(app.mode(), Mode::Prompt);
        // Digits only; letters (even bound ones) type nothing here.
        typed(&mut app, "1x2q3");
        assert_eq!(app.prompt(), Some(&Prompt::GoTo("123".into())));
        assert!(!app.should_quit());
        app.handle_key(Key::Backspace);
        assert_eq!(app.prompt(), Some(&Prompt::GoTo("12".into())));
        app.handle_key(Key::Enter);
        assert_eq!(app.prompt(), None);
        assert_eq!((app.cursor(), app.step()), (70, 12));
        // Past the end: the last event, and a word about it.
        app.handle(Command::GoToStep(500));
        assert_eq!(app.cursor(), 112);
        assert_eq!(app.message(), Some("the run has 27 steps; at the last"));
        // Esc cancels.
        keys(&mut app, &[Key::Char(':'), Key::Char('3'), Key::Esc]);
        assert_eq!((app.prompt(), app.cursor()), (None, 112));
        // An empty step number does nothing but say so.
        keys(&mut app, &[Key::Char(':'), Key::Enter]);
        assert_eq!(app.cursor(), 112);
        assert!(app.message().is_some());
    }

    #[test]
    fn play_pause_and_speed() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Tick);
        assert_eq!(app.cursor(), 0, "paused: ticks do nothing");
        app.handle_key(Key::Char(' '));
        assert!(app.playing());
        app.handle(Command::Tick);
        assert_eq!(app.cursor(), 5);
        app.handle_key(Key::Char('+'));
        assert_eq!(app.speed(), 10);
        app.handle(Command::Tick);
        assert_eq!(app.cursor(), 15);
        app.handle_key(Key::Char('-'));
        app.handle(Command::Slower);
        assert_eq!(app.speed(), 2);
        app.handle(Command::Tick);
        assert_eq!(app.cursor(), 17);
        app.handle(Command::PlayPause);
        assert!(!app.playing());
        app.handle(Command::Tick);
        assert_eq!(app.cursor(), 17);
        // Speeds stop at both ends.
        for _ in 0..20 {
            app.handle(Command::Faster);
        }
        assert_eq!(app.speed(), *SPEEDS.last().unwrap());
        for _ in 0..20 {
            app.handle(Command::Slower);
        }
        assert_eq!(app.speed(), 1);
        // Playing to the end pauses there; playing at the end starts over.
        app.handle(Command::Faster);
        app.handle(Command::Faster);
        app.handle(Command::PlayPause);
        for _ in 0..40 {
            app.handle(Command::Tick);
        }
        assert_eq!(app.cursor(), 112);
        assert!(!app.playing());
        assert_eq!(app.message(), Some("end of the trace"));
        app.handle(Command::PlayPause);
        assert!(app.playing());
        assert_eq!(app.cursor(), 0);
    }

    #[test]
    fn breakpoints_stop_playing() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::GoToStep(12));
        app.handle_key(Key::Char('b'));
        assert!(app.breakpoints().contains(&12));
        assert!(app.is_breakpoint(66) && !app.is_breakpoint(67));
        app.handle(Command::First);
        app.handle(Command::PlayPause);
        for _ in 0..40 {
            app.handle(Command::Tick);
        }
        assert!(!app.playing());
        assert_eq!(app.cursor(), 66, "stopped at the first event of step 12");
        assert_eq!(app.message(), Some("breakpoint at event 66, step 12"));
        // Toggling again removes it.
        app.handle(Command::ToggleBreakpoint);
        assert!(app.breakpoints().is_empty());
    }

    #[test]
    fn break_on_search_matches() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Search("kind=failure".into()));
        assert_eq!(app.cursor(), 67);
        app.handle_key(Key::Char('B'));
        assert!(app.break_on_match());
        app.handle(Command::PlayPause);
        for _ in 0..40 {
            app.handle(Command::Tick);
        }
        assert_eq!(app.cursor(), 88, "the next failure");
        assert!(!app.playing());
        app.handle(Command::BreakOnMatch);
        assert!(!app.break_on_match());
    }

    #[test]
    fn search_through_the_prompt() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('/'));
        assert_eq!(app.prompt(), Some(&Prompt::Search(String::new())));
        // In a prompt, every character types, bound or not.
        typed(&mut app, "kind=failure q");
        app.handle_key(Key::Backspace);
        app.handle_key(Key::Backspace);
        assert_eq!(app.prompt(), Some(&Prompt::Search("kind=failure".into())));
        app.handle_key(Key::Enter);
        assert_eq!(app.cursor(), 67);
        assert_eq!(app.query().map(|q| q.text()), Some("kind=failure"));
        assert!(app.is_match(67) && !app.is_match(66));
        // An empty search repeats the last one; it wraps at the end.
        keys(&mut app, &[Key::Char('/'), Key::Enter]);
        assert_eq!(app.cursor(), 88);
        app.handle(Command::Search(String::new()));
        assert_eq!(app.cursor(), 103);
        app.handle(Command::Search(String::new()));
        assert_eq!(app.cursor(), 67);
        assert_eq!(app.message(), Some("match at event 67, step 12 (wrapped to the start)"));
        // from= and to=, globs: after the cursor, m7's dead letter.
        app.handle(Command::Search("from=client to=worker-? msg=7".into()));
        assert_eq!(app.cursor(), 68);
        assert_eq!(t.events[68].kind.name(), "dead_letter");
        app.handle(Command::Search("actor=sup kind=dec*".into()));
        assert_eq!(app.cursor(), 76);
        // A bad query moves nothing and says why.
        app.handle(Command::Search("colour=red".into()));
        assert_eq!(app.cursor(), 76);
        assert!(app.message().unwrap().starts_with("search: unknown search key `colour`"));
        app.handle(Command::Search("kind=nothing".into()));
        assert_eq!(app.message(), Some("no event matches kind=nothing"));
    }

    #[test]
    fn cause_walks_back_the_chain() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::GoToStep(7));
        app.handle(Command::StepBack);
        assert_eq!(app.cursor(), 56, "worker-1 gets m6");
        app.handle_key(Key::Char('c'));
        assert_eq!(app.cursor(), 14, "client sends m6");
        app.handle(Command::Cause);
        assert_eq!(app.cursor(), 13, "client's delivery");
        app.handle(Command::Cause);
        assert_eq!(app.cursor(), 9, "the send of m2 from outside");
        app.handle(Command::Cause);
        assert_eq!(app.cursor(), 9);
        assert_eq!(app.message(), Some("this event's cause is outside the system"));
        // The cause of the selected event, even when the log was scrolled.
        app.handle(Command::GoToStep(7));
        app.handle(Command::StepBack);
        app.handle(Command::ScrollUp);
        assert_eq!((app.cursor(), app.selected_event()), (56, 53));
        app.handle(Command::Cause);
        assert_eq!(app.cursor(), 52, "temp's delivery of m4");
    }

    #[test]
    fn panes_cycle_with_tab() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        let mut seen = vec![app.pane()];
        for _ in 0..4 {
            app.handle_key(Key::Tab);
            seen.push(app.pane());
        }
        assert_eq!(seen, [Pane::Log, Pane::Tree, Pane::Mailboxes, Pane::Warnings, Pane::Log]);
        app.handle_key(Key::BackTab);
        assert_eq!(app.pane(), Pane::Warnings);
        app.handle(Command::PrevPane);
        assert_eq!(app.pane(), Pane::Mailboxes);
    }

    #[test]
    fn up_and_down_move_the_focused_panes_selection() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Last);
        // The log: the selection moves, the cursor stays.
        keys(&mut app, &[Key::Up, Key::Char('k')]);
        assert_eq!((app.cursor(), app.selected_event()), (112, 110));
        app.handle(Command::Down);
        assert_eq!(app.selected_event(), 111);
        // The tree, in tree order.
        app.handle(Command::NextPane);
        let order: Vec<ActorId> = (0..9)
            .map(|_| {
                let a = app.selected_actor().unwrap();
                app.handle(Command::Down);
                a
            })
            .collect();
        let names: Vec<String> = order.iter().map(|a| app.timeline().actors().name(*a)).collect();
        assert_eq!(names, ["sink", "collector", "producer", "sup", "worker-1", "worker-2", "client", "temp", "temp"]);
        app.handle(Command::Up);
        assert_eq!(app.selected_actor(), Some(id(&app, "client")));
        // The mailboxes, deepest first (at the end all are empty: by high-water mark).
        app.handle(Command::NextPane);
        assert_eq!(app.selected_actor(), Some(id(&app, "client")));
        let rows: Vec<String> =
            app.mailbox_rows().iter().map(|&i| app.timeline().actors().get(i).unwrap().name.clone()).collect();
        assert_eq!(rows[..3], ["collector", "worker-1", "temp"]);
        app.handle(Command::Up);
        assert_eq!(app.selected_actor(), Some(id(&app, "worker-2")));
        // The warnings.
        app.handle(Command::NextPane);
        app.handle(Command::Down);
        app.handle(Command::Down);
        assert_eq!(app.selected_warning(), 2);
        for _ in 0..10 {
            app.handle(Command::Down);
        }
        assert_eq!(app.selected_warning(), app.model().warnings.len() - 1);
        app.handle(Command::Up);
        assert_eq!(app.selected_warning(), app.model().warnings.len() - 2);
        // Going back in time clamps the warning selection.
        app.handle(Command::First);
        assert_eq!(app.selected_warning(), 0);
    }

    #[test]
    fn the_wheel_scrolls_the_log() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::GoToStep(12));
        app.handle_key(Key::WheelDown);
        assert_eq!((app.cursor(), app.selected_event()), (70, 73));
        app.handle_key(Key::PageUp);
        app.handle_key(Key::WheelUp);
        assert_eq!(app.selected_event(), 67);
        app.handle(Command::First);
        app.handle(Command::ScrollUp);
        assert_eq!(app.selected_event(), 0);
        app.handle(Command::Last);
        app.handle(Command::ScrollDown);
        assert_eq!(app.selected_event(), 112);
    }

    #[test]
    fn help_opens_scrolls_and_closes() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('?'));
        assert!(app.help_visible());
        // While it shows, up and down scroll it and leave the rest alone.
        keys(&mut app, &[Key::Down, Key::Down, Key::Char('j')]);
        assert_eq!((app.help_scroll(), app.selected_event()), (3, 0));
        app.handle(Command::Up);
        assert_eq!(app.help_scroll(), 2);
        app.handle_key(Key::Char('?'));
        assert!(!app.help_visible());
        app.handle(Command::Help);
        assert_eq!(app.help_scroll(), 0);
        app.handle_key(Key::Esc);
        assert!(!app.help_visible());
    }

    #[test]
    fn the_causal_chain_follows_the_selection() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        // The delivery of m6 to worker-1: its send by client, client's
        // delivery, the send from outside that started it.
        app.handle(Command::GoToStep(12));
        while app.selected_event() > 56 {
            app.handle(Command::Up);
        }
        assert_eq!(app.causal_chain(), [56, 14, 13, 9]);
        assert_eq!(app.cursor(), 70, "scrolling moves the selection, not the cursor");
        // It is the same chain `c` walks, one link a key.
        for want in [14, 13, 9] {
            app.handle(Command::Cause);
            assert_eq!(app.selected_event(), want);
        }
        assert_eq!(app.causal_chain(), [9]);
        // The send's effect is its delivery.
        app.handle(Command::GoToStep(0));
        app.handle(Command::StepForward);
        app.handle(Command::StepForward);
        assert_eq!(app.selected_event(), 14);
        assert_eq!(app.effects_in(0..app.timeline().len()), [56]);
        // The toggle leaves the selection alone.
        app.handle(Command::ToggleFlow);
        assert!(app.flow_visible());
        assert_eq!(app.causal_chain(), [14, 13, 9]);
        app.handle(Command::ToggleFlow);
        assert!(!app.flow_visible());
    }

    #[test]
    fn the_causal_chain_of_an_empty_trace_is_empty() {
        let mut t = fixture::sample_trace();
        t.events.clear();
        let app = App::new(t.clone());
        assert!(app.causal_chain().is_empty() && app.effects_in(0..10).is_empty());
    }

    #[test]
    fn messages_last_until_the_next_command() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::GoToStep(1000));
        assert!(app.message().is_some());
        app.handle(Command::Tick);
        assert!(app.message().is_some(), "a tick keeps it");
        app.handle(Command::StepBack);
        assert_eq!(app.message(), None);
    }

    #[test]
    fn the_selected_actor_follows_the_cursor_in_the_model() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        let w = id(&app, "worker-1");
        app.handle(Command::GoToStep(12));
        let actors = app.timeline().actors();
        assert_eq!(app.model().actor(actors, w).unwrap().state, ActorState::Restarting);
        // Before it was spawned, the tree does not list it.
        app.handle(Command::First);
        assert_eq!(app.tree_rows().len(), 1);
    }

    #[test]
    fn every_bound_key_runs_its_command() {
        for b in BINDINGS {
            for k in b.keys {
                assert_eq!(lookup(b.mode, *k), Some(b.command.clone()), "{k:?}");
            }
        }
        // Unbound keys do nothing.
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        assert!(!app.handle_key(Key::Char('z')));
        assert!(!app.handle_key(Key::Enter));
    }

    #[test]
    fn an_empty_trace_is_harmless() {
        let mut t = fixture::sample_trace();
        t.events.clear();
        let mut app = App::new(t.clone());
        for c in [
            Command::StepForward,
            Command::StepBack,
            Command::Last,
            Command::NextDelivery,
            Command::Cause,
            Command::PlayPause,
            Command::Tick,
            Command::ToggleBreakpoint,
            Command::ToggleFlow,
            Command::GoToStep(3),
            Command::Search("kind=send".into()),
            Command::NextPane,
            Command::Down,
        ] {
            app.handle(c);
        }
        assert_eq!((app.cursor(), app.model().applied), (0, 0));
        assert!(!app.playing());
    }
}
