//! `calculator`: many clients ask one calculator for sums, differences,
//! products and quotients, each ask with a timeout. The calculator takes a
//! random while per request, so some asks time out and their replies come
//! late. Every answer must be right, and every request must get exactly one
//! answer: the reply or the timeout.

use std::collections::BTreeMap;

use rand::Rng;
use rehearsal::supervision::Strategy;
use rehearsal::{
    Actor, ActorId, Addr, AskError, ChildSpec, Context, DeadLetterReason, Handled, ReplyTo, SupervisorSpec, System,
};

use crate::util::{faults_injected, no_problems, shared, Shared};
use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Calculator;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Why an operation has no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CalcError {
    DivisionByZero,
    Overflow,
}

type Answer = Result<i64, CalcError>;

/// What the calculator computes; the client works it out too, to check.
fn eval(op: Op, a: i64, b: i64) -> Answer {
    let r = match op {
        Op::Add => a.checked_add(b),
        Op::Sub => a.checked_sub(b),
        Op::Mul => a.checked_mul(b),
        Op::Div if b == 0 => return Err(CalcError::DivisionByZero),
        Op::Div => a.checked_div(b),
    };
    r.ok_or(CalcError::Overflow)
}

#[derive(Debug)]
enum CalcMsg {
    Compute {
        op: Op,
        a: i64,
        b: i64,
        reply: ReplyTo<Answer>,
    },
    /// To itself: the work for one request is done.
    Done {
        answer: Answer,
        reply: ReplyTo<Answer>,
    },
}

struct CalculatorActor {
    min_delay: u64,
    max_delay: u64,
}

impl Actor for CalculatorActor {
    type Msg = CalcMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: CalcMsg) -> Handled {
        match msg {
            CalcMsg::Compute { op, a, b, reply } => {
                let answer = eval(op, a, b);
                let delay = ctx.rng().random_range(self.min_delay..=self.max_delay);
                if delay == 0 {
                    ctx.reply(reply, answer);
                } else {
                    let me = ctx.addr();
                    ctx.send_after(me, CalcMsg::Done { answer, reply }, delay);
                }
            }
            CalcMsg::Done { answer, reply } => ctx.reply(reply, answer),
        }
        Ok(())
    }
}

/// One request as its client saw it.
#[derive(Debug)]
struct Request {
    op: Op,
    a: i64,
    b: i64,
    answers: Vec<Result<Answer, AskError>>,
}

/// Requests by (client, request number): what the clients saw.
#[derive(Default)]
struct Book {
    requests: BTreeMap<(u32, u32), Request>,
}

#[derive(Debug)]
enum ClientMsg {
    Start,
    Answer(u32, Result<Answer, AskError>),
}

struct Client {
    index: u32,
    calculator: Addr<CalcMsg>,
    requests: u32,
    window: u32,
    timeout: u64,
    next: u32,
    book: Shared<Book>,
}

impl Client {
    fn ask_next(&mut self, ctx: &mut Context<'_, Self>) {
        if self.next >= self.requests {
            return;
        }
        let n = self.next;
        self.next += 1;
        let rng = ctx.rng();
        let op = [Op::Add, Op::Sub, Op::Mul, Op::Div][rng.random_range(0..4)];
        // Mostly small operands, zero now and then, and a few huge ones
        // that overflow.
        let a =
            if rng.random_bool(0.05) { i64::MAX - rng.random_range(0..100) } else { rng.random_range(-1000..=1000) };
        let b = rng.random_range(-10..=10);
        self.book.borrow_mut().requests.insert((self.index, n), Request { op, a, b, answers: Vec::new() });
        ctx.ask(
            self.calculator,
            |reply| CalcMsg::Compute { op, a, b, reply },
            self.timeout,
            move |r| ClientMsg::Answer(n, r),
        );
    }
}

impl Actor for Client {
    type Msg = ClientMsg;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ClientMsg) -> Handled {
        match msg {
            ClientMsg::Start => {
                for _ in 0..self.window {
                    self.ask_next(ctx);
                }
            }
            ClientMsg::Answer(n, answer) => {
                if let Some(r) = self.book.borrow_mut().requests.get_mut(&(self.index, n)) {
                    r.answers.push(answer);
                }
                self.ask_next(ctx);
            }
        }
        Ok(())
    }
}

impl Scenario for Calculator {
    fn name(&self) -> &'static str {
        "calculator"
    }

    fn description(&self) -> &'static str {
        "a calculator answering asks with a timeout from many clients; every answer right, one per request"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "clients", default: "8", help: "how many clients ask" },
            ParamSpec { name: "requests", default: "10", help: "requests each client makes" },
            ParamSpec { name: "window", default: "2", help: "requests a client has in flight at once" },
            ParamSpec { name: "min_delay", default: "0", help: "the calculator's fastest answer, in ticks" },
            ParamSpec { name: "max_delay", default: "12", help: "the calculator's slowest answer, in ticks" },
            ParamSpec { name: "timeout", default: "10", help: "each ask's timeout, in ticks" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let clients = p.number("clients", 1..=100_000)? as u32;
        let requests = p.number("requests", 0..=1_000_000)? as u32;
        let window = p.number("window", 1..=1_000)? as u32;
        let min_delay = p.number("min_delay", 0..=1_000_000)?;
        let max_delay = p.number("max_delay", min_delay..=1_000_000)?;
        let timeout = p.number("timeout", 1..=1_000_000)?;
        let book: Shared<Book> = shared();

        // A crashed calculator is restarted in place; it keeps no state.
        let sup =
            sys.spawn_supervisor("calculator-sup", SupervisorSpec::new(Strategy::OneForOne).intensity(100, 10), {
                move || vec![ChildSpec::new("calculator", move || CalculatorActor { min_delay, max_delay })]
            });
        let calculator: Addr<CalcMsg> = sys.child(sup, "calculator").expect("the calculator just started");
        let addrs: Vec<_> = (0..clients)
            .map(|i| {
                let c = Client { index: i, calculator, requests, window, timeout, next: 0, book: book.clone() };
                sys.spawn(&format!("client-{i}"), c)
            })
            .collect();
        for &c in &addrs {
            sys.send(c, ClientMsg::Start);
        }
        let outcome = sys.run_until_idle();

        let faulty = faults_injected(sys);
        let book = book.borrow();
        let (mut right, mut timeouts, mut failed, mut unanswered) = (0u64, 0u64, 0u64, 0u64);
        let (mut wrong, mut not_one) = (Vec::new(), Vec::new());
        let mut missing: BTreeMap<u32, u64> = BTreeMap::new();
        for (&(c, n), r) in &book.requests {
            let expected = eval(r.op, r.a, r.b);
            for a in &r.answers {
                match a {
                    Ok(v) if *v == expected => right += 1,
                    Ok(v) => wrong.push(format!(
                        "client-{c} request {n}: {:?}({}, {}) = {v:?}, expected {expected:?}",
                        r.op, r.a, r.b
                    )),
                    Err(AskError::Timeout) => timeouts += 1,
                    // Only a fault makes the calculator fail or vanish.
                    Err(e) if faulty && matches!(e, AskError::Failed(_) | AskError::Dead) => failed += 1,
                    Err(e) => wrong.push(format!("client-{c} request {n}: {e}")),
                }
            }
            match r.answers.len() {
                1 => {}
                0 => *missing.entry(c).or_default() += 1,
                k => not_one.push(format!("client-{c} request {n}: {k} answers")),
            }
        }
        // An answer can only go missing with a fault: the client was stopped,
        // or the answer itself is a dead letter (dropped, or lost when the
        // client crashed on it).
        let mut dead_to: BTreeMap<ActorId, u64> = BTreeMap::new();
        for d in sys.dead_letters() {
            *dead_to.entry(d.to).or_default() += 1;
        }
        for (&c, &n) in &missing {
            let addr = addrs[c as usize];
            let explained = faulty && (!sys.is_alive(addr) || n <= dead_to.get(&addr.id()).copied().unwrap_or(0));
            if explained {
                unanswered += n;
            } else {
                not_one.push(format!("client-{c}: {n} requests never answered"));
            }
        }
        let late = sys.stats().dead(DeadLetterReason::LateReply);
        let sent = book.requests.len();
        let stopped = if unanswered > 0 { format!(" ({unanswered} answers lost to faults)") } else { String::new() };
        Ok(Report {
            outcome,
            verdicts: vec![
                no_problems("answers-correct", &wrong, 5, || {
                    format!("{right} results right, {timeouts} timeouts, {failed} failed by faults")
                }),
                no_problems("one-answer-per-request", &not_one, 5, || {
                    format!("{sent} requests, each answered once{stopped}")
                }),
                // Without faults the calculator answers every request, so each
                // timed-out ask's reply comes late. A fault may swallow a reply
                // or end an asker early (its asks end, their replies come late).
                Verdict::new(
                    "late-replies-dead-lettered",
                    faulty || late == timeouts,
                    format!(
                        "{late} late replies for {timeouts} timeouts{}",
                        if faulty && late != timeouts { " (not enforced: faults were injected)" } else { "" }
                    ),
                ),
                conservation(sys),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{eval, CalcError, Op};
    use crate::testing::{run, run_with_faults};

    #[test]
    fn eval_checks_its_arithmetic() {
        assert_eq!(eval(Op::Add, 2, 3), Ok(5));
        assert_eq!(eval(Op::Div, 7, -2), Ok(-3));
        assert_eq!(eval(Op::Div, 7, 0), Err(CalcError::DivisionByZero));
        assert_eq!(eval(Op::Mul, i64::MAX, 2), Err(CalcError::Overflow));
        assert_eq!(eval(Op::Div, i64::MIN, -1), Err(CalcError::Overflow));
    }

    #[test]
    fn passes_on_a_few_seeds() {
        for seed in 0..5 {
            let (report, stats) = run("calculator", &[], seed);
            assert!(report.passed(), "seed {seed}: {report:?}");
            assert!(stats.handled > 80);
        }
    }

    #[test]
    fn passes_when_the_calculator_crashes() {
        let plan = r#"
            [[rule]]
            name = "crash-calculator"
            actors = "calculator"
            probability = 0.1
            action = "crash"
        "#;
        for seed in 0..5 {
            let (report, _) = run_with_faults("calculator", &[], seed, plan);
            assert!(report.passed(), "seed {seed}: {report:?}");
        }
    }
}
