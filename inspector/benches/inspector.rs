//! The inspector on a 1,000,000-event trace: opening it (folding the state
//! with checkpoints) and redrawing after a key (a jump to the far end, a
//! step back), rendered to a test backend at 120x40.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion};
use rehearsal::trace::{Trace, TraceReader};
use rehearsal::{Actor, Addr, Config, Context, Handled, System, TraceLevel};
use rehearsal_inspector::tui::{render, App, Key};

#[derive(Debug)]
struct Ball {
    left: u64,
    from: Addr<Ball>,
}

struct Player;

impl Actor for Player {
    type Msg = Ball;
    fn handle(&mut self, ctx: &mut Context<'_, Self>, ball: Ball) -> Handled {
        if ball.left > 1 {
            let me = ctx.addr();
            ctx.send(ball.from, Ball { left: ball.left - 1, from: me });
        }
        Ok(())
    }
}

/// The JSON Lines of a trace of about 1,000,000 events (ping-pong: send,
/// deliver, done per message).
fn big_file() -> Vec<u8> {
    let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    {
        let mut sys =
            System::with_trace_writer(Config::seeded(1).trace(TraceLevel::Events), Shared(buf.clone()), false);
        let a = sys.spawn("ping", Player);
        let b = sys.spawn("pong", Player);
        sys.send(a, Ball { left: 333_333, from: b });
        let _ = sys.run_until_idle();
    }
    let bytes = buf.borrow().clone();
    bytes
}

/// Reads a trace from its bytes, as `rehearsal inspect` reads a file.
fn read(bytes: &[u8]) -> Trace {
    let mut r = TraceReader::new(Cursor::new(bytes.to_vec()), "big.jsonl").expect("a trace");
    let header = r.header().clone();
    let mut events = Vec::new();
    while let Some(e) = r.next_event().expect("a complete trace") {
        events.push(e);
    }
    let footer = r.footer().cloned().expect("an end line");
    Trace { header, events, footer }
}

fn inspector(c: &mut Criterion) {
    let file = big_file();
    let trace = read(&file);
    assert!(trace.events.len() >= 999_000, "{} events", trace.events.len());
    let mut g = c.benchmark_group("inspector_1m_events");
    g.sample_size(10);
    g.bench_function("read_file_and_open", |b| {
        b.iter(|| {
            let t = read(&file);
            black_box(App::new(t).handle_key(Key::Char('G')));
        })
    });
    g.bench_function("open", |b| {
        b.iter_batched(|| trace.clone(), |t| black_box(App::new(t)), criterion::BatchSize::PerIteration)
    });
    let mut app = App::new(trace);
    g.bench_function("jump_to_end_and_redraw", |b| {
        b.iter(|| {
            app.handle_key(Key::Char('G'));
            black_box(render(&app, 120, 40, true));
            app.handle_key(Key::Char('g'));
        })
    });
    g.bench_function("step_back_and_redraw", |b| {
        app.handle_key(Key::Char('G'));
        b.iter(|| {
            app.handle_key(Key::Left);
            black_box(render(&app, 120, 40, true))
        })
    });
    g.bench_function("redraw_mailboxes_with_sparklines_200x60", |b| {
        // The mailboxes focused and wide: every row draws its depth over the run.
        app.handle_key(Key::Char('G'));
        app.handle_key(Key::Tab);
        app.handle_key(Key::Tab);
        b.iter(|| {
            app.handle_key(Key::Left);
            black_box(render(&app, 200, 60, true))
        })
    });
    g.finish();
}

criterion_group!(benches, inspector);
criterion_main!(benches);
