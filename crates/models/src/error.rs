//! One error type for the crate: every message names the file (or "embedded") it is about, so a user
//! with several checkpoints can tell which one is broken.

use std::path::Path;

/// Errors from loading checkpoints and configs and from running the models.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The I/O error is part of the message, not a `source`: a report of the error chain would
    /// print it twice.
    #[error("{file}: {err}")]
    Io { file: String, err: std::io::Error },
    /// The file is readable but not what we expected (bad zip, bad pickle, bad safetensors header...).
    #[error("{file}: {msg}")]
    Format { file: String, msg: String },
    #[error("{file}: tensor '{name}' is missing")]
    MissingTensor { file: String, name: String },
    #[error("{file}: tensor '{name}' has shape {found:?}, expected {expected:?}")]
    Shape {
        file: String,
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    /// Bad arguments to a model call (wrong slice lengths, non-finite conditions...).
    #[error("{0}")]
    Invalid(String),
    /// The family has no built-in model (yet): it loads from a model folder only. Front ends that
    /// go through every family's built-in model (`calogen bench` without `--model`) skip it.
    #[error("{0}")]
    NoBuiltin(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            file: path.display().to_string(),
            err: source,
        }
    }

    pub(crate) fn format(file: &str, msg: impl Into<String>) -> Self {
        Error::Format {
            file: file.to_string(),
            msg: msg.into(),
        }
    }
}
