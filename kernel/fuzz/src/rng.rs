//! The fuzzer's deterministic PRNG (SplitMix64): one seed, printed at start, replays a run's
//! choices per worker (worker `i` draws from `seed` mixed with `i`).

/// SplitMix64: tiny, fast, and every seed (0 included) gives a full-period stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The generator of worker `i` of a run seeded with `seed`.
    pub fn for_worker(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi` (any order of the two).
    pub fn range_i128(&mut self, lo: i128, hi: i128) -> i128 {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        let span = (hi - lo) as u128;
        if span >= u64::MAX as u128 {
            // full 64-bit (or wider) span: any 64 bits, shifted into place
            return lo + (self.next_u64() as u128 % (span + 1).max(1)) as i128;
        }
        lo + self.below(span as u64 + 1) as i128
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of `items` (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_workers_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut w0 = Rng::for_worker(7, 0);
        let mut w1 = Rng::for_worker(7, 1);
        assert_ne!(w0.next_u64(), w1.next_u64());
    }

    #[test]
    fn ranges_hold_their_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            let v = r.range_i128(-3, 5);
            assert!((-3..=5).contains(&v));
            let w = r.range_i128(0, u64::MAX as i128);
            assert!((0..=u64::MAX as i128).contains(&w));
            let s = r.range_i128(i64::MIN as i128, i64::MAX as i128);
            assert!((i64::MIN as i128..=i64::MAX as i128).contains(&s));
        }
        assert_eq!(r.below(0), 0);
        assert!(r.pick::<u8>(&[]).is_none());
    }
}
