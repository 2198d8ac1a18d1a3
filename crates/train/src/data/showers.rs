//! Loads every shower of a point file and splits off the last `n_eval` showers for evaluation.

use crate::engine::{Result, TrainError};
use calogen_data::{PointClouds, ShowerBatch, ShowerFile, ShowerFileOptions};
use std::path::Path;

/// The default held-out tail, per the project plan.
pub const N_EVAL: usize = 500;

#[derive(Debug, Clone)]
pub struct ShowerSet {
    pub train: PointClouds,
    pub eval: PointClouds,
    pub n_layers: usize,
}

fn slice(pc: &PointClouds, range: std::ops::Range<usize>) -> PointClouds {
    let mut out = PointClouds::new();
    for i in range {
        let s = pc.shower(i);
        out.push(
            s.x,
            s.y,
            s.z,
            s.layer,
            s.energy,
            s.incident_energy,
            s.direction,
        );
    }
    out
}

impl ShowerSet {
    pub fn open(path: &Path, n_eval: usize) -> Result<Self> {
        let f = ShowerFile::open(path, &ShowerFileOptions::default())?;
        let pc = match f.read(0..f.len())? {
            ShowerBatch::Points(p) => p,
            _ => {
                return Err(TrainError::Config(format!(
                    "{}: not a point-cloud file",
                    path.display()
                )))
            }
        };
        Ok(Self::split(pc, n_eval))
    }

    /// Keeps the first `len − n_eval` showers for training (at least one).
    pub fn split(pc: PointClouds, n_eval: usize) -> Self {
        let n = pc.len();
        let n_eval = n_eval.min(n.saturating_sub(1));
        let n_layers = pc.layer.iter().copied().max().map_or(1, |l| l as usize + 1);
        Self {
            train: slice(&pc, 0..n - n_eval),
            eval: slice(&pc, n - n_eval..n),
            n_layers,
        }
    }
}
