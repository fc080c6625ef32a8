//! `iot`: the scale demo. A million device actors (`device-0` ...), each
//! polled once, report a reading to one of a hundred aggregators; at the end
//! each aggregator's count and sum must equal what its devices sent.
//!
//! A device's state is its index (4 bytes); the poll carries the aggregator's
//! address. The reading is a deterministic function of the seed and the
//! device's index rather than a draw from `ctx.rng()`: an actor's random
//! stream is created on first use and costs some 300 bytes, 300 MB for a
//! million devices.

use std::collections::BTreeMap;
use std::fmt::Write;

use rehearsal::supervision::Strategy;
use rehearsal::{Actor, Addr, ChildSpec, Context, DeadLetterReason, Directive, Handled, SupervisorSpec, System};

use crate::util::{histogram, no_problems, stop_note};
use crate::{conservation, ParamError, ParamSpec, Params, Report, Scenario, Verdict};

pub(crate) struct Iot;

/// The reading device `index` takes under `salt` (from the seed): 0..1000.
fn reading(salt: u64, index: u32) -> u32 {
    // SplitMix64.
    let mut z = salt.wrapping_add(u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) % 1000) as u32
}

/// Take a reading and send it to this aggregator.
#[derive(Debug)]
struct Poll {
    aggregator: Addr<Reading>,
    salt: u64,
}

#[derive(Debug)]
struct Reading {
    device: u32,
    value: u32,
}

struct Device {
    index: u32,
}

impl Actor for Device {
    type Msg = Poll;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, poll: Poll) -> Handled {
        let value = reading(poll.salt, self.index);
        ctx.send(poll.aggregator, Reading { device: self.index, value });
        Ok(())
    }
}

struct Aggregator {
    index: u32,
    of: u32,
    count: u64,
    sum: u64,
    /// Readings from a device that reports elsewhere.
    misrouted: u64,
}

impl Actor for Aggregator {
    type Msg = Reading;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, r: Reading) -> Handled {
        if r.device % self.of != self.index {
            self.misrouted += 1;
        }
        self.count += 1;
        self.sum += u64::from(r.value);
        Ok(())
    }
}

impl Scenario for Iot {
    fn name(&self) -> &'static str {
        "iot"
    }

    fn description(&self) -> &'static str {
        "the scale demo: a million devices report to a hundred aggregators, whose totals must add up"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[
            ParamSpec { name: "devices", default: "1000000", help: "how many device actors" },
            ParamSpec { name: "aggregators", default: "100", help: "how many aggregators" },
        ]
    }

    fn run(&self, sys: &mut System) -> Result<Report, ParamError> {
        let p = Params::from_json(self, &sys.config().params)?;
        let devices = p.number("devices", 1..=50_000_000)? as u32;
        let aggregators = p.number("aggregators", 1..=100_000)? as usize;
        let salt = sys.config().seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5EED;

        // Aggregators are supervised and resumed: a crash loses one reading
        // (a dead letter), not the totals.
        let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(100, 10).decider(|_| Directive::Resume);
        let sup = sys.spawn_supervisor("aggregators", spec, move || {
            (0..aggregators)
                .map(|i| {
                    let (index, of) = (i as u32, aggregators as u32);
                    ChildSpec::new(&format!("aggregator-{i}"), move || Aggregator {
                        index,
                        of,
                        count: 0,
                        sum: 0,
                        misrouted: 0,
                    })
                })
                .collect()
        });
        let aggs: Vec<Addr<Reading>> = (0..aggregators)
            .map(|i| sys.child(sup, &format!("aggregator-{i}")).expect("an aggregator just started"))
            .collect();
        let mut name = String::with_capacity(16);
        let devs: Vec<Addr<Poll>> = (0..devices)
            .map(|i| {
                name.clear();
                let _ = write!(name, "device-{i}");
                sys.spawn(&name, Device { index: i })
            })
            .collect();
        let kicks: Vec<u64> = devs
            .iter()
            .enumerate()
            .map(|(i, &d)| sys.send(d, Poll { aggregator: aggs[i % aggregators], salt }).0)
            .collect();
        let outcome = sys.run_until_idle();

        // A device's reading is lost with its poll or its own dead letter.
        let mut lost = vec![false; devices as usize];
        let mut reasons: BTreeMap<DeadLetterReason, u64> = BTreeMap::new();
        for d in sys.dead_letters() {
            let hit = if let Ok(i) = kicks.binary_search(&d.msg.0) {
                Some(i)
            } else if let Some(from) = d.from {
                devs.binary_search_by_key(&from, |a| a.id()).ok()
            } else {
                None
            };
            if let Some(i) = hit {
                lost[i] = true;
                *reasons.entry(d.reason).or_default() += 1;
            }
        }
        let mut expected = vec![(0u64, 0u64); aggregators];
        for i in 0..devices {
            if !lost[i as usize] {
                let e = &mut expected[i as usize % aggregators];
                e.0 += 1;
                e.1 += u64::from(reading(salt, i));
            }
        }
        let mut wrong = Vec::new();
        let (mut count, mut sum) = (0u64, 0u64);
        for (i, &a) in aggs.iter().enumerate() {
            match sys.state(a, |g: &Aggregator| (g.count, g.sum)) {
                Some(got) => {
                    count += got.0;
                    sum += got.1;
                    if got != expected[i] {
                        // Totals live in memory: a restart (after a kill) starts from zero.
                        let restarts = match sys.incarnation(a) {
                            Some(n) if n > 0 => format!(" (restarted {n} times, which wipes its totals)"),
                            _ => String::new(),
                        };
                        wrong.push(format!(
                            "aggregator-{i} has (count, sum) {got:?}, expected {:?}{restarts}",
                            expected[i]
                        ));
                    }
                }
                None => wrong.push(format!("aggregator-{i} is gone")),
            }
        }
        let lost_n = lost.iter().filter(|l| **l).count();
        let totals = no_problems("totals-match", &wrong, 3, || {
            format!(
                "{count} readings summing to {sum} across {aggregators} aggregators; {lost_n} of {devices} devices' readings lost ({}){}",
                histogram(&reasons),
                stop_note(sys)
            )
        });
        let misrouted: u64 = aggs.iter().filter_map(|&a| sys.state(a, |g: &Aggregator| g.misrouted)).sum();
        let routed = Verdict::new(
            "readings-routed",
            misrouted == 0,
            format!("{misrouted} readings reached an aggregator other than their device's"),
        );
        Ok(Report { outcome, verdicts: vec![totals, routed, conservation(sys)] })
    }
}

#[cfg(test)]
mod tests {
    use super::reading;
    use crate::testing::{run, run_with_faults};

    #[test]
    fn readings_spread_over_their_range() {
        let vals: Vec<u32> = (0..1000).map(|i| reading(7, i)).collect();
        assert!(vals.iter().all(|v| *v < 1000));
        assert!(vals.iter().any(|v| *v < 100) && vals.iter().any(|v| *v > 900));
    }

    #[test]
    fn passes_with_a_few_thousand_devices() {
        for seed in 0..3 {
            let (report, stats) = run("iot", &[("devices", "3000"), ("aggregators", "7")], seed);
            assert!(report.passed(), "seed {seed}: {report:?}");
            assert_eq!(stats.handled, 6000);
        }
    }

    #[test]
    fn accounts_for_readings_lost_to_faults() {
        let plan = r#"
            [[rule]]
            name = "flaky-devices"
            actors = "device-1*"
            probability = 0.2
            action = "crash"

            [[rule]]
            name = "lossy-network"
            actors = "aggregator-*"
            probability = 0.05
            action = "drop"

            [[rule]]
            name = "flaky-aggregators"
            actors = "aggregator-3"
            probability = 0.05
            action = "crash"
        "#;
        let (report, stats) = run_with_faults("iot", &[("devices", "2000"), ("aggregators", "5")], 4, plan);
        assert!(report.passed(), "{report:?}");
        assert!(stats.dead_letters > 0);
    }
}
