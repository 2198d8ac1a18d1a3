//! CaloClouds II in the benchmark protocol: the embedded model trained here (ShowerFlow →
//! occupancy calibration → one-step consistency network → layer assignment → per-layer energy
//! rescale → CoG shift), photons of 10–90 GeV at perpendicular incidence, saved as points.

use std::path::Path;

use calogen_data::{PointClouds, PointLayout, ShowerBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::protocol::{save_batches, BenchModel, Family, Incident, ParameterCounts};
use crate::caloclouds2::pipeline::embedded_parameters;
use crate::caloclouds2::{shower_rng, Cc2Model};
use crate::error::Result;

const E_RANGE_GEV: (f32, f32) = (10.0, 90.0);

pub fn family() -> Family {
    Family {
        name: "caloclouds2",
        summary:
            "CaloClouds II trained by calogen (embedded): ShowerFlow + one-step consistency model",
        load: || Ok(Box::new(Cc2Bench::embedded()?)),
    }
}

pub struct Cc2Bench {
    model: Cc2Model,
    flow_parameters: u64,
    net_parameters: u64,
}

impl Cc2Bench {
    pub fn embedded() -> Result<Self> {
        let (flow_parameters, net_parameters) = embedded_parameters()?;
        Ok(Self {
            model: Cc2Model::embedded()?,
            flow_parameters,
            net_parameters,
        })
    }
}

impl BenchModel for Cc2Bench {
    fn parameters(&self) -> ParameterCounts {
        let (flow, net) = (self.flow_parameters, self.net_parameters);
        ParameterCounts {
            // The EDM teacher has the student's architecture (consistency distillation starts
            // from it), so training counts the point network twice.
            training: flow + 2 * net,
            generation: flow + net,
            note: format!(
                "ShowerFlow {flow} + PointWise Net {net} (its 16 fixed Fourier frequencies \
                 included); training adds the EDM teacher ({net}, same network) the one-step \
                 model was distilled from."
            ),
        }
    }

    fn incidents(&self, n: usize, seed: u64) -> Vec<Incident> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| Incident {
                energy_mev: 1000.0 * rng.random_range(E_RANGE_GEV.0..E_RANGE_GEV.1),
                direction: [0.0, 0.0, 1.0],
            })
            .collect()
    }

    fn generate(&self, incidents: &[Incident], seed: u64, parallel: bool) -> Result<ShowerBatch> {
        let one = |buf: &mut _, i: usize, inc: &Incident, pc: &mut PointClouds| {
            self.model
                .generate_one(buf, inc.energy_mev, &mut shower_rng(seed, i as u64), pc)
        };
        let pc = if parallel {
            let parts: Vec<PointClouds> = incidents
                .par_iter()
                .enumerate()
                .map_init(
                    || self.model.buffers(),
                    |b, (i, inc)| {
                        let mut pc = PointClouds::new();
                        one(b, i, inc, &mut pc)?;
                        Ok(pc)
                    },
                )
                .collect::<Result<_>>()?;
            let mut out = PointClouds::new();
            for p in &parts {
                for s in p.iter() {
                    out.push(s.x, s.y, s.z, s.layer, s.energy, s.incident_energy, None);
                }
            }
            out
        } else {
            let mut b = self.model.buffers();
            let mut pc = PointClouds::new();
            for (i, inc) in incidents.iter().enumerate() {
                one(&mut b, i, inc, &mut pc)?;
            }
            pc
        };
        Ok(ShowerBatch::Points(pc))
    }

    fn save(&self, batches: &[ShowerBatch], dest: &Path) -> Result<()> {
        save_batches(batches, &PointLayout::caloclouds2(), dest)
    }

    fn stages(&self) -> String {
        "ShowerFlow (trained, embedded); occupancy calibration of N; one-step consistency network \
         (fused kernel); layer assignment by sorted depth; per-layer energy rescale; CoG shift; \
         saved as CaloClouds II points (no cell projection)"
            .into()
    }
}
