//! CaloClouds II generation (paper 000, Sec. 3): ShowerFlow → number of points (occupancy
//! calibration) → PointWise Net points → layer assignment by the generated depth → per-layer
//! energy rescale → centre-of-gravity shift. The steps after the network are `crate::postprocess`.

use calogen_data::PointClouds;
use rand_chacha::ChaCha8Rng;

use super::model::Cc2Network;
use super::sampling::{RawPoints, Workspace};
pub use crate::nn::shower_rng;
use crate::nn::{ShowerFeatures, ShowerFlow as Cc2ShowerFlow};
use std::path::Path;

use crate::error::{Error, Result};
use crate::family::append_clouds;
use crate::postprocess::{
    fit_counts_to_total, rescale_layer_energies, shift_to_cog, LayerAssigner, OccupancyCalibration,
};

/// Flow, network and (optional) occupancy calibration: everything needed to generate.
#[derive(Debug, Clone)]
pub struct Cc2Model {
    pub flow: Cc2ShowerFlow,
    pub net: Cc2Network,
    pub calibration: Option<OccupancyCalibration>,
}

/// Per-thread state of the pipeline (no allocation per shower once grown).
#[derive(Debug, Clone)]
pub struct Cc2Buffers {
    ws: Workspace,
    raw: RawPoints,
    layer: Vec<u16>,
    counts: Vec<u32>,
    targets: Vec<f64>,
    sums: Vec<f64>,
    assigner: LayerAssigner,
}

/// The default model compiled into the binary (trained by this project on
/// `ild_photons_train.h5`; see `assets/caloclouds2/README.md`).
const EMBEDDED_FLOW: &[u8] = include_bytes!("../../assets/caloclouds2/showerflow.safetensors");
const EMBEDDED_NET: &[u8] = include_bytes!("../../assets/caloclouds2/pointwise.safetensors");
const EMBEDDED_CALIBRATION: &str = include_str!("../../assets/caloclouds2/calibration.json");

/// File names inside a model directory.
pub const FLOW_FILE: &str = "showerflow.safetensors";
pub const NET_FILE: &str = "pointwise.safetensors";
pub const CALIBRATION_FILE: &str = "calibration.json";

fn calibration_from_json(text: &str, source: &str) -> Result<Option<OccupancyCalibration>> {
    serde_json::from_str(text)
        .map_err(|e| Error::format(source, format!("bad occupancy calibration: {e}")))
}

/// Values stored in a safetensors file (all its tensors; the exported files hold only weights).
fn stored_values(bytes: &[u8], source: &str) -> Result<u64> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| Error::format(source, format!("not a safetensors file: {e}")))?;
    Ok(st
        .tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().product::<usize>() as u64)
        .sum())
}

/// Parameters of the embedded model's ShowerFlow and PointWise Net (the Fourier frequencies,
/// a fixed buffer, included: 16 values).
pub fn embedded_parameters() -> Result<(u64, u64)> {
    Ok((
        stored_values(EMBEDDED_FLOW, "embedded:showerflow.safetensors")?,
        stored_values(EMBEDDED_NET, "embedded:pointwise.safetensors")?,
    ))
}

impl Cc2Model {
    /// The embedded default model.
    pub fn embedded() -> Result<Self> {
        Ok(Self {
            flow: Cc2ShowerFlow::from_bytes(EMBEDDED_FLOW, "embedded:showerflow.safetensors")?,
            net: Cc2Network::from_bytes(EMBEDDED_NET, "embedded:pointwise.safetensors")?,
            calibration: calibration_from_json(EMBEDDED_CALIBRATION, "embedded:calibration.json")?,
        })
    }

    /// A model directory: `showerflow.safetensors`, `pointwise.safetensors` (EDM or
    /// consistency, as its metadata says) and optionally `calibration.json`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let cal = dir.join(CALIBRATION_FILE);
        let calibration = if cal.exists() {
            let text = std::fs::read_to_string(&cal).map_err(|e| Error::io(&cal, e))?;
            calibration_from_json(&text, &cal.display().to_string())?
        } else {
            None
        };
        Ok(Self {
            flow: Cc2ShowerFlow::load(&dir.join(FLOW_FILE))?,
            net: Cc2Network::load(&dir.join(NET_FILE))?,
            calibration,
        })
    }

    pub fn buffers(&self) -> Cc2Buffers {
        Cc2Buffers {
            ws: self.net.workspace(),
            raw: RawPoints::default(),
            layer: Vec::new(),
            counts: Vec::new(),
            targets: Vec::new(),
            sums: Vec::new(),
            assigner: LayerAssigner::new(),
        }
    }

    /// The number of points to generate for the flow's N (calibrated when a calibration is set).
    pub fn points_for(&self, f: &ShowerFeatures) -> usize {
        let n = match &self.calibration {
            Some(c) => c.calibrated_points(f.n_points as f64) as usize,
            None => f.n_points,
        };
        n.max(1)
    }

    /// Generates one shower and appends it to `out`.
    pub fn generate_one(
        &self,
        buf: &mut Cc2Buffers,
        e_inc_mev: f32,
        rng: &mut ChaCha8Rng,
        out: &mut PointClouds,
    ) -> Result<()> {
        let f = self.flow.sample(e_inc_mev, rng);
        let n = self.points_for(&f);
        buf.counts.clear();
        buf.counts.extend(
            f.point_fraction
                .iter()
                .map(|p| (p * n as f64).round() as u32),
        );
        fit_counts_to_total(&mut buf.counts, n as u32)?;
        self.net
            .sample(&mut buf.ws, e_inc_mev, n, rng, &mut buf.raw)?;
        let raw = &mut buf.raw;
        buf.layer.clear();
        buf.layer.resize(n, 0);
        buf.assigner
            .assign(&mut raw.z, &buf.counts, None, &mut buf.layer)?;
        buf.targets.clear();
        buf.targets
            .extend(f.energy_fraction.iter().map(|e| e * f.e_vis_mev));
        rescale_layer_energies(&buf.layer, &mut raw.energy_mev, &buf.targets, &mut buf.sums)?;
        if raw.energy_mev.iter().any(|&e| e > 0.0) {
            shift_to_cog(&mut raw.x, &mut raw.y, &raw.energy_mev, f.cog)?;
        }
        out.push(
            &raw.x,
            &raw.y,
            &[],
            &buf.layer,
            &raw.energy_mev,
            e_inc_mev,
            None,
        );
        Ok(())
    }

    /// Showers for the given incident energies (MeV); shower i uses [`shower_rng`]`(seed, i)`.
    pub fn generate(&self, energies_mev: &[f32], seed: u64) -> Result<PointClouds> {
        let mut buf = self.buffers();
        let mut out = PointClouds::new();
        for (i, &e) in energies_mev.iter().enumerate() {
            self.generate_one(&mut buf, e, &mut shower_rng(seed, i as u64), &mut out)?;
        }
        Ok(out)
    }

    /// Showers `first..first + energies_mev.len()` of the seed's sequence on the current rayon
    /// pool, in chunks of `chunk` showers; identical to [`Cc2Model::generate`] (per-shower random
    /// streams, order kept).
    pub fn generate_parallel(
        &self,
        energies_mev: &[f32],
        seed: u64,
        first: u64,
        chunk: usize,
    ) -> Result<PointClouds> {
        use rayon::prelude::*;
        let chunk = chunk.max(1);
        let parts = energies_mev
            .par_chunks(chunk)
            .enumerate()
            .map(|(c, es)| {
                let mut buf = self.buffers();
                let mut out = PointClouds::new();
                for (j, &e) in es.iter().enumerate() {
                    let i = first + (c * chunk + j) as u64;
                    self.generate_one(&mut buf, e, &mut shower_rng(seed, i), &mut out)?;
                }
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out = PointClouds::new();
        for p in &parts {
            append_clouds(&mut out, p);
        }
        Ok(out)
    }
}
