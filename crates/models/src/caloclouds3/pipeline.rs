//! The CaloClouds3 generation chain for one shower (§3.3, SPEC §5), with buffers reused from
//! shower to shower:
//!
//! layer profile (ShowerFlow: points and energy per layer) → fixed occupancy / energy factors →
//! one-step consistency model (N = Σ points) → de-normalisation (x, y × 1.04) → layer assignment by
//! the generated depth → per-layer energy rescale → per-layer tilt shift restored for the incident
//! direction → projection into the realistic ILD barrel (energy in gaps lost and counted).
//!
//! The layer profile comes from a [`LayerProfileSampler`]: [`Cc3ShowerFlow`] (the CaloClouds3 flow's
//! structure; see its docs for the state of its weights) or [`EmpiricalProfiles`] (the per-layer
//! points and energies of real Geant4 showers, nearest in energy and direction).

use calogen_data::{CellShowers, PointClouds};
use calogen_geometry::{BarrelGeometry, BarrelProjector, Placement, ShowerLoss};
use rand::Rng;
use rand_distr::StandardNormal;

use super::showerflow::Cc3ShowerFlow;
use super::{Cc3Model, Condition, Workspace};
use crate::error::{Error, Result};
use crate::nn::ShowerFlow;
use crate::postprocess::{
    fit_counts_to_total, rescale_layer_energies, Cc3ScaleFactors, LayerAssigner, TiltShift,
};

pub use super::profile::LayerProfile;

/// Where per-layer profiles come from (the ShowerFlow step).
pub trait LayerProfileSampler {
    /// Fills `out` (one entry per layer) for the incident particle `c`.
    fn sample_profile(
        &self,
        c: &Condition,
        rng: &mut dyn rand::RngCore,
        out: &mut LayerProfile,
    ) -> Result<()>;
}

impl LayerProfileSampler for Cc3ShowerFlow {
    fn sample_profile(
        &self,
        c: &Condition,
        rng: &mut dyn rand::RngCore,
        out: &mut LayerProfile,
    ) -> Result<()> {
        self.sample_layers(c, rng, out)
    }
}

/// Profiles of real Geant4 showers: the shower whose incident energy and direction are nearest
/// to the request (distance |ΔE|/E + |Δp|), its point counts per layer and energies per layer.
/// A stand-in for a trained ShowerFlow, not a model: it can only repeat showers it holds.
#[derive(Debug, Clone)]
pub struct EmpiricalProfiles {
    n_layers: usize,
    energy_gev: Vec<f64>,
    direction: Vec<[f32; 3]>,
    profiles: Vec<LayerProfile>,
}

impl EmpiricalProfiles {
    /// From point clouds with directions (missing direction = perpendicular incidence).
    pub fn from_clouds(clouds: &PointClouds, n_layers: usize) -> Result<Self> {
        if clouds.is_empty() {
            return Err(Error::Invalid("empirical profiles: no showers".into()));
        }
        let mut profiles = Vec::with_capacity(clouds.len());
        for s in clouds.iter() {
            let mut p = LayerProfile {
                points: vec![0; n_layers],
                energy_mev: vec![0.0; n_layers],
            };
            for (&l, &e) in s.layer.iter().zip(s.energy) {
                let l = l as usize;
                if l >= n_layers {
                    return Err(Error::Invalid(format!(
                        "empirical profiles: a point in layer {l}, {n_layers} layers expected"
                    )));
                }
                p.points[l] += 1;
                p.energy_mev[l] += e as f64;
            }
            profiles.push(p);
        }
        Ok(Self {
            n_layers,
            energy_gev: clouds
                .incident_energy
                .iter()
                .map(|&e| e as f64 / 1000.0)
                .collect(),
            direction: clouds
                .direction
                .clone()
                .unwrap_or_else(|| vec![[0.0, 0.0, 1.0]; clouds.len()]),
            profiles,
        })
    }

    pub fn n_layers(&self) -> usize {
        self.n_layers
    }
}

impl LayerProfileSampler for EmpiricalProfiles {
    fn sample_profile(
        &self,
        c: &Condition,
        _rng: &mut dyn rand::RngCore,
        out: &mut LayerProfile,
    ) -> Result<()> {
        let e = c.energy_gev as f64;
        let dist = |i: usize| {
            let d = self.direction[i];
            (self.energy_gev[i] - e).abs() / e.max(1e-9)
                + (0..3)
                    .map(|k| (d[k] - c.direction[k]).powi(2) as f64)
                    .sum::<f64>()
                    .sqrt()
        };
        let best = (0..self.profiles.len())
            .min_by(|&a, &b| dist(a).total_cmp(&dist(b)))
            .expect("non-empty by construction");
        out.clone_from(&self.profiles[best]);
        Ok(())
    }
}

/// A ShowerFlow trained by calogen (`calogen train showerflow`, with `direction = true` for
/// showers at angles): N and the visible energy, split over the layers by the sampled fractions.
impl LayerProfileSampler for ShowerFlow {
    fn sample_profile(
        &self,
        c: &Condition,
        rng: &mut dyn rand::RngCore,
        out: &mut LayerProfile,
    ) -> Result<()> {
        let f = self.sample_at(c.energy_gev * 1000.0, c.direction, rng);
        out.points.clear();
        out.points.extend(
            f.point_fraction
                .iter()
                .map(|p| (p * f.n_points as f64).round() as u32),
        );
        fit_counts_to_total(&mut out.points, f.n_points as u32)?;
        out.energy_mev.clear();
        out.energy_mev
            .extend(f.energy_fraction.iter().map(|e| e * f.e_vis_mev));
        Ok(())
    }
}

/// Everything that does not change from shower to shower.
pub struct Cc3Pipeline {
    pub model: Cc3Model,
    pub barrel: BarrelGeometry,
    pub tilt: TiltShift,
    pub scale: Cc3ScaleFactors,
    /// Layer index per layer (the model's z unit), where assigned points are put.
    layer_centres: Vec<f32>,
}

/// Per-thread buffers; after [`Cc3Pipeline::generate`] they hold the last shower.
pub struct Cc3Buffers<'g> {
    ws: Workspace,
    assigner: LayerAssigner,
    projector: BarrelProjector<'g>,
    sums: Vec<f64>,
    noise: Vec<f32>,
    normalised: Vec<f32>,
    pub profile: LayerProfile,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub z: Vec<f32>,
    pub layer: Vec<u16>,
    pub energy: Vec<f32>,
    /// The projected shower (one shower, closed).
    pub cells: CellShowers,
}

impl Cc3Pipeline {
    /// The embedded official consistency model with the built-in `ild-ecal-barrel`; the tilt shift
    /// uses each layer's radial distance from the CaloClouds gun (the photon enters there).
    pub fn embedded(scale: Cc3ScaleFactors) -> Result<Self> {
        let barrel =
            BarrelGeometry::load("ild-ecal-barrel").map_err(|e| Error::Invalid(e.to_string()))?;
        Self::new(Cc3Model::embedded()?, barrel, scale)
    }

    pub fn new(model: Cc3Model, barrel: BarrelGeometry, scale: Cc3ScaleFactors) -> Result<Self> {
        let depths: Vec<f64> = barrel
            .layers
            .iter()
            .map(|l| l.y_mm - barrel.gun[1])
            .collect();
        let tilt = TiltShift::new(depths)?;
        let layer_centres = (0..barrel.n_layers()).map(|l| l as f32).collect();
        Ok(Self {
            model,
            barrel,
            tilt,
            scale,
            layer_centres,
        })
    }

    pub fn n_layers(&self) -> usize {
        self.barrel.n_layers()
    }

    pub fn buffers(&self) -> Cc3Buffers<'_> {
        Cc3Buffers {
            ws: self.model.workspace(),
            assigner: LayerAssigner::new(),
            projector: BarrelProjector::new(&self.barrel),
            sums: Vec::new(),
            noise: Vec::new(),
            normalised: Vec::new(),
            profile: LayerProfile::default(),
            x: Vec::new(),
            y: Vec::new(),
            z: Vec::new(),
            layer: Vec::new(),
            energy: Vec::new(),
            cells: CellShowers::new(),
        }
    }

    /// One shower: flow → network → layer assignment → calibration → projection at `at`. The
    /// points (local frame, tilt restored) and the cells stay in `b`; the return value says what
    /// the barrel did not record.
    pub fn generate<R: Rng>(
        &self,
        b: &mut Cc3Buffers<'_>,
        flow: &dyn LayerProfileSampler,
        c: &Condition,
        at: Placement,
        rng: &mut R,
    ) -> Result<ShowerLoss> {
        let nl = self.n_layers();
        flow.sample_profile(c, rng, &mut b.profile)?;
        if b.profile.points.len() != nl || b.profile.energy_mev.len() != nl {
            return Err(Error::Invalid(format!(
                "layer profile has {} counts and {} energies, the barrel {nl} layers",
                b.profile.points.len(),
                b.profile.energy_mev.len()
            )));
        }
        self.scale.scale_counts(&mut b.profile.points);
        self.scale.scale_energies(&mut b.profile.energy_mev);
        let n: usize = b.profile.points.iter().map(|&p| p as usize).sum();

        // One-step consistency model on x_T = σ_max·ε.
        let sigma = self.model.config().sigma_max as f32;
        b.noise.clear();
        b.noise
            .extend((0..4 * n).map(|_| rng.sample::<f32, _>(StandardNormal) * sigma));
        b.normalised.resize(4 * n, 0.0);
        let cond = self.model.cond_vector(c);
        self.model
            .denoise_with(&mut b.ws, &b.noise, &cond, sigma, &mut b.normalised)?;

        // De-normalise into columns (SPEC §5), x and y with the deployment factor.
        let pn = &self.model.config().point_norm;
        let (ax, bx) = ((2.0 * pn.x_std * self.scale.xy) as f32, pn.x_mean as f32);
        let (ay, by) = ((2.0 * pn.y_std * self.scale.xy) as f32, pn.y_mean as f32);
        let (az, bz) = ((2.0 * pn.z_std) as f32, pn.z_mean as f32);
        let (ae, be) = ((2.0 * pn.log_e_std) as f32, pn.log_e_mean as f32);
        for v in [&mut b.x, &mut b.y, &mut b.z, &mut b.energy] {
            v.clear();
        }
        for p in b.normalised.chunks_exact(4) {
            b.x.push(ax * p[0] + bx);
            b.y.push(ay * p[1] + by);
            b.z.push(az * p[2] + bz);
            b.energy.push((ae * p[3] + be).exp());
        }
        b.layer.resize(n, 0);

        b.assigner.assign(
            &mut b.z,
            &b.profile.points,
            Some(&self.layer_centres),
            &mut b.layer,
        )?;
        rescale_layer_energies(&b.layer, &mut b.energy, &b.profile.energy_mev, &mut b.sums)?;
        self.tilt
            .restore(&mut b.x, &mut b.y, &b.layer, c.direction)?;

        b.cells.clear();
        let loss = b
            .projector
            .project_local(&b.x, &b.y, &b.layer, &b.energy, at, &mut b.cells);
        b.cells.end_shower(c.energy_gev * 1000.0, Some(c.direction));
        Ok(loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A fixed profile: a smooth longitudinal shape, for tests.
    struct Fixed(LayerProfile);

    impl LayerProfileSampler for Fixed {
        fn sample_profile(
            &self,
            _: &Condition,
            _: &mut dyn rand::RngCore,
            out: &mut LayerProfile,
        ) -> Result<()> {
            out.clone_from(&self.0);
            Ok(())
        }
    }

    #[test]
    fn one_shower_keeps_the_profile_and_accounts_for_every_mev() {
        let pipe = Cc3Pipeline::embedded(Cc3ScaleFactors::default()).unwrap();
        let points: Vec<u32> = (0..30)
            .map(|l| (120.0 * (-((l as f64 - 9.0) / 6.0).powi(2)).exp()).round() as u32)
            .collect();
        let energy_mev: Vec<f64> = points.iter().map(|&p| p as f64 * 0.4).collect();
        let flow = Fixed(LayerProfile {
            points: points.clone(),
            energy_mev: energy_mev.clone(),
        });
        let mut b = pipe.buffers();
        let c = Condition::from_local_angles(50.0, 30.0, 45.0);
        let at = pipe.barrel.gun_placement();
        let loss = pipe
            .generate(&mut b, &flow, &c, at, &mut ChaCha8Rng::seed_from_u64(3))
            .unwrap();
        let n: u32 = points.iter().sum();
        assert_eq!(b.x.len(), n as usize);
        // Per-layer counts and energies (× the fixed energy factor) are the profile's.
        for l in 0..30 {
            let idx: Vec<usize> = (0..b.layer.len())
                .filter(|&i| b.layer[i] == l as u16)
                .collect();
            assert_eq!(idx.len(), points[l] as usize);
            let e: f64 = idx.iter().map(|&i| b.energy[i] as f64).sum();
            let want = energy_mev[l] * 1.00609;
            assert!(
                (e - want).abs() <= 1e-4 * want.max(1.0),
                "layer {l}: {e} vs {want}"
            );
            assert!(idx.iter().all(|&i| b.z[i] == l as f32));
        }
        // Cells + gaps + outside = everything generated.
        let total: f64 = energy_mev.iter().sum::<f64>() * 1.00609;
        let cells: f64 = b.cells.energy.iter().map(|&e| e as f64).sum();
        let acc = cells + loss.gap_energy_mev + loss.outside_energy_mev;
        assert!((acc - total).abs() < 1e-3 * total, "{acc} vs {total}");
        assert!((loss.recorded_energy_mev - cells).abs() < 1e-3 * total);
        assert!(loss.gap_energy_mev / total < 0.2 && b.cells.n_cells() > 100);
        // Same seed, same shower.
        let mut b2 = pipe.buffers();
        pipe.generate(&mut b2, &flow, &c, at, &mut ChaCha8Rng::seed_from_u64(3))
            .unwrap();
        assert_eq!((b.x.clone(), b.cells.clone()), (b2.x, b2.cells));
    }

    #[test]
    fn tilt_is_put_back_along_the_direction() {
        // Upright points from the model, then the restored shift: the energy-weighted mean x of the
        // deep layers moves by depth·p_x/p_z relative to perpendicular incidence.
        let pipe = Cc3Pipeline::embedded(Cc3ScaleFactors::default()).unwrap();
        let flow = Fixed(LayerProfile {
            points: vec![200; 30],
            energy_mev: vec![10.0; 30],
        });
        let c = Condition::from_local_angles(50.0, 40.0, 0.0);
        let mut b = pipe.buffers();
        pipe.generate(
            &mut b,
            &flow,
            &c,
            pipe.barrel.gun_placement(),
            &mut ChaCha8Rng::seed_from_u64(1),
        )
        .unwrap();
        let mean_x = |l: u16| {
            let (mut s, mut w) = (0.0, 0.0);
            for i in 0..b.x.len() {
                if b.layer[i] == l {
                    s += b.x[i] as f64 * b.energy[i] as f64;
                    w += b.energy[i] as f64;
                }
            }
            s / w
        };
        let slope = (mean_x(29) - mean_x(0)) / (pipe.tilt.depths()[29] - pipe.tilt.depths()[0]);
        let want = 40f64.to_radians().tan();
        assert!((slope - want).abs() < 0.15, "{slope} vs {want}");
    }
}
