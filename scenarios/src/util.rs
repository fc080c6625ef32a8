//! What the scenarios share: notebooks that outlive actors, dead letters by
//! message id, and short summaries for verdicts.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use rehearsal::{DeadLetterReason, System};

use crate::Verdict;

/// A notebook shared by a scenario's driver and its actors for one run. It
/// stands for what survives an actor's crash or kill (a database, what a
/// customer saw), and it is where the invariants look. A run is one thread,
/// so `Rc<RefCell<_>>`; each run makes its own, so runs stay deterministic.
pub(crate) type Shared<T> = Rc<RefCell<T>>;

/// A fresh notebook.
pub(crate) fn shared<T: Default>() -> Shared<T> {
    Rc::new(RefCell::new(T::default()))
}

/// The reason of every dead letter so far, by message id.
pub(crate) fn dead_by_msg(sys: &System) -> BTreeMap<u64, DeadLetterReason> {
    sys.dead_letters().iter().map(|d| (d.msg.0, d.reason)).collect()
}

/// Whether the run's fault plan injected anything.
pub(crate) fn faults_injected(sys: &System) -> bool {
    sys.stats().faults > 0
}

/// Counts of dead-letter reasons as `failed 2, pending_at_stop 1`.
pub(crate) fn histogram(counts: &BTreeMap<DeadLetterReason, u64>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    counts.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

/// The first `n` problems, joined, and how many more there are.
pub(crate) fn first_few(problems: &[String], n: usize) -> String {
    let mut s = problems.iter().take(n).cloned().collect::<Vec<_>>().join("; ");
    if problems.len() > n {
        s.push_str(&format!("; and {} more", problems.len() - n));
    }
    s
}

/// Why the run stopped early, if it did, for a verdict's detail.
pub(crate) fn stop_note(sys: &System) -> String {
    match sys.stopped() {
        Some(why) => format!(" (the system stopped: {why})"),
        None => String::new(),
    }
}

/// The verdict `name`, which holds when there are no `problems`: its detail
/// is then `ok()`, else the first `shown` problems.
pub(crate) fn no_problems(
    name: &'static str,
    problems: &[String],
    shown: usize,
    ok: impl FnOnce() -> String,
) -> Verdict {
    if problems.is_empty() {
        Verdict::new(name, true, ok())
    } else {
        Verdict::new(name, false, first_few(problems, shown))
    }
}
