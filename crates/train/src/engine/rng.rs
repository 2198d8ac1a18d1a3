//! One seed drives everything: each consumer gets its own ChaCha8 stream derived from the seed and
//! a stable name, so adding a consumer never shifts the numbers another one sees.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream for `name` under `seed`.
pub fn stream(seed: u64, name: &str) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(fnv1a(name));
    rng
}

/// FNV-1a: a stable (across Rust versions) hash for stream names; `DefaultHasher` is not.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Everything needed to continue a ChaCha8 stream exactly where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RngState {
    pub seed: [u8; 32],
    pub stream: u64,
    pub word_pos: u128,
}

impl RngState {
    pub fn of(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    pub fn restore(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }

    /// Text form for safetensors metadata (which only holds strings).
    pub fn encode(&self) -> String {
        let seed: String = self.seed.iter().map(|b| format!("{b:02x}")).collect();
        format!("{seed}:{}:{}", self.stream, self.word_pos)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let mut it = s.split(':');
        let hex = it.next()?;
        if hex.len() != 64 {
            return None;
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self {
            seed,
            stream: it.next()?.parse().ok()?,
            word_pos: it.next()?.parse().ok()?,
        })
    }
}

/// Standard normal by Box–Muller (keeps the dependency list short; speed is irrelevant next to
/// the network).
pub fn normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

pub fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| normal(rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_roundtrip_continues_the_stream() {
        let mut a = stream(7, "train");
        let _: u64 = a.random();
        let s = RngState::decode(&RngState::of(&a).encode()).unwrap();
        let mut b = s.restore();
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }

    #[test]
    fn named_streams_differ() {
        assert_ne!(
            stream(1, "a").random::<u64>(),
            stream(1, "b").random::<u64>()
        );
    }
}
