//! Engine throughput benchmarks: ping-pong, rings of actors with one or many
//! tokens in flight, spawning many idle actors, and the cost of tracing.
//!
//! Every benchmark reports `Throughput::Elements` (messages delivered, or
//! actors spawned), so criterion prints elements per second. Systems are
//! built outside the timed region wherever possible (`iter_custom`), and
//! dropped outside it too: dropping a million actors or a trace of millions
//! of events is not what is being measured.
//!
//! Run with `cargo bench -p rehearsal`, or add `-- --quick` while iterating.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use rehearsal::{Actor, Addr, Config, Context, Handled, RunOutcome, Strategy, System, TraceLevel};

#[path = "workloads/mod.rs"]
mod workloads;
use workloads::{ping_pong_system, ring, RingMsg};

/// A configuration for benchmarking: tracing as given, no step limit (a
/// system reused over many iterations makes many millions of deliveries).
fn config(trace: TraceLevel, strategy: Strategy) -> Config {
    Config::seeded(42).trace(trace).strategy(strategy).max_steps(u64::MAX)
}

fn run(sys: &mut System) {
    let outcome = sys.run_until_idle();
    assert_eq!(outcome, RunOutcome::Idle, "a benchmark run must end idle");
}

// ===== ping-pong =====

/// Times `messages` deliveries of ping-pong on a fresh system per iteration;
/// building and dropping the system are not timed.
fn time_ping_pong(cfg: &Config, messages: u64, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut sys = ping_pong_system(cfg.clone(), messages);
        let start = Instant::now();
        run(&mut sys);
        total += start.elapsed();
        assert_eq!(sys.steps(), messages);
        drop(black_box(sys));
    }
    total
}

const PING_PONG_MESSAGES: u64 = 1_000_000;

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(PING_PONG_MESSAGES));
    for (name, strategy) in [("random", Strategy::Random), ("fifo", Strategy::Fifo)] {
        let cfg = config(TraceLevel::Off, strategy);
        g.bench_function(BenchmarkId::new(name, PING_PONG_MESSAGES), |b| {
            b.iter_custom(|iters| time_ping_pong(&cfg, PING_PONG_MESSAGES, iters))
        });
    }
    g.finish();
}

/// Ping-pong with the trace off, events kept in memory, and payloads kept
/// in memory: what tracing costs.
fn ping_pong_tracing(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong_tracing");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(PING_PONG_MESSAGES));
    for (name, level) in [("off", TraceLevel::Off), ("events", TraceLevel::Events), ("payloads", TraceLevel::Payloads)]
    {
        let cfg = config(level, Strategy::Random);
        g.bench_function(BenchmarkId::new(name, PING_PONG_MESSAGES), |b| {
            b.iter_custom(|iters| time_ping_pong(&cfg, PING_PONG_MESSAGES, iters))
        });
    }
    g.finish();
}

// ===== rings =====

/// Times iterations on one ring, built once: each iteration injects
/// `tokens` tokens spread evenly round the ring, each making `hops`
/// deliveries, and runs until idle. Injecting is timed (those sends are the
/// first of the counted deliveries).
fn time_ring(sys: &mut System, nodes: &[Addr<RingMsg>], tokens: usize, hops: u64, iters: u64) -> Duration {
    let stride = nodes.len() / tokens;
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let before = sys.steps();
        let start = Instant::now();
        for t in 0..tokens {
            sys.send(nodes[t * stride], RingMsg::Token(hops));
        }
        run(sys);
        total += start.elapsed();
        assert_eq!(sys.steps() - before, tokens as u64 * hops);
    }
    total
}

/// One ring benchmark: `n` nodes, `tokens` tokens of `hops` deliveries each.
fn bench_ring(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    n: usize,
    tokens: usize,
    hops: u64,
) {
    let (mut sys, nodes) = ring(config(TraceLevel::Off, Strategy::Random), n);
    g.throughput(Throughput::Elements(tokens as u64 * hops));
    g.bench_function(name, |b| b.iter_custom(|iters| time_ring(&mut sys, &nodes, tokens, hops, iters)));
    // Dropping a big ring takes a while; keep it out of every measurement.
    drop(sys);
}

fn ring_small(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_1k");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    // One token round a ring of 1,000, a thousand laps: 1M messages.
    bench_ring(&mut g, "1_token", 1_000, 1, 1_000_000);
    // 1,000 tokens (one per node), a lap each: 1M messages.
    bench_ring(&mut g, "1k_tokens", 1_000, 1_000, 1_000);
    g.finish();
}

fn ring_big(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_1m");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    // One token, one lap of a ring of 1,000,000: 1M messages.
    bench_ring(&mut g, "1_token", 1_000_000, 1, 1_000_000);
    // 1,000,000 tokens (one per node), 2 hops each: 2M messages, about two
    // seconds an iteration at the current speed.
    g.measurement_time(Duration::from_secs(25));
    bench_ring(&mut g, "1m_tokens", 1_000_000, 1_000_000, 2);
    g.finish();
}

// ===== spawning =====

/// An idle actor with a little state; it never gets a message.
struct Idle {
    _state: u64,
}

impl Actor for Idle {
    type Msg = u64;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _msg: u64) -> Handled {
        Ok(())
    }
}

const SPAWN_ACTORS: u64 = 1_000_000;

fn spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(SPAWN_ACTORS));
    for (name, label) in [("anonymous", ""), ("named", "worker")] {
        g.bench_function(BenchmarkId::new(name, SPAWN_ACTORS), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let mut sys = System::new(config(TraceLevel::Off, Strategy::Random));
                    for i in 0..SPAWN_ACTORS {
                        black_box(sys.spawn(label, Idle { _state: i }));
                    }
                    total += start.elapsed();
                    assert_eq!(sys.actor_count() as u64, SPAWN_ACTORS);
                    drop(black_box(sys));
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ping_pong, ring_small, ring_big, spawn, ping_pong_tracing);
criterion_main!(benches);
