//! One error type that always names the file and, where it applies, the dataset or field.

use std::fmt;
use std::path::{Path, PathBuf};

pub type Result<T> = std::result::Result<T, DataError>;

#[derive(Debug)]
pub struct DataError {
    pub file: PathBuf,
    /// Dataset, group or field inside the file (empty when the problem is the file itself).
    pub field: String,
    pub message: String,
}

impl DataError {
    pub fn new(file: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Wraps an HDF5 library error, keeping its text but adding where it happened.
    pub fn h5(file: &Path, field: impl Into<String>, err: hdf5::Error) -> Self {
        Self::new(file, field, err.to_string())
    }

    pub fn io(file: &Path, err: std::io::Error) -> Self {
        Self::new(file, "", err.to_string())
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: `{}`: {}",
                self.file.display(),
                self.field,
                self.message
            )
        }
    }
}

impl std::error::Error for DataError {}
