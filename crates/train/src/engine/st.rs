//! Minimal safetensors I/O: named f32 and u8 tensors plus string metadata, written through
//! `calogen_data::atomic` (hidden temporary, then rename) so a run killed while saving keeps its
//! previous checkpoint.

use super::{Result, TrainError};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Tensor payloads kept as little-endian bytes, as safetensors stores them.
#[derive(Debug, Clone, Default)]
pub struct StFile {
    pub tensors: BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)>,
    pub metadata: BTreeMap<String, String>,
}

fn err(path: &Path, msg: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint {
        path: path.display().to_string(),
        msg: msg.to_string(),
    }
}

impl StFile {
    pub fn put_f32(&mut self, name: &str, shape: Vec<usize>, values: &[f32]) {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensors
            .insert(name.to_string(), (Dtype::F32, shape, bytes));
    }

    pub fn put_bytes(&mut self, name: &str, bytes: Vec<u8>) {
        self.tensors
            .insert(name.to_string(), (Dtype::U8, vec![bytes.len()], bytes));
    }

    pub fn f32(&self, name: &str) -> Option<(Vec<usize>, Vec<f32>)> {
        match self.tensors.get(name)? {
            (Dtype::F32, shape, b) => Some((
                shape.clone(),
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )),
            _ => None,
        }
    }

    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        match self.tensors.get(name)? {
            (Dtype::U8, _, b) => Some(b),
            _ => None,
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let views: Vec<(String, TensorView<'_>)> = self
            .tensors
            .iter()
            .map(|(k, (d, s, b))| {
                TensorView::new(*d, s.clone(), b)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| err(path, e))
            })
            .collect::<Result<_>>()?;
        let meta: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        let bytes = safetensors::tensor::serialize(views, Some(meta)).map_err(|e| err(path, e))?;
        calogen_data::atomic::write(path, bytes)?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<Self> {
        let buf = std::fs::read(path).map_err(|e| err(path, e))?;
        let st = SafeTensors::deserialize(&buf).map_err(|e| err(path, e))?;
        let (_, meta) = SafeTensors::read_metadata(&buf).map_err(|e| err(path, e))?;
        let mut out = StFile {
            metadata: meta
                .metadata()
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            ..Default::default()
        };
        for (name, v) in st.tensors() {
            out.tensors
                .insert(name, (v.dtype(), v.shape().to_vec(), v.data().to_vec()));
        }
        Ok(out)
    }
}

/// The metadata of an exported weights file; a missing or unreadable entry is an error naming
/// the file and the key.
pub struct ExportMeta {
    path: std::path::PathBuf,
    pub map: BTreeMap<String, String>,
}

impl ExportMeta {
    pub fn load(path: &Path) -> Result<Self> {
        Ok(Self {
            map: StFile::load(path)?.metadata,
            path: path.to_path_buf(),
        })
    }

    /// An error about this file.
    pub fn bad(&self, msg: impl std::fmt::Display) -> TrainError {
        err(&self.path, msg)
    }

    pub fn get(&self, key: &str) -> Result<&str> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| self.bad(format!("metadata `{key}` missing")))
    }

    /// A TOML-serialised entry.
    pub fn toml<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T> {
        toml::from_str(self.get(key)?).map_err(|e| self.bad(format!("{key}: {e}")))
    }
}
