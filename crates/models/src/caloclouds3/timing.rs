//! CaloClouds3's own timing: one 50 GeV shower through the whole chain into the ILD barrel's
//! cells, as a whole and its two big stages alone (`calogen bench`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::stand_in::StandInFlow;
use super::{Cc3Pipeline, Condition, LayerProfile};
use crate::bench::stats::{time_ms, time_wall_cpu_ms};
use crate::bench::Summary;
use crate::error::Result;
use crate::family::timing::strings;
use crate::family::{EndToEnd, Stage, TimingOptions};

const E2E_ENERGY_GEV: f32 = 50.0;
const E2E_TARGET_MS: f64 = 1.5;

pub fn end_to_end(
    pipe: &Cc3Pipeline,
    flow: &StandInFlow,
    opts: &TimingOptions,
) -> Result<EndToEnd> {
    let warmup = opts.warmup;
    // The 50 GeV reference shower of SPEC §7: θ = 30°, φ = 45°.
    let cond = Condition::from_local_angles(E2E_ENERGY_GEV, 30.0, 45.0);
    let at = pipe.barrel.gun_placement();
    let reps = opts.repeats_or(5, 201);
    let mut b = pipe.buffers();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut err = None;
    let (whole, whole_cpu) = time_wall_cpu_ms(warmup, reps, || {
        if let Err(e) = pipe.generate(&mut b, flow, &cond, at, &mut rng) {
            err.get_or_insert(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let points = b.x.len();
    let cells_per_shower = b.cells.n_cells();

    let mut profile = LayerProfile::default();
    let t_flow = time_ms(warmup, reps, || {
        std::hint::black_box(
            flow.flow()
                .sample_layers(&cond, &mut rng, &mut profile)
                .ok(),
        );
    });
    let mut ws = pipe.model.workspace();
    let t_net = time_ms(warmup, reps, || {
        let r = pipe
            .model
            .sample_normalised(&mut ws, &cond, points, &mut rng);
        std::hint::black_box(r.ok());
    });
    let ms = Summary::of_timings(&whole)?;
    let (flow_ms, net_ms) = (Summary::of_timings(&t_flow)?, Summary::of_timings(&t_net)?);
    Ok(EndToEnd {
        energy_gev: E2E_ENERGY_GEV,
        points,
        points_source: "mean of Geant4: straight-line fit of points vs energy over \
                        fixtures/ild_photons_angular_small.h5 at 50 GeV"
            .into(),
        geometry: pipe.barrel.name.clone(),
        included: strings(&[
            "ShowerFlow sampling (paper structure, random weights: the cost of the real flow)",
            "one-step CM network (noise, time part cached, per-shower gates, fused kernel)",
            "inverse normalisation with the 1.04 x/y calibration",
            "layer assignment by sorted depth",
            "per-layer energy rescale (x1.00609)",
            "per-layer tilt shift for the incident angle",
            "projection into the ILD barrel's cells",
        ]),
        not_included: strings(&[
            "trained ShowerFlow weights: none exist; the random flow's output is replaced by a \
             stand-in profile (point count from the Geant4 fit, layer shape of the model's own \
             depths), so the sizes downstream are realistic",
        ]),
        stages: vec![
            Stage::new("ShowerFlow sample (alone)", flow_ms),
            Stage::new("noise + network (alone)", net_ms),
            Stage::derived(
                "rest: assignment, calibration, tilt, projection (whole − the two, medians)",
                ms.median - flow_ms.median - net_ms.median,
            ),
        ],
        cells_per_shower,
        target_ms: E2E_TARGET_MS,
        target_met: ms.median <= E2E_TARGET_MS,
        ms,
        cpu_ms: whole_cpu.as_deref().and_then(Summary::of),
        references: Default::default(),
    })
}
