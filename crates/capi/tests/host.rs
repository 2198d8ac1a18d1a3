//! The C++ example host (examples/host/host.cpp), compiled with the system `g++` against the
//! committed header and this build's `libcalogen_capi.so`, run with two threads: its per-event
//! energy sums must equal those of `calogen generate --format cells` (run in-process through
//! `calogen_cli::run_with`, the binary's own code) with the same seed and incidents.

use std::path::{Path, PathBuf};
use std::process::Command;

use calogen_data::{ShowerBatch, ShowerFileOptions};

/// The folder cargo put this build's libraries in (`target/<profile>`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let profile = deps.parent().unwrap();
    for d in [profile, deps] {
        if d.join("libcalogen_capi.so").exists() {
            return d.to_path_buf();
        }
    }
    panic!(
        "libcalogen_capi.so not found beside {} (built by `cargo test -p calogen-capi`)",
        exe.display()
    );
}

fn compile_host(out: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = lib_dir();
    let exe = out.join("host");
    let r = Command::new("g++")
        .args([
            "-std=c++17",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pthread",
        ])
        .arg("-I")
        .arg(root.join("crates/capi/include"))
        .arg(root.join("examples/host/host.cpp"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lcalogen_capi")
        .output()
        .expect("g++ (the system C++ compiler) is needed for this test");
    assert!(
        r.status.success(),
        "g++ failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    exe
}

/// Per-shower sums of the cells file that `calogen generate` writes.
fn reference_sums(dir: &Path, model: &str, incidents: &Path, seed: u64) -> PathBuf {
    let cells = dir.join(format!("{model}_cells.h5"));
    let args = [
        "calogen",
        "generate",
        "--model",
        model,
        "--incidents",
        incidents.to_str().unwrap(),
        "--seed",
        &seed.to_string(),
        "--format",
        "cells",
        "--out",
        cells.to_str().unwrap(),
    ];
    calogen_cli::run_with(args, &calogen_models::Registry::builtin()).unwrap();
    let f = calogen_data::open(&cells, &ShowerFileOptions::default()).unwrap();
    let ShowerBatch::Cells(c) = f.read(0..f.len()).unwrap() else {
        panic!("{}: not cells", cells.display())
    };
    let sums: Vec<String> = (0..c.len())
        .map(|i| {
            let s: f64 = c.shower(i).energy.iter().map(|&e| e as f64).sum();
            format!("{s:.9}")
        })
        .collect();
    let p = dir.join(format!("{model}_sums.txt"));
    std::fs::write(&p, sums.join("\n")).unwrap();
    p
}

#[test]
fn cpp_host_matches_calogen_generate_on_two_threads() {
    let d = tempfile::tempdir().unwrap();
    let host = compile_host(d.path());
    // CaloClouds II: perpendicular photons only; CaloClouds3: angles inside its trained range.
    for (model, list) in [
        ("caloclouds2", "12000\n50000\n87000\n30000\n65000\n20000\n"),
        (
            "caloclouds3",
            "50000 0 0\n20000 20 45\n80000 35 -120\n40000 10 170\n",
        ),
    ] {
        let incidents = d.path().join(format!("{model}.txt"));
        std::fs::write(&incidents, list).unwrap();
        let sums = reference_sums(d.path(), model, &incidents, 21);
        let r = Command::new(&host)
            .args(["--model", model, "--seed", "21", "--threads", "2"])
            .arg("--incidents")
            .arg(&incidents)
            .arg("--reference")
            .arg(&sums)
            .args(["--latency", "4"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&r.stdout);
        assert!(
            r.status.success(),
            "{model}: host failed\n{out}{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let n = list.lines().count();
        assert!(
            out.contains(&format!("energy sums: {n} events, 0 differ")),
            "{out}"
        );
        for b in [1, 16, 64] {
            assert!(out.contains(&format!("batch={b} ")), "{out}");
        }
        println!("{out}");
    }
}
