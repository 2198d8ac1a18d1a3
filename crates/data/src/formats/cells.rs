//! The sparse `cells/` groups of our Geant4 files, read and written.
//!
//! Two index conventions exist:
//! - flat (`ild_photons_train.h5`): `index` = (layer·n + ix')·n + iz' with ix' = ix + n/2, and group
//!   attributes `n_cells_per_side`, `cell_size_mm`;
//! - split (angular photons, pions): `layer` u8, `ix` i16, `iz` i16, cell centred at (ix·size, iz·size).
//!
//! Inside calogen both become `(layer, ix, iy)` with the cell centred at (ix·size, iy·size); calogen
//! writes the split convention.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::s;

use super::h5util::{self, append_rows, growable, AtomicH5, Want};
use crate::error::{DataError, Result};
use crate::shower::CellShowers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellIndexing {
    Flat { n_per_side: i64 },
    Split,
}

pub struct CellsReader {
    path: PathBuf,
    group: hdf5::Group,
    indexing: CellIndexing,
    offsets: Vec<u64>,
    incident: Vec<f32>,
    direction: Option<Vec<[f32; 3]>>,
}

/// Largest `cells@n_cells_per_side` accepted: n² and the centred ix/iy stay far inside i64 and
/// i32 (the CaloClouds files use a few hundred).
const MAX_CELLS_PER_SIDE: i64 = 1 << 16;

impl CellsReader {
    /// `incident` (MeV) and `direction` come from the surrounding file.
    pub fn open(
        file: &hdf5::File,
        path: &Path,
        incident: Vec<f32>,
        direction: Option<Vec<[f32; 3]>>,
    ) -> Result<Self> {
        let group = file
            .group("cells")
            .map_err(|e| DataError::h5(path, "cells", e))?;
        let offsets_ds =
            h5util::dataset(&group, path, "offsets").map_err(|e| prefix(e, "cells/"))?;
        h5util::check_dtype(&offsets_ds, path, "cells/offsets", Want::Integer)?;
        let offsets: Vec<i64> = offsets_ds
            .read_raw()
            .map_err(|e| DataError::h5(path, "cells/offsets", e))?;
        if offsets.len() != incident.len() + 1 {
            return Err(DataError::new(
                path,
                "cells/offsets",
                format!(
                    "has {} entries, expected {} (showers + 1)",
                    offsets.len(),
                    incident.len() + 1
                ),
            ));
        }
        if offsets[0] != 0 || offsets.windows(2).any(|w| w[1] < w[0]) {
            return Err(DataError::new(
                path,
                "cells/offsets",
                "must start at 0 and never decrease",
            ));
        }
        let indexing = if group.link_exists("index") {
            let attr = group
                .attr("n_cells_per_side")
                .and_then(|a| a.read_scalar::<i64>())
                .map_err(|e| DataError::h5(path, "cells@n_cells_per_side", e))?;
            // `read` divides by n and n², and centres ix/iy with n/2 in i32: a side of 0, a
            // negative one or one whose square overflows is a corrupt file, not a grid.
            if !(1..=MAX_CELLS_PER_SIDE).contains(&attr) {
                return Err(DataError::new(
                    path,
                    "cells@n_cells_per_side",
                    format!("is {attr}, expected 1..={MAX_CELLS_PER_SIDE}"),
                ));
            }
            CellIndexing::Flat { n_per_side: attr }
        } else {
            for f in ["layer", "ix", "iz"] {
                if !group.link_exists(f) {
                    return Err(DataError::new(
                        path,
                        format!("cells/{f}"),
                        "dataset is missing (need either `index` or `layer`, `ix`, `iz`)",
                    ));
                }
            }
            CellIndexing::Split
        };
        let total = *offsets.last().unwrap() as usize;
        let e = h5util::dataset(&group, path, "energy_mev").map_err(|e| prefix(e, "cells/"))?;
        h5util::check_dtype(&e, path, "cells/energy_mev", Want::Float)?;
        if e.shape() != [total] {
            return Err(DataError::new(
                path,
                "cells/energy_mev",
                format!(
                    "shape is {}, offsets say [{total}]",
                    h5util::shape_str(&e.shape())
                ),
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            group,
            indexing,
            offsets: offsets.into_iter().map(|o| o as u64).collect(),
            incident,
            direction,
        })
    }

    pub fn len(&self) -> usize {
        self.incident.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incident.is_empty()
    }

    pub fn incident(&self) -> &[f32] {
        &self.incident
    }

    /// A second reader over the same group (HDF5 handles are reference-counted).
    pub fn clone_handle(&self) -> Result<Self> {
        Ok(Self {
            path: self.path.clone(),
            group: self.group.clone(),
            indexing: self.indexing,
            offsets: self.offsets.clone(),
            incident: self.incident.clone(),
            direction: self.direction.clone(),
        })
    }

    pub fn indexing(&self) -> CellIndexing {
        self.indexing
    }

    /// Number of cells of each shower, without reading them.
    pub fn counts(&self) -> Vec<usize> {
        self.offsets
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .collect()
    }

    pub fn read(&self, range: Range<usize>) -> Result<CellShowers> {
        let range = range.start.min(self.len())..range.end.min(self.len());
        let (a, b) = (
            self.offsets[range.start] as usize,
            self.offsets[range.end] as usize,
        );
        let read_i32 = |name: &str| -> Result<Vec<i32>> {
            let full = format!("cells/{name}");
            let ds =
                h5util::dataset(&self.group, &self.path, name).map_err(|e| prefix(e, "cells/"))?;
            h5util::check_dtype(&ds, &self.path, &full, Want::Integer)?;
            if ds.shape() != [*self.offsets.last().unwrap() as usize] {
                return Err(DataError::new(
                    &self.path,
                    &full,
                    "length differs from cells/energy_mev",
                ));
            }
            let arr: ndarray::Array1<i32> = ds
                .read_slice_1d(s![a..b])
                .map_err(|e| DataError::h5(&self.path, &full, e))?;
            Ok(arr.to_vec())
        };
        let e_ds = self
            .group
            .dataset("energy_mev")
            .map_err(|e| DataError::h5(&self.path, "cells/energy_mev", e))?;
        h5util::check_claimed_size(&e_ds, &self.path, "cells/energy_mev")?;
        let energy: Vec<f32> = e_ds
            .read_slice_1d(s![a..b])
            .map_err(|e| DataError::h5(&self.path, "cells/energy_mev", e))?
            .to_vec();
        h5util::check_values(&self.path, "cells/energy_mev", &energy, 0.0, false, a)?;
        let (layer, ix, iy) = match self.indexing {
            CellIndexing::Flat { n_per_side: n } => {
                let idx = read_i32("index")?;
                let mut layer = Vec::with_capacity(idx.len());
                let mut ix = Vec::with_capacity(idx.len());
                let mut iy = Vec::with_capacity(idx.len());
                for (k, &i) in idx.iter().enumerate() {
                    let i = i as i64;
                    if i < 0 || i / (n * n) > u16::MAX as i64 {
                        return Err(DataError::new(
                            &self.path,
                            "cells/index",
                            format!("entry {} holds {i}", a + k),
                        ));
                    }
                    layer.push((i / (n * n)) as u16);
                    ix.push(((i / n) % n - n / 2) as i32);
                    iy.push((i % n - n / 2) as i32);
                }
                (layer, ix, iy)
            }
            CellIndexing::Split => {
                let layer = read_i32("layer")?;
                if let Some((k, l)) = layer
                    .iter()
                    .enumerate()
                    .find(|(_, l)| **l < 0 || **l > u16::MAX as i32)
                {
                    return Err(DataError::new(
                        &self.path,
                        "cells/layer",
                        format!("entry {} holds {l}", a + k),
                    ));
                }
                (
                    layer.into_iter().map(|l| l as u16).collect(),
                    read_i32("ix")?,
                    read_i32("iz")?,
                )
            }
        };
        Ok(CellShowers {
            offsets: self.offsets[range.start..=range.end]
                .iter()
                .map(|&o| (o as usize) - a)
                .collect(),
            layer,
            ix,
            iy,
            energy,
            incident_energy: self.incident[range.clone()].to_vec(),
            direction: self.direction.as_ref().map(|d| d[range].to_vec()),
        })
    }
}

fn prefix(mut e: DataError, p: &str) -> DataError {
    e.field = format!("{p}{}", e.field);
    e
}

/// Writes cell-level showers in the split `cells/` layout (plus `energy` [N,1] in GeV and
/// `p_norm_local` [3,N] when directions are known), so our own files and calogen's outputs read alike.
pub struct CellsWriter {
    out: AtomicH5,
    energy_gev: hdf5::Dataset,
    offsets: hdf5::Dataset,
    layer: hdf5::Dataset,
    ix: hdf5::Dataset,
    iz: hdf5::Dataset,
    cell_e: hdf5::Dataset,
    direction: Option<hdf5::Dataset>,
    written_showers: usize,
    written_cells: i64,
}

impl CellsWriter {
    /// `description` goes into the `cells` group's `cell_size_mm` attribute (e.g. the geometry's cell sizes).
    pub fn create(dest: &Path, description: &str, with_direction: bool) -> Result<Self> {
        let out = AtomicH5::create(dest)?;
        let f = out.file();
        let g = f
            .create_group("cells")
            .map_err(|e| DataError::h5(dest, "cells", e))?;
        h5util::write_str_attr(&g, dest, "cell_size_mm", description)?;
        let energy_gev = growable::<f32>(f, dest, "energy", &[1], 4096, None)?;
        let offsets = growable::<i64>(&g, dest, "offsets", &[], 4096, None)?;
        append_rows(&offsets, dest, "cells/offsets", &[0i64], &[])?;
        let chunk = 1 << 14;
        let layer = growable::<u8>(&g, dest, "layer", &[], chunk, Some(4))?;
        let ix = growable::<i16>(&g, dest, "ix", &[], chunk, Some(4))?;
        let iz = growable::<i16>(&g, dest, "iz", &[], chunk, Some(4))?;
        let cell_e = growable::<f32>(&g, dest, "energy_mev", &[], chunk, Some(4))?;
        let direction = if with_direction {
            let b = f.new_dataset::<f64>().chunk((3, 4096));
            Some(
                b.shape([hdf5::Extent::fixed(3), hdf5::Extent::resizable(0)])
                    .create("p_norm_local")
                    .map_err(|e| DataError::h5(dest, "p_norm_local", e))?,
            )
        } else {
            None
        };
        Ok(Self {
            out,
            energy_gev,
            offsets,
            layer,
            ix,
            iz,
            cell_e,
            direction,
            written_showers: 0,
            written_cells: 0,
        })
    }

    pub fn append(&mut self, c: &CellShowers) -> Result<()> {
        let dest = self.out.dest().to_path_buf();
        if !c.is_consistent() {
            return Err(DataError::new(
                &dest,
                "cells",
                "inconsistent cell batch (offsets or column lengths)",
            ));
        }
        for i in 0..c.len() {
            super::points::check_point_values(&dest, self.written_showers + i, c.shower(i).energy)?;
        }
        let to_u8 = |v: u16| u8::try_from(v);
        let layer: Vec<u8> = c
            .layer
            .iter()
            .map(|&l| to_u8(l))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                DataError::new(
                    &dest,
                    "cells/layer",
                    "layer index above 255 does not fit the file's uint8",
                )
            })?;
        let to_i16 = |v: &[i32], name: &str| -> Result<Vec<i16>> {
            v.iter()
                .map(|&x| i16::try_from(x))
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| DataError::new(&dest, name, "cell index outside the int16 range"))
        };
        let ix = to_i16(&c.ix, "cells/ix")?;
        let iz = to_i16(&c.iy, "cells/iz")?;
        append_rows(&self.layer, &dest, "cells/layer", &layer, &[])?;
        append_rows(&self.ix, &dest, "cells/ix", &ix, &[])?;
        append_rows(&self.iz, &dest, "cells/iz", &iz, &[])?;
        append_rows(&self.cell_e, &dest, "cells/energy_mev", &c.energy, &[])?;
        let base = self.written_cells;
        let offs: Vec<i64> = c.offsets[1..].iter().map(|&o| base + o as i64).collect();
        append_rows(&self.offsets, &dest, "cells/offsets", &offs, &[])?;
        let gev: Vec<f32> = c.incident_energy.iter().map(|e| e / 1000.0).collect();
        append_rows(&self.energy_gev, &dest, "energy", &gev, &[1])?;
        if let Some(ds) = &self.direction {
            let dirs = c.direction.as_ref().ok_or_else(|| {
                DataError::new(
                    &dest,
                    "p_norm_local",
                    "this file records directions but the showers have none",
                )
            })?;
            let start = ds.shape()[1];
            ds.resize((3, start + c.len()))
                .map_err(|e| DataError::h5(&dest, "p_norm_local", e))?;
            let mut arr = ndarray::Array2::<f64>::zeros((3, c.len()));
            for (i, d) in dirs.iter().enumerate() {
                for k in 0..3 {
                    arr[[k, i]] = d[k] as f64;
                }
            }
            ds.write_slice(arr.view(), s![.., start..start + c.len()])
                .map_err(|e| DataError::h5(&dest, "p_norm_local", e))?;
        }
        self.written_cells += c.n_cells() as i64;
        self.written_showers += c.len();
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        drop((
            self.energy_gev,
            self.offsets,
            self.layer,
            self.ix,
            self.iz,
            self.cell_e,
            self.direction,
        ));
        self.out.finish()
    }
}
