//! The trace file: header, events, footer; the streaming writer and the
//! reader that never panics on a bad file.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::hash::{ChainDigest, Digest};
use crate::config::{Strategy, TraceLevel};

/// The `format` field of every trace header.
pub const FORMAT_NAME: &str = "rehearsal-trace";

/// The trace format version this engine writes and the newest it reads.
///
/// Version 2 changed only how the footer's hash folds the events in (see
/// the module `trace::hash`): version 1 traces are still read, and their
/// hash checked, the way they were written.
pub const FORMAT_VERSION: u32 = 2;

/// The first line of a trace: everything needed to rebuild the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version, [`FORMAT_VERSION`] when written by this engine.
    pub version: u32,
    /// The version of the engine that wrote the trace.
    pub engine: String,
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The scheduling strategy.
    pub strategy: Strategy,
    /// What the trace records.
    pub level: TraceLevel,
    /// The step limit.
    pub max_steps: u64,
    /// The other limits.
    #[serde(default)]
    pub limits: crate::config::Limits,
    /// The scenario's parameters.
    #[serde(default)]
    pub params: serde_json::Value,
    /// The fault plan the run used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<crate::faults::FaultPlan>,
}

/// The last line of a complete trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFooter {
    /// How many events the trace holds.
    pub events: u64,
    /// The final running hash, as 16 hex digits.
    pub hash: String,
}

#[derive(Serialize, Deserialize)]
struct FooterLine {
    end: TraceFooter,
}

/// Why a trace could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceErrorKind {
    /// The file could not be opened or read.
    Io(String),
    /// The file is empty.
    Empty,
    /// The first line is not a rehearsal trace header.
    NotATrace(String),
    /// The trace was written by a newer format.
    FutureVersion {
        /// The version in the file.
        found: u32,
    },
    /// A line is not valid JSON for what belongs there.
    BadLine(String),
    /// The file ends before the footer: an interrupted run, or a cut file.
    Truncated,
    /// The footer's event count disagrees with the events read.
    CountMismatch {
        /// What the footer says.
        footer: u64,
        /// What was read.
        read: u64,
    },
    /// The footer's hash disagrees with the events read: an edited trace.
    HashMismatch {
        /// What the footer says.
        footer: String,
        /// What the events hash to.
        computed: String,
    },
    /// Something follows the footer.
    TrailingData,
}

/// An error reading a trace, naming the file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The file (or a description of the source).
    pub file: String,
    /// The 1-based line the error is on.
    pub line: u64,
    /// What is wrong.
    pub kind: TraceErrorKind,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: the file as a whole (it could not be opened).
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}: ", self.file, self.line)?;
        }
        match &self.kind {
            TraceErrorKind::Io(e) => write!(f, "cannot read the trace: {e}"),
            TraceErrorKind::Empty => write!(f, "the file is empty; expected a rehearsal trace header"),
            TraceErrorKind::NotATrace(why) => {
                write!(f, "not a rehearsal trace: expected a header line with \"format\":\"{FORMAT_NAME}\" ({why})")
            }
            TraceErrorKind::FutureVersion { found } => write!(
                f,
                "trace format version {found} is newer than this rehearsal reads (up to {FORMAT_VERSION}); upgrade rehearsal"
            ),
            TraceErrorKind::BadLine(why) => write!(f, "expected an event or the end line: {why}"),
            TraceErrorKind::Truncated => {
                write!(f, "the trace ends without its end line (an interrupted run or a cut file)")
            }
            TraceErrorKind::CountMismatch { footer, read } => {
                write!(f, "the end line says {footer} events but {read} were read")
            }
            TraceErrorKind::HashMismatch { footer, computed } => write!(
                f,
                "the end line's hash {footer} does not match the events ({computed}): the trace was edited or corrupted"
            ),
            TraceErrorKind::TrailingData => write!(f, "unexpected data after the end line"),
        }
    }
}

impl std::error::Error for TraceError {}

// ===== writer =====

/// Streams a trace to a writer: header at once, each event as it happens.
pub(crate) struct TraceWriter {
    out: BufWriter<Box<dyn Write>>,
    line: Vec<u8>,
    error: Option<io::Error>,
    finished: bool,
}

impl TraceWriter {
    pub(crate) fn new(out: Box<dyn Write>, header: &TraceHeader) -> Self {
        let mut w = TraceWriter {
            out: BufWriter::with_capacity(64 * 1024, out),
            line: Vec::with_capacity(256),
            error: None,
            finished: false,
        };
        w.line(header);
        if let Err(e) = w.out.flush() {
            w.error.get_or_insert(e);
        }
        w
    }

    fn line<T: Serialize>(&mut self, value: &T) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        // Serializing our own types to a Vec cannot fail.
        if serde_json::to_writer(&mut self.line, value).is_ok() {
            self.line.push(b'\n');
            if let Err(e) = self.out.write_all(&self.line) {
                self.error = Some(e);
            }
        }
    }

    #[inline]
    pub(crate) fn event(&mut self, ev: &Event) {
        self.line(ev);
    }

    pub(crate) fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }

    pub(crate) fn finish(&mut self, footer: &TraceFooter) -> Option<io::Error> {
        if !self.finished {
            self.finished = true;
            self.line(&FooterLine { end: footer.clone() });
            self.flush();
        }
        self.error.as_ref().map(|e| io::Error::new(e.kind(), e.to_string()))
    }
}

// ===== reader =====

/// Reads a trace line by line: the header first, then events, checking the
/// footer's count and hash at the end. Every problem is an error naming the
/// line; nothing panics.
pub struct TraceReader<R> {
    input: R,
    file: String,
    header: TraceHeader,
    line_no: u64,
    buf: String,
    digest: ReadDigest,
    read: u64,
    footer: Option<TraceFooter>,
    done: bool,
}

/// The running hash of the events read, in the header's format.
enum ReadDigest {
    V1(ChainDigest),
    V2(Digest),
}

impl ReadDigest {
    fn event(&mut self, ev: &Event) {
        match self {
            ReadDigest::V1(d) => ev.words(d),
            ReadDigest::V2(d) => ev.digest(d),
        }
    }

    fn value(&self) -> u64 {
        match self {
            ReadDigest::V1(d) => d.value(),
            ReadDigest::V2(d) => d.value(),
        }
    }
}

/// A whole trace in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The header.
    pub header: TraceHeader,
    /// The events, in order.
    pub events: Vec<Event>,
    /// The footer.
    pub footer: TraceFooter,
}

/// Reads a whole trace file.
///
/// ```
/// # use rehearsal::trace::{read_trace, TraceErrorKind};
/// let dir = std::env::temp_dir().join("rehearsal-doc-read-trace");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("garbage.jsonl");
/// std::fs::write(&path, "hello\n").unwrap();
/// let err = read_trace(&path).unwrap_err();
/// assert_eq!(err.line, 1);
/// assert!(matches!(err.kind, TraceErrorKind::NotATrace(_)));
/// ```
pub fn read_trace(path: impl AsRef<Path>) -> Result<Trace, TraceError> {
    let path = path.as_ref();
    let mut r = TraceReader::open(path)?;
    let mut events = Vec::new();
    while let Some(ev) = r.next_event()? {
        events.push(ev);
    }
    let footer = r.footer.clone().ok_or_else(|| r.error(TraceErrorKind::Truncated))?;
    Ok(Trace { header: r.header, events, footer })
}

/// Reads as much of the trace at `path` as is whole: its header must be
/// good, but a file cut short (a run killed mid-write) or damaged further on
/// gives the events before the damage, with the error that stopped the
/// reading. The footer of a prefix counts its events and has no hash.
///
/// ```
/// # use rehearsal::{Actor, Context, Handled};
/// # struct A;
/// # impl Actor for A {
/// #     type Msg = u32;
/// #     fn handle(&mut self, _: &mut Context<'_, Self>, _: u32) -> Handled { Ok(()) }
/// # }
/// # let dir = std::env::temp_dir().join(format!("rehearsal-prefix-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("cut.jsonl");
/// let mut sys = rehearsal::System::with_trace_writer(
///     rehearsal::Config::seeded(1),
///     std::fs::File::create(&path).unwrap(),
///     false,
/// );
/// sys.spawn("a", A);
/// sys.finish().unwrap();
/// drop(sys);
/// let full = std::fs::read_to_string(&path).unwrap();
/// // Cut the end line off.
/// let cut: String = full.lines().take(2).map(|l| format!("{l}\n")).collect();
/// std::fs::write(&path, cut).unwrap();
/// let (trace, error) = rehearsal::trace::read_trace_prefix(&path).unwrap();
/// assert_eq!(trace.events.len(), 1);
/// assert!(error.unwrap().to_string().contains("ends without its end line"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_trace_prefix(path: impl AsRef<Path>) -> Result<(Trace, Option<TraceError>), TraceError> {
    let mut r = TraceReader::open(path.as_ref())?;
    let mut events = Vec::new();
    let error = loop {
        match r.next_event() {
            Ok(Some(ev)) => events.push(ev),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let footer = r.footer.clone().unwrap_or(TraceFooter { events: events.len() as u64, hash: String::new() });
    Ok((Trace { header: r.header, events, footer }, error))
}

impl TraceReader<BufReader<File>> {
    /// Opens a trace file and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let io_err = |e: io::Error| TraceError { file: name.clone(), line: 0, kind: TraceErrorKind::Io(e.to_string()) };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.is_dir() {
            return Err(io_err(io::Error::other("it is a directory, not a file")));
        }
        let f = File::open(path).map_err(io_err)?;
        TraceReader::new(BufReader::with_capacity(256 * 1024, f), name)
    }
}

impl<R: BufRead> TraceReader<R> {
    /// Reads the header from `input`; `file` names the source in errors.
    pub fn new(input: R, file: impl Into<String>) -> Result<Self, TraceError> {
        let mut r = TraceReader {
            input,
            file: file.into(),
            header: TraceHeader {
                format: String::new(),
                version: 0,
                engine: String::new(),
                scenario: String::new(),
                seed: 0,
                strategy: Strategy::Fifo,
                level: TraceLevel::Off,
                max_steps: 0,
                limits: crate::config::Limits::default(),
                params: serde_json::Value::Null,
                faults: None,
            },
            line_no: 0,
            buf: String::new(),
            digest: ReadDigest::V2(Digest::START),
            read: 0,
            footer: None,
            done: false,
        };
        match r.read_line() {
            Ok(true) => {}
            Ok(false) => return Err(r.error(TraceErrorKind::Empty)),
            Err(TraceError { kind: TraceErrorKind::BadLine(why), line, file }) => {
                return Err(TraceError { file, line, kind: TraceErrorKind::NotATrace(why) })
            }
            Err(e) => return Err(e),
        }
        let v: serde_json::Value = serde_json::from_str(&r.buf)
            .map_err(|e| r.error(TraceErrorKind::NotATrace(format!("not JSON: {}", Self::json_error(&e)))))?;
        match v.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT_NAME) => {}
            Some(other) => return Err(r.error(TraceErrorKind::NotATrace(format!("format is \"{other}\"")))),
            None => return Err(r.error(TraceErrorKind::NotATrace("no \"format\" field".into()))),
        }
        match v.get("version").and_then(|f| f.as_u64()) {
            Some(n) if n > u64::from(FORMAT_VERSION) => {
                return Err(r.error(TraceErrorKind::FutureVersion { found: u32::try_from(n).unwrap_or(u32::MAX) }))
            }
            Some(0) => return Err(r.error(TraceErrorKind::NotATrace("version 0: versions start at 1".into()))),
            Some(_) => {}
            None => return Err(r.error(TraceErrorKind::NotATrace("no numeric \"version\" field".into()))),
        }
        r.header = serde_json::from_value(v)
            .map_err(|e| r.error(TraceErrorKind::NotATrace(format!("bad header: {}", Self::json_error(&e)))))?;
        if r.header.version == 1 {
            r.digest = ReadDigest::V1(ChainDigest::START);
        }
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// The footer, once every event has been read.
    pub fn footer(&self) -> Option<&TraceFooter> {
        self.footer.as_ref()
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line_no
    }

    fn error(&self, kind: TraceErrorKind) -> TraceError {
        TraceError { file: self.file.clone(), line: self.line_no.max(1), kind }
    }

    /// A JSON error on the current line, without serde's own "at line 1
    /// column N" (the line is ours; the column is kept).
    fn json_error(e: &serde_json::Error) -> String {
        let text = e.to_string();
        match text.rfind(" at line ") {
            Some(at) => format!("{} (column {})", &text[..at], e.column()),
            None => text,
        }
    }

    /// Reads the next non-empty line into `buf`; false at the end of input.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        loop {
            self.buf.clear();
            let n = self.input.read_line(&mut self.buf).map_err(|e| {
                let kind = if e.kind() == io::ErrorKind::InvalidData {
                    TraceErrorKind::BadLine("the line is not valid UTF-8".into())
                } else {
                    TraceErrorKind::Io(e.to_string())
                };
                TraceError { file: self.file.clone(), line: self.line_no + 1, kind }
            })?;
            if n == 0 {
                return Ok(false);
            }
            self.line_no += 1;
            if !self.buf.trim().is_empty() {
                return Ok(true);
            }
        }
    }

    /// The next event; `Ok(None)` after the footer, which has then been
    /// checked against the events read.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        if self.done {
            return Ok(None);
        }
        if !self.read_line()? {
            self.done = true;
            self.line_no += 1;
            return Err(self.error(TraceErrorKind::Truncated));
        }
        let line = self.buf.trim_start();
        if line.starts_with("{\"end\"") {
            let f: FooterLine = serde_json::from_str(&self.buf)
                .map_err(|e| self.error(TraceErrorKind::BadLine(format!("bad end line: {}", Self::json_error(&e)))))?;
            self.done = true;
            if f.end.events != self.read {
                return Err(self.error(TraceErrorKind::CountMismatch { footer: f.end.events, read: self.read }));
            }
            let computed = super::format_hash(self.digest.value());
            if f.end.hash != computed {
                return Err(self.error(TraceErrorKind::HashMismatch { footer: f.end.hash, computed }));
            }
            self.footer = Some(f.end);
            if self.read_line()? {
                return Err(self.error(TraceErrorKind::TrailingData));
            }
            return Ok(None);
        }
        let ev: Event =
            serde_json::from_str(&self.buf).map_err(|e| self.error(TraceErrorKind::BadLine(Self::json_error(&e))))?;
        self.digest.event(&ev);
        self.read += 1;
        Ok(Some(ev))
    }

    /// The events as an iterator; it ends after the footer or at the first
    /// error, which it yields.
    pub fn into_events(self) -> impl Iterator<Item = Result<Event, TraceError>> {
        self.into_numbered_events().map(|r| r.map(|(_, e)| e))
    }

    /// The events with the line each is on.
    pub(crate) fn into_numbered_events(mut self) -> impl Iterator<Item = Result<(u64, Event), TraceError>> {
        let mut failed = false;
        std::iter::from_fn(move || {
            if failed {
                return None;
            }
            match self.next_event() {
                Ok(Some(e)) => Some(Ok((self.line_no, e))),
                Ok(None) => None,
                Err(e) => {
                    failed = true;
                    Some(Err(e))
                }
            }
        })
    }
}
