//! Asking the CPU to fetch memory that will be read soon.
//!
//! The one use: with many runnable actors, the scheduler knows a few steps
//! ahead which actors will most likely run (see `RandomSet::upcoming`), and
//! the engine fetches their runnable entries, slots, mailboxes and state
//! while the current delivery runs. A prefetch is only a hint: it changes
//! no value, so nothing here touches what a run does, only how long it
//! waits for memory.

/// Starts fetching the cache line that holds `r` into every cache level.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn prefetch<T: ?Sized>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has (it is
    // in the target's baseline features); it reads nothing and cannot
    // fault, whatever the address, and here the address is a live
    // reference's anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((r as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
