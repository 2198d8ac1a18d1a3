//! Tests of the CaloClouds3 family adapter and its stand-in profiles.

mod tests {
    use std::path::Path;

    use calogen_data::ShowerBatch;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::super::family::{Cc3Family, Profiles, TEACHER_TRAINABLE};
    use super::super::stand_in::*;
    use super::super::{Cc3ShowerFlow, Condition, LayerProfile, LayerProfileSampler};
    use crate::bench::protocol::{run_protocol, ProtocolOptions, Threads};
    use crate::family::ModelFamily;

    fn stand_in(m: &Cc3Family) -> &StandInFlow {
        match m.profiles() {
            Profiles::StandIn(f) => f,
            _ => panic!("stand-in profiles expected"),
        }
    }

    #[test]
    fn fit_matches_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ild_photons_angular_small.h5"
        );
        let f = calogen_data::open(Path::new(path), &Default::default()).unwrap();
        let b = f.read(0..f.len()).unwrap();
        let ShowerBatch::Points(pc) = b else {
            panic!("points expected")
        };
        let e: Vec<f64> = pc
            .incident_energy
            .iter()
            .map(|&v| v as f64 / 1000.0)
            .collect();
        let n: Vec<f64> = (0..pc.len()).map(|i| pc.shower(i).len() as f64).collect();
        let k = e.len() as f64;
        let (me, mn) = (e.iter().sum::<f64>() / k, n.iter().sum::<f64>() / k);
        let sxy: f64 = e.iter().zip(&n).map(|(a, b)| (a - me) * (b - mn)).sum();
        let sxx: f64 = e.iter().map(|a| (a - me) * (a - me)).sum();
        let slope = sxy / sxx;
        let intercept = mn - slope * me;
        assert!((slope - POINTS_FIT_SLOPE_PER_GEV).abs() < 1e-3, "{slope}");
        assert!(
            (intercept - POINTS_FIT_INTERCEPT).abs() < 1e-2,
            "{intercept}"
        );
        assert_eq!(fitted_points(50.0), 1407);
    }

    #[test]
    fn parameters_counted_from_shapes() {
        let m = Cc3Family::embedded().unwrap();
        // Time: 64·64 + 64; layers: Σ in·out + out (W, b), 68·out + out (G, g), 68·out (H)
        // with Σ in·out = 20736 and Σ out = 324.
        let student = 4096 + 64 + 20736 + 324 + 68 * 324 + 324 + 68 * 324;
        let flow: u64 = Cc3ShowerFlow::tensor_shapes(stand_in(&m).flow().config())
            .iter()
            .map(|(_, s)| s.iter().product::<usize>() as u64)
            .sum();
        assert!(flow > 10_000, "{flow}");
        let p = m.parameters();
        assert_eq!(p.generation, student + flow);
        assert_eq!(p.training, student + flow + TEACHER_TRAINABLE);
    }

    #[test]
    fn stand_in_profile_has_the_fitted_size() {
        let m = Cc3Family::embedded().unwrap();
        let t = stand_in(&m).template();
        assert_eq!(t.points.len(), 30);
        assert_eq!(t.points.iter().sum::<u32>() as usize, fitted_points(50.0));
        let mut out = LayerProfile::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let c = Condition::from_local_angles(20.0, 10.0, 0.0);
        stand_in(&m).sample_profile(&c, &mut rng, &mut out).unwrap();
        assert_eq!(out.points.iter().sum::<u32>() as usize, fitted_points(20.0));
        let e_t: f64 = t.energy_mev.iter().sum();
        let e_o: f64 = out.energy_mev.iter().sum();
        assert!((e_o - e_t * 20.0 / 50.0).abs() < 1e-9 * e_t);
    }

    #[test]
    fn same_showers_serial_and_parallel() {
        let m = Cc3Family::embedded().unwrap();
        let inc = m.bench_incidents(5, 3);
        assert!(inc
            .iter()
            .all(|i| (10_000.0..90_000.0).contains(&i.energy_mev) && i.direction[2] > 0.76));
        let a = m.generate(&inc, 9, 0, false).unwrap();
        let b = m.generate(&inc, 9, 0, true).unwrap();
        let (ShowerBatch::Points(a), ShowerBatch::Points(b)) = (a, b) else {
            panic!("points expected")
        };
        assert!(a.is_consistent());
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
        assert_eq!(
            a.shower(0).len(),
            fitted_points(inc[0].energy_mev as f64 / 1000.0)
        );
        assert!(a.energy.iter().all(|e| e.is_finite() && *e > 0.0));
        assert!(a.layer.iter().all(|&l| l < 30));
        assert!(a.shower(0).layer.iter().any(|&l| l > 5));
    }

    #[test]
    fn protocol_runs_and_reports() {
        let dir = std::env::temp_dir().join(format!("calogen-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let opts = ProtocolOptions {
            batches: vec![1, 3],
            showers: None,
            repeats: 2,
            threads: vec![Threads::One, Threads::Pool(2)],
            seed: 1,
            save_dir: dir.clone(),
        };
        let done = std::sync::atomic::AtomicU64::new(0);
        let r = run_protocol(
            "caloclouds3",
            &|| Ok(Box::new(Cc3Family::embedded()?)),
            &opts,
            &|k| {
                done.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
            },
        )
        .unwrap();
        assert_eq!(done.into_inner(), opts.total_showers());
        assert_eq!(opts.total_showers(), (1 + 3) * 2 * 2);
        assert_eq!(r.rows.len(), 4);
        for row in &r.rows {
            assert_eq!(row.repeats, 2);
            assert!(row.generate_ms_per_shower.mean > 0.0 && row.load_ms.min > 0.0);
            assert!(row.mean_points_per_shower > 500.0);
        }
        // Every save file was removed after timing.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
    }
}

mod teacher_tests {
    use super::super::family::TEACHER_TRAINABLE;
    use crate::io::load_pt;

    #[test]
    fn teacher_parameters_from_checkpoint() {
        let Some(path) = calogen_data::shared_data::shared_data("caloclouds3/example_cm_model.pt")
        else {
            return;
        };
        let t = load_pt(&path, &["others", "model_teacher"]).unwrap();
        // `timestep_embed.0` is k-diffusion's FourierFeatures: a buffer, not trained.
        let trainable: usize = t
            .iter()
            .filter(|(name, _)| !name.ends_with("timestep_embed.0.weight"))
            .map(|(_, tensor)| tensor.data.len())
            .sum();
        assert_eq!(trainable as u64, TEACHER_TRAINABLE);
        assert_eq!(t.len(), 33);
    }
}
