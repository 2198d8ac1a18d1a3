//! Global gradient-norm clipping (as torch's `clip_grad_norm_`): burn's own clipping is per
//! tensor, which changes the update direction; scaling all gradients together does not.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

struct Ranks(Vec<(ParamId, usize)>);

impl ModuleVisitor for Ranks {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id, D));
    }
}

fn sq_norm<const D: usize>(grads: &GradientsParams, id: ParamId) -> f64 {
    grads
        .get::<D>(id)
        .map(|g| g.square().sum().into_scalar::<f64>())
        .unwrap_or(0.0)
}

fn scale<const D: usize>(grads: &mut GradientsParams, id: ParamId, s: f64) {
    if let Some(g) = grads.remove::<D>(id) {
        grads.register(id, g.mul_scalar(s));
    }
}

/// Scales all gradients by `min(1, max_norm / ‖g‖)` and returns the norm before clipping.
pub fn clip_grad_norm<M: Module>(module: &M, grads: &mut GradientsParams, max_norm: f64) -> f64 {
    let mut ranks = Ranks(Vec::new());
    module.visit(&mut ranks);
    let mut total = 0.0;
    for &(id, rank) in &ranks.0 {
        total += match rank {
            1 => sq_norm::<1>(grads, id),
            2 => sq_norm::<2>(grads, id),
            3 => sq_norm::<3>(grads, id),
            4 => sq_norm::<4>(grads, id),
            5 => sq_norm::<5>(grads, id),
            r => panic!("clip_grad_norm: rank {r} parameters are not supported"),
        };
    }
    let norm = total.sqrt();
    if norm.is_finite() && norm > max_norm && max_norm > 0.0 {
        let s = max_norm / (norm + 1e-6);
        for &(id, rank) in &ranks.0 {
            match rank {
                1 => scale::<1>(grads, id, s),
                2 => scale::<2>(grads, id, s),
                3 => scale::<3>(grads, id, s),
                4 => scale::<4>(grads, id, s),
                _ => scale::<5>(grads, id, s),
            }
        }
    }
    norm
}
