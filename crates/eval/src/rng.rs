//! Subsampling for the batched metrics (FPD, KPD) and the protocols' shuffles.
//!
//! jetnet draws its batches with numpy's generator, which we do not reproduce; instead the
//! samplers are a trait, so that a test can replay the exact indices numpy drew and compare the
//! result with jetnet's to rounding, while normal use gets a small seeded generator.

/// Draws `size` row indices from `0..population`, uniformly and with replacement (as
/// `rng.choice(population, size)` does in jetnet).
pub trait IndexSampler {
    fn sample(&mut self, population: usize, size: usize) -> Vec<usize>;
}

/// xoshiro256** seeded through SplitMix64: fast, statistically solid, reproducible across
/// platforms, and no dependency.
#[derive(Debug, Clone)]
pub struct SeededSampler {
    s: [u64; 4],
}

impl SeededSampler {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "cannot draw from an empty range");
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// A random order of `0..n` (Fisher–Yates from the top, one draw per position).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            v.swap(i, self.below(i + 1));
        }
        v
    }
}

impl IndexSampler for SeededSampler {
    fn sample(&mut self, population: usize, size: usize) -> Vec<usize> {
        (0..size).map(|_| self.below(population)).collect()
    }
}
