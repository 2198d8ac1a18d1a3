//! Helpers every CLI test file shares (`mod common;`): the built `calogen` binary with progress
//! bars off, the committed fixtures, and reading a point file back.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use calogen_data::{PointClouds, ShowerBatch, ShowerFileOptions};

/// The `calogen` binary of this build, with `CI` set (no progress bars in the captured output).
/// (HDF5 file locking is off for every test run: `.cargo/config.toml`.)
pub fn calogen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calogen"));
    c.env("CI", "1");
    c
}

/// A committed fixture (`fixtures/` at the repository root).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// Runs `c`, which must succeed; its standard output.
pub fn run(c: &mut Command) -> String {
    let r = c.output().unwrap();
    assert!(
        r.status.success(),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// Every shower of a point file.
pub fn points(p: &Path) -> PointClouds {
    let f = calogen_data::open(p, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(pc) => pc,
        _ => panic!("{}: not points", p.display()),
    }
}

/// Every dataset of an HDF5 file (path → type, shape and the values' bytes) and every attribute
/// of its root (name → type and bytes): two files with equal maps hold the same data, whatever
/// their chunking or the order the library laid them out in.
pub fn h5_contents(p: &Path) -> std::collections::BTreeMap<String, (String, Vec<usize>, Vec<u8>)> {
    use calogen_data::hdf5;
    use hdf5::types::{FloatSize, IntSize, TypeDescriptor as D, VarLenUnicode};
    fn bytes<T: hdf5::H5Type + Copy>(v: Vec<T>) -> Vec<u8> {
        let n = std::mem::size_of::<T>() * v.len();
        // SAFETY: plain numbers, read as bytes for comparison only.
        unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, n) }.to_vec()
    }
    macro_rules! raw {
        ($c:expr, $t:ty) => {
            bytes($c.read_raw::<$t>().unwrap())
        };
    }
    let f = hdf5::File::open(p).unwrap();
    let mut out = std::collections::BTreeMap::new();
    fn walk(g: &hdf5::Group, prefix: &str, names: &mut Vec<String>) {
        for n in g.member_names().unwrap() {
            let path = format!("{prefix}{n}");
            match g.group(&n) {
                Ok(sub) => walk(&sub, &format!("{path}/"), names),
                Err(_) => names.push(path),
            }
        }
    }
    let mut names = Vec::new();
    walk(&f, "", &mut names);
    for n in names {
        let ds = f.dataset(&n).unwrap();
        let t = ds.dtype().unwrap().to_descriptor().unwrap();
        let b = match &t {
            D::Float(FloatSize::U4) => raw!(ds, f32),
            D::Float(FloatSize::U8) => raw!(ds, f64),
            D::Integer(IntSize::U1) => raw!(ds, i8),
            D::Integer(IntSize::U2) => raw!(ds, i16),
            D::Integer(IntSize::U4) => raw!(ds, i32),
            D::Integer(IntSize::U8) => raw!(ds, i64),
            D::Unsigned(IntSize::U1) => raw!(ds, u8),
            D::Unsigned(IntSize::U2) => raw!(ds, u16),
            D::Unsigned(IntSize::U4) => raw!(ds, u32),
            D::Unsigned(IntSize::U8) => raw!(ds, u64),
            other => panic!("{n}: type {other} not compared"),
        };
        out.insert(n, (t.to_string(), ds.shape(), b));
    }
    for a in f.attr_names().unwrap() {
        let at = f.attr(&a).unwrap();
        let t = at.dtype().unwrap().to_descriptor().unwrap();
        let b = match &t {
            D::Boolean => bytes(
                at.read_raw::<bool>()
                    .unwrap()
                    .iter()
                    .map(|&x| x as u8)
                    .collect(),
            ),
            D::Float(FloatSize::U8) => raw!(at, f64),
            D::Unsigned(IntSize::U8) => raw!(at, u64),
            D::VarLenUnicode => at
                .read_scalar::<VarLenUnicode>()
                .unwrap()
                .as_bytes()
                .to_vec(),
            other => panic!("attribute {a}: type {other} not compared"),
        };
        out.insert(format!("@{a}"), (t.to_string(), at.shape(), b));
    }
    out
}

/// Asserts that two HDF5 files hold the same datasets and root attributes, naming the first that
/// differs.
pub fn assert_same_h5(a: &Path, b: &Path) {
    let (ca, cb) = (h5_contents(a), h5_contents(b));
    let ka: Vec<&String> = ca.keys().collect();
    let kb: Vec<&String> = cb.keys().collect();
    assert_eq!(
        ka,
        kb,
        "{} vs {}: different datasets/attributes",
        a.display(),
        b.display()
    );
    for (k, va) in &ca {
        let vb = &cb[k];
        assert_eq!(
            (&va.0, &va.1),
            (&vb.0, &vb.1),
            "{k}: type/shape differ between {} and {}",
            a.display(),
            b.display()
        );
        assert!(
            va.2 == vb.2,
            "{k}: values differ between {} and {}",
            a.display(),
            b.display()
        );
    }
}
