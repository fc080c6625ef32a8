//! Supervision, lifecycle, links and monitors (SPEC sections 3 and 4): unit
//! tests on hand-written trees and properties over generated ones.

mod harness;
mod props;
mod units;
