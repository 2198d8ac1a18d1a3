//! Per-call latency through the C ABI for one 50 GeV photon, one thread, beside `calogen bench`'s
//! end-to-end figure for the same family measured in the same process (so both see the same
//! machine load): `cargo run --release -p calogen-capi --example latency [REPEATS]`.
//! The C ABI call is `calogen_generate` + `calogen_copy_hits` into a caller buffer (cells of the
//! family's geometry); bench's chain is the family's own `end_to_end` (its stages are printed).

use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::time::Instant;

use calogen_capi::*;
use calogen_models::family::TimingOptions;
use calogen_models::{LoadOptions, Registry};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let repeats: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let registry = Registry::builtin();
    for name in ["caloclouds3", "caloclouds2"] {
        let family = registry.load(Some(name), &LoadOptions::default()).unwrap();
        let timing = TimingOptions {
            seed: 0,
            warmup: 3,
            repeats: Some(repeats),
            quick: false,
        };
        let bench = |label: &str| {
            let e = family
                .end_to_end(&timing)
                .unwrap()
                .expect("end-to-end timing");
            println!(
                "{name}: calogen bench end-to-end ({label}) median {:.3} ms over {} ({} points, {}; includes {})",
                e.ms.median,
                e.ms.n,
                e.points,
                e.geometry,
                e.included.join(", ")
            );
            e.ms.median
        };
        let b0 = bench("before");
        let model = CString::new(name).unwrap();
        let mut g = null_mut();
        let st = unsafe {
            calogen_generator_new(
                model.as_ptr(),
                null(),
                CalogenHitMode::CalogenHitsCells,
                &mut g,
                null_mut(),
                0,
            )
        };
        assert_eq!(st, CalogenStatus::CalogenOk);
        let photon = CalogenIncident {
            energy_mev: 50_000.0,
            direction: [0.0, 0.0, 1.0],
            entry_mm: [0.0; 3],
            has_entry: 0,
        };
        let mut buf = vec![
            CalogenHit {
                x_mm: 0.0,
                y_mm: 0.0,
                z_mm: 0.0,
                energy_mev: 0.0,
                cell_id: 0,
                layer: 0,
                shower: 0,
            };
            1 << 16
        ];
        let mut ms = Vec::new();
        let mut hits = 0;
        for k in 0..repeats + 3 {
            let t0 = Instant::now();
            let mut n = 0;
            unsafe {
                assert_eq!(
                    calogen_generate(g, &photon, 0, k as u64),
                    CalogenStatus::CalogenOk
                );
                assert_eq!(
                    calogen_copy_hits(g, buf.as_mut_ptr(), buf.len(), &mut n),
                    CalogenStatus::CalogenOk
                );
            }
            if k >= 3 {
                ms.push(t0.elapsed().as_secs_f64() * 1e3);
                hits += n;
            }
        }
        let c = median(ms);
        println!(
            "{name}: C ABI calogen_generate + calogen_copy_hits median {c:.3} ms over {repeats} ({:.0} cells per shower)",
            hits as f64 / repeats as f64
        );
        let b1 = bench("after");
        let b = 0.5 * (b0 + b1);
        println!(
            "{name}: C ABI / bench = {:.3} ({:+.1} %)",
            c / b,
            100.0 * (c / b - 1.0)
        );
        unsafe { calogen_generator_free(g) };
    }
}
