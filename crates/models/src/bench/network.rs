//! Single-thread speed of the CaloClouds3 one-step denoiser on fixed batch shapes, against
//! PyTorch's numbers for the same weights (CaloClouds3 SPEC §9).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::flops::Cc3Flops;
use super::stats::{time_wall_cpu_ms, Summary};
use crate::caloclouds3::{standard_normal, Cc3Model, Condition, Workspace};
use crate::error::{Error, Result};

/// PyTorch 2.15, one thread (SPEC §9: AMD EPYC with AVX-512, 2 vCPU, medians of 20 calls), ms per
/// denoiser call: the fastest and slowest of its variants (eager, traced, scripted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TorchReference {
    pub showers: usize,
    pub points: usize,
    pub lo_ms: f64,
    pub hi_ms: f64,
    /// The speed-up over `lo_ms` the project aims for.
    pub target_speedup: f64,
}

pub const TORCH_REFERENCE: [TorchReference; 4] = [
    TorchReference {
        showers: 1,
        points: 1000,
        lo_ms: 0.56,
        hi_ms: 0.82,
        target_speedup: 2.0,
    },
    TorchReference {
        showers: 1,
        points: 3000,
        lo_ms: 1.6,
        hi_ms: 2.0,
        target_speedup: 2.0,
    },
    TorchReference {
        showers: 1,
        points: 6000,
        lo_ms: 3.2,
        hi_ms: 4.2,
        target_speedup: 2.0,
    },
    TorchReference {
        showers: 64,
        points: 1500,
        lo_ms: 201.0,
        hi_ms: 396.0,
        target_speedup: 4.0,
    },
];

/// PyTorch's 64×1500 work as 64 separate 1×1500 calls (SPEC §9), ms: its best way to run it.
pub const TORCH_64X1500_AS_64_CALLS_MS: (f64, f64) = (92.0, 132.0);

/// Inputs of one timed shape: noise at σ_max and per-shower conditions (seeded).
pub struct ShapeInput {
    pub showers: usize,
    pub points: usize,
    x_t: Vec<f32>,
    conds: Vec<f32>,
    out: Vec<f32>,
}

impl ShapeInput {
    pub fn new(model: &Cc3Model, showers: usize, points: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sigma = model.config().sigma_max as f32;
        let d = model.network().point_dim();
        let x_t = standard_normal(&mut rng, showers * points * d)
            .into_iter()
            .map(|e| e * sigma)
            .collect();
        let conds = (0..showers)
            .flat_map(|i| {
                let c =
                    Condition::from_local_angles(10.0 + i as f32, (i % 60) as f64, i as f64 * 5.0);
                model.cond_vector(&c)
            })
            .collect();
        ShapeInput {
            showers,
            points,
            x_t,
            conds,
            out: vec![0.0; showers * points * d],
        }
    }

    /// One full denoiser call on the whole batch (per-shower folding, the per-point network and
    /// the c_skip/c_out combination), on the caller's thread.
    pub fn run(&mut self, model: &Cc3Model, ws: &mut Workspace) -> Result<()> {
        let sigma = model.config().sigma_max as f32;
        model.denoise_batch(ws, &self.x_t, &self.conds, sigma, &mut self.out)
    }

    pub fn output(&self) -> &[f32] {
        &self.out
    }
}

/// Timings of one shape.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeTiming {
    pub showers: usize,
    pub points: usize,
    /// Wall-clock time per call.
    pub ms: Summary,
    /// Thread CPU time per call (excludes time other jobs held the core), when available.
    pub cpu_ms: Option<Summary>,
    pub flops: u64,
    /// At the median time.
    pub gflops: f64,
    /// At the best time.
    pub gflops_best: f64,
}

/// Times `reps` calls after `warmup` untimed ones.
pub fn time_shape(
    model: &Cc3Model,
    ws: &mut Workspace,
    showers: usize,
    points: usize,
    warmup: usize,
    reps: usize,
) -> Result<ShapeTiming> {
    let mut input = ShapeInput::new(model, showers, points, 2024);
    input.run(model, ws)?;
    let mut err = None;
    let (samples, cpu) = time_wall_cpu_ms(warmup, reps, || {
        if let Err(e) = input.run(model, ws) {
            err.get_or_insert(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let ms = Summary::of(&samples).ok_or_else(|| Error::Invalid("timing not finite".into()))?;
    let flops = Cc3Flops::of(model.config()).batch(showers, points);
    let gflops = |t_ms: f64| flops as f64 / (t_ms * 1e-3) / 1e9;
    Ok(ShapeTiming {
        showers,
        points,
        flops,
        gflops: gflops(ms.median),
        gflops_best: gflops(ms.min),
        ms,
        cpu_ms: cpu.as_deref().and_then(Summary::of),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_a_small_shape() {
        let model = Cc3Model::embedded().unwrap();
        let mut ws = model.workspace();
        let t = time_shape(&model, &mut ws, 2, 100, 1, 3).unwrap();
        assert_eq!((t.showers, t.points, t.ms.n), (2, 100, 3));
        assert_eq!(t.flops, Cc3Flops::of(model.config()).batch(2, 100));
        assert!(t.gflops > 0.0 && t.gflops_best >= t.gflops);
    }
}
