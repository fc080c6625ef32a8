//! Golden trace hashes: each built-in scenario under fixed seeds must give
//! exactly these traces. Any change to the engine's or a scenario's
//! behaviour (or to the trace encoding) moves a hash and fails here; if the
//! change is intended, update the table and say why in the commit.

use rehearsal::trace::format_hash;
use rehearsal::{Config, Strategy, System, TraceLevel};
use rehearsal_scenarios::Params;

/// One golden run: scenario, overridden parameters, seed, strategy, expected hash.
type Golden = (&'static str, &'static [(&'static str, &'static str)], u64, &'static str, &'static str);

const GOLDEN: &[Golden] = &[
    ("counter", &[], 1, "random", "67d2e32de01a30a1"),
    ("counter", &[], 2, "pct", "e902aebd3656d946"),
    ("counter", &[], 3, "fifo", "16fa23ced6233a2a"),
    ("orders", &[], 1, "random", "cd1d3e9003577489"),
    ("orders", &[], 2, "pct", "82d798ee74e30c28"),
    ("orders", &[], 3, "fifo", "170f31e49d9bdb06"),
    ("greeter", &[], 1, "random", "7a6fc70aff0b34bd"),
    ("greeter", &[], 2, "pct", "97694228784e6e98"),
    ("greeter", &[], 3, "fifo", "0cefb6cd9cae5850"),
    ("calculator", &[], 1, "random", "d7f1611084d903a1"),
    ("calculator", &[], 2, "pct", "f6f7c29fda4a2870"),
    ("calculator", &[], 3, "fifo", "4dc4bb5d1a124681"),
    ("supervision", &[], 1, "random", "09b74c9f7c295b80"),
    ("supervision", &[], 2, "pct", "0896062680eb324b"),
    ("supervision", &[], 3, "fifo", "a6f2b87db41162b7"),
    ("backpressure", &[], 1, "random", "62a710169fd6ca8e"),
    ("backpressure", &[], 2, "pct", "7708c993bc10ccd1"),
    ("backpressure", &[], 3, "fifo", "3f5d66756b359614"),
    ("bank", &[], 1, "random", "4f55e0fda8039948"),
    ("bank", &[], 2, "pct", "c28738a15403867e"),
    ("bank", &[], 3, "fifo", "9a31473ca361e751"),
    ("bank-buggy", &[], 1, "random", "734accf6ad8ac73f"),
    ("bank-buggy", &[], 2, "pct", "4b12dd4c7afc44a5"),
    ("bank-buggy", &[], 3, "fifo", "570b2b5f4746acba"),
    ("pipeline", &[], 1, "random", "f9edfaa9fa38fa4b"),
    ("pipeline", &[], 2, "pct", "6393174433684e7b"),
    ("pipeline", &[], 3, "fifo", "ed0b40413282b15f"),
    ("iot", &[("devices", "1000")], 1, "random", "b52914eeba87b476"),
    ("iot", &[("devices", "1000")], 2, "pct", "5ff46cf589855c6f"),
    ("iot", &[("devices", "1000")], 3, "fifo", "d88d8791d415acba"),
];

fn hash(name: &str, params: &[(&str, &str)], seed: u64, strategy: &str) -> String {
    let scenario = rehearsal_scenarios::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let params = Params::resolve(scenario, params).expect("valid parameters");
    let strategy: Strategy = strategy.parse().expect("a strategy");
    let cfg = Config::seeded(seed).strategy(strategy).trace(TraceLevel::Events).scenario(name, params.to_json());
    let mut sys = System::with_trace_writer(cfg, std::io::sink(), false);
    let _ = scenario.run(&mut sys).expect("the scenario runs");
    sys.trace_hash().map(format_hash).expect("tracing is on")
}

#[test]
fn every_scenario_keeps_its_golden_hash() {
    let mut moved = Vec::new();
    for &(name, params, seed, strategy, expected) in GOLDEN {
        let got = hash(name, params, seed, strategy);
        if got != expected {
            moved.push(format!("{name} {params:?} seed {seed} {strategy}: expected {expected}, got {got}"));
        }
    }
    assert!(moved.is_empty(), "determinism changed:\n{}", moved.join("\n"));
}

#[test]
fn every_scenario_is_in_the_table() {
    for s in rehearsal_scenarios::all() {
        assert!(GOLDEN.iter().any(|g| g.0 == s.name()), "scenario {} has no golden hash", s.name());
    }
}

/// The hash depends on nothing but the inputs: two runs agree.
#[test]
fn same_run_twice_same_hash() {
    for &(name, params, seed, strategy, _) in GOLDEN.iter().take(4) {
        assert_eq!(hash(name, params, seed, strategy), hash(name, params, seed, strategy));
    }
}
