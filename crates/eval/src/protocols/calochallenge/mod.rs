//! The CaloChallenge protocol (paper 003 §8) on voxel showers: separation powers of the
//! high-level features with the challenge's binnings, the Pearson correlations of layer energies,
//! FPD and KPD on the high-level features, precision/recall/density/coverage on log10 voxels,
//! the DNN classifier on low-level and high-level inputs, and the 3D ResNet-18 when the front end
//! supplies it ([`crate::protocols::VoxelClassifier`]).

mod compute;
mod plots;
mod report;
mod result;

pub use compute::{dataset_of, evaluate_calochallenge};
pub use result::{
    CaloChallengeConfig, CaloChallengeOutput, CaloChallengeResult, FpdKpdSizes, ValueWithError,
};

use calogen_data::VoxelShowers;
use calogen_geometry::Voxelisation;

use crate::error::{invalid, Result};
use crate::protocols::protocol::{Options, Protocol, Run};
use crate::report::Figure;

/// `--protocol calochallenge`.
pub struct CaloChallenge;

impl Protocol for CaloChallenge {
    const NAME: &'static str = "calochallenge";
    const HELP: &'static str =
        "CaloChallenge (paper 003 §8): separation powers, correlations, FPD/KPD, PRDC, DNN classifiers";
    const NEEDS: &'static str = "a CaloChallenge geometry (calochallenge-ds2, …)";
    type Samples = VoxelShowers;
    type Output = CaloChallengeOutput;

    fn compute(
        &self,
        reference: &VoxelShowers,
        generated: &VoxelShowers,
        geometry: &Voxelisation,
        options: &Options,
    ) -> Result<CaloChallengeOutput> {
        let cfg = CaloChallengeConfig {
            threshold_mev: options.threshold_mev.unwrap_or(geometry.threshold_mev),
            classifier_epochs: options.classifier_epochs,
            prdc_showers: options.prdc_showers,
            fpd_kpd: options.fpd_kpd,
            sums: Default::default(),
            seed: options.seed,
        };
        let calochallenge = evaluate_calochallenge(reference, generated, geometry, &cfg)?;
        let resnet = options
            .voxel_classifier
            .map(|c| c.score(reference, generated, geometry))
            .transpose()
            .map_err(|e| invalid("3D ResNet classifier", e))?;
        Ok(CaloChallengeOutput {
            calochallenge,
            resnet,
        })
    }

    fn markdown(&self, output: &CaloChallengeOutput, run: &Run) -> String {
        report::markdown(output, run)
    }

    fn figures<'a>(&self, output: &'a CaloChallengeOutput) -> &'a [Figure] {
        &output.calochallenge.figures
    }
}
