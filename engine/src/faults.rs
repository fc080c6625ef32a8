//! Fault injection: plans of named rules that crash, kill, drop, duplicate,
//! delay, shrink, slow and partition (SPEC section 7).
//!
//! A plan is built in code or read from a TOML file, one `[[rule]]` table per
//! rule:
//!
//! ```toml
//! [[rule]]
//! name = "crash-workers"      # appears in the trace on every fault it injects
//! actors = "worker*"          # a glob on actor names, or "type:Worker" on types
//! messages = "Work*"          # optional: a glob on the message kind
//! probability = 0.05          # the trigger: probability, at_message or at_time
//! action = "crash"
//! ```
//!
//! Triggers (exactly one, except for `partition`, which has its window):
//! - `probability = p`: each matching event, with probability `p` drawn from
//!   the fault stream (never the schedule stream, so adding a rule does not
//!   reshuffle the schedule);
//! - `at_message = n`: the `n`-th matching message to each matching actor
//!   (1-based), once per actor;
//! - `at_time = t`: the first matching event at or after virtual time `t`,
//!   once per actor; for `kill` and `shrink_mailbox`, every matching actor
//!   alive at `t`.
//!
//! Actions and their fields:
//! - `crash`: the handler fails (as a panic would) instead of handling the message;
//! - `kill`: the actor is killed before it handles the message;
//! - `drop`: the message is lost in transit (a dead letter `injected_drop`);
//! - `duplicate`: the message arrives twice, if its type was registered with
//!   [`System::allow_duplicates`](crate::System::allow_duplicates);
//! - `delay`, with `delay = [min, max]`: the message arrives `min..=max`
//!   ticks later (this may break per-pair FIFO; the trace says so);
//! - `shrink_mailbox`, with `capacity = n`: the actor's mailbox holds at most `n`;
//! - `slow`, with `ticks = n`: after handling, the actor takes nothing for `n` ticks;
//! - `partition`, with `with = "glob"`, `from = t1`, `until = t2`: messages
//!   between the `actors` group and the `with` group are dropped while
//!   `t1 <= now < t2` (a dead letter `partitioned`).
//!
//! Crash, kill and slow act when a message is delivered; drop, duplicate,
//! delay and partition when it is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Which actors a rule applies to: a glob on names (`worker*`), or on
/// type names with a `type:` prefix (`type:Worker`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Selector(pub String);

impl Selector {
    /// Returns true if and only if an actor with this name and type matches.
    ///
    /// ```
    /// use rehearsal::faults::Selector;
    /// assert!(Selector("worker*".into()).matches("worker-3", "Worker"));
    /// assert!(Selector("type:Work?r".into()).matches("w", "Worker"));
    /// assert!(!Selector("db*".into()).matches("worker-3", "Worker"));
    /// ```
    pub fn matches(&self, name: &str, type_name: &str) -> bool {
        match self.0.strip_prefix("type:") {
            Some(t) => glob(t, type_name),
            None => glob(&self.0, name),
        }
    }
}

/// `*` matches any run of characters, `?` any one character.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The kind of a message, for `messages` globs: its `Debug` text up to the
/// first `(`, `{` or space (`Work(3)` is `Work`).
pub fn message_kind(debug: &str) -> &str {
    let end = debug.find(['(', '{', ' ']).unwrap_or(debug.len());
    &debug[..end]
}

/// When a rule fires.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// At the n-th matching message to each matching actor (1-based).
    AtMessage(u64),
    /// At the first matching event at or after this virtual time.
    AtTime(u64),
    /// At each matching event with this probability.
    Probability(f64),
    /// Always (a partition within its window).
    Always,
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The handler fails instead of handling the message.
    Crash,
    /// The actor is killed before it handles the message.
    Kill,
    /// The message is lost in transit.
    Drop,
    /// The message arrives twice.
    Duplicate,
    /// The message arrives this many ticks later (a range, drawn per message).
    Delay {
        /// The shortest delay.
        min: u64,
        /// The longest delay.
        max: u64,
    },
    /// The actor's mailbox holds at most this many user messages.
    ShrinkMailbox(u32),
    /// After handling, the actor takes nothing for this many ticks.
    Slow(u64),
    /// Messages between the rule's actors and these are dropped in [from, until).
    Partition {
        /// The other group.
        with: Selector,
        /// When the partition starts.
        from: u64,
        /// When it heals.
        until: u64,
    },
}

impl Action {
    /// The action's name, as plans and traces write it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Crash => "crash",
            Action::Kill => "kill",
            Action::Drop => "drop",
            Action::Duplicate => "duplicate",
            Action::Delay { .. } => "delay",
            Action::ShrinkMailbox(_) => "shrink_mailbox",
            Action::Slow(_) => "slow",
            Action::Partition { .. } => "partition",
        }
    }

    /// Returns true if and only if the action acts when a message is sent
    /// (rather than delivered).
    pub fn at_send(&self) -> bool {
        matches!(self, Action::Drop | Action::Duplicate | Action::Delay { .. } | Action::Partition { .. })
    }
}

/// One named rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Its name, in the trace on every fault it injects.
    pub name: String,
    /// The actors it applies to.
    pub actors: Selector,
    /// Optionally, a glob on message kinds (see [`message_kind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<String>,
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub action: Action,
}

/// A fault plan: rules applied in order; the first that fires on an event wins.
///
/// ```
/// use rehearsal::faults::{FaultPlan, Action, Trigger};
/// let plan = FaultPlan::from_toml_str(
///     "[[rule]]\nname = \"crash-workers\"\nactors = \"worker*\"\nprobability = 0.05\naction = \"crash\"\n",
///     "plan.toml",
/// ).unwrap();
/// assert_eq!(plan.rules[0].trigger, Trigger::Probability(0.05));
/// assert_eq!(plan.rules[0].action, Action::Crash);
///
/// let err = FaultPlan::from_toml_str("[[rule]]\nname = \"x\"\nactors = \"*\"\nprobability = 2.0\naction = \"crash\"\n", "bad.toml").unwrap_err();
/// assert_eq!((err.line, err.field.as_deref()), (4, Some("probability")));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules, in order.
    pub rules: Vec<FaultRule>,
}

/// A fault plan file that could not be read: the file, the line, the field
/// where there is one, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultPlanError {
    /// The file (or a description of the source).
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// The field, if the error is about one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FaultPlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: about the file as a whole (it could not be read).
        match (&self.field, self.line) {
            (Some(field), 0) => write!(f, "{}: field `{field}`: {}", self.file, self.message),
            (Some(field), line) => write!(f, "{}:{line}: field `{field}`: {}", self.file, self.message),
            (None, 0) => write!(f, "{}: {}", self.file, self.message),
            (None, line) => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for FaultPlanError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<Spanned<String>>,
    actors: Option<Spanned<String>>,
    messages: Option<Spanned<String>>,
    probability: Option<Spanned<f64>>,
    at_message: Option<Spanned<i64>>,
    at_time: Option<Spanned<i64>>,
    action: Option<Spanned<String>>,
    delay: Option<Spanned<Vec<i64>>>,
    capacity: Option<Spanned<i64>>,
    ticks: Option<Spanned<i64>>,
    with: Option<Spanned<String>>,
    from: Option<Spanned<i64>>,
    until: Option<Spanned<i64>>,
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

impl FaultPlan {
    /// Reads a plan from a TOML file.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<FaultPlan, FaultPlanError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let err = |message: String| FaultPlanError { file: file.clone(), line: 0, field: None, message };
        if path.is_dir() {
            return Err(err("is a directory; expected a fault plan file (TOML)".into()));
        }
        let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read the fault plan: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            FaultPlanError { file: file.clone(), line, field: None, message: "the file is not valid UTF-8".into() }
        })?;
        FaultPlan::from_toml_str(&text, &file)
    }

    /// Reads a plan from TOML text; `file` names the source in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<FaultPlan, FaultPlanError> {
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            let message = e.message().trim().to_string();
            let field = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()).map(str::to_string);
            FaultPlanError { file: file.to_string(), line, field, message }
        })?;
        let mut rules = Vec::new();
        for r in raw.rule {
            rules.push(Self::rule(text, file, r)?);
        }
        Ok(FaultPlan { rules })
    }

    fn rule(text: &str, file: &str, r: Spanned<RawRule>) -> Result<FaultRule, FaultPlanError> {
        let at = |span: std::ops::Range<usize>, field: &str, message: String| FaultPlanError {
            file: file.to_string(),
            line: line_of(text, span.start),
            field: Some(field.to_string()),
            message,
        };
        let table = r.span();
        let r = r.into_inner();
        let need = |v: Option<Spanned<String>>, field: &str| {
            v.map(Spanned::into_inner).ok_or_else(|| at(table.clone(), field, "missing; every rule needs it".into()))
        };
        let nonneg = |v: &Spanned<i64>, field: &str| {
            u64::try_from(*v.get_ref())
                .map_err(|_| at(v.span(), field, format!("expected a number of 0 or more, got {}", v.get_ref())))
        };
        let name = need(r.name, "name")?;
        let actors = Selector(need(r.actors, "actors")?);
        let action_field =
            r.action.ok_or_else(|| at(table.clone(), "action", "missing; every rule needs it".into()))?;
        let action = match action_field.get_ref().as_str() {
            "crash" => Action::Crash,
            "kill" => Action::Kill,
            "drop" => Action::Drop,
            "duplicate" => Action::Duplicate,
            "delay" => {
                let d = r.delay.ok_or_else(|| at(action_field.span(), "delay", "missing: action \"delay\" needs `delay = [min, max]`".into()))?;
                match d.get_ref().as_slice() {
                    [min, max] if *min >= 0 && min <= max => Action::Delay { min: *min as u64, max: *max as u64 },
                    _ => return Err(at(d.span(), "delay", format!("expected [min, max] with 0 <= min <= max, got {:?}", d.get_ref()))),
                }
            }
            "shrink_mailbox" => {
                let c = r.capacity.ok_or_else(|| {
                    at(action_field.span(), "capacity", "missing: action \"shrink_mailbox\" needs `capacity = n`".into())
                })?;
                match u32::try_from(*c.get_ref()) {
                    Ok(n) if n >= 1 => Action::ShrinkMailbox(n),
                    _ => return Err(at(c.span(), "capacity", format!("expected a capacity of 1 or more, got {}", c.get_ref()))),
                }
            }
            "slow" => {
                let t = r.ticks.ok_or_else(|| at(action_field.span(), "ticks", "missing: action \"slow\" needs `ticks = n`".into()))?;
                Action::Slow(nonneg(&t, "ticks")?)
            }
            "partition" => {
                let with = r.with.ok_or_else(|| {
                    at(action_field.span(), "with", "missing: action \"partition\" needs `with = \"glob\"`".into())
                })?;
                let from = r.from.as_ref().map(|f| nonneg(f, "from")).transpose()?.unwrap_or(0);
                let until = r.until.as_ref().map(|u| nonneg(u, "until")).transpose()?.unwrap_or(u64::MAX);
                if until <= from {
                    let span = r.until.as_ref().map_or(action_field.span(), |u| u.span());
                    return Err(at(span, "until", format!("the partition must heal after it starts ({until} <= {from})")));
                }
                Action::Partition { with: Selector(with.into_inner()), from, until }
            }
            other => {
                return Err(at(
                    action_field.span(),
                    "action",
                    format!(
                        "unknown action \"{other}\"; expected crash, kill, drop, duplicate, delay, shrink_mailbox, slow or partition"
                    ),
                ))
            }
        };
        let mut triggers = Vec::new();
        if let Some(p) = &r.probability {
            let v = *p.get_ref();
            if !(0.0..=1.0).contains(&v) {
                return Err(at(p.span(), "probability", format!("expected a number from 0 to 1, got {v}")));
            }
            triggers.push(("probability", p.span(), Trigger::Probability(v)));
        }
        if let Some(n) = &r.at_message {
            let v = nonneg(n, "at_message")?;
            if v == 0 {
                return Err(at(n.span(), "at_message", "messages are counted from 1".into()));
            }
            triggers.push(("at_message", n.span(), Trigger::AtMessage(v)));
        }
        if let Some(t) = &r.at_time {
            triggers.push(("at_time", t.span(), Trigger::AtTime(nonneg(t, "at_time")?)));
        }
        let trigger = match triggers.as_slice() {
            [] if matches!(action, Action::Partition { .. }) => Trigger::Always,
            [] => {
                return Err(at(
                    table,
                    "probability",
                    "missing a trigger: give one of probability, at_message or at_time".into(),
                ))
            }
            [(_, _, t)] => *t,
            [_, (field, span, _), ..] => {
                return Err(at(
                    span.clone(),
                    field,
                    "a rule has one trigger: probability, at_message or at_time".into(),
                ))
            }
        };
        Ok(FaultRule { name, actors, messages: r.messages.map(Spanned::into_inner), trigger, action })
    }

    /// The plan in the file format (one `[[rule]]` table per rule), which
    /// [`FaultPlan::from_toml_str`] reads back.
    ///
    /// ```
    /// use rehearsal::faults::FaultPlan;
    /// let text = "[[rule]]\nname = \"lag\"\nactors = \"db*\"\nat_message = 2\naction = \"delay\"\ndelay = [1, 5]\n";
    /// let plan = FaultPlan::from_toml_str(text, "p.toml").unwrap();
    /// assert_eq!(FaultPlan::from_toml_str(&plan.to_toml(), "again.toml").unwrap(), plan);
    /// ```
    pub fn to_toml(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::new();
        for r in &self.rules {
            out.push_str("[[rule]]\n");
            out.push_str(&format!("name = {}\nactors = {}\n", q(&r.name), q(&r.actors.0)));
            if let Some(m) = &r.messages {
                out.push_str(&format!("messages = {}\n", q(m)));
            }
            match r.trigger {
                Trigger::AtMessage(n) => out.push_str(&format!("at_message = {n}\n")),
                Trigger::AtTime(t) => out.push_str(&format!("at_time = {t}\n")),
                Trigger::Probability(p) => out.push_str(&format!("probability = {p:?}\n")),
                Trigger::Always => {}
            }
            out.push_str(&format!("action = {}\n", q(r.action.name())));
            match &r.action {
                Action::Delay { min, max } => out.push_str(&format!("delay = [{min}, {max}]\n")),
                Action::ShrinkMailbox(n) => out.push_str(&format!("capacity = {n}\n")),
                Action::Slow(t) => out.push_str(&format!("ticks = {t}\n")),
                Action::Partition { with, from, until } => {
                    out.push_str(&format!("with = {}\nfrom = {from}\n", q(&with.0)));
                    if *until != u64::MAX {
                        out.push_str(&format!("until = {until}\n"));
                    }
                }
                _ => {}
            }
            out.push('\n');
        }
        out
    }

    /// Swarm testing: a plan drawn from this one by `seed`. Each rule is kept
    /// with probability 1/2 (at least one is kept), and each kept rule's
    /// probability is scaled by a factor drawn from [0, 1], so a sweep over
    /// seeds covers many mixes of faults.
    ///
    /// ```
    /// use rehearsal::faults::FaultPlan;
    /// let plan = FaultPlan::from_toml_str(
    ///     "[[rule]]\nname='a'\nactors='*'\nprobability=0.5\naction='crash'\n[[rule]]\nname='b'\nactors='*'\nprobability=0.5\naction='drop'\n",
    ///     "p.toml").unwrap();
    /// assert_eq!(plan.swarm(7), plan.swarm(7));
    /// assert!(!plan.swarm(7).rules.is_empty());
    /// ```
    pub fn swarm(&self, seed: u64) -> FaultPlan {
        let mut rng = crate::rng::stream(seed, crate::rng::SWARM);
        let mut rules: Vec<FaultRule> = Vec::new();
        for r in &self.rules {
            let keep = rng.random_bool(0.5);
            let scale: f64 = rng.random();
            if keep {
                let mut r = r.clone();
                if let Trigger::Probability(p) = r.trigger {
                    r.trigger = Trigger::Probability(p * scale);
                }
                rules.push(r);
            }
        }
        if rules.is_empty() && !self.rules.is_empty() {
            let i = rng.random_range(0..self.rules.len());
            rules.push(self.rules[i].clone());
        }
        FaultPlan { rules }
    }
}

/// What a fault check decided for one event.
#[derive(Debug)]
pub(crate) enum Fate {
    Crash,
    Kill,
    Slow(u64),
    Drop,
    Duplicate,
    Delay(u64),
    Partitioned,
    Shrink(u32),
}

/// The injector: a plan, the fault stream, and what has fired.
pub(crate) struct Injector {
    pub(crate) plan: FaultPlan,
    rng: ChaCha8Rng,
    /// (rule, actor id) → matching messages counted so far.
    counts: BTreeMap<(usize, u64), u64>,
    /// (rule, actor id) pairs whose once-only trigger has fired.
    fired: BTreeSet<(usize, u64)>,
    /// Actor id → (name, type name), for matching.
    pub(crate) names: BTreeMap<u64, (String, &'static str)>,
    /// Actor id → its slot (checked against the id before use: slots are reused).
    pub(crate) slot_of: BTreeMap<u64, u32>,
    /// Whether any rule filters on message kinds (then the message's Debug text is needed).
    pub(crate) needs_kind: bool,
}

impl Injector {
    pub(crate) fn new(plan: FaultPlan, seed: u64) -> Self {
        let needs_kind = plan.rules.iter().any(|r| r.messages.is_some());
        Injector {
            plan,
            rng: crate::rng::stream(seed, crate::rng::FAULTS),
            counts: BTreeMap::new(),
            fired: BTreeSet::new(),
            names: BTreeMap::new(),
            slot_of: BTreeMap::new(),
            needs_kind,
        }
    }

    fn matches(&self, rule: &FaultRule, actor: u64, kind: Option<&str>) -> bool {
        let Some((name, ty)) = self.names.get(&actor) else { return false };
        rule.actors.matches(name, ty)
            && match (&rule.messages, kind) {
                (Some(g), Some(k)) => glob(g, k),
                (Some(_), None) => false,
                (None, _) => true,
            }
    }

    fn fires(&mut self, i: usize, actor: u64, now: u64) -> bool {
        match self.plan.rules[i].trigger {
            Trigger::Always => true,
            Trigger::Probability(p) => self.rng.random_bool(p.clamp(0.0, 1.0)),
            Trigger::AtMessage(n) => {
                let c = self.counts.entry((i, actor)).or_default();
                *c += 1;
                *c == n && self.fired.insert((i, actor))
            }
            Trigger::AtTime(t) => now >= t && self.fired.insert((i, actor)),
        }
    }

    /// A message `kind` is about to be delivered to `actor`: crash, kill,
    /// slow or shrink?
    pub(crate) fn at_delivery(&mut self, actor: u64, kind: Option<&str>, now: u64) -> Option<(usize, Fate)> {
        for i in 0..self.plan.rules.len() {
            let rule = &self.plan.rules[i];
            let fate = match &rule.action {
                Action::Crash => Fate::Crash,
                Action::Kill => Fate::Kill,
                Action::Slow(t) => Fate::Slow(*t),
                Action::ShrinkMailbox(n) => Fate::Shrink(*n),
                _ => continue,
            };
            if self.matches(rule, actor, kind) && self.fires(i, actor, now) {
                return Some((i, fate));
            }
        }
        None
    }

    /// Rules that act on every matching actor at a set time (kill and
    /// shrink_mailbox with `at_time`): (rule, time).
    pub(crate) fn timed(&self) -> Vec<(usize, u64)> {
        self.plan
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match (&r.trigger, &r.action) {
                (Trigger::AtTime(t), Action::Kill | Action::ShrinkMailbox(_)) => Some((i, *t)),
                _ => None,
            })
            .collect()
    }

    /// The actors rule `i` applies to now (ignoring message kinds), by id.
    pub(crate) fn targets(&mut self, i: usize) -> Vec<u64> {
        let rule = &self.plan.rules[i];
        let ids: Vec<u64> =
            self.names.iter().filter(|(_, (n, t))| rule.actors.matches(n, t)).map(|(&id, _)| id).collect();
        ids.into_iter().filter(|&id| self.fired.insert((i, id))).collect()
    }

    /// A message `kind` from `from` (0: outside) to `to` is being sent.
    pub(crate) fn at_send(&mut self, from: u64, to: u64, kind: Option<&str>, now: u64) -> Option<(usize, Fate)> {
        for i in 0..self.plan.rules.len() {
            let rule = &self.plan.rules[i];
            if !rule.action.at_send() {
                continue;
            }
            let fate = match &rule.action {
                Action::Partition { with, from: t0, until } => {
                    if now < *t0 || now >= *until || from == 0 {
                        continue;
                    }
                    let (Some((fname, fty)), Some((tname, tty))) = (self.names.get(&from), self.names.get(&to)) else {
                        continue;
                    };
                    let across = (rule.actors.matches(fname, fty) && with.matches(tname, tty))
                        || (rule.actors.matches(tname, tty) && with.matches(fname, fty));
                    if !across {
                        continue;
                    }
                    Fate::Partitioned
                }
                _ if !self.matches(rule, to, kind) => continue,
                Action::Drop => Fate::Drop,
                Action::Duplicate => Fate::Duplicate,
                Action::Delay { min, max } => {
                    let (min, max) = (*min, *max);
                    if !self.fires(i, to, now) {
                        continue;
                    }
                    return Some((i, Fate::Delay(self.rng.random_range(min..=max))));
                }
                _ => continue,
            };
            if self.fires(i, to, now) {
                return Some((i, fate));
            }
        }
        None
    }
}
