//! Which SGEMM the CaloChallenge DNN classifier should use: the three products of one training
//! batch on dataset-2 inputs (1000 showers × 6481 inputs → 2048 → 2048), one thread, with
//! `matrixmultiply` and with the `gemm` crate, as GFLOP/s.
//!
//! cargo run --release -p calogen-eval --example gemm_choice

use std::time::Instant;

/// (name, m, k, n, A transposed): C[m×n] = A·B, A stored [m×k] or, transposed, [k×m].
const SHAPES: [(&str, usize, usize, usize, bool); 4] = [
    (
        "forward layer 1  (1000×6481·6481×2048)",
        1000,
        6481,
        2048,
        false,
    ),
    (
        "dW layer 1       (6481×1000·1000×2048)",
        6481,
        1000,
        2048,
        true,
    ),
    (
        "forward layer 2  (1000×2048·2048×2048)",
        1000,
        2048,
        2048,
        false,
    ),
    (
        "dX layer 2       (1000×2048·2048×2048ᵀ)",
        1000,
        2048,
        2048,
        false,
    ),
];

fn fill(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1664525).wrapping_add(1013904223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    println!(
        "{:<42} {:>16} {:>16}",
        "product", "matrixmultiply", "gemm crate"
    );
    for (name, m, k, n, at) in SHAPES {
        let a = fill(m * k, 1);
        let b = fill(k * n, 2);
        let mut c = vec![0.0f32; m * n];
        // A as [m×k] (row stride k) or as the transpose of a [k×m] array (column stride m).
        let (rsa, csa) = if at { (1, m as isize) } else { (k as isize, 1) };
        let flop = 2.0 * (m * k * n) as f64;
        let t_mm = best_of(3, || unsafe {
            // SAFETY: a holds m·k, b k·n, c m·n floats; the strides stay inside them.
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                rsa,
                csa,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        });
        let t_gemm = best_of(3, || unsafe {
            // SAFETY: as above; gemm takes (column stride, row stride) pairs.
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                csa,
                rsa,
                b.as_ptr(),
                1,
                n as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        });
        println!(
            "{name:<42} {:>10.1} GF/s {:>10.1} GF/s",
            flop / t_mm / 1e9,
            flop / t_gemm / 1e9
        );
    }
}
