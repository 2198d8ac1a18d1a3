//! The little dense linear algebra the metrics need: a row-major matrix view, `A·Bᵀ` through
//! `matrixmultiply` (blocked, SIMD; the pairwise kernels of PRDC and KPD are all in there), sample
//! covariance, and a cyclic Jacobi eigensolver for the small symmetric matrices of the Fréchet
//! distance (feature dimension ~10–100, where Jacobi is accurate and quick enough).

use crate::error::{invalid, need, Result};

/// A borrowed row-major matrix: `rows` samples of `cols` features.
#[derive(Debug, Clone, Copy)]
pub struct RowMatrix<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
}

impl<'a> RowMatrix<'a> {
    /// Views `data` as rows of length `cols`; `data.len()` must be a multiple of `cols > 0`.
    pub fn new(data: &'a [f64], cols: usize) -> Result<Self> {
        if cols == 0 || !data.len().is_multiple_of(cols) {
            return Err(invalid(
                "RowMatrix",
                format!("{} values do not split into rows of {cols}", data.len()),
            ));
        }
        Ok(Self {
            data,
            rows: data.len() / cols,
            cols,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn data(&self) -> &'a [f64] {
        self.data
    }

    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Rows `idx` copied into a new row-major buffer (subsampling with replacement).
    pub fn gather(&self, idx: &[usize]) -> Vec<f64> {
        let mut out = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            out.extend_from_slice(self.row(i));
        }
        out
    }

    /// Column `j` copied out.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows)
            .map(|i| self.data[i * self.cols + j])
            .collect()
    }
}

/// `C = A·Bᵀ` for row-major `A` (`m×k`) and `B` (`n×k`); `c` is overwritten (`m×n`, row-major).
pub fn gemm_abt(a: &[f64], b: &[f64], m: usize, n: usize, k: usize, c: &mut [f64]) {
    assert_eq!(a.len(), m * k);
    assert_eq!(b.len(), n * k);
    assert_eq!(c.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    // SAFETY: the asserts above guarantee that every strided access of dgemm stays inside the
    // three slices: A is m×k with strides (k, 1), Bᵀ is k×n read from B with strides (1, k), C is
    // m×n with strides (n, 1); c is exclusively borrowed.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            1,
            k as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Column means of a sample.
pub fn column_means(x: RowMatrix) -> Vec<f64> {
    let mut m = vec![0.0; x.cols()];
    for i in 0..x.rows() {
        for (acc, v) in m.iter_mut().zip(x.row(i)) {
            *acc += v;
        }
    }
    let n = x.rows() as f64;
    m.iter_mut().for_each(|v| *v /= n);
    m
}

/// Sample mean and covariance with `n − 1` normalisation (`np.cov(x, rowvar=False)`).
pub fn mean_and_covariance(x: RowMatrix) -> Result<(Vec<f64>, Vec<f64>)> {
    need("covariance: samples", 2, x.rows())?;
    let (n, d) = (x.rows(), x.cols());
    let mu = column_means(x);
    let mut centred = x.data().to_vec();
    for row in centred.chunks_exact_mut(d) {
        for (v, m) in row.iter_mut().zip(&mu) {
            *v -= m;
        }
    }
    let mut cov = vec![0.0; d * d];
    // Xcᵀ·Xc: read Xc (n×d, row-major) as the d×n matrix with strides (1, d).
    // SAFETY: A = Xcᵀ (d×n, strides (1, d)) and B = Xc (n×d, strides (d, 1)) both index only inside
    // `centred` (n·d values); C (d×d, strides (d, 1)) stays inside `cov`.
    unsafe {
        matrixmultiply::dgemm(
            d,
            n,
            d,
            1.0 / (n - 1) as f64,
            centred.as_ptr(),
            1,
            d as isize,
            centred.as_ptr(),
            d as isize,
            1,
            0.0,
            cov.as_mut_ptr(),
            d as isize,
            1,
        );
    }
    // dgemm's blocking may round the two triangles differently; the eigensolver wants symmetry.
    for i in 0..d {
        for j in 0..i {
            let s = 0.5 * (cov[i * d + j] + cov[j * d + i]);
            cov[i * d + j] = s;
            cov[j * d + i] = s;
        }
    }
    Ok((mu, cov))
}

/// Eigenvalues (and, if asked, eigenvectors as the columns of a row-major `n×n` matrix) of the
/// symmetric matrix `a` (row-major `n×n`). Householder tridiagonalisation and implicit QR
/// (nalgebra): O(n³) with a small constant, where cyclic Jacobi needed many sweeps — the FPD of the
/// CaloChallenge's ~230 high-level features calls this hundreds of times.
pub fn symmetric_eigen(a: &[f64], n: usize, want_vectors: bool) -> (Vec<f64>, Option<Vec<f64>>) {
    assert_eq!(a.len(), n * n);
    let m = nalgebra::DMatrix::from_row_slice(n, n, a);
    if !want_vectors {
        return (m.symmetric_eigenvalues().iter().copied().collect(), None);
    }
    let e = m.symmetric_eigen();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            v[i * n + j] = e.eigenvectors[(i, j)];
        }
    }
    (e.eigenvalues.iter().copied().collect(), Some(v))
}

/// `tr √(A·B)` for symmetric positive semi-definite `A`, `B` (`n×n`): the eigenvalues of `A·B`
/// are those of the symmetric `√A·B·√A`, so no non-symmetric matrix square root is needed and a
/// singular `A` or `B` is harmless (scipy's `sqrtm(A·B)` needs an epsilon on the diagonal there).
pub fn trace_sqrt_product(a: &[f64], b: &[f64], n: usize) -> f64 {
    let (lam, vecs) = symmetric_eigen(a, n, true);
    let vecs = vecs.expect("vectors requested");
    // √A = V·diag(√λ)·Vᵀ; tiny negative eigenvalues are rounding of a PSD matrix.
    let mut vs = vecs.clone();
    for i in 0..n {
        for j in 0..n {
            vs[i * n + j] *= lam[j].max(0.0).sqrt();
        }
    }
    let mut sqrt_a = vec![0.0; n * n];
    // (V·diag)·Vᵀ = (V·diag)·(Vᵀ) with gemm_abt(X, Y) = X·Yᵀ and Y = V.
    gemm_abt(&vs, &vecs, n, n, n, &mut sqrt_a);
    let mut sb = vec![0.0; n * n];
    // √A·B = √A·Bᵀ (B symmetric)
    gemm_abt(&sqrt_a, b, n, n, n, &mut sb);
    let mut m = vec![0.0; n * n];
    // (√A·B)·√A = (√A·B)·√Aᵀ
    gemm_abt(&sb, &sqrt_a, n, n, n, &mut m);
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = s;
            m[j * n + i] = s;
        }
    }
    let (mu, _) = symmetric_eigen(&m, n, false);
    mu.iter().map(|x| x.max(0.0).sqrt()).sum()
}
