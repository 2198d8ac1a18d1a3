//! Building blocks shared by the model families: layers as used in the PyTorch sources, the
//! noise-level scalings of EDM and consistency models, and a fused f32 CPU kernel for per-point MLPs.

pub mod activation;
mod concat_squash;
pub mod fused;
mod linear;
mod scalings;
mod time_embedding;

pub use concat_squash::{ConcatSquashLinear, Modulation, PartialModulation};
pub use fused::FusedMlp;
pub use linear::Linear;
pub use scalings::Scalings;
pub use time_embedding::{FourierTimeEmbedding, TimeEmbedding};
