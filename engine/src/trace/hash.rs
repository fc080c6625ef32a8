//! The running hash that chains a trace's events.
//!
//! Written out by hand rather than taken from `std::hash`, whose output may
//! change between Rust versions: a trace hash must mean the same thing on
//! every machine and every toolchain.
//!
//! An event is a fixed sequence of 64-bit words (see `Event::words`), and
//! the trace format version says how they are folded in:
//!
//! - **Format 2** ([`Digest`], written by this engine): an event's words are
//!   each multiplied by an odd constant of their place in the event and
//!   summed, and the sum (with the number of words) takes one
//!   multiply-xorshift step of the chain. The products do not wait for each
//!   other, so the chain grows by one step an event, not one a word: a
//!   traced run is not held up by its own hash. A change of any one word of
//!   an event always changes the hash: multiplying by an odd number, adding
//!   and the step are all one-to-one.
//! - **Format 1** ([`ChainDigest`], read only): every word takes a step of
//!   the chain, one after the other (21 steps a message, in a row: about a
//!   sixth of the time of a traced ping-pong).

/// Where an event's words go.
pub(crate) trait Words {
    /// One word.
    fn u64(&mut self, x: u64);

    /// A string: its length, then its bytes eight at a time (little-endian,
    /// the last word padded with zeros).
    fn str(&mut self, s: &str) {
        let b = s.as_bytes();
        self.u64(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.u64(u64::from_le_bytes(w));
        }
    }
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;
/// The multiplier of the `n`-th word of an event is `(2n + 1) * PLACE`.
const PLACE: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// The state before the first event, in both formats.
const START: u64 = 0x5245_4845_4152_5341; // "REHEARSA"

/// One step of the chain: a multiply-xorshift of the state and `x`.
#[inline(always)]
fn step(state: u64, x: u64) -> u64 {
    let h = (state ^ x).wrapping_mul(K);
    h ^ (h >> 29)
}

/// The running digest of format 2 (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digest(u64);

impl Digest {
    /// The digest of the empty trace.
    pub(crate) const START: Digest = Digest(START);

    /// Starts an event: give it its words, then [`Digest::end`] it.
    #[inline(always)]
    pub(crate) fn begin(&self) -> EventWords {
        EventWords { sum: 0, n: 0 }
    }

    /// Folds in the event whose words `w` has.
    #[inline(always)]
    pub(crate) fn end(&mut self, w: EventWords) {
        self.0 = step(self.0, w.sum ^ w.n);
    }

    pub(crate) fn value(self) -> u64 {
        self.0
    }
}

/// The words of one event being summed for [`Digest::event`].
pub(crate) struct EventWords {
    sum: u64,
    /// Words so far.
    n: u64,
}

impl Words for EventWords {
    #[inline(always)]
    fn u64(&mut self, x: u64) {
        // An odd multiplier (odd times odd): one-to-one on words.
        let m = (2 * self.n + 1).wrapping_mul(PLACE);
        self.sum = self.sum.wrapping_add(x.wrapping_mul(m));
        self.n += 1;
    }
}

/// The running digest of format 1: every word takes a step of the chain.
/// Kept to check the hash of traces written in that format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainDigest(u64);

impl ChainDigest {
    /// The digest of the empty trace.
    pub(crate) const START: ChainDigest = ChainDigest(START);

    pub(crate) fn value(self) -> u64 {
        self.0
    }
}

impl Words for ChainDigest {
    #[inline(always)]
    fn u64(&mut self, x: u64) {
        self.0 = step(self.0, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(events: &[&[u64]]) -> u64 {
        let mut d = Digest::START;
        for e in events {
            let mut w = d.begin();
            e.iter().for_each(|&x| w.u64(x));
            d.end(w);
        }
        d.value()
    }

    #[test]
    fn order_and_content_both_matter() {
        let mut a = ChainDigest::START;
        a.u64(1);
        a.u64(2);
        let mut b = ChainDigest::START;
        b.u64(2);
        b.u64(1);
        assert_ne!(a.value(), b.value());
        let mut c = ChainDigest::START;
        c.str("abcdefghij");
        let mut d = ChainDigest::START;
        d.str("abcdefghik");
        assert_ne!(c.value(), d.value());

        // Format 2: the order of words in an event, of events, and where
        // an event ends all count.
        assert_ne!(v2(&[&[1, 2]]), v2(&[&[2, 1]]));
        assert_ne!(v2(&[&[1], &[2]]), v2(&[&[2], &[1]]));
        assert_ne!(v2(&[&[1, 2]]), v2(&[&[1], &[2]]));
        assert_ne!(v2(&[&[1, 2]]), v2(&[&[1, 2, 0]]));
        assert_ne!(v2(&[&[0]]), v2(&[&[]]));
        let one = |s: &str| {
            let mut d = Digest::START;
            let mut w = d.begin();
            w.str(s);
            d.end(w);
            d.value()
        };
        assert_ne!(one("abcdefghij"), one("abcdefghik"));
    }

    #[test]
    fn one_word_changed_always_changes_the_hash() {
        // Any single word, at any place, changed in a few ways, in the
        // first of two events.
        let base: [u64; 8] = [7, 0, u64::MAX, 3, 1 << 40, 12, 0, 5];
        let h = v2(&[&base, &[1, 2, 3]]);
        for i in 0..base.len() {
            for delta in [1u64, 2, 1 << 32, 1 << 63, u64::MAX] {
                let mut e = base;
                e[i] ^= delta;
                assert_ne!(v2(&[&e, &[1, 2, 3]]), h, "word {i} xor {delta:#x}");
            }
        }
    }

    #[test]
    fn pinned_values() {
        // The encodings are part of the trace format: these values must never change.
        let mut d = ChainDigest::START;
        d.u64(42);
        d.str("hello");
        assert_eq!(d.value(), PINNED_V1);
        let mut d = Digest::START;
        let mut w = d.begin();
        w.u64(42);
        d.end(w);
        let mut w = d.begin();
        w.str("hello");
        d.end(w);
        assert_eq!(d.value(), PINNED_V2);
    }

    const PINNED_V1: u64 = 6_440_000_420_729_525_565;
    const PINNED_V2: u64 = 7_947_072_472_917_872_100;
}
