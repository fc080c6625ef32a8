//! Traces for the inspector's tests, made by running small systems: a
//! producer flooding a bounded sink (drops) and an unbounded collector (a
//! growing mailbox), a supervisor whose worker crashes three times (restarts,
//! a restart storm), an actor stopped by a poison pill with mail behind it.

use std::cell::RefCell;
use std::io::{Cursor, Write};
use std::rc::Rc;

use rehearsal::supervision::Strategy;
use rehearsal::trace::{Trace, TraceReader};
use rehearsal::{
    Actor, Addr, ChildSpec, Config, Context, Handled, MailboxConfig, Overflow, Stats, SupervisorSpec, System,
    TraceLevel,
};

/// A `Write` whose bytes stay readable after the system that wrote them.
#[derive(Clone, Default)]
pub(crate) struct SharedBuf(pub(crate) Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) struct Sink;

impl Actor for Sink {
    type Msg = u32;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _n: u32) -> Handled {
        Ok(())
    }
}

pub(crate) struct Producer {
    pub(crate) sink: Addr<u32>,
    pub(crate) collector: Addr<u32>,
}

impl Actor for Producer {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        for i in 0..n {
            ctx.send(self.sink, i);
        }
        for i in 0..2 * n {
            ctx.send(self.collector, i);
        }
        Ok(())
    }
}

pub(crate) struct Worker;

impl Actor for Worker {
    type Msg = &'static str;
    fn handle(&mut self, _ctx: &mut Context<'_, Self>, job: &'static str) -> Handled {
        if job == "poison" {
            panic!("cannot digest it");
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) enum ClientMsg {
    Go,
}

pub(crate) struct Client {
    pub(crate) worker: Addr<&'static str>,
    pub(crate) other: Addr<&'static str>,
}

impl Actor for Client {
    type Msg = ClientMsg;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, _msg: ClientMsg) -> Handled {
        for job in ["job", "poison", "job", "poison", "job", "poison", "job"] {
            ctx.send(self.worker, job);
        }
        ctx.send(self.other, "job");
        Ok(())
    }
}

/// The actors of the sample system, for tests that step it themselves.
pub(crate) struct Sample {
    pub(crate) sys: System,
    pub(crate) sink: Addr<u32>,
    pub(crate) collector: Addr<u32>,
    pub(crate) worker: Addr<&'static str>,
    pub(crate) other: Addr<&'static str>,
    pub(crate) temp: Addr<u32>,
}

/// Builds the sample system and sends its first messages; nothing has run.
pub(crate) fn sample_system(sys: System) -> Sample {
    let mut sys = sys;
    let sink = sys.spawn_with("sink", Sink, MailboxConfig::bounded(2, Overflow::DropNewest));
    let collector = sys.spawn("collector", Sink);
    let producer = sys.spawn("producer", Producer { sink, collector });
    let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(5, 100);
    let sup = sys.spawn_supervisor("sup", spec, || {
        vec![ChildSpec::new("worker-1", || Worker), ChildSpec::new("worker-2", || Worker)]
    });
    let worker = sys.child::<&'static str>(sup, "worker-1").expect("worker-1 starts");
    let other = sys.child::<&'static str>(sup, "worker-2").expect("worker-2 starts");
    let client = sys.spawn("client", Client { worker, other });
    let temp = sys.spawn("temp", Sink);
    sys.send(producer, 5);
    sys.send(client, ClientMsg::Go);
    sys.send(temp, 1);
    sys.stop(temp);
    sys.send(temp, 2);
    Sample { sys, sink, collector, worker, other, temp }
}

fn config() -> Config {
    Config::seeded(1).trace(TraceLevel::Payloads).scenario("fixture", serde_json::json!({}))
}

/// The sample run's trace, written as JSON Lines and read back, and the
/// engine's counters at its end.
pub(crate) fn sample_trace_and_stats() -> (Trace, Stats) {
    let buf = SharedBuf::default();
    let mut s = sample_system(System::with_trace_writer(config(), buf.clone(), false));
    let outcome = s.sys.run_until_idle();
    assert_eq!(outcome, rehearsal::RunOutcome::Idle);
    let stats = s.sys.stats();
    s.sys.finish().expect("the trace is written");
    drop(s);
    let bytes = buf.0.borrow().clone();
    (read(bytes), stats)
}

/// The sample run's trace.
pub(crate) fn sample_trace() -> Trace {
    sample_trace_and_stats().0
}

/// The sample system, tracing to memory, for step-by-step comparisons.
pub(crate) fn sample_in_memory() -> Sample {
    sample_system(System::new(config()))
}

/// Reads a trace from bytes.
pub(crate) fn read(bytes: Vec<u8>) -> Trace {
    let mut r = TraceReader::new(Cursor::new(bytes), "t.jsonl").expect("a trace header");
    let mut events = Vec::new();
    while let Some(ev) = r.next_event().expect("a good event") {
        events.push(ev);
    }
    let footer = r.footer().cloned().expect("a footer");
    Trace { header: r.header().clone(), events, footer }
}

pub(crate) struct Ping {
    pub(crate) left: u32,
}

impl Actor for Ping {
    type Msg = (u32, Addr<u32>);
    fn handle(&mut self, ctx: &mut Context<'_, Self>, (n, back): (u32, Addr<u32>)) -> Handled {
        if self.left > 0 {
            self.left -= 1;
            ctx.send(back, n + 1);
        }
        Ok(())
    }
}

pub(crate) struct Pong {
    pub(crate) ping: Addr<(u32, Addr<u32>)>,
}

impl Actor for Pong {
    type Msg = u32;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Handled {
        let me = ctx.addr();
        ctx.send(self.ping, (n, me));
        Ok(())
    }
}

/// A long trace: `rounds` round trips of ping-pong (about six events each),
/// kept in memory.
pub(crate) fn ping_pong_trace(rounds: u32) -> Trace {
    let mut sys = System::new(Config::seeded(2).trace(TraceLevel::Events).max_steps(u64::MAX));
    let ping = sys.spawn("ping", Ping { left: rounds });
    let pong = sys.spawn("pong", Pong { ping });
    sys.send(pong, 0);
    assert_eq!(sys.run_until_idle(), rehearsal::RunOutcome::Idle);
    let events: Vec<_> = sys.events().cloned().collect();
    let footer = rehearsal::trace::TraceFooter {
        events: events.len() as u64,
        hash: rehearsal::trace::format_hash(sys.trace_hash().unwrap_or(0)),
    };
    Trace { header: sys.header(), events, footer }
}
