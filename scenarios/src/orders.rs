//! `orders`: customers place orders with an intake, which hands each to one
//! of several processors; a processor takes an order through payment, stock
//! and shipping, each an I/O call simulated with a timer. Every order placed
//! must end up processed exactly once or as a dead letter.
//!
//! An order always travels inside exactly one message (a send, or a timer
//! the processor set for itself while "waiting on I/O"), so when a fault
//! crashes, kills or drops something the order is lost only together with a
//! message, never silently inside an actor's state.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use rehearsal::supervision::Strategy;
use rehearsal::{
    Actor, ActorId, Addr, ChildSpec, Context, DeadLetterReason, Handled, RunOutcome, SupervisorSpec, System,
};

use crate::util::{dead_by_msg, first_few, histogram, no_problems, shared, stop_note, Shared};
use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Orders;

/// An order, as placed.
#[derive(Clone, Copy, Debug)]
struct Order {
    id: u64,
    amount: u32,
}

/// The I/O calls an order goes through, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Payment,
    Stock,
    Shipping,
}

impl Stage {
    fn next(self) -> Option<Stage> {
        match self {
            Stage::Payment => Some(Stage::Stock),
            Stage::Stock => Some(Stage::Shipping),
            Stage::Shipping => None,
        }
    }
}

/// What the run leaves behind: the order database and the test's notes.
#[derive(Default)]
struct Book {
    /// Orders placed, in placement order.
    placed: Vec<u64>,
    /// What each order costs, as placed.
    amounts: BTreeMap<u64, u32>,
    /// What the payment stage charged, per order.
    charged: BTreeMap<u64, u32>,
    /// Message id → the order it carries (customer → intake, intake → processor).
    carried: BTreeMap<u64, u64>,
    /// Orders waiting on an I/O timer: order → (processor, stage).
    in_io: BTreeMap<u64, (ActorId, Stage)>,
    /// The I/O stages each order completed, in order.
    stages: BTreeMap<u64, Vec<Stage>>,
    /// Orders processed (shipped), in order; an order twice would be a bug.
    processed: Vec<u64>,
}

// ----- customers -----

#[derive(Debug)]
enum CustomerMsg {
    /// Place the next order.
    Next,
}

struct Customer {
    index: u64,
    intake: Addr<Order>,
    orders: u64,
    think: u64,
    placed: u64,
    book: Shared<Book>,
}

impl Actor for Customer {
    type Msg = CustomerMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, CustomerMsg::Next: CustomerMsg) -> Handled {
        if self.placed >= self.orders {
            return Ok(());
        }
        let order = Order { id: self.index * 1_000_000 + self.placed, amount: ctx.rng().random_range(1..=500) };
        self.placed += 1;
        let msg = ctx.send(self.intake, order);
        let mut book = self.book.borrow_mut();
        book.placed.push(order.id);
        book.amounts.insert(order.id, order.amount);
        book.carried.insert(msg.0, order.id);
        drop(book);
        if self.placed < self.orders {
            let gap = ctx.rng().random_range(0..=self.think);
            let me = ctx.addr();
            ctx.send_after(me, CustomerMsg::Next, gap);
        }
        Ok(())
    }
}

// ----- the intake -----

struct Intake {
    processors: Vec<Addr<ProcMsg>>,
    next: usize,
    book: Shared<Book>,
}

impl Actor for Intake {
    type Msg = Order;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, order: Order) -> Handled {
        let to = self.processors[self.next % self.processors.len()];
        self.next += 1;
        let msg = ctx.send(to, ProcMsg::Process(order));
        self.book.borrow_mut().carried.insert(msg.0, order.id);
        Ok(())
    }
}

// ----- processors -----

#[derive(Debug)]
enum ProcMsg {
    /// A new order from the intake.
    Process(Order),
    /// An I/O call for this order finished (a timer this processor set).
    IoDone(Order, Stage),
}

struct Processor {
    max_io: u64,
    book: Shared<Book>,
}

impl Processor {
    /// Starts the I/O call `stage` for `order`: it answers in 1..=max_io ticks.
    fn call(&mut self, ctx: &mut Context<'_, Self>, order: Order, stage: Stage) {
        let latency = ctx.rng().random_range(1..=self.max_io);
        let me = ctx.addr();
        ctx.send_after(me, ProcMsg::IoDone(order, stage), latency);
        self.book.borrow_mut().in_io.insert(order.id, (ctx.id(), stage));
    }
}

impl Actor for Processor {
    type Msg = ProcMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ProcMsg) -> Handled {
        match msg {
            ProcMsg::Process(order) => self.call(ctx, order, Stage::Payment),
            ProcMsg::IoDone(order, stage) => {
                {
                    let mut book = self.book.borrow_mut();
                    book.in_io.remove(&order.id);
                    book.stages.entry(order.id).or_default().push(stage);
                    if stage == Stage::Payment {
                        *book.charged.entry(order.id).or_default() += order.amount;
                    }
                }
                match stage.next() {
                    Some(next) => self.call(ctx, order, next),
                    None => self.book.borrow_mut().processed.push(order.id),
                }
            }
        }
        Ok(())
    }
}

impl Scenario for Orders {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn description(&self) -> &'static str {
        "an order processor with timer-simulated I/O; every order is processed or dead-lettered"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "customers", default: "4", help: "how many customers place orders" },
            ParamSpec { name: "orders", default: "5", help: "orders each customer places" },
            ParamSpec { name: "processors", default: "3", help: "how many order processors" },
            ParamSpec {
                name: "max_io",
                default: "10",
                help: "the slowest I/O call (payment, stock, shipping), in ticks",
            },
            ParamSpec { name: "think", default: "5", help: "the longest pause between a customer's orders, in ticks" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let customers = p.number("customers", 1..=10_000)?;
        let orders = p.number("orders", 0..=100_000)?;
        let processors = p.number("processors", 1..=1_000)?;
        let max_io = p.number("max_io", 1..=1_000_000)?;
        let think = p.number("think", 0..=1_000_000)?;
        let book: Shared<Book> = shared();

        // Processors under one supervisor, then the intake under another:
        // a crashed processor or intake is restarted in place, and keeps
        // its address and its queued messages.
        let sup_spec = || SupervisorSpec::new(Strategy::OneForOne).intensity(100, 10);
        let b = book.clone();
        let procs = sys.spawn_supervisor("processors", sup_spec(), move || {
            (0..processors)
                .map(|i| {
                    let b = b.clone();
                    ChildSpec::new(&format!("processor-{i}"), move || Processor { max_io, book: b.clone() })
                })
                .collect()
        });
        let proc_addrs: Vec<Addr<ProcMsg>> = (0..processors)
            .map(|i| sys.child(procs, &format!("processor-{i}")).expect("a processor just started"))
            .collect();
        let b = book.clone();
        let front = sys.spawn_supervisor("front", sup_spec(), move || {
            let (procs, b) = (proc_addrs.clone(), b.clone());
            vec![ChildSpec::new("intake", move || Intake { processors: procs.clone(), next: 0, book: b.clone() })]
        });
        let intake: Addr<Order> = sys.child(front, "intake").expect("the intake just started");
        let custs: Vec<_> = (0..customers)
            .map(|i| {
                let c = Customer { index: i, intake, orders, think, placed: 0, book: book.clone() };
                sys.spawn(&format!("customer-{i}"), c)
            })
            .collect();
        for &c in &custs {
            sys.send(c, CustomerMsg::Next);
        }
        let outcome = sys.run_until_idle();
        let book = book.borrow();
        let proc_ids: BTreeSet<ActorId> = (0..processors)
            .filter_map(|i| sys.child::<ProcMsg>(procs, &format!("processor-{i}")))
            .map(|a| a.id())
            .collect();
        Ok(Report { outcome, verdicts: verdicts(sys, &book, outcome, &proc_ids) })
    }
}

fn verdicts(sys: &System, book: &Book, outcome: RunOutcome, proc_ids: &BTreeSet<ActorId>) -> Vec<Verdict> {
    let dead = dead_by_msg(sys);
    // Dead letters of timers a processor set for itself: each carried one order.
    let mut self_dead: BTreeMap<ActorId, BTreeMap<DeadLetterReason, u64>> = BTreeMap::new();
    for d in sys.dead_letters() {
        if d.from == Some(d.to) {
            *self_dead.entry(d.to).or_default().entry(d.reason).or_default() += 1;
        }
    }
    let mut processed_count: BTreeMap<u64, u32> = BTreeMap::new();
    for &o in &book.processed {
        *processed_count.entry(o).or_default() += 1;
    }
    let mut dead_of: BTreeMap<u64, DeadLetterReason> = BTreeMap::new();
    for (msg, order) in &book.carried {
        if let Some(&r) = dead.get(msg) {
            dead_of.insert(*order, r);
        }
    }
    // Orders stuck on an I/O timer at the end, by processor.
    let mut stuck: BTreeMap<ActorId, u64> = BTreeMap::new();
    for &(proc_id, _) in book.in_io.values() {
        *stuck.entry(proc_id).or_default() += 1;
    }

    let mut reasons: BTreeMap<DeadLetterReason, u64> = BTreeMap::new();
    let (mut processed, mut dead_lettered, mut in_flight) = (0u64, 0u64, 0u64);
    let mut bad = Vec::new();
    let mut twice = Vec::new();
    for &o in &book.placed {
        let p = processed_count.get(&o).copied().unwrap_or(0);
        if p > 1 {
            twice.push(format!("order {o} processed {p} times"));
        }
        match (p, dead_of.get(&o), book.in_io.get(&o)) {
            (1, None, None) => processed += 1,
            (0, Some(&r), None) => {
                dead_lettered += 1;
                *reasons.entry(r).or_default() += 1;
            }
            (0, None, Some(_)) => {} // lost with an I/O timer: matched below
            (0, None, None) if outcome != RunOutcome::Idle => in_flight += 1,
            other => {
                bad.push(format!("order {o}: processed {}, dead letter {:?}, in I/O {:?}", other.0, other.1, other.2))
            }
        }
    }
    // An order left waiting on I/O at the end (with nothing pending) went
    // down with its timer message: that processor has as many dead letters
    // of timers to itself.
    for (proc_id, &n) in &stuck {
        let lost = self_dead.get(proc_id).cloned().unwrap_or_default();
        let lost_n: u64 = lost.values().sum();
        if lost_n == n || (outcome != RunOutcome::Idle && lost_n <= n) {
            dead_lettered += lost_n;
            in_flight += n - lost_n;
            for (r, k) in lost {
                *reasons.entry(r).or_default() += k;
            }
        } else {
            bad.push(format!(
                "{n} orders wait on I/O at {proc_id}, but {lost_n} of its timer messages are dead letters"
            ));
        }
    }
    // And a processor's timer message lost means an order stuck there.
    for (id, lost) in &self_dead {
        if proc_ids.contains(id) && !stuck.contains_key(id) {
            bad.push(format!(
                "{} timer messages of {id} are dead letters, but no order waits there",
                lost.values().sum::<u64>()
            ));
        }
    }
    let placed = book.placed.len() as u64;
    let sum_ok = processed + dead_lettered + in_flight == placed;
    let accounted = Verdict::new(
        "every-order-accounted",
        bad.is_empty() && sum_ok,
        if bad.is_empty() {
            let flight = if in_flight > 0 { format!(" + still in flight {in_flight}") } else { String::new() };
            format!(
                "placed {placed} = processed {processed} + dead-lettered {dead_lettered} ({}){flight}{}",
                histogram(&reasons),
                stop_note(sys)
            )
        } else {
            first_few(&bad, 5)
        },
    );
    let once = no_problems("processed-at-most-once", &twice, 5, || {
        format!("{} orders processed once each", book.processed.len())
    });
    let full = [Stage::Payment, Stage::Stock, Stage::Shipping];
    let out_of_order: Vec<String> = book
        .processed
        .iter()
        .filter(|o| book.stages.get(o).map(|s| s.as_slice()) != Some(&full[..]))
        .map(|o| format!("order {o} went through {:?}", book.stages.get(o)))
        .collect();
    let stages = no_problems("io-in-order", &out_of_order, 5, || {
        "every processed order went through payment, stock and shipping, in order".to_string()
    });
    let overcharged: Vec<String> = book
        .processed
        .iter()
        .filter(|o| book.charged.get(o) != book.amounts.get(o))
        .map(|o| format!("order {o} cost {:?}, charged {:?}", book.amounts.get(o), book.charged.get(o)))
        .collect();
    let shipped: BTreeSet<u64> = book.processed.iter().copied().collect();
    let unshipped = book.charged.keys().filter(|o| !shipped.contains(o)).count();
    let charged = no_problems("charged-as-placed", &overcharged, 5, || {
        format!(
            "every processed order charged its amount, {} in all; {unshipped} charged but lost before shipping",
            book.processed.iter().filter_map(|o| book.charged.get(o)).map(|&a| u64::from(a)).sum::<u64>()
        )
    });
    let distinct: BTreeSet<u64> = book.placed.iter().copied().collect();
    let ids = Verdict::new(
        "distinct-order-ids",
        distinct.len() == book.placed.len(),
        format!("{} orders, {} distinct ids", book.placed.len(), distinct.len()),
    );
    vec![accounted, once, stages, charged, ids, conservation(sys)]
}

#[cfg(test)]
mod tests {
    use crate::testing::{run, run_with_faults};

    #[test]
    fn passes_on_a_few_seeds() {
        for seed in 0..5 {
            let (report, _) = run("orders", &[], seed);
            assert!(report.passed(), "seed {seed}: {report:?}");
        }
    }

    #[test]
    fn accounts_for_orders_lost_to_faults() {
        let plan = r#"
            [[rule]]
            name = "crash-processors"
            actors = "processor-*"
            probability = 0.2
            action = "crash"

            [[rule]]
            name = "drop-orders"
            actors = "intake"
            probability = 0.1
            action = "drop"
        "#;
        let mut dead = 0;
        for seed in 0..5 {
            let (report, stats) = run_with_faults("orders", &[("orders", "10")], seed, plan);
            assert!(report.passed(), "seed {seed}: {report:?}");
            dead += stats.dead_letters;
        }
        assert!(dead > 0, "the faults should have cost some orders");
    }
}
