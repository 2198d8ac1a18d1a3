//! The micro-kernel in plain Rust: same blocking and summation order as the AVX2 one (which
//! rounds once per multiply-add instead of twice).

use super::{PackedLayer, MR, NR_PORTABLE as NR};
use crate::nn::activation::LEAKY_SLOPE;

pub(super) fn layer(l: &PackedLayer, src: &[f32], dst: &mut [f32], stride: usize, np: usize) {
    let k = l.in_dim();
    for (block, w) in l.w.chunks_exact(k * MR).enumerate() {
        for pb in (0..np).step_by(NR) {
            let mut acc = [[0.0f32; NR]; MR];
            for i in 0..k {
                let x = &src[i * stride + pb..i * stride + pb + NR];
                let wi = &w[i * MR..i * MR + MR];
                for (row, &wr) in acc.iter_mut().zip(wi) {
                    for (a, &xv) in row.iter_mut().zip(x) {
                        // No mul_add: without hardware FMA it becomes a libm call.
                        *a += wr * xv;
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                let o = block * MR + r;
                let (s, t) = (l.scale[o], l.shift[o]);
                let out = &mut dst[o * stride + pb..][..NR];
                for (y, &a) in out.iter_mut().zip(row) {
                    let v = a * s + t;
                    // max(v, slope·v) is LeakyReLU for 0 < slope < 1.
                    *y = if l.leaky() { v.max(v * LEAKY_SLOPE) } else { v };
                }
            }
        }
    }
}
