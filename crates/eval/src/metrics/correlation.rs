//! Pearson correlation matrix of features (paper 003 eq. 40, e.g. between layer energies).

use crate::error::{need, Result};
use crate::linalg::{mean_and_covariance, RowMatrix};

/// Row-major `d×d` Pearson correlation matrix of the columns of `x` (`np.corrcoef(x,
/// rowvar=False)`). A constant column has no defined correlation: its row and column are NaN,
/// as in numpy.
pub fn pearson_matrix(x: RowMatrix) -> Result<Vec<f64>> {
    need("pearson_matrix: samples", 2, x.rows())?;
    let d = x.cols();
    let (_, cov) = mean_and_covariance(x)?;
    let sd: Vec<f64> = (0..d).map(|i| cov[i * d + i].sqrt()).collect();
    let mut r = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            // Clipping as numpy does: rounding can push |r| a hair above 1.
            r[i * d + j] = (cov[i * d + j] / sd[i] / sd[j]).clamp(-1.0, 1.0);
        }
    }
    Ok(r)
}

/// Pearson correlation of two equally long samples.
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    crate::error::same("pearson: samples", x.len(), y.len())?;
    let data: Vec<f64> = x.iter().zip(y).flat_map(|(a, b)| [*a, *b]).collect();
    Ok(pearson_matrix(RowMatrix::new(&data, 2)?)?[1])
}
