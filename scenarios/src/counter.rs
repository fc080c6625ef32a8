//! `counter`: the classic counter actor, incremented by several clients who
//! then ask for the count.

use rehearsal::{Actor, Addr, AskError, Context, Handled, ReplyTo, System};

use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Counter;

/// The counter's messages.
#[derive(Debug)]
pub(crate) enum CounterMsg {
    Increment,
    Get(ReplyTo<u64>),
}

struct CounterActor {
    count: u64,
}

impl Actor for CounterActor {
    type Msg = CounterMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: CounterMsg) -> Handled {
        match msg {
            CounterMsg::Increment => self.count += 1,
            CounterMsg::Get(reply) => ctx.reply(reply, self.count),
        }
        Ok(())
    }
}

#[derive(Debug)]
enum ClientMsg {
    Start,
    Seen(Result<u64, AskError>),
}

struct Client {
    counter: Addr<CounterMsg>,
    increments: u64,
    seen: Option<Result<u64, AskError>>,
}

impl Actor for Client {
    type Msg = ClientMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ClientMsg) -> Handled {
        match msg {
            ClientMsg::Start => {
                for _ in 0..self.increments {
                    ctx.send(self.counter, CounterMsg::Increment);
                }
                ctx.ask(self.counter, CounterMsg::Get, 100, ClientMsg::Seen);
            }
            ClientMsg::Seen(v) => self.seen = Some(v),
        }
        Ok(())
    }
}

impl Scenario for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn description(&self) -> &'static str {
        "the classic counter actor: clients increment it, then ask for the count"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "clients", default: "4", help: "how many clients" },
            ParamSpec { name: "increments", default: "10", help: "increments each client sends" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let clients = p.number("clients", 1..=100_000)?;
        let increments = p.number("increments", 0..=1_000_000)?;
        let counter = sys.spawn("counter", CounterActor { count: 0 });
        let addrs: Vec<_> = (0..clients)
            .map(|i| sys.spawn(&format!("client-{i}"), Client { counter, increments, seen: None }))
            .collect();
        for &c in &addrs {
            sys.send(c, ClientMsg::Start);
        }
        let outcome = sys.run_until_idle();
        let total = clients * increments;
        let count = sys.state(counter, |c: &CounterActor| c.count).unwrap_or(0);
        let mut bad = Vec::new();
        for (i, &c) in addrs.iter().enumerate() {
            match sys.state(c, |c: &Client| c.seen.clone()).flatten() {
                Some(Ok(v)) if v >= increments && v <= total => {}
                other => bad.push(format!("client-{i} saw {other:?}")),
            }
        }
        Ok(Report {
            outcome,
            verdicts: vec![
                Verdict::new("count", count == total, format!("count is {count}, expected {total}")),
                Verdict::new(
                    "reads-after-own-writes",
                    bad.is_empty(),
                    if bad.is_empty() {
                        format!("every client saw between {increments} and {total}")
                    } else {
                        bad.join("; ")
                    },
                ),
                conservation(sys),
            ],
        })
    }
}
