//! `calogen bench` end to end: both modes run quickly with few repeats and write their JSON.

mod common;
use common::calogen;

fn run_json(args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let out = calogen()
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).is_empty());
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

fn positive(v: &serde_json::Value) -> f64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!(x.is_finite() && x > 0.0, "{v}");
    x
}

#[test]
fn protocol_json_fields() {
    let r = run_json(&["--model", "caloclouds3", "--batch", "1,2", "--repeats", "2"]);
    assert_eq!(r["model"], "caloclouds3");
    assert!(r["stages"].as_str().unwrap().contains("ShowerFlow"));
    // Generation: the point network (time embedding 64·64 + 64 and six ConcatSquashLinear
    // layers, 69608) and the flow; training adds the EDM teacher (the same architecture).
    let gen = r["parameters"]["generation"].as_u64().unwrap();
    assert!(gen > 69608);
    assert_eq!(r["parameters"]["training"].as_u64().unwrap(), gen + 69608);
    let rows = r["rows"].as_array().unwrap();
    // Threads 1 and all, batches 1 and 2.
    assert_eq!(rows.len(), 4);
    for row in rows {
        assert_eq!(row["repeats"], 2);
        assert_eq!(row["showers"], row["batch"]);
        for key in [
            "load_ms",
            "generate_ms_per_shower",
            "save_ms_per_shower",
            "total_ms_per_shower",
        ] {
            assert_eq!(row[key]["n"], 2, "{key}");
            positive(&row[key]["mean"]);
            assert!(row[key]["std"].as_f64().unwrap() >= 0.0);
        }
        let total = row["total_ms_per_shower"]["mean"].as_f64().unwrap();
        let gen = row["generate_ms_per_shower"]["mean"].as_f64().unwrap();
        assert!(total > gen);
        positive(&row["mean_points_per_shower"]);
    }
    assert_eq!(rows[0]["threads"], 1);
    positive(&r["machine"]["logical_cpus"]);
}

#[test]
fn network_quick_json_fields() {
    let r = run_json(&["--quick"]);
    let peak = positive(&r["peak_gflops"]);
    assert_eq!(r["threads"], 1);
    assert_eq!(r["flops"]["per_point"], 42456);
    let shapes = r["shapes"].as_array().unwrap();
    let want = [(1, 1000), (1, 3000), (1, 6000), (64, 1500)];
    assert_eq!(shapes.len(), want.len());
    for (s, (b, n)) in shapes.iter().zip(want) {
        assert_eq!(
            (s["showers"].as_u64(), s["points"].as_u64()),
            (Some(b), Some(n))
        );
        let median = positive(&s["ms"]["median"]);
        assert!(s["ms"]["min"].as_f64().unwrap() <= median);
        // Thread CPU time is measured on Linux and cannot exceed the wall time by much.
        if cfg!(target_os = "linux") {
            let cpu = positive(&s["cpu_ms"]["median"]);
            assert!(cpu <= 1.5 * s["ms"]["max"].as_f64().unwrap(), "{cpu}");
        }
        let gflops = positive(&s["gflops"]);
        let flops = s["flops"].as_f64().unwrap();
        assert!((gflops - flops / (median * 1e-3) / 1e9).abs() < 1e-6 * gflops);
        assert!((s["percent_of_peak"].as_f64().unwrap() - 100.0 * gflops / peak).abs() < 1e-6);
        let torch_lo = s["torch_ms"][0].as_f64().unwrap();
        assert!((s["speedup"][0].as_f64().unwrap() - torch_lo / median).abs() < 1e-9);
        // No kernel beats 100 % of the peak: the ceiling is above the achieved speed-up.
        let ceiling = positive(&s["speedup_ceiling_at_peak"]);
        let at_peak_ms = flops / (peak * 1e9) * 1e3;
        assert!((ceiling - torch_lo / at_peak_ms).abs() < 1e-9 * ceiling);
    }
    let e = &r["end_to_end_50gev"];
    assert_eq!(e["points"], 1407);
    assert_eq!(e["geometry"], "ild-ecal-barrel");
    positive(&e["ms"]["median"]);
    positive(&e["cells_per_shower"]);
    assert_eq!(e["stages"].as_array().unwrap().len(), 3);
    assert!(!e["not_included"].as_array().unwrap().is_empty());
}

#[test]
fn bad_arguments_are_named() {
    let out = calogen()
        .args(["bench", "--model", "nosuchmodel", "--batch", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nosuchmodel") && err.contains("caloclouds3"),
        "{err}"
    );
    let out = calogen().args(["bench", "--batch", "1"]).output().unwrap();
    assert!(!out.status.success(), "--batch without --model must fail");
    let out = calogen().args(["bench", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("calogen bench --model caloclouds3"));
}

#[test]
fn protocol_runs_the_caloclouds2_model() {
    let r = run_json(&[
        "--model",
        "caloclouds2",
        "--batch",
        "2",
        "--threads",
        "1",
        "--repeats",
        "2",
    ]);
    assert_eq!(r["model"], "caloclouds2");
    // The embedded PointWise Net alone has 4→128→256→512→256→128→4 ConcatSquashLinear layers
    // (≈ 330 k weights); training counts it twice (teacher and student).
    let gen = r["parameters"]["generation"].as_u64().unwrap();
    let train = r["parameters"]["training"].as_u64().unwrap();
    assert!(gen > 330_000 && train > gen, "{gen} {train}");
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    positive(&rows[0]["generate_ms_per_shower"]["mean"]);
}
