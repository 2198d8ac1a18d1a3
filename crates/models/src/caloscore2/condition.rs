//! The condition embedding both CaloScore v2 networks share (config.rs, "Condition embedding"):
//! emb = swish(`cond.1`(swish(`cond.0`(c)))), c = [temb(t), e, …] one row per shower.

use crate::error::Result;
use crate::nn::activation::swish_inplace;
use crate::nn::{sinusoidal_embedding, Linear};
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
pub struct ConditionEmbedding {
    pub time_dim: usize,
    cond0: Linear,
    cond1: Linear,
}

impl ConditionEmbedding {
    /// `{prefix}cond.0` (n_in → width) and `{prefix}cond.1` (width → width).
    pub fn from_map(
        map: &TensorMap,
        prefix: &str,
        time_dim: usize,
        n_in: usize,
        width: usize,
    ) -> Result<Self> {
        Ok(Self {
            time_dim,
            cond0: Linear::from_map(map, &format!("{prefix}cond.0"), n_in, width, true)?,
            cond1: Linear::from_map(map, &format!("{prefix}cond.1"), width, width, true)?,
        })
    }

    pub fn n_in(&self) -> usize {
        self.cond0.in_features()
    }

    pub fn width(&self) -> usize {
        self.cond1.out_features()
    }

    /// The rows c = [temb(t_b), e_b, extra_b…] (`extra` holds `batch` rows of the same width).
    pub fn rows(&self, t: &[f64], e: &[f32], extra: &[f32]) -> Vec<f32> {
        let batch = t.len();
        assert_eq!(e.len(), batch, "one energy per shower");
        let w = extra.len() / batch.max(1);
        assert_eq!(self.time_dim + 1 + w, self.n_in(), "condition width");
        let mut c = Vec::with_capacity(batch * self.n_in());
        for b in 0..batch {
            sinusoidal_embedding(t[b], self.time_dim, &mut c);
            c.push(e[b]);
            c.extend_from_slice(&extra[b * w..(b + 1) * w]);
        }
        c
    }

    /// emb `[B, width]` of the rows `c` `[B, n_in]`.
    pub fn forward(&self, c: &[f32], batch: usize) -> Vec<f32> {
        let mut h = vec![0f32; batch * self.width()];
        self.cond0.forward(c, batch, &mut h);
        swish_inplace(&mut h);
        let mut emb = vec![0f32; batch * self.width()];
        self.cond1.forward(&h, batch, &mut emb);
        swish_inplace(&mut emb);
        emb
    }

    pub fn macs(&self) -> usize {
        let w = self.width();
        self.n_in() * w + w * w
    }
}
