//! The loaders' common output: named dense f32 tensors in row-major (PyTorch) order.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// A dense row-major f32 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    /// Fails when `data.len()` is not the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Self> {
        if numel(&shape) != Some(data.len()) {
            return Err(Error::Invalid(format!(
                "tensor of shape {shape:?} needs {} values, got {}",
                numel(&shape).map_or("too many".into(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(Tensor { shape, data })
    }
}

/// Elements of a tensor of `shape`, `None` when they do not fit a usize. Shapes come from files:
/// `[2^40, 2^40, 0]` holds no element, but a plain product overflows before it meets the 0.
pub(crate) fn numel(shape: &[usize]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// Tensors by name, remembering which file they came from so errors can name it.
#[derive(Debug, Clone, Default)]
pub struct TensorMap {
    source: String,
    tensors: BTreeMap<String, Tensor>,
}

impl TensorMap {
    pub fn new(source: impl Into<String>) -> Self {
        TensorMap {
            source: source.into(),
            tensors: BTreeMap::new(),
        }
    }

    /// The file (or "embedded:...") the tensors were read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor) {
        self.tensors.insert(name.into(), tensor);
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.tensors.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The tensor `name`, which must have exactly `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&Tensor> {
        let t = self.tensors.get(name).ok_or_else(|| Error::MissingTensor {
            file: self.source.clone(),
            name: name.to_string(),
        })?;
        if t.shape != shape {
            return Err(Error::Shape {
                file: self.source.clone(),
                name: name.to_string(),
                found: t.shape.clone(),
                expected: shape.to_vec(),
            });
        }
        Ok(t)
    }

    /// Removes and returns `name` (for loaders that rename keys).
    pub fn take(&mut self, name: &str) -> Option<Tensor> {
        self.tensors.remove(name)
    }
}
