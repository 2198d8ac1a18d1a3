//! CaloClouds3 as a [`ModelFamily`]: the whole generation chain of [`Cc3Pipeline`] (layer profile →
//! one-step consistency model → layer assignment → calibration → tilt → projection into the ILD
//! barrel), with the official point-model weights (embedded) or a CaloClouds3-style net trained
//! here (`net`), per-layer profiles from a trained ShowerFlow (`flow`), from Geant4 showers
//! (`profiles`) or, by default, from the [`StandInFlow`]; and its fixed occupancy factor
//! (paper 001 §3.3) fitted for a net trained here.

use std::path::{Path, PathBuf};

use calogen_data::{PointClouds, PointLayout, ShowerBatch};
use calogen_geometry::{BarrelGeometry, Geometry};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::stand_in::{fitted_points, StandInFlow, FLOW_SCALES};
use super::{
    Cc3Buffers, Cc3Model, Cc3Pipeline, Cc3ShowerFlow, Condition, EmpiricalProfiles,
    LayerProfileSampler, ShowerFlowConfig, CONFIG_FILE,
};
use crate::error::{Error, Result};
use crate::family::{
    append_clouds, usual_entry_only, Calibration, CellCounter, EndToEnd, FamilyEntry, Incident,
    LoadOptions, ModelFamily, ParameterCounts, TimingOptions, TrainedRange,
};
use crate::nn::{shower_rng, ShowerFlow};
use crate::postprocess::{Cc3ScaleFactors, TiltShift};

pub const NAME: &str = "caloclouds3";
/// The detector of the tilt depths when a front end names none of its own.
const GEOMETRY: &str = "ild-ecal";
/// The official model's training range (SPEC §3: E ≈ 1–126 GeV, θ ∈ [0°, 60°]).
const TRAINED: TrainedRange = TrainedRange {
    energy_gev: (1.0, 126.0),
    theta_deg: (0.0, 60.0),
};
/// Benchmark incidents: photons uniform in 10–90 GeV, directions uniform in solid angle within
/// 40° of the layer normal (the angular Geant4 sample; inside CaloClouds3's training range).
const E_RANGE_GEV: (f32, f32) = (10.0, 90.0);
const MAX_THETA_DEG: f64 = 40.0;
/// Trainable parameters of the EDM teacher the consistency model was distilled from
/// (`others['model_teacher']` of the official checkpoint: the same architecture; counted from the
/// checkpoint in the tests when ../shared/data is present).
pub const TEACHER_TRAINABLE: u64 = 69_608;
/// The Fourier frequencies are a fixed buffer, not a trained parameter.
const NON_TRAINABLE: [&str; 1] = ["time_embed.fourier.weight"];

/// What the stages include with the stand-in profiles, for reports.
pub const STAGES: &str = "ShowerFlow (paper structure, RANDOM weights: no trained CaloClouds3 \
    flow exists; its output is replaced by a stand-in profile: points per shower 425.45 + \
    19.6225 * E/GeV from a fit to Geant4, layer shape of the model's own depths at 50 GeV, \
    energies scaled with E); one-step CM network (fused kernel); inverse normalisation with the \
    1.04 x/y calibration; layer assignment by sorted depth; per-layer energy rescale (x1.00609); \
    per-layer tilt shift; projection into the ILD barrel (ild-ecal-barrel) at the gun position";

pub fn entry() -> FamilyEntry {
    FamilyEntry {
        name: NAME,
        summary:
            "CaloClouds3: official consistency-model weights (embedded) + ShowerFlow structure",
        load: |dir, opts| Ok(Box::new(Cc3Family::load(dir, opts)?)),
        recognises: |dir| dir.join(CONFIG_FILE).exists(),
    }
}

/// Where the per-layer points and energies come from.
pub enum Profiles {
    StandIn(StandInFlow),
    Flow(ShowerFlow),
    Geant4(EmpiricalProfiles),
}

impl Profiles {
    pub fn sampler(&self) -> &(dyn LayerProfileSampler + Sync) {
        match self {
            Profiles::StandIn(f) => f,
            Profiles::Flow(f) => f,
            Profiles::Geant4(p) => p,
        }
    }
}

pub struct Cc3Family {
    pipeline: Cc3Pipeline,
    profiles: Profiles,
    profiles_from: String,
    model_name: String,
    tilt_depths_from: String,
    /// The CaloClouds3-style net trained here, when one was loaded.
    net: Option<PathBuf>,
}

impl Cc3Family {
    pub fn embedded() -> Result<Self> {
        Self::load(None, &LoadOptions::default())
    }

    /// `dir`: a folder with `consistency_ema.safetensors` (or the single `*.safetensors`) and
    /// its `cc3_cm_config.json`; `opts.net` a net file with the config beside it. The tilt uses
    /// the ILD barrel's depths until [`ModelFamily::set_geometry`] names another detector.
    pub fn load(dir: Option<&Path>, opts: &LoadOptions) -> Result<Self> {
        let net = match (dir, &opts.net) {
            (_, Some(n)) => Some(n.clone()),
            (Some(d), None) => Some(net_in(d)?),
            (None, None) => None,
        };
        let (pipeline, model_name) = match &net {
            None => (
                Cc3Pipeline::embedded(Cc3ScaleFactors::default())?,
                "caloclouds3 (official consistency model, embedded)".to_string(),
            ),
            Some(w) => {
                let cfg = w.with_file_name(CONFIG_FILE);
                let model = Cc3Model::from_safetensors(w, &cfg).map_err(|e| {
                    Error::Invalid(format!(
                        "--net {}: a CaloClouds3-style one-step net with {} beside it: {e}",
                        w.display(),
                        cfg.display()
                    ))
                })?;
                let barrel = BarrelGeometry::load("ild-ecal-barrel")
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                // Trained on our showers with the exact normalisation: none of the official
                // network's deployment factors, only what `calogen calibrate` fitted for it.
                let scale = model
                    .config()
                    .scale_factors
                    .unwrap_or_else(Cc3ScaleFactors::identity);
                (
                    Cc3Pipeline::new(model, barrel, scale)?,
                    format!("caloclouds3-style net {}", w.display()),
                )
            }
        };
        let tilt_depths_from = pipeline.barrel.name.clone();
        let (profiles, profiles_from) = match (&opts.flow, &opts.profiles) {
            (Some(_), Some(_)) => {
                return Err(Error::Invalid(
                    "--flow and --profiles: give one source of layer profiles".into(),
                ))
            }
            (Some(f), None) => (
                Profiles::Flow(ShowerFlow::load(f)?),
                format!("ShowerFlow {}", f.display()),
            ),
            (None, Some((pool, from))) => (
                Profiles::Geant4(EmpiricalProfiles::from_clouds(pool, pipeline.n_layers())?),
                format!("Geant4 profiles {from}"),
            ),
            (None, None) => (
                Profiles::StandIn(StandInFlow::new(&pipeline.model, pipeline.n_layers(), 0)?),
                "stand-in profiles (no trained CaloClouds3 ShowerFlow exists: points from a \
                 straight-line fit to Geant4, layer shape of the model's own 50 GeV depths)"
                    .to_string(),
            ),
        };
        Ok(Cc3Family {
            pipeline,
            profiles,
            profiles_from,
            model_name,
            tilt_depths_from,
            net,
        })
    }

    pub fn pipeline(&self) -> &Cc3Pipeline {
        &self.pipeline
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// One shower through the whole chain, appended to `pc` as points (local frame, MeV).
    fn shower(
        &self,
        b: &mut Cc3Buffers<'_>,
        inc: &Incident,
        seed: u64,
        i: u64,
        pc: &mut PointClouds,
    ) -> Result<()> {
        let mut rng = shower_rng(seed, i);
        let cond = Condition {
            energy_gev: inc.energy_mev / 1000.0,
            direction: inc.direction,
        };
        let at = self.pipeline.barrel.gun_placement();
        self.pipeline
            .generate(b, self.profiles.sampler(), &cond, at, &mut rng)?;
        pc.push(
            &b.x,
            &b.y,
            &[],
            &b.layer,
            &b.energy,
            inc.energy_mev,
            Some(inc.direction),
        );
        Ok(())
    }
}

/// The net of a model folder: `consistency_ema.safetensors`, else its only `*.safetensors`.
fn net_in(dir: &Path) -> Result<PathBuf> {
    let preferred = dir.join("consistency_ema.safetensors");
    if preferred.exists() {
        return Ok(preferred);
    }
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(Error::Invalid(format!(
            "{}: expected consistency_ema.safetensors or a single *.safetensors beside {CONFIG_FILE}",
            dir.display()
        ))),
    }
}

/// The network draws showers with the tilt removed; the shift put back is geometric (depth of each
/// layer × tan of the angle), so it must use the depths of the detector the showers are meant
/// for: a planar geometry's own layers (gun 1 mm in front of the first absorber, as in
/// ../shared/data), or the ILD barrel's (the official model's detector). Returns the name of the
/// geometry the depths come from.
fn set_tilt(pipe: &mut Cc3Pipeline, geometry: &str) -> Result<String> {
    let err = |e: calogen_geometry::GeometryError| Error::Invalid(e.to_string());
    match Geometry::load(geometry).map_err(err)? {
        Geometry::Planar(g) => {
            let tilt = TiltShift::planar(&g)?;
            if tilt.n_layers() != pipe.n_layers() {
                return Err(Error::Invalid(format!(
                    "--geometry {geometry}: {} layers, the CaloClouds3 model has {}",
                    tilt.n_layers(),
                    pipe.n_layers()
                )));
            }
            pipe.tilt = tilt;
            Ok(geometry.to_string())
        }
        Geometry::Barrel(b) => Ok(b.name.clone()),
        Geometry::CaloChallenge(_) => Err(Error::Invalid(format!(
            "--geometry {geometry}: CaloClouds3 showers need the ILD layers"
        ))),
    }
}

impl ModelFamily for Cc3Family {
    fn name(&self) -> &str {
        NAME
    }

    fn describe(&self) -> String {
        self.model_name.clone()
    }

    fn geometry(&self) -> &str {
        GEOMETRY
    }

    fn set_geometry(&mut self, geometry: &str) -> Result<()> {
        self.tilt_depths_from = set_tilt(&mut self.pipeline, geometry)?;
        Ok(())
    }

    fn layout(&self) -> PointLayout {
        PointLayout::caloclouds3()
    }

    fn trained_range(&self) -> TrainedRange {
        TRAINED
    }

    fn parameters(&self) -> ParameterCounts {
        let student: u64 = self
            .pipeline
            .model
            .config()
            .tensor_names
            .iter()
            .filter(|(name, _)| !NON_TRAINABLE.contains(&name.as_str()))
            .map(|(_, shape)| shape.iter().product::<usize>() as u64)
            .sum();
        let flow: u64 =
            Cc3ShowerFlow::tensor_shapes(&ShowerFlowConfig::cc3(FLOW_SCALES.0, FLOW_SCALES.1))
                .iter()
                .map(|(_, shape)| shape.iter().product::<usize>() as u64)
                .sum();
        ParameterCounts {
            training: TEACHER_TRAINABLE + student + flow,
            generation: student + flow,
            note: format!(
                "point network {student} (time embedding + 6 ConcatSquashLinear layers; the \
                 fixed Fourier buffer excluded) + ShowerFlow {flow} (calogen's structure of the \
                 paper's flow; no trained weights exist). Training adds the EDM teacher \
                 ({TEACHER_TRAINABLE}) the point network was distilled from; the EMA copy is not \
                 trained."
            ),
        }
    }

    fn stages(&self) -> String {
        match self.profiles {
            Profiles::StandIn(_) => STAGES.into(),
            _ => format!(
                "layer profiles from {}; one-step CM network (fused kernel); inverse \
                 normalisation; layer assignment by sorted depth; per-layer energy rescale; \
                 per-layer tilt shift ({} depths); projection into the ILD barrel",
                self.profiles_from, self.tilt_depths_from
            ),
        }
    }

    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("profiles".into(), self.profiles_from.clone().into());
        m.insert(
            "tilt_depths_from".into(),
            self.tilt_depths_from.clone().into(),
        );
        m
    }

    fn bench_incidents(&self, n: usize, seed: u64) -> Vec<Incident> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cos_max = MAX_THETA_DEG.to_radians().cos();
        (0..n)
            .map(|_| {
                let e = rng.random_range(E_RANGE_GEV.0..E_RANGE_GEV.1);
                let cos_t: f64 = rng.random_range(cos_max..=1.0);
                let phi: f64 = rng.random_range(-180.0..180.0);
                let c = Condition::from_local_angles(e, cos_t.acos().to_degrees(), phi);
                Incident::along(e * 1000.0, c.direction)
            })
            .collect()
    }

    fn generate(
        &self,
        incidents: &[Incident],
        seed: u64,
        first: u64,
        parallel: bool,
    ) -> Result<ShowerBatch> {
        usual_entry_only(NAME, incidents)?;
        let expected = |inc: &[Incident]| {
            inc.iter()
                .map(|i| fitted_points(i.energy_mev as f64 / 1000.0))
                .sum()
        };
        let pc = if parallel {
            let parts: Vec<PointClouds> = incidents
                .par_iter()
                .enumerate()
                .map_init(
                    || self.pipeline.buffers(),
                    |b, (i, inc)| {
                        let mut pc = PointClouds::with_capacity(1, expected(&[*inc]));
                        self.shower(b, inc, seed, first + i as u64, &mut pc)?;
                        Ok(pc)
                    },
                )
                .collect::<Result<_>>()?;
            let mut out = PointClouds::with_capacity(incidents.len(), expected(incidents));
            for p in &parts {
                append_clouds(&mut out, p);
            }
            out
        } else {
            let mut b = self.pipeline.buffers();
            let mut pc = PointClouds::with_capacity(incidents.len(), expected(incidents));
            for (i, inc) in incidents.iter().enumerate() {
                self.shower(&mut b, inc, seed, first + i as u64, &mut pc)?;
            }
            pc
        };
        Ok(ShowerBatch::Points(pc))
    }

    fn end_to_end(&self, opts: &TimingOptions) -> Result<Option<EndToEnd>> {
        match &self.profiles {
            Profiles::StandIn(flow) => {
                super::timing::end_to_end(&self.pipeline, flow, opts).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The fixed occupancy factor of a net trained here: each Geant4 shower is generated with its
    /// own per-layer points and energies, and the factor on the point counts that gives Geant4's
    /// mean cell count is found by secant steps; written into the net's config.
    fn calibrate(
        &mut self,
        g4: &PointClouds,
        cells: &mut CellCounter<'_>,
        seed: u64,
        log: &dyn Fn(&str),
    ) -> Result<Calibration> {
        let net = self.net.clone().ok_or_else(|| {
            Error::Invalid(
                "--model caloclouds3: calibrate needs --net FILE (a CaloClouds3-style net trained \
                 here; the official network's factors are fixed)"
                    .into(),
            )
        })?;
        let saved = std::mem::replace(
            &mut self.profiles,
            Profiles::Geant4(EmpiricalProfiles::from_clouds(
                g4,
                self.pipeline.n_layers(),
            )?),
        );
        let result = self.fit_occupancy(g4, cells, seed, log);
        self.profiles = saved;
        let scale = result?;
        // The config the pipeline was built from, with the factor added.
        let mut cfg = self.pipeline.model.config().clone();
        cfg.scale_factors = Some(scale);
        let json = serde_json::to_string_pretty(&cfg)
            .map_err(|e| Error::Invalid(format!("config to JSON: {e}")))?;
        Ok(Calibration {
            json,
            default_out: Some(net.with_file_name(CONFIG_FILE)),
            message: format!("occupancy factor {:.4}", scale.occupancy),
        })
    }
}

impl Cc3Family {
    fn fit_occupancy(
        &mut self,
        g4: &PointClouds,
        cells: &mut CellCounter<'_>,
        seed: u64,
        log: &dyn Fn(&str),
    ) -> Result<Cc3ScaleFactors> {
        let mut count = |pc: &PointClouds| -> Result<f64> {
            let c = cells(pc)?;
            Ok(c.iter().sum::<f64>() / c.len().max(1) as f64)
        };
        let g4_cells = count(g4)?;
        let incidents = Incident::of_clouds(g4);
        // Cells grow sublinearly with points (cells ∝ points^α, α < 1 as points share cells), so
        // the factor is found by secant steps on ln(cells) against ln(factor), each changing it by
        // at most 2× inside [1/20, 20]; the best factor measured is kept (with a warning when it
        // still misses by more than 1 %).
        const RANGE: (f64, f64) = (0.05, 20.0);
        let mut scale = Cc3ScaleFactors::identity();
        let mut last: Option<(f64, f64)> = None;
        let mut best = (f64::INFINITY, 1.0);
        for step in 1..=6 {
            self.pipeline.scale = scale;
            let ShowerBatch::Points(gen) = self.generate(&incidents, seed, 0, false)? else {
                unreachable!("CaloClouds3 generates points")
            };
            let gen_cells = count(&gen)?;
            log(&format!(
                "step {step}: occupancy {:.4}: generated {gen_cells:.1} cells per shower, Geant4 {g4_cells:.1}",
                scale.occupancy
            ));
            if !gen_cells.is_finite() || gen_cells <= 0.0 {
                return Err(Error::Invalid(
                    "no generated cells above threshold: cannot fit an occupancy factor".into(),
                ));
            }
            let ratio = g4_cells / gen_cells;
            if ratio.ln().abs() < best.0 {
                best = (ratio.ln().abs(), scale.occupancy);
            }
            if (ratio - 1.0).abs() < 0.003 {
                break;
            }
            let (lf, lc) = (scale.occupancy.ln(), gen_cells.ln());
            let alpha = match last {
                Some((pf, pc)) if (lf - pf).abs() > 1e-6 => ((lc - pc) / (lf - pf)).clamp(0.1, 1.0),
                _ => 1.0,
            };
            last = Some((lf, lc));
            scale.occupancy =
                (scale.occupancy * ratio.powf(1.0 / alpha).clamp(0.5, 2.0)).clamp(RANGE.0, RANGE.1);
        }
        scale.occupancy = best.1;
        if best.0 > 0.01 {
            eprintln!(
                "warning: the best occupancy factor {:.4} still misses Geant4's cell count by {:.1} %",
                best.1,
                100.0 * (best.0.exp() - 1.0)
            );
        }
        self.pipeline.scale = scale;
        Ok(scale)
    }
}
