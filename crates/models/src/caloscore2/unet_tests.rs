//! The voxel U-Net on the four CaloChallenge geometries (issue 13, acceptance): output shapes and
//! periodicity in α.

use super::config::{Attention, Cs2Config, Grid, LayerNetConfig, VoxelNetConfig};
use super::export::random_tensors;
use super::model::{voxelisation, Cs2Model};

/// Small widths so that the tests are quick; the structure is the real one.
pub(crate) fn small_config(geometry: &str, attention: Attention) -> Cs2Config {
    Cs2Config {
        geometry: geometry.into(),
        time_embedding: 8,
        layer_net: LayerNetConfig {
            hidden: 16,
            blocks: 2,
            embedding: 8,
        },
        voxel_net: VoxelNetConfig {
            channels: vec![2, 4, 4],
            embedding: 8,
            heads: 2,
            attention,
        },
        layer_steps: 3,
        voxel_steps: 2,
        ..Cs2Config::default()
    }
}

pub(crate) fn small_model(geometry: &str, attention: Attention, seed: u64) -> Cs2Model {
    let cfg = small_config(geometry, attention);
    let tensors = random_tensors(&cfg, seed, 1.0).unwrap();
    Cs2Model::from_tensors(cfg, &tensors).unwrap()
}

fn inputs(m: &Cs2Model, batch: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..batch * m.n_voxels())
        .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    let t = (0..batch).map(|b| 0.3 + 0.2 * b as f64).collect();
    let e = (0..batch).map(|b| 0.25 * (b + 1) as f32).collect();
    let l = (0..batch * m.n_layers())
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    (x, t, e, l)
}

#[test]
fn unet_output_shape_on_all_four_calochallenge_geometries() {
    for (name, grid_dims, attention) in [
        ("calochallenge-ds1-photons", vec![368], Attention::AllLow),
        ("calochallenge-ds1-pions", vec![533], Attention::AllLow),
        ("calochallenge-ds2", vec![45, 16, 9], Attention::Lowest),
        ("calochallenge-ds3", vec![45, 50, 18], Attention::Lowest),
    ] {
        let cfg = small_config(name, attention);
        let geo = voxelisation(&cfg, name).unwrap();
        let grid = Grid::of(&geo);
        assert_eq!(grid.dims, grid_dims, "{name}");
        assert_eq!(grid.n_voxels(), geo.n_voxels, "{name}");
        let m = small_model(name, attention, 1);
        let batch = 2;
        let (x, t, e, l) = inputs(&m, batch);
        let v = m.voxel_net.forward(&x, &t, &e, &l);
        assert_eq!(v.len(), batch * geo.n_voxels, "{name}");
        assert!(v.iter().all(|v| v.is_finite()), "{name}");
        let lv = m.layer_net.forward(&l, &t, &e);
        assert_eq!(lv.len(), batch * geo.n_layers(), "{name}");
    }
}

/// Dataset 2: rolling the input by 8 α bins (and nothing else) rolls the output by 8 bins. The
/// net halves α three times (16 → 8 → 4 → 2), so a shift of 8 stays a whole shift at every level;
/// attention has no positional encoding and the padding along α is circular.
#[test]
fn unet_is_periodic_in_alpha() {
    let m = small_model("calochallenge-ds2", Attention::Lowest, 2);
    let [nl, na, nr] = [45, 16, 9];
    let roll = |v: &[f32], by: usize| -> Vec<f32> {
        let mut out = v.to_vec();
        for (s, d) in v
            .chunks_exact(nl * na * nr)
            .zip(out.chunks_exact_mut(nl * na * nr))
        {
            for l in 0..nl {
                for a in 0..na {
                    for r in 0..nr {
                        d[(l * na + (a + by) % na) * nr + r] = s[(l * na + a) * nr + r];
                    }
                }
            }
        }
        out
    };
    let (x, t, e, l) = inputs(&m, 2);
    let v = m.voxel_net.forward(&x, &t, &e, &l);
    let v_rolled = m.voxel_net.forward(&roll(&x, 8), &t, &e, &l);
    let want = roll(&v, 8);
    let worst = v_rolled
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-5, "worst difference {worst}");
    // The output does depend on α (the test is not vacuous).
    let moved = v
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(moved > 1e-3, "{moved}");
}

/// A shower's velocity does not depend on the other showers of its batch (bytes), which is what
/// makes serial and parallel generation agree.
#[test]
fn unet_rows_do_not_depend_on_the_batch() {
    let m = small_model("calochallenge-ds1-photons", Attention::AllLow, 3);
    let (x, t, e, l) = inputs(&m, 3);
    let all = m.voxel_net.forward(&x, &t, &e, &l);
    let (nv, nl) = (m.n_voxels(), m.n_layers());
    let one = m
        .voxel_net
        .forward(&x[nv..2 * nv], &t[1..2], &e[1..2], &l[nl..2 * nl]);
    assert_eq!(&all[nv..2 * nv], &one[..]);
}
