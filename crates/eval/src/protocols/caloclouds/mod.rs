//! The CaloClouds II protocol (paper 000 §4.2–4.3, appendix A) at cell level: standardised W1
//! scores of eight observable groups over 10 batch pairs, with the reference-vs-reference
//! baseline alongside, and the 25-observable classifier AUC over repeated trainings.

mod compute;
pub mod paper000;
mod plots;
mod report;
mod result;

pub use compute::evaluate_caloclouds;
pub use result::{CaloCloudsConfig, CaloCloudsOutput, CaloCloudsResult, W1Pair};

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

use crate::error::Result;
use crate::protocols::protocol::{Options, Protocol, Run};
use crate::report::Figure;

/// `--protocol caloclouds`.
pub struct CaloClouds;

impl Protocol for CaloClouds {
    const NAME: &'static str = "caloclouds";
    const HELP: &'static str =
        "CaloClouds II (paper 000): cell-level W1 scores and the 25-observable classifier";
    const NEEDS: &'static str = "a planar geometry (ild-ecal, …)";
    type Samples = CellShowers;
    type Output = CaloCloudsOutput;

    fn compute(
        &self,
        reference: &CellShowers,
        generated: &CellShowers,
        geometry: &PlanarGeometry,
        options: &Options,
    ) -> Result<CaloCloudsOutput> {
        let mut cfg = CaloCloudsConfig::new(
            options.threshold_mev.unwrap_or(geometry.threshold_mev),
            options.seed,
        );
        cfg.classifier_repeats = options.classifier_repeats;
        Ok(CaloCloudsOutput {
            caloclouds: evaluate_caloclouds(reference, generated, geometry, &cfg)?,
        })
    }

    fn markdown(&self, output: &CaloCloudsOutput, run: &Run) -> String {
        report::markdown(&output.caloclouds, run)
    }

    fn figures<'a>(&self, output: &'a CaloCloudsOutput) -> &'a [Figure] {
        &output.caloclouds.figures
    }
}
