//! One CaloScore v2 U-Net step on the dataset-2 grid (45 layers × 16 α × 9 r), random weights:
//! ms per shower at batch 1 and 100 on one thread (thread CPU time, which a loaded machine's
//! preemption does not inflate, and wall time), its FLOPs (`bench::Cs2Flops`) and the fraction
//! of this core's FMA peak (`bench::peak`). Default widths (8/16/24) and the paper's (32/64/96).
//!
//! `cargo run --release -p calogen-models --example cs2_step [-- --quick]`
//!
//! 2026-12-06, the project's 2-vCPU AMD EPYC machine at load average 6–8 (other builds), AVX2+FMA
//! peak 103.7 GFLOP/s: default widths 131 MFLOP per shower and step, 7.2 ms thread CPU at batch 1
//! and 7.4 ms at batch 100 (17 % of peak; wall 11–15 ms under that load); the paper's widths
//! 2 022 MFLOP, 54–56 ms (35–36 %); the one-step model through `generate`, 100 showers on one
//! thread, 7.6 ms thread CPU per shower. The narrow default's first level (8 output channels over
//! 6 480 positions) is where the fraction is low: sgemm packs the im2col tile for only 8 rows.

use std::time::Instant;

use calogen_models::bench::stats::thread_cpu_ms;
use calogen_models::bench::{peak_gflops, Cs2Flops, PeakIsa, PeakOptions};
use calogen_models::caloscore2::config::{paper_config_ds23, Cs2Config, Grid};
use calogen_models::caloscore2::export::random_tensors;
use calogen_models::caloscore2::family::Cs2Family;
use calogen_models::caloscore2::Cs2Model;
use calogen_models::{Incident, ModelFamily};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let isa = [PeakIsa::Avx512, PeakIsa::Avx2Fma, PeakIsa::Portable]
        .into_iter()
        .find(|i| i.supported())
        .expect("portable is always supported");
    let peak = peak_gflops(isa, PeakOptions::standard()).expect("supported");
    println!("one-core peak: {peak:.1} GFLOP/s ({})", isa.name());
    one_step_generate(quick);
    for (label, cfg) in [
        ("default 8/16/24", Cs2Config::default()),
        ("paper 32/64/96", paper_config_ds23()),
    ] {
        let tensors = random_tensors(&cfg, 1, 1.0).expect("random weights");
        let m = Cs2Model::from_tensors(cfg.clone(), &tensors).expect("model");
        let flops = Cs2Flops::unet(&cfg, m.n_layers(), &Grid::of(&m.geometry));
        println!(
            "{label}: {:.1} MFLOP per shower and step (conv {:.1}, attention {:.2}, linear {:.3}, elementwise {:.2})",
            flops.total() as f64 / 1e6,
            flops.conv as f64 / 1e6,
            flops.attention as f64 / 1e6,
            flops.linear as f64 / 1e6,
            flops.elementwise as f64 / 1e6
        );
        for batch in [1usize, 100] {
            let nv = m.n_voxels();
            let x: Vec<f32> = (0..batch * nv)
                .map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0)
                .collect();
            let t = vec![0.5f64; batch];
            let e = vec![0.5f32; batch];
            let l = vec![0.1f32; batch * m.n_layers()];
            std::hint::black_box(m.voxel_net.forward(&x, &t, &e, &l));
            let reps = if quick {
                1
            } else if batch == 1 {
                30
            } else {
                3
            };
            let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
            for _ in 0..reps {
                let (t0, c0) = (Instant::now(), thread_cpu_ms());
                std::hint::black_box(m.voxel_net.forward(&x, &t, &e, &l));
                wall = wall.min(t0.elapsed().as_secs_f64() * 1e3);
                if let (Some(a), Some(b)) = (c0, thread_cpu_ms()) {
                    cpu = cpu.min(b - a);
                }
            }
            let (wall, cpu) = (wall / batch as f64, cpu / batch as f64);
            let gflops = flops.products() as f64 / (cpu * 1e-3) / 1e9;
            println!(
                "  batch {batch:>3}: {cpu:.2} ms thread CPU ({wall:.2} ms wall) per shower per step, best of {reps}; {gflops:.1} GFLOP/s of products = {:.0}% of peak",
                100.0 * gflops / peak
            );
        }
    }
}

/// The whole one-step model (one layer-net and one U-Net evaluation, noise, decoding) through
/// `ModelFamily::generate`, 100 showers in one call on this thread: the issue's ≤ 10 ms target.
fn one_step_generate(quick: bool) {
    let cfg = Cs2Config {
        layer_steps: 1,
        voxel_steps: 1,
        ..Cs2Config::default()
    };
    let tensors = random_tensors(&cfg, 2, 1.0).expect("random weights");
    let fam = Cs2Family::from_model(
        Cs2Model::from_tensors(cfg, &tensors).expect("model"),
        "random",
    );
    let inc: Vec<Incident> = fam.bench_incidents(100, 1);
    std::hint::black_box(fam.generate(&inc[..8], 1, 0, false).expect("generate"));
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    for rep in 0..if quick { 1 } else { 3 } {
        let (t0, c0) = (Instant::now(), thread_cpu_ms());
        std::hint::black_box(fam.generate(&inc, rep, 0, false).expect("generate"));
        wall = wall.min(t0.elapsed().as_secs_f64() * 1e3);
        if let (Some(a), Some(b)) = (c0, thread_cpu_ms()) {
            cpu = cpu.min(b - a);
        }
    }
    println!(
        "one-step model (default widths, dataset 2), generate 100 showers on one thread: {:.2} ms thread CPU ({:.2} ms wall) per shower",
        cpu / 100.0,
        wall / 100.0
    );
}
