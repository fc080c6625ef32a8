//! Any text given to the fault-plan parser: an error naming a line, never a
//! panic; a plan that parses writes back to TOML that parses to the same plan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rehearsal::faults::FaultPlan;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match FaultPlan::from_toml_str(text, "fuzz.toml") {
        Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count() + 1),
        Ok(plan) => {
            let again = FaultPlan::from_toml_str(&plan.to_toml(), "again.toml").expect("to_toml reads back");
            assert_eq!(again.rules.len(), plan.rules.len());
        }
    }
});
