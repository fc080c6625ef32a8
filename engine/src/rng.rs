//! The seeded ChaCha streams (SPEC rule 7).
//!
//! One seed, several independent streams: the schedule, the faults, and one
//! stream per actor. A stream is the ChaCha8 key stretched from the seed with
//! its own ChaCha stream number, so drawing from one never moves another:
//! adding a fault rule does not reshuffle the schedule of unrelated steps.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The scheduler's stream.
pub(crate) const SCHEDULE: u64 = 0;
/// The fault injector's stream.
pub(crate) const FAULTS: u64 = 1;
/// The stream a swarm plan is drawn from.
pub(crate) const SWARM: u64 = 2;
/// Actor streams start here; actor `#n` draws from stream `ACTORS + n`.
pub(crate) const ACTORS: u64 = 1 << 32;

/// The stream `stream` of `seed`.
pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..4).map(|_| 0).scan(stream(9, SCHEDULE), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..4).map(|_| 0).scan(stream(9, SCHEDULE), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> = (0..4).map(|_| 0).scan(stream(9, FAULTS), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
