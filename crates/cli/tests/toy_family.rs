//! The proof that a new model family is one folder and one registry line: a toy family defined
//! here, registered in a test, goes through `generate` (points and cells), `bench` (the timing
//! protocol) and `evaluate` (its showers against themselves) without a line of CLI code knowing it.

use std::path::Path;

use calogen_cli::{run_with, Registry};
use calogen_data::{PointClouds, PointLayout, ShowerBatch, ShowerFileOptions};
use calogen_models::family::{FamilyEntry, ParameterCounts, TrainedRange};
use calogen_models::nn::shower_rng;
use calogen_models::{Incident, LoadOptions, ModelFamily};
use rand::Rng;

/// One to four points per layer of the ILD-like ECAL within 20 mm of the axis, carrying 3 % of
/// the incident energy in equal parts (the silicon sampling fraction).
struct Toy;

const LAYERS: u16 = 30;

impl ModelFamily for Toy {
    fn name(&self) -> &str {
        "toy"
    }
    fn describe(&self) -> String {
        "toy: 1-4 points per layer".into()
    }
    fn geometry(&self) -> &str {
        "ild-ecal"
    }
    fn layout(&self) -> PointLayout {
        PointLayout::caloclouds2()
    }
    fn trained_range(&self) -> TrainedRange {
        TrainedRange {
            energy_gev: (1.0, 100.0),
            theta_deg: (0.0, 0.0),
        }
    }
    fn parameters(&self) -> ParameterCounts {
        ParameterCounts {
            training: 0,
            generation: 0,
            note: "no network".into(),
        }
    }
    fn stages(&self) -> String {
        "1-4 points per layer".into()
    }
    fn bench_incidents(&self, n: usize, _seed: u64) -> Vec<Incident> {
        (0..n)
            .map(|i| Incident::perpendicular(10_000.0 + i as f32))
            .collect()
    }
    fn generate(
        &self,
        inc: &[Incident],
        seed: u64,
        first: u64,
        _par: bool,
    ) -> calogen_models::Result<ShowerBatch> {
        let mut pc = PointClouds::new();
        for (k, i) in inc.iter().enumerate() {
            // Shower k draws from its own stream, as the API asks.
            let mut rng = shower_rng(seed, first + k as u64);
            let (mut x, mut y, mut layer) = (Vec::new(), Vec::new(), Vec::new());
            for l in 0..LAYERS {
                for _ in 0..rng.random_range(1..=4) {
                    x.push(rng.random_range(-20.0..20.0));
                    y.push(rng.random_range(-20.0..20.0));
                    layer.push(l);
                }
            }
            let e = vec![0.03 * i.energy_mev / x.len() as f32; x.len()];
            pc.push(&x, &y, &[], &layer, &e, i.energy_mev, None);
        }
        Ok(ShowerBatch::Points(pc))
    }
}

fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register(FamilyEntry {
        name: "toy",
        summary: "a test-only family",
        load: |_dir, opts: &LoadOptions| {
            opts.only("toy", &[])?;
            Ok(Box::new(Toy))
        },
        recognises: |dir| dir.join("toy.txt").exists(),
    });
    r
}

fn calogen(args: &[&str], dir: &Path) {
    let mut all = vec!["calogen".to_string()];
    all.extend(
        args.iter()
            .map(|a| a.replace("DIR", &dir.display().to_string())),
    );
    run_with(all, &registry()).unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
}

#[test]
fn toy_family_goes_through_generate_bench_and_evaluate() {
    std::env::set_var("CI", "1");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    calogen(
        &[
            "generate",
            "--model",
            "toy",
            "--energy",
            "10GeV..90GeV",
            "--n",
            "40",
            "--format",
            "both",
            "--threads",
            "2",
            "--out",
            "DIR/toy.h5",
        ],
        d,
    );
    let f = calogen_data::open(&d.join("toy.h5"), &ShowerFileOptions::default()).unwrap();
    let ShowerBatch::Points(pc) = f.read(0..f.len()).unwrap() else {
        panic!("points expected")
    };
    assert_eq!(pc.len(), 40);
    for s in pc.iter() {
        assert!((LAYERS as usize..=4 * LAYERS as usize).contains(&s.len()));
        let sum: f32 = s.energy.iter().sum();
        assert!((sum - 0.03 * s.incident_energy).abs() < 1e-3 * s.incident_energy);
    }
    let cells = calogen_data::open(&d.join("toy_cells.h5"), &ShowerFileOptions::default()).unwrap();
    assert_eq!(cells.len(), 40);

    // A folder whose family.json names the family loads it.
    std::fs::create_dir(d.join("m")).unwrap();
    std::fs::write(d.join("m/family.json"), r#"{"family": "toy"}"#).unwrap();
    calogen(
        &[
            "generate", "--model", "DIR/m", "--energy", "50GeV", "--n", "2", "--out", "DIR/m.h5",
        ],
        d,
    );
    assert!(d.join("m.h5").exists());

    calogen(
        &[
            "bench",
            "--model",
            "toy",
            "--batch",
            "1,3",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--json",
            "DIR/bench.json",
        ],
        d,
    );
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("bench.json")).unwrap()).unwrap();
    assert_eq!(b["model"], "toy");
    assert_eq!(b["rows"].as_array().unwrap().len(), 2);
    assert!(b["rows"][1]["mean_points_per_shower"].as_f64().unwrap() >= 30.0);

    calogen(
        &[
            "evaluate",
            "--reference",
            "DIR/toy.h5",
            "--reference-showers",
            "0..20",
            "--generated",
            "DIR/toy.h5",
            "--generated-showers",
            "20..40",
            "--out",
            "DIR/eval",
            "--classifier-repeats",
            "0",
            "--no-plots",
        ],
        d,
    );
    assert!(d.join("eval/metrics.json").exists());

    // Options the family does not take are refused by name.
    let err = run_with(
        [
            "calogen", "generate", "--model", "toy", "--energy", "5GeV", "--n", "1", "--out",
        ]
        .into_iter()
        .map(String::from)
        .chain([
            d.join("x.h5").display().to_string(),
            "--flow".into(),
            "f".into(),
        ]),
        &registry(),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("--flow is not an option of the toy family"),
        "{err:#}"
    );
}
