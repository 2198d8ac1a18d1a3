//! CaloChallenge files: `incident_energies` (N, 1) MeV and `showers` (N, voxels) MeV.
//!
//! The voxel order (r fastest, then alpha, then layer) and the geometry come from the binning XMLs;
//! this module only moves numbers, the geometry crate gives them meaning.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::s;

use super::h5util::{self, append_rows, growable, AtomicH5, Want};
use crate::error::{DataError, Result};
use crate::shower::VoxelShowers;

pub struct CaloChallengeReader {
    path: PathBuf,
    showers: hdf5::Dataset,
    n: usize,
    n_voxels: usize,
    incident: Vec<f32>,
}

impl CaloChallengeReader {
    pub fn open(file: &hdf5::File, path: &Path) -> Result<Self> {
        let showers = h5util::dataset(file, path, "showers")?;
        h5util::check_dtype(&showers, path, "showers", Want::Float)?;
        let shape = showers.shape();
        let [n, n_voxels] = shape[..] else {
            return Err(DataError::new(
                path,
                "showers",
                format!(
                    "shape is {}, expected [N, voxels]",
                    h5util::shape_str(&shape)
                ),
            ));
        };
        let incident = h5util::read_column_f32(file, path, "incident_energies", Some(n))?;
        h5util::check_values(path, "incident_energies", &incident, 0.0, true, 0)?;
        Ok(Self {
            path: path.to_path_buf(),
            showers,
            n,
            n_voxels,
            incident,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn n_voxels(&self) -> usize {
        self.n_voxels
    }

    pub fn incident_energy(&self) -> &[f32] {
        &self.incident
    }

    pub fn read(&self, range: Range<usize>) -> Result<VoxelShowers> {
        let range = range.start.min(self.n)..range.end.min(self.n);
        let arr: ndarray::Array2<f32> = self
            .showers
            .read_slice(s![range.clone(), ..])
            .map_err(|e| DataError::h5(&self.path, "showers", e))?;
        let (energy, _) = arr.into_raw_vec_and_offset();
        for (k, row) in energy.chunks(self.n_voxels.max(1)).enumerate() {
            if let Some((v, e)) = row
                .iter()
                .enumerate()
                .find(|(_, e)| !e.is_finite() || **e < 0.0)
            {
                return Err(DataError::new(
                    &self.path,
                    "showers",
                    format!(
                        "shower {}, voxel {v} holds {e} (energies must be finite and >= 0)",
                        range.start + k
                    ),
                ));
            }
        }
        Ok(VoxelShowers {
            n_voxels: self.n_voxels,
            energy,
            incident_energy: self.incident[range].to_vec(),
        })
    }
}

/// Writes a CaloChallenge file chunk by chunk; it appears under its name only on `finish`.
pub struct CaloChallengeWriter {
    out: AtomicH5,
    n_voxels: usize,
    showers: hdf5::Dataset,
    incident: hdf5::Dataset,
    written: usize,
}

impl CaloChallengeWriter {
    /// gzip level 4, as the challenge's files.
    pub fn create(dest: &Path, n_voxels: usize) -> Result<Self> {
        Self::create_with(dest, n_voxels, Some(4))
    }

    /// `gzip`: compression level 1-9, or `None` for an uncompressed file.
    pub fn create_with(dest: &Path, n_voxels: usize, gzip: Option<u8>) -> Result<Self> {
        let out = AtomicH5::create(dest)?;
        let f = out.file();
        // One shower per chunk (~26 kB for dataset 2): a reader of any slice decompresses only what it needs.
        let showers = growable::<f32>(f, dest, "showers", &[n_voxels], 1, gzip)?;
        let incident = growable::<f32>(f, dest, "incident_energies", &[1], 4096, None)?;
        Ok(Self {
            out,
            n_voxels,
            showers,
            incident,
            written: 0,
        })
    }

    pub fn append(&mut self, v: &VoxelShowers) -> Result<()> {
        let dest = self.out.dest().to_path_buf();
        if v.n_voxels != self.n_voxels {
            return Err(DataError::new(
                &dest,
                "showers",
                format!(
                    "showers have {} voxels, the file has {}",
                    v.n_voxels, self.n_voxels
                ),
            ));
        }
        for i in 0..v.len() {
            super::points::check_point_values(&dest, self.written + i, v.shower(i))?;
        }
        h5util::check_values(
            &dest,
            "incident_energies",
            &v.incident_energy,
            0.0,
            true,
            self.written,
        )?;
        append_rows(&self.showers, &dest, "showers", &v.energy, &[self.n_voxels])?;
        append_rows(
            &self.incident,
            &dest,
            "incident_energies",
            &v.incident_energy,
            &[1],
        )?;
        self.written += v.len();
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        drop((self.showers, self.incident));
        self.out.finish()
    }
}
