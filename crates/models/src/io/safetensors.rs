//! safetensors files (the format of our exported weights) → [`TensorMap`].

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::convert::FloatKind;
use crate::error::{Error, Result};
use crate::tensor::{Tensor, TensorMap};

/// Reads every floating-point tensor of a safetensors file as f32.
pub fn load_safetensors(path: &Path) -> Result<TensorMap> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_safetensors(&bytes, &path.display().to_string())
}

/// As [`load_safetensors`], from bytes in memory; `source` names them in errors.
pub fn read_safetensors(bytes: &[u8], source: &str) -> Result<TensorMap> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::format(source, format!("not a safetensors file: {e}")))?;
    let mut map = TensorMap::new(source);
    for (name, view) in st.iter() {
        let kind = match view.dtype() {
            Dtype::F16 => FloatKind::F16,
            Dtype::BF16 => FloatKind::BF16,
            Dtype::F32 => FloatKind::F32,
            Dtype::F64 => FloatKind::F64,
            other => {
                return Err(Error::format(
                    source,
                    format!(
                        "tensor '{name}' has dtype {other:?}; only float tensors are supported"
                    ),
                ))
            }
        };
        let raw = view.data();
        let numel = raw.len() / kind.size();
        let data = (0..numel).map(|i| kind.read(raw, i)).collect();
        map.insert(name, Tensor::new(view.shape().to_vec(), data)?);
    }
    Ok(map)
}

/// The metadata entries of a safetensors file.
pub fn read_metadata(bytes: &[u8], source: &str) -> Result<HashMap<String, String>> {
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::format(source, format!("not a safetensors file: {e}")))?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

pub fn meta_entry<'a>(
    meta: &'a HashMap<String, String>,
    key: &str,
    source: &str,
) -> Result<&'a str> {
    meta.get(key)
        .map(String::as_str)
        .ok_or_else(|| Error::format(source, format!("metadata entry `{key}` missing")))
}
