//! Convolutions with kernel 3 on grids of one to three axes, as the CaloScore v2 U-Net uses them
//! (paper "CaloScore v2", §III): padding 1 per axis, zeros or circular (the α axis of a
//! cylindrical voxelisation closes on itself), stride 1 or 2; and the nearest-neighbour
//! upsampling (cropped to the skip connection's shape) of its decoder.
//!
//! Activations of a batch are stored channel-major across the batch, `[C][B][P]` (P the grid's
//! positions, row-major): a convolution over a whole (sub-)batch is then one im2col matrix
//! `[C_in·taps, B·P]` and one `sgemm` with the weights `[C_out, C_in·taps]`, whose output rows are
//! already the `[C_out][B][P]` layout, and concatenating along channels is appending.

use super::activation::swish_inplace;
use crate::error::{Error, Result};
use crate::tensor::TensorMap;

/// What lies beyond the ends of an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pad {
    Zero,
    /// The axis is periodic: position −1 is position n − 1.
    Circular,
}

/// A grid of rank 1 to 3, stored as three axes (leading axes of size 1 with one tap for lower
/// ranks, so one loop nest serves all ranks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGrid {
    pub dims: [usize; 3],
    /// Kernel taps per axis: 3 on the grid's own axes, 1 on the filler axes.
    pub taps: [usize; 3],
    pub pad: [Pad; 3],
}

impl ConvGrid {
    /// `dims` and `pad` of the same length, 1 to 3.
    pub fn new(dims: &[usize], pad: &[Pad]) -> Result<Self> {
        let rank = dims.len();
        if !(1..=3).contains(&rank) || pad.len() != rank || dims.contains(&0) {
            return Err(Error::Invalid(format!(
                "conv grid {dims:?} with padding {pad:?}: rank 1 to 3, sizes > 0"
            )));
        }
        let mut g = ConvGrid {
            dims: [1; 3],
            taps: [1; 3],
            pad: [Pad::Zero; 3],
        };
        for a in 0..rank {
            g.dims[3 - rank + a] = dims[a];
            g.taps[3 - rank + a] = 3;
            g.pad[3 - rank + a] = pad[a];
        }
        Ok(g)
    }

    pub fn rank(&self) -> usize {
        self.taps.iter().filter(|&&t| t == 3).count()
    }

    pub fn positions(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn n_taps(&self) -> usize {
        self.taps.iter().product()
    }

    /// The grid after a convolution of `stride`: (n + 2·pad − k)/s + 1 per axis, i.e. n for
    /// stride 1 and ceil(n/2) for stride 2 (PyTorch's size with padding 1).
    pub fn strided(&self, stride: usize) -> Self {
        let mut g = *self;
        for a in 0..3 {
            let pad = (self.taps[a] - 1) / 2;
            g.dims[a] = (self.dims[a] + 2 * pad - self.taps[a]) / stride + 1;
        }
        g
    }

    /// For each axis and tap i, the source index of every output position o (o·s + i − pad), or
    /// `usize::MAX` where zero padding applies.
    fn sources(&self, stride: usize, out: &ConvGrid) -> [Vec<Vec<usize>>; 3] {
        std::array::from_fn(|a| {
            let (n, k) = (self.dims[a] as isize, self.taps[a]);
            let pad = ((k - 1) / 2) as isize;
            (0..k)
                .map(|i| {
                    (0..out.dims[a])
                        .map(|o| {
                            let s = (o * stride) as isize + i as isize - pad;
                            if (0..n).contains(&s) {
                                s as usize
                            } else {
                                match self.pad[a] {
                                    Pad::Zero => usize::MAX,
                                    Pad::Circular => s.rem_euclid(n) as usize,
                                }
                            }
                        })
                        .collect()
                })
                .collect()
        })
    }
}

/// The im2col matrix is built one tile at a time, about this many floats (256 KB): a tile stays
/// in the core's L2 cache while sgemm packs and multiplies it, so the 27× expanded input never
/// goes to memory. Measured on dataset 2 (`examples/cs2_step.rs`): a whole-shower im2col (16 MB
/// for the widest layer) ran at 4–6 % of the FMA peak.
const TILE_FLOATS: usize = 1 << 16;

/// A convolution with kernel 3 along every axis of its grid: weight `[C_out, C_in, 3…]`
/// (PyTorch's layout), bias `[C_out]`.
#[derive(Debug, Clone)]
pub struct Conv {
    pub c_in: usize,
    pub c_out: usize,
    pub rank: usize,
    /// `[C_out, C_in·3^rank]`, row-major.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Reusable buffers of [`Conv::forward`].
#[derive(Debug, Default)]
pub struct ConvScratch {
    col: Vec<f32>,
}

impl Conv {
    pub fn new(
        c_in: usize,
        c_out: usize,
        rank: usize,
        weight: Vec<f32>,
        bias: Vec<f32>,
    ) -> Result<Self> {
        let k = c_in * 3usize.pow(rank as u32);
        if weight.len() != c_out * k || bias.len() != c_out || !(1..=3).contains(&rank) {
            return Err(Error::Invalid(format!(
                "conv {c_in}→{c_out} of rank {rank}: weight has {} values, bias {}",
                weight.len(),
                bias.len()
            )));
        }
        Ok(Conv {
            c_in,
            c_out,
            rank,
            weight,
            bias,
        })
    }

    /// `{prefix}.weight` `[C_out, C_in, 3…]` and `{prefix}.bias` `[C_out]`, shapes checked.
    pub fn from_map(
        map: &TensorMap,
        prefix: &str,
        c_in: usize,
        c_out: usize,
        rank: usize,
    ) -> Result<Self> {
        let mut shape = vec![c_out, c_in];
        shape.extend(std::iter::repeat_n(3, rank));
        let w = map.get(&format!("{prefix}.weight"), &shape)?;
        let b = map.get(&format!("{prefix}.bias"), &[c_out])?;
        Conv::new(c_in, c_out, rank, w.data.clone(), b.data.clone())
    }

    /// Multiply-adds per output position.
    pub fn macs_per_position(&self) -> usize {
        self.c_out * self.c_in * 3usize.pow(self.rank as u32)
    }

    /// `x` `[C_in][B][P]` on `grid` → `y` `[C_out][B][P']` on the returned grid (stride 1 or 2).
    pub fn forward(
        &self,
        x: &[f32],
        batch: usize,
        grid: &ConvGrid,
        stride: usize,
        y: &mut Vec<f32>,
        scratch: &mut ConvScratch,
    ) -> ConvGrid {
        self.forward_fused(x, batch, grid, stride, None, false, y, scratch)
    }

    /// As [`Conv::forward`], then per shower b and channel c `+ shift[b·C_out + c]` and, with
    /// `swish`, the activation: applied tile by tile while the tile is in cache (a separate pass
    /// over a batch's activations runs at memory speed).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_fused(
        &self,
        x: &[f32],
        batch: usize,
        grid: &ConvGrid,
        stride: usize,
        shift: Option<&[f32]>,
        swish: bool,
        y: &mut Vec<f32>,
        scratch: &mut ConvScratch,
    ) -> ConvGrid {
        assert_eq!(grid.rank(), self.rank, "conv rank against its grid");
        assert!(stride == 1 || stride == 2, "stride 1 or 2");
        let (p_in, out) = (grid.positions(), grid.strided(stride));
        let p_out = out.positions();
        assert_eq!(x.len(), self.c_in * batch * p_in, "conv input length");
        let taps = grid.n_taps();
        let k = self.c_in * taps;
        if let Some(sh) = shift {
            assert_eq!(
                sh.len(),
                batch * self.c_out,
                "one shift per shower and channel"
            );
        }
        y.clear();
        y.resize(self.c_out * batch * p_out, 0.0);
        let src = grid.sources(stride, &out);
        let runs = slice_runs(grid, &out, &src);
        // Tiles are runs of units (shower b, output slice o0 of the first axis): consecutive
        // units are consecutive columns of y's rows, so each tile is one sgemm.
        let slice = out.dims[1] * out.dims[2];
        let units = batch * out.dims[0];
        let per = (TILE_FLOATS / (k * slice).max(1)).clamp(1, units.max(1));
        let mut u0 = 0;
        while u0 < units {
            let nu = per.min(units - u0);
            let n = nu * slice;
            scratch.col.clear();
            scratch.col.resize(k * n, 0.0);
            im2col(
                x,
                batch,
                p_in,
                grid,
                &out,
                &src,
                &runs,
                self.c_in,
                u0,
                nu,
                &mut scratch.col,
            );
            let o0 = out.dims[0];
            for co in 0..self.c_out {
                let row = &mut y[co * batch * p_out + u0 * slice..][..n];
                for (k, part) in row.chunks_exact_mut(slice).enumerate() {
                    let b = (u0 + k) / o0;
                    part.fill(self.bias[co] + shift.map_or(0.0, |s| s[b * self.c_out + co]));
                }
            }
            // SAFETY: A is [c_out, k] row-major, B is [k, n] row-major, C is the [c_out, n] block
            // at column u0·slice of y's [c_out, batch·p_out]: all in bounds by the lengths above.
            unsafe {
                matrixmultiply::sgemm(
                    self.c_out,
                    k,
                    n,
                    1.0,
                    self.weight.as_ptr(),
                    k as isize,
                    1,
                    scratch.col.as_ptr(),
                    n as isize,
                    1,
                    1.0,
                    y.as_mut_ptr().add(u0 * slice),
                    (batch * p_out) as isize,
                    1,
                );
            }
            if swish {
                for co in 0..self.c_out {
                    swish_inplace(&mut y[co * batch * p_out + u0 * slice..][..n]);
                }
            }
            u0 += nu;
        }
        out
    }
}

/// A run of one im2col row within a first-axis slice: `len` entries from `dst` on, read from the
/// input slice at `src`, `src + step`, ….
#[derive(Debug, Clone, Copy)]
struct Run {
    dst: usize,
    src: usize,
    len: usize,
    step: usize,
}

/// For each tap pair (i1, i2) of the last two axes, the runs that fill a slice of the output
/// (positions with zero padding are left out: they stay 0).
fn slice_runs(grid: &ConvGrid, out: &ConvGrid, src: &[Vec<Vec<usize>>; 3]) -> Vec<Vec<Run>> {
    let d2 = grid.dims[2];
    let mut all = Vec::new();
    for s1 in &src[1] {
        for s2 in &src[2] {
            let mut runs: Vec<Run> = Vec::new();
            for (o1, &a1) in s1.iter().enumerate() {
                for (o2, &a2) in s2.iter().enumerate() {
                    if a1 == usize::MAX || a2 == usize::MAX {
                        continue;
                    }
                    let (dst, from) = (o1 * out.dims[2] + o2, a1 * d2 + a2);
                    if let Some(r) = runs.last_mut() {
                        let next = r.src + r.step * r.len;
                        if r.dst + r.len == dst && (next == from || (r.len == 1 && from > r.src)) {
                            if r.len == 1 {
                                r.step = from - r.src;
                            }
                            r.len += 1;
                            continue;
                        }
                    }
                    runs.push(Run {
                        dst,
                        src: from,
                        len: 1,
                        step: 1,
                    });
                }
            }
            all.push(runs);
        }
    }
    all
}

/// Rows `(ci, tap)`, columns `(unit − u0, position in the slice)` for the units u0..u0+nu (unit
/// u: shower u / o0, first-axis output index u % o0); zero padding leaves the zeros.
#[allow(clippy::too_many_arguments)]
fn im2col(
    x: &[f32],
    batch: usize,
    p_in: usize,
    grid: &ConvGrid,
    out: &ConvGrid,
    src: &[Vec<Vec<usize>>; 3],
    runs: &[Vec<Run>],
    c_in: usize,
    u0: usize,
    nu: usize,
    col: &mut [f32],
) {
    let in_slice = grid.dims[1] * grid.dims[2];
    let o0 = out.dims[0];
    let slice = out.dims[1] * out.dims[2];
    let n = nu * slice;
    let mut row = 0;
    for ci in 0..c_in {
        for s0 in &src[0] {
            for tap_runs in runs {
                let dst_row = &mut col[row * n..(row + 1) * n];
                for (k, dst) in dst_row.chunks_exact_mut(slice).enumerate() {
                    let u = u0 + k;
                    let (b, i0) = (u / o0, u % o0);
                    let a0 = s0[i0];
                    if a0 == usize::MAX {
                        continue;
                    }
                    let xs = &x[(ci * batch + b) * p_in + a0 * in_slice..][..in_slice];
                    for r in tap_runs {
                        let d = &mut dst[r.dst..r.dst + r.len];
                        if r.step == 1 {
                            d.copy_from_slice(&xs[r.src..r.src + r.len]);
                        } else {
                            for (j, v) in d.iter_mut().enumerate() {
                                *v = xs[r.src + j * r.step];
                            }
                        }
                    }
                }
                row += 1;
            }
        }
    }
}

/// Nearest-neighbour upsampling ×2 along every axis of the grid, keeping the first `to` entries:
/// `x` `[C][B][from]` → `[C][B][to]`, out[i] = x[i / 2] per axis.
pub fn upsample_nearest(
    x: &[f32],
    channels: usize,
    batch: usize,
    from: &ConvGrid,
    to: &ConvGrid,
    y: &mut Vec<f32>,
) {
    let (p_in, p_out) = (from.positions(), to.positions());
    assert_eq!(x.len(), channels * batch * p_in, "upsample input length");
    for a in 0..3 {
        assert!(
            to.dims[a] <= 2 * from.dims[a] && (to.dims[a] - 1) / 2 < from.dims[a],
            "upsampling {:?} to {:?}",
            from.dims,
            to.dims
        );
    }
    let [_, f1, f2] = from.dims;
    let [t0, t1, t2] = to.dims;
    y.clear();
    y.reserve(channels * batch * p_out);
    for xs in x.chunks_exact(p_in) {
        for i0 in 0..t0 {
            for i1 in 0..t1 {
                let base = ((i0 / 2) * f1 + i1 / 2) * f2;
                y.extend((0..t2).map(|i2| xs[base + i2 / 2]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The definition, one output at a time: Σ over c_in and taps of w·x at o·s + i − 1, with the
    /// padding rule per axis.
    fn naive(conv: &Conv, x: &[f32], batch: usize, grid: &ConvGrid, stride: usize) -> Vec<f32> {
        let out = grid.strided(stride);
        let (p_in, p_out) = (grid.positions(), out.positions());
        let mut y = vec![0f32; conv.c_out * batch * p_out];
        let t = grid.taps;
        for co in 0..conv.c_out {
            for b in 0..batch {
                for o0 in 0..out.dims[0] {
                    for o1 in 0..out.dims[1] {
                        for o2 in 0..out.dims[2] {
                            let mut acc = conv.bias[co] as f64;
                            for ci in 0..conv.c_in {
                                for i0 in 0..t[0] {
                                    for i1 in 0..t[1] {
                                        for i2 in 0..t[2] {
                                            let o = [o0, o1, o2];
                                            let i = [i0, i1, i2];
                                            let mut idx = [0usize; 3];
                                            let mut zero = false;
                                            for a in 0..3 {
                                                let pad = (t[a] as isize - 1) / 2;
                                                let n = grid.dims[a] as isize;
                                                let s = (o[a] * stride + i[a]) as isize - pad;
                                                if s < 0 || s >= n {
                                                    match grid.pad[a] {
                                                        Pad::Zero => zero = true,
                                                        Pad::Circular => {
                                                            idx[a] = s.rem_euclid(n) as usize
                                                        }
                                                    }
                                                } else {
                                                    idx[a] = s as usize;
                                                }
                                            }
                                            if zero {
                                                continue;
                                            }
                                            let tap = (i0 * t[1] + i1) * t[2] + i2;
                                            let w = conv.weight
                                                [(co * conv.c_in + ci) * grid.n_taps() + tap];
                                            let p = (idx[0] * grid.dims[1] + idx[1]) * grid.dims[2]
                                                + idx[2];
                                            acc += w as f64 * x[(ci * batch + b) * p_in + p] as f64;
                                        }
                                    }
                                }
                            }
                            let p = (o0 * out.dims[1] + o1) * out.dims[2] + o2;
                            y[(co * batch + b) * p_out + p] = acc as f32;
                        }
                    }
                }
            }
        }
        y
    }

    fn random(rng: &mut impl Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn conv_matches_the_naive_loop_for_every_padding_and_stride() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let cases: [(&[usize], &[Pad]); 4] = [
            (&[5, 6, 3], &[Pad::Zero, Pad::Circular, Pad::Zero]),
            (&[4, 7, 5], &[Pad::Circular, Pad::Zero, Pad::Circular]),
            (&[9, 4], &[Pad::Zero, Pad::Circular]),
            (&[11], &[Pad::Zero]),
        ];
        for (dims, pad) in cases {
            let grid = ConvGrid::new(dims, pad).unwrap();
            let (c_in, c_out, batch) = (3, 4, 3);
            let rank = dims.len();
            let taps = 3usize.pow(rank as u32);
            let conv = Conv::new(
                c_in,
                c_out,
                rank,
                random(&mut rng, c_out * c_in * taps),
                random(&mut rng, c_out),
            )
            .unwrap();
            let x = random(&mut rng, c_in * batch * grid.positions());
            for stride in [1, 2] {
                let mut y = Vec::new();
                let out = conv.forward(
                    &x,
                    batch,
                    &grid,
                    stride,
                    &mut y,
                    &mut ConvScratch::default(),
                );
                let want = naive(&conv, &x, batch, &grid, stride);
                assert_eq!(out.positions() * c_out * batch, want.len());
                for (a, b) in y.iter().zip(&want) {
                    assert!(
                        (a - b).abs() < 1e-5,
                        "{dims:?} {pad:?} stride {stride}: {a} vs {b}"
                    );
                }
                // Stride 2 gives ceil(n/2) positions on every axis of the grid.
                if stride == 2 {
                    let want_dims: Vec<usize> = dims.iter().map(|d| d.div_ceil(2)).collect();
                    assert_eq!(&out.dims[3 - rank..], &want_dims[..]);
                }
            }
        }
    }

    /// Circular padding is what makes a rotation commute with the convolution (zero padding
    /// would not): rolling the periodic axis of the input rolls the output.
    #[test]
    fn circular_axis_commutes_with_rolls() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let grid = ConvGrid::new(&[3, 8, 2], &[Pad::Zero, Pad::Circular, Pad::Zero]).unwrap();
        let conv = Conv::new(2, 2, 3, random(&mut rng, 2 * 2 * 27), random(&mut rng, 2)).unwrap();
        let x = random(&mut rng, 2 * grid.positions());
        let roll = |v: &[f32], g: &ConvGrid, by: usize| -> Vec<f32> {
            let [d0, d1, d2] = g.dims;
            let mut out = v.to_vec();
            for (src, dst) in v
                .chunks_exact(d0 * d1 * d2)
                .zip(out.chunks_exact_mut(d0 * d1 * d2))
            {
                for i0 in 0..d0 {
                    for i1 in 0..d1 {
                        for i2 in 0..d2 {
                            dst[(i0 * d1 + (i1 + by) % d1) * d2 + i2] =
                                src[(i0 * d1 + i1) * d2 + i2];
                        }
                    }
                }
            }
            out
        };
        let (mut y, mut y_rolled) = (Vec::new(), Vec::new());
        let mut s = ConvScratch::default();
        let out = conv.forward(&x, 1, &grid, 2, &mut y, &mut s);
        conv.forward(&roll(&x, &grid, 2), 1, &grid, 2, &mut y_rolled, &mut s);
        let want = roll(&y, &out, 1);
        for (a, b) in y_rolled.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn upsampling_repeats_and_crops() {
        let from = ConvGrid::new(&[2, 3], &[Pad::Zero, Pad::Circular]).unwrap();
        let to = ConvGrid::new(&[3, 5], &[Pad::Zero, Pad::Circular]).unwrap();
        let x: Vec<f32> = (0..12).map(|i| i as f32).collect(); // 2 channels × 1 shower × 6
        let mut y = Vec::new();
        upsample_nearest(&x, 2, 1, &from, &to, &mut y);
        #[rustfmt::skip]
        let first = [0., 0., 1., 1., 2.,
                     0., 0., 1., 1., 2.,
                     3., 3., 4., 4., 5.];
        assert_eq!(&y[..15], &first);
        assert_eq!(y[15], 6.0);
        assert_eq!(y.len(), 30);
    }
}
