//! A fused f32 inference path for per-point MLPs whose weights are fixed for a batch of points.
//!
//! Why not one GEMM per layer: the layers are narrow (K ≤ 128), so a library GEMM spends its time
//! packing, and the [points × 128] activations of a whole shower (≈1.5 MB for 3000 points) leave
//! L1/L2 between layers. Here a tile of points runs through *all* layers while its activations stay
//! in L1 (channel-major `[channel][tile]` buffers of ≤ 132 × 32 floats), and the weights are
//! pre-packed so the micro-kernel reads them as a contiguous stream.
//!
//! Micro-kernel: 6 output channels × 16 points (AVX2) or × 32 points (AVX-512), i.e. 12 vector
//! accumulators; per input channel it issues 2 vector loads, 6 broadcasts and 12 FMAs, so the two
//! FMA pipes, not the load ports, bound it. Output widths are padded to a multiple of 6 (≈4 % more
//! multiply-adds for 4→32→64→128→64→32→4), the price of a tile that fits the registers.
//!
//! Each layer is y = act(scale ⊙ (W h) + shift): the per-channel scale and shift are applied to
//! the accumulators (one FMA) with the LeakyReLU before the single store, which lets a per-shower
//! modulation change only 2·out values instead of repacking W.

mod avx2;
mod avx512;
mod packed;
mod portable;

pub use packed::PackedLayer;

use packed::AlignedBuf;

/// Output channels per micro-tile (all backends share the packed weights).
pub const MR: usize = 6;
/// Points per micro-tile: two vectors of the backend's width.
pub const NR_AVX2: usize = 16;
pub const NR_AVX512: usize = 32;
pub const NR_PORTABLE: usize = 8;
/// Tiles are a multiple of every backend's micro-tile.
pub const TILE_ALIGN: usize = 32;
/// Default points per L1 tile: the 132 (padded) × 32 output and 64 × 32 input floats of the
/// widest layer take 25 KiB, inside a 32 KiB L1D.
pub const DEFAULT_TILE_POINTS: usize = 32;

/// Which instruction set runs the kernel (chosen at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Plain Rust, for any CPU (and as the check of the SIMD kernel).
    Portable,
    /// x86-64 AVX2 + FMA.
    Avx2Fma,
    /// x86-64 AVX-512F.
    Avx512,
}

impl Backend {
    /// The fastest backend this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return Backend::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Backend::Avx2Fma;
            }
        }
        Backend::Portable
    }

    /// Whether this CPU can run the backend.
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Backend::Portable => true,
                Backend::Avx2Fma => {
                    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
                }
                Backend::Avx512 => is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Backend::Portable
        }
    }

    /// Points per micro-tile.
    pub fn nr(self) -> usize {
        match self {
            Backend::Portable => NR_PORTABLE,
            Backend::Avx2Fma => NR_AVX2,
            Backend::Avx512 => NR_AVX512,
        }
    }
}

/// A stack of dense layers `h ← act(W h + b)` run point by point.
#[derive(Debug, Clone)]
pub struct FusedMlp {
    layers: Vec<PackedLayer>,
    tile_points: usize,
    backend: Backend,
}

impl Default for FusedMlp {
    fn default() -> Self {
        Self::new()
    }
}

impl FusedMlp {
    pub fn new() -> Self {
        FusedMlp {
            layers: Vec::new(),
            tile_points: DEFAULT_TILE_POINTS,
            backend: Backend::detect(),
        }
    }

    /// Forces a backend; one this CPU lacks falls back to `Portable`.
    pub fn set_backend(&mut self, backend: Backend) {
        self.backend = if backend.supported() {
            backend
        } else {
            Backend::Portable
        };
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Points per L1 tile, rounded up to a multiple of [`TILE_ALIGN`].
    pub fn set_tile_points(&mut self, n: usize) {
        self.tile_points = n.max(1).div_ceil(TILE_ALIGN) * TILE_ALIGN;
    }

    pub fn tile_points(&self) -> usize {
        self.tile_points
    }

    /// Appends a layer y = act(W h + bias); `weight` is row-major [out, in] (PyTorch layout).
    /// `leaky` applies LeakyReLU(0.01) after it.
    pub fn push_layer(&mut self, in_dim: usize, weight: &[f32], bias: &[f32], leaky: bool) {
        if let Some(prev) = self.layers.last() {
            assert_eq!(prev.out_dim(), in_dim, "layer widths must chain");
        }
        self.layers
            .push(PackedLayer::new(in_dim, weight, bias, leaky));
    }

    /// Makes layer `i` compute act(scale ⊙ (W h) + shift): the cheap per-shower update.
    pub fn set_affine(&mut self, i: usize, scale: &[f32], shift: &[f32]) {
        self.layers[i].set_affine(scale, shift);
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    pub fn in_dim(&self) -> usize {
        self.layers.first().map_or(0, PackedLayer::in_dim)
    }

    pub fn out_dim(&self) -> usize {
        self.layers.last().map_or(0, PackedLayer::out_dim)
    }

    /// Multiply-adds per point, Σ in·out over the layers (bias and activations not counted).
    pub fn macs_per_point(&self) -> usize {
        self.layers.iter().map(|l| l.in_dim() * l.out_dim()).sum()
    }

    /// `y[n, out] = MLP(in_scale · x[n, in])`, both point-major.
    pub fn run(&self, x: &[f32], n: usize, in_scale: f32, y: &mut [f32]) {
        let (din, dout) = (self.in_dim(), self.out_dim());
        assert!(!self.layers.is_empty(), "FusedMlp has no layers");
        assert_eq!(x.len(), n * din, "FusedMlp input length");
        assert_eq!(y.len(), n * dout, "FusedMlp output length");
        let tp = self.tile_points;
        let widest = self
            .layers
            .iter()
            .map(|l| l.in_dim().max(l.padded_out()))
            .max()
            .unwrap_or(0);
        let mut a = AlignedBuf::zeros(widest * tp);
        let mut b = AlignedBuf::zeros(widest * tp);
        for start in (0..n).step_by(tp) {
            let cnt = tp.min(n - start);
            let nr = self.backend.nr();
            let np = cnt.div_ceil(nr) * nr;
            let src = a.as_mut_slice();
            for c in 0..din {
                let row = &mut src[c * tp..c * tp + np];
                for (p, v) in row.iter_mut().enumerate().take(cnt) {
                    *v = x[(start + p) * din + c] * in_scale;
                }
                // Padding points run through the net too (cheaper than a remainder kernel) and
                // are dropped at the end; zero them so they stay finite.
                row[cnt..].fill(0.0);
            }
            let (mut src, mut dst) = (&mut a, &mut b);
            for layer in &self.layers {
                self.run_layer(layer, src.as_slice(), dst.as_mut_slice(), tp, np);
                std::mem::swap(&mut src, &mut dst);
            }
            let out = src.as_slice();
            for p in 0..cnt {
                for c in 0..dout {
                    y[(start + p) * dout + c] = out[c * tp + p];
                }
            }
        }
    }

    fn run_layer(&self, l: &PackedLayer, src: &[f32], dst: &mut [f32], stride: usize, np: usize) {
        assert!(src.len() >= l.in_dim() * stride && dst.len() >= l.padded_out() * stride);
        assert!(np.is_multiple_of(self.backend.nr()) && np <= stride);
        match self.backend {
            // SAFETY (both): `set_backend`/`detect` only pick a SIMD backend the CPU reports,
            // and the asserts above bound every access the kernel makes.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma => unsafe { avx2::layer(l, src, dst, stride, np) },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { avx512::layer(l, src, dst, stride, np) },
            _ => portable::layer(l, src, dst, stride, np),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::LEAKY_SLOPE;

    fn naive(layers: &[(usize, Vec<f32>, Vec<f32>, bool)], x: &[f32]) -> Vec<f32> {
        let mut h = x.to_vec();
        for (k, w, b, leaky) in layers {
            h = b
                .iter()
                .enumerate()
                .map(|(o, bo)| {
                    let v: f32 = bo + (0..*k).map(|i| w[o * k + i] * h[i]).sum::<f32>();
                    if *leaky && v < 0.0 {
                        v * LEAKY_SLOPE
                    } else {
                        v
                    }
                })
                .collect();
        }
        h
    }

    #[test]
    fn backends_match_naive() {
        // Odd widths (5 → 7 → 3) exercise the output padding; 100 points a partial tile.
        let dims = [(5usize, 7usize, true), (7, 3, false)];
        let mut seed = 1u32;
        let mut rnd = move || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let layers: Vec<_> = dims
            .iter()
            .map(|&(k, m, l)| {
                let w: Vec<f32> = (0..k * m).map(|_| rnd()).collect();
                let b: Vec<f32> = (0..m).map(|_| rnd()).collect();
                (k, w, b, l)
            })
            .collect();
        let n = 100;
        let x: Vec<f32> = (0..n * 5).map(|_| rnd() * 4.0).collect();
        for backend in [Backend::Portable, Backend::Avx2Fma, Backend::Avx512] {
            if !backend.supported() {
                eprintln!("{backend:?} not supported here; not checked");
                continue;
            }
            let mut mlp = FusedMlp::new();
            mlp.set_backend(backend);
            for (k, w, b, l) in &layers {
                mlp.push_layer(*k, w, b, *l);
            }
            // scale 1, shift = bias again through set_affine: must change nothing.
            mlp.set_affine(1, &[1.0; 3], &layers[1].2);
            let mut y = vec![0.0; n * 3];
            mlp.run(&x, n, 0.5, &mut y);
            for p in 0..n {
                let xs: Vec<f32> = x[p * 5..p * 5 + 5].iter().map(|v| v * 0.5).collect();
                let want = naive(&layers, &xs);
                for c in 0..3 {
                    assert!(
                        (y[p * 3 + c] - want[c]).abs() < 1e-5,
                        "{backend:?} p{p} c{c}"
                    );
                }
            }
        }
    }
}
