//! Catching panics from actor code without printing them.
//!
//! A panic in a handler or hook is a failure for supervision, not a crash:
//! it is caught at the cell, and by default the panic message is recorded
//! as the failure reason instead of going to stderr. The hook is installed
//! once per process and stays silent only while a [`Quiet`] guard is alive
//! on the panicking thread (the engine holds one while it runs actor code);
//! every other panic (a test's own assertion, another thread's) goes to the
//! hook that was there before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Installs the process-wide hook (once).
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// While alive (and made with `on`), panics on this thread are not printed.
pub(crate) struct Quiet(bool);

impl Quiet {
    #[inline]
    pub(crate) fn enter(on: bool) -> Quiet {
        if on {
            QUIET.with(|q| q.set(q.get() + 1));
        }
        Quiet(on)
    }
}

impl Drop for Quiet {
    #[inline]
    fn drop(&mut self) {
        if self.0 {
            QUIET.with(|q| q.set(q.get() - 1));
        }
    }
}

/// Runs `f`, turning a panic into `Err(panic text)`.
#[inline(always)]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "panic with a non-text payload".to_string()
        }
    })
}
