//! Shared test helpers: an in-memory trace sink, a shared log that outlives
//! the actors writing to it, and small actors several test files use.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use rehearsal::{Actor, Context, Event, EventKind, Handled, System};

/// A `Write` over a shared byte buffer, so a test can read a trace after the
/// system that wrote it has been dropped (or while it still runs).
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl SharedBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        SharedBuf::default()
    }

    /// A copy of the bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }

    /// The bytes written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("a trace is UTF-8")
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A log shared between the test and its actors; it survives the actors'
/// stop, so post_stop hooks and stopped actors can still be observed.
#[derive(Clone, Default)]
pub struct Log(pub Rc<RefCell<Vec<String>>>);

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Log::default()
    }

    /// Appends one entry.
    pub fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }

    /// A copy of the entries so far.
    pub fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// An actor that logs every message (as `"{name}:{msg:?}"`) and its
/// `post_stop` (as `"{name}:post_stop"`).
pub struct Recorder {
    /// The prefix of its log entries.
    pub name: String,
    /// Where it logs.
    pub log: Log,
    /// How many messages it handled.
    pub handled: u32,
}

impl Recorder {
    /// A recorder logging to `log` under `name`.
    pub fn new(name: &str, log: &Log) -> Self {
        Recorder { name: name.to_string(), log: log.clone(), handled: 0 }
    }
}

impl Actor for Recorder {
    type Msg = u32;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: u32) -> Handled {
        self.handled += 1;
        self.log.push(format!("{}:{msg}", self.name));
        Ok(())
    }

    fn post_stop(&mut self, _ctx: &mut Context<'_, Self>) {
        self.log.push(format!("{}:post_stop", self.name));
    }
}

/// Runs `sys` one step at a time until it is idle (or at a limit), checking
/// message conservation after every step; returns the steps taken.
pub fn run_conserved(sys: &mut System) -> u64 {
    let mut n = 0;
    loop {
        let step = sys.step();
        assert!(
            sys.stats().conserved(),
            "conservation broken after {step:?} (step {}): {:?}",
            sys.steps(),
            sys.stats()
        );
        match step {
            rehearsal::Step::Delivered(_) | rehearsal::Step::Advanced(_) => n += 1,
            _ => return n,
        }
    }
}

/// The events kept in memory, cloned.
pub fn events(sys: &System) -> Vec<Event> {
    sys.events().cloned().collect()
}

/// The kinds of the events kept in memory that `pick` selects.
pub fn kinds_where(sys: &System, pick: impl Fn(&EventKind) -> bool) -> Vec<EventKind> {
    sys.events().map(|e| e.kind.clone()).filter(|k| pick(k)).collect()
}

/// The proptest settings every property here uses: `cases` cases from a
/// fixed seed, so CI runs the same cases every time (determinism is the
/// product). Set `REHEARSAL_PROPTEST_SEED` to explore other cases.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let seed = std::env::var("REHEARSAL_PROPTEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_2026);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..proptest::test_runner::Config::default()
    }
}
