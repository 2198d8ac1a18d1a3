//! Multi-head self-attention over a set of tokens (Vaswani et al. 2017), as the CaloScore v2
//! U-Net uses it on the grid positions (no positional encoding, so any permutation of the tokens
//! — a rotation in α among them — permutes the output the same way): one linear map to q, k, v
//! (q first, then k, then v, each C wide), per head softmax(q·kᵀ/√(C/heads))·v, heads
//! concatenated, then an output projection. The residual sum is the caller's.

use super::Linear;
use crate::error::{Error, Result};
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
pub struct MultiHeadAttention {
    pub channels: usize,
    pub heads: usize,
    /// C → 3C.
    pub qkv: Linear,
    /// C → C.
    pub proj: Linear,
}

/// Reusable buffers of [`MultiHeadAttention::forward`].
#[derive(Debug, Default)]
pub struct AttentionScratch {
    qkv: Vec<f32>,
    scores: Vec<f32>,
    heads: Vec<f32>,
}

impl MultiHeadAttention {
    pub fn new(channels: usize, heads: usize, qkv: Linear, proj: Linear) -> Result<Self> {
        if heads == 0
            || !channels.is_multiple_of(heads)
            || (qkv.in_features(), qkv.out_features()) != (channels, 3 * channels)
            || (proj.in_features(), proj.out_features()) != (channels, channels)
        {
            return Err(Error::Invalid(format!(
                "attention over {channels} channels with {heads} heads: qkv {}→{}, proj {}→{}",
                qkv.in_features(),
                qkv.out_features(),
                proj.in_features(),
                proj.out_features()
            )));
        }
        Ok(Self {
            channels,
            heads,
            qkv,
            proj,
        })
    }

    /// `{prefix}.qkv` and `{prefix}.proj` (weights and biases), shapes checked.
    pub fn from_map(map: &TensorMap, prefix: &str, channels: usize, heads: usize) -> Result<Self> {
        let qkv = Linear::from_map(map, &format!("{prefix}.qkv"), channels, 3 * channels, true)?;
        let proj = Linear::from_map(map, &format!("{prefix}.proj"), channels, channels, true)?;
        Self::new(channels, heads, qkv, proj)
    }

    /// `x` `[n, C]` (n tokens) → `y` `[n, C]`, the projected attention output (no residual).
    pub fn forward(&self, x: &[f32], n: usize, y: &mut [f32], s: &mut AttentionScratch) {
        let c = self.channels;
        let dh = c / self.heads;
        assert_eq!(x.len(), n * c, "attention input length");
        assert_eq!(y.len(), n * c, "attention output length");
        s.qkv.resize(n * 3 * c, 0.0);
        self.qkv.forward(x, n, &mut s.qkv);
        s.scores.resize(n * n, 0.0);
        s.heads.resize(n * c, 0.0);
        let scale = 1.0 / (dh as f32).sqrt();
        for h in 0..self.heads {
            let q = s.qkv[h * dh..].as_ptr();
            let k = s.qkv[c + h * dh..].as_ptr();
            let v = s.qkv[2 * c + h * dh..].as_ptr();
            // SAFETY: q, k, v are [n, dh] views of qkv [n, 3c] (row stride 3c) starting inside
            // it; kᵀ is the same view with the strides swapped; scores is [n, n]; the output is
            // the [n, dh] view at column h·dh of heads [n, c].
            unsafe {
                matrixmultiply::sgemm(
                    n,
                    dh,
                    n,
                    scale,
                    q,
                    3 * c as isize,
                    1,
                    k,
                    1,
                    3 * c as isize,
                    0.0,
                    s.scores.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            for row in s.scores.chunks_exact_mut(n) {
                softmax(row);
            }
            unsafe {
                matrixmultiply::sgemm(
                    n,
                    n,
                    dh,
                    1.0,
                    s.scores.as_ptr(),
                    n as isize,
                    1,
                    v,
                    3 * c as isize,
                    1,
                    0.0,
                    s.heads.as_mut_ptr().add(h * dh),
                    c as isize,
                    1,
                );
            }
        }
        self.proj.forward(&s.heads, n, y);
    }

    /// Multiply-adds for `n` tokens: qkv, q·kᵀ, weights·v, proj.
    pub fn macs(&self, n: usize) -> usize {
        let c = self.channels;
        n * c * 3 * c + 2 * n * n * c + n * c * c
    }
}

/// In place, with the maximum subtracted (exp never overflows).
fn softmax(row: &mut [f32]) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = (*v - m).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in row.iter_mut() {
        *v *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(rng: &mut impl Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    /// The definition in f64, one token and one head at a time.
    fn naive(a: &MultiHeadAttention, x: &[f32], n: usize) -> Vec<f32> {
        let c = a.channels;
        let dh = c / a.heads;
        let lin = |l: &Linear, v: &[f64]| -> Vec<f64> {
            let (w, b) = (l.weight(), l.bias().unwrap());
            (0..l.out_features())
                .map(|o| {
                    b[o] as f64
                        + (0..l.in_features())
                            .map(|i| w[o * l.in_features() + i] as f64 * v[i])
                            .sum::<f64>()
                })
                .collect()
        };
        let tokens: Vec<Vec<f64>> = (0..n)
            .map(|i| x[i * c..(i + 1) * c].iter().map(|&v| v as f64).collect())
            .collect();
        let qkv: Vec<Vec<f64>> = tokens.iter().map(|t| lin(&a.qkv, t)).collect();
        let mut out = Vec::new();
        for i in 0..n {
            let mut cat = vec![0f64; c];
            for h in 0..a.heads {
                let score = |j: usize| {
                    (0..dh)
                        .map(|d| qkv[i][h * dh + d] * qkv[j][c + h * dh + d])
                        .sum::<f64>()
                        / (dh as f64).sqrt()
                };
                let s: Vec<f64> = (0..n).map(score).collect();
                let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
                let z: f64 = e.iter().sum();
                for d in 0..dh {
                    cat[h * dh + d] = (0..n).map(|j| e[j] / z * qkv[j][2 * c + h * dh + d]).sum();
                }
            }
            out.extend(lin(&a.proj, &cat).into_iter().map(|v| v as f32));
        }
        out
    }

    #[test]
    fn attention_matches_the_definition_and_permutes_with_its_tokens() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (c, heads, n) = (12, 3, 7);
        let qkv = Linear::new(
            c,
            3 * c,
            random(&mut rng, 3 * c * c),
            Some(random(&mut rng, 3 * c)),
        )
        .unwrap();
        let proj = Linear::new(c, c, random(&mut rng, c * c), Some(random(&mut rng, c))).unwrap();
        let a = MultiHeadAttention::new(c, heads, qkv, proj).unwrap();
        let x = random(&mut rng, n * c);
        let mut y = vec![0f32; n * c];
        let mut s = AttentionScratch::default();
        a.forward(&x, n, &mut y, &mut s);
        for (p, q) in y.iter().zip(naive(&a, &x, n)) {
            assert!((p - q).abs() < 1e-5, "{p} vs {q}");
        }
        // Tokens rolled by 3 → outputs rolled by 3.
        let roll = |v: &[f32]| -> Vec<f32> {
            (0..n)
                .flat_map(|i| v[((i + n - 3) % n) * c..][..c].to_vec())
                .collect()
        };
        let mut y2 = vec![0f32; n * c];
        a.forward(&roll(&x), n, &mut y2, &mut s);
        for (p, q) in y2.iter().zip(roll(&y)) {
            assert!((p - q).abs() < 1e-5);
        }
        assert!(MultiHeadAttention::new(c, 5, a.qkv.clone(), a.proj.clone()).is_err());
    }
}
