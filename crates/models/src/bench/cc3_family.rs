//! CaloClouds3 in the benchmark protocol: the whole generation chain of
//! [`crate::caloclouds3::Cc3Pipeline`] (ShowerFlow → one-step consistency model → layer
//! assignment → calibration → tilt → projection into the ILD barrel) with the embedded official
//! point-model weights.
//!
//! No trained CaloClouds3 ShowerFlow weights exist (the public checkpoint holds only the point
//! model), so [`StandInFlow`] runs a randomly initialised flow of the paper's structure (the same
//! cost as a trained one) and then hands the pipeline a fixed, plausible layer profile instead of
//! the random flow's output: the point count from a straight-line fit to Geant4 and the layer
//! shape of the model's own depths. Every report says so.

use std::path::Path;

use calogen_data::{PointClouds, PointLayout, ShowerBatch};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::protocol::{save_batches, BenchModel, Family, Incident, ParameterCounts};
use crate::caloclouds3::{
    Cc3Buffers, Cc3Model, Cc3Pipeline, Cc3ShowerFlow, Condition, LayerProfile, LayerProfileSampler,
    ShowerFlowConfig,
};
use crate::error::{Error, Result};
use crate::postprocess::{fit_counts_to_total, Cc3ScaleFactors};

/// Points per Geant4 shower against incident energy: least-squares line through the 40 showers of
/// `fixtures/ild_photons_angular_small.h5` (photons 10–100 GeV within 40°, our ILD-like ECAL,
/// clustered as described in ../shared/data/README.md). Checked against the fixture in the tests.
pub const POINTS_FIT_INTERCEPT: f64 = 425.45;
pub const POINTS_FIT_SLOPE_PER_GEV: f64 = 19.6225;

/// Points of a shower of `energy_gev` under [`POINTS_FIT_INTERCEPT`] + slope·E.
pub fn fitted_points(energy_gev: f64) -> usize {
    (POINTS_FIT_INTERCEPT + POINTS_FIT_SLOPE_PER_GEV * energy_gev)
        .round()
        .max(1.0) as usize
}

/// Benchmark incidents: photons uniform in 10–90 GeV, directions uniform in solid angle within
/// 40° of the layer normal (the angular Geant4 sample; inside CaloClouds3's training range).
const E_RANGE_GEV: (f32, f32) = (10.0, 90.0);
const MAX_THETA_DEG: f64 = 40.0;
/// The profile template's shower: the 50 GeV reference direction of SPEC §7.
const TEMPLATE_GEV: f32 = 50.0;
const TEMPLATE_ANGLES_DEG: (f64, f64) = (30.0, 45.0);
/// The stand-in flow's feature scales (they change its outputs, not its cost).
const FLOW_SCALES: (f64, f64) = (30.0, 30.0);
/// Trainable parameters of the EDM teacher the consistency model was distilled from
/// (`others['model_teacher']` of the official checkpoint: the same architecture; counted from the
/// checkpoint in the tests when ../shared/data is present).
pub const TEACHER_TRAINABLE: u64 = 69_608;
/// The Fourier frequencies are a fixed buffer, not a trained parameter.
const NON_TRAINABLE: [&str; 1] = ["time_embed.fourier.weight"];

/// What the stages include, for reports.
pub const STAGES: &str = "ShowerFlow (paper structure, RANDOM weights: no trained CaloClouds3 \
    flow exists; its output is replaced by a stand-in profile: points per shower 425.45 + \
    19.6225 * E/GeV from a fit to Geant4, layer shape of the model's own depths at 50 GeV, \
    energies scaled with E); one-step CM network (fused kernel); inverse normalisation with the \
    1.04 x/y calibration; layer assignment by sorted depth; per-layer energy rescale (x1.00609); \
    per-layer tilt shift; projection into the ILD barrel (ild-ecal-barrel) at the gun position";

pub fn family() -> Family {
    Family {
        name: "caloclouds3",
        summary:
            "CaloClouds3: official consistency-model weights (embedded) + ShowerFlow structure",
        load: || Ok(Box::new(Cc3Bench::embedded()?)),
    }
}

/// A ShowerFlow of the paper's structure run for its cost, with a fixed stand-in profile as output
/// (see the module doc).
pub struct StandInFlow {
    flow: Cc3ShowerFlow,
    template: LayerProfile,
}

impl StandInFlow {
    /// The template: one 50 GeV shower of `model` with [`fitted_points`] points, counted per
    /// nearest layer of its depth, with its energies (MeV) per layer.
    pub fn new(model: &Cc3Model, n_layers: usize, seed: u64) -> Result<Self> {
        let config = ShowerFlowConfig::cc3(FLOW_SCALES.0, FLOW_SCALES.1);
        if config.n_layers != n_layers {
            return Err(Error::Invalid(format!(
                "ShowerFlow has {} layers, the detector {n_layers}",
                config.n_layers
            )));
        }
        let flow = Cc3ShowerFlow::random(config, seed)?;
        let c = Condition::from_local_angles(
            TEMPLATE_GEV,
            TEMPLATE_ANGLES_DEG.0,
            TEMPLATE_ANGLES_DEG.1,
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x0 = model.sample_normalised(
            &mut model.workspace(),
            &c,
            fitted_points(TEMPLATE_GEV as f64),
            &mut rng,
        )?;
        let pts = model.config().point_norm.denormalise(&x0, 1.0);
        let mut template = LayerProfile {
            points: vec![0; n_layers],
            energy_mev: vec![0.0; n_layers],
        };
        let top = (n_layers - 1) as f32;
        for p in pts.chunks_exact(4) {
            let l = p[2].round().clamp(0.0, top) as usize;
            template.points[l] += 1;
            // The model's energies are on a GeV scale (SPEC §5).
            template.energy_mev[l] += p[3] as f64 * 1000.0;
        }
        Ok(StandInFlow { flow, template })
    }

    pub fn flow(&self) -> &Cc3ShowerFlow {
        &self.flow
    }

    /// The 50 GeV profile.
    pub fn template(&self) -> &LayerProfile {
        &self.template
    }
}

impl LayerProfileSampler for StandInFlow {
    fn sample_profile(
        &self,
        c: &Condition,
        rng: &mut dyn RngCore,
        out: &mut LayerProfile,
    ) -> Result<()> {
        // The flow's work, its output discarded (random weights give no physical profile).
        self.flow.sample_layers(c, rng, out)?;
        std::hint::black_box(&*out);
        out.clone_from(&self.template);
        fit_counts_to_total(&mut out.points, fitted_points(c.energy_gev as f64) as u32)?;
        let k = c.energy_gev as f64 / TEMPLATE_GEV as f64;
        for e in &mut out.energy_mev {
            *e *= k;
        }
        Ok(())
    }
}

pub struct Cc3Bench {
    pipeline: Cc3Pipeline,
    flow: StandInFlow,
}

impl Cc3Bench {
    pub fn embedded() -> Result<Self> {
        let pipeline = Cc3Pipeline::embedded(Cc3ScaleFactors::default())?;
        let flow = StandInFlow::new(&pipeline.model, pipeline.n_layers(), 0)?;
        Ok(Cc3Bench { pipeline, flow })
    }

    pub fn pipeline(&self) -> &Cc3Pipeline {
        &self.pipeline
    }

    pub fn flow(&self) -> &StandInFlow {
        &self.flow
    }

    /// One shower through the whole chain, appended to `pc` as points (local frame, MeV);
    /// incident `i` of a batch has its own random stream.
    fn shower(
        &self,
        b: &mut Cc3Buffers<'_>,
        inc: &Incident,
        seed: u64,
        i: usize,
        pc: &mut PointClouds,
    ) -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(i as u64);
        let cond = Condition {
            energy_gev: inc.energy_mev / 1000.0,
            direction: inc.direction,
        };
        let at = self.pipeline.barrel.gun_placement();
        self.pipeline.generate(b, &self.flow, &cond, at, &mut rng)?;
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

impl BenchModel for Cc3Bench {
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
        let flow: u64 = Cc3ShowerFlow::tensor_shapes(self.flow.flow.config())
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

    fn incidents(&self, n: usize, seed: u64) -> Vec<Incident> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cos_max = MAX_THETA_DEG.to_radians().cos();
        (0..n)
            .map(|_| {
                let e = rng.random_range(E_RANGE_GEV.0..E_RANGE_GEV.1);
                let cos_t: f64 = rng.random_range(cos_max..=1.0);
                let phi: f64 = rng.random_range(-180.0..180.0);
                let c = Condition::from_local_angles(e, cos_t.acos().to_degrees(), phi);
                Incident {
                    energy_mev: e * 1000.0,
                    direction: c.direction,
                }
            })
            .collect()
    }

    fn generate(&self, incidents: &[Incident], seed: u64, parallel: bool) -> Result<ShowerBatch> {
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
                        self.shower(b, inc, seed, i, &mut pc)?;
                        Ok(pc)
                    },
                )
                .collect::<Result<_>>()?;
            join(parts, expected(incidents))
        } else {
            let mut b = self.pipeline.buffers();
            let mut pc = PointClouds::with_capacity(incidents.len(), expected(incidents));
            for (i, inc) in incidents.iter().enumerate() {
                self.shower(&mut b, inc, seed, i, &mut pc)?;
            }
            pc
        };
        Ok(ShowerBatch::Points(pc))
    }

    fn save(&self, batches: &[ShowerBatch], dest: &Path) -> Result<()> {
        save_batches(batches, &PointLayout::caloclouds3(), dest)
    }

    fn stages(&self) -> String {
        STAGES.into()
    }
}

/// Concatenates batches (in order) into one.
fn join(parts: Vec<PointClouds>, points: usize) -> PointClouds {
    let showers = parts.iter().map(PointClouds::len).sum();
    let mut out = PointClouds::with_capacity(showers, points);
    for p in parts {
        let base = out.energy.len();
        out.x.extend_from_slice(&p.x);
        out.y.extend_from_slice(&p.y);
        out.layer.extend_from_slice(&p.layer);
        out.energy.extend_from_slice(&p.energy);
        out.offsets.extend(p.offsets[1..].iter().map(|o| o + base));
        out.incident_energy.extend_from_slice(&p.incident_energy);
        if let Some(d) = p.direction {
            out.direction.get_or_insert_with(Vec::new).extend(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::protocol::{run_protocol, ProtocolOptions, Threads};

    #[test]
    fn fit_matches_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ild_photons_angular_small.h5"
        );
        let f = calogen_data::open(Path::new(path), &Default::default()).unwrap();
        let b = f.read(0..f.len()).unwrap();
        let ShowerBatch::Points(pc) = b else {
            panic!("points expected")
        };
        let e: Vec<f64> = pc
            .incident_energy
            .iter()
            .map(|&v| v as f64 / 1000.0)
            .collect();
        let n: Vec<f64> = (0..pc.len()).map(|i| pc.shower(i).len() as f64).collect();
        let k = e.len() as f64;
        let (me, mn) = (e.iter().sum::<f64>() / k, n.iter().sum::<f64>() / k);
        let sxy: f64 = e.iter().zip(&n).map(|(a, b)| (a - me) * (b - mn)).sum();
        let sxx: f64 = e.iter().map(|a| (a - me) * (a - me)).sum();
        let slope = sxy / sxx;
        let intercept = mn - slope * me;
        assert!((slope - POINTS_FIT_SLOPE_PER_GEV).abs() < 1e-3, "{slope}");
        assert!(
            (intercept - POINTS_FIT_INTERCEPT).abs() < 1e-2,
            "{intercept}"
        );
        assert_eq!(fitted_points(50.0), 1407);
    }

    #[test]
    fn parameters_counted_from_shapes() {
        let m = Cc3Bench::embedded().unwrap();
        // Time: 64·64 + 64; layers: Σ in·out + out (W, b), 68·out + out (G, g), 68·out (H)
        // with Σ in·out = 20736 and Σ out = 324.
        let student = 4096 + 64 + 20736 + 324 + 68 * 324 + 324 + 68 * 324;
        let flow: u64 = Cc3ShowerFlow::tensor_shapes(m.flow().flow().config())
            .iter()
            .map(|(_, s)| s.iter().product::<usize>() as u64)
            .sum();
        assert!(flow > 10_000, "{flow}");
        let p = m.parameters();
        assert_eq!(p.generation, student + flow);
        assert_eq!(p.training, student + flow + TEACHER_TRAINABLE);
    }

    #[test]
    fn stand_in_profile_has_the_fitted_size() {
        let m = Cc3Bench::embedded().unwrap();
        let t = m.flow().template();
        assert_eq!(t.points.len(), 30);
        assert_eq!(t.points.iter().sum::<u32>() as usize, fitted_points(50.0));
        let mut out = LayerProfile::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let c = Condition::from_local_angles(20.0, 10.0, 0.0);
        m.flow().sample_profile(&c, &mut rng, &mut out).unwrap();
        assert_eq!(out.points.iter().sum::<u32>() as usize, fitted_points(20.0));
        let e_t: f64 = t.energy_mev.iter().sum();
        let e_o: f64 = out.energy_mev.iter().sum();
        assert!((e_o - e_t * 20.0 / 50.0).abs() < 1e-9 * e_t);
    }

    #[test]
    fn same_showers_serial_and_parallel() {
        let m = Cc3Bench::embedded().unwrap();
        let inc = m.incidents(5, 3);
        assert!(inc
            .iter()
            .all(|i| (10_000.0..90_000.0).contains(&i.energy_mev) && i.direction[2] > 0.76));
        let a = m.generate(&inc, 9, false).unwrap();
        let b = m.generate(&inc, 9, true).unwrap();
        let (ShowerBatch::Points(a), ShowerBatch::Points(b)) = (a, b) else {
            panic!("points expected")
        };
        assert!(a.is_consistent());
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
        assert_eq!(
            a.shower(0).len(),
            fitted_points(inc[0].energy_mev as f64 / 1000.0)
        );
        assert!(a.energy.iter().all(|e| e.is_finite() && *e > 0.0));
        assert!(a.layer.iter().all(|&l| l < 30));
        assert!(a.shower(0).layer.iter().any(|&l| l > 5));
    }

    #[test]
    fn protocol_runs_and_reports() {
        let dir = std::env::temp_dir().join(format!("calogen-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let opts = ProtocolOptions {
            batches: vec![1, 3],
            showers: None,
            repeats: 2,
            threads: vec![Threads::One, Threads::Pool(2)],
            seed: 1,
            save_dir: dir.clone(),
        };
        let done = std::sync::atomic::AtomicU64::new(0);
        let r = run_protocol(&family(), &opts, &|k| {
            done.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(done.into_inner(), opts.total_showers());
        assert_eq!(opts.total_showers(), (1 + 3) * 2 * 2);
        assert_eq!(r.rows.len(), 4);
        for row in &r.rows {
            assert_eq!(row.repeats, 2);
            assert!(row.generate_ms_per_shower.mean > 0.0 && row.load_ms.min > 0.0);
            assert!(row.mean_points_per_shower > 500.0);
        }
        // Every save file was removed after timing.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
    }
}

#[cfg(test)]
mod teacher_tests {
    use super::TEACHER_TRAINABLE;
    use crate::io::load_pt;

    #[test]
    fn teacher_parameters_from_checkpoint() {
        let Some(path) = calogen_data::shared_data::shared_data("caloclouds3/example_cm_model.pt")
        else {
            return;
        };
        let t = load_pt(&path, &["others", "model_teacher"]).unwrap();
        // `timestep_embed.0` is k-diffusion's FourierFeatures: a buffer, not trained.
        let trainable: usize = t
            .iter()
            .filter(|(name, _)| !name.ends_with("timestep_embed.0.weight"))
            .map(|(_, tensor)| tensor.data.len())
            .sum();
        assert_eq!(trainable as u64, TEACHER_TRAINABLE);
        assert_eq!(t.len(), 33);
    }
}
