//! `greeter`: request–reply with ask and a timeout; a greeter that takes a
//! random while to answer, so some asks time out and their replies come late.

use rand::Rng;
use rehearsal::{Actor, Addr, AskError, Context, DeadLetterReason, Handled, ReplyTo, System};

use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Greeter;

#[derive(Debug)]
enum GreeterMsg {
    Greet(String, ReplyTo<String>),
    /// To itself: the work for one greeting is done.
    Ready(String, ReplyTo<String>),
}

struct GreeterActor {
    min_delay: u64,
    max_delay: u64,
}

impl Actor for GreeterActor {
    type Msg = GreeterMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: GreeterMsg) -> Handled {
        match msg {
            GreeterMsg::Greet(name, reply) => {
                let delay = ctx.rng().random_range(self.min_delay..=self.max_delay);
                let me = ctx.addr();
                ctx.send_after(me, GreeterMsg::Ready(name, reply), delay);
            }
            GreeterMsg::Ready(name, reply) => ctx.reply(reply, format!("Hello, {name}!")),
        }
        Ok(())
    }
}

#[derive(Debug)]
enum ClientMsg {
    Start,
    Answer(Result<String, AskError>),
}

struct Client {
    greeter: Addr<GreeterMsg>,
    name: String,
    timeout: u64,
    answer: Option<Result<String, AskError>>,
    answers: u32,
}

impl Actor for Client {
    type Msg = ClientMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ClientMsg) -> Handled {
        match msg {
            ClientMsg::Start => {
                let name = self.name.clone();
                ctx.ask(self.greeter, |r| GreeterMsg::Greet(name, r), self.timeout, ClientMsg::Answer);
            }
            ClientMsg::Answer(a) => {
                self.answers += 1;
                self.answer = Some(a);
            }
        }
        Ok(())
    }
}

impl Scenario for Greeter {
    fn name(&self) -> &'static str {
        "greeter"
    }

    fn description(&self) -> &'static str {
        "request-reply with ask and a timeout; slow answers time out and arrive as late replies"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "clients", default: "8", help: "how many clients ask" },
            ParamSpec { name: "min_delay", default: "1", help: "the greeter's fastest answer, in ticks" },
            ParamSpec { name: "max_delay", default: "20", help: "the greeter's slowest answer, in ticks" },
            ParamSpec { name: "timeout", default: "10", help: "each ask's timeout, in ticks" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let clients = p.number("clients", 1..=100_000)?;
        let min_delay = p.number("min_delay", 0..=1_000_000)?;
        let max_delay = p.number("max_delay", min_delay..=1_000_000)?;
        let timeout = p.number("timeout", 1..=1_000_000)?;
        let greeter = sys.spawn("greeter", GreeterActor { min_delay, max_delay });
        let addrs: Vec<_> = (0..clients)
            .map(|i| {
                let name = format!("client-{i}");
                sys.spawn(&name, Client { greeter, name: name.clone(), timeout, answer: None, answers: 0 })
            })
            .collect();
        for &c in &addrs {
            sys.send(c, ClientMsg::Start);
        }
        let outcome = sys.run_until_idle();
        let (mut replies, mut timeouts, mut wrong) = (0u64, 0u64, Vec::new());
        for (i, &c) in addrs.iter().enumerate() {
            let (answer, answers) = sys.state(c, |c: &Client| (c.answer.clone(), c.answers)).unwrap_or((None, 0));
            match (answer, answers) {
                (Some(Ok(text)), 1) if text == format!("Hello, client-{i}!") => replies += 1,
                (Some(Err(AskError::Timeout)), 1) => timeouts += 1,
                other => wrong.push(format!("client-{i}: {other:?}")),
            }
        }
        let late = sys.stats().dead(DeadLetterReason::LateReply);
        Ok(Report {
            outcome,
            verdicts: vec![
                Verdict::new(
                    "one-answer-each",
                    wrong.is_empty(),
                    if wrong.is_empty() { format!("{replies} replies, {timeouts} timeouts") } else { wrong.join("; ") },
                ),
                Verdict::new(
                    "late-replies-dead-lettered",
                    late == timeouts,
                    format!("{late} late replies for {timeouts} timeouts"),
                ),
                conservation(sys),
            ],
        })
    }
}
