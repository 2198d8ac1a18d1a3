//! The shape every evaluation protocol has ([`Protocol`]) and what the front end hands it: the
//! loaded samples ([`Loaded`]), the settings ([`Options`]) and the run's header ([`Run`]).

use calogen_data::{CellShowers, VoxelShowers};
use calogen_geometry::{Geometry, PlanarGeometry, Voxelisation};
use serde::Serialize;

use crate::classifier::ResNetScore;
use crate::error::Result;
use crate::metrics::fpd_kpd::FpdKpdSizes;
use crate::metrics::stats::MeanStd;
use crate::report::Figure;

/// An evaluation protocol: two shower samples of one geometry in, a typed result out, which
/// serialises into `metrics.json`, reads as Markdown and draws as figures.
pub trait Protocol: Sync {
    /// `--protocol` name.
    const NAME: &'static str;
    /// One line for `calogen evaluate --help`: the paper and what it scores.
    const HELP: &'static str;
    /// The geometry it needs, for the error when given another: "a planar geometry (ild-ecal, …)".
    const NEEDS: &'static str;
    /// What it compares: cell showers ([`CellShowers`], on a planar geometry) or voxel showers
    /// ([`VoxelShowers`], on a CaloChallenge voxelisation).
    type Samples: Samples;
    /// Its entries of `metrics.json`, written after the run's header ([`Run`]); by convention one
    /// field named after the protocol.
    type Output: Serialize + 'static;

    fn compute(
        &self,
        reference: &Self::Samples,
        generated: &Self::Samples,
        geometry: &<Self::Samples as Samples>::Geometry,
        options: &Options,
    ) -> Result<Self::Output>;

    /// `report.md`: a `#` title, the run's lines, then the protocol's tables.
    fn markdown(&self, output: &Self::Output, run: &Run) -> String;

    /// The plots of `report.html` (computed with the result: they need its intermediate
    /// observables).
    fn figures<'a>(&self, output: &'a Self::Output) -> &'a [Figure];
}

/// The kind of showers a protocol reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Cells of a planar geometry (point files are projected into them).
    Cells,
    /// CaloChallenge voxels (point files are projected into them).
    Voxels,
}

/// Showers as loaded for a protocol (of the [`Input`] it asked for).
#[derive(Debug, Clone)]
pub enum Loaded {
    Cells(CellShowers),
    Voxels(VoxelShowers),
}

impl Loaded {
    pub fn len(&self) -> usize {
        match self {
            Loaded::Cells(c) => c.len(),
            Loaded::Voxels(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Incident energy per shower, MeV.
    pub fn incident_energy(&self) -> &[f32] {
        match self {
            Loaded::Cells(c) => &c.incident_energy,
            Loaded::Voxels(v) => &v.incident_energy,
        }
    }
}

/// A kind of shower sample and the geometry it lives in.
pub trait Samples: Sized {
    type Geometry;
    const INPUT: Input;
    fn of(loaded: &Loaded) -> Option<&Self>;
    fn geometry(geometry: &Geometry) -> Option<&Self::Geometry>;
}

impl Samples for CellShowers {
    type Geometry = PlanarGeometry;
    const INPUT: Input = Input::Cells;
    fn of(loaded: &Loaded) -> Option<&Self> {
        match loaded {
            Loaded::Cells(c) => Some(c),
            Loaded::Voxels(_) => None,
        }
    }
    fn geometry(geometry: &Geometry) -> Option<&PlanarGeometry> {
        match geometry {
            Geometry::Planar(g) => Some(g),
            _ => None,
        }
    }
}

impl Samples for VoxelShowers {
    type Geometry = Voxelisation;
    const INPUT: Input = Input::Voxels;
    fn of(loaded: &Loaded) -> Option<&Self> {
        match loaded {
            Loaded::Voxels(v) => Some(v),
            Loaded::Cells(_) => None,
        }
    }
    fn geometry(geometry: &Geometry) -> Option<&Voxelisation> {
        match geometry {
            Geometry::CaloChallenge(v) => Some(v),
            _ => None,
        }
    }
}

/// The settings `calogen evaluate` passes to every protocol; each reads the ones it uses.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    pub seed: u64,
    /// Cell or voxel threshold, MeV; `None`: the geometry's.
    pub threshold_mev: Option<f64>,
    /// caloclouds: trainings of the 25-observable classifier (0 skips it).
    pub classifier_repeats: usize,
    /// calochallenge: epochs of the DNN classifiers (0 skips them).
    pub classifier_epochs: usize,
    /// calochallenge: showers per side for PRDC (0 skips it).
    pub prdc_showers: usize,
    /// calochallenge: FPD/KPD subsample sizes (the challenge's by default).
    pub fpd_kpd: FpdKpdSizes,
    /// calochallenge: a classifier on the voxels supplied from outside this crate (the 3D ResNet).
    pub voxel_classifier: Option<&'a dyn VoxelClassifier>,
}

impl Options<'_> {
    /// `calogen evaluate`'s defaults with the given seed.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            threshold_mev: None,
            classifier_repeats: 10,
            classifier_epochs: 50,
            prdc_showers: 10_000,
            fpd_kpd: FpdKpdSizes::Challenge,
            voxel_classifier: None,
        }
    }
}

/// A low-level classifier on CaloChallenge voxels that is trained outside `calogen-eval`: the 3D
/// ResNet-18 needs autograd (`calogen-train`), which this crate does not depend on, so the
/// front end hands it in through [`Options::voxel_classifier`].
pub trait VoxelClassifier: Sync {
    fn score(
        &self,
        reference: &VoxelShowers,
        generated: &VoxelShowers,
        geometry: &Voxelisation,
    ) -> std::result::Result<ResNetScore, String>;
}

/// The header of `metrics.json` and of `report.md`: what was compared, how, and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub protocol: &'static str,
    /// The reference file, with its shower range if one was given.
    pub reference: String,
    pub generated: String,
    pub geometry: String,
    pub seed: u64,
    pub seconds: f64,
    /// Doubts about the inputs ([`super::checks`]): printed to stderr, headed in `report.md`, and a
    /// `warnings` list at the end of `metrics.json` when there are any.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Mean ± standard deviation over batches or repetitions, as `metrics.json` holds it.
pub type Score = MeanStd;
