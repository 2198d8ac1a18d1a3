//! The subsample sizes of FPD and KPD: the CaloChallenge's (jetnet's defaults as `evaluate.py`
//! calls them) or sizes scaled to the files. A metric setting, shared by whichever protocol
//! reports FPD/KPD.

use serde::Serialize;

use super::frechet::FpdConfig;
use super::kernel::KpdConfig;

/// How large the FPD and KPD subsamples are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FpdKpdSizes {
    /// CaloChallenge 2022's `evaluate.py`, whatever the file sizes: jetnet's `fpd` with
    /// `min_samples=10000` (so 10 sizes from 10 000 to 50 000, 20 batches each) and `kpd` with
    /// `batch_size=10000` (10 batches); rows are drawn with replacement, so small files work too.
    #[default]
    Challenge,
    /// Sizes from the files: FPD from n/2 to n, KPD batches of min(n, 10 000) rows (n the smaller
    /// sample). Cheaper on small files, and no row is drawn more often than the files hold it on
    /// average; not the community's number.
    Scaled,
}

impl FpdKpdSizes {
    pub fn fpd(self, n_min: usize, seed: u64) -> FpdConfig {
        match self {
            FpdKpdSizes::Challenge => FpdConfig {
                min_samples: 10_000,
                seed,
                ..Default::default()
            },
            FpdKpdSizes::Scaled => FpdConfig {
                min_samples: (n_min / 2).max(2),
                max_samples: n_min,
                seed,
                ..Default::default()
            },
        }
    }

    pub fn kpd(self, n_min: usize, seed: u64) -> KpdConfig {
        let batch_size = match self {
            FpdKpdSizes::Challenge => 10_000,
            FpdKpdSizes::Scaled => n_min.min(10_000),
        };
        KpdConfig {
            batch_size,
            seed,
            ..Default::default()
        }
    }
}
