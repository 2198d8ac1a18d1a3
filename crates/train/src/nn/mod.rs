//! Building blocks with PyTorch-compatible layouts (`weight` is `[out, in]`, y = x·Wᵀ + b) and
//! seeded initialisation, so exported names and shapes match what `calogen-models` loads.

pub mod concat_squash;
pub mod fourier;
pub mod init;
pub mod linear;

pub use concat_squash::ConcatSquashLinear;
pub use fourier::TimeEmbedding;
pub use linear::Linear;
