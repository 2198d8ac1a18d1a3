//! CaloScore v2 as a [`ModelFamily`]: a model folder (`family.json` + `caloscore2.safetensors`)
//! generates CaloChallenge voxel showers (`ShowerBatch::Voxels`, saved as a CaloChallenge HDF5
//! file) at perpendicular incidence over the config's energy range. No trained weights are
//! embedded yet: the built-in name explains how to get a folder.

use std::path::Path;

use calogen_data::{PointLayout, ShowerBatch, VoxelShowers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::config::{paper_config_ds23, parameter_counts, WEIGHTS_FILE};
use super::model::Cs2Model;
use super::pipeline::{decode, generate};
use super::sampling::{ddim, draw_noise};
use crate::bench::stats::{time_ms, time_wall_cpu_ms};
use crate::bench::Summary;
use crate::error::{Error, Result};
use crate::family::timing::strings;
use crate::family::{
    usual_entry_only, EndToEnd, FamilyEntry, Incident, LoadOptions, ModelFamily, ParameterCounts,
    Stage, TimingOptions, TrainedRange,
};

pub const NAME: &str = "caloscore2";
/// Showers per network call: bounds the activations (about 2 MB per dataset-2 shower at the
/// default widths) while keeping the convolutions' matrices wide.
const MAX_BATCH: usize = 100;
/// The target for one shower on one core at batch 100 (one-step model).
pub const TARGET_MS: f64 = 10.0;

pub fn entry() -> FamilyEntry {
    FamilyEntry {
        name: NAME,
        summary: "CaloScore v2: layer-energy and voxel diffusion (DDIM) on CaloChallenge voxels (model folder)",
        load: |dir, opts| Ok(Box::new(Cs2Family::load(dir, opts)?)),
        recognises: |dir| dir.join(WEIGHTS_FILE).exists(),
    }
}

pub struct Cs2Family {
    model: Cs2Model,
    source: String,
}

impl Cs2Family {
    /// A model folder; `None` (the built-in model) is refused until trained weights exist.
    pub fn load(dir: Option<&Path>, opts: &LoadOptions) -> Result<Self> {
        opts.only(NAME, &[])?;
        let Some(dir) = dir else {
            return Err(Error::NoBuiltin(
                "caloscore2 has no built-in weights yet (assets/caloscore2/ does not exist): train \
                 a model with calogen-train's caloscore2 (issue 13), which writes a model folder \
                 (family.json + caloscore2.safetensors), and pass it with --model DIR"
                    .into(),
            ));
        };
        Ok(Self {
            model: Cs2Model::from_dir(dir)?,
            source: dir.display().to_string(),
        })
    }

    pub fn from_model(model: Cs2Model, source: &str) -> Self {
        Self {
            model,
            source: source.into(),
        }
    }

    pub fn model(&self) -> &Cs2Model {
        &self.model
    }

    fn batch(&self, e0: &[f32], seed: u64, first: u64) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(e0.len() * self.model.n_voxels());
        for (k, part) in e0.chunks(MAX_BATCH).enumerate() {
            out.extend(generate(
                &self.model,
                part,
                seed,
                first + (k * MAX_BATCH) as u64,
            )?);
        }
        Ok(out)
    }
}

impl ModelFamily for Cs2Family {
    fn name(&self) -> &str {
        NAME
    }

    fn describe(&self) -> String {
        let c = &self.model.config;
        format!(
            "{} (geometry {}, layer net {}×{}, U-Net {:?}, {} + {} DDIM steps)",
            self.source,
            c.geometry,
            c.layer_net.blocks,
            c.layer_net.hidden,
            c.voxel_net.channels,
            c.layer_steps,
            c.voxel_steps
        )
    }

    fn geometry(&self) -> &str {
        &self.model.config.geometry
    }

    /// Voxels have no point layout; this is only what `--format points` would name.
    fn layout(&self) -> PointLayout {
        PointLayout::caloclouds2()
    }

    fn trained_range(&self) -> TrainedRange {
        let e = &self.model.config.energy;
        TrainedRange {
            energy_gev: (e.e_min_mev / 1e3, e.e_max_mev / 1e3),
            theta_deg: (0.0, 0.0),
        }
    }

    fn parameters(&self) -> ParameterCounts {
        let m = &self.model;
        let (layer, voxel) = parameter_counts(&m.config, m.n_layers(), &m.grid);
        let (pl, pv) = parameter_counts(&paper_config_ds23(), m.n_layers(), &m.grid);
        ParameterCounts {
            training: layer + voxel,
            generation: layer + voxel,
            note: format!(
                "layer-energy ResMLP {layer} + voxel U-Net {voxel} (this model's config on its \
                 geometry); progressive distillation trains students of the same architecture \
                 in turn, counted once. The paper's datasets-2/3 sizes (ResMLP 3×1024, U-Net \
                 32/64/96) would give {pl} + {pv} = {} on this geometry.",
                pl + pv
            ),
        }
    }

    fn stages(&self) -> String {
        let c = &self.model.config;
        format!(
            "layer energies: DDIM {} steps of the residual MLP from N(0,1); voxels: DDIM {} steps \
             of the U-Net conditioned on E and the layer features; decode: inverse \
             standardisation and logit, layer energies from CaloFlow fractions, voxel fractions \
             renormalised per layer × layer energy; saved as a CaloChallenge file",
            c.layer_steps, c.voxel_steps
        )
    }

    /// Log-uniform over the trained energy range, perpendicular.
    fn bench_incidents(&self, n: usize, seed: u64) -> Vec<Incident> {
        let e = &self.model.config.energy;
        let (a, b) = (e.e_min_mev.ln(), e.e_max_mev.ln());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| Incident::perpendicular(rng.random_range(a..b).exp() as f32))
            .collect()
    }

    /// The direction is ignored (perpendicular only; the front end refuses other angles
    /// without `--allow-extrapolation`).
    fn generate(
        &self,
        incidents: &[Incident],
        seed: u64,
        first: u64,
        parallel: bool,
    ) -> Result<ShowerBatch> {
        usual_entry_only(NAME, incidents)?;
        if let Some(i) = incidents
            .iter()
            .find(|i| !(i.energy_mev.is_finite() && i.energy_mev > 0.0))
        {
            return Err(Error::Invalid(format!(
                "caloscore2: incident energy {} MeV",
                i.energy_mev
            )));
        }
        let e0: Vec<f32> = incidents.iter().map(|i| i.energy_mev).collect();
        let energy = if parallel && e0.len() > 1 {
            // Each shower's bytes depend on its stream only, not on the batch it is computed in,
            // so any split gives the serial result.
            let per = e0
                .len()
                .div_ceil(rayon::current_num_threads())
                .clamp(1, MAX_BATCH);
            let parts: Vec<Vec<f32>> = e0
                .par_chunks(per)
                .enumerate()
                .map(|(k, part)| self.batch(part, seed, first + (k * per) as u64))
                .collect::<Result<_>>()?;
            parts.concat()
        } else {
            self.batch(&e0, seed, first)?
        };
        Ok(ShowerBatch::Voxels(VoxelShowers {
            n_voxels: self.model.n_voxels(),
            energy,
            incident_energy: e0,
        }))
    }

    fn end_to_end(&self, opts: &TimingOptions) -> Result<Option<EndToEnd>> {
        end_to_end(&self.model, opts).map(Some)
    }
}

/// One shower at a time at the geometric middle of the energy range: the whole chain, and the
/// layer DDIM, the voxel DDIM and the decoding alone.
fn end_to_end(m: &Cs2Model, opts: &TimingOptions) -> Result<EndToEnd> {
    let (seed, warmup, reps) = (opts.seed, opts.warmup, opts.repeats_or(3, 11));
    let c = &m.config;
    let e_mev = (c.energy.e_min_mev * c.energy.e_max_mev).sqrt();
    let e = [c.energy.encode(e_mev) as f32];
    let mut index = 0u64;
    let mut err = None;
    let mut nonzero = 0usize;
    let (whole, whole_cpu) = time_wall_cpu_ms(warmup, reps, || {
        match generate(m, &[e_mev as f32], seed, index) {
            Ok(v) => nonzero += v.iter().filter(|&&x| x > 0.0).count(),
            Err(x) => {
                err.get_or_insert(x);
            }
        }
        index += 1;
    });
    if let Some(x) = err {
        return Err(x);
    }
    let (l0, v0) = draw_noise(seed, u64::MAX, 1, m.n_layers(), m.n_voxels());
    let mut layers = l0.clone();
    let t_layer = time_ms(warmup, reps, || {
        layers.copy_from_slice(&l0);
        ddim(&mut layers, 1, c.layer_steps, |x, t| {
            m.layer_net.forward(x, t, &e)
        });
    });
    let mut voxels = v0.clone();
    let t_voxel = time_ms(warmup, reps, || {
        voxels.copy_from_slice(&v0);
        ddim(&mut voxels, 1, c.voxel_steps, |x, t| {
            m.voxel_net.forward(x, t, &e, &layers)
        });
    });
    let mut out = Vec::new();
    let t_decode = time_ms(warmup, reps, || {
        std::hint::black_box(decode(m, e_mev, &layers, &voxels, &mut out).ok());
    });
    let ms = Summary::of_timings(&whole)?;
    Ok(EndToEnd {
        energy_gev: (e_mev / 1e3) as f32,
        points: nonzero / whole.len().max(1),
        points_source: "non-zero voxels per shower, mean over the timed showers".into(),
        geometry: c.geometry.clone(),
        included: strings(&[
            "noise draw",
            "layer-energy DDIM",
            "voxel DDIM",
            "decoding to MeV",
        ]),
        not_included: strings(&["writing the file"]),
        ms,
        cpu_ms: whole_cpu.as_deref().and_then(Summary::of),
        stages: vec![
            Stage::new(
                &format!("layer DDIM ({} steps)", c.layer_steps),
                Summary::of_timings(&t_layer)?,
            ),
            Stage::new(
                &format!("voxel DDIM ({} steps)", c.voxel_steps),
                Summary::of_timings(&t_voxel)?,
            ),
            Stage::new("decode", Summary::of_timings(&t_decode)?),
        ],
        cells_per_shower: m.n_voxels(),
        target_ms: TARGET_MS,
        target_met: ms.median <= TARGET_MS,
        references: Default::default(),
    })
}
