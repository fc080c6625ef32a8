//! The events of a run kept in memory, compactly.
//!
//! A run at full speed records three events per message (send, deliver,
//! done). Kept as [`Event`] values that is over 100 bytes each, and a run of
//! a million messages would write hundreds of megabytes of fresh memory:
//! most of the cost of tracing. So the log keeps each of those three kinds
//! relative to the event before: in one 32-bit unit when its figures are
//! small (a few actors, caused by its own step or the one before: the usual
//! case in a ping-pong), in two when they are larger (up to 32,767 actors,
//! a cause up to 16,382 steps back: a delivery with many messages in
//! flight), in three up to 8 million actors, in thirteen otherwise; a
//! send with a payload as a mark unit and its compact form, the text in a
//! run of the chunk's texts; and every other event (spawns, failures…:
//! rare) whole, on the side.
//!
//! An event of one or two units takes a short fast path: a few shifts, a
//! test of them all, one store. Anything else (three units or more, a rare
//! event, a full chunk) goes to a slow path out of line.
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
    /// The payloads of the chunk's sends that have one, one after another,
    /// and where each ends in it.
    texts: String,
    text_ends: Vec<u32>,
    /// The chunk decoded, once someone read it (kept up to date after).
    decoded: OnceCell<Vec<Event>>,
}

impl Chunk {
    fn new(start: State, first: usize) -> Self {
        // `try_with`: a log made while the thread ends takes fresh memory.
        let spare = SPARE.try_with(|s| s.borrow_mut().pop()).ok().flatten();
        let units = spare.unwrap_or_else(|| vec![0; CAP].into_boxed_slice());
        Chunk {
            start,
            first,
            units,
            used: 0,
            rare: Vec::new(),
            texts: String::new(),
            text_ends: Vec::new(),
            decoded: OnceCell::new(),
        }
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
// A short compact event (kind SEND, DELIVER or DONE) is of a user
// message if a send, at the time of the event before; bit 2 tells its size
// (set: one unit, clear: two, one 64-bit word low half first). Then bit 3
// is set if its step is one more than the step before (else the same), and
// follow its cause (0 for none, else the steps back from its own plus one:
// 1 for its own step), `zigzag(msg - last msg)` and the two actor fields
// (see `EventLog::compact`): in one unit, 2, 9, 9 and 8 bits; in two, 14,
// 16, 15 and 15 bits.
const SMALL: u64 = 1 << 2;
const STEP_NEXT: u64 = 1 << 3;
/// (cause, msg, a, b) bits and shifts in one unit, and in two.
const SMALL_BITS: [u32; 4] = [2, 9, 9, 8];
const SMALL_SHIFTS: [u32; 4] = [4, 6, 15, 24];
const WORD_BITS: [u32; 4] = [14, 16, 15, 15];
const WORD_SHIFTS: [u32; 4] = [4, 18, 34, 49];
// Kind OTHER, bit 2 set: a long compact event, in three units (96 bits,
// low unit first): bit 3 as STEP_NEXT, its kind in bits 4-5, then its
// cause as in a short one (22 bits), `zigzag(msg - last msg)` (22 bits)
// and the two actor fields (23 bits each): events of up to 8 million
// actors.
const LONG: u64 = 1 << 2;
const LONG_BITS: (u32, u32, u32, u32) = (22, 22, 23, 23);
const LONG_SHIFTS: (u32, u32, u32, u32) = (6, 28, 50, 73);
// Kind OTHER, bit 2 clear, bit 3: a rare event (0, the next of the chunk's
// rare events), or a wide one (1): a common event in 13 units (this one
// with its kind in bits 4-5 and its message kind in bits 8-15, then step,
// time, cause (0 for none), message, and the two actor fields, each in
// two).
const WIDE: u64 = 1 << 3;
// Kind OTHER, bits 2 and 3 clear, bit 4 set: not an event but the mark of
// a send with a payload, the next of the chunk's texts; the send follows.
const PAYLOAD: u64 = 1 << 4;

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
    /// Gives this head's words to the running hash (as `Event::words`
    /// begins).
    #[inline(always)]
    pub(crate) fn words(self, w: &mut impl super::hash::Words) {
        super::event::digest_head(w, self.step, self.time, (self.cause != 0).then_some(self.cause));
    }

    /// The event of this head and `kind`.
    pub(crate) fn event(self, kind: EventKind) -> Event {
        Event { step: self.step, time: self.time, cause: (self.cause != 0).then_some(self.cause), kind }
    }
}

/// The cause field of a compact event: 0 for none, else the steps back
/// from `step` plus one (1 for `step` itself). A cause after its step
/// (which the engine never records) gives a number that fits no short or
/// long form: wrapping makes it big, and the one step after, whose field
/// would wrap to 0, gets `u64::MAX`.
#[inline(always)]
fn cause_field(step: u64, cause: u64) -> u64 {
    if cause == 0 {
        0
    } else {
        match step.wrapping_sub(cause).wrapping_add(1) {
            0 => u64::MAX,
            c => c,
        }
    }
}

/// The cause of a compact event from its cause field.
fn cause_of(step: u64, c: u64) -> u64 {
    if c == 0 {
        0
    } else {
        step.wrapping_sub(c - 1)
    }
}

/// A short compact event's first unit, or its 64-bit word and `true` for
/// two units, if the event is one (see [`SMALL`]).
#[inline(always)]
fn short(head: Head, st: State, kind: u64, what: MsgKind, z: u64, a: u64, b: u64) -> Option<(u64, bool)> {
    let step_delta = head.step.wrapping_sub(st.step);
    let c = cause_field(head.step, head.cause);
    let same = step_delta >> 1 | (head.time ^ st.time);
    if what != MsgKind::User || same != 0 {
        return None;
    }
    let head_bits = kind | step_delta << 3;
    let (n, s) = (SMALL_BITS, SMALL_SHIFTS);
    if c >> n[0] | z >> n[1] | a >> n[2] | b >> n[3] == 0 {
        return Some((head_bits | SMALL | c << s[0] | z << s[1] | a << s[2] | b << s[3], false));
    }
    let (n, s) = (WORD_BITS, WORD_SHIFTS);
    if c >> n[0] | z >> n[1] | a >> n[2] | b >> n[3] == 0 {
        return Some((head_bits | c << s[0] | z << s[1] | a << s[2] | b << s[3], true));
    }
    None
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
            (Some(head), EventKind::Send { msg, from, to, what, payload }) => match (opt_actor(*from), payload) {
                (Some(f), None) => self.compact(head, SEND, *what, msg.0, f, to.0),
                (Some(f), Some(p)) if *what == MsgKind::User => self.push_send_payload(head, msg.0, f, to.0, p),
                _ => self.rare(ev),
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

    /// Appends a user message's `send` event with its payload `text`;
    /// `from` 0 for none.
    #[inline(never)]
    pub(crate) fn push_send_payload(&mut self, head: Head, msg: u64, from: u64, to: u64, text: &str) {
        // The mark and the send in one chunk: room for both now, so the
        // send's own `room` starts no new one.
        self.room_for(MAX_UNITS + 1);
        let c = &mut self.cur;
        let Ok(end) = u32::try_from(c.texts.len() + text.len()) else {
            // Over 4 GiB of texts in one chunk: this one whole.
            let from = (from != 0).then_some(ActorId(from));
            let payload = Some(text.into());
            let kind = EventKind::Send { msg: MsgId(msg), from, to: ActorId(to), what: MsgKind::User, payload };
            return self.rare(head.event(kind));
        };
        c.units[c.used] = (OTHER | PAYLOAD) as u32;
        c.used += 1;
        c.texts.push_str(text);
        c.text_ends.push(end);
        self.compact(head, SEND, MsgKind::User, msg, from, to);
        if let Some(EventKind::Send { payload, .. }) =
            self.cur.decoded.get_mut().and_then(|d| d.last_mut()).map(|e| &mut e.kind)
        {
            *payload = Some(text.into());
        }
    }

    /// Makes room for one more event of up to [`MAX_UNITS`] units, starting
    /// a new chunk if the current one has not that room.
    fn room(&mut self) {
        self.room_for(MAX_UNITS);
    }

    /// Makes room for `units` more units (at most [`MAX_UNITS`] + 1).
    fn room_for(&mut self, units: usize) {
        if self.cur.used > CAP - units {
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
    /// in its step or the next, in one or two units: see [`SMALL`]) takes
    /// the few instructions of the fast path here; the rest go to
    /// [`EventLog::slow`].
    #[inline(always)]
    fn compact(&mut self, head: Head, kind: u64, what: MsgKind, msg: u64, a: u64, b: u64) {
        let st = self.state;
        let z = zigzag(st.msg, msg);
        let used = self.cur.used;
        if let (Some((w, two)), true) = (short(head, st, kind, what, z, a, b), used < self.limit.get()) {
            if let Some(u) = self.cur.units.get_mut(used..used + 2) {
                u[0] = w as u32;
                u[1] = (w >> 32) as u32;
                self.cur.used = used + 1 + usize::from(two);
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
        let z = zigzag(st.msg, msg);
        let c = &mut self.cur;
        let mut put = |u: u64| {
            c.units[c.used] = u as u32;
            c.used += 1;
        };
        if let Some((w, two)) = short(head, st, kind, what, z, a, b) {
            put(w);
            if two {
                put(w >> 32);
            }
        } else if let Some(w) = long(head, st, kind, what, z, a, b) {
            put(w as u64);
            put((w >> 32) as u64);
            put((w >> 64) as u64);
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

    /// The events in order. The current chunk is decoded (and leaves the
    /// fast path) only if the iteration gets that far.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> + '_ {
        let current = std::iter::once_with(|| self.current()).flat_map(|events| events.iter());
        self.full.iter().flat_map(|c| c.events().iter()).chain(current)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The events from the `from`-th on, decoded for the caller alone:
    /// chunks nobody read stay undecoded, and the chunk being filled keeps
    /// its fast path.
    pub(crate) fn copy_from(&self, from: usize) -> Vec<Event> {
        if from >= self.len {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.len - from);
        for c in self.chunks().skip(self.chunk_of(from)) {
            let skip = from.saturating_sub(c.first);
            match c.decoded.get() {
                Some(d) => out.extend(d.iter().skip(skip).cloned()),
                None => out.extend(decode(c).into_iter().skip(skip)),
            }
        }
        out
    }

    pub(crate) fn get(&self, i: usize) -> Option<&Event> {
        if i >= self.len {
            return None;
        }
        match self.full.get(self.chunk_of(i)) {
            Some(c) => c.events().get(i - c.first),
            None => self.current().get(i - self.cur.first),
        }
    }

    /// Where event `i` (below `len`) is: its chunk's index in `full`, or
    /// `full.len()` for the current chunk.
    fn chunk_of(&self, i: usize) -> usize {
        if i >= self.cur.first {
            return self.full.len();
        }
        // `full[0].first` is 0, so some chunk starts at or before `i`.
        self.full.partition_point(|c| c.first <= i) - 1
    }
}

/// The three units of a long compact event (see [`LONG`]), if it is one.
fn long(head: Head, st: State, kind: u64, what: MsgKind, z: u64, a: u64, b: u64) -> Option<u128> {
    let step_delta = head.step.wrapping_sub(st.step);
    let c = cause_field(head.step, head.cause);
    let (cb, zb, ab, bb) = LONG_BITS;
    let fits = c < 1 << cb && z < 1 << zb && a < 1 << ab && b < 1 << bb;
    if !(fits && step_delta <= 1 && head.time == st.time && what == MsgKind::User) {
        return None;
    }
    let (cs, zs, as_, bs) = LONG_SHIFTS;
    let w = u128::from(OTHER | LONG | step_delta << 3 | kind << 4)
        | u128::from(c) << cs
        | u128::from(z) << zs
        | u128::from(a) << as_
        | u128::from(b) << bs;
    Some(w)
}

/// The events of chunk `c`.
fn decode(c: &Chunk) -> Vec<Event> {
    let mut out = Vec::new();
    let mut st = c.start;
    let mut units = c.units[..c.used].iter().copied();
    let mut rare = c.rare.iter();
    let mut texts = c.text_ends.iter().scan(0, |start, &end| {
        let text = &c.texts[*start..end as usize];
        *start = end as usize;
        Some(text)
    });
    let mut payload = None;
    while let Some(w) = units.next() {
        let w = u64::from(w);
        let mut next = || u64::from(units.next().expect("engine invariant: the event log holds its events' units"));
        let kind = w & 3;
        if kind == OTHER && w & (WIDE | LONG | PAYLOAD) == PAYLOAD {
            payload = Some(texts.next().expect("engine invariant: a payload's mark has its text"));
            continue;
        }
        if kind == OTHER && w & (WIDE | LONG) == 0 {
            let ev = rare.next().expect("engine invariant: a rare event's unit has its event").clone();
            st.step = ev.step;
            st.time = ev.time;
            out.push(ev);
            continue;
        }
        let (head, kind, what, msg, a, b) = if kind == OTHER && w & LONG != 0 {
            let w = u128::from(w) | u128::from(next()) << 32 | u128::from(next()) << 64;
            let field = |shift: u32, bits: u32| (w >> shift) as u64 & ((1 << bits) - 1);
            let (cb, zb, ab, bb) = LONG_BITS;
            let (cs, zs, as_, bs) = LONG_SHIFTS;
            let step = st.step.wrapping_add(u64::from(w as u64 & STEP_NEXT != 0));
            let cause = cause_of(step, field(cs, cb));
            let msg = unzigzag(st.msg, field(zs, zb));
            (
                Head { step, time: st.time, cause },
                (w as u64 >> 4) & 3,
                MsgKind::User,
                msg,
                field(as_, ab),
                field(bs, bb),
            )
        } else if kind == OTHER {
            let mut long = || next() | next() << 32;
            let head = Head { step: long(), time: long(), cause: long() };
            let (msg, a, b) = (long(), long(), long());
            (head, (w >> 4) & 3, msg_kind(w >> 8 & 0xff), msg, a, b)
        } else {
            let (w, bits, shifts) =
                if w & SMALL != 0 { (w, SMALL_BITS, SMALL_SHIFTS) } else { (w | next() << 32, WORD_BITS, WORD_SHIFTS) };
            let f = |k: usize| (w >> shifts[k]) & ((1 << bits[k]) - 1);
            let step = st.step.wrapping_add(u64::from(w & STEP_NEXT != 0));
            let cause = cause_of(step, f(0));
            let msg = unzigzag(st.msg, f(1));
            let (a, b) = (f(2), f(3));
            (Head { step, time: st.time, cause }, kind, MsgKind::User, msg, a, b)
        };
        st = State { step: head.step, time: head.time, msg };
        let mut ev = head.event(kind_of(kind, what, msg, a, b));
        if let (Some(text), EventKind::Send { payload: p, .. }) = (payload.take(), &mut ev.kind) {
            *p = Some(text.into());
        }
        out.push(ev);
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
        // Long forms: many actors, a cause some steps back or none; and
        // figures just past what they hold.
        for (actor, back, msg) in [(5_000_000, Some(5), 9), (5_000_000, None, 10), ((1 << 23) - 1, Some(1 << 21), 3)] {
            let step = 5_000_000u64;
            let cause = back.map(|b| step - b);
            want.push(ev(step, 7, cause, EventKind::Deliver { msg: MsgId(msg), actor: ActorId(actor), from: None }));
            want.push(ev(
                step,
                7,
                cause,
                EventKind::Deliver { msg: MsgId(msg), actor: ActorId(2), from: Some(ActorId(actor)) },
            ));
        }
        want.push(ev(5_000_000, 7, Some(5_000_000 - (1 << 22)), EventKind::Done { actor: ActorId(1), msg: MsgId(1) }));
        want.push(ev(5_000_000, 7, None, EventKind::Done { actor: ActorId(1 << 23), msg: MsgId(1 << 40) }));
        // A cause one step after its step (whose field would wrap to the
        // one for none), in each short and long form.
        for actor in [1, 600, 5_000_000] {
            want.push(ev(6, 7, Some(7), EventKind::Done { actor: ActorId(actor), msg: MsgId(1) }));
            want.push(ev(7, 7, Some(8), EventKind::Deliver { msg: MsgId(2), actor: ActorId(actor), from: None }));
        }
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

    /// Random events through every push, with reads at random moments
    /// (of the chunk being filled, of older ones, past the end): what is
    /// read is always what was pushed.
    #[test]
    fn random_pushes_and_reads_read_back_what_was_pushed() {
        use rand::{Rng, SeedableRng};
        for seed in 0..12u64 {
            let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut log = EventLog::default();
            let mut want: Vec<Event> = Vec::new();
            let (mut step, mut time, mut msg) = (0u64, 0u64, 0u64);
            let read_every = [40u64, 2_000, 20_000][seed as usize % 3];
            let actor = |r: &mut rand_chacha::ChaCha8Rng| match r.random_range(0..7) {
                0 => 0,
                1 => r.random_range(1..300),
                2 => r.random_range(300..40_000),
                3 => r.random_range(1..1 << 24),
                4 => u64::MAX - r.random_range(0..3),
                _ => r.random_range(1..5),
            };
            for _ in 0..25_000 {
                match r.random_range(0..40) {
                    0 => step = step.wrapping_add(r.random_range(0..50_000)),
                    1 => step = r.random_range(0..3),
                    2..=24 => step = step.wrapping_add(1),
                    _ => {}
                }
                if r.random_range(0..40) == 0 {
                    time = if r.random_range(0..10) == 0 {
                        r.random_range(0..3)
                    } else {
                        time + r.random_range(0..1 << 20)
                    };
                }
                msg = match r.random_range(0..10) {
                    0 => r.random(),
                    1 => msg.wrapping_sub(r.random_range(0..70_000)),
                    _ => msg.wrapping_add(r.random_range(0..300)),
                };
                let cause = match r.random_range(0..8) {
                    0 => 0,
                    1 | 2 => step,
                    3 => step.wrapping_sub(1),
                    4 => step.wrapping_sub(r.random_range(0..20_000)),
                    5 => step.wrapping_sub(r.random_range(0..1 << 23)),
                    _ => r.random(),
                };
                let head = Head { step, time, cause };
                let (a, b) = (actor(&mut r), actor(&mut r));
                let opt = |x: u64| (x != 0).then_some(ActorId(x));
                let ev = match (r.random_range(0..8), r.random_bool(0.5)) {
                    (0 | 1, true) => {
                        let payload = r.random_bool(0.2).then(|| "x".repeat(r.random_range(0..40)));
                        match &payload {
                            Some(p) => log.push_send_payload(head, msg, a, b, p),
                            None => log.push_send(head, msg, a, b),
                        }
                        let payload = payload.map(|p| p.as_str().into());
                        head.event(EventKind::Send {
                            msg: MsgId(msg),
                            from: opt(a),
                            to: ActorId(b),
                            what: MsgKind::User,
                            payload,
                        })
                    }
                    (2 | 3, true) => {
                        log.push_deliver(head, msg, a, b);
                        head.event(EventKind::Deliver { msg: MsgId(msg), actor: ActorId(a), from: opt(b) })
                    }
                    (4 | 5, true) => {
                        log.push_done(head, a, msg);
                        head.event(EventKind::Done { actor: ActorId(a), msg: MsgId(msg) })
                    }
                    (k, _) => {
                        let from = if r.random_range(0..9) == 0 { Some(ActorId(0)) } else { opt(a) };
                        let cause = if r.random_range(0..9) == 0 { Some(0) } else { (cause != 0).then_some(cause) };
                        let what = if r.random_range(0..6) == 0 { MsgKind::Credit } else { MsgKind::User };
                        let payload = (r.random_range(0..20) == 0).then(|| "Ping { n: 1 }".into());
                        let kind = match k {
                            0 | 1 => EventKind::Send { msg: MsgId(msg), from, to: ActorId(b), what, payload },
                            2 | 3 => EventKind::Deliver { msg: MsgId(msg), actor: ActorId(b), from },
                            4 | 5 => EventKind::Done { actor: ActorId(a), msg: MsgId(msg) },
                            6 => EventKind::Interrupted {},
                            _ => EventKind::Stop { actor: ActorId(a), reason: StopReason::Normal },
                        };
                        let e = Event { step, time, cause, kind };
                        log.push(e.clone());
                        e
                    }
                };
                want.push(ev);
                assert_eq!(log.len(), want.len());
                if r.random_range(0..read_every) == 0 {
                    let n = want.len();
                    for i in [n - 1, n, r.random_range(0..n), n.saturating_sub(r.random_range(0..20_000))] {
                        assert_eq!(log.get(i), want.get(i), "seed {seed}: event {i} of {n}");
                    }
                    let k = r.random_range(0..=n);
                    assert!(log.iter().take(k).eq(want.iter().take(k)), "seed {seed}: the first {k} of {n}");
                }
            }
            assert!(log.iter().eq(want.iter()), "seed {seed}");
            assert!(log.iter().rev().eq(want.iter().rev()), "seed {seed}");
            assert!(log.full.len() >= 2, "seed {seed}: the run spans chunks");
        }
    }

    #[test]
    fn a_copy_from_any_event_is_the_events_from_there_and_keeps_the_fast_path() {
        let mut log = EventLog::default();
        let mut want = Vec::new();
        for i in 0..3 * CHUNK as u64 {
            let head = Head { step: i / 3, time: 0, cause: i / 3 };
            log.push_send(head, i, 1 + i % 700, 2);
            want.push(head.event(EventKind::Send {
                msg: MsgId(i),
                from: Some(ActorId(1 + i % 700)),
                to: ActorId(2),
                what: MsgKind::User,
                payload: None,
            }));
            if i == CHUNK as u64 {
                // A chunk read whole: copies use its decoded events.
                assert_eq!(log.get(3), Some(&want[3]));
            }
        }
        assert!(log.full.len() >= 2);
        for from in
            [0, 1, 3, CHUNK, CHUNK + 1, log.cur.first, log.cur.first + 1, want.len() - 1, want.len(), want.len() + 5]
        {
            assert_eq!(log.copy_from(from), want[from.min(want.len())..], "from {from}");
        }
        assert_eq!(log.limit.get(), CAP - MAX_UNITS, "copying sends no event to the slow path");
        assert!(log.cur.decoded.get().is_none() && log.full[1].decoded.get().is_none());
        // Nor does asking past the end, or reading only full chunks.
        assert_eq!(log.get(want.len()), None);
        assert!(log.iter().take(CHUNK + 2).eq(want[..CHUNK + 2].iter()));
        assert_eq!(log.limit.get(), CAP - MAX_UNITS, "reading no event of the current chunk keeps its fast path");
        assert!(log.cur.decoded.get().is_none());
        // Reading into it does decode it, and later events keep that copy.
        assert!(log.iter().eq(want.iter()));
        assert_eq!(log.limit.get(), 0);
    }

    #[test]
    fn each_form_takes_its_units() {
        // (event, units) one after another from step 100, time 0, message 50.
        let deliver = |step: u64, cause: Option<u64>, msg: u64, actor: u64| {
            ev(step, 0, cause, EventKind::Deliver { msg: MsgId(msg), actor: ActorId(actor), from: Some(ActorId(1)) })
        };
        let cases = [
            (deliver(100, Some(100), 50, 2), 1),
            (deliver(101, Some(100), 51, 600), 2),
            (deliver(101, Some(90), 52, 3), 2),
            (deliver(30_000, Some(100), 53, 3), 13),
            (deliver(30_000, Some(10_000), 54, 3), 3),
            (deliver(30_001, None, 55, 5_000_000), 3),
            (deliver(30_001, Some(1), 1 << 30, 3), 13),
            (ev(30_001, 0, None, EventKind::Interrupted {}), 1),
            (
                ev(
                    30_001,
                    0,
                    Some(30_001),
                    EventKind::Send {
                        msg: MsgId((1 << 30) + 1),
                        from: Some(ActorId(3)),
                        to: ActorId(4),
                        what: MsgKind::User,
                        payload: Some("Ball { left: 3 }".into()),
                    },
                ),
                2,
            ),
        ];
        let mut log = EventLog::default();
        log.state = State { step: 100, time: 0, msg: 50 };
        log.cur.start = log.state;
        for (e, units) in &cases {
            let before = log.cur.used;
            log.push(e.clone());
            assert_eq!(log.cur.used - before, *units, "{e:?}");
        }
        let got: Vec<Event> = log.iter().cloned().collect();
        assert!(got.iter().eq(cases.iter().map(|c| &c.0)));
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
