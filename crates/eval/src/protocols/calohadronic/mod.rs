//! The CaloHadronic protocol (paper 004 §4 and appendices F–G) with the CaloClouds3 extras
//! (paper 001 §4), at cell level:
//!
//! - normalised W1 (W1 of each batch over the standard deviation of the whole reference, the
//!   "normalized WD" of table 4) and quantile KL (25 reference quantiles) of the shower
//!   observables over batches (five of up to 10 000 showers);
//! - the Pearson matrix of CoG x/y/z, incident energy, start layer, E_vis, E_ECAL, E_HCAL for
//!   Geant4 and the model, and their difference (figure 10);
//! - µ90, σ90/µ90 of the visible energy at fixed incident energies with the delta-method errors
//!   (appendix G, figure 22): linearity and resolution;
//! - Jensen–Shannon distances of the histograms of paper 001 table 2 (energy per cell, per layer,
//!   per radius, total and per-layer and per-radius occupancy, CoG);
//! - the shower axis from an energy-weighted PCA of the top 4 % and 100 % most energetic hits
//!   against the incident direction (paper 001 §4.3): the angle errors of both samples.
//!
//! The weighted W1, weighted quantiles and JS distances it uses are general metrics and live in
//! [`crate::metrics`]; `sample.rs` analyses one sample, `compute.rs` compares two.

mod compute;
mod plots;
mod report;
mod result;
mod sample;

/// Former home of these general metrics (now in [`crate::metrics`]).
pub use crate::metrics::quantile_kl::weighted_quantile_edges;
pub use crate::metrics::wasserstein::wasserstein_1d_weighted;
pub use compute::evaluate_calohadronic;
pub use result::{
    AngleComparison, AngleResult, AngleStats, CaloHadronicConfig, CaloHadronicOutput,
    CaloHadronicResult, EnergyWindow, ObservableScore, PearsonResult, ResolutionPoint,
};

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

use crate::error::Result;
use crate::protocols::protocol::{Options, Protocol, Run};
use crate::report::Figure;

/// `--protocol calohadronic`.
pub struct CaloHadronic;

impl Protocol for CaloHadronic {
    const NAME: &'static str = "calohadronic";
    const HELP: &'static str =
        "CaloHadronic (paper 004 app. F–G) + CaloClouds3 (paper 001 §4) extras: normalised W1, \
         quantile KL, Pearson matrix, µ90/σ90, JS distances, PCA shower axis vs incident direction";
    const NEEDS: &'static str = "a planar geometry (ild-ecal-hcal, ild-ecal-wide, …)";
    type Samples = CellShowers;
    type Output = CaloHadronicOutput;

    fn compute(
        &self,
        reference: &CellShowers,
        generated: &CellShowers,
        geometry: &PlanarGeometry,
        options: &Options,
    ) -> Result<CaloHadronicOutput> {
        let mut cfg = CaloHadronicConfig::new(options.seed);
        cfg.threshold_mev = options.threshold_mev;
        Ok(CaloHadronicOutput {
            calohadronic: evaluate_calohadronic(reference, generated, geometry, &cfg)?,
        })
    }

    fn markdown(&self, output: &CaloHadronicOutput, run: &Run) -> String {
        report::markdown(&output.calohadronic, run)
    }

    fn figures<'a>(&self, output: &'a CaloHadronicOutput) -> &'a [Figure] {
        &output.calohadronic.figures
    }
}
