//! The events of a run kept in memory, compactly.
//!
//! A run at full speed records three events per message (send, deliver,
//! done). Kept as [`Event`] values that is over 100 bytes each, and a run of
//! a million messages would write hundreds of megabytes of fresh memory:
//! most of the cost of tracing. So the log keeps each of those three kinds
//! in one 32-bit unit when its figures are small relative to the event
//! before (a few actors, the usual case), in two when they are larger, in a
//! few more otherwise, and every other event (spawns, failures,
//! payloads…: rare) whole, on the side.
//!
//! The usual event (one unit) takes a short fast path: a few shifts and
//! one test of them all, one store. Anything else (two units, a wide or a
//! rare event, a full chunk) goes to a slow path out of line.
//!
//! Reading decodes a chunk of events once, on first access, into a cache
//! that later records extend; so [`System::events`](crate::System::events)
//! still lends `&Event`s and a run that never reads its events never builds
//! one. Once the chunk being filled has been read, its later events take
//! the slow path, which keeps its decoded copy up to date (until the next
//! chunk starts).

use std::cell::{Cell, OnceCell, RefCell};

use crate::address::{ActorId, MsgId};
use crate::trace::{Event, EventKind, MsgKind};

/// Units per chunk (64 KiB): a chunk holds about 16,000 common events.
const CAP: usize = 16 * 1024;
/// The most units one event takes (a wide one).
const MAX_UNITS: usize = 13;

/// What an event is encoded relative to.
#[derive(Clone, Copy, Default)]
struct State {
    step: u64,
    time: u64,
    /// The last message id of a compact event.
    msg: u64,
}

/// One chunk of the log.
struct Chunk {
    /// The state before the chunk's first event.
    start: State,
    /// The index of the chunk's first event in the log.
    first: usize,
    /// The encoded events: `units[..used]` (`CAP` units, or none in a
    /// chunk whose units went back to [`SPARE`]).
    units: Box<[u32]>,
    used: usize,
    /// The chunk's rare events, whole, in order.
    rare: Vec<Event>,
    /// The chunk decoded, once someone read it (kept up to date after).
    decoded: OnceCell<Vec<Event>>,
}

impl Chunk {
    fn new(start: State, first: usize) -> Self {
        let units = SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_else(|| vec![0; CAP].into_boxed_slice());
        Chunk { start, first, units, used: 0, rare: Vec::new(), decoded: OnceCell::new() }
    }

    fn events(&self) -> &[Event] {
        self.decoded.get_or_init(|| decode(self))
    }
}

// The first unit of an event. Bits 0-1: the kind.
const OTHER: u64 = 0;
const SEND: u64 = 1;
const DELIVER: u64 = 2;
const DONE: u64 = 3;
// A compact event (kind SEND, DELIVER or DONE) is of a user message if a
// send, at the time of the event before; bit 2 tells its size. Then bit 3
// is set if its step is one more than the step before (else the same),
// bits 4-5 give its cause (none, its own step, the step before), and
// follow `zigzag(msg - last msg)` and the two actor fields (see
// `EventLog::compact`): in one unit, 9, 9 and 8 bits; in two (one 64-bit
// word, low half first), 18, 20 and 20 bits.
const SMALL: u64 = 1 << 2;
const STEP_NEXT: u64 = 1 << 3;
const CAUSE_SHIFT: u32 = 4;
const CAUSE_SELF: u64 = 1;
const CAUSE_PREV: u64 = 2;
const MSG_SHIFT: u32 = 6;
/// (msg, a, b) bits and shifts in one unit, and in two.
const SMALL_BITS: (u32, u32, u32) = (9, 9, 8);
const SMALL_SHIFTS: (u32, u32, u32) = (MSG_SHIFT, 15, 24);
const WORD_BITS: (u32, u32, u32) = (18, 20, 20);
const WORD_SHIFTS: (u32, u32, u32) = (MSG_SHIFT, 24, 44);
// Kind OTHER, bit 3: a rare event (0, the next of the chunk's rare
// events), or a wide one (1): a common event in 13 units (this one with
// its kind in bits 4-5 and its message kind in bits 8-15, then step, time,
// cause (0 for none), message, and the two actor fields, each in two).
const WIDE: u64 = 1 << 3;

/// The events kept in memory: appended in chunks, so a long run never
/// copies its history to grow.
pub(crate) struct EventLog {
    /// Full chunks.
    full: Vec<Chunk>,
    /// The chunk being filled.
    cur: Chunk,
    /// The fast path of [`EventLog::compact`] writes while `cur.used` is
    /// below this: `CAP` less room for one event, or 0 once
    /// someone read the current chunk (whose decoded copy the slow path
    /// then extends).
    limit: Cell<usize>,
    state: State,
    /// Events so far.
    len: usize,
}

thread_local! {
    /// The unit buffers of logs dropped on this thread, for the next logs
    /// (at most [`MAX_SPARE`]): a thread that runs traced systems one after
    /// another (a sweep, a test suite, a benchmark) writes its events into
    /// memory it already has instead of fresh pages, whose first touch
    /// costs about as much as encoding the events on this machine.
    static SPARE: RefCell<Vec<Box<[u32]>>> = const { RefCell::new(Vec::new()) };
}

/// The most unit buffers kept in [`SPARE`]: 16 MiB, a run of about
/// 1.4 million messages.
const MAX_SPARE: usize = 256;

impl Drop for EventLog {
    fn drop(&mut self) {
        let cur = std::mem::take(&mut self.cur.units);
        let units = self.full.iter_mut().map(|c| std::mem::take(&mut c.units)).chain(std::iter::once(cur));
        // `try_with`: a log dropped while the thread ends just frees.
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            let room = MAX_SPARE.saturating_sub(s.len());
            s.extend(units.filter(|u| u.len() == CAP).take(room));
        });
    }
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            full: Vec::new(),
            cur: Chunk::new(State::default(), 0),
            limit: Cell::new(CAP - MAX_UNITS),
            state: State::default(),
            len: 0,
        }
    }
}

#[inline(always)]
fn zigzag(from: u64, to: u64) -> u64 {
    let d = to.wrapping_sub(from) as i64;
    ((d << 1) ^ (d >> 63)) as u64
}

#[inline(always)]
fn unzigzag(from: u64, z: u64) -> u64 {
    let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
    from.wrapping_add(d as u64)
}

/// An optional actor as an actor field: 0 for none, the id otherwise;
/// `None` if that is ambiguous (actor 0, which the engine never gives).
#[inline(always)]
fn opt_actor(a: Option<ActorId>) -> Option<u64> {
    match a {
        None => Some(0),
        Some(ActorId(0)) => None,
        Some(a) => Some(a.0),
    }
}

fn msg_kind(code: u64) -> MsgKind {
    match code {
        0 => MsgKind::User,
        1 => MsgKind::Stop,
        2 => MsgKind::Credit,
        3 => MsgKind::ChildEnded,
        4 => MsgKind::Down,
        _ => MsgKind::Exit,
    }
}

/// The event of a compact record (`a` and `b` as [`EventLog::compact`] takes them).
fn kind_of(kind: u64, what: MsgKind, msg: u64, a: u64, b: u64) -> EventKind {
    let from = |f: u64| (f != 0).then_some(ActorId(f));
    match kind {
        SEND => EventKind::Send { msg: MsgId(msg), from: from(a), to: ActorId(b), what, payload: None },
        DELIVER => EventKind::Deliver { msg: MsgId(msg), actor: ActorId(a), from: from(b) },
        _ => EventKind::Done { actor: ActorId(a), msg: MsgId(msg) },
    }
}

/// Step, time and cause (0 for none) of an event being recorded.
#[derive(Clone, Copy)]
pub(crate) struct Head {
    pub(crate) step: u64,
    pub(crate) time: u64,
    pub(crate) cause: u64,
}

impl Head {
    /// The event of this head and `kind`.
    pub(crate) fn event(self, kind: EventKind) -> Event {
        Event { step: self.step, time: self.time, cause: (self.cause != 0).then_some(self.cause), kind }
    }
}

/// The cause field of a compact event: 0 for none, [`CAUSE_SELF`],
/// [`CAUSE_PREV`], or 3 if none of those says it.
#[inline(always)]
fn cause_mode(step: u64, cause: u64) -> u64 {
    if cause == step {
        CAUSE_SELF
    } else if cause.wrapping_add(1) == step {
        CAUSE_PREV
    } else if cause == 0 {
        0
    } else {
        3
    }
}

impl EventLog {
    /// Appends `ev`.
    pub(crate) fn push(&mut self, ev: Event) {
        let cause = match ev.cause {
            None => Some(0),
            Some(0) => None,
            Some(c) => Some(c),
        };
        let head = cause.map(|cause| Head { step: ev.step, time: ev.time, cause });
        match (head, &ev.kind) {
            (Some(head), EventKind::Send { msg, from, to, what, payload: None }) => match opt_actor(*from) {
                Some(f) => self.compact(head, SEND, *what, msg.0, f, to.0),
                None => self.rare(ev),
            },
            (Some(head), EventKind::Deliver { msg, actor, from }) => match opt_actor(*from) {
                Some(f) => self.compact(head, DELIVER, MsgKind::User, msg.0, actor.0, f),
                None => self.rare(ev),
            },
            (Some(head), EventKind::Done { actor, msg }) => {
                self.compact(head, DONE, MsgKind::User, msg.0, actor.0, 0);
            }
            _ => self.rare(ev),
        }
    }

    /// Appends a user message's `send` event (no payload); `from` 0 for none.
    #[inline(always)]
    pub(crate) fn push_send(&mut self, head: Head, msg: u64, from: u64, to: u64) {
        self.compact(head, SEND, MsgKind::User, msg, from, to);
    }

    /// Appends a `deliver` event; `from` 0 for none.
    #[inline(always)]
    pub(crate) fn push_deliver(&mut self, head: Head, msg: u64, actor: u64, from: u64) {
        self.compact(head, DELIVER, MsgKind::User, msg, actor, from);
    }

    /// Appends a `done` event.
    #[inline(always)]
    pub(crate) fn push_done(&mut self, head: Head, actor: u64, msg: u64) {
        self.compact(head, DONE, MsgKind::User, msg, actor, 0);
    }

    /// Makes room for one more event of up to [`MAX_UNITS`] units, starting
    /// a new chunk if the current one has not that room.
    fn room(&mut self) {
        if self.cur.used > CAP - MAX_UNITS {
            let next = Chunk::new(self.state, self.len);
            let full = std::mem::replace(&mut self.cur, next);
            self.full.push(full);
            self.limit.set(CAP - MAX_UNITS);
        }
    }

    /// Appends `ev` whole.
    #[cold]
    #[inline(never)]
    fn rare(&mut self, ev: Event) {
        self.room();
        let c = &mut self.cur;
        c.units[c.used] = OTHER as u32;
        c.used += 1;
        if let Some(d) = c.decoded.get_mut() {
            d.push(ev.clone());
        }
        self.state.step = ev.step;
        self.state.time = ev.time;
        c.rare.push(ev);
        self.len += 1;
    }

    /// Appends a common event: `a` and `b` are its actor fields, an
    /// optional one as 0 for none and the id otherwise: a send's sender
    /// and recipient, a delivery's recipient and sender, a done's actor
    /// (`b` 0).
    ///
    /// The usual event (a user message's, at the time of the event before,
    /// in its step or the next, caused by its step, the one before or
    /// nothing, and small figures) takes the few instructions of the fast
    /// path here; the rest go to [`EventLog::slow`].
    #[inline(always)]
    fn compact(&mut self, head: Head, kind: u64, what: MsgKind, msg: u64, a: u64, b: u64) {
        let st = self.state;
        let step_delta = head.step.wrapping_sub(st.step);
        let mode = cause_mode(head.step, head.cause);
        let z = zigzag(st.msg, msg);
        let (zs, as_, bs) = SMALL_SHIFTS;
        let (zb, ab, bb) = SMALL_BITS;
        let big = step_delta >> 1 | (head.time ^ st.time) | z >> zb | a >> ab | b >> bb;
        let used = self.cur.used;
        if big == 0 && mode != 3 && what == MsgKind::User && used < self.limit.get() {
            let w = kind | SMALL | step_delta << 3 | mode << CAUSE_SHIFT | z << zs | a << as_ | b << bs;
            if let Some(u) = self.cur.units.get_mut(used) {
                *u = w as u32;
                self.cur.used = used + 1;
                self.state.step = head.step;
                self.state.msg = msg;
                self.len += 1;
                return;
            }
        }
        self.slow(head, kind, what, msg, a, b);
    }

    /// [`EventLog::compact`] of an event that is not usual, or of any
    /// event once someone read the current chunk.
    #[cold]
    #[inline(never)]
    fn slow(&mut self, head: Head, kind: u64, what: MsgKind, msg: u64, a: u64, b: u64) {
        self.room();
        let Head { step, time, cause } = head;
        let st = self.state;
        let step_delta = step.wrapping_sub(st.step);
        let mode = cause_mode(step, cause);
        let z = zigzag(st.msg, msg);
        let fits = |(zb, ab, bb): (u32, u32, u32)| z < 1 << zb && a < 1 << ab && b < 1 << bb;
        let common = step_delta <= 1 && time == st.time && mode != 3 && what == MsgKind::User;
        let head_bits = kind | step_delta << 3 | mode << CAUSE_SHIFT;
        let c = &mut self.cur;
        let mut put = |u: u64| {
            c.units[c.used] = u as u32;
            c.used += 1;
        };
        if common && fits(SMALL_BITS) {
            let (zs, as_, bs) = SMALL_SHIFTS;
            put(head_bits | SMALL | z << zs | a << as_ | b << bs);
        } else if common && fits(WORD_BITS) {
            let (zs, as_, bs) = WORD_SHIFTS;
            let w = head_bits | z << zs | a << as_ | b << bs;
            put(w);
            put(w >> 32);
        } else {
            put(OTHER | WIDE | kind << 4 | (what as u64) << 8);
            for x in [step, time, cause, msg, a, b] {
                put(x);
                put(x >> 32);
            }
        }
        if let Some(d) = c.decoded.get_mut() {
            d.push(head.event(kind_of(kind, what, msg, a, b)));
        }
        self.state = State { step, time, msg };
        self.len += 1;
    }

    fn chunks(&self) -> impl DoubleEndedIterator<Item = &Chunk> + '_ {
        self.full.iter().chain(std::iter::once(&self.cur))
    }

    /// The events of the current chunk: decoding them sends later events
    /// through the slow path, which keeps the decoded copy up to date.
    fn current(&self) -> &[Event] {
        self.limit.set(0);
        self.cur.events()
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> + '_ {
        self.limit.set(0);
        self.chunks().flat_map(|c| c.events().iter())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, i: usize) -> Option<&Event> {
        if i >= self.cur.first {
            return self.current().get(i - self.cur.first);
        }
        let k = self.full.partition_point(|c| c.first <= i) - 1;
        let c = &self.full[k];
        c.events().get(i - c.first)
    }
}

/// The events of chunk `c`.
fn decode(c: &Chunk) -> Vec<Event> {
    let mut out = Vec::new();
    let mut st = c.start;
    let mut units = c.units[..c.used].iter().copied();
    let mut rare = c.rare.iter();
    let field = |w: u64, shift: u32, bits: u32| (w >> shift) & ((1 << bits) - 1);
    while let Some(w) = units.next() {
        let w = u64::from(w);
        let mut next = || u64::from(units.next().expect("engine invariant: the event log holds its events' units"));
        let kind = w & 3;
        if kind == OTHER && w & WIDE == 0 {
            let ev = rare.next().expect("engine invariant: a rare event's unit has its event").clone();
            st.step = ev.step;
            st.time = ev.time;
            out.push(ev);
            continue;
        }
        let (head, kind, what, msg, a, b) = if kind == OTHER {
            let mut long = || next() | next() << 32;
            let head = Head { step: long(), time: long(), cause: long() };
            let (msg, a, b) = (long(), long(), long());
            (head, (w >> 4) & 3, msg_kind(w >> 8 & 0xff), msg, a, b)
        } else {
            let (w, bits, shifts) =
                if w & SMALL != 0 { (w, SMALL_BITS, SMALL_SHIFTS) } else { (w | next() << 32, WORD_BITS, WORD_SHIFTS) };
            let step = st.step.wrapping_add(u64::from(w & STEP_NEXT != 0));
            let cause = match field(w, CAUSE_SHIFT, 2) {
                0 => 0,
                CAUSE_SELF => step,
                _ => step.wrapping_sub(1),
            };
            let msg = unzigzag(st.msg, field(w, shifts.0, bits.0));
            let (a, b) = (field(w, shifts.1, bits.1), field(w, shifts.2, bits.2));
            (Head { step, time: st.time, cause }, kind, MsgKind::User, msg, a, b)
        };
        st = State { step: head.step, time: head.time, msg };
        out.push(head.event(kind_of(kind, what, msg, a, b)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::StopReason;

    /// More events than one chunk holds, in the tests' terms.
    const CHUNK: usize = CAP;

    fn ev(step: u64, time: u64, cause: Option<u64>, kind: EventKind) -> Event {
        Event { step, time, cause, kind }
    }

    #[test]
    fn round_trip_of_every_shape() {
        let mut want = Vec::new();
        let big = u64::MAX;
        for i in 0..3 * CHUNK as u64 + 17 {
            let step = i / 3 + if i % 97 == 0 { 1000 } else { 0 };
            let time = i / 50;
            let cause = match i % 4 {
                0 => None,
                1 => Some(step),
                2 => Some(step.saturating_sub(3)),
                _ => Some(0),
            };
            let kind = match i % 9 {
                0 => EventKind::Send {
                    msg: MsgId(i),
                    from: Some(ActorId(i % 7)),
                    to: ActorId(2),
                    what: MsgKind::User,
                    payload: None,
                },
                1 => EventKind::Send {
                    msg: MsgId(big - i),
                    from: None,
                    to: ActorId(big),
                    what: MsgKind::Exit,
                    payload: None,
                },
                2 => EventKind::Deliver { msg: MsgId(i / 2), actor: ActorId(1_000_000), from: None },
                3 => EventKind::Deliver { msg: MsgId(0), actor: ActorId(0), from: Some(ActorId(big)) },
                4 => EventKind::Done { actor: ActorId(3), msg: MsgId(i) },
                5 => EventKind::Send {
                    msg: MsgId(i),
                    from: None,
                    to: ActorId(1),
                    what: MsgKind::Stop,
                    payload: Some("Ball { left: 3 }".into()),
                },
                6 => EventKind::Stop { actor: ActorId(4), reason: StopReason::Failed("boom".into()) },
                7 => EventKind::Done { actor: ActorId(big), msg: MsgId(big) },
                _ => EventKind::Interrupted {},
            };
            want.push(ev(step, time, cause, kind));
        }
        // Also a step and a time that go back, and a cause after its step.
        want.push(ev(1, 0, None, EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        want.push(ev(2, 5, Some(9), EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        // A cause the step before step 0 (wrapping both ways).
        want.push(ev(0, 5, Some(u64::MAX), EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        want.push(ev(u64::MAX, 5, Some(u64::MAX), EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        want.push(ev(0, 5, Some(u64::MAX), EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        let mut log = EventLog::default();
        for (i, e) in want.iter().enumerate() {
            log.push(e.clone());
            // Reading in the middle keeps later records readable.
            if i == CHUNK + 5 {
                assert_eq!(log.get(i), Some(e));
            }
        }
        assert_eq!(log.len(), want.len());
        let got: Vec<Event> = log.iter().cloned().collect();
        assert_eq!(got, want);
        let back: Vec<Event> = log.iter().rev().cloned().collect();
        assert!(back.iter().eq(want.iter().rev()));
        assert_eq!(log.get(want.len() - 1), want.last());
        assert_eq!(log.get(want.len()), None);
    }

    #[test]
    fn a_log_after_another_reuses_its_memory_and_none_of_its_events() {
        let spare = || SPARE.with(|s| s.borrow().len());
        let fill = |log: &mut EventLog, n: u64, actor: u64| {
            for i in 0..n {
                log.push_send(Head { step: i, time: 0, cause: i }, i + 1, actor, actor + 1);
            }
        };
        let mut first = EventLog::default();
        fill(&mut first, 3 * CHUNK as u64, 5);
        let chunks = first.full.len() + 1;
        let before = spare();
        drop(first);
        assert_eq!(spare(), (before + chunks).min(MAX_SPARE));
        // A shorter log, other figures: it ends where its own events do.
        let mut second = EventLog::default();
        fill(&mut second, CHUNK as u64 + 7, 9);
        assert_eq!(second.len(), CHUNK + 7);
        let got: Vec<Event> = second.iter().cloned().collect();
        assert_eq!(got.len(), CHUNK + 7);
        assert!(got.iter().enumerate().all(|(i, e)| e.step == i as u64
            && e.kind
                == EventKind::Send {
                    msg: MsgId(i as u64 + 1),
                    from: Some(ActorId(9)),
                    to: ActorId(10),
                    what: MsgKind::User,
                    payload: None
                }));
        // Never more than MAX_SPARE buffers kept.
        let logs: Vec<EventLog> = (0..MAX_SPARE + 3).map(|_| EventLog::default()).collect();
        drop(logs);
        assert_eq!(spare(), MAX_SPARE);
    }

    #[test]
    fn the_fast_pushes_record_what_push_does() {
        let mut fast = EventLog::default();
        let mut want = Vec::new();
        let big = u64::MAX;
        for i in 0..3 * CHUNK as u64 {
            let head = Head { step: i / 3, time: i / 100, cause: [0, i / 3, 1, big][i as usize % 4] };
            let (from, to) = ([0, 1, 7, big][i as usize / 4 % 4], [1, 2, big][i as usize % 3]);
            let opt = (from != 0).then_some(ActorId(from));
            let kind = match i % 3 {
                0 => {
                    fast.push_send(head, i, from, to);
                    EventKind::Send { msg: MsgId(i), from: opt, to: ActorId(to), what: MsgKind::User, payload: None }
                }
                1 => {
                    fast.push_deliver(head, i / 2, to, from);
                    EventKind::Deliver { msg: MsgId(i / 2), actor: ActorId(to), from: opt }
                }
                _ => {
                    fast.push_done(head, to, big - i);
                    EventKind::Done { actor: ActorId(to), msg: MsgId(big - i) }
                }
            };
            want.push(head.event(kind));
            // Reading the chunk being filled sends the later events through
            // the slow path, which keeps what was read up to date.
            if i == CHUNK as u64 / 2 {
                assert_eq!(fast.get(want.len() - 1), want.last());
                assert_eq!(fast.len(), want.len());
            }
        }
        assert_eq!(fast.get(want.len() / 3), Some(&want[want.len() / 3]));
        let got: Vec<Event> = fast.iter().cloned().collect();
        assert_eq!(got, want);
    }
}
