//! In-memory showers: struct-of-arrays batches with cheap per-shower slices.
//!
//! Every batch carries, per shower, the incident energy (MeV) and optionally the incident direction
//! (unit vector: two transverse components, then the component along the depth axis).

mod cells;
mod points;
mod voxels;

pub use cells::{CellShower, CellShowers};
pub use points::{PointCloud, PointClouds};
pub use voxels::VoxelShowers;

/// A chunk of showers as read from any supported file.
#[derive(Debug, Clone)]
pub enum ShowerBatch {
    Points(PointClouds),
    Voxels(VoxelShowers),
    Cells(CellShowers),
}

impl ShowerBatch {
    pub fn len(&self) -> usize {
        match self {
            Self::Points(p) => p.len(),
            Self::Voxels(v) => v.len(),
            Self::Cells(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn incident_energy(&self) -> &[f32] {
        match self {
            Self::Points(p) => &p.incident_energy,
            Self::Voxels(v) => &v.incident_energy,
            Self::Cells(c) => &c.incident_energy,
        }
    }

    pub fn direction(&self) -> Option<&[[f32; 3]]> {
        match self {
            Self::Points(p) => p.direction.as_deref(),
            Self::Voxels(_) => None,
            Self::Cells(c) => c.direction.as_deref(),
        }
    }

    /// Number of entries (points, non-zero voxels or cells) of shower `i` with energy above `threshold_mev`.
    pub fn hits_above(&self, i: usize, threshold_mev: f32) -> usize {
        let count = |e: &[f32]| e.iter().filter(|&&v| v > threshold_mev).count();
        match self {
            Self::Points(p) => count(p.shower(i).energy),
            Self::Voxels(v) => count(v.shower(i)),
            Self::Cells(c) => count(c.shower(i).energy),
        }
    }
}

/// Offsets of a CSR-style batch: shower `i` owns `offsets[i]..offsets[i + 1]`.
pub(crate) fn check_offsets(offsets: &[usize], n_entries: usize) -> bool {
    !offsets.is_empty()
        && offsets[0] == 0
        && *offsets.last().unwrap() == n_entries
        && offsets.windows(2).all(|w| w[0] <= w[1])
}
