//! The flow: a stack of couplings over standardised features with a standard-normal base.

use super::coupling::{Coupling, CouplingSpec, Kind};
use super::FlowConfig;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct ShowerFlow {
    pub couplings: Vec<Coupling>,
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

impl ShowerFlow {
    pub fn new(
        cfg: &FlowConfig,
        dim: usize,
        cond_dim: usize,
        identity_init: bool,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let kinds: &[Kind] = if cfg.spline {
            &[Kind::Spline, Kind::Affine]
        } else {
            &[Kind::Affine, Kind::Affine]
        };
        let couplings = (0..cfg.blocks)
            .flat_map(|_| kinds.iter().copied())
            .map(|kind| {
                let spec = CouplingSpec {
                    dim,
                    cond_dim,
                    hidden: cfg.hidden,
                    kind,
                    bins: cfg.bins,
                    tail_bound: cfg.tail_bound,
                    scale_bound: cfg.scale_bound,
                    identity_init,
                };
                Coupling::new(&spec, rng, device)
            })
            .collect();
        Self { couplings }
    }

    /// z = f(x) and ln|det ∂f/∂x| per row.
    pub fn forward(&self, x: Tensor<2>, cond: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let n = x.dims()[0];
        let mut logdet = Tensor::<1>::zeros([n], &x.device());
        let mut z = x;
        for c in &self.couplings {
            let (z2, ld) = c.forward(z, cond.clone());
            z = z2;
            logdet = logdet + ld;
        }
        (z, logdet)
    }

    /// x = f⁻¹(z).
    pub fn inverse(&self, z: Tensor<2>, cond: Tensor<2>) -> Tensor<2> {
        let mut x = z;
        for c in self.couplings.iter().rev() {
            x = c.inverse(x, cond.clone()).0;
        }
        x
    }

    /// ln p(x | cond) per row, standard-normal base.
    pub fn log_prob(&self, x: Tensor<2>, cond: Tensor<2>) -> Tensor<1> {
        let d = x.dims()[1] as f64;
        let (z, logdet) = self.forward(x, cond);
        let base = z
            .square()
            .sum_dim(1)
            .squeeze_dim(1)
            .mul_scalar(-0.5)
            .sub_scalar(0.5 * d * LN_2PI);
        base + logdet
    }
}
