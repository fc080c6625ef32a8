//! The trace: every event of a run, a running hash, and the JSON Lines file.
//!
//! A trace file is [JSON Lines](https://jsonlines.org): a header line, one
//! line per [`Event`], and a footer line. The format has one version
//! number, [`FORMAT_VERSION`]; a reader refuses a trace from a newer format
//! with an error naming the line instead of guessing.
//!
//! ```text
//! {"format":"rehearsal-trace","version":2,"engine":"0.1.0","scenario":"counter","seed":7,...}
//! {"step":0,"time":0,"kind":"spawn","actor":1,"name":"counter","type":"Counter"}
//! {"step":0,"time":0,"kind":"send","msg":1,"to":1}
//! {"step":1,"time":0,"kind":"deliver","msg":1,"actor":1}
//! {"step":1,"time":0,"cause":1,"kind":"done","actor":1,"msg":1}
//! {"end":{"events":4,"hash":"5f0c9a1e33b2d7c4"}}
//! ```
//!
//! The hash chains the events in order (each event is folded into the digest
//! of all events before it), so two traces with the same final hash are the
//! same run. Writing is streamed: a run that is interrupted leaves a readable
//! prefix, which a reader reports as truncated at its last line.

mod event;
mod file;
pub(crate) mod hash;
mod log;

use std::io::Write;

pub use event::{AskOutcome, DeadLetterReason, Event, EventKind, MsgKind, StopReason};
pub use file::{
    read_trace, read_trace_prefix, Trace, TraceError, TraceErrorKind, TraceFooter, TraceHeader, TraceReader,
    FORMAT_NAME, FORMAT_VERSION,
};

use crate::address::{ActorId, MsgId};
use crate::config::TraceLevel;
use event::{digest_deliver, digest_done, digest_send};
use file::TraceWriter;
use hash::{Digest, Words};
pub(crate) use log::{EventLog, Head};

/// Where a replay stopped agreeing with its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// The index of the first differing event (0-based, header not counted).
    pub index: u64,
    /// The line of the trace file that holds the expected event (the header
    /// is line 1).
    pub line: u64,
    /// The event the trace holds there; `None` if the trace ended first.
    pub expected: Option<Event>,
    /// The event the re-run produced; `None` if the run ended first.
    pub actual: Option<Event>,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = self.expected.as_ref().or(self.actual.as_ref()).map_or(0, |e| e.step);
        writeln!(f, "first difference at step {step} (event {}, trace line {}):", self.index, self.line)?;
        match &self.expected {
            Some(e) => writeln!(f, "  expected: {e}")?,
            None => writeln!(f, "  expected: the end of the run")?,
        }
        match &self.actual {
            Some(e) => write!(f, "  actual:   {e}"),
            None => write!(f, "  actual:   the end of the run"),
        }
    }
}

/// Compares the events of a re-run with the events of a trace, one by one.
pub(crate) struct Comparer {
    expected: Box<dyn Iterator<Item = Result<(u64, Event), TraceError>>>,
    pub(crate) index: u64,
    /// The line of the last expected event read (the header is line 1).
    line: u64,
    pub(crate) divergence: Option<Divergence>,
    pub(crate) read_error: Option<TraceError>,
    /// The trace ends with an interruption here: the re-run matched up to it.
    pub(crate) cut: bool,
}

impl Comparer {
    pub(crate) fn new(expected: Box<dyn Iterator<Item = Result<(u64, Event), TraceError>>>) -> Self {
        Comparer { expected, index: 0, line: 1, divergence: None, read_error: None, cut: false }
    }

    /// The next expected event, with its line.
    fn next(&mut self) -> Option<Result<Event, TraceError>> {
        match self.expected.next()? {
            Ok((line, e)) => {
                self.line = line;
                Some(Ok(e))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// Checks one event; returns true if and only if the run must halt.
    fn check(&mut self, actual: &Event) -> bool {
        if self.divergence.is_some() || self.read_error.is_some() || self.cut {
            return true;
        }
        let result = match self.next() {
            Some(Ok(e)) if &e == actual => None,
            Some(Ok(Event { kind: EventKind::Interrupted {}, .. })) => {
                // The recorded run was interrupted here (Ctrl-C, a live run
                // quit); the re-run was not: stop it at the same point.
                self.cut = true;
                return true;
            }
            Some(Ok(e)) => {
                Some(Divergence { index: self.index, line: self.line, expected: Some(e), actual: Some(actual.clone()) })
            }
            None => Some(Divergence {
                index: self.index,
                line: self.line + 1,
                expected: None,
                actual: Some(actual.clone()),
            }),
            Some(Err(e)) => {
                self.read_error = Some(e);
                return true;
            }
        };
        self.index += 1;
        match result {
            None => false,
            Some(d) => {
                self.divergence = Some(d);
                true
            }
        }
    }

    /// At the end of the run: any event left in the trace is a divergence.
    pub(crate) fn finish(&mut self) {
        if self.divergence.is_some() || self.read_error.is_some() {
            return;
        }
        match self.next() {
            None => {}
            Some(Ok(e)) => {
                self.divergence =
                    Some(Divergence { index: self.index, line: self.line, expected: Some(e), actual: None })
            }
            Some(Err(e)) => self.read_error = Some(e),
        }
    }
}

/// Where events go: the running hash always, and any of memory, a file, a
/// comparer.
pub(crate) struct Tracer {
    pub(crate) on: bool,
    pub(crate) payloads: bool,
    digest: Digest,
    count: u64,
    pub(crate) memory: Option<EventLog>,
    pub(crate) writer: Option<TraceWriter>,
    compare: Option<Comparer>,
    /// A writer or a comparer is set: events are built whole for them.
    out: bool,
}

impl Tracer {
    pub(crate) fn new(level: TraceLevel, keep_in_memory: bool) -> Self {
        let on = level != TraceLevel::Off;
        Tracer {
            on,
            payloads: level == TraceLevel::Payloads,
            digest: Digest::START,
            count: 0,
            memory: (on && keep_in_memory).then(EventLog::default),
            writer: None,
            compare: None,
            out: false,
        }
    }

    pub(crate) fn set_writer(&mut self, out: Box<dyn Write>, header: &TraceHeader) {
        self.writer = Some(TraceWriter::new(out, header));
        self.out = true;
    }

    /// Compares every event from now on with `c`'s.
    pub(crate) fn set_compare(&mut self, c: Comparer) {
        self.compare = Some(c);
        self.out = true;
    }

    /// Takes the comparer back, if any.
    pub(crate) fn take_compare(&mut self) -> Option<Comparer> {
        self.out = self.writer.is_some();
        self.compare.take()
    }

    /// Records one event. Returns true if and only if a replay comparison
    /// asks the run to halt.
    #[inline]
    pub(crate) fn record(&mut self, ev: Event) -> bool {
        ev.digest(&mut self.digest);
        self.count += 1;
        if self.out {
            return self.record_out(ev);
        }
        if let Some(m) = &mut self.memory {
            m.push(ev);
        }
        false
    }

    /// [`Tracer::record`] of a user message's `send` without payload
    /// (`from` 0 for none), without building the event unless a file or a
    /// comparison needs it.
    #[inline(always)]
    pub(crate) fn send(&mut self, head: Head, msg: u64, from: u64, to: u64) -> bool {
        let from_id = (from != 0).then_some(ActorId(from));
        let mut w = self.digest.begin();
        head.words(&mut w);
        digest_send(&mut w, MsgId(msg), from_id, ActorId(to), MsgKind::User);
        self.digest.end(w);
        self.count += 1;
        if self.out {
            let kind =
                EventKind::Send { msg: MsgId(msg), from: from_id, to: ActorId(to), what: MsgKind::User, payload: None };
            return self.record_out(head.event(kind));
        }
        if let Some(m) = &mut self.memory {
            m.push_send(head, msg, from, to);
        }
        false
    }

    /// [`Tracer::send`] with the message's `Debug` text.
    #[inline(never)]
    pub(crate) fn send_payload(&mut self, head: Head, msg: u64, from: u64, to: u64, text: &str) -> bool {
        let from_id = (from != 0).then_some(ActorId(from));
        let mut w = self.digest.begin();
        head.words(&mut w);
        digest_send(&mut w, MsgId(msg), from_id, ActorId(to), MsgKind::User);
        w.str(text);
        self.digest.end(w);
        self.count += 1;
        if self.out {
            let kind = EventKind::Send {
                msg: MsgId(msg),
                from: from_id,
                to: ActorId(to),
                what: MsgKind::User,
                payload: Some(text.into()),
            };
            return self.record_out(head.event(kind));
        }
        if let Some(m) = &mut self.memory {
            m.push_send_payload(head, msg, from, to, text);
        }
        false
    }

    /// [`Tracer::send`] for a `deliver` (`from` 0 for none).
    #[inline(always)]
    pub(crate) fn deliver(&mut self, head: Head, msg: u64, actor: u64, from: u64) -> bool {
        let from_id = (from != 0).then_some(ActorId(from));
        let mut w = self.digest.begin();
        head.words(&mut w);
        digest_deliver(&mut w, MsgId(msg), ActorId(actor), from_id);
        self.digest.end(w);
        self.count += 1;
        if self.out {
            let kind = EventKind::Deliver { msg: MsgId(msg), actor: ActorId(actor), from: from_id };
            return self.record_out(head.event(kind));
        }
        if let Some(m) = &mut self.memory {
            m.push_deliver(head, msg, actor, from);
        }
        false
    }

    /// [`Tracer::send`] for a `done`.
    #[inline(always)]
    pub(crate) fn done(&mut self, head: Head, actor: u64, msg: u64) -> bool {
        let mut w = self.digest.begin();
        head.words(&mut w);
        digest_done(&mut w, ActorId(actor), MsgId(msg));
        self.digest.end(w);
        self.count += 1;
        if self.out {
            return self.record_out(head.event(EventKind::Done { actor: ActorId(actor), msg: MsgId(msg) }));
        }
        if let Some(m) = &mut self.memory {
            m.push_done(head, actor, msg);
        }
        false
    }

    /// [`Tracer::record`] with a file or a comparison.
    #[inline(never)]
    fn record_out(&mut self, ev: Event) -> bool {
        if let Some(w) = &mut self.writer {
            w.event(&ev);
        }
        let mut halt = false;
        if let Some(c) = &mut self.compare {
            halt = c.check(&ev);
        }
        if let Some(m) = &mut self.memory {
            m.push(ev);
        }
        halt
    }

    pub(crate) fn hash(&self) -> u64 {
        self.digest.value()
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn footer(&self) -> TraceFooter {
        TraceFooter { events: self.count, hash: format_hash(self.hash()) }
    }

    /// Writes the footer and flushes; returns the first write error, if any.
    pub(crate) fn finish_writer(&mut self) -> Option<std::io::Error> {
        let footer = self.footer();
        self.writer.as_mut().and_then(|w| w.finish(&footer))
    }
}

/// Formats a trace hash the way traces and summaries print it: 16 hex digits.
///
/// ```
/// assert_eq!(rehearsal::trace::format_hash(255), "00000000000000ff");
/// ```
pub fn format_hash(h: u64) -> String {
    format!("{h:016x}")
}
