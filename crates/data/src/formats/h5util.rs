//! Small HDF5 helpers that turn library errors into errors naming the file and dataset, check
//! shapes and dtypes before reading, and write files atomically.

use std::path::Path;

use crate::atomic::AtomicFile;

use hdf5::types::{FloatSize, TypeDescriptor};
use ndarray::s;

use crate::error::{DataError, Result};

pub fn open_file(path: &Path) -> Result<hdf5::File> {
    if !path.exists() {
        return Err(DataError::new(path, "", "file does not exist"));
    }
    hdf5::File::open(path)
        .map_err(|e| DataError::new(path, "", format!("not a readable HDF5 file ({e})")))
}

pub fn dataset(file: &hdf5::Group, path: &Path, name: &str) -> Result<hdf5::Dataset> {
    if !file.link_exists(name) {
        return Err(DataError::new(path, name, "dataset is missing"));
    }
    let ds = file
        .dataset(name)
        .map_err(|e| DataError::h5(path, name, e))?;
    check_claimed_size(&ds, path, name)?;
    Ok(ds)
}

/// Deflate cannot shrink data by more than ~1032:1, so a dataset whose declared size is more than
/// this multiple of the bytes it actually stores claims data the file does not hold.
const MAX_STORAGE_RATIO: u64 = 2048;
/// Below this declared size a dataset is read whatever it stores (fill values, compact layout).
const ALWAYS_READABLE_BYTES: u64 = 64 << 20;

/// Sizes read from a file are untrusted: a 2 KB file can declare `[40, 4, 2^40]` and make a
/// reader allocate petabytes. Refuse a dataset whose declared size cannot be backed by its
/// stored bytes, before anything is allocated.
pub fn check_claimed_size(ds: &hdf5::Dataset, path: &Path, name: &str) -> Result<()> {
    let shape = ds.shape();
    let elem = ds.dtype().map(|t| t.size() as u64).unwrap_or(1).max(1);
    let declared = shape
        .iter()
        .try_fold(elem, |acc, &d| acc.checked_mul(d as u64));
    let stored = ds.storage_size();
    let limit = stored
        .saturating_mul(MAX_STORAGE_RATIO)
        .max(ALWAYS_READABLE_BYTES);
    match declared {
        Some(bytes) if bytes <= limit => Ok(()),
        _ => Err(DataError::new(
            path,
            name,
            format!(
                "declares shape {} ({}) but stores only {stored} bytes: the file is truncated or \
                 corrupt (sizes read from a file are not trusted)",
                shape_str(&shape),
                match declared {
                    Some(b) => format!("{b} bytes"),
                    None => "more bytes than fit in 64 bits".to_string(),
                }
            ),
        )),
    }
}

pub fn has(file: &hdf5::Group, name: &str) -> bool {
    // link_exists on "a/b" fails (rather than returning false) when "a" is absent.
    let mut prefix = String::new();
    for part in name.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if !file.link_exists(&prefix) {
            return false;
        }
    }
    true
}

/// The kinds of element type calogen accepts per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Float,
    Integer,
}

pub fn check_dtype(
    ds: &hdf5::Dataset,
    path: &Path,
    name: &str,
    want: Want,
) -> Result<TypeDescriptor> {
    let desc = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| DataError::h5(path, name, e))?;
    let ok = match want {
        Want::Float => matches!(desc, TypeDescriptor::Float(FloatSize::U4 | FloatSize::U8)),
        Want::Integer => matches!(
            desc,
            TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_)
        ),
    };
    if !ok {
        let what = match want {
            Want::Float => "a floating-point type (float32 or float64)",
            Want::Integer => "an integer type",
        };
        return Err(DataError::new(
            path,
            name,
            format!("dtype is {desc}, expected {what}"),
        ));
    }
    Ok(desc)
}

pub fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Reads the whole 1-D (or `[N, 1]`) float dataset as f32 (f64 is converted).
pub fn read_column_f32(
    file: &hdf5::Group,
    path: &Path,
    name: &str,
    n: Option<usize>,
) -> Result<Vec<f32>> {
    let ds = dataset(file, path, name)?;
    check_dtype(&ds, path, name, Want::Float)?;
    let shape = ds.shape();
    let ok_shape = matches!(shape.as_slice(), [_] | [_, 1]);
    if !ok_shape {
        return Err(DataError::new(
            path,
            name,
            format!("shape is {}, expected [N] or [N, 1]", shape_str(&shape)),
        ));
    }
    if let Some(n) = n {
        if shape[0] != n {
            return Err(DataError::new(
                path,
                name,
                format!("has {} entries, expected {n} (one per shower)", shape[0]),
            ));
        }
    }
    ds.read_raw::<f32>()
        .map_err(|e| DataError::h5(path, name, e))
}

/// Fails on the first NaN, infinity or value below `min` (inclusive unless `strict`).
pub fn check_values(
    path: &Path,
    name: &str,
    values: &[f32],
    min: f32,
    strict: bool,
    first_index: usize,
) -> Result<()> {
    for (i, &v) in values.iter().enumerate() {
        let bad = !v.is_finite() || v < min || (strict && v == min);
        if bad {
            let what = if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                "an infinite value".to_string()
            } else if strict {
                format!("{v} (must be > {min})")
            } else {
                format!("{v} (must be >= {min})")
            };
            return Err(DataError::new(
                path,
                name,
                format!("entry {} holds {what}", first_index + i),
            ));
        }
    }
    Ok(())
}

/// An HDF5 file being written through [`crate::atomic::AtomicFile`]: under a hidden temporary name
/// next to its destination, renamed into place by `finish`. Dropped unfinished (an error, a panic)
/// or interrupted by SIGTERM/SIGINT, it removes the temporary file, so a failed run never leaves a
/// half-written output or clobbers an existing one.
pub struct AtomicH5 {
    pub file: Option<hdf5::File>,
    out: Option<AtomicFile>,
}

impl AtomicH5 {
    pub fn create(dest: &Path) -> Result<Self> {
        let out = AtomicFile::create(dest)?;
        let file = hdf5::File::create(out.temp_path()).map_err(|e| DataError::h5(dest, "", e))?;
        Ok(Self {
            file: Some(file),
            out: Some(out),
        })
    }

    pub fn file(&self) -> &hdf5::File {
        self.file.as_ref().expect("file open until finish")
    }

    pub fn dest(&self) -> &Path {
        self.out.as_ref().expect("open until finish").dest()
    }

    pub fn finish(mut self) -> Result<()> {
        let file = self.file.take().expect("finish called once");
        let out = self.out.take().expect("finish called once");
        file.flush().map_err(|e| DataError::h5(out.dest(), "", e))?;
        file.close().map_err(|e| DataError::h5(out.dest(), "", e))?;
        out.commit()
    }
}

impl Drop for AtomicH5 {
    fn drop(&mut self) {
        // HDF5 closes its handle before the temporary file is removed (by `out`'s drop).
        if let Some(file) = self.file.take() {
            let _ = file.close();
        }
    }
}

/// Creates a 1-D or 2-D dataset that grows along its first axis, gzip-compressed.
pub fn growable<T: hdf5::H5Type>(
    group: &hdf5::Group,
    dest: &Path,
    name: &str,
    row: &[usize],
    chunk_rows: usize,
    gzip: Option<u8>,
) -> Result<hdf5::Dataset> {
    let mut extents = vec![hdf5::Extent::resizable(0)];
    extents.extend(row.iter().map(|&d| hdf5::Extent::fixed(d)));
    let mut chunk = vec![chunk_rows.max(1)];
    chunk.extend_from_slice(row);
    let b = group.new_dataset::<T>().chunk(chunk.as_slice());
    let b = match gzip {
        Some(level) => b.deflate(level),
        None => b,
    };
    b.shape(extents)
        .create(name)
        .map_err(|e| DataError::h5(dest, name, e))
}

/// Appends rows (row-major, `row` elements each) to a dataset made by [`growable`].
pub fn append_rows<T: hdf5::H5Type>(
    ds: &hdf5::Dataset,
    dest: &Path,
    name: &str,
    data: &[T],
    row: &[usize],
) -> Result<()> {
    let row_len: usize = row.iter().product::<usize>().max(1);
    let n_new = data.len() / row_len;
    if n_new == 0 {
        return Ok(());
    }
    let start = ds.shape()[0];
    let mut new_shape = vec![start + n_new];
    new_shape.extend_from_slice(row);
    ds.resize(new_shape.as_slice())
        .map_err(|e| DataError::h5(dest, name, e))?;
    let shape_err = |e: ndarray::ShapeError| DataError::new(dest, name, e.to_string());
    let r = start..start + n_new;
    let res = match *row {
        [] => ds.write_slice(ndarray::ArrayView1::from(data), s![r]),
        [a] => ds.write_slice(
            ndarray::ArrayView2::from_shape((n_new, a), data).map_err(shape_err)?,
            s![r, ..],
        ),
        [a, b] => ds.write_slice(
            ndarray::ArrayView3::from_shape((n_new, a, b), data).map_err(shape_err)?,
            s![r, .., ..],
        ),
        _ => {
            return Err(DataError::new(
                dest,
                name,
                "rows of more than 2 dimensions are not supported",
            ))
        }
    };
    res.map_err(|e| DataError::h5(dest, name, e))
}

pub fn write_str_attr(loc: &hdf5::Location, dest: &Path, name: &str, value: &str) -> Result<()> {
    let v: hdf5::types::VarLenUnicode = value
        .parse()
        .map_err(|_| DataError::new(dest, name, "attribute text is not valid"))?;
    loc.new_attr::<hdf5::types::VarLenUnicode>()
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(|e| DataError::h5(dest, name, e))
}

/// A text attribute of the root group of the HDF5 file `path`; `None` when it has none (or it
/// is not text).
pub fn read_file_text_attr(path: &Path, name: &str) -> Result<Option<String>> {
    let f = hdf5::File::open(path).map_err(|e| DataError::h5(path, "", e))?;
    let Ok(a) = f.attr(name) else {
        return Ok(None);
    };
    Ok(a.read_scalar::<hdf5::types::VarLenUnicode>()
        .ok()
        .map(|v| v.as_str().to_string()))
}

/// A file-level attribute that records how a file was made (provenance such as
/// `calogen_extrapolated`), added after its data.
#[derive(Debug, Clone, PartialEq)]
pub enum FileAttr {
    Bool(bool),
    F64s(Vec<f64>),
    /// Counts and seeds, exact (an f64 loses integers above 2^53).
    U64s(Vec<u64>),
    Text(String),
}

/// Adds `attrs` to the root group of the HDF5 file `dest` (a file this process has just written
/// and not yet committed), replacing attributes of the same name.
pub fn write_file_attrs(dest: &Path, attrs: &[(&str, FileAttr)]) -> Result<()> {
    let f = hdf5::File::open_rw(dest).map_err(|e| DataError::h5(dest, "", e))?;
    for (name, value) in attrs {
        if f.attr(name).is_ok() {
            f.delete_attr(name)
                .map_err(|e| DataError::h5(dest, *name, e))?;
        }
        let res = match value {
            FileAttr::Bool(b) => f
                .new_attr::<bool>()
                .create(*name)
                .and_then(|a| a.write_scalar(b)),
            FileAttr::F64s(v) => f
                .new_attr::<f64>()
                .shape(v.len())
                .create(*name)
                .and_then(|a| a.write_raw(v)),
            FileAttr::U64s(v) => f
                .new_attr::<u64>()
                .shape(v.len())
                .create(*name)
                .and_then(|a| a.write_raw(v)),
            FileAttr::Text(t) => {
                write_str_attr(&f, dest, name, t)?;
                Ok(())
            }
        };
        res.map_err(|e| DataError::h5(dest, *name, e))?;
    }
    f.close().map_err(|e| DataError::h5(dest, "", e))
}
