//! The 6 × 32 micro-kernel with AVX-512F intrinsics: the AVX2 kernel with 16-lane vectors.
//! 12 accumulators + 2 point vectors + 1 broadcast use 15 of the 32 zmm registers, so no spills;
//! the broadcasts can fold into the FMAs as embedded-broadcast memory operands.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use super::{PackedLayer, MR, NR_AVX512 as NR};

/// 16-lane vectors per micro-tile row.
#[cfg(target_arch = "x86_64")]
const NV: usize = NR / 16;
#[cfg(target_arch = "x86_64")]
use crate::nn::activation::LEAKY_SLOPE;

/// One layer for `np` points (a multiple of [`NR`]):
/// `dst[o][p] = act(scale[o]·Σ_i w[o][i]·src[i][p] + shift[o])`, rows `stride` floats apart.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `src` must hold `in_dim·stride` and `dst`
/// `padded_out·stride` floats, with `np ≤ stride`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
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
            let mut acc = [[_mm512_setzero_ps(); NV]; MR];
            let mut x = xs.add(pb);
            let mut w = wb;
            for _ in 0..k {
                let mut xv = [_mm512_setzero_ps(); NV];
                for (j, v) in xv.iter_mut().enumerate() {
                    *v = _mm512_loadu_ps(x.add(16 * j));
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let wr = _mm512_set1_ps(*w.add(r));
                    for (a, &v) in row.iter_mut().zip(&xv) {
                        *a = _mm512_fmadd_ps(wr, v, *a);
                    }
                }
                x = x.add(stride);
                w = w.add(MR);
            }
            for (r, row) in acc.iter().enumerate() {
                let o = block * MR + r;
                let s = _mm512_set1_ps(*l.scale.as_ptr().add(o));
                let t = _mm512_set1_ps(*l.shift.as_ptr().add(o));
                let y = ys.add(o * stride + pb);
                for (j, &a) in row.iter().enumerate() {
                    let mut v = _mm512_fmadd_ps(a, s, t);
                    if leaky {
                        // max(v, slope·v) is LeakyReLU for 0 < slope < 1, without a branch.
                        v = _mm512_max_ps(v, _mm512_mul_ps(v, _mm512_set1_ps(LEAKY_SLOPE)));
                    }
                    _mm512_storeu_ps(y.add(16 * j), v);
                }
            }
        }
    }
}
