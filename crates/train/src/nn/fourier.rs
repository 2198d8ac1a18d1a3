//! Fourier time embedding (k-diffusion `FourierFeatures`, SPEC §2): c_noise = ln(σ)/4,
//! f = 2π·c_noise·w with a fixed random w (std 16), φ = [cos f, sin f], t = LeakyReLU(A φ + a).

use super::{init, Linear};
use burn::module::{Module, Param};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct FourierFeatures {
    /// `[half, 1]`; a fixed buffer in k-diffusion, so it gets no gradient here either.
    pub weight: Param<Tensor<2>>,
}

#[derive(Module, Debug)]
pub struct TimeEmbedding {
    pub fourier: FourierFeatures,
    /// `[dim, dim]` with bias
    pub linear: Linear,
}

pub const LEAKY_SLOPE: f64 = 0.01;

impl TimeEmbedding {
    pub fn new(dim: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let weight = init::normal(rng, [dim / 2, 1], 16.0, device).set_require_grad(false);
        Self {
            fourier: FourierFeatures { weight },
            linear: Linear::new(dim, dim, true, rng, device),
        }
    }

    /// `sigma`: `[b]` noise levels → `[b, dim]`.
    pub fn forward(&self, sigma: Tensor<1>) -> Tensor<2> {
        let c_noise = sigma.log().div_scalar(4.0).unsqueeze_dim::<2>(1);
        let f = c_noise
            .matmul(self.fourier.weight.val().transpose())
            .mul_scalar(std::f64::consts::TAU);
        let phi = Tensor::cat(vec![f.clone().cos(), f.sin()], 1);
        leaky_relu(self.linear.forward(phi), LEAKY_SLOPE)
    }
}
