//! Catching panics from actor code without printing them.
//!
//! A panic in a handler or hook is a failure for supervision, not a crash:
//! it is caught at the cell, and by default the panic message is recorded
//! as the failure reason instead of going to stderr. The hook is installed
//! once per process and passes every other panic (a test's own assertion,
//! another thread's) to the hook that was there before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err(panic text)`. With `quiet`, the
/// panic is not printed.
#[inline]
pub(crate) fn catch<R>(quiet: bool, f: impl FnOnce() -> R) -> Result<R, String> {
    if quiet {
        install();
        QUIET.with(|q| q.set(q.get() + 1));
    }
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    if quiet {
        QUIET.with(|q| q.set(q.get() - 1));
    }
    r.map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "panic with a non-text payload".to_string()
        }
    })
}
