//! Seeded initialisers: weights come from the run's ChaCha8 `init` stream, never from burn's
//! global RNG, so a seed fully determines the starting point.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// U(−bound, bound), PyTorch's default for `nn.Linear` with bound = 1/√fan_in.
pub fn uniform<const D: usize>(
    rng: &mut ChaCha8Rng,
    shape: [usize; D],
    bound: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * bound)
        .collect();
    Param::from_data(TensorData::new(v, shape), device)
}

/// N(0, std²).
pub fn normal<const D: usize>(
    rng: &mut ChaCha8Rng,
    shape: [usize; D],
    std: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    let v: Vec<f32> = crate::engine::rng::normals(rng, n)
        .into_iter()
        .map(|z| z * std)
        .collect();
    Param::from_data(TensorData::new(v, shape), device)
}

pub fn zeros<const D: usize>(shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    Param::from_data(TensorData::new(vec![0f32; n], shape), device)
}
