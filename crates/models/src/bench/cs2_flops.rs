//! Floating-point operations of one CaloScore v2 network evaluation per shower, counted from the
//! config as `caloscore2::unet` executes it (a multiply-add is 2 flops):
//! * `conv`: every convolution, 2·C_out·C_in·3^rank per output position (zero-padding taps
//!   included: im2col multiplies them by 0 all the same);
//! * `attention`: qkv (2·P·C·3C), q·kᵀ and weights·v (2·P²·C each), proj (2·P·C²);
//! * `linear`: the condition embedding and each unit's embedding map (per shower, not per
//!   position);
//! * `elementwise`: per conv output the embedding add and swish (counted 1 + 3: a negation,
//!   an add and a division; the exp not counted), the residual adds of attention, the
//!   softmax's subtract, multiply and add (its exp not counted).
//!
//! The FMA peak bounds `conv + attention + linear`, the products that sgemm runs.

use crate::caloscore2::config::{Attention, Cs2Config, Grid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cs2Flops {
    pub conv: u64,
    pub attention: u64,
    pub linear: u64,
    pub elementwise: u64,
}

impl Cs2Flops {
    /// The voxel U-Net, one evaluation for one shower.
    pub fn unet(cfg: &Cs2Config, n_layers: usize, grid: &Grid) -> Self {
        let v = &cfg.voxel_net;
        let c = &v.channels;
        let (e, rank) = (v.embedding as u64, grid.dims.len() as u32);
        let taps = 3u64.pow(rank);
        let all_low = v.attention == Attention::AllLow;
        let mut f = Cs2Flops::default();
        let n_in = (cfg.time_embedding + 1 + n_layers) as u64;
        f.linear += 2 * (n_in * e + e * e);
        let unit = |f: &mut Cs2Flops, ci: usize, co: usize, p: usize| {
            let (ci, co, p) = (ci as u64, co as u64, p as u64);
            f.conv += 2 * co * ci * taps * p;
            f.linear += 2 * e * co;
            f.elementwise += 4 * co * p;
        };
        let attn = |f: &mut Cs2Flops, ch: usize, p: usize| {
            let (ch, p) = (ch as u64, p as u64);
            f.attention += 2 * p * ch * 3 * ch + 4 * p * p * ch + 2 * p * ch * ch;
            f.elementwise += p * ch + 3 * p * p * (v.heads as u64);
        };
        let mut g = grid.clone();
        let mut skips = Vec::new();
        for i in 0..c.len() {
            let c_in = if i == 0 { 1 } else { c[i - 1] };
            unit(&mut f, c_in, c[i], g.n_voxels());
            if all_low && i >= 1 {
                attn(&mut f, c[i], g.n_voxels());
            }
            skips.push(g.n_voxels());
            g = g.halved();
            unit(&mut f, c[i], c[i], g.n_voxels());
        }
        let last = *c.last().expect("checked: at least one level");
        unit(&mut f, last, last, g.n_voxels());
        attn(&mut f, last, g.n_voxels());
        unit(&mut f, last, last, g.n_voxels());
        for i in (0..c.len()).rev() {
            let below = if i + 1 == c.len() { last } else { c[i + 1] };
            unit(&mut f, below + c[i], c[i], skips[i]);
            if all_low && i >= 1 {
                attn(&mut f, c[i], skips[i]);
            }
        }
        f.conv += 2 * c[0] as u64 * taps * grid.n_voxels() as u64;
        f
    }

    /// The layer-energy ResMLP, one evaluation for one shower.
    pub fn layer_net(cfg: &Cs2Config, n_layers: usize) -> Self {
        let l = &cfg.layer_net;
        let (h, w, n) = (l.hidden as u64, l.embedding as u64, n_layers as u64);
        let t = cfg.time_embedding as u64 + 1;
        let b = l.blocks as u64;
        Cs2Flops {
            linear: 2 * (t * w + w * w + n * h + b * (2 * h * h + w * h) + h * n),
            elementwise: 3 * (2 * w) + b * (3 * h + h + 3 * h + h) + 3 * h,
            ..Default::default()
        }
    }

    /// The products sgemm runs.
    pub fn products(&self) -> u64 {
        self.conv + self.attention + self.linear
    }

    pub fn total(&self) -> u64 {
        self.products() + self.elementwise
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caloscore2::config::{LayerNetConfig, VoxelNetConfig};

    /// Grid [4] (1-D), one level of 2 channels, embedding 2, time 2, one layer:
    /// down.0.a 1→2 at 4 positions: 2·2·1·3·4 = 48; down.0.b 2→2 at 2: 48; mid.a, mid.b: 48 each;
    /// up.0 (2+2)→2 at 4: 192; out 2→1 at 4: 48. Attention at 2 tokens, 2 channels: qkv
    /// 2·2·2·6 = 48, q·kᵀ and ·v 2·(2·2·2·2) = 32, proj 16.
    #[test]
    fn tiny_unet_by_hand() {
        let cfg = Cs2Config {
            time_embedding: 2,
            voxel_net: VoxelNetConfig {
                channels: vec![2],
                embedding: 2,
                heads: 1,
                attention: Attention::Lowest,
            },
            layer_net: LayerNetConfig {
                hidden: 3,
                blocks: 1,
                embedding: 2,
            },
            ..Cs2Config::default()
        };
        let grid = Grid {
            dims: vec![4],
            circular: vec![false],
        };
        let f = Cs2Flops::unet(&cfg, 1, &grid);
        assert_eq!(f.conv, 48 + 48 + 48 + 48 + 192 + 48);
        assert_eq!(f.attention, 48 + 32 + 16);
        // cond: (2+1+1)·2 + 2·2 = 12 MACs; five units · 2·2 MACs.
        assert_eq!(f.linear, 2 * 12 + 5 * 2 * 2 * 2);
        // Layer net: cond (3·2 + 2·2) + in 1·3 + block (2·9 + 2·3) + out 3·1 = 40 MACs.
        assert_eq!(Cs2Flops::layer_net(&cfg, 1).linear, 2 * 40);
    }
}
