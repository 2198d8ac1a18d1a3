//! The post-processing steps on real Geant4 showers (fixtures/ild_photons_angular_small.h5: photons
//! at up to 40° whose points are NOT tilt-corrected, with their direction `p_norm_local`).

use std::path::Path;

use calogen_data::{open, PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_models::postprocess::{
    centre_of_gravity, layer_energies, rescale_layer_energies, LayerAssigner, TiltShift,
};

fn angular() -> PointClouds {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_angular_small.h5");
    let f = open(&path, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(p) => p,
        _ => panic!("{}: expected points", path.display()),
    }
}

/// Depth of each sensitive layer's centre from the gun, for the file's ECAL (data README: layer i
/// silicon centre at sum_{j<=i} w_j + 0.5 i + 0.25 mm from the front face, gun 1 mm in front).
fn depths_from_gun() -> Vec<f64> {
    let mut absorber = 0.0;
    (0..30)
        .map(|i| {
            absorber += if i < 20 { 2.1 } else { 4.2 };
            1.0 + absorber + 0.5 * i as f64 + 0.25
        })
        .collect()
}

/// Energy-weighted spread over layers of the per-layer centre of gravity (mm), averaged over showers.
fn layer_cog_spread(c: &PointClouds) -> f64 {
    let mut total = 0.0;
    for s in c.iter() {
        let mut cogs = Vec::new();
        for l in 0..30u16 {
            let idx: Vec<usize> = (0..s.len()).filter(|&i| s.layer[i] == l).collect();
            let e: Vec<f32> = idx.iter().map(|&i| s.energy[i]).collect();
            let x: Vec<f32> = idx.iter().map(|&i| s.x[i]).collect();
            let y: Vec<f32> = idx.iter().map(|&i| s.y[i]).collect();
            if let Some(g) = centre_of_gravity(&x, &y, &e) {
                cogs.push((g, e.iter().map(|&v| v as f64).sum::<f64>()));
            }
        }
        let w: f64 = cogs.iter().map(|c| c.1).sum();
        let mx = cogs.iter().map(|c| c.0[0] * c.1).sum::<f64>() / w;
        let my = cogs.iter().map(|c| c.0[1] * c.1).sum::<f64>() / w;
        let var = cogs
            .iter()
            .map(|c| ((c.0[0] - mx).powi(2) + (c.0[1] - my).powi(2)) * c.1)
            .sum::<f64>()
            / w;
        total += var.sqrt();
    }
    total / c.len() as f64
}

#[test]
fn tilt_removal_makes_geant4_showers_upright_and_restore_undoes_it() {
    let original = angular();
    let tilt = TiltShift::new(depths_from_gun()).unwrap();
    let mut upright = original.clone();
    tilt.remove_clouds(&mut upright).unwrap();
    let before = layer_cog_spread(&original);
    let after = layer_cog_spread(&upright);
    eprintln!(
        "per-layer CoG spread about the shower's CoG: {before:.2} mm tilted, {after:.2} mm upright"
    );
    // Tilted photons (up to 40°) drift sideways with depth (measured: 6.3 mm energy-weighted spread
    // over the fixture); upright, the layer centres
    // of gravity only scatter by the shower's own fluctuations.
    assert!(before > 5.0 && after < 0.35 * before, "{before} → {after}");
    let mut back = upright.clone();
    tilt.restore_clouds(&mut back).unwrap();
    for (a, b) in back
        .x
        .iter()
        .chain(&back.y)
        .zip(original.x.iter().chain(&original.y))
    {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}

#[test]
fn reassigning_layers_by_depth_and_rescaling_restores_geant4_layer_energies() {
    // Layers → a continuous depth with jitter inside the layer, reassigned with the true counts,
    // then rescaled to the true layer energies: each layer gets back exactly its energy.
    let c = angular();
    let mut assigner = LayerAssigner::new();
    let mut sums = Vec::new();
    for s in c.iter().take(10) {
        let mut counts = [0u32; 30];
        for &l in s.layer {
            counts[l as usize] += 1;
        }
        let mut truth = Vec::new();
        layer_energies(s.layer, s.energy, 30, &mut truth).unwrap();
        let mut z: Vec<f32> = s
            .layer
            .iter()
            .enumerate()
            .map(|(i, &l)| l as f32 + 0.9 * ((i * 7919 % 101) as f32 / 101.0))
            .collect();
        let mut layer = vec![0u16; s.len()];
        assigner.assign(&mut z, &counts, None, &mut layer).unwrap();
        assert_eq!(
            layer, s.layer,
            "jitter below one layer keeps every point in its layer"
        );
        let mut energy = vec![1.0f32; s.len()];
        let r = rescale_layer_energies(&layer, &mut energy, &truth, &mut sums).unwrap();
        assert_eq!(r.empty_layers, 0);
        let mut got = Vec::new();
        layer_energies(&layer, &energy, 30, &mut got).unwrap();
        for (g, t) in got.iter().zip(&truth) {
            assert!((g - t).abs() <= 1e-5 * t.max(1e-3), "{g} vs {t}");
        }
    }
}
