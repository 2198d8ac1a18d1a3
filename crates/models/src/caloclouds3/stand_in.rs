//! The stand-in for CaloClouds3's ShowerFlow. No trained CaloClouds3 ShowerFlow weights exist (the
//! public checkpoint holds only the point model), so [`StandInFlow`] runs a randomly initialised
//! flow of the paper's structure (the same cost as a trained one) and then hands the pipeline a
//! fixed, plausible layer profile instead of the random flow's output: the point count from a
//! straight-line fit to Geant4 and the layer shape of the model's own depths. Every report says so.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    Cc3Model, Cc3ShowerFlow, Condition, LayerProfile, LayerProfileSampler, ShowerFlowConfig,
};
use crate::error::{Error, Result};
use crate::postprocess::fit_counts_to_total;

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

/// The profile template's shower: the 50 GeV reference direction of SPEC §7.
const TEMPLATE_GEV: f32 = 50.0;
const TEMPLATE_ANGLES_DEG: (f64, f64) = (30.0, 45.0);
/// The stand-in flow's feature scales (they change its outputs, not its cost).
pub(crate) const FLOW_SCALES: (f64, f64) = (30.0, 30.0);
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
