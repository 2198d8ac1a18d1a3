//! One module per metric family, and the descriptive statistics they share (`stats`). Every
//! function here is protocol-neutral: a protocol (`crate::protocols`) only picks and combines them.

pub mod auc;
pub mod correlation;
pub mod fpd_kpd;
pub mod frechet;
pub mod histogram;
pub mod jsd;
pub mod kernel;
pub mod ks;
pub mod prdc;
pub mod quantile_kl;
pub mod resolution;
pub mod separation_power;
pub mod stats;
pub mod wasserstein;
