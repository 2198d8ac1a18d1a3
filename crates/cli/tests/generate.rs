//! `calogen generate` with the embedded CaloClouds II model: 20 showers as points and as cells,
//! physically sensible, and the same seed gives the same showers (another seed does not).

use std::path::Path;
use std::process::Command;

use calogen_data::{ShowerBatch, ShowerFileOptions};

fn generate(dir: &Path, name: &str, seed: u64, threads: usize) -> std::path::PathBuf {
    let out = dir.join(name);
    let r = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .env("CI", "1")
        .args([
            "generate",
            "--energy",
            "10GeV..90GeV",
            "--n",
            "20",
            "--format",
            "both",
        ])
        .args([
            "--seed",
            &seed.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    out
}

fn points(p: &Path) -> calogen_data::PointClouds {
    let f = calogen_data::open(p, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(pc) => pc,
        _ => panic!("{}: not points", p.display()),
    }
}

#[test]
fn embedded_model_generates_points_and_cells_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(dir.path(), "a.h5", 3, 1);
    let b = generate(dir.path(), "b.h5", 3, 2);
    let c = generate(dir.path(), "c.h5", 4, 1);
    let (pa, pb, pc) = (points(&a), points(&b), points(&c));
    assert_eq!(pa.len(), 20);
    for i in 0..pa.len() {
        let s = pa.shower(i);
        let e_inc = s.incident_energy;
        assert!((10_000.0..=90_000.0).contains(&e_inc), "E_inc {e_inc} MeV");
        assert!(s.len() > 50, "shower {i}: {} points", s.len());
        let e_vis: f64 = s.energy.iter().map(|&e| e as f64).sum();
        // Silicon sampling fraction of the ILD-like ECAL is about 3 % (../shared/data/README.md).
        let f = e_vis / e_inc as f64;
        assert!(f > 0.005 && f < 0.1, "shower {i}: E_vis/E_inc = {f}");
        assert!(s.layer.iter().all(|&l| l < 30));
        assert!(s
            .x
            .iter()
            .chain(s.y)
            .all(|v| v.is_finite() && v.abs() < 1000.0));
    }
    // Same seed, other thread count: identical showers; another seed: different ones.
    assert_eq!(pa.energy, pb.energy);
    assert_eq!(pa.x, pb.x);
    assert_eq!(pa.layer, pb.layer);
    assert_ne!(pa.energy, pc.energy);

    let cells = dir.path().join("a_cells.h5");
    let f = calogen_data::open(&cells, &ShowerFileOptions::default()).unwrap();
    assert_eq!(f.len(), 20);
    let cs = f
        .cells()
        .unwrap()
        .expect("cells/ group")
        .read(0..20)
        .unwrap();
    assert!(cs.n_cells() > 20 * 50);
    assert!(cs.energy.iter().all(|&e| e.is_finite() && e > 0.0));
}
