//! `torch.nn.Linear`: y = x Wᵀ + b with W stored [out, in].

use crate::error::{Error, Result};
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
pub struct Linear {
    in_features: usize,
    out_features: usize,
    /// Row-major [out, in], as PyTorch stores it.
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl Linear {
    pub fn new(
        in_features: usize,
        out_features: usize,
        weight: Vec<f32>,
        bias: Option<Vec<f32>>,
    ) -> Result<Self> {
        if weight.len() != in_features * out_features
            || bias.as_ref().is_some_and(|b| b.len() != out_features)
        {
            return Err(Error::Invalid(format!(
                "Linear({in_features}→{out_features}): weight has {} values, bias {:?}",
                weight.len(),
                bias.as_ref().map(Vec::len)
            )));
        }
        Ok(Linear {
            in_features,
            out_features,
            weight,
            bias,
        })
    }

    /// Reads `{prefix}.weight` [out,in] and, when `with_bias`, `{prefix}.bias` [out].
    pub fn from_map(
        map: &TensorMap,
        prefix: &str,
        in_features: usize,
        out_features: usize,
        with_bias: bool,
    ) -> Result<Self> {
        let w = map.get(&format!("{prefix}.weight"), &[out_features, in_features])?;
        let b = if with_bias {
            Some(
                map.get(&format!("{prefix}.bias"), &[out_features])?
                    .data
                    .clone(),
            )
        } else {
            None
        };
        Linear::new(in_features, out_features, w.data.clone(), b)
    }

    pub fn in_features(&self) -> usize {
        self.in_features
    }

    pub fn out_features(&self) -> usize {
        self.out_features
    }

    pub fn weight(&self) -> &[f32] {
        &self.weight
    }

    pub fn bias(&self) -> Option<&[f32]> {
        self.bias.as_deref()
    }

    /// `y[rows, out] = x[rows, in] Wᵀ + b` through matrixmultiply's sgemm (the unfused path).
    pub fn forward(&self, x: &[f32], rows: usize, y: &mut [f32]) {
        let (k, m) = (self.in_features, self.out_features);
        assert_eq!(x.len(), rows * k, "Linear input length");
        assert_eq!(y.len(), rows * m, "Linear output length");
        match &self.bias {
            Some(b) => y.chunks_exact_mut(m).for_each(|r| r.copy_from_slice(b)),
            None => y.fill(0.0),
        }
        // SAFETY: the slices hold rows*k, k*m and rows*m elements, matching the strides below.
        unsafe {
            matrixmultiply::sgemm(
                rows,
                k,
                m,
                1.0,
                x.as_ptr(),
                k as isize,
                1,
                // Wᵀ[k, o] = W[o, k]: row stride 1, column stride k.
                self.weight.as_ptr(),
                1,
                k as isize,
                1.0,
                y.as_mut_ptr(),
                m as isize,
                1,
            );
        }
    }

    /// One input vector (e.g. a per-shower context), accumulated in f64.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len(), self.in_features, "Linear input length");
        let mut acc = self.bias_f64();
        self.accumulate_columns(x, 0, &mut acc);
        acc.into_iter().map(|v| v as f32).collect()
    }

    /// The bias in f64 (zeros without one): the start of [`Linear::accumulate_columns`].
    pub fn bias_f64(&self) -> Vec<f64> {
        match &self.bias {
            Some(b) => b.iter().map(|&v| v as f64).collect(),
            None => vec![0.0; self.out_features],
        }
    }

    /// acc[o] += Σ_j W[o, offset + j]·x[j] in f64: part of an input vector, for inputs whose head
    /// is shared by many calls (a context vector whose time part is fixed for a batch).
    pub fn accumulate_columns(&self, x: &[f32], offset: usize, acc: &mut [f64]) {
        assert!(offset + x.len() <= self.in_features, "columns out of range");
        assert_eq!(acc.len(), self.out_features, "accumulator length");
        for (a, row) in acc
            .iter_mut()
            .zip(self.weight.chunks_exact(self.in_features))
        {
            let cols = &row[offset..offset + x.len()];
            *a += cols
                .iter()
                .zip(x)
                .map(|(&w, &v)| w as f64 * v as f64)
                .sum::<f64>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_matches_apply() {
        let w: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 2.0).collect();
        let lin = Linear::new(4, 3, w, Some(vec![1.0, -1.0, 0.5])).unwrap();
        let x: Vec<f32> = (0..8).map(|i| (i as f32).sin()).collect();
        let mut y = vec![0.0; 6];
        lin.forward(&x, 2, &mut y);
        for r in 0..2 {
            let want = lin.apply(&x[r * 4..r * 4 + 4]);
            for o in 0..3 {
                assert!((y[r * 3 + o] - want[o]).abs() < 1e-5);
            }
        }
    }
}
