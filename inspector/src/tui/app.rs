//! The inspector's state, with no terminal: where the cursor is, what is
//! selected, playing or paused, the prompt, breakpoints. [`App::handle`]
//! applies one [`Command`]; the views only read.

use std::collections::BTreeSet;

use rehearsal::trace::{Trace, TraceFooter};
use rehearsal::ActorId;

use super::breakpoints::Breakpoint;
use super::commands::{lookup, Command, Key, Mode, Target};
use super::describe;
use super::live::{Ending, LiveRun};
use super::model::{ActorState, Model, Timeline};
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

/// What the mailboxes table is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxSort {
    /// Messages queued now, deepest first.
    Depth,
    /// How full a bounded mailbox is (depth over capacity), fullest first;
    /// unbounded ones after, by depth.
    Fill,
    /// High-water mark, highest first.
    High,
    /// Drops, most first.
    Drops,
    /// Messages handled, most first.
    Delivered,
    /// Name, A to Z.
    Name,
}

impl MailboxSort {
    /// Every order, in the order `s` cycles through them.
    pub const ALL: [MailboxSort; 6] = [
        MailboxSort::Depth,
        MailboxSort::Fill,
        MailboxSort::High,
        MailboxSort::Drops,
        MailboxSort::Delivered,
        MailboxSort::Name,
    ];

    /// The column, in words.
    pub fn label(self) -> &'static str {
        match self {
            MailboxSort::Depth => "depth",
            MailboxSort::Fill => "fill",
            MailboxSort::High => "high",
            MailboxSort::Drops => "drops",
            MailboxSort::Delivered => "handled",
            MailboxSort::Name => "name",
        }
    }
}

/// An open prompt and what has been typed into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `:` — a step number.
    GoTo(String),
    /// `/` — a search query.
    Search(String),
    /// `B` — a breakpoint condition.
    Break(String),
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
    conditions: Vec<Breakpoint>,
    reverse: bool,
    sort: MailboxSort,
    sort_reversed: bool,
    collapsed: BTreeSet<u64>,
    /// The tree and the mailboxes leave out actors that stopped for good.
    hide_stopped: bool,
    /// The log shows only the search's matches.
    filter: bool,
    /// The matches of the search among the first `filtered_upto` events,
    /// kept while the filter is on.
    filtered: Vec<usize>,
    filtered_upto: usize,
    help: bool,
    help_scroll: usize,
    flow: bool,
    quit: bool,
    message: Option<String>,
    last_fold: usize,
    live: Option<LiveRun>,
    cut: Option<String>,
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
            conditions: Vec::new(),
            reverse: false,
            sort: MailboxSort::Depth,
            sort_reversed: false,
            collapsed: BTreeSet::new(),
            hide_stopped: false,
            filter: false,
            filtered: Vec::new(),
            filtered_upto: 0,
            help: false,
            help_scroll: 0,
            flow: false,
            quit: false,
            message: None,
            last_fold: 0,
            live: None,
            cut: None,
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

    /// The breakpoints beyond steps: conditions on events and mailboxes.
    pub fn conditions(&self) -> &[Breakpoint] {
        &self.conditions
    }

    /// What the mailboxes table is sorted by, and whether the order is reversed.
    pub fn mailbox_sort(&self) -> (MailboxSort, bool) {
        (self.sort, self.sort_reversed)
    }

    /// Returns true while playing backward.
    pub fn reverse(&self) -> bool {
        self.reverse
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
        self.refresh_filter();
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
        let actors = self.timeline.actors();
        let mut rows = Vec::new();
        // Below a collapsed actor (at this level), skip its descendants.
        let mut hiding: Option<usize> = None;
        for &i in actors.tree_order().iter().filter(|&&i| i < spawned) {
            let Some(info) = actors.get(i) else { continue };
            if self.hide_stopped && self.is_gone(i) {
                continue;
            }
            match hiding {
                Some(level) if info.level > level => continue,
                _ => hiding = None,
            }
            if self.collapsed.contains(&info.id.0) {
                hiding = Some(info.level);
            }
            rows.push(i);
        }
        rows
    }

    /// Returns true if the actor with spawn index `i` stopped for good.
    fn is_gone(&self, i: usize) -> bool {
        self.model.actors.get(i).is_some_and(|s| matches!(s.state, ActorState::Stopped | ActorState::Failed))
    }

    /// Returns true while stopped actors are left out of the tree and the
    /// mailboxes.
    pub fn hiding_stopped(&self) -> bool {
        self.hide_stopped
    }

    /// Returns true if `id`'s subtree is folded away in the tree.
    pub fn is_collapsed(&self, id: ActorId) -> bool {
        self.collapsed.contains(&id.0)
    }

    /// How many of `id`'s descendants are spawned at the cursor.
    pub fn descendants(&self, id: ActorId) -> usize {
        let actors = self.timeline.actors();
        let spawned = self.model.actors.len();
        let order = actors.tree_order();
        let Some(i) = actors.index_of(id) else { return 0 };
        let Some(pos) = actors.tree_position(i) else { return 0 };
        let level = actors.get(i).map_or(0, |a| a.level);
        order[pos + 1..]
            .iter()
            .take_while(|&&x| actors.get(x).is_some_and(|a| a.level > level))
            .filter(|&&x| x < spawned)
            .count()
    }

    /// The mailboxes at the cursor that have held anything, as spawn
    /// indexes, in the table's order ([`MailboxSort`]; ties by depth, high
    /// water, drops, then spawn order).
    pub fn mailbox_rows(&self) -> Vec<usize> {
        let a = &self.model.actors;
        let actors = self.timeline.actors();
        let mut rows: Vec<usize> = (0..a.len())
            .filter(|&i| {
                let s = &a[i];
                (s.depth > 0 || s.high_water > 0 || s.drops > 0) && !(self.hide_stopped && self.is_gone(i))
            })
            .collect();
        let fill = |i: usize| -> u64 {
            match actors.get(i).and_then(|x| x.mailbox) {
                Some((cap, _)) if cap > 0 => u64::from(a[i].depth) * 1_000_000 / u64::from(cap),
                _ => 0,
            }
        };
        let name = |i: usize| actors.get(i).map_or("", |x| x.name.as_str());
        let tie = |x: usize, y: usize| {
            (a[y].depth, a[y].high_water, a[y].drops).cmp(&(a[x].depth, a[x].high_water, a[x].drops)).then(x.cmp(&y))
        };
        rows.sort_by(|&x, &y| {
            let first = match self.sort {
                MailboxSort::Depth => a[y].depth.cmp(&a[x].depth),
                MailboxSort::Fill => fill(y).cmp(&fill(x)),
                MailboxSort::High => a[y].high_water.cmp(&a[x].high_water),
                MailboxSort::Drops => a[y].drops.cmp(&a[x].drops),
                MailboxSort::Delivered => a[y].delivered.cmp(&a[x].delivered),
                MailboxSort::Name => name(x).cmp(name(y)),
            };
            let order = first.then_with(|| tie(x, y));
            if self.sort_reversed {
                order.reverse()
            } else {
                order
            }
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
            // While the help shows, keys scroll it, close it or quit.
            Some(c)
                if self.help
                    && !matches!(
                        c,
                        Command::Help
                            | Command::Close
                            | Command::Up
                            | Command::Down
                            | Command::ScrollUp
                            | Command::ScrollDown
                            | Command::Quit
                    ) =>
            {
                false
            }
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
            Command::Last => {
                // A live run runs on toward its end first (a bounded stretch).
                if self.growing() {
                    let target = self.timeline.last_step().saturating_add(LIVE_SEARCH_STEPS);
                    self.reach_step(target.saturating_sub(1));
                    if self.growing() {
                        self.say(format!("ran {LIVE_SEARCH_STEPS} more steps; the run goes on (G again)"));
                    }
                }
                self.move_to(self.timeline.len().saturating_sub(1));
            }
            Command::GoToPrompt => self.prompt = Some(Prompt::GoTo(String::new())),
            Command::SearchPrompt => self.prompt = Some(Prompt::Search(String::new())),
            Command::PlayPause => {
                // Pauses a play in either direction; else plays forward.
                self.playing = !self.playing && !self.timeline.is_empty();
                self.reverse = false;
                if self.playing && self.cursor + 1 >= self.timeline.len() && !self.growing() {
                    // At the end: play from the start.
                    self.move_to(0);
                    self.say("playing from the start");
                }
            }
            Command::PlayBackward => {
                self.playing = (!self.playing || !self.reverse) && !self.timeline.is_empty();
                self.reverse = true;
                if self.playing && self.cursor == 0 {
                    self.playing = false;
                    self.say("at the first event");
                }
            }
            Command::Activate => self.activate(),
            Command::HideStopped => {
                self.hide_stopped = !self.hide_stopped;
                let gone = (0..self.model.actors.len()).filter(|&i| self.is_gone(i)).count();
                if self.hide_stopped {
                    self.say(format!("{gone} stopped actors hidden from the tree and the mailboxes; x shows them"));
                    self.keep_selection_visible();
                } else {
                    self.say("stopped actors shown");
                }
            }
            Command::ToggleFilter => match &self.query {
                None => self.say("search first (/), then f shows only the matches"),
                Some(q) => {
                    self.filter = !self.filter;
                    let text = q.text().to_string();
                    self.refilter();
                    if self.filter {
                        let n = self.filtered.len();
                        let so_far = if self.growing() { " so far" } else { "" };
                        self.say(format!("the log shows only the {n} matches of {text}{so_far}; f shows all"));
                    } else {
                        self.say("the log shows every event");
                    }
                }
            },
            Command::SortMailboxes => {
                let i = MailboxSort::ALL.iter().position(|x| *x == self.sort).unwrap_or(0);
                self.sort = MailboxSort::ALL[(i + 1) % MailboxSort::ALL.len()];
                self.sort_reversed = false;
                self.say(format!("mailboxes sorted by {}", self.sort.label()));
            }
            Command::ReverseSort => {
                self.sort_reversed = !self.sort_reversed;
                let how = if self.sort_reversed { "reversed" } else { "back to normal" };
                self.say(format!("mailboxes by {}, {how}", self.sort.label()));
            }
            Command::NextHit | Command::PrevHit => self.jump_to_hit(cmd == Command::NextHit),
            Command::BreakPrompt => self.prompt = Some(Prompt::Break(String::new())),
            Command::AddBreakpoint(text) => self.add_breakpoint(&text),
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
                if let Some(Prompt::GoTo(s) | Prompt::Search(s) | Prompt::Break(s)) = &mut self.prompt {
                    s.pop();
                }
            }
            Command::Input(c) => match &mut self.prompt {
                Some(Prompt::GoTo(s)) if c.is_ascii_digit() => s.push(c),
                Some(Prompt::Search(s) | Prompt::Break(s)) => s.push(c),
                _ => {}
            },
            Command::GoToStep(step) => self.go_to_step(step),
            Command::Search(text) => self.search(&text),
            Command::Tick => self.tick(),
            Command::Click(target) => self.click(target),
        }
    }

    /// Marks the trace as cut or damaged after its last event (`why`, shown
    /// now and kept in the status bar).
    pub fn mark_cut(&mut self, why: impl Into<String>) {
        let why = why.into();
        self.say(why.clone());
        self.cut = Some(why);
    }

    /// Why the trace ends early, if it is cut or damaged.
    pub fn cut(&self) -> Option<&str> {
        self.cut.as_deref()
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
        // A live run goes at most as far as G takes it at once.
        let cap = self.timeline.last_step().saturating_add(LIVE_SEARCH_STEPS);
        if self.growing() && step > cap {
            self.reach_step(cap.saturating_sub(1));
            if self.growing() {
                let last = self.timeline.last_step();
                self.move_to(self.timeline.len().saturating_sub(1));
                return self.say(format!(
                    "ran {LIVE_SEARCH_STEPS} more steps, to step {last}; the run goes on (: again runs on)"
                ));
            }
        }
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
        let changed = self.query.as_ref() != Some(&query);
        self.query = Some(query);
        if changed {
            self.refilter();
        }
    }

    /// The events the log shows when filtered: the search's matches, in
    /// order; `None` when the log shows every event.
    pub fn filtered(&self) -> Option<&[usize]> {
        (self.filter && self.query.is_some()).then_some(&self.filtered[..])
    }

    /// Finds the filter's matches again from the first event (the search
    /// or the filter changed).
    fn refilter(&mut self) {
        self.filtered.clear();
        self.filtered_upto = 0;
        self.refresh_filter();
    }

    /// Brings the filter's matches up to the last event.
    fn refresh_filter(&mut self) {
        let (true, Some(q)) = (self.filter, &self.query) else { return };
        let events = self.timeline.events();
        let actors = self.timeline.actors();
        for (i, ev) in events.iter().enumerate().skip(self.filtered_upto) {
            if q.matches(ev, actors) {
                self.filtered.push(i);
            }
        }
        self.filtered_upto = events.len();
    }

    fn submit(&mut self) {
        match self.prompt.take() {
            Some(Prompt::GoTo(s)) => match s.parse::<u64>() {
                Ok(step) => self.go_to_step(step),
                // All digits but too big: as far as it goes.
                Err(_) if !s.is_empty() => self.go_to_step(u64::MAX),
                Err(_) => self.say("go to: type a step number"),
            },
            Some(Prompt::Search(s)) => self.search(&s),
            Some(Prompt::Break(s)) => self.add_breakpoint(&s),
            None => {}
        }
    }

    /// Enter: fold or unfold the selected actor's subtree in the tree; move
    /// the cursor to the selected event in the log, or to the selected
    /// warning's first event.
    fn activate(&mut self) {
        match self.pane {
            Pane::Tree => {
                let Some(id) = self.selected_actor else { return };
                let name = self.timeline.actors().name(id);
                if self.collapsed.remove(&id.0) {
                    self.say(format!("{name} unfolded"));
                } else if self.descendants(id) == 0 {
                    self.say(format!("{name} has no children to fold"));
                } else {
                    self.collapsed.insert(id.0);
                    self.say(format!("{name} folded: Enter unfolds"));
                }
            }
            Pane::Log => self.move_to(self.selected_event),
            Pane::Warnings => {
                if let Some((_, w)) = self.model.warnings.iter().nth(self.selected_warning) {
                    let first = w.first;
                    self.move_to(first);
                }
            }
            Pane::Mailboxes => {}
        }
    }

    /// If the selected actor is hidden now, selects the next one shown in
    /// the tree (or the last).
    fn keep_selection_visible(&mut self) {
        let actors = self.timeline.actors();
        let Some(sel) = self.selected_actor.and_then(|a| actors.index_of(a)) else { return };
        let rows = self.tree_rows();
        let mut shown = vec![false; actors.len()];
        for &i in &rows {
            shown[i] = true;
        }
        if shown[sel] {
            return;
        }
        let at = actors.tree_position(sel).unwrap_or(0);
        let next = actors.tree_order()[at..].iter().find(|&&i| shown[i]).or(rows.last());
        self.selected_actor = next.and_then(|&i| actors.get(i)).map(|a| a.id);
    }

    fn click(&mut self, target: Target) {
        if self.help || self.prompt.is_some() {
            return;
        }
        match target {
            Target::Pane(p) => self.focus(p),
            Target::Actor(p, id) => {
                self.pane = p;
                self.selected_actor = Some(id);
            }
            Target::Event(i) if i < self.timeline.len() => {
                self.pane = Pane::Log;
                if self.selected_event == i && self.cursor != i {
                    self.move_to(i);
                } else {
                    self.selected_event = i;
                }
            }
            Target::Warning(i) => {
                self.pane = Pane::Warnings;
                self.selected_warning = i.min(self.model.warnings.len().saturating_sub(1));
            }
            Target::Event(_) => {}
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
            // Helps wrap onto more lines; the view clamps to what there is.
            let n = super::commands::BINDINGS.len() * 3;
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
        match self.filtered() {
            Some(rows) if !rows.is_empty() => {
                // From the selected event to the matches before or after it.
                let at = rows.partition_point(|&r| r < self.selected_event);
                let on_match = rows.get(at) == Some(&self.selected_event);
                let pos = match (on_match, by > 0) {
                    (true, _) | (false, false) => at.saturating_add_signed(by),
                    (false, true) => at.saturating_add_signed(by - 1),
                };
                self.selected_event = rows[pos.min(rows.len() - 1)];
            }
            _ => self.selected_event = step_index(self.selected_event, by, self.timeline.len()),
        }
    }

    fn tick(&mut self) {
        if !self.playing {
            return;
        }
        if self.reverse {
            return self.tick_backward();
        }
        self.reach(self.cursor + self.speed());
        let last = self.timeline.len().saturating_sub(1);
        if self.cursor >= last {
            self.playing = false;
            return self.say(self.end_text());
        }
        let target = (self.cursor + self.speed()).min(last);
        match self.scan_forward(self.cursor, target) {
            Some((i, why)) => self.stop_at(i, &why),
            None => {
                self.move_to(target);
                if target == last && !self.growing() {
                    self.playing = false;
                    self.say(self.end_text());
                }
            }
        }
    }

    fn tick_backward(&mut self) {
        if self.cursor == 0 {
            self.playing = false;
            return self.say("at the first event");
        }
        let target = self.cursor.saturating_sub(self.speed());
        match self.scan_backward(self.cursor, target) {
            Some((i, why)) => self.stop_at(i, &why),
            None => {
                self.move_to(target);
                if target == 0 {
                    self.playing = false;
                    self.say("at the first event");
                }
            }
        }
    }

    /// Stops playing at event `i`, a breakpoint hit.
    fn stop_at(&mut self, i: usize, why: &str) {
        self.move_to(i);
        self.playing = false;
        self.say(format!("{why}: event {i}, step {}", self.step()));
    }

    /// `[` and `]`: the previous or next breakpoint hit, however far. In a
    /// live run, `]` runs on (in batches) until a hit or the end.
    fn jump_to_hit(&mut self, forward: bool) {
        if self.breakpoints.is_empty() && self.conditions.is_empty() {
            return self.say("no breakpoints: b at a step, or B for a condition");
        }
        let found = if forward {
            let mut from = self.cursor;
            loop {
                let last = self.timeline.len().saturating_sub(1);
                if let Some(hit) = self.scan_forward(from, last) {
                    break Some(hit);
                }
                if !self.growing() || self.timeline.last_step() >= LIVE_SEARCH_STEPS + self.step() {
                    break None;
                }
                from = last;
                self.advance_live(LIVE_SEARCH_BATCH);
            }
        } else {
            self.scan_backward(self.cursor, 0)
        };
        match found {
            Some((i, why)) => {
                self.move_to(i);
                self.say(format!("{why}: event {i}, step {}", self.step()));
            }
            None if forward && self.growing() => {
                self.say(format!("no breakpoint hit in the next {LIVE_SEARCH_STEPS} steps of the run"))
            }
            None => self.say(format!("no breakpoint hit {} this event", if forward { "after" } else { "before" })),
        }
    }

    fn add_breakpoint(&mut self, text: &str) {
        let text = text.trim();
        if text == "clear" {
            self.breakpoints.clear();
            self.conditions.clear();
            return self.say("every breakpoint removed");
        }
        if let Some(n) = text.strip_prefix("step=") {
            return match n.parse::<u64>() {
                Ok(step) => {
                    self.breakpoints.insert(step);
                    self.say(format!("breakpoint at step {step}"))
                }
                Err(_) => self.say(format!("`{text}`: expected step=N")),
            };
        }
        let bp = if text.is_empty() {
            match &self.query {
                Some(q) => Breakpoint::Events(q.clone()),
                None => {
                    return self.say("type a condition (fault, restart, failure, depth>N, a query), or search first")
                }
            }
        } else {
            match Breakpoint::parse(text) {
                Ok(bp) => bp,
                Err(e) => return self.say(format!("breakpoint: {e}")),
            }
        };
        let label = bp.label();
        match self.conditions.iter().position(|b| *b == bp) {
            Some(i) => {
                self.conditions.remove(i);
                self.say(format!("breakpoint {label} removed"));
            }
            None => {
                self.conditions.push(bp);
                self.say(format!("breakpoint {label}: space plays to it, ] jumps to it, [ back"));
            }
        }
    }

    /// What event `i` hits, if anything, given the model `after` it (used
    /// only by conditions on the state).
    fn hit_at(&self, i: usize, after: &Model) -> Option<String> {
        if self.is_breakpoint(i) {
            return Some("breakpoint".to_string());
        }
        let ev = self.timeline.events().get(i)?;
        let delta = self.timeline.delta(i);
        let actors = self.timeline.actors();
        self.conditions.iter().find(|b| b.hit(ev, delta, after, actors)).map(|b| format!("breakpoint {}", b.label()))
    }

    fn needs_state(&self) -> bool {
        self.conditions.iter().any(Breakpoint::needs_state)
    }

    /// The first hit after event `from`, up to event `to` included.
    fn scan_forward(&self, from: usize, to: usize) -> Option<(usize, String)> {
        if self.breakpoints.is_empty() && self.conditions.is_empty() {
            return None;
        }
        let to = to.min(self.timeline.len().saturating_sub(1));
        if !self.needs_state() {
            return (from + 1..=to).find_map(|i| self.hit_at(i, &self.model).map(|w| (i, w)));
        }
        // From the model at the cursor (where a scan starts), else the nearest checkpoint.
        let mut m = self.model.clone();
        self.timeline.seek(&mut m, from + 1);
        for i in from + 1..=to {
            self.timeline.seek(&mut m, i + 1);
            if let Some(w) = self.hit_at(i, &m) {
                return Some((i, w));
            }
        }
        None
    }

    /// The last hit before event `from`, down to event `lo` included.
    fn scan_backward(&self, from: usize, lo: usize) -> Option<(usize, String)> {
        if self.breakpoints.is_empty() && self.conditions.is_empty() {
            return None;
        }
        if !self.needs_state() {
            return (lo..from).rev().find_map(|i| self.hit_at(i, &self.model).map(|w| (i, w)));
        }
        // Fold forward one checkpoint's stretch at a time, from the nearest.
        let mut hi = from;
        while hi > lo {
            let start = self.timeline.checkpoint_before(hi - 1).max(lo);
            let mut m = self.timeline.model_at(start);
            let mut last = None;
            for i in start..hi {
                self.timeline.seek(&mut m, i + 1);
                if let Some(w) = self.hit_at(i, &m) {
                    last = Some((i, w));
                }
            }
            if last.is_some() {
                return last;
            }
            hi = start;
        }
        None
    }
}

/// How far `]` runs a live run on, looking for a hit ...
pub const LIVE_SEARCH_STEPS: u64 = 100_000;
/// ... in batches of this many steps.
const LIVE_SEARCH_BATCH: u64 = 50;

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
    let verdict = if end.passed {
        "every invariant held".to_string()
    } else if end.failed.is_empty() {
        "FAILED".to_string()
    } else {
        format!("FAILED: {}", end.failed.join(", "))
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

    use rehearsal::trace::Trace;

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
        assert_eq!(app.message(), Some("breakpoint: event 66, step 12"));
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
        // B, then Enter alone: the last search becomes a breakpoint.
        app.handle_key(Key::Char('B'));
        assert_eq!(app.prompt(), Some(&Prompt::Break(String::new())));
        app.handle_key(Key::Enter);
        assert_eq!(app.conditions().len(), 1);
        app.handle(Command::PlayPause);
        for _ in 0..40 {
            app.handle(Command::Tick);
        }
        assert_eq!(app.cursor(), 88, "the next failure");
        assert!(!app.playing());
        assert_eq!(app.message(), Some("breakpoint kind=failure: event 88, step 20"));
        // The same condition again removes it.
        app.handle(Command::AddBreakpoint("kind=failure".into()));
        assert!(app.conditions().is_empty());
    }

    /// Every event index that hits `bp`, by folding from the start.
    fn brute_hits(t: &Trace, bp: &Breakpoint) -> Vec<usize> {
        let tl = Timeline::new(t.clone());
        (0..tl.len()).filter(|&i| bp.hit(&tl.events()[i], tl.delta(i), &tl.model_at(i + 1), tl.actors())).collect()
    }

    #[test]
    fn condition_breakpoints_forward_and_backward() {
        let t = fixture::sample_trace();
        for text in ["restart", "failure", "depth>8", "depth>0 actor=temp", "actor=client kind=send", "kind=stop"] {
            let bp = Breakpoint::parse(text).unwrap();
            let expected = brute_hits(&t, &bp);
            assert!(!expected.is_empty(), "{text} hits nothing in the fixture");
            let mut app = App::new(t.clone());
            app.handle(Command::AddBreakpoint(text.into()));
            // ] from the start visits every hit in order ...
            let mut seen = Vec::new();
            loop {
                let before = app.cursor();
                app.handle_key(Key::Char(']'));
                if app.cursor() == before {
                    break;
                }
                seen.push(app.cursor());
            }
            let after_first: Vec<usize> = expected.iter().copied().filter(|&i| i > 0).collect();
            assert_eq!(seen, after_first, "{text} forward");
            assert_eq!(app.message(), Some("no breakpoint hit after this event"));
            // ... and [ from the end, in reverse.
            app.handle(Command::Last);
            let mut back = Vec::new();
            loop {
                let before = app.cursor();
                app.handle_key(Key::Char('['));
                if app.cursor() == before {
                    break;
                }
                back.push(app.cursor());
            }
            let mut rev: Vec<usize> = expected.iter().copied().filter(|&i| i < t.events.len() - 1).collect();
            rev.reverse();
            assert_eq!(back, rev, "{text} backward");
            // Playing backward from the end stops at the last hit.
            app.handle(Command::Last);
            app.handle_key(Key::Char('r'));
            assert!(app.playing() && app.reverse());
            for _ in 0..100 {
                app.handle(Command::Tick);
            }
            assert!(!app.playing(), "{text}");
            assert_eq!(Some(app.cursor()), rev.first().copied(), "{text} played backward");
        }
    }

    #[test]
    fn depth_breakpoints_stop_where_the_mailbox_grows_past_n() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('B'));
        for c in "depth>8".chars() {
            app.handle_key(Key::Char(c));
        }
        app.handle_key(Key::Enter);
        app.handle(Command::PlayPause);
        for _ in 0..100 {
            app.handle(Command::Tick);
        }
        let collector = id(&app, "collector");
        let st = app.model().actor(app.timeline().actors(), collector).unwrap();
        assert_eq!(st.depth, 9, "stopped as the collector's mailbox went from 8 to 9");
        let status = buffer_text_of(&app);
        assert!(status.contains("breaks: depth>8"), "{status}");
    }

    fn buffer_text_of(app: &App) -> String {
        crate::tui::buffer_text(&crate::tui::render(app, 120, 40, false))
    }

    #[test]
    fn breakpoint_prompt_errors_steps_and_clear() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::AddBreakpoint("depth>lots".into()));
        assert_eq!(app.message(), Some("breakpoint: `depth>lots`: expected depth>N, N a number"));
        app.handle(Command::AddBreakpoint(String::new()));
        assert!(app.message().unwrap().starts_with("type a condition"));
        app.handle(Command::AddBreakpoint("step=12".into()));
        assert!(app.breakpoints().contains(&12));
        app.handle(Command::AddBreakpoint("fault".into()));
        app.handle(Command::NextHit);
        assert_eq!(app.cursor(), 66, "the first event of step 12");
        app.handle(Command::AddBreakpoint("clear".into()));
        assert!(app.breakpoints().is_empty() && app.conditions().is_empty());
        app.handle(Command::NextHit);
        assert_eq!(app.message(), Some("no breakpoints: b at a step, or B for a condition"));
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
    fn mailboxes_sort_by_each_column_and_reverse() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::GoToStep(20));
        let names = |app: &App| -> Vec<String> {
            app.mailbox_rows().iter().map(|&i| app.timeline().actors().get(i).unwrap().name.clone()).collect()
        };
        assert_eq!(app.mailbox_sort(), (MailboxSort::Depth, false));
        assert_eq!(names(&app)[..3], ["worker-1", "collector", "sup"]);
        let mut seen = vec![];
        for _ in 0..MailboxSort::ALL.len() {
            app.handle_key(Key::Char('s'));
            seen.push(app.mailbox_sort().0);
            let rows = app.mailbox_rows();
            let a = &app.model().actors;
            let info = |i: usize| app.timeline().actors().get(i).unwrap();
            for w in rows.windows(2) {
                let (x, y) = (w[0], w[1]);
                let ok = match app.mailbox_sort().0 {
                    MailboxSort::Depth => a[x].depth >= a[y].depth,
                    MailboxSort::High => a[x].high_water >= a[y].high_water,
                    MailboxSort::Drops => a[x].drops >= a[y].drops,
                    MailboxSort::Delivered => a[x].delivered >= a[y].delivered,
                    MailboxSort::Name => info(x).name <= info(y).name,
                    MailboxSort::Fill => {
                        let f = |i: usize| info(i).mailbox.map_or(0.0, |(c, _)| f64::from(a[i].depth) / f64::from(c));
                        f(x) >= f(y)
                    }
                };
                assert!(ok, "{:?}: {} before {}", app.mailbox_sort().0, info(x).name, info(y).name);
            }
        }
        assert_eq!(seen.last(), Some(&MailboxSort::Depth), "s cycles back to depth");
        assert_eq!(app.message(), Some("mailboxes sorted by depth"));
        let forward = names(&app);
        app.handle_key(Key::Char('S'));
        let mut back = names(&app);
        back.reverse();
        assert_eq!(forward, back);
        assert_eq!(app.mailbox_sort(), (MailboxSort::Depth, true));
    }

    #[test]
    fn enter_folds_the_tree_and_goes_to_the_selection() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Last);
        let names = |app: &App| -> Vec<String> {
            app.tree_rows().iter().map(|&i| app.timeline().actors().get(i).unwrap().name.clone()).collect()
        };
        assert_eq!(names(&app).len(), 8);
        app.handle(Command::NextPane);
        for _ in 0..3 {
            app.handle(Command::Down);
        }
        assert_eq!(app.selected_actor(), Some(id(&app, "sup")));
        assert_eq!(app.descendants(id(&app, "sup")), 2);
        app.handle_key(Key::Enter);
        assert!(app.is_collapsed(id(&app, "sup")));
        assert_eq!(names(&app), ["sink", "collector", "producer", "sup", "client", "temp"]);
        let s = crate::tui::buffer_text(&crate::tui::render(&app, 120, 40, false));
        assert!(s.contains("▸ sup") || s.contains("sup Supervisor one_for_one +2"), "{s}");
        // Down skips the folded children.
        app.handle(Command::Down);
        assert_eq!(app.selected_actor(), Some(id(&app, "client")));
        app.handle(Command::Up);
        app.handle_key(Key::Enter);
        assert_eq!(names(&app).len(), 8);
        // A leaf has nothing to fold.
        app.handle(Command::Down);
        app.handle(Command::Activate);
        assert_eq!(app.message(), Some("worker-1 has no children to fold"));
        // In the log, Enter moves the cursor to the selected event.
        app.handle(Command::PrevPane);
        app.handle(Command::ScrollUp);
        let sel = app.selected_event();
        app.handle_key(Key::Enter);
        assert_eq!(app.cursor(), sel);
        // In the warnings, to the selected warning's first event.
        app.handle(Command::Last);
        app.handle(Command::PrevPane);
        app.handle_key(Key::Enter);
        let first = app.model().warnings.values().next().unwrap().first;
        assert_eq!(app.cursor(), first);
    }

    #[test]
    fn the_log_filters_to_the_search_s_matches() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('f'));
        assert_eq!(app.message(), Some("search first (/), then f shows only the matches"));
        assert_eq!(app.filtered(), None);
        app.handle(Command::Search("actor=worker-1 kind=deliver".into()));
        app.handle_key(Key::Char('f'));
        let want: Vec<usize> = (0..t.events.len()).filter(|&i| app.is_match(i)).collect();
        assert_eq!(app.filtered(), Some(&want[..]));
        assert_eq!(want[..2], [56, 66]);
        // Up and down move from match to match.
        app.handle(Command::First);
        app.handle(Command::Down);
        assert_eq!(app.selected_event(), 56);
        app.handle(Command::Down);
        assert_eq!(app.selected_event(), 66);
        app.handle(Command::Up);
        assert_eq!(app.selected_event(), 56);
        let s = crate::tui::buffer_text(&crate::tui::render(&app, 120, 40, false));
        assert!(s.contains(&format!("log · only actor=worker-1 kind=deliver ({})", want.len())), "{s}");
        let log_lines = s.lines().filter(|l| l.contains(" deliver     m")).count();
        assert_eq!(log_lines, want.len(), "only the matches:\n{s}");
        // A new search refilters; f again shows all.
        app.handle(Command::Search("kind=restart".into()));
        assert_eq!(app.filtered().unwrap().len(), 3);
        app.handle(Command::ToggleFilter);
        assert_eq!(app.filtered(), None);
    }

    #[test]
    fn x_hides_stopped_actors() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Last);
        let temp = app.timeline().actors().index_of(id(&app, "temp")).unwrap();
        assert!(app.tree_rows().contains(&temp) && app.mailbox_rows().contains(&temp));
        app.handle_key(Key::Char('x'));
        assert!(app.hiding_stopped());
        assert!(!app.tree_rows().contains(&temp) && !app.mailbox_rows().contains(&temp));
        assert_eq!(app.tree_rows().len(), 7);
        assert_eq!(app.message(), Some("1 stopped actors hidden from the tree and the mailboxes; x shows them"));
        // Before it stopped, it shows.
        app.handle(Command::GoToStep(3));
        assert!(app.tree_rows().contains(&temp));
        app.handle(Command::HideStopped);
        app.handle(Command::Last);
        assert!(app.tree_rows().contains(&temp));
    }

    #[test]
    fn while_the_help_shows_keys_only_scroll_close_or_quit_it() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle_key(Key::Char('?'));
        for k in [Key::Char('l'), Key::Char(' '), Key::Char('G'), Key::Char('x'), Key::End] {
            assert!(!app.handle_key(k), "{k:?}");
        }
        assert_eq!((app.cursor(), app.playing(), app.hiding_stopped()), (0, false, false));
        assert!(app.handle_key(Key::Down));
        assert_eq!(app.help_scroll(), 1);
        app.handle_key(Key::Esc);
        assert!(app.handle_key(Key::Char('l')));
        assert_eq!(app.cursor(), 1);
    }

    #[test]
    fn space_pauses_a_backward_play() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Last);
        app.handle_key(Key::Char('r'));
        assert!(app.playing() && app.reverse());
        app.handle_key(Key::Char(' '));
        assert!(!app.playing());
        app.handle_key(Key::Char(' '));
        assert!(app.playing() && !app.reverse());
    }

    #[test]
    fn hiding_stopped_actors_moves_the_selection_off_them() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Last);
        app.handle(Command::NextPane);
        for _ in 0..7 {
            app.handle(Command::Down);
        }
        assert_eq!(app.selected_actor(), Some(id(&app, "temp")));
        app.handle(Command::HideStopped);
        assert_eq!(app.selected_actor(), Some(id(&app, "client")), "the last shown, temp being last");
    }

    #[test]
    fn a_failed_actor_shows_failed_until_its_supervisor_acts() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        let w = id(&app, "worker-1");
        // Event 67 is worker-1's first failure; 69 its suspension.
        app.handle(Command::GoToStep(11));
        while app.cursor() < 67 {
            app.handle(Command::StepForward);
        }
        let state = |app: &App| app.model().actor(app.timeline().actors(), w).unwrap().state;
        assert_eq!(state(&app), ActorState::Failed);
        app.handle(Command::StepForward);
        app.handle(Command::StepForward);
        assert_eq!(state(&app), ActorState::Restarting);
    }

    #[test]
    fn the_filtered_log_says_when_the_cursor_is_off_it() {
        let t = fixture::sample_trace();
        let mut app = App::new(t.clone());
        app.handle(Command::Search("kind=failure".into()));
        app.handle(Command::ToggleFilter);
        let title = |app: &App| {
            crate::tui::buffer_text(&crate::tui::render(app, 120, 40, false)).lines().nth(2).unwrap().to_string()
        };
        assert!(title(&app).contains("log · only kind=failure (3) "), "{}", title(&app));
        app.handle(Command::StepForward);
        assert!(title(&app).contains("cursor at 68 (not a match)"), "{}", title(&app));
    }

    #[test]
    fn a_cut_trace_says_so_in_the_status_bar() {
        let mut t = fixture::sample_trace();
        t.events.truncate(40);
        let mut app = App::new(t);
        app.mark_cut("t.jsonl:42: the trace ends without its end line");
        app.handle(Command::Last);
        let s = crate::tui::buffer_text(&crate::tui::render(&app, 120, 40, false));
        assert!(s.lines().nth(1).unwrap().starts_with(" TRACE CUT at event 40"), "{s}");
        assert_eq!(app.cut(), Some("t.jsonl:42: the trace ends without its end line"));
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
        assert!(!app.handle_key(Key::Char('Z')));
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
