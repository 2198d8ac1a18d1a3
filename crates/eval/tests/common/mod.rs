//! Loading the reference numbers of `tools/eval_reference.py` and comparing with tolerance.

#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tools/eval_reference.py)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn u(v: &Value) -> usize {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}")) as usize
}

pub fn vf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(f)
        .collect()
}

/// Numbers where JSON null stands for a non-finite value of the reference.
pub fn vf_opt(v: &Value) -> Vec<Option<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64())
        .collect()
}

pub fn vu(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(u).collect()
}

/// |a − b| <= atol + rtol·|b|, with a message naming the quantity.
#[track_caller]
pub fn close(what: &str, a: f64, b: f64, rtol: f64, atol: f64) {
    assert!(
        (a - b).abs() <= atol + rtol * b.abs(),
        "{what}: got {a:e}, reference {b:e} (diff {:e})",
        (a - b).abs()
    );
}

#[track_caller]
pub fn close_all(what: &str, a: &[f64], b: &[f64], rtol: f64, atol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        close(&format!("{what}[{i}]"), *x, *y, rtol, atol);
    }
}

/// Replays index draws recorded from numpy, in order.
pub struct Replay {
    pub draws: std::collections::VecDeque<Vec<usize>>,
}

impl Replay {
    pub fn new(v: &Value) -> Self {
        Self {
            draws: v.as_array().expect("array").iter().map(vu).collect(),
        }
    }
}

impl calogen_eval::IndexSampler for Replay {
    fn sample(&mut self, population: usize, size: usize) -> Vec<usize> {
        let d = self.draws.pop_front().expect("more draws than numpy made");
        assert_eq!(d.len(), size, "draw size");
        assert!(d.iter().all(|&i| i < population), "index out of range");
        d
    }
}
