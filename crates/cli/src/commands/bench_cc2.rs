//! `calogen bench`, CaloClouds II part: one 50 GeV photon shower of the embedded one-step model
//! end to end (paper 000 §5 timing; issue target ≤ 8 ms on one thread), beside Geant4 on this
//! machine and the paper's own CPU figure.

use anyhow::{bail, Context, Result};
use calogen_data::{CellShowers, PointClouds};
use calogen_geometry::{CellProjector, Geometry, OutsideReport};
use calogen_models::bench::stats::{time_ms, time_wall_cpu_ms};
use calogen_models::bench::Summary;
use calogen_models::caloclouds2::pipeline::shower_rng;
use calogen_models::caloclouds2::sampling::RawPoints;
use calogen_models::caloclouds2::Cc2Model;

use super::bench::{EndToEnd, Stage};

const ENERGY_GEV: f32 = 50.0;
pub const TARGET_MS: f64 = 8.0;
/// Geant4 11.4, one 50 GeV photon in the ILD-like ECAL, one thread on the project machine
/// (../shared/data/README.md).
pub const GEANT4_MS: f64 = 190.0;
/// Paper 000 (CaloClouds II, consistency model, 1 CPU thread of its machine).
pub const PAPER_MS: f64 = 84.0;
const GEOMETRY: &str = "ild-ecal";

/// The embedded CaloClouds II model, one 50 GeV shower at a time: ShowerFlow → points → one-step
/// network → layer assignment → energy rescale → CoG shift → cells of `ild-ecal`.
pub fn end_to_end(seed: u64, warmup: usize, reps: usize) -> Result<EndToEnd> {
    let model = Cc2Model::embedded().context("loading the embedded CaloClouds II model")?;
    let Geometry::Planar(g) = Geometry::load(GEOMETRY)? else {
        bail!("{GEOMETRY} is not a planar geometry");
    };
    let mut proj = CellProjector::new(&g);
    let e_mev = ENERGY_GEV * 1000.0;
    let mut buf = model.buffers();
    let mut pc = PointClouds::new();
    let mut cells = CellShowers::new();
    let mut report = OutsideReport::default();
    let (mut index, mut points, mut n_cells, mut showers) = (0u64, 0usize, 0usize, 0usize);
    let mut err = None;
    let (whole, whole_cpu) = time_wall_cpu_ms(warmup, reps, || {
        pc.clear();
        cells.clear();
        report.points.clear();
        report.energy_mev.clear();
        let mut rng = shower_rng(seed, index);
        index += 1;
        match model.generate_one(&mut buf, e_mev, &mut rng, &mut pc) {
            Ok(()) => {
                proj.project(&pc, &mut cells, &mut report);
                points += pc.n_points();
                n_cells += cells.n_cells();
                showers += 1;
            }
            Err(e) => {
                err.get_or_insert(e);
            }
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    let mean_points = points / showers.max(1);

    let mut rng = shower_rng(seed, u64::MAX);
    let t_flow = time_ms(warmup, reps, || {
        std::hint::black_box(model.flow.sample(e_mev, &mut rng));
    });
    let mut ws = model.net.workspace();
    let mut raw = RawPoints::default();
    let t_net = time_ms(warmup, reps, || {
        let r = model
            .net
            .sample(&mut ws, e_mev, mean_points, &mut rng, &mut raw);
        std::hint::black_box(r.ok());
    });
    let summary = |v: &[f64]| Summary::of(v).context("a timing was not finite");
    let ms = summary(&whole)?;
    let (flow_ms, net_ms) = (summary(&t_flow)?, summary(&t_net)?);
    // The network alone runs at the mean N, the whole at each shower's own N: the difference of
    // medians can dip below zero by that noise.
    let rest = (ms.median - flow_ms.median - net_ms.median).max(0.0);
    Ok(EndToEnd {
        energy_gev: ENERGY_GEV,
        points: mean_points,
        points_source: "mean over the timed showers (ShowerFlow N, occupancy-calibrated)".into(),
        geometry: GEOMETRY.into(),
        included: vec![
            "ShowerFlow sampling (trained, embedded)",
            "occupancy calibration of the point count",
            "one-step consistency network (noise, per-shower gates, fused kernel)",
            "layer assignment by sorted depth, per-layer energy rescale, CoG shift",
            "projection into the ILD-like ECAL's cells",
        ],
        not_included: vec!["writing the file"],
        ms,
        cpu_ms: whole_cpu.as_deref().and_then(Summary::of),
        stages: vec![
            Stage {
                name: "ShowerFlow sample (alone)",
                ms: flow_ms,
            },
            Stage {
                name: "noise + one-step network (alone, mean N)",
                ms: net_ms,
            },
            Stage {
                name: "rest: calibrations, assignment, projection (whole − the two, medians)",
                ms: Summary {
                    n: 1,
                    mean: rest,
                    std: 0.0,
                    median: rest,
                    min: rest,
                    max: rest,
                },
            },
        ],
        cells_per_shower: n_cells / showers.max(1),
        target_ms: TARGET_MS,
        target_met: ms.median <= TARGET_MS,
    })
}
