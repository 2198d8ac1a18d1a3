//! PyTorch `.pt` checkpoints (the zip format of `torch.save` since 1.6) → [`TensorMap`].
//!
//! The archive holds `<name>/data.pkl` (the pickled object graph), `<name>/byteorder` and one entry
//! `<name>/data/<key>` per storage. Tensors in the pickle refer to storages by key; we read only
//! the storages of the tensors asked for, so optimizer state and other models are never decoded.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

use super::convert::FloatKind;
use super::pickle::{unpickle, Id, Obj, Unpickled};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, TensorMap};

/// Reads the state dict found by following `key_path` from the checkpoint's top-level dict, e.g.
/// `&["others", "model_ema"]`. Every tensor in that dict is returned under its original name.
pub fn load_pt(path: &Path, key_path: &[&str]) -> Result<TensorMap> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_pt(file, &path.display().to_string(), key_path)
}

/// As [`load_pt`], from any seekable reader; `source` names it in errors.
pub fn read_pt<R: Read + Seek>(reader: R, source: &str, key_path: &[&str]) -> Result<TensorMap> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| Error::format(source, format!("not a zip-format torch checkpoint: {e}")))?;
    let pkl_name = zip
        .file_names()
        .find(|n| n.ends_with("data.pkl"))
        .map(str::to_string)
        .ok_or_else(|| Error::format(source, "no data.pkl in the archive"))?;
    let prefix = pkl_name.trim_end_matches("data.pkl").to_string();

    if let Some(order) = read_entry(&mut zip, &format!("{prefix}byteorder"), source)? {
        if order != b"little" {
            return Err(Error::format(
                source,
                format!(
                    "byte order {:?} unsupported",
                    String::from_utf8_lossy(&order)
                ),
            ));
        }
    }
    let pkl = read_entry(&mut zip, &pkl_name, source)?.expect("name came from the archive");
    let graph = unpickle(&pkl).map_err(|e| Error::format(source, format!("data.pkl: {e}")))?;

    let dict = walk(&graph, key_path, source)?;
    let Obj::Dict(items) = graph.get(dict) else {
        unreachable!("walk returns dicts")
    };
    let mut storages: HashMap<String, Vec<u8>> = HashMap::new();
    let mut map = TensorMap::new(source);
    for &(k, v) in items {
        let Obj::Str(name) = graph.get(k) else {
            continue;
        };
        let Obj::Tensor {
            storage,
            offset,
            shape,
            stride,
        } = graph.get(v)
        else {
            continue;
        };
        let Obj::Storage { dtype, key, numel } = graph.get(*storage) else {
            unreachable!("the unpickler only builds tensors on storages")
        };
        let kind = float_kind(dtype).ok_or_else(|| {
            Error::format(
                source,
                format!("tensor '{name}' is stored as {dtype}; only float storages are supported"),
            )
        })?;
        let entry = format!("{prefix}data/{key}");
        if !storages.contains_key(key) {
            let bytes = read_entry(&mut zip, &entry, source)?.ok_or_else(|| {
                Error::format(source, format!("tensor '{name}': storage {entry} missing"))
            })?;
            storages.insert(key.clone(), bytes);
        }
        // Checked for every tensor, not once per storage: two tensors may name one storage with
        // different dtypes or element counts, and each reads up to its own numel × size.
        if numel
            .checked_mul(kind.size())
            .is_none_or(|need| storages[key].len() < need)
        {
            return Err(Error::format(
                source,
                format!(
                    "tensor '{name}': storage {entry} is shorter than {numel} elements of {dtype}"
                ),
            ));
        }
        let data = gather(&storages[key], kind, *numel, *offset, shape, stride)
            .map_err(|e| Error::format(source, format!("tensor '{name}': {e}")))?;
        map.insert(name.clone(), Tensor::new(shape.clone(), data)?);
    }
    Ok(map)
}

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    source: &str,
) -> Result<Option<Vec<u8>>> {
    let mut f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(Error::format(source, format!("{name}: {e}"))),
    };
    // The entry's declared size is the archive's word, not a fact: preallocate at most 64 MiB and
    // let the buffer grow with the bytes that really come (a 2.5 KB file declared 1.5 GB).
    let mut buf = Vec::with_capacity(f.size().min(PREALLOCATE_AT_MOST) as usize);
    f.read_to_end(&mut buf)
        .map_err(|e| Error::format(source, format!("{name}: {e}")))?;
    Ok(Some(buf))
}

const PREALLOCATE_AT_MOST: u64 = 64 << 20;

/// Follows string keys from the root; the end must be a dict.
fn walk(graph: &Unpickled, key_path: &[&str], source: &str) -> Result<Id> {
    let mut id = graph.root;
    let mut trail = String::from("checkpoint");
    for key in key_path {
        id = graph.dict_get(id, key).ok_or_else(|| {
            Error::format(
                source,
                format!("{trail} ({}) has no key '{key}'", graph.describe(id)),
            )
        })?;
        trail = format!("{trail}['{key}']");
    }
    match graph.get(id) {
        Obj::Dict(_) => Ok(id),
        _ => Err(Error::format(
            source,
            format!("{trail} is a {}, not a state dict", graph.describe(id)),
        )),
    }
}

fn float_kind(storage_type: &str) -> Option<FloatKind> {
    match storage_type {
        "FloatStorage" => Some(FloatKind::F32),
        "DoubleStorage" => Some(FloatKind::F64),
        "HalfStorage" => Some(FloatKind::F16),
        "BFloat16Storage" => Some(FloatKind::BF16),
        _ => None,
    }
}

/// Copies a (possibly strided, offset) view out of a storage into row-major order.
fn gather(
    bytes: &[u8],
    kind: FloatKind,
    numel: usize,
    offset: usize,
    shape: &[usize],
    stride: &[usize],
) -> std::result::Result<Vec<f32>, String> {
    if shape.len() != stride.len() {
        return Err(format!(
            "shape {shape:?} and stride {stride:?} differ in rank"
        ));
    }
    // Shape, stride and offset come from the pickle: every product and sum is checked, and
    // the element count is bounded by the storage (which the caller checked is really there), so
    // no allocation is sized by the pickle alone. A view of more elements than its storage
    // holds is an expanded (stride-0) tensor, which a state dict of weights does not contain.
    let Some(count) = crate::tensor::numel(shape) else {
        return Err(format!(
            "shape {shape:?} has more elements than fit in memory"
        ));
    };
    if count == 0 {
        return Ok(Vec::new());
    }
    if count > numel {
        return Err(format!(
            "view of shape {shape:?} has more elements than its storage of {numel} \
             (expanded tensors are not supported)"
        ));
    }
    let last = shape.iter().zip(stride).try_fold(offset, |at, (&n, &s)| {
        at.checked_add((n - 1).checked_mul(s)?)
    });
    if last.is_none_or(|last| last >= numel) {
        return Err(format!(
            "view (offset {offset}, shape {shape:?}, stride {stride:?}) exceeds its storage of {numel}"
        ));
    }
    let mut out = Vec::with_capacity(count);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..count {
        let at = offset + index.iter().zip(stride).map(|(i, s)| i * s).sum::<usize>();
        out.push(kind.read(bytes, at));
        // Odometer increment, last axis fastest (row-major).
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_handles_transposed_views() {
        let storage: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        // A 2x3 row-major storage seen as its 3x2 transpose.
        let t = gather(&storage, FloatKind::F32, 6, 0, &[3, 2], &[1, 3]).unwrap();
        assert_eq!(t, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let off = gather(&storage, FloatKind::F32, 6, 4, &[2], &[1]).unwrap();
        assert_eq!(off, vec![4.0, 5.0]);
        assert!(gather(&storage, FloatKind::F32, 6, 5, &[2], &[1]).is_err());
    }

    /// Sizes from a pickle (fuzzing, issue 12): products that overflow, views past the storage
    /// with wrapping arithmetic, and stride-0 views of 2^40 elements over a 6-element storage.
    #[test]
    fn gather_refuses_views_the_storage_cannot_back() {
        let storage: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let f = FloatKind::F32;
        let big = 1usize << 40;
        assert!(gather(&storage, f, 6, 0, &[big, big], &[1, 1]).is_err());
        assert!(gather(&storage, f, 6, 0, &[big], &[0]).is_err());
        assert!(gather(&storage, f, 6, usize::MAX, &[2], &[1]).is_err());
        assert!(gather(&storage, f, 6, 0, &[2], &[usize::MAX]).is_err());
        assert_eq!(
            gather(&storage, f, 6, 0, &[big, big, 0], &[1, 1, 1]),
            Ok(vec![])
        );
        assert!(Tensor::new(vec![big, big, 0], vec![]).is_ok());
        assert!(Tensor::new(vec![big, big, 2], vec![0.0; 2]).is_err());
    }
}
