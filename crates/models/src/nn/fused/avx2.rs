//! The 6 × 16 micro-kernel with AVX2 + FMA intrinsics.
//!
//! Register budget: 12 accumulators (enough to cover 2 FMA pipes × 4–5 cycles of latency) + 2
//! point vectors + 1 broadcast weight = 15 of the 16 ymm registers. A 4 × 24 tile (12 + 3 + 1 = 16)
//! looks equivalent but made LLVM spill one accumulator to the stack, which put a store→load round
//! trip into an FMA chain and ran at under half the speed (seen in `perf annotate`).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use super::{PackedLayer, MR, NR_AVX2 as NR};

/// 8-lane vectors per micro-tile row.
#[cfg(target_arch = "x86_64")]
const NV: usize = NR / 8;
#[cfg(target_arch = "x86_64")]
use crate::nn::activation::LEAKY_SLOPE;

/// One layer for `np` points (a multiple of [`NR`]):
/// `dst[o][p] = act(scale[o]·Σ_i w[o][i]·src[i][p] + shift[o])`, rows `stride` floats apart.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `src` must hold `in_dim·stride` and `dst`
/// `padded_out·stride` floats, with `np ≤ stride`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn layer(
    l: &PackedLayer,
    src: &[f32],
    dst: &mut [f32],
    stride: usize,
    np: usize,
) {
    let k = l.in_dim();
    let leaky = l.leaky();
    let xs = src.as_ptr();
    let ys = dst.as_mut_ptr();
    for block in 0..l.padded_out() / MR {
        let wb = l.w.as_ptr().add(block * k * MR);
        for pb in (0..np).step_by(NR) {
            let mut acc = [[_mm256_setzero_ps(); NV]; MR];
            let mut x = xs.add(pb);
            let mut w = wb;
            for _ in 0..k {
                let mut xv = [_mm256_setzero_ps(); NV];
                for (j, v) in xv.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(x.add(8 * j));
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let wr = _mm256_broadcast_ss(&*w.add(r));
                    for (a, &v) in row.iter_mut().zip(&xv) {
                        *a = _mm256_fmadd_ps(wr, v, *a);
                    }
                }
                x = x.add(stride);
                w = w.add(MR);
            }
            for (r, row) in acc.iter().enumerate() {
                let o = block * MR + r;
                let s = _mm256_broadcast_ss(&*l.scale.as_ptr().add(o));
                let t = _mm256_broadcast_ss(&*l.shift.as_ptr().add(o));
                let y = ys.add(o * stride + pb);
                for (j, &a) in row.iter().enumerate() {
                    let mut v = _mm256_fmadd_ps(a, s, t);
                    if leaky {
                        // max(v, slope·v) is LeakyReLU for 0 < slope < 1, without a branch.
                        v = _mm256_max_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(LEAKY_SLOPE)));
                    }
                    _mm256_storeu_ps(y.add(8 * j), v);
                }
            }
        }
    }
}
