//! Geometry errors name the file (or built-in geometry) and the field that is wrong.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct GeometryError {
    /// The geometry file, XML file or built-in name the error is about.
    pub source: String,
    /// The field, element or entry at fault.
    pub field: String,
    pub message: String,
}

impl GeometryError {
    pub fn new(
        source: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            source: source.into(),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{}: `{}`: {}", self.source, self.field, self.message)
        }
    }
}

impl std::error::Error for GeometryError {}

pub type Result<T> = std::result::Result<T, GeometryError>;
