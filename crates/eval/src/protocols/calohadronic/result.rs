//! The CaloHadronic protocol's settings and result: `metrics.json`'s `calohadronic` entry.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::protocols::protocol::Score;
use crate::report::Figure;

#[derive(Debug, Clone, Serialize)]
pub struct CaloHadronicConfig {
    /// One cell threshold for every layer, MeV; `None`: each layer's from the geometry.
    pub threshold_mev: Option<f64>,
    pub n_batches: usize,
    pub max_batch_size: usize,
    pub n_quantiles: usize,
    /// Centres of the fixed-energy windows, GeV.
    pub energies_gev: Vec<f64>,
    pub energy_half_width_gev: f64,
    /// Fewest showers in a window for µ90/σ90.
    pub min_showers_per_energy: usize,
    /// Percentages of the most energetic hits the PCA axis is fitted to.
    pub top_percent: Vec<f64>,
    /// Incident direction of showers whose file stores none (our pion gun: along the depth axis).
    pub default_direction: [f64; 3],
    /// Transverse position (x, y) and depth (mm) of the gun: the shower axis starts there.
    pub gun_position_mm: [f64; 3],
    /// Bins of the JSD histograms of continuous observables.
    pub jsd_bins: usize,
    pub seed: u64,
}

impl CaloHadronicConfig {
    /// The papers' settings: 5 batches of up to 10 000 showers, 25 quantiles, 15/50/85 GeV,
    /// top 4 % and 100 % of the hits; gun at the transverse origin 1 mm in front of the detector.
    pub fn new(seed: u64) -> Self {
        Self {
            threshold_mev: None,
            n_batches: 5,
            max_batch_size: 10_000,
            n_quantiles: 25,
            energies_gev: vec![15.0, 50.0, 85.0],
            energy_half_width_gev: 2.5,
            min_showers_per_energy: 10,
            top_percent: vec![4.0, 100.0],
            default_direction: [0.0, 0.0, 1.0],
            gun_position_mm: [0.0, 0.0, -1.0],
            jsd_bins: 50,
            seed,
        }
    }
}

/// Normalised W1 and quantile KL of one observable, mean ± std over batches.
#[derive(Debug, Clone, Serialize)]
pub struct ObservableScore {
    pub w1_normalised: Score,
    /// Over the batches whose KL is finite; `None` if none is (every batch has a quantile bin the
    /// model leaves empty: the supports differ).
    pub quantile_kl: Option<Score>,
    pub kl_finite_batches: usize,
}

/// A Pearson matrix; `None` where a correlation is undefined (a constant observable).
#[derive(Debug, Clone, Serialize)]
pub struct PearsonResult {
    pub observables: Vec<String>,
    pub reference: Vec<Vec<Option<f64>>>,
    pub generated: Vec<Vec<Option<f64>>>,
    /// generated − reference.
    pub difference: Vec<Vec<Option<f64>>>,
    pub max_abs_difference: Option<f64>,
}

/// µ90, σ90 and their errors of one sample in one energy window (MeV).
#[derive(Debug, Clone, Serialize)]
pub struct ResolutionPoint {
    pub n_showers: usize,
    pub mu90_mev: f64,
    pub mu90_error_mev: f64,
    pub sigma90_mev: f64,
    pub sigma90_error_mev: f64,
    /// σ90/µ90 (resolution) and its error.
    pub relative: f64,
    pub relative_error: f64,
    /// µ90 / E₀ (linearity: visible over incident energy).
    pub response: f64,
    pub response_error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnergyWindow {
    pub energy_gev: f64,
    pub half_width_gev: f64,
    /// `None` when the window holds fewer than `min_showers_per_energy` showers.
    pub reference: Option<ResolutionPoint>,
    pub generated: Option<ResolutionPoint>,
    pub n_reference: usize,
    pub n_generated: usize,
}

/// Mean, standard deviation and median of an angle error, degrees.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AngleStats {
    pub mean_deg: f64,
    pub std_deg: f64,
    pub median_deg: f64,
}

/// One angle-error quantity compared between the samples.
#[derive(Debug, Clone, Serialize)]
pub struct AngleComparison {
    pub reference: AngleStats,
    pub generated: AngleStats,
    /// W1 over the reference's standard deviation.
    pub w1_normalised: f64,
    pub jsd: f64,
}

/// PCA axis of the top `top_percent` % hits against the incident direction.
#[derive(Debug, Clone, Serialize)]
pub struct AngleResult {
    pub top_percent: f64,
    /// Showers with a defined axis, per sample.
    pub n_reference: usize,
    pub n_generated: usize,
    /// Total angle between axis and direction, and the θ (to the x axis) and φ errors.
    pub angle: AngleComparison,
    pub d_theta: AngleComparison,
    pub d_phi: AngleComparison,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaloHadronicResult {
    pub n_reference: usize,
    pub n_generated: usize,
    /// `None`: each layer's threshold of the geometry.
    pub threshold_mev: Option<f64>,
    /// First HCAL layer (`n_layers` when the geometry has no HCAL).
    pub hcal_first_layer: usize,
    pub n_layers: usize,
    pub n_batches: usize,
    pub batch_size: usize,
    pub n_quantiles: usize,
    /// Normalised W1 and quantile KL per observable (table 4 of paper 004).
    pub scores: BTreeMap<String, ObservableScore>,
    /// The same scores of one random half of the reference against the other (the Geant4-vs-
    /// Geant4 floor, batches of `baseline_batch_size`); `None` with fewer than 4 showers per
    /// batch of the reference.
    pub baseline: Option<BTreeMap<String, ObservableScore>>,
    pub baseline_batch_size: Option<usize>,
    pub pearson: PearsonResult,
    pub resolution: Vec<EnergyWindow>,
    /// Jensen–Shannon distances of the paper-001 histograms.
    pub jsd: BTreeMap<String, f64>,
    pub angles: Vec<AngleResult>,
    /// Whether the incident directions came from the files ([reference, generated]); `false`:
    /// `config.default_direction` was used.
    pub directions_from_file: [bool; 2],
    /// Means of headline observables, [reference, generated].
    pub means: BTreeMap<String, [f64; 2]>,
    pub config: CaloHadronicConfig,
    /// The report's plots (not part of metrics.json).
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

/// The protocol's entries of `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CaloHadronicOutput {
    pub calohadronic: CaloHadronicResult,
}
