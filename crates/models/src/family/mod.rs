//! The model-family API: what every family implements ([`ModelFamily`]) and how the front ends
//! find one ([`Registry`]). A front end goes parse → registry → family → project → write and
//! never names a family; a new family is one folder (`crates/models/src/<family>/`, its
//! `family.rs` implementing the trait) and one line in [`Registry::builtin`].
//!
//! Conditions in: one [`Incident`] per shower (energy, direction, optionally the entry point).
//! Showers out: a [`ShowerBatch`] of points ([`calogen_data::PointClouds`]) or voxels. Shower `i`
//! of a call draws from [`crate::nn::shower_rng`]`(seed, first + i)`, so the showers do not depend
//! on the thread count or on how a run is cut into calls.

mod registry;
pub mod timing;
pub mod training;

use std::path::{Path, PathBuf};

use calogen_data::{PointClouds, PointLayout, ShowerBatch};
use serde::Serialize;

use crate::error::{Error, Result};

pub use registry::{FamilyEntry, LoadFn, Registry, Resolved, FAMILY_FILE};
pub use timing::{EndToEnd, Stage, TimingOptions};
pub use training::TrainingShowers;

/// The incident particle of one shower: energy in MeV, unit direction (transverse x, transverse y,
/// along the depth axis), and optionally where it enters the detector (mm, local frame; `None`:
/// the family's usual entry point).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Incident {
    pub energy_mev: f32,
    pub direction: [f32; 3],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_mm: Option<[f32; 3]>,
}

impl Incident {
    /// Perpendicular incidence at the usual entry point.
    pub fn perpendicular(energy_mev: f32) -> Self {
        Self::along(energy_mev, [0.0, 0.0, 1.0])
    }

    pub fn along(energy_mev: f32, direction: [f32; 3]) -> Self {
        Incident {
            energy_mev,
            direction,
            entry_mm: None,
        }
    }

    /// Polar angle θ from the depth axis and azimuth φ, in degrees:
    /// p = (cos φ sin θ, sin φ sin θ, cos θ).
    pub fn from_angles(energy_mev: f32, theta_deg: f64, phi_deg: f64) -> Self {
        let (t, p) = (theta_deg.to_radians(), phi_deg.to_radians());
        Self::along(
            energy_mev,
            [
                (p.cos() * t.sin()) as f32,
                (p.sin() * t.sin()) as f32,
                t.cos() as f32,
            ],
        )
    }

    /// The incidents of a point file: its energies and directions (perpendicular where it has none).
    pub fn of_clouds(pc: &PointClouds) -> Vec<Incident> {
        (0..pc.len())
            .map(|i| {
                let d = pc.direction.as_ref().map_or([0.0, 0.0, 1.0], |d| d[i]);
                Incident::along(pc.incident_energy[i], d)
            })
            .collect()
    }
}

/// The incident energies and polar angles a family was trained on (`generate` and `calibrate`
/// refuse conditions outside them unless `--allow-extrapolation`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainedRange {
    pub energy_gev: (f64, f64),
    /// Polar angle from the layer normal, degrees; (0, 0): perpendicular incidence only.
    pub theta_deg: (f64, f64),
}

/// Trainable parameters (CaloChallenge, paper 003 §8.7): all networks trained to obtain the model,
/// and those loaded to generate. They differ for distilled models and GANs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterCounts {
    pub training: u64,
    pub generation: u64,
    /// What each number includes, for the reader of a report.
    pub note: String,
}

/// What a front end may ask of a family when loading it; a family refuses what it does not
/// support (by name, so the user learns which option to drop).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A network file to use instead of the model's own.
    pub net: Option<PathBuf>,
    /// A ShowerFlow file (`calogen train showerflow`) for the per-layer profiles.
    pub flow: Option<PathBuf>,
    /// Geant4 showers whose per-layer points and energies stand in for the flow, and where they
    /// come from (for reports).
    pub profiles: Option<(PointClouds, String)>,
}

impl LoadOptions {
    /// An error unless every option set is in `supported` (`net`, `flow`, `profiles`).
    pub fn only(&self, family: &str, supported: &[&str]) -> Result<()> {
        let set = [
            ("net", self.net.is_some()),
            ("flow", self.flow.is_some()),
            ("profiles", self.profiles.is_some()),
        ];
        for (name, is_set) in set {
            if is_set && !supported.contains(&name) {
                return Err(Error::Invalid(format!(
                    "--{name} is not an option of the {family} family"
                )));
            }
        }
        Ok(())
    }
}

/// What a family's calibration produced: a JSON document for `out` (or, without `--out`, for
/// `default_out`), and a line for the user.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// Pretty-printed JSON.
    pub json: String,
    pub default_out: Option<PathBuf>,
    pub message: String,
}

/// Cells above threshold per shower, as the front end's projection counts them.
pub type CellCounter<'a> = dyn FnMut(&PointClouds) -> Result<Vec<f64>> + 'a;

/// A loaded model family. `Sync` because generation may share it between rayon workers.
pub trait ModelFamily: Sync {
    /// The registry name (`caloclouds2`).
    fn name(&self) -> &str;

    /// What was loaded, in one line (weights, their source).
    fn describe(&self) -> String;

    /// The built-in detector its points are made for (the default `--geometry`).
    fn geometry(&self) -> &str;

    /// Adapts the showers to the detector they are meant for (a built-in geometry name or a TOML
    /// path): families that put geometry into the showers, such as a tilt along the incident
    /// direction, take its layer depths. Default: nothing to adapt.
    fn set_geometry(&mut self, _geometry: &str) -> Result<()> {
        Ok(())
    }

    /// The column layout its point files are written in.
    fn layout(&self) -> PointLayout;

    fn trained_range(&self) -> TrainedRange;

    fn parameters(&self) -> ParameterCounts;

    /// The Geant4 showers the loaded model was trained on, where known (a built-in model's;
    /// a model folder's `training.json` is read by the front end for every family).
    fn training_showers(&self) -> Option<TrainingShowers> {
        None
    }

    /// The stages `generate` runs, in words (what a timing includes).
    fn stages(&self) -> String;

    /// Family-specific facts for a run's summary (sampler, profile source, ...).
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    /// `n` incident particles from the family's benchmark distribution (seeded).
    fn bench_incidents(&self, n: usize, seed: u64) -> Vec<Incident>;

    /// One shower per incident; shower `i` from the stream `first + i` of `seed`. With `parallel`
    /// the showers may be spread over the current rayon pool; without it the caller's thread does
    /// all the work. Both give the same showers.
    fn generate(
        &self,
        incidents: &[Incident],
        seed: u64,
        first: u64,
        parallel: bool,
    ) -> Result<ShowerBatch>;

    /// Writes batches into one HDF5 file at `dest` (points in [`ModelFamily::layout`], or voxels).
    fn save(&self, batches: &[ShowerBatch], dest: &Path) -> Result<()> {
        crate::bench::protocol::save_batches(batches, &self.layout(), dest)
    }

    /// One shower at the family's reference conditions, end to end and by named stages
    /// (`calogen bench`); `None` when the family has no such timing.
    fn end_to_end(&self, _opts: &TimingOptions) -> Result<Option<EndToEnd>> {
        Ok(None)
    }

    /// Fits the family's occupancy calibration against Geant4 showers `g4`; `cells` counts the
    /// cells above threshold per shower of a set of showers.
    fn calibrate(
        &mut self,
        _g4: &PointClouds,
        _cells: &mut CellCounter<'_>,
        _seed: u64,
        _log: &dyn Fn(&str),
    ) -> Result<Calibration> {
        Err(Error::Invalid(format!(
            "the {} family has no calibration",
            self.name()
        )))
    }
}

/// An error when an incident asks for its own entry point, for families that start every shower
/// at their usual one.
pub fn usual_entry_only(family: &str, incidents: &[Incident]) -> Result<()> {
    match incidents.iter().find(|i| i.entry_mm.is_some()) {
        Some(i) => Err(Error::Invalid(format!(
            "the {family} family starts every shower at its usual entry point; {:?} asked",
            i.entry_mm
        ))),
        None => Ok(()),
    }
}

/// Appends every shower of `part` to `out` (directions kept when both have them).
pub fn append_clouds(out: &mut PointClouds, part: &PointClouds) {
    for s in part.iter() {
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
}
