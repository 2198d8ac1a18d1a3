//! Exponential moving average of the weights (the CaloClouds II sampling weights are the EMA).
//! The shadow is a full copy of the module on the plain device, so it can be saved and sampled
//! exactly like the online model.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// Shadow weights `ema ← decay·ema + (1 − decay)·online`.
#[derive(Debug, Clone)]
pub struct Ema<M: Module> {
    pub decay: f64,
    pub model: M,
}

struct Gather(Vec<Tensor<1>>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // Flattened and without autodiff: the update must not enter the training graph.
        self.0
            .push(param.val().without_autodiff().flatten::<1>(0, D - 1));
    }
}

struct Blend {
    online: std::vec::IntoIter<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let online = self
            .online
            .next()
            .expect("EMA and online model have the same parameters");
        let decay = self.decay;
        param.map(|ema| {
            let shape = ema.shape();
            let o: Tensor<D> = online.reshape(shape);
            ema.mul_scalar(decay).add(o.mul_scalar(1.0 - decay))
        })
    }
}

impl<M: Module> Ema<M> {
    /// Starts the shadow at the online weights (a plain copy without autodiff).
    pub fn new(online: &M, decay: f64) -> Self {
        Self {
            decay,
            model: online.valid(),
        }
    }

    pub fn update(&mut self, online: &M) {
        let mut g = Gather(Vec::new());
        online.visit(&mut g);
        let mut b = Blend {
            online: g.0.into_iter(),
            decay: self.decay,
        };
        self.model = self.model.clone().map(&mut b);
    }
}
