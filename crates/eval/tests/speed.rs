//! Timing of the quadratic metrics at the sizes the papers use; run with
//! `cargo test -p calogen-eval --release --test speed -- --ignored --nocapture`.

use calogen_eval::metrics::kernel::mmd2_poly_unbiased;
use calogen_eval::metrics::prdc::prdc;
use calogen_eval::{RowMatrix, SeededSampler};
use std::time::Instant;

fn uniform(rng: &mut SeededSampler, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        .collect()
}

#[test]
#[ignore = "timing; several seconds"]
fn prdc_10k_by_10k_dim_50() {
    let mut rng = SeededSampler::new(1);
    let d = 50;
    let real = uniform(&mut rng, 10_000 * d);
    let fake: Vec<f64> = uniform(&mut rng, 10_000 * d)
        .iter()
        .map(|v| v * 1.1)
        .collect();
    let t = Instant::now();
    let r = prdc(
        RowMatrix::new(&real, d).unwrap(),
        RowMatrix::new(&fake, d).unwrap(),
        5,
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    println!("PRDC 10k x 10k, d = 50: {s:.2} s, {r:?}");
    assert!(s < 30.0);
}

#[test]
#[ignore = "timing; several seconds"]
fn mmd_5k_by_5k_dim_50() {
    let mut rng = SeededSampler::new(2);
    let d = 50;
    let x = uniform(&mut rng, 5_000 * d);
    let y = uniform(&mut rng, 5_000 * d);
    let t = Instant::now();
    let m = mmd2_poly_unbiased(
        RowMatrix::new(&x, d).unwrap(),
        RowMatrix::new(&y, d).unwrap(),
        4,
    )
    .unwrap();
    println!(
        "MMD² 5k x 5k, d = 50: {:.2} s ({m:e})",
        t.elapsed().as_secs_f64()
    );
}
