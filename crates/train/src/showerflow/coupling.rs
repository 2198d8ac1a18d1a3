//! Coupling layers: the first `d_a` features of a fixed random split pass unchanged and, with
//! the condition, parameterise an elementwise bijection of the remaining `d_b` features. The
//! random split is the permutation between layers.

use super::spline::Knots;
use crate::nn::Linear;
use burn::module::Module;
use burn::tensor::activation::{leaky_relu, tanh};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct Conditioner {
    pub l0: Linear,
    pub l1: Linear,
    /// Zero-initialised so the flow starts at the identity.
    pub out: Linear,
}

impl Conditioner {
    fn forward(&self, h: Tensor<2>) -> Tensor<2> {
        let h = leaky_relu(self.l0.forward(h), 0.01);
        let h = leaky_relu(self.l1.forward(h), 0.01);
        self.out.forward(h)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    Affine,
    Spline,
}

#[derive(Module, Debug)]
pub struct Coupling {
    pub net: Conditioner,
    #[module(skip)]
    pub kind: Kind,
    /// Feature order: the first `d_a` are the identity part.
    #[module(skip)]
    pub perm: Vec<usize>,
    #[module(skip)]
    pub d_a: usize,
    #[module(skip)]
    pub bins: usize,
    #[module(skip)]
    pub tail_bound: f64,
    #[module(skip)]
    pub scale_bound: f64,
}

fn index(v: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i64> = v.iter().map(|&i| i as i64).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

pub struct CouplingSpec {
    pub dim: usize,
    pub cond_dim: usize,
    pub hidden: usize,
    pub kind: Kind,
    pub bins: usize,
    pub tail_bound: f64,
    pub scale_bound: f64,
    /// Zero last layer (identity start); tests use random ones to exercise the maths.
    pub identity_init: bool,
}

impl Coupling {
    pub fn new(spec: &CouplingSpec, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let mut perm: Vec<usize> = (0..spec.dim).collect();
        perm.shuffle(rng);
        let d_a = spec.dim / 2;
        let d_b = spec.dim - d_a;
        let per = match spec.kind {
            Kind::Affine => 2,
            Kind::Spline => 3 * spec.bins - 1,
        };
        let d_in = d_a + spec.cond_dim;
        let out = if spec.identity_init {
            Linear::zeros(spec.hidden, d_b * per, device)
        } else {
            Linear::new(spec.hidden, d_b * per, true, rng, device)
        };
        Self {
            net: Conditioner {
                l0: Linear::new(d_in, spec.hidden, true, rng, device),
                l1: Linear::new(spec.hidden, spec.hidden, true, rng, device),
                out,
            },
            kind: spec.kind,
            perm,
            d_a,
            bins: spec.bins,
            tail_bound: spec.tail_bound,
            scale_bound: spec.scale_bound,
        }
    }

    fn inverse_perm(&self) -> Vec<usize> {
        let mut inv = vec![0; self.perm.len()];
        for (i, &p) in self.perm.iter().enumerate() {
            inv[p] = i;
        }
        inv
    }

    /// Splits `x` into the identity part and the transformed part, and the raw parameters.
    fn split(&self, x: Tensor<2>, cond: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let dim = self.perm.len();
        let xp = x.clone().select(1, index(&self.perm, &x.device()));
        let xa = xp.clone().narrow(1, 0, self.d_a);
        let xb = xp.narrow(1, self.d_a, dim - self.d_a);
        let raw = self.net.forward(Tensor::cat(vec![xa.clone(), cond], 1));
        (xa, xb, raw)
    }

    fn join(&self, xa: Tensor<2>, yb: Tensor<2>) -> Tensor<2> {
        let device = xa.device();
        Tensor::cat(vec![xa, yb], 1).select(1, index(&self.inverse_perm(), &device))
    }

    fn affine(&self, raw: Tensor<2>, d_b: usize) -> (Tensor<2>, Tensor<2>) {
        let b = self.scale_bound;
        let log_s = tanh(raw.clone().narrow(1, 0, d_b).div_scalar(b)).mul_scalar(b);
        (log_s, raw.narrow(1, d_b, d_b))
    }

    fn knots(&self, raw: Tensor<2>, d_b: usize) -> Knots {
        let n = raw.dims()[0];
        Knots::new(raw.reshape([n, d_b, 3 * self.bins - 1]), self.tail_bound)
    }

    /// Data → latent direction: (z, ln|det ∂z/∂x|) with the log-det per row `[n]`.
    pub fn forward(&self, x: Tensor<2>, cond: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let (xa, xb, raw) = self.split(x, cond);
        let d_b = xb.dims()[1];
        let (yb, logd) = match self.kind {
            Kind::Affine => {
                let (log_s, t) = self.affine(raw, d_b);
                (xb * log_s.clone().exp() + t, log_s)
            }
            Kind::Spline => self.knots(raw, d_b).forward(xb),
        };
        (self.join(xa, yb), logd.sum_dim(1).squeeze_dim(1))
    }

    /// Latent → data direction: (x, ln|det ∂x/∂z|).
    pub fn inverse(&self, z: Tensor<2>, cond: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let (za, zb, raw) = self.split(z, cond);
        let d_b = zb.dims()[1];
        let (xb, logd) = match self.kind {
            Kind::Affine => {
                let (log_s, t) = self.affine(raw, d_b);
                ((zb - t) * log_s.clone().neg().exp(), log_s.neg())
            }
            Kind::Spline => self.knots(raw, d_b).inverse(zb),
        };
        (self.join(za, xb), logd.sum_dim(1).squeeze_dim(1))
    }
}
