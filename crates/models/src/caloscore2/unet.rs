//! CaloScore v2's voxel network (config.rs, "Voxel network"): a U-Net over the voxel grid —
//! 3-D (layer, α, r) with circular padding along α for datasets 2 and 3, 1-D over the flat voxel
//! index for dataset 1 — with the condition [temb(t), e, layer features] added after every
//! convolution through a learnt embedding, skip connections by concatenation and attention at
//! the lowest resolution (or at every lower one) (paper "CaloScore v2", §III).
//!
//! Activations are `[C][B][P]` (`nn::conv`): the noisy voxels `[B, n_voxels]` are already the
//! one-channel input, and the one-channel output is the velocity `[B, n_voxels]`.

use super::condition::ConditionEmbedding;
use super::config::{Attention, Cs2Config, Grid};
use crate::error::Result;
use crate::nn::{
    upsample_nearest, AttentionScratch, Conv, ConvGrid, ConvScratch, Linear, MultiHeadAttention,
    Pad,
};
use crate::tensor::TensorMap;

/// A conv unit: y = swish(conv(x) + emb(condition embedding)).
#[derive(Debug, Clone)]
struct Unit {
    conv: Conv,
    emb: Linear,
}

#[derive(Debug, Default)]
struct Scratch {
    conv: ConvScratch,
    attn: AttentionScratch,
}

impl Unit {
    fn from_map(
        map: &TensorMap,
        name: &str,
        rank: usize,
        c_in: usize,
        c_out: usize,
        e: usize,
    ) -> Result<Self> {
        Ok(Self {
            conv: Conv::from_map(map, &format!("{name}.conv"), c_in, c_out, rank)?,
            emb: Linear::from_map(map, &format!("{name}.emb"), e, c_out, true)?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        x: &[f32],
        batch: usize,
        grid: &ConvGrid,
        stride: usize,
        emb: &[f32],
        s: &mut Scratch,
    ) -> (Vec<f32>, ConvGrid) {
        let mut add = vec![0f32; batch * self.conv.c_out];
        self.emb.forward(emb, batch, &mut add);
        let mut y = Vec::new();
        let out = self.conv.forward_fused(
            x,
            batch,
            grid,
            stride,
            Some(&add),
            true,
            &mut y,
            &mut s.conv,
        );
        (y, out)
    }
}

/// h = h + attention(h) over the positions of each shower.
fn attend(a: &MultiHeadAttention, h: &mut [f32], batch: usize, p: usize, s: &mut Scratch) {
    let c = a.channels;
    let mut tokens = vec![0f32; p * c];
    let mut out = vec![0f32; p * c];
    for b in 0..batch {
        for ch in 0..c {
            let row = &h[(ch * batch + b) * p..][..p];
            for (i, &v) in row.iter().enumerate() {
                tokens[i * c + ch] = v;
            }
        }
        a.forward(&tokens, p, &mut out, &mut s.attn);
        for ch in 0..c {
            let row = &mut h[(ch * batch + b) * p..][..p];
            for (i, v) in row.iter_mut().enumerate() {
                *v += out[i * c + ch];
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Level {
    down_a: Unit,
    down_attn: Option<MultiHeadAttention>,
    down_b: Unit,
    up: Unit,
    up_attn: Option<MultiHeadAttention>,
}

#[derive(Debug, Clone)]
pub struct VoxelNet {
    pub grid: ConvGrid,
    pub n_layers: usize,
    pub channels: Vec<usize>,
    cond: ConditionEmbedding,
    levels: Vec<Level>,
    mid_a: Unit,
    mid_attn: MultiHeadAttention,
    mid_b: Unit,
    out: Conv,
}

/// Showers per pass through the U-Net: a few showers' activations stay in the caches between
/// layers, while a whole batch's (about 2 MB per dataset-2 shower) would stream through memory
/// at every layer; the grid positions already make the convolutions' matrices wide. Measured
/// (`examples/cs2_step.rs`, dataset 2, default widths, batch 100, thread CPU time on the loaded
/// 2-vCPU machine): 9.1 ms per shower and step with passes of 1 shower, 7.8 with 4, 7.4 with 16.
const MICRO_BATCH: usize = 8;

/// The convolution grid of a config grid (circular axes padded circularly).
pub fn conv_grid(grid: &Grid) -> Result<ConvGrid> {
    let pad: Vec<Pad> = grid
        .circular
        .iter()
        .map(|&c| if c { Pad::Circular } else { Pad::Zero })
        .collect();
    ConvGrid::new(&grid.dims, &pad)
}

impl VoxelNet {
    pub fn from_map(
        map: &TensorMap,
        cfg: &Cs2Config,
        n_layers: usize,
        grid: &Grid,
    ) -> Result<Self> {
        let v = &cfg.voxel_net;
        let (e, rank, c) = (v.embedding, grid.dims.len(), &v.channels);
        let all_low = v.attention == Attention::AllLow;
        let last = *c.last().expect("config checked: at least one level");
        let attn = |name: &str, ch| {
            MultiHeadAttention::from_map(map, &format!("voxel.{name}"), ch, v.heads)
        };
        let unit =
            |name: &str, ci, co| Unit::from_map(map, &format!("voxel.{name}"), rank, ci, co, e);
        let levels = (0..c.len())
            .map(|i| {
                let c_in = if i == 0 { 1 } else { c[i - 1] };
                let below = if i + 1 == c.len() { last } else { c[i + 1] };
                let with_attn = all_low && i >= 1;
                Ok(Level {
                    down_a: unit(&format!("down.{i}.a"), c_in, c[i])?,
                    down_attn: with_attn
                        .then(|| attn(&format!("down.{i}.attn"), c[i]))
                        .transpose()?,
                    down_b: unit(&format!("down.{i}.b"), c[i], c[i])?,
                    up: unit(&format!("up.{i}"), below + c[i], c[i])?,
                    up_attn: with_attn
                        .then(|| attn(&format!("up.{i}.attn"), c[i]))
                        .transpose()?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            grid: conv_grid(grid)?,
            n_layers,
            channels: c.clone(),
            cond: ConditionEmbedding::from_map(
                map,
                "voxel.",
                cfg.time_embedding,
                cfg.time_embedding + 1 + n_layers,
                e,
            )?,
            levels,
            mid_a: unit("mid.a", last, last)?,
            mid_attn: attn("mid.attn", last)?,
            mid_b: unit("mid.b", last, last)?,
            out: Conv::from_map(map, "voxel.out", c[0], 1, rank)?,
        })
    }

    pub fn n_voxels(&self) -> usize {
        self.grid.positions()
    }

    /// The velocity `[B, n_voxels]` at the noisy voxel features `x` `[B, n_voxels]`, times `t`,
    /// encoded energies `e` and layer features `layers` `[B, n_layers]`, one row per shower.
    pub fn forward(&self, x: &[f32], t: &[f64], e: &[f32], layers: &[f32]) -> Vec<f32> {
        let batch = t.len();
        assert_eq!(x.len(), batch * self.n_voxels(), "voxel features");
        assert_eq!(layers.len(), batch * self.n_layers, "layer features");
        let (nv, nl) = (self.n_voxels(), self.n_layers);
        let mut v = Vec::with_capacity(x.len());
        for b0 in (0..batch).step_by(MICRO_BATCH) {
            let b1 = (b0 + MICRO_BATCH).min(batch);
            v.extend(self.forward_micro(
                &x[b0 * nv..b1 * nv],
                &t[b0..b1],
                &e[b0..b1],
                &layers[b0 * nl..b1 * nl],
            ));
        }
        v
    }

    fn forward_micro(&self, x: &[f32], t: &[f64], e: &[f32], layers: &[f32]) -> Vec<f32> {
        let batch = t.len();
        let emb = self.cond.forward(&self.cond.rows(t, e, layers), batch);
        let mut s = Scratch::default();
        let mut skips = Vec::with_capacity(self.levels.len());
        let (mut h, mut g) = (x.to_vec(), self.grid);
        for lv in &self.levels {
            let (mut a, ga) = lv.down_a.forward(&h, batch, &g, 1, &emb, &mut s);
            if let Some(at) = &lv.down_attn {
                attend(at, &mut a, batch, ga.positions(), &mut s);
            }
            (h, g) = lv.down_b.forward(&a, batch, &ga, 2, &emb, &mut s);
            skips.push((a, ga));
        }
        let (mut m, gm) = self.mid_a.forward(&h, batch, &g, 1, &emb, &mut s);
        attend(&self.mid_attn, &mut m, batch, gm.positions(), &mut s);
        (h, g) = self.mid_b.forward(&m, batch, &gm, 1, &emb, &mut s);
        let mut c_h = *self.channels.last().expect("at least one level");
        for (lv, (skip, gs)) in self.levels.iter().zip(skips).rev() {
            let mut cat = Vec::new();
            upsample_nearest(&h, c_h, batch, &g, &gs, &mut cat);
            cat.extend_from_slice(&skip);
            let (mut u, gu) = lv.up.forward(&cat, batch, &gs, 1, &emb, &mut s);
            if let Some(at) = &lv.up_attn {
                attend(at, &mut u, batch, gu.positions(), &mut s);
            }
            (h, g, c_h) = (u, gu, lv.up.conv.c_out);
        }
        let mut v = Vec::new();
        self.out.forward(&h, batch, &g, 1, &mut v, &mut s.conv);
        v
    }
}
