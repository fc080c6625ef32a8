//! `pipeline`: sources feed numbered items into a chain of stages, each of
//! which takes its mailbox in batches of up to `batch` items
//! (`MailboxConfig::batch` and `Actor::handle_batch`), transforms them and
//! passes them on; a sink at the end checks them. Every item must come out
//! of the last stage exactly once (or be a dead letter), intact, and in
//! order per source.
//!
//! The order holds because each hop is FIFO per sender and receiver; the
//! stages do not resequence. A `delay` fault breaks that FIFO, and the
//! order invariant says so.

use std::collections::BTreeMap;

use rand::Rng;
use rehearsal::supervision::Strategy;
use rehearsal::{Actor, Addr, ChildSpec, Context, DeadLetterReason, Handled, MailboxConfig, SupervisorSpec, System};

use crate::util::{dead_by_msg, first_few, histogram, no_problems, shared, Shared};
use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Pipeline;

#[derive(Clone, Copy, Debug)]
struct Item {
    source: u32,
    seq: u64,
    /// The value the source gave it.
    origin: u64,
    /// The value after the stages so far.
    value: u64,
}

/// What stage `stage` (from 1) does to a value.
fn transform(stage: usize, v: u64) -> u64 {
    v.wrapping_mul(31).wrapping_add(stage as u64)
}

/// What a value should be after `stages` stages.
fn through(stages: usize, origin: u64) -> u64 {
    (1..=stages).fold(origin, |v, s| transform(s, v))
}

/// What the run leaves behind.
#[derive(Default)]
struct Book {
    /// Where each stage and the sink are: `route[i]` is stage i+1, the last the sink.
    route: Vec<Addr<Item>>,
    /// Items sent by the sources, per source.
    emitted: BTreeMap<u32, u64>,
    /// Message id → (source, seq) for every hop of every item.
    carried: BTreeMap<u64, (u32, u64)>,
    /// What came out at the sink, per source, in arrival order.
    out: BTreeMap<u32, Vec<u64>>,
    /// Items that came out with a wrong value.
    corrupt: Vec<String>,
    /// Per stage (from 1): batches taken, items in them, the largest.
    batches: BTreeMap<usize, (u64, u64, usize)>,
}

// ----- sources -----

#[derive(Debug)]
struct Tick;

struct Source {
    index: u32,
    items: u64,
    burst: u64,
    next: u64,
    book: Shared<Book>,
}

impl Actor for Source {
    type Msg = Tick;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, Tick: Tick) -> Handled {
        let first = self.book.borrow().route[0];
        let n = ctx.rng().random_range(1..=self.burst);
        for _ in 0..n {
            if self.next >= self.items {
                break;
            }
            let origin = ctx.rng().random_range(0..1_000_000);
            let item = Item { source: self.index, seq: self.next, origin, value: origin };
            let msg = ctx.send(first, item);
            let mut book = self.book.borrow_mut();
            book.carried.insert(msg.0, (self.index, self.next));
            *book.emitted.entry(self.index).or_default() += 1;
            self.next += 1;
        }
        if self.next < self.items {
            let me = ctx.addr();
            ctx.send_after(me, Tick, 1);
        }
        Ok(())
    }
}

// ----- stages -----

struct Stage {
    /// From 1.
    index: usize,
    book: Shared<Book>,
}

impl Actor for Stage {
    type Msg = Item;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, item: Item) -> Handled {
        self.handle_batch(ctx, vec![item])
    }

    /// The whole batch at once: transform every item, then pass them on in order.
    fn handle_batch(&mut self, ctx: &mut Context<'_, Self>, batch: Vec<Item>) -> Handled {
        let next = self.book.borrow().route[self.index];
        {
            let mut book = self.book.borrow_mut();
            let b = book.batches.entry(self.index).or_default();
            b.0 += 1;
            b.1 += batch.len() as u64;
            b.2 = b.2.max(batch.len());
        }
        for mut item in batch {
            item.value = transform(self.index, item.value);
            let msg = ctx.send(next, item);
            self.book.borrow_mut().carried.insert(msg.0, (item.source, item.seq));
        }
        Ok(())
    }
}

// ----- the sink -----

struct Sink {
    stages: usize,
    book: Shared<Book>,
}

impl Actor for Sink {
    type Msg = Item;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, item: Item) -> Handled {
        let mut book = self.book.borrow_mut();
        if item.value != through(self.stages, item.origin) {
            book.corrupt.push(format!("source-{} item {}", item.source, item.seq));
        }
        book.out.entry(item.source).or_default().push(item.seq);
        Ok(())
    }
}

impl Scenario for Pipeline {
    fn name(&self) -> &'static str {
        "pipeline"
    }

    fn description(&self) -> &'static str {
        "sources feed a chain of batching stages; every item comes out once, intact, in order per source"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "sources", default: "3", help: "how many sources" },
            ParamSpec { name: "items", default: "50", help: "items each source sends" },
            ParamSpec { name: "burst", default: "6", help: "the most items a source sends per tick" },
            ParamSpec { name: "stages", default: "3", help: "how many stages" },
            ParamSpec { name: "batch", default: "8", help: "the most items a stage takes per delivery" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let sources = p.number("sources", 1..=10_000)? as u32;
        let items = p.number("items", 0..=10_000_000)?;
        let burst = p.number("burst", 1..=1_000_000)?;
        let stages = p.number("stages", 1..=1_000)? as usize;
        let batch = p.number("batch", 1..=255)? as u8;
        let book: Shared<Book> = shared();

        // Stages and the sink under one supervisor; a crashed one is
        // restarted in place (they keep nothing between batches).
        let b = book.clone();
        let sup = sys.spawn_supervisor("pipeline", SupervisorSpec::new(Strategy::OneForOne).intensity(100, 10), {
            move || {
                let mut specs: Vec<ChildSpec> = (1..=stages)
                    .map(|i| {
                        let b = b.clone();
                        ChildSpec::new(&format!("stage-{i}"), move || Stage { index: i, book: b.clone() })
                            .mailbox(MailboxConfig::UNBOUNDED.batch(batch))
                    })
                    .collect();
                let b = b.clone();
                specs.push(ChildSpec::new("sink", move || Sink { stages, book: b.clone() }));
                specs
            }
        });
        let mut route: Vec<Addr<Item>> =
            (1..=stages).map(|i| sys.child(sup, &format!("stage-{i}")).expect("a stage just started")).collect();
        route.push(sys.child(sup, "sink").expect("the sink just started"));
        book.borrow_mut().route = route;
        let srcs: Vec<_> = (0..sources)
            .map(|i| sys.spawn(&format!("source-{i}"), Source { index: i, items, burst, next: 0, book: book.clone() }))
            .collect();
        for &s in &srcs {
            sys.send(s, Tick);
        }
        let outcome = sys.run_until_idle();

        let book = book.borrow();
        let dead = dead_by_msg(sys);
        let mut lost: BTreeMap<(u32, u64), DeadLetterReason> = BTreeMap::new();
        for (msg, &key) in &book.carried {
            if let Some(&r) = dead.get(msg) {
                lost.insert(key, r);
            }
        }
        let (mut out_n, mut twice, mut missing, mut disorder) = (0u64, Vec::new(), Vec::new(), Vec::new());
        for (&s, &emitted) in &book.emitted {
            let out = book.out.get(&s).map(Vec::as_slice).unwrap_or(&[]);
            out_n += out.len() as u64;
            let mut times: BTreeMap<u64, u32> = BTreeMap::new();
            for &seq in out {
                *times.entry(seq).or_default() += 1;
            }
            for seq in 0..emitted {
                match (times.get(&seq).copied().unwrap_or(0), lost.get(&(s, seq))) {
                    (1, None) | (0, Some(_)) => {}
                    (0, None) => missing.push(format!("source-{s} item {seq}")),
                    (k, _) => twice.push(format!("source-{s} item {seq} came out {k} times")),
                }
            }
            if let Some(w) = out.windows(2).find(|w| w[1] <= w[0]) {
                disorder.push(format!("source-{s}: item {} after item {}", w[1], w[0]));
            }
        }
        let emitted: u64 = book.emitted.values().sum();
        let mut reasons: BTreeMap<DeadLetterReason, u64> = BTreeMap::new();
        for r in lost.values() {
            *reasons.entry(*r).or_default() += 1;
        }
        let mut problems = twice;
        problems.extend(missing);
        let once = no_problems("out-exactly-once", &problems, 5, || {
            format!("{emitted} items in = {out_n} out + {} dead letters ({})", lost.len(), histogram(&reasons))
        });
        // A delay or duplicate fault may move an item (SPEC rule 6).
        let reorders = sys.stats().reorders;
        let order = Verdict::new(
            "in-order-per-source",
            disorder.is_empty() || reorders > 0,
            if disorder.is_empty() {
                format!("each of {sources} sources' items came out in order")
            } else if reorders > 0 {
                format!("{} (not enforced: {reorders} delay or duplicate faults)", first_few(&disorder, 5))
            } else {
                first_few(&disorder, 5)
            },
        );
        let intact = Verdict::new(
            "values-intact",
            book.corrupt.is_empty(),
            if book.corrupt.is_empty() {
                format!("every item went through all {stages} stages")
            } else {
                format!("wrong values: {}", first_few(&book.corrupt, 5))
            },
        );
        let shown: Vec<String> = book
            .batches
            .iter()
            .take(4)
            .map(|(i, (n, total, max))| {
                format!("stage-{i} {n} batches, mean {:.1}, max {max}", *total as f64 / *n as f64)
            })
            .collect();
        let too_big = book.batches.values().any(|b| b.2 > batch as usize);
        let batched = Verdict::new(
            "batches-within-limit",
            !too_big,
            format!("{} (limit {batch})", if shown.is_empty() { "no batches".to_string() } else { shown.join("; ") }),
        );
        Ok(Report { outcome, verdicts: vec![once, order, intact, batched, conservation(sys)] })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{run, run_with_faults};

    #[test]
    fn passes_on_a_few_seeds_and_batches() {
        for seed in 0..5 {
            let (report, _) = run("pipeline", &[], seed);
            assert!(report.passed(), "seed {seed}: {report:?}");
            let batches = &report.verdicts[3].detail;
            let largest = batches
                .split("max ")
                .skip(1)
                .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse::<u32>().ok())
                .max();
            assert!(largest > Some(1), "seed {seed}: no batching happened: {batches}");
        }
        let (report, _) = run("pipeline", &[("batch", "1"), ("stages", "5")], 9);
        assert!(report.passed(), "{report:?}");
    }

    #[test]
    fn accounts_for_items_lost_to_crashed_batches() {
        let plan = r#"
            [[rule]]
            name = "crash-stage-2"
            actors = "stage-2"
            probability = 0.1
            action = "crash"
        "#;
        let mut lost = 0;
        for seed in 0..5 {
            let (report, stats) = run_with_faults("pipeline", &[], seed, plan);
            assert!(report.passed(), "seed {seed}: {report:?}");
            lost += stats.dead_letters;
        }
        assert!(lost > 0);
    }
}
