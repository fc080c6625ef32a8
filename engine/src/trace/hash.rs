//! The running hash that chains a trace's events.
//!
//! Written out by hand rather than taken from `std::hash`, whose output may
//! change between Rust versions: a trace hash must mean the same thing on
//! every machine and every toolchain.

/// A 64-bit running digest. Each word is mixed into the state with a
/// multiply-xorshift step; strings are taken eight bytes at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digest(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Digest {
    /// The digest of the empty trace.
    pub(crate) const START: Digest = Digest(0x5245_4845_4152_5341); // "REHEARSA"

    #[inline(always)]
    pub(crate) fn u64(&mut self, x: u64) {
        let h = (self.0 ^ x).wrapping_mul(K);
        self.0 = h ^ (h >> 29);
    }

    pub(crate) fn str(&mut self, s: &str) {
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

    pub(crate) fn value(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_content_both_matter() {
        let mut a = Digest::START;
        a.u64(1);
        a.u64(2);
        let mut b = Digest::START;
        b.u64(2);
        b.u64(1);
        assert_ne!(a.value(), b.value());
        let mut c = Digest::START;
        c.str("abcdefghij");
        let mut d = Digest::START;
        d.str("abcdefghik");
        assert_ne!(c.value(), d.value());
    }

    #[test]
    fn pinned_value() {
        // The encoding is part of the trace format: this value must never change.
        let mut d = Digest::START;
        d.u64(42);
        d.str("hello");
        assert_eq!(d.value(), PINNED);
    }

    const PINNED: u64 = 6_440_000_420_729_525_565;
}
