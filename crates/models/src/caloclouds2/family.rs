//! CaloClouds II as a [`ModelFamily`]: the model trained here (ShowerFlow → occupancy calibration →
//! PointWise Net → layer assignment → per-layer energy rescale → CoG shift), photons of 10–90 GeV
//! at perpendicular incidence, points in the CaloClouds II layout; its 50 GeV end-to-end timing and
//! its cubic occupancy calibration (paper 000, Sec. 3).

use std::path::Path;

use calogen_data::{CellShowers, PointClouds, PointLayout, ShowerBatch};
use calogen_geometry::{CellProjector, Geometry, OutsideReport};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::pipeline::{embedded_parameters, NET_FILE};
use super::{Cc2Model, Cc2Network, RawPoints};
use crate::bench::stats::{time_ms, time_wall_cpu_ms};
use crate::bench::Summary;
use crate::error::{Error, Result};
use crate::family::timing::strings;
use crate::family::{
    append_clouds, usual_entry_only, Calibration, CellCounter, EndToEnd, FamilyEntry, Incident,
    LoadOptions, ModelFamily, ParameterCounts, Stage, TimingOptions, TrainedRange, TrainingShowers,
};
use crate::nn::shower_rng;
use crate::postprocess::OccupancyCalibration;

pub const NAME: &str = "caloclouds2";
const E_RANGE_GEV: (f32, f32) = (10.0, 90.0);
/// The detector of the training showers.
const GEOMETRY: &str = "ild-ecal";
/// The end-to-end shower: 50 GeV, perpendicular.
const E2E_ENERGY_GEV: f32 = 50.0;
/// The target for one shower on one thread.
pub const TARGET_MS: f64 = 8.0;
/// Geant4 11.4, one 50 GeV photon in the ILD-like ECAL, one thread on the project machine
/// (../shared/data/README.md).
pub const GEANT4_MS: f64 = 190.0;
/// Paper 000 (CaloClouds II, consistency model, 1 CPU thread of its machine).
pub const PAPER_MS: f64 = 84.0;

/// The Geant4 showers the embedded model was trained on (the last 500 of 3 500 held back; the
/// assets' README).
const EMBEDDED_TRAINING: &str = include_str!("../../assets/caloclouds2/training.json");

pub fn entry() -> FamilyEntry {
    FamilyEntry {
        name: NAME,
        summary:
            "CaloClouds II trained by calogen (embedded): ShowerFlow + one-step consistency model",
        load: |dir, opts| Ok(Box::new(Cc2Family::load(dir, opts)?)),
        recognises: |dir| dir.join(NET_FILE).exists(),
    }
}

pub struct Cc2Family {
    model: Cc2Model,
    source: String,
    flow_parameters: u64,
    net_parameters: u64,
}

impl Cc2Family {
    pub fn embedded() -> Result<Self> {
        Self::load(None, &LoadOptions::default())
    }

    /// The embedded model or a model folder; `opts.net` replaces its network.
    pub fn load(dir: Option<&Path>, opts: &LoadOptions) -> Result<Self> {
        opts.only(NAME, &["net"])?;
        let (flow_parameters, net_parameters) = embedded_parameters()?;
        let mut model = match dir {
            Some(d) => Cc2Model::from_dir(d)?,
            None => Cc2Model::embedded()?,
        };
        if let Some(p) = &opts.net {
            model.net = Cc2Network::load(p)?;
        }
        let source = dir.map_or("embedded".to_string(), |d| d.display().to_string());
        Ok(Self {
            model,
            source,
            flow_parameters,
            net_parameters,
        })
    }

    pub fn model(&self) -> &Cc2Model {
        &self.model
    }
}

impl ModelFamily for Cc2Family {
    fn name(&self) -> &str {
        NAME
    }

    fn describe(&self) -> String {
        self.source.clone()
    }

    fn geometry(&self) -> &str {
        GEOMETRY
    }

    fn layout(&self) -> PointLayout {
        PointLayout::caloclouds2()
    }

    fn trained_range(&self) -> TrainedRange {
        TrainedRange {
            energy_gev: (E_RANGE_GEV.0 as f64, E_RANGE_GEV.1 as f64),
            theta_deg: (0.0, 0.0),
        }
    }

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

    fn training_showers(&self) -> Option<TrainingShowers> {
        // The embedded model's; a model folder's own training.json is read by the front end.
        (self.source == "embedded").then(|| {
            TrainingShowers::from_json(EMBEDDED_TRAINING, "assets/caloclouds2/training.json")
                .expect("the committed list parses (tested)")
        })
    }

    fn stages(&self) -> String {
        "ShowerFlow (trained, embedded); occupancy calibration of N; one-step consistency network \
         (fused kernel); layer assignment by sorted depth; per-layer energy rescale; CoG shift; \
         saved as CaloClouds II points (no cell projection)"
            .into()
    }

    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert(
            "sampler".into(),
            format!("{:?}", self.model.net.kind).into(),
        );
        m
    }

    fn bench_incidents(&self, n: usize, seed: u64) -> Vec<Incident> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                Incident::perpendicular(1000.0 * rng.random_range(E_RANGE_GEV.0..E_RANGE_GEV.1))
            })
            .collect()
    }

    /// Perpendicular showers (the model is not conditioned on the direction).
    fn generate(
        &self,
        incidents: &[Incident],
        seed: u64,
        first: u64,
        parallel: bool,
    ) -> Result<ShowerBatch> {
        usual_entry_only(NAME, incidents)?;
        let one = |buf: &mut _, i: usize, inc: &Incident, pc: &mut PointClouds| {
            let mut rng = shower_rng(seed, first + i as u64);
            self.model.generate_one(buf, inc.energy_mev, &mut rng, pc)
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
                append_clouds(&mut out, p);
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

    fn end_to_end(&self, opts: &TimingOptions) -> Result<Option<EndToEnd>> {
        end_to_end(&self.model, opts).map(Some)
    }

    /// The cubic occupancy calibration: the uncalibrated model generates one shower at each
    /// Geant4 energy; the fits map points to cells for both.
    fn calibrate(
        &mut self,
        g4: &PointClouds,
        cells: &mut CellCounter<'_>,
        seed: u64,
        log: &dyn Fn(&str),
    ) -> Result<Calibration> {
        let saved = self.model.calibration.take();
        let incidents: Vec<Incident> = g4
            .incident_energy
            .iter()
            .map(|&e| Incident::perpendicular(e))
            .collect();
        let generated = self.generate(&incidents, seed, 0, false);
        self.model.calibration = saved;
        let ShowerBatch::Points(gen) = generated? else {
            unreachable!("CaloClouds II generates points")
        };
        let g4_cells = cells(g4)?;
        let gen_cells = cells(&gen)?;
        let pts = |pc: &PointClouds| -> Vec<f64> {
            (0..pc.len()).map(|i| pc.shower(i).len() as f64).collect()
        };
        let (g4_points, gen_points) = (pts(g4), pts(&gen));
        let cal = OccupancyCalibration::fit(&g4_points, &g4_cells, &gen_points, &gen_cells)?;
        log(&format!(
            "{} showers: Geant4 {:.0} points -> {:.0} cells; generated (uncalibrated) {:.0} points -> {:.0} cells",
            g4.len(),
            mean(&g4_points),
            mean(&g4_cells),
            mean(&gen_points),
            mean(&gen_cells)
        ));
        let json = serde_json::to_string_pretty(&Some(&cal))
            .map_err(|e| Error::Invalid(format!("calibration to JSON: {e}")))?;
        Ok(Calibration {
            json,
            default_out: None,
            message: "calibration".into(),
        })
    }
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// One 50 GeV shower at a time: ShowerFlow → points → one-step network → layer assignment →
/// energy rescale → CoG shift → cells of `ild-ecal`; and the flow and the network alone.
fn end_to_end(model: &Cc2Model, opts: &TimingOptions) -> Result<EndToEnd> {
    let (seed, warmup, reps) = (opts.seed, opts.warmup, opts.repeats_or(5, 51));
    let Ok(Geometry::Planar(g)) = Geometry::load(GEOMETRY) else {
        return Err(Error::Invalid(format!(
            "{GEOMETRY} is not a planar geometry"
        )));
    };
    let mut proj = CellProjector::new(&g);
    let e_mev = E2E_ENERGY_GEV * 1000.0;
    let mut buf = model.buffers();
    let mut pc = PointClouds::new();
    let mut cells = CellShowers::new();
    let mut report = OutsideReport::default();
    let (mut index, mut points, mut n_cells, mut showers) = (0u64, 0usize, 0usize, 0usize);
    let mut err = None;
    let (whole, whole_cpu) = time_wall_cpu_ms(warmup, reps, || {
        pc.clear();
        cells.clear();
        report.points.clear();
        report.energy_mev.clear();
        let mut rng = shower_rng(seed, index);
        index += 1;
        match model.generate_one(&mut buf, e_mev, &mut rng, &mut pc) {
            Ok(()) => {
                proj.project(&pc, &mut cells, &mut report);
                points += pc.n_points();
                n_cells += cells.n_cells();
                showers += 1;
            }
            Err(e) => {
                err.get_or_insert(e);
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mean_points = points / showers.max(1);

    let mut rng = shower_rng(seed, u64::MAX);
    let t_flow = time_ms(warmup, reps, || {
        std::hint::black_box(model.flow.sample(e_mev, &mut rng));
    });
    let mut ws = model.net.workspace();
    let mut raw = RawPoints::default();
    let t_net = time_ms(warmup, reps, || {
        let r = model
            .net
            .sample(&mut ws, e_mev, mean_points, &mut rng, &mut raw);
        std::hint::black_box(r.ok());
    });
    let ms = Summary::of_timings(&whole)?;
    let (flow_ms, net_ms) = (Summary::of_timings(&t_flow)?, Summary::of_timings(&t_net)?);
    // The network alone runs at the mean N, the whole at each shower's own N: the difference of
    // medians can dip below zero by that noise (`Stage::derived` shows it as 0).
    let rest = ms.median - flow_ms.median - net_ms.median;
    let references = [
        ("geant4_ms".to_string(), GEANT4_MS),
        ("paper_ms".to_string(), PAPER_MS),
        ("speedup_vs_geant4".to_string(), GEANT4_MS / ms.median),
    ];
    Ok(EndToEnd {
        energy_gev: E2E_ENERGY_GEV,
        points: mean_points,
        points_source: "mean over the timed showers (ShowerFlow N, occupancy-calibrated)".into(),
        geometry: GEOMETRY.into(),
        included: strings(&[
            "ShowerFlow sampling (trained, embedded)",
            "occupancy calibration of the point count",
            "one-step consistency network (noise, per-shower gates, fused kernel)",
            "layer assignment by sorted depth, per-layer energy rescale, CoG shift",
            "projection into the ILD-like ECAL's cells",
        ]),
        not_included: strings(&["writing the file"]),
        ms,
        cpu_ms: whole_cpu.as_deref().and_then(Summary::of),
        stages: vec![
            Stage::new("ShowerFlow sample (alone)", flow_ms),
            Stage::new("noise + one-step network (alone, mean N)", net_ms),
            Stage::derived(
                "rest: calibrations, assignment, projection (whole − the two, medians)",
                rest,
            ),
        ],
        cells_per_shower: n_cells / showers.max(1),
        target_ms: TARGET_MS,
        target_met: ms.median <= TARGET_MS,
        references: references.into_iter().collect(),
    })
}

#[cfg(test)]
mod training_tests {
    use super::*;

    #[test]
    fn embedded_model_names_its_training_showers() {
        let f = Cc2Family::embedded().unwrap();
        let t = f.training_showers().expect("the embedded model's list");
        assert_eq!(
            t.overlap(Path::new("x/ild_photons_train.h5"), 2900..3500),
            Some(("ild_photons_train.h5".into(), 2900..3000))
        );
    }
}
