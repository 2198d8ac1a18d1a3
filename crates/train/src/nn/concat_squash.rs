//! ConcatSquashLinear (CaloClouds, SPEC §2): y = (W h + b) ⊙ sigmoid(G ctx + g) + H ctx.
//! The gate and shift depend only on the shower's context, so they are computed once per shower
//! and broadcast over its points.

use super::Linear;
use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct ConcatSquashLinear {
    /// W `[out, in]`, b `[out]`
    pub layer: Linear,
    /// G `[out, ctx]`, g `[out]`
    pub hyper_gate: Linear,
    /// H `[out, ctx]`, no bias
    pub hyper_bias: Linear,
}

impl ConcatSquashLinear {
    pub fn new(
        d_in: usize,
        d_out: usize,
        d_ctx: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        Self {
            layer: Linear::new(d_in, d_out, true, rng, device),
            hyper_gate: Linear::new(d_ctx, d_out, true, rng, device),
            hyper_bias: Linear::new(d_ctx, d_out, false, rng, device),
        }
    }

    /// `h`: `[b, n, in]` points, `ctx`: `[b, ctx]` one context per shower → `[b, n, out]`.
    pub fn forward(&self, h: Tensor<3>, ctx: Tensor<2>) -> Tensor<3> {
        let gate = sigmoid(self.hyper_gate.forward(ctx.clone())).unsqueeze_dim::<3>(1);
        let shift = self.hyper_bias.forward(ctx).unsqueeze_dim::<3>(1);
        self.layer.forward3(h) * gate + shift
    }
}
