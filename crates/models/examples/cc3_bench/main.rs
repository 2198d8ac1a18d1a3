//! Single-thread speed of the CaloClouds3 one-step network with the official weights.
//!
//! `cargo run --release -p calogen-models --example cc3_bench` (add `-- --quick` for fewer
//! repeats; `CC3_BACKEND=avx2|portable` and `CC3_TILE_POINTS=n` pick the kernel variant). Times one full denoiser call (context, per-shower folding and the per-point network)
//! for each batch shape, median of repeats, and compares with the core's measured FMA peak.
//! `calogen bench` is the user-facing version of the table; this example adds the kernel variants
//! and the unfused GEMM paths.

mod unfused;

use std::time::Instant;

use calogen_models::bench::{peak_gflops, PeakIsa, PeakOptions, TORCH_REFERENCE};
use calogen_models::caloclouds3::{standard_normal, Cc3Model, Condition, Workspace};
use calogen_models::nn::fused::Backend;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

struct Case {
    x_t: Vec<f32>,
    conds: Vec<f32>,
    out: Vec<f32>,
}

fn case(model: &Cc3Model, b: usize, n: usize) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let sigma = model.config().sigma_max as f32;
    let x_t = standard_normal(&mut rng, b * n * 4)
        .into_iter()
        .map(|e| e * sigma)
        .collect();
    let conds = (0..b)
        .flat_map(|i| {
            let c = Condition::from_local_angles(10.0 + i as f32, (i % 60) as f64, i as f64 * 5.0);
            model.cond_vector(&c)
        })
        .collect();
    Case {
        x_t,
        conds,
        out: vec![0.0; b * n * 4],
    }
}

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn time_fused(model: &Cc3Model, ws: &mut Workspace, c: &mut Case, reps: usize) -> f64 {
    let sigma = model.config().sigma_max as f32;
    median_ms(reps, || {
        model
            .denoise_batch(ws, &c.x_t, &c.conds, sigma, &mut c.out)
            .unwrap()
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let model = Cc3Model::embedded().expect("embedded model");
    let flops_pp = 2 * model.network().macs_per_point();
    let mut ws = model.workspace();
    if let Ok(tp) = std::env::var("CC3_TILE_POINTS") {
        ws.mlp_mut()
            .set_tile_points(tp.parse().expect("CC3_TILE_POINTS"));
    }
    match std::env::var("CC3_BACKEND").as_deref() {
        Ok("avx2") => ws.mlp_mut().set_backend(Backend::Avx2Fma),
        Ok("portable") => ws.mlp_mut().set_backend(Backend::Portable),
        _ => {}
    }
    println!(
        "CaloClouds3 CM one-step network, 1 thread, backend {:?}, tile {} points",
        ws.mlp_mut().backend(),
        ws.mlp_mut().tile_points()
    );
    println!(
        "FLOP per point: {flops_pp} (2 × Σ in·out of 4→32→64→128→64→32→4; gates, bias, activations not counted)"
    );
    // On a shared machine other jobs steal cycles unevenly, so the peak is measured before and
    // after the timings and the higher value kept.
    let measure = || {
        (
            peak_gflops(PeakIsa::Avx512, PeakOptions::standard()),
            peak_gflops(PeakIsa::Avx2Fma, PeakOptions::standard()),
        )
    };
    let peaks_before = measure();
    let rows: Vec<_> = TORCH_REFERENCE
        .iter()
        .map(|r| {
            let (b, n, lo, hi) = (r.showers, r.points, r.lo_ms, r.hi_ms);
            let mut c = case(&model, b, n);
            let reps = match (quick, b * n) {
                (true, _) => 5,
                (false, p) if p > 10_000 => 15,
                _ => 101,
            };
            (b, n, lo, hi, time_fused(&model, &mut ws, &mut c, reps))
        })
        .collect();
    let peaks_after = measure();
    let best = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a.max(b));
    let p512 = best(peaks_before.0, peaks_after.0);
    let p256 = best(peaks_before.1, peaks_after.1);
    for (isa, p) in [("AVX-512F", p512), ("AVX2+FMA", p256)] {
        if let Some(p) = p {
            println!("FMA peak of this core, {isa}: {p:.1} GFLOP/s f32");
        }
    }
    // The peak of the instruction set the kernel runs on is the fair yardstick.
    let peak = match ws.mlp_mut().backend() {
        Backend::Avx512 => p512,
        _ => p256,
    }
    .unwrap_or(f64::NAN);
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>14} {:>9}",
        "B×N", "ms", "GFLOP/s", "% of peak", "torch ms", "speed-up"
    );
    for (b, n, lo, hi, ms) in rows {
        let gflops = (flops_pp * b * n) as f64 / (ms * 1e-3) / 1e9;
        println!(
            "{:>8} {ms:>10.3} {gflops:>10.1} {:>11.0}% {:>14} {:>9}",
            format!("{b}×{n}"),
            100.0 * gflops / peak,
            format!("{lo}–{hi}"),
            format!("{:.1}–{:.1}×", lo / ms, hi / ms),
        );
    }

    // What the fusion buys: the same work through the portable kernel and through one
    // matrixmultiply sgemm per layer (the unfused reference path).
    let mut c = case(&model, 1, 3000);
    let reps = if quick { 3 } else { 21 };
    time_fused(&model, &mut ws, &mut c, 1);
    let mut portable = model.workspace();
    portable.mlp_mut().set_backend(Backend::Portable);
    let fast_out = c.out.clone();
    let ms_portable = time_fused(&model, &mut portable, &mut c, reps);
    let max_diff = fast_out
        .iter()
        .zip(&c.out)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!(
        "check: max |Δx0| {:?} vs portable kernel on 1×3000: {max_diff:.2e}",
        ws.mlp_mut().backend()
    );
    let sigma = model.config().sigma_max as f32;
    let net = model.network();
    let ctx = net.context(sigma, &c.conds[..4]).unwrap();
    let x_in: Vec<f32> = c
        .x_t
        .iter()
        .map(|v| v * model.scalings(sigma).c_in)
        .collect();
    let ms_sgemm = median_ms(reps, || {
        std::hint::black_box(net.forward_reference(&x_in, 3000, &ctx.ctx));
    });
    let gemm_out = unfused::forward_gemm_crate(net, &x_in, 3000, &ctx.ctx);
    let ms_gemm = median_ms(reps, || {
        std::hint::black_box(unfused::forward_gemm_crate(net, &x_in, 3000, &ctx.ctx));
    });
    let time = net.time_part(sigma).unwrap();
    let ms_setup = median_ms(reps, || {
        net.modulate(&time, &c.conds[..4], ws.mlp_mut()).unwrap();
    });
    let ms_time = median_ms(reps, || {
        std::hint::black_box(net.time_part(sigma).unwrap());
    });
    let mut raw = vec![0.0; c.x_t.len()];
    model
        .network_output(&mut ws, &c.x_t, &c.conds[..4], sigma, &mut raw)
        .unwrap();
    let gemm_diff = gemm_out
        .iter()
        .zip(&raw)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("1×3000 other paths: portable kernel {ms_portable:.3} ms (full call); network only, one GEMM per layer: matrixmultiply {ms_sgemm:.3} ms, gemm crate {ms_gemm:.3} ms (max |Δraw| vs fused {gemm_diff:.1e})");
    println!(
        "setup: per σ (time embedding and its share of the gates) {:.1} µs, per shower (gates, shifts) {:.1} µs",
        ms_time * 1e3,
        ms_setup * 1e3
    );
}
