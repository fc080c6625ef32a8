//! SPEC rules 6 and 29: one step is one delivery, and every event names the
//! delivery that caused it.

use std::collections::BTreeMap;

use rehearsal::{Config, EventKind, Strategy, System, TraceLevel};

use crate::determinism::mesh;

fn run(seed: u64, strategy: Strategy) -> System {
    let mut sys = System::new(Config::seeded(seed).strategy(strategy).trace(TraceLevel::Payloads));
    mesh(&mut sys);
    sys
}

#[test]
fn every_event_names_its_cause() {
    for strategy in [Strategy::Random, Strategy::PCT, Strategy::Fifo] {
        for seed in 0..10 {
            let sys = run(seed, strategy);
            let events: Vec<_> = sys.events().cloned().collect();
            // Deliveries are numbered 1, 2, 3, ... and each is a step.
            let delivery_steps: Vec<u64> =
                events.iter().filter(|e| matches!(e.kind, EventKind::Deliver { .. })).map(|e| e.step).collect();
            let n = delivery_steps.len() as u64;
            assert_eq!(delivery_steps, (1..=n).collect::<Vec<_>>(), "{strategy}");
            assert_eq!(sys.steps(), n);

            // Steps and times never go backwards.
            for w in events.windows(2) {
                assert!(w[0].step <= w[1].step, "{strategy} seed {seed}");
                assert!(w[0].time <= w[1].time, "{strategy} seed {seed}");
            }

            let mut send_cause = BTreeMap::new();
            for e in &events {
                if let Some(c) = e.cause {
                    assert!(c >= 1 && c <= e.step, "{strategy}: cause {c} of {e}");
                }
                match &e.kind {
                    EventKind::Send { msg, from, .. } => {
                        send_cause.insert(*msg, e.cause);
                        // A message sent by an actor is caused by one of its
                        // deliveries; one sent by the test by none.
                        assert_eq!(from.is_some(), e.cause.is_some(), "{strategy}: {e}");
                    }
                    EventKind::Deliver { msg, actor, from } => {
                        let sent =
                            send_cause.get(msg).unwrap_or_else(|| panic!("{strategy}: delivered before sent: {e}"));
                        assert_eq!(e.cause, *sent, "{strategy}: a delivery's cause is its send's cause: {e}");
                        let _ = (actor, from);
                    }
                    EventKind::Done { .. } | EventKind::Ask { from: Some(_), .. } => {
                        assert_eq!(e.cause, Some(e.step), "{strategy}: {e}");
                    }
                    _ => {}
                }
            }

            // A send inside a handler is caused by that delivery, and the
            // sender is the actor being delivered to.
            let mut delivered_to = BTreeMap::new();
            for e in &events {
                if let EventKind::Deliver { actor, .. } = e.kind {
                    delivered_to.insert(e.step, actor);
                }
            }
            for e in &events {
                if let (EventKind::Send { from: Some(f), .. }, Some(c)) = (&e.kind, e.cause) {
                    assert_eq!(delivered_to.get(&c), Some(f), "{strategy}: {e}");
                }
            }
        }
    }
}

/// `fifo` delivers in global send order: the message ids of the deliveries
/// only grow.
#[test]
fn fifo_delivers_in_global_send_order() {
    for seed in 0..3 {
        let sys = run(seed, Strategy::Fifo);
        let delivered: Vec<u64> = sys
            .events()
            .filter_map(|e| match e.kind {
                EventKind::Deliver { msg, .. } => Some(msg.0),
                _ => None,
            })
            .collect();
        assert!(delivered.len() > 30);
        assert!(delivered.windows(2).all(|w| w[0] < w[1]), "fifo out of global send order: {delivered:?}");
    }
}
