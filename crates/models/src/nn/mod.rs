//! Building blocks shared by the model families: layers as used in the PyTorch sources, the
//! noise-level scalings of EDM and consistency models, noise and schedules, a fused f32 CPU kernel
//! for per-point MLPs, the point network on it (`pointwise`) and calogen's ShowerFlow
//! (`showerflow`). No family folder imports another; what two share lives here.

pub mod activation;
pub mod attention;
mod concat_squash;
pub mod conv;
pub mod fused;
mod linear;
pub mod noise;
pub mod norm;
pub mod pointwise;
mod rq_spline;
mod scalings;
pub mod showerflow;
pub mod sinusoidal;
mod time_embedding;
pub mod vp;

pub use attention::{AttentionScratch, MultiHeadAttention};
pub use concat_squash::{ConcatSquashLinear, Modulation, PartialModulation};
pub use conv::{upsample_nearest, Conv, ConvGrid, ConvScratch, Pad};
pub use fused::FusedMlp;
pub use linear::Linear;
pub use noise::{karras_sigmas, shower_rng, standard_normal};
pub use norm::{PointNormalisation, Standardiser};
pub use pointwise::{Context, LayerOutputs, PointwiseNet, PointwiseShape, TimePart};
pub use rq_spline::rq_spline;
pub use scalings::Scalings;
pub use showerflow::{FlowConfig, ShowerFeatures, ShowerFlow};
pub use sinusoidal::sinusoidal_embedding;
pub use time_embedding::{FourierTimeEmbedding, TimeEmbedding};
