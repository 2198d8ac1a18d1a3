//! Dense layer in PyTorch layout: burn's `nn::Linear` stores `[in, out]`, which would make the
//! exported tensors differ from every CaloClouds checkpoint.

use super::init;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct Linear {
    /// `[out, in]`
    pub weight: Param<Tensor<2>>,
    /// `[out]`
    pub bias: Option<Param<Tensor<1>>>,
}

impl Linear {
    pub fn new(
        d_in: usize,
        d_out: usize,
        bias: bool,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let bound = 1.0 / (d_in as f32).sqrt();
        let weight = init::uniform(rng, [d_out, d_in], bound, device);
        let bias = bias.then(|| init::uniform(rng, [d_out], bound, device));
        Self { weight, bias }
    }

    /// A layer whose output starts at zero: the last layer of flow conditioners, so every
    /// coupling starts as the identity (stable maximum-likelihood training from step one).
    pub fn zeros(d_in: usize, d_out: usize, device: &Device) -> Self {
        Self {
            weight: init::zeros([d_out, d_in], device),
            bias: Some(init::zeros([d_out], device)),
        }
    }

    pub fn d_out(&self) -> usize {
        self.weight.lazy_shape()[0]
    }

    /// `x`: `[rows, in]` → `[rows, out]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let y = x.matmul(self.weight.val().transpose());
        match &self.bias {
            Some(b) => y + b.val().unsqueeze_dim(0),
            None => y,
        }
    }

    /// `x`: `[b, n, in]` → `[b, n, out]`.
    pub fn forward3(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, n, d] = x.dims();
        self.forward(x.reshape([b * n, d]))
            .reshape([b, n, self.d_out()])
    }
}
