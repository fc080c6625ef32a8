//! The message flow: a sequence diagram of the events around the selected
//! one, in the log's pane (`v` toggles). One lane (column) per actor the
//! window involves, in tree order, named at the top; one row per
//! message-like event. A send is an arrow from the sender's lane to the
//! receiver's (`├─m3─▶│`, `│◀─m3─┤`), from the left edge when it comes from
//! outside or from a hidden lane, to the right edge when it goes to a hidden
//! lane; deliveries, failures, restarts, stops, dead letters, faults,
//! overflows and spawns are marks on their actor's lane. A short note ends
//! each row. The gutter is the log's: the cursor `▶`, the causal chain `┃`
//! and what the selection caused `↳`, breakpoints `◆`, matches `*`.
//!
//! When the lanes do not all fit, the lanes of the actors nearest the
//! selected event (in rows) stay, and the title says how many are hidden.

use std::collections::HashMap;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use rehearsal::trace::MsgKind;
use rehearsal::{ActorId, Event, EventKind};

use super::{digits, fit, window, Chain, Theme};
use crate::tui::app::App;
use crate::tui::describe;
use crate::tui::model::Actors;

/// The narrowest a lane gets (its name is cut to fit).
pub const LANE_MIN: usize = 6;
/// The widest a lane gets.
pub const LANE_MAX: usize = 12;
/// The room the notes get (if they need it) when every lane fits beside ...
pub const NOTE_WANT: usize = 20;
/// A lane is never wider than this, however long its actor's name.
pub const LANE_NAME_MAX: usize = 24;
/// ... and the least they get before lanes are hidden to make room.
pub const NOTE_MIN: usize = 8;
/// How far from the selected event the window looks for rows, each way, so
/// that a long stretch of other events costs a bounded scan.
pub const SCAN: usize = 4096;

/// One end of an arrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A lane, by its place among the shown lanes (left to right).
    Lane(usize),
    /// Off the diagram: the outside or a hidden actor as the sender (the
    /// left edge), a hidden actor as the receiver (the right edge).
    Edge,
}

/// What a row draws across the lanes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A message, labelled with its id.
    Arrow {
        /// Where it leaves.
        from: End,
        /// Where it arrives.
        to: End,
        /// The message id, as shown (`m3`).
        msg: String,
    },
    /// A mark on one lane.
    Mark {
        /// The lane.
        lane: usize,
        /// The mark.
        symbol: char,
    },
    /// Nothing on the lanes: the event's actors are hidden, or it names none.
    Blank,
}

/// One row of the diagram: an event, what it draws and its note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The event's index.
    pub event: usize,
    /// What it draws.
    pub shape: Shape,
    /// A few words about it (the message, the reason).
    pub note: String,
}

/// The diagram laid out for a pane's inside: the lanes and the rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The actors with a lane, left to right (in tree order).
    pub lanes: Vec<ActorId>,
    /// How many actors the window involves but have no lane (no room).
    pub hidden: usize,
    /// Columns per lane.
    pub lane_width: usize,
    /// Columns before the lanes: cursor, chain, mark, the event index, a space.
    pub gutter: usize,
    /// The rows, top to bottom (after the line of names).
    pub rows: Vec<Row>,
}

/// Returns true if an event gets a row of its own in the diagram: sends and
/// what happens to messages and actors. (Other events get a row only when
/// selected or at the cursor.)
pub fn is_flow_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Send { .. }
            | EventKind::Deliver { .. }
            | EventKind::DeadLetter { .. }
            | EventKind::Failure { .. }
            | EventKind::Restart { .. }
            | EventKind::Stop { .. }
            | EventKind::Fault { .. }
            | EventKind::Overflow { .. }
            | EventKind::Kill { .. }
            | EventKind::Spawn { .. }
    )
}

/// The actors an event draws on: a send's sender (if an actor) and receiver,
/// else the one actor it is about.
fn lane_actors(kind: &EventKind) -> Vec<ActorId> {
    match kind {
        EventKind::Send { from, to, .. } => from.iter().copied().chain([*to]).collect(),
        EventKind::Spawn { actor, .. } => vec![*actor],
        k => describe::principal(k).into_iter().collect(),
    }
}

/// The mark an event leaves on its actor's lane.
fn symbol(kind: &EventKind) -> char {
    match kind {
        EventKind::Deliver { .. } => '●',
        EventKind::Failure { .. } | EventKind::Kill { .. } => '✗',
        EventKind::Restart { .. } => '↻',
        EventKind::Stop { reason, .. } if reason.is_abnormal() => '✗',
        EventKind::Stop { .. } => '○',
        EventKind::DeadLetter { .. } => '✉',
        EventKind::Fault { .. } => '!',
        EventKind::Overflow { .. } => '▲',
        EventKind::Spawn { .. } => '+',
        EventKind::Send { .. } => '↺',
        _ => '·',
    }
}

/// The events shown: those with a row within [`SCAN`] events of the
/// selected one, the selected event (and the cursor) always among them, the
/// selection near the middle. Returns them and the selection's place.
fn window_events(app: &App, height: usize) -> (Vec<usize>, usize) {
    let events = app.timeline().events();
    let sel = app.selected_event();
    if events.is_empty() || height == 0 || sel >= events.len() {
        return (Vec::new(), 0);
    }
    let is_row = |i: &usize| *i == app.cursor() || is_flow_event(&events[*i].kind);
    let mut rows: Vec<usize> = (sel.saturating_sub(SCAN)..sel).rev().filter(is_row).take(height - 1).collect();
    rows.reverse();
    let at = rows.len();
    rows.push(sel);
    rows.extend((sel + 1..events.len().min(sel + 1 + SCAN)).filter(is_row).take(height - 1));
    let start = window(at, rows.len(), height);
    let rows: Vec<usize> = rows.into_iter().skip(start).take(height).collect();
    (rows, at - start)
}

/// How many lanes of how many columns fit in `avail` columns for
/// `involved` actors: every lane and `want` columns of notes (at most
/// [`NOTE_WANT`]) if they fit, else as many lanes as leave [`NOTE_MIN`].
fn fit_lanes(avail: usize, involved: usize, want: usize, longest: usize) -> (usize, usize) {
    // Lanes grow up to the longest name (and a space), past LANE_MAX if
    // that is what it takes, while the notes keep their room.
    let widest = LANE_MAX.max(longest + 1).min(LANE_NAME_MAX);
    for note in [want.clamp(NOTE_MIN, NOTE_WANT), NOTE_MIN] {
        let room = avail.saturating_sub(note + 1);
        let n = involved.min(room / LANE_MIN);
        if n > 0 && (n == involved || note == NOTE_MIN) {
            return (n, (room / n).clamp(LANE_MIN, widest));
        }
    }
    (0, 0)
}

/// The lanes: the actors the rows involve, nearest the selected row first
/// while they fit, then in tree order (actors the trace never spawned last).
fn choose_lanes(actors: &Actors, events: &[Event], rows: &[usize], at: usize, n: usize) -> (Vec<ActorId>, usize) {
    let mut nearest: HashMap<ActorId, usize> = HashMap::new();
    for (r, &i) in rows.iter().enumerate() {
        for a in lane_actors(&events[i].kind) {
            let d = r.abs_diff(at);
            nearest.entry(a).and_modify(|x| *x = (*x).min(d)).or_insert(d);
        }
    }
    let place = |a: ActorId| (actors.index_of(a).and_then(|i| actors.tree_position(i)).unwrap_or(usize::MAX), a.0);
    let mut involved: Vec<(usize, ActorId)> = nearest.into_iter().map(|(a, d)| (d, a)).collect();
    involved.sort_by_key(|&(d, a)| (d, place(a)));
    let hidden = involved.len().saturating_sub(n);
    let mut lanes: Vec<ActorId> = involved.into_iter().take(n).map(|(_, a)| a).collect();
    lanes.sort_by_key(|&a| place(a));
    (lanes, hidden)
}

/// What event `ev` draws, given where the lanes are.
fn shape(ev: &Event, lane: &impl Fn(ActorId) -> Option<usize>) -> Shape {
    match &ev.kind {
        EventKind::Send { msg, from, to, .. } => {
            let (f, t) = (from.and_then(lane), lane(*to));
            match (f, t) {
                (Some(a), Some(b)) if a == b => Shape::Mark { lane: a, symbol: '↺' },
                (None, None) => Shape::Blank,
                (f, t) => Shape::Arrow {
                    from: f.map_or(End::Edge, End::Lane),
                    to: t.map_or(End::Edge, End::Lane),
                    msg: msg.to_string(),
                },
            }
        }
        k => match lane_actors(k).first().and_then(|a| lane(*a)) {
            Some(l) => Shape::Mark { lane: l, symbol: symbol(k) },
            None => Shape::Blank,
        },
    }
}

/// A few words about an event, for the end of its row; names only where
/// the lanes do not already say them.
fn note(ev: &Event, shape: &Shape, actors: &Actors) -> String {
    let who = |a: Option<ActorId>| describe::who(actors, a);
    let text = match &ev.kind {
        EventKind::Send { msg, from, to, what, .. } => {
            let mut s = format!("{msg} send");
            if *what != MsgKind::User {
                s = format!("{s} {}", describe::lower(what));
            }
            match shape {
                Shape::Arrow { from: f, to: t, .. } => {
                    if *f == End::Edge {
                        s = format!("{s} from {}", who(*from));
                    }
                    if *t == End::Edge {
                        s = format!("{s} to {}", actors.label(*to));
                    }
                }
                Shape::Mark { .. } => s = format!("{s} to itself"),
                Shape::Blank => s = format!("{s} {} → {}", who(*from), actors.label(*to)),
            }
            return s;
        }
        EventKind::Deliver { msg, .. } => format!("{msg} deliver"),
        EventKind::Done { msg, .. } => format!("{msg} done"),
        EventKind::Admitted { msg, .. } => format!("{msg} admitted"),
        EventKind::DeadLetter { msg, reason, .. } => format!("{msg} dead: {reason}"),
        EventKind::Failure { msg: Some(m), reason, .. } => format!("{m} failed: {reason}"),
        EventKind::Failure { reason, .. } => format!("failed: {reason}"),
        EventKind::Restart { from, to, .. } => format!("restart {from}→{to}"),
        EventKind::Stop { reason, .. } => format!("stop: {reason}"),
        EventKind::Fault { action, msg: Some(m), .. } => format!("{m} fault {action}"),
        EventKind::Fault { action, .. } => format!("fault {action}"),
        EventKind::Overflow { msg, policy, .. } => format!("{msg} full: {}", describe::lower(policy)),
        EventKind::Kill { by, .. } => format!("killed by {}", who(*by)),
        EventKind::Spawn { type_name, .. } => format!("spawn {type_name}"),
        k => k.name().to_string(),
    };
    match (shape, lane_actors(&ev.kind).first()) {
        (Shape::Blank, Some(a)) => format!("{}: {text}", actors.label(*a)),
        _ => text,
    }
}

/// Lays the diagram out for a pane whose inside is `width` by `height`
/// (the line of names included).
pub fn layout(app: &App, width: usize, height: usize) -> Flow {
    let tl = app.timeline();
    let events = tl.events();
    let gutter = 3 + digits(events.len().saturating_sub(1) as u64).max(super::log::MIN_INDEX_DIGITS) + 1;
    let (rows, at) = window_events(app, height.saturating_sub(1));
    let involved: std::collections::HashSet<ActorId> =
        rows.iter().flat_map(|&i| lane_actors(&events[i].kind)).collect();
    // The notes' room: what they need with every actor on a lane.
    let all = |a: ActorId| Some(a.0 as usize);
    let want = rows.iter().map(|&i| note(&events[i], &shape(&events[i], &all), tl.actors()).chars().count()).max();
    let longest = involved.iter().map(|a| tl.actors().label(*a).chars().count()).max().unwrap_or(0);
    let (n, lane_width) = fit_lanes(width.saturating_sub(gutter), involved.len(), want.unwrap_or(0), longest);
    let (lanes, hidden) = choose_lanes(tl.actors(), events, &rows, at, n);
    let lane = |a: ActorId| lanes.iter().position(|l| *l == a);
    let rows = rows
        .into_iter()
        .map(|i| {
            let shape = shape(&events[i], &lane);
            let note = note(&events[i], &shape, tl.actors());
            Row { event: i, shape, note }
        })
        .collect();
    Flow { lanes, hidden, lane_width, gutter, rows }
}

/// The cells of a row's lanes: each a character and whether it belongs to
/// the event (else it is a lane's line or blank).
pub fn cells(shape: &Shape, lanes: usize, width: usize) -> Vec<(char, bool)> {
    let total = lanes * width;
    let center = |k: usize| k * width + width / 2;
    let mut cells: Vec<(char, bool)> =
        (0..total).map(|c| if c % width == width / 2 { ('│', false) } else { (' ', false) }).collect();
    match shape {
        Shape::Blank => {}
        Shape::Mark { lane, symbol } => {
            if let Some(c) = cells.get_mut(center(*lane)) {
                *c = (*symbol, true);
            }
        }
        Shape::Arrow { from, to, msg } => {
            if total == 0 {
                return cells;
            }
            let a = match from {
                End::Lane(k) => center(*k),
                End::Edge => 0,
            };
            let b = match to {
                End::Lane(k) => center(*k),
                End::Edge => total - 1,
            };
            let (lo, hi) = (a.min(b), a.max(b));
            for c in cells.iter_mut().take(hi + 1).skip(lo) {
                *c = ('─', true);
            }
            let mut label_room = lo + 1..hi;
            if a < b {
                if matches!(from, End::Lane(_)) {
                    cells[a] = ('├', true);
                }
                let head = if matches!(to, End::Lane(_)) { b - 1 } else { b };
                cells[head] = ('▶', true);
                if matches!(to, End::Lane(_)) {
                    cells[b] = ('│', false);
                }
                label_room = a + 2..head;
            } else if a > b {
                cells[a] = ('┤', true);
                cells[b] = ('│', false);
                cells[b + 1] = ('◀', true);
                label_room = b + 2..a.saturating_sub(1);
            }
            let len = msg.chars().count();
            if len > 0 && label_room.len() >= len {
                let start = label_room.start + (label_room.len() - len) / 2;
                for (k, ch) in msg.chars().enumerate() {
                    cells[start + k] = (ch, true);
                }
            }
        }
    }
    cells
}

/// The line of lane names.
fn header(flow: &Flow, actors: &Actors, theme: &Theme) -> Line<'static> {
    let w = flow.lane_width;
    let mut text = " ".repeat(flow.gutter);
    for a in &flow.lanes {
        let name = super::fit_name(&actors.label(*a), w.saturating_sub(1));
        text.push_str(&format!("{name:^w$}"));
    }
    Line::from(Span::styled(text, theme.label()))
}

/// Draws the diagram.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let tl = app.timeline();
    let inner = Block::bordered().inner(area);
    let flow = layout(app, inner.width as usize, inner.height as usize);
    let title = match (flow.hidden, flow.lanes.len()) {
        (0, _) => " flow ".to_string(),
        (_, 0) => " flow · no room for lanes ".to_string(),
        (n, _) => format!(" flow · {n} more actor{} hidden ", if n == 1 { "" } else { "s" }),
    };
    let block = theme.block(title, focused);
    frame.render_widget(block, area);
    if tl.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("the trace has no events", theme.dim())), inner);
        return;
    }
    let range = flow.rows.first().map_or(0, |r| r.event)..flow.rows.last().map_or(0, |r| r.event + 1);
    let chain = Chain::of(app, range);
    let index_width = flow.gutter - 4;
    let note_width = (inner.width as usize).saturating_sub(flow.gutter + flow.lanes.len() * flow.lane_width + 1);
    let mut lines = vec![header(&flow, tl.actors(), theme)];
    for row in &flow.rows {
        let i = row.event;
        let style = if i == app.cursor() {
            theme.cursor()
        } else if chain.contains(i) {
            theme.chain()
        } else if i > app.cursor() {
            theme.dim()
        } else {
            Style::new()
        };
        let mut spans = super::log::gutter(app, theme, &chain, i);
        spans.push(Span::styled(format!("{i:>index_width$} "), style));
        let cells = cells(&row.shape, flow.lanes.len(), flow.lane_width);
        for group in cells.chunk_by(|x, y| x.1 == y.1) {
            let text: String = group.iter().map(|c| c.0).collect();
            spans.push(Span::styled(text, if group[0].1 { style } else { theme.dim() }));
        }
        spans.push(Span::styled(format!(" {}", fit(&row.note, note_width)), style));
        let mut line = Line::from(spans);
        if i == app.selected_event() {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::commands::Command;
    use crate::tui::fixture;

    fn app_at_step(step: u64) -> App {
        let mut app = App::new(fixture::sample_trace());
        app.handle(Command::GoToStep(step));
        app
    }

    fn names(app: &App, flow: &Flow) -> Vec<String> {
        flow.lanes.iter().map(|a| app.timeline().actors().name(*a)).collect()
    }

    #[test]
    fn lanes_follow_the_tree_and_rows_hold_the_selection() {
        let app = app_at_step(12);
        let flow = layout(&app, 100, 20);
        assert_eq!(flow.hidden, 0);
        // Tree order: sink, collector, producer, sup, worker-1, worker-2, client, temp.
        let names = names(&app, &flow);
        let tree: Vec<String> = app
            .timeline()
            .actors()
            .tree_order()
            .iter()
            .map(|&i| app.timeline().actors().get(i).unwrap().name.clone())
            .filter(|n| names.contains(n))
            .collect();
        assert_eq!(names, tree);
        assert!(names.contains(&"worker-1".to_string()) && names.contains(&"sup".to_string()), "{names:?}");
        assert!(flow.rows.len() <= 19);
        assert!(flow.rows.iter().any(|r| r.event == app.selected_event()));
        // Only message-like events, but for the selected one.
        let events = app.timeline().events();
        for r in &flow.rows {
            assert!(r.event == app.selected_event() || is_flow_event(&events[r.event].kind), "{r:?}");
        }
    }

    #[test]
    fn arrows_point_from_sender_to_receiver() {
        let app = app_at_step(12);
        let flow = layout(&app, 100, 20);
        let lane = |n: &str| names(&app, &flow).iter().position(|x| x == n).unwrap();
        // Event 70: worker-1 → sup m29, leftward (sup is before worker-1 in the tree).
        let row = flow.rows.iter().find(|r| r.event == 70).unwrap();
        assert_eq!(
            row.shape,
            Shape::Arrow { from: End::Lane(lane("worker-1")), to: End::Lane(lane("sup")), msg: "m29".into() }
        );
        let text: String = cells(&row.shape, flow.lanes.len(), flow.lane_width).iter().map(|c| c.0).collect();
        assert!(text.contains("│◀") && text.contains("m29") && text.contains("─┤"), "{text}");
        // Its delivery at 75 is a mark on sup's lane.
        let row = flow.rows.iter().find(|r| r.event == 75).unwrap();
        assert_eq!(row.shape, Shape::Mark { lane: lane("sup"), symbol: '●' });
        assert_eq!(row.note, "m29 deliver");
        // Left to right, over the lane between; from outside, from the left edge;
        // to a hidden actor, to the right edge.
        let draw = |shape: Shape, lanes| cells(&shape, lanes, 6).iter().map(|c| c.0).collect::<String>();
        let right = Shape::Arrow { from: End::Lane(0), to: End::Lane(2), msg: "m1".into() };
        assert_eq!(draw(right, 3), "   ├────m1────▶│  ");
        let outside = Shape::Arrow { from: End::Edge, to: End::Lane(1), msg: "m1".into() };
        assert_eq!(draw(outside, 2), "────m1──▶│  ");
        let away = Shape::Arrow { from: End::Lane(0), to: End::Edge, msg: "m1".into() };
        assert_eq!(draw(away, 2), "   ├───m1──▶");
    }

    #[test]
    fn a_narrow_pane_keeps_the_lanes_nearest_the_selection() {
        let app = app_at_step(12);
        let wide = layout(&app, 200, 20);
        let narrow = layout(&app, 30, 20);
        assert!(narrow.lanes.len() < wide.lanes.len(), "{narrow:?}");
        assert_eq!(narrow.hidden, wide.lanes.len() - narrow.lanes.len());
        // The selected send's two actors keep their lanes.
        let names = names(&app, &narrow);
        assert!(names.contains(&"worker-1".to_string()) && names.contains(&"sup".to_string()), "{names:?}");
        // Arrows to hidden actors go to the edge, and the note names them.
        for r in &narrow.rows {
            if let Shape::Arrow { to: End::Edge, .. } = r.shape {
                assert!(r.note.contains(" to "), "{r:?}");
            }
        }
    }

    #[test]
    fn names_keep_their_number() {
        assert_eq!(crate::tui::views::fit_name("client-0", 8), "client-0");
        assert_eq!(crate::tui::views::fit_name("client-0", 6), "cli…-0");
        assert_eq!(crate::tui::views::fit_name("worker-12", 5), "w…-12");
        assert_eq!(crate::tui::views::fit_name("worker-12", 4), "wor…");
        assert_eq!(crate::tui::views::fit_name("collector", 6), "colle…");
        assert_eq!(crate::tui::views::fit_name("a-b", 0), "");
        // A duplicate's label keeps its id when nothing longer fits.
        assert_eq!(crate::tui::views::fit_name("worker-0 #13", 9), "wo…-0 #13");
        assert_eq!(crate::tui::views::fit_name("worker-0 #13", 7), "wo… #13");
    }

    #[test]
    fn tiny_and_empty_never_panic() {
        let app = app_at_step(12);
        for (w, h) in [(0, 0), (1, 1), (5, 2), (12, 3), (20, 1), (46, 10)] {
            let flow = layout(&app, w, h);
            assert!(flow.rows.len() <= h.saturating_sub(1));
            for r in &flow.rows {
                cells(&r.shape, flow.lanes.len(), flow.lane_width);
            }
        }
        let mut t = fixture::sample_trace();
        t.events.clear();
        let empty = App::new(t);
        let flow = layout(&empty, 80, 20);
        assert!(flow.rows.is_empty() && flow.lanes.is_empty());
    }

    #[test]
    fn actors_never_spawned_get_a_lane_named_by_id() {
        use rehearsal::MsgId;
        let mut t = fixture::sample_trace();
        let e = &t.events[0];
        let ghost = Event {
            step: e.step,
            time: e.time,
            cause: None,
            kind: EventKind::Send {
                msg: MsgId(999),
                from: None,
                to: ActorId(4242),
                what: MsgKind::User,
                payload: None,
            },
        };
        t.events.insert(1, ghost);
        let mut app = App::new(t);
        app.handle(Command::StepForward);
        let flow = layout(&app, 120, 20);
        let names = names(&app, &flow);
        assert_eq!(names.last().map(String::as_str), Some("#4242"), "{names:?}");
    }
}
