//! One module per metric family.

pub mod auc;
pub mod correlation;
pub mod frechet;
pub mod histogram;
pub mod jsd;
pub mod kernel;
pub mod prdc;
pub mod quantile_kl;
pub mod resolution;
pub mod separation_power;
pub mod wasserstein;
