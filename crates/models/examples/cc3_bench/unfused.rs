//! The network as one library GEMM per layer (the `gemm` crate), with gate, shift and LeakyReLU
//! applied in a second pass: what the fused kernel has to beat.

use calogen_models::caloclouds3::Cc3Network;
use calogen_models::nn::activation::{leaky_relu, LEAKY_SLOPE};

/// Runs F on `n` points `x_in` [n, 4] with the context `ctx`; returns the output [n, 4].
pub fn forward_gemm_crate(net: &Cc3Network, x_in: &[f32], n: usize, ctx: &[f32]) -> Vec<f32> {
    let last = net.layers().len() - 1;
    let mut h = x_in.to_vec();
    for (i, layer) in net.layers().iter().enumerate() {
        let lin = layer.linear();
        let (k, m) = (lin.in_features(), lin.out_features());
        let mut y = vec![0.0f32; n * m];
        // SAFETY: h is [n, k], W is [m, k] read as Wᵀ [k, m], y is [n, m]; strides match.
        unsafe {
            gemm::gemm(
                n,
                m,
                k,
                y.as_mut_ptr(),
                1,
                m as isize,
                false,
                h.as_ptr(),
                1,
                k as isize,
                lin.weight().as_ptr(),
                k as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        let (scale, shift) = layer.affine(ctx);
        for row in y.chunks_exact_mut(m) {
            for ((v, s), t) in row.iter_mut().zip(&scale).zip(&shift) {
                let a = *v * s + t;
                *v = if i < last {
                    leaky_relu(a, LEAKY_SLOPE)
                } else {
                    a
                };
            }
        }
        h = y;
    }
    h
}
