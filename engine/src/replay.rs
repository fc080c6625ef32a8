//! Replay: re-run a recorded run and compare it with its trace, event by
//! event (SPEC rule 30).
//!
//! The trace header holds everything the engine needs (seed, strategy,
//! limits, the scenario's name and parameters); the caller supplies the code
//! that set the run up, as a closure over the new [`System`]. The first
//! event that differs halts the re-run and is reported with the expected
//! and the actual event.
//!
//! ```
//! use rehearsal::{Actor, Config, Context, Handled, System};
//! use rehearsal::replay::replay;
//! use rehearsal::trace::TraceReader;
//!
//! struct Count(u32);
//! impl Actor for Count {
//!     type Msg = u32;
//!     fn handle(&mut self, _: &mut Context<'_, Self>, n: u32) -> Handled { self.0 += n; Ok(()) }
//! }
//! fn setup(sys: &mut System, n: u32) {
//!     let c = sys.spawn("count", Count(0));
//!     for i in 0..n { sys.send(c, i); }
//!     let _ = sys.run_until_idle();
//! }
//!
//! let mut file = Vec::new();
//! {
//!     let mut sys = System::with_trace_writer(Config::seeded(5), std::io::Cursor::new(Vec::new()), false);
//!     drop(sys);
//! }
//! // Record a run into a buffer shared with the writer.
//! let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
//! struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
//! impl std::io::Write for Shared {
//!     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.borrow_mut().extend_from_slice(b); Ok(b.len()) }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//! {
//!     let mut sys = System::with_trace_writer(Config::seeded(5), Shared(buf.clone()), false);
//!     setup(&mut sys, 3);
//! }
//! file.extend_from_slice(&buf.borrow());
//!
//! // The same code replays identically...
//! let same = replay(TraceReader::new(std::io::Cursor::new(file.clone()), "run.jsonl").unwrap(), |s| setup(s, 3)).unwrap();
//! assert!(same.divergence.is_none());
//! // ...and changed code is caught at the first event that differs.
//! let changed = replay(TraceReader::new(std::io::Cursor::new(file), "run.jsonl").unwrap(), |s| setup(s, 2)).unwrap();
//! assert!(changed.divergence.is_some());
//! ```

use std::fmt;
use std::io::BufRead;
use std::path::Path;

use crate::config::Config;
use crate::system::System;
use crate::trace::{Comparer, Divergence, TraceError, TraceHeader, TraceReader};

/// The result of a replay that could read its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayReport {
    /// The trace's header.
    pub header: TraceHeader,
    /// Events the re-run produced before it ended or diverged.
    pub events: u64,
    /// The first difference, if any.
    pub divergence: Option<Divergence>,
    /// The recorded run was interrupted (Ctrl-C, or an inspector's live run
    /// quit before the end): the re-run matched it up to the interruption
    /// and was stopped there.
    pub interrupted: bool,
}

impl ReplayReport {
    /// Returns true if and only if the re-run matched the trace exactly.
    pub fn is_identical(&self) -> bool {
        self.divergence.is_none()
    }
}

/// Why a replay could not be carried out.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplayError {
    /// The trace could not be read.
    Trace(TraceError),
    /// The setup code panicked although the run had not diverged.
    Setup(String),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Trace(e) => e.fmt(f),
            ReplayError::Setup(why) => {
                write!(f, "the setup code panicked during the replay: {why}")
            }
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<TraceError> for ReplayError {
    fn from(e: TraceError) -> Self {
        ReplayError::Trace(e)
    }
}

/// The configuration a trace header describes.
pub fn config_of(header: &TraceHeader) -> Config {
    Config {
        seed: header.seed,
        strategy: header.strategy,
        trace: header.level,
        max_steps: header.max_steps,
        limits: header.limits,
        scenario: header.scenario.clone(),
        params: header.params.clone(),
        faults: header.faults.clone(),
        print_panics: false,
    }
}

/// Re-runs the run `reader` recorded, with `setup` driving the new system,
/// and compares every event.
pub fn replay<R: BufRead + 'static>(
    reader: TraceReader<R>,
    setup: impl FnOnce(&mut System),
) -> Result<ReplayReport, ReplayError> {
    let header = reader.header().clone();
    let comparer = Comparer::new(Box::new(reader.into_numbered_events()));
    let mut sys = System::replaying(config_of(&header), comparer);
    let ran = {
        let _quiet = crate::panic::Quiet::enter(true);
        crate::panic::catch(|| setup(&mut sys))
    };
    let recorded = sys.events_recorded();
    let Some(mut cmp) = sys.core.trace.take_compare() else {
        return Err(ReplayError::Setup("the comparer went missing".into()));
    };
    if let Err(why) = ran {
        if cmp.divergence.is_none() && cmp.read_error.is_none() {
            return Err(ReplayError::Setup(why));
        }
    }
    cmp.finish();
    if let Some(e) = cmp.read_error.take() {
        // An error in the trace after the point where the run diverged
        // matters less than the divergence.
        if cmp.divergence.is_none() {
            return Err(ReplayError::Trace(e));
        }
    }
    let events = match &cmp.divergence {
        Some(d) => d.index,
        None if cmp.cut => cmp.index,
        None => recorded,
    };
    Ok(ReplayReport { header, events, divergence: cmp.divergence, interrupted: cmp.cut })
}

/// [`replay`] from a file.
pub fn replay_file(path: impl AsRef<Path>, setup: impl FnOnce(&mut System)) -> Result<ReplayReport, ReplayError> {
    replay(TraceReader::open(path)?, setup)
}
