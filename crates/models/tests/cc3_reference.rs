//! CaloClouds3 consistency model against the PyTorch reference vectors (`cc3_reference.h5`,
//! SPEC §7), built once from the original `.pt` checkpoint and once from the safetensors export.
//!
//! Tolerances (SPEC §7): 1e-4 absolute for normalised values, 1e-4 relative for hit energies. For
//! de-normalised x, y, z we map the normalised tolerance through the affine inverse (×2·std).

use std::path::{Path, PathBuf};

use calogen_data::hdf5;
use calogen_models::caloclouds3::{Cc3Config, Cc3Model, Condition};
use calogen_models::io;
use calogen_models::nn::fused::Backend;

const NORMALISED_ATOL: f32 = 1e-4;
const ENERGY_RTOL: f32 = 1e-4;

/// `../shared/data/caloclouds3` (a CI run without it fails; locally the test is skipped).
fn data_dir() -> Option<PathBuf> {
    calogen_data::shared_data::shared_data("caloclouds3/cc3_reference.h5")
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

struct Reference(hdf5::File);

impl Reference {
    fn open(dir: &Path) -> Self {
        Reference(hdf5::File::open(dir.join("cc3_reference.h5")).expect("open reference"))
    }

    fn read(&self, name: &str) -> (Vec<usize>, Vec<f32>) {
        let ds = self
            .0
            .dataset(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let data = ds
            .read_raw::<f32>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        (ds.shape(), data)
    }

    /// Row `i` of a dataset whose first axis is the shower.
    fn row(&self, name: &str, i: usize) -> Vec<f32> {
        let (shape, data) = self.read(name);
        let per: usize = shape[1..].iter().product();
        data[i * per..(i + 1) * per].to_vec()
    }
}

/// Largest deviation per check, printed at the end and asserted against its tolerance.
#[derive(Default)]
struct Report(Vec<(String, f32, f32)>);

impl Report {
    /// max |got − want| / (atol + rtol·|want|) must stay ≤ 1; records max |got − want|.
    fn close(&mut self, what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        let mut worst_abs = 0.0f32;
        let mut worst_ratio = 0.0f32;
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let d = (g - w).abs();
            assert!(d.is_finite(), "{what}[{i}]: got {g}, want {w}");
            worst_abs = worst_abs.max(d);
            worst_ratio = worst_ratio.max(d / (atol + rtol * w.abs()));
        }
        assert!(
            worst_ratio <= 1.0,
            "{what}: max |Δ| {worst_abs:e} exceeds atol {atol:e} + rtol {rtol:e}·|ref|"
        );
        self.0.push((what.to_string(), worst_abs, worst_ratio));
    }

    fn print(&self, label: &str) {
        println!(
            "{label}: {:<34} {:>11} {:>12}",
            "check", "max |Δ|", "Δ/tolerance"
        );
        for (what, d, r) in &self.0 {
            println!("{label}: {what:<34} {d:>11.3e} {r:>12.3}");
        }
    }
}

fn check_model(model: &Cc3Model, r: &Reference, label: &str) {
    let mut rep = Report::default();
    let cfg = model.config();
    let norm = &cfg.point_norm;
    let (_, energies) = r.read("incident_energy_GeV");
    let (_, angles) = r.read("theta_phi_deg");
    let (_, sigmas) = r.read("sigma");
    let (shape, _) = r.read("x_T");
    let n = shape[1];
    let mut ws = model.workspace();
    let mut ws_portable = model.workspace();
    ws_portable.mlp_mut().set_backend(Backend::Portable);

    for i in 0..energies.len() {
        let sigma = sigmas[i];
        assert_eq!(sigma as f64, cfg.sigma_max);
        let c = Condition::from_local_angles(
            energies[i],
            angles[2 * i] as f64,
            angles[2 * i + 1] as f64,
        );
        let cond_raw = [energies[i], c.direction[0], c.direction[1], c.direction[2]];
        let t = NORMALISED_ATOL;
        rep.close("cond_raw", &cond_raw, &r.row("cond_raw", i), t, 0.0);
        rep.close("cond", &model.cond_vector(&c), &r.row("cond", i), t, 0.0);
        // From here on, feed the reference's own inputs so each stage is checked alone.
        let cond = r.row("cond", i);

        let s = model.scalings(sigma);
        rep.close("c_skip", &[s.c_skip; 4], &r.row("c_skip", i), 0.0, 1e-5);
        rep.close("c_out", &[s.c_out; 4], &r.row("c_out", i), 0.0, 1e-5);
        rep.close("c_in", &[s.c_in; 4], &r.row("c_in", i), 0.0, 1e-5);

        let x_t: Vec<f32> = r.row("noise_unit", i).iter().map(|e| e * sigma).collect();
        rep.close("x_T = 80·noise_unit", &x_t, &r.row("x_T", i), 0.0, 0.0);
        let net_input: Vec<f32> = x_t.iter().map(|v| v * s.c_in).collect();
        rep.close("net_input", &net_input, &r.row("net_input", i), t, 0.0);

        let ctx = model.network().context(sigma, &cond).unwrap();
        let c_noise = [ctx.time.c_noise];
        rep.close(
            "debug/c_noise",
            &c_noise,
            &r.row("debug/c_noise", i),
            t,
            0.0,
        );
        let ff = r.row("debug/fourier_features", i);
        rep.close("debug/fourier_features", &ctx.time.features, &ff, t, 0.0);
        let te = r.row("debug/time_emb", i);
        rep.close("debug/time_emb", &ctx.time.embedding, &te, t, 0.0);
        rep.close("debug/ctx", &ctx.ctx, &r.row("debug/ctx", i), t, 0.0);

        let outs = model
            .network()
            .forward_reference(&r.row("net_input", i), n, &ctx.ctx);
        for (l, out) in outs.iter().enumerate() {
            let name = format!("debug/layer{l}_out_first256");
            let want = r.row(&name, i);
            rep.close(&name, &out[..want.len()], &want, t, 0.0);
        }
        let raw_ref = r.row("net_output_raw", i);
        rep.close(
            "net_output_raw (reference path)",
            &outs[5],
            &raw_ref,
            t,
            0.0,
        );

        let mut raw = vec![0.0; x_t.len()];
        for (w, what) in [
            (&mut ws, "net_output_raw (fused)"),
            (&mut ws_portable, "net_output_raw (fused, portable)"),
        ] {
            model
                .network_output(w, &x_t, &cond, sigma, &mut raw)
                .unwrap();
            rep.close(what, &raw, &raw_ref, t, 0.0);
        }

        let x0 = model.denoise(&x_t, &cond, sigma).unwrap();
        rep.close("x0_normalised", &x0, &r.row("x0_normalised", i), t, 0.0);
        let x0_f64 = r.row("x0_normalised_f64numpy", i);
        rep.close("x0_normalised_f64numpy", &x0, &x0_f64, t, 0.0);

        for (scale, name) in [(1.0, "points"), (norm.xy_calibration, "points_xy_cal104")] {
            let got = norm.denormalise(&x0, scale);
            let want = r.row(name, i);
            let atol = [
                2.0 * norm.x_std * scale,
                2.0 * norm.y_std * scale,
                2.0 * norm.z_std,
            ];
            for (f, axis) in ["x", "y", "z"].iter().enumerate() {
                let g: Vec<f32> = got.iter().skip(f).step_by(4).copied().collect();
                let w: Vec<f32> = want.iter().skip(f).step_by(4).copied().collect();
                let tol = t * atol[f] as f32;
                rep.close(&format!("{name} {axis}"), &g, &w, tol, 0.0);
            }
            let g: Vec<f32> = got.iter().skip(3).step_by(4).copied().collect();
            let w: Vec<f32> = want.iter().skip(3).step_by(4).copied().collect();
            rep.close(&format!("{name} E"), &g, &w, 0.0, ENERGY_RTOL);
        }
    }

    // One ConcatSquashLinear (`layers.2`) on random input, per batch entry.
    let (xs, x) = r.read("unit_csl/x");
    let (_, ctx) = r.read("unit_csl/ctx");
    let (os, out) = r.read("unit_csl/out");
    let layer = &model.network().layers()[2];
    let (rows, k, m, cd) = (xs[1], xs[2], os[2], cfg.ctx_dim);
    for b in 0..xs[0] {
        let mut y = vec![0.0; rows * m];
        layer.forward(
            &x[b * rows * k..(b + 1) * rows * k],
            rows,
            &ctx[b * cd..(b + 1) * cd],
            &mut y,
        );
        let want = &out[b * rows * m..(b + 1) * rows * m];
        rep.close("unit_csl/out", &y, want, NORMALISED_ATOL, 0.0);
    }
    rep.print(label);
}

#[test]
fn reference_from_safetensors() {
    let Some(dir) = data_dir() else { return };
    let model = Cc3Model::from_safetensors(
        &dir.join("cc3_cm_ema.safetensors"),
        &dir.join("cc3_cm_config.json"),
    )
    .unwrap();
    check_model(&model, &Reference::open(&dir), "safetensors");
}

#[test]
fn reference_from_pt() {
    let Some(dir) = data_dir() else { return };
    let model = Cc3Model::from_pt(
        &dir.join("example_cm_model.pt"),
        &dir.join("cc3_cm_config.json"),
    )
    .unwrap();
    check_model(&model, &Reference::open(&dir), "pt");
}

#[test]
fn pt_and_safetensors_hold_the_same_weights() {
    let Some(dir) = data_dir() else { return };
    let cfg = Cc3Config::from_file(&dir.join("cc3_cm_config.json")).unwrap();
    let from_pt =
        calogen_models::caloclouds3::pt_weights(&dir.join("example_cm_model.pt"), &cfg).unwrap();
    let from_st = io::load_safetensors(&dir.join("cc3_cm_ema.safetensors")).unwrap();
    assert_eq!(from_pt.len(), from_st.len());
    assert_eq!(from_pt.len(), cfg.tensor_names.len());
    for (name, t) in from_st.iter() {
        assert_eq!(from_pt.get(name, &t.shape).unwrap(), t, "{name}");
    }
}

#[test]
fn embedded_weights_are_the_shared_ones() {
    let Some(dir) = data_dir() else { return };
    let embedded = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/caloclouds3/cc3_cm_ema.safetensors"),
    )
    .unwrap();
    let shared = std::fs::read(dir.join("cc3_cm_ema.safetensors")).unwrap();
    assert!(embedded == shared, "assets/caloclouds3 is out of date");
}

#[test]
fn missing_pt_key_names_file_and_key() {
    let Some(dir) = data_dir() else { return };
    let pt = dir.join("example_cm_model.pt");
    let err = io::load_pt(&pt, &["others", "no_such_model"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("example_cm_model.pt"), "{err}");
    assert!(err.contains("no_such_model"), "{err}");
}
