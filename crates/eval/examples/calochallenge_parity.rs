//! The CaloChallenge protocol on two CaloChallenge files, its result as JSON on stdout: the same
//! function (`evaluate_calochallenge`) that `calogen evaluate --protocol calochallenge` calls, for
//! docs/calochallenge-parity.md on a machine where the CLI (which also links the training engine)
//! is not built. `tools/calochallenge_parity.py compare` reads its output like a metrics.json.
//!
//!     cargo run --profile test -p calogen-eval --example calochallenge_parity -- \
//!         REFERENCE.h5 GENERATED.h5 EPOCHS challenge|scaled [SEED]

use std::path::Path;
use std::time::Instant;

use calogen_data::{ShowerBatch, VoxelShowers};
use calogen_eval::protocols::calochallenge::FpdKpdSizes;
use calogen_eval::protocols::{evaluate_calochallenge, CaloChallengeConfig};
use calogen_geometry::Geometry;

fn voxels(path: &str) -> VoxelShowers {
    let f = calogen_data::open(Path::new(path), &Default::default()).expect("open");
    match f.read(0..f.len()).expect("read") {
        ShowerBatch::Voxels(v) => v,
        _ => panic!("{path} is not a CaloChallenge voxel file"),
    }
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 4 {
        eprintln!("usage: REFERENCE.h5 GENERATED.h5 EPOCHS challenge|scaled [SEED]");
        std::process::exit(2);
    }
    let Geometry::CaloChallenge(g) = Geometry::load("calochallenge-ds2").expect("geometry") else {
        panic!("calochallenge-ds2 is a voxelisation");
    };
    let t = Instant::now();
    let (r, s) = (voxels(&a[0]), voxels(&a[1]));
    let cfg = CaloChallengeConfig {
        threshold_mev: g.threshold_mev,
        classifier_epochs: a[2].parse().expect("EPOCHS"),
        prdc_showers: 0,
        fpd_kpd: if a[3] == "scaled" {
            FpdKpdSizes::Scaled
        } else {
            FpdKpdSizes::Challenge
        },
        sums: Default::default(),
        seed: a.get(4).map_or(42, |x| x.parse().expect("SEED")),
    };
    let res = evaluate_calochallenge(&r, &s, &g, &cfg).expect("evaluate");
    let mut v = serde_json::to_value(&res).expect("json");
    v["seconds"] = serde_json::json!(t.elapsed().as_secs_f64());
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({ "calochallenge": v })).unwrap()
    );
}
