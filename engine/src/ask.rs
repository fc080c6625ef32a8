//! Request–reply: pending asks and how they complete (SPEC rules 26-27).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

use crate::address::ActorId;
use crate::system::Core;
use crate::trace::AskOutcome;

/// Why an ask got no reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AskError {
    /// The timeout (virtual time) passed first.
    Timeout,
    /// The target's handler failed while handling the request.
    Failed(String),
    /// The target stopped before replying, or was never there.
    Dead,
    /// The run reached its step limit before the ask completed.
    StepLimit,
    /// The run was halted (a replay diverged) before the ask completed.
    Halted,
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::Timeout => f.write_str("ask timed out"),
            AskError::Failed(why) => write!(f, "the target failed: {why}"),
            AskError::Dead => f.write_str("the target stopped before replying"),
            AskError::StepLimit => f.write_str("the step limit was reached before the reply"),
            AskError::Halted => f.write_str("the run was halted before the reply"),
        }
    }
}

impl std::error::Error for AskError {}

impl AskError {
    pub(crate) fn outcome(&self) -> AskOutcome {
        match self {
            AskError::Timeout => AskOutcome::Timeout,
            AskError::Failed(why) => AskOutcome::Failed(why.clone()),
            AskError::Dead => AskOutcome::Dead,
            AskError::StepLimit | AskError::Halted => AskOutcome::Abandoned,
        }
    }
}

pub(crate) type Reply = Result<Box<dyn Any>, AskError>;

/// Delivers an answer to an asking actor: the core, the answer, the replying
/// actor (0 if none).
pub(crate) type DeliverAnswer = Box<dyn FnOnce(&mut Core, Reply, u64)>;

/// Who waits for the answer.
pub(crate) enum Asker {
    /// A test, through [`System::ask`](crate::System::ask).
    External,
    /// An actor: the closure maps the answer into its own message type and
    /// sends it.
    Actor(DeliverAnswer),
}

pub(crate) struct Pending {
    pub(crate) target: ActorId,
    pub(crate) request: u64,
    pub(crate) timer: u64,
    pub(crate) asker: Asker,
}

#[derive(Default)]
pub(crate) struct Asks {
    pub(crate) pending: BTreeMap<u64, Pending>,
    /// Request message id → ask id.
    pub(crate) by_request: BTreeMap<u64, u64>,
    /// Answers waiting for an external asker.
    pub(crate) external: BTreeMap<u64, Reply>,
    pub(crate) next: u64,
}
