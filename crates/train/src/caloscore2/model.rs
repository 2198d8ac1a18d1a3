//! The two CaloScore v2 networks on burn, exactly as `calogen_models::caloscore2::config` defines
//! them (paper "CaloScore v2", §III): the layer-energy residual MLP and the voxel U-Net with
//! circular padding along α. Module paths map to the contract's tensor names in `export.rs`.
//!
//! The voxel grid is always held as 3-D `[b, c, d0, d1, d2]`: dataset 1's flat 1-D grid becomes
//! `[n, 1, 1]` with kernels `[3, 1, 1]` (no padding along the two singleton axes), so one code
//! path serves both; the export reshapes such kernels to the contract's `[out, in, 3]`.

use crate::nn::{init, Linear};
use burn::module::{Module, Param};
use burn::tensor::activation::{silu, softmax};
use burn::tensor::module::conv3d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_models::caloscore2::config::{Attention as AttnKind, Cs2Config, Grid};
use rand_chacha::ChaCha8Rng;

/// The grid as three axes (1-D grids padded with singleton axes) and which of them are periodic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid3 {
    pub dims: [usize; 3],
    pub circular: [bool; 3],
    /// The contract's rank (3, or 1 for dataset 1).
    pub rank: usize,
}

impl Grid3 {
    pub fn of(g: &Grid) -> Self {
        let mut dims = [1; 3];
        let mut circular = [false; 3];
        for (k, (&d, &c)) in g.dims.iter().zip(&g.circular).enumerate().take(3) {
            dims[k] = d;
            circular[k] = c;
        }
        Self {
            dims,
            circular,
            rank: g.dims.len(),
        }
    }

    /// Kernel size per axis: 3 along a real axis, 1 along a padding (singleton) axis.
    pub fn kernel(&self) -> [usize; 3] {
        let mut k = [1; 3];
        for k in k.iter_mut().take(self.rank) {
            *k = 3;
        }
        k
    }

    pub fn n_voxels(&self) -> usize {
        self.dims.iter().product()
    }
}

/// A kernel-3 convolution (padding 1: zeros, or circular along a periodic axis), stride 1 or 2.
#[derive(Module, Debug)]
pub struct Conv {
    /// `[out, in, k0, k1, k2]`
    pub weight: Param<Tensor<5>>,
    pub bias: Param<Tensor<1>>,
    pub stride: usize,
}

impl Conv {
    /// PyTorch's default initialisation, U(±1/√fan_in) for weight and bias.
    pub fn new(
        c_in: usize,
        c_out: usize,
        stride: usize,
        grid: &Grid3,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let k = grid.kernel();
        let fan_in = c_in * k.iter().product::<usize>();
        let bound = 1.0 / (fan_in as f32).sqrt();
        Self {
            weight: init::uniform(rng, [c_out, c_in, k[0], k[1], k[2]], bound, device),
            bias: init::uniform(rng, [c_out], bound, device),
            stride,
        }
    }

    pub fn forward(&self, x: Tensor<5>, grid: &Grid3) -> Tensor<5> {
        let k = grid.kernel();
        let mut x = x;
        let mut pad = [0; 3];
        for a in 0..3 {
            if k[a] == 1 {
                continue;
            }
            if grid.circular[a] {
                x = circular_pad(x, a + 2);
            } else {
                pad[a] = 1;
            }
        }
        let s = self.stride;
        // Along a singleton axis a stride of 2 keeps the one position (kernel 1, no padding).
        conv3d(
            x,
            self.weight.val(),
            Some(self.bias.val()),
            ConvOptions::new([s; 3], pad, [1; 3], 1),
        )
    }
}

/// One position of wrap-around on each side of tensor axis `dim`: burn has no circular padding
/// mode, so the last slice goes in front and the first slice behind (CaloScore v2: the α bins
/// close on themselves).
pub fn circular_pad(x: Tensor<5>, dim: usize) -> Tensor<5> {
    let n = x.dims()[dim];
    let last = x.clone().slice_dim(dim, n - 1..n);
    let first = x.clone().slice_dim(dim, 0..1);
    Tensor::cat(vec![last, x, first], dim)
}

/// Nearest-neighbour upsampling ×2 along the three grid axes, cropped (first entries kept) to
/// `to`.
pub fn upsample_to(x: Tensor<5>, to: [usize; 3]) -> Tensor<5> {
    let mut h = x;
    for (a, &want) in to.iter().enumerate() {
        let dim = a + 2;
        let d = h.dims();
        // A copy axis right after `dim`, so that entry i lands on 2i and 2i + 1.
        let mut one = [1usize; 6];
        one[..=dim].copy_from_slice(&d[..=dim]);
        one[dim + 2..].copy_from_slice(&d[dim + 1..]);
        let mut two = one;
        two[dim + 1] = 2;
        let mut out = d;
        out[dim] = 2 * d[dim];
        let y: Tensor<6> = h.reshape(one).expand(two);
        h = y.reshape(out);
        if out[dim] != want {
            h = h.slice_dim(dim, 0..want);
        }
    }
    h
}

/// y = swish(conv(x) + emb(e)), the embedding broadcast over positions.
#[derive(Module, Debug)]
pub struct Unit {
    pub conv: Conv,
    pub emb: Linear,
}

impl Unit {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        c_in: usize,
        c_out: usize,
        emb: usize,
        stride: usize,
        grid: &Grid3,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        Self {
            conv: Conv::new(c_in, c_out, stride, grid, rng, device),
            emb: Linear::new(emb, c_out, true, rng, device),
        }
    }

    pub fn forward(&self, x: Tensor<5>, emb: Tensor<2>, grid: &Grid3) -> Tensor<5> {
        let [b, c] = [emb.dims()[0], self.emb.d_out()];
        let e: Tensor<5> = self.emb.forward(emb).reshape([b, c, 1, 1, 1]);
        silu(self.conv.forward(x, grid) + e)
    }
}

/// Multi-head self-attention over the positions, with a residual: h + proj(attn(qkv(h))).
#[derive(Module, Debug)]
pub struct Attention {
    pub qkv: Linear,
    pub proj: Linear,
    pub heads: usize,
}

impl Attention {
    pub fn new(c: usize, heads: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        Self {
            qkv: Linear::new(c, 3 * c, true, rng, device),
            proj: Linear::new(c, c, true, rng, device),
            heads,
        }
    }

    pub fn forward(&self, h: Tensor<5>) -> Tensor<5> {
        let [b, c, d0, d1, d2] = h.dims();
        let p = d0 * d1 * d2;
        let (nh, dh) = (self.heads, c / self.heads);
        let tokens = h.clone().reshape([b, c, p]).swap_dims(1, 2); // [b, p, c]
        let qkv = self.qkv.forward3(tokens); // [b, p, 3c]
        let split = |k: usize| -> Tensor<4> {
            qkv.clone()
                .slice_dim(2, k * c..(k + 1) * c)
                .reshape([b, p, nh, dh])
                .swap_dims(1, 2) // [b, nh, p, dh]
        };
        let (q, k, v) = (split(0), split(1), split(2));
        let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((dh as f64).sqrt());
        let a = softmax(scores, 3).matmul(v); // [b, nh, p, dh]
        let a = a.swap_dims(1, 2).reshape([b, p, c]);
        let out = self
            .proj
            .forward3(a)
            .swap_dims(1, 2)
            .reshape([b, c, d0, d1, d2]);
        h + out
    }
}

/// emb = swish(cond.1(swish(cond.0(c)))).
fn embed(cond: &[Linear], c: Tensor<2>) -> Tensor<2> {
    silu(cond[1].forward(silu(cond[0].forward(c))))
}

/// The layer-energy network (residual MLP).
#[derive(Module, Debug)]
pub struct LayerNet {
    pub cond: Vec<Linear>,
    /// `layer.in` of the contract (`in` is a Rust keyword).
    pub input: Linear,
    pub block: Vec<ResBlock>,
    pub out: Linear,
}

#[derive(Module, Debug)]
pub struct ResBlock {
    pub a: Linear,
    pub emb: Linear,
    pub b: Linear,
}

impl LayerNet {
    pub fn new(cfg: &Cs2Config, n_layers: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let l = &cfg.layer_net;
        let cond = vec![
            Linear::new(cfg.time_embedding + 1, l.embedding, true, rng, device),
            Linear::new(l.embedding, l.embedding, true, rng, device),
        ];
        let input = Linear::new(n_layers, l.hidden, true, rng, device);
        let block = (0..l.blocks)
            .map(|_| ResBlock {
                a: Linear::new(l.hidden, l.hidden, true, rng, device),
                emb: Linear::new(l.embedding, l.hidden, true, rng, device),
                b: Linear::new(l.hidden, l.hidden, true, rng, device),
            })
            .collect();
        let out = Linear::new(l.hidden, n_layers, true, rng, device);
        Self {
            cond,
            input,
            block,
            out,
        }
    }

    /// v̂ `[b, n_layers]` of noisy features `x` `[b, n_layers]`; `c` = [temb(t), e] `[b, T + 1]`.
    pub fn forward(&self, x: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
        let emb = embed(&self.cond, c);
        let mut h = self.input.forward(x);
        for k in &self.block {
            let inner = k.a.forward(silu(h.clone())) + k.emb.forward(emb.clone());
            h = h + k.b.forward(silu(inner));
        }
        self.out.forward(silu(h))
    }
}

#[derive(Module, Debug)]
pub struct DownLevel {
    pub a: Unit,
    pub attn: Option<Attention>,
    pub b: Unit,
}

#[derive(Module, Debug)]
pub struct MidLevel {
    pub a: Unit,
    pub attn: Attention,
    pub b: Unit,
}

/// `up.i`: its unit's tensors sit directly under `up.i` in the contract.
#[derive(Module, Debug)]
pub struct UpLevel {
    pub conv: Conv,
    pub emb: Linear,
    pub attn: Option<Attention>,
}

/// The voxel U-Net.
#[derive(Module, Debug)]
pub struct VoxelNet {
    pub cond: Vec<Linear>,
    pub down: Vec<DownLevel>,
    pub mid: MidLevel,
    /// Indexed by level i (applied from the last level to 0).
    pub up: Vec<UpLevel>,
    pub out: Conv,
    pub dims: [usize; 3],
    pub circular: [bool; 3],
    pub rank: usize,
}

impl VoxelNet {
    pub fn new(
        cfg: &Cs2Config,
        n_layers: usize,
        grid: &Grid3,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let v = &cfg.voxel_net;
        let (e, c) = (v.embedding, &v.channels);
        let all_low = v.attention == AttnKind::AllLow;
        let cond = vec![
            Linear::new(cfg.time_embedding + 1 + n_layers, e, true, rng, device),
            Linear::new(e, e, true, rng, device),
        ];
        let mut down = Vec::new();
        for i in 0..c.len() {
            let c_in = if i == 0 { 1 } else { c[i - 1] };
            let a = Unit::new(c_in, c[i], e, 1, grid, rng, device);
            let attn = (all_low && i >= 1).then(|| Attention::new(c[i], v.heads, rng, device));
            let b = Unit::new(c[i], c[i], e, 2, grid, rng, device);
            down.push(DownLevel { a, attn, b });
        }
        let last = *c.last().expect("config checked: one level at least");
        let mid = MidLevel {
            a: Unit::new(last, last, e, 1, grid, rng, device),
            attn: Attention::new(last, v.heads, rng, device),
            b: Unit::new(last, last, e, 1, grid, rng, device),
        };
        let mut up: Vec<Option<UpLevel>> = (0..c.len()).map(|_| None).collect();
        for i in (0..c.len()).rev() {
            let below = if i + 1 == c.len() { last } else { c[i + 1] };
            let unit = Unit::new(below + c[i], c[i], e, 1, grid, rng, device);
            let attn = (all_low && i >= 1).then(|| Attention::new(c[i], v.heads, rng, device));
            up[i] = Some(UpLevel {
                conv: unit.conv,
                emb: unit.emb,
                attn,
            });
        }
        let up = up
            .into_iter()
            .map(|u| u.expect("every level built"))
            .collect();
        let out = Conv::new(c[0], 1, 1, grid, rng, device);
        Self {
            cond,
            down,
            mid,
            up,
            out,
            dims: grid.dims,
            circular: grid.circular,
            rank: grid.rank,
        }
    }

    pub fn grid(&self) -> Grid3 {
        Grid3 {
            dims: self.dims,
            circular: self.circular,
            rank: self.rank,
        }
    }

    /// v̂ `[b, n_voxels]` of noisy voxel features `x` `[b, n_voxels]`; `c` = [temb(t), e, layer
    /// features] `[b, T + 1 + n_layers]`.
    pub fn forward(&self, x: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
        let g = self.grid();
        let b = x.dims()[0];
        let [d0, d1, d2] = g.dims;
        let emb = embed(&self.cond, c);
        let mut h: Tensor<5> = x.reshape([b, 1, d0, d1, d2]);
        let mut skips = Vec::with_capacity(self.down.len());
        for lvl in &self.down {
            h = lvl.a.forward(h, emb.clone(), &g);
            if let Some(a) = &lvl.attn {
                h = a.forward(h);
            }
            skips.push(h.clone());
            h = lvl.b.forward(h, emb.clone(), &g);
        }
        h = self.mid.a.forward(h, emb.clone(), &g);
        h = self.mid.attn.forward(h);
        h = self.mid.b.forward(h, emb.clone(), &g);
        for (lvl, skip) in self.up.iter().zip(skips).rev() {
            let [_, _, s0, s1, s2] = skip.dims();
            h = Tensor::cat(vec![upsample_to(h, [s0, s1, s2]), skip], 1);
            let [bb, c] = [b, lvl.emb.d_out()];
            let e: Tensor<5> = lvl.emb.forward(emb.clone()).reshape([bb, c, 1, 1, 1]);
            h = silu(lvl.conv.forward(h, &g) + e);
            if let Some(a) = &lvl.attn {
                h = a.forward(h);
            }
        }
        self.out.forward(h, &g).reshape([b, d0 * d1 * d2])
    }
}

/// Both networks: one module, one optimizer, one checkpoint.
#[derive(Module, Debug)]
pub struct Cs2Nets {
    pub layer: LayerNet,
    pub voxel: VoxelNet,
}

impl Cs2Nets {
    pub fn new(
        cfg: &Cs2Config,
        n_layers: usize,
        grid: &Grid,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let g = Grid3::of(grid);
        Self {
            layer: LayerNet::new(cfg, n_layers, rng, device),
            voxel: VoxelNet::new(cfg, n_layers, &g, rng, device),
        }
    }
}

/// The time embedding of the contract (no parameters): for k < D/2, w_k = exp(−ln(10⁴)·k/(D/2)),
/// temb(t) = [sin(1000·t·w_k), cos(1000·t·w_k)].
pub fn time_embedding(t: f64, dim: usize, out: &mut Vec<f32>) {
    let half = dim / 2;
    let w = |k: usize| (-(1e4f64).ln() * k as f64 / half as f64).exp();
    out.extend((0..half).map(|k| (1000.0 * t * w(k)).sin() as f32));
    out.extend((0..half).map(|k| (1000.0 * t * w(k)).cos() as f32));
}

/// `[rows, cols]` from a flat row-major vector.
pub fn t2(v: Vec<f32>, rows: usize, device: &Device) -> Tensor<2> {
    let cols = v.len() / rows.max(1);
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

pub fn vec2(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 tensor")
}
