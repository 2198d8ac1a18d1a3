//! Checkpoint loaders. Each returns a [`TensorMap`](crate::TensorMap) of f32 tensors, so a model
//! builds the same way from a PyTorch `.pt` file or from a safetensors export.

mod convert;
mod pickle;
pub mod pt;
pub mod safetensors;

pub use pt::{load_pt, read_pt};
pub use safetensors::{load_safetensors, read_safetensors};
