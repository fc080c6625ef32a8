//! Mailboxes and back-pressure (SPEC section 5): each policy on a
//! hand-written system, and properties over generated ones.

mod actors;
mod parking;
mod props;
mod units;
