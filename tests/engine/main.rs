//! Integration tests of the engine core (SPEC sections 1, 2, 6 and 8).

mod ask;
mod become_;
mod causality;
mod conservation;
mod determinism;
mod fifo;
mod foreign;
mod interleavings;
mod lifecycle;
mod panics;
mod replay;
mod stopping;
mod timers;
mod trace_files;
mod util;
