//! Readers and writers for the field's HDF5 shower files.
//!
//! [`open`] looks at which datasets a file has, picks the matching reader (saying why, see
//! [`FileKind`]) and then streams showers in chunks, so files larger than memory work.

pub mod calochallenge;
pub mod cells;
pub mod h5util;
pub mod layout;
pub mod points;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use calochallenge::{CaloChallengeReader, CaloChallengeWriter};
pub use cells::{CellIndexing, CellsReader, CellsWriter};
pub use layout::{Axes, EnergyUnit, Padding, PointLayout, TransverseAxes};
pub use points::{PointsReader, PointsWriter};

use crate::error::{DataError, Result};
use crate::shower::ShowerBatch;

/// What a file holds, as recognised from its datasets.
#[derive(Debug, Clone, PartialEq)]
pub enum FileKind {
    /// `incident_energies` + `showers`.
    CaloChallenge,
    /// `events` + `energy`, read through the layout.
    Points(PointLayout),
    /// Only a sparse `cells/` group (+ `energy`).
    Cells,
}

impl FileKind {
    pub fn name(&self) -> String {
        match self {
            Self::CaloChallenge => "calochallenge".into(),
            Self::Points(l) => format!("points/{}", l.name),
            Self::Cells => "cells".into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ShowerFileOptions {
    /// Overrides the detected point layout.
    pub layout: Option<PointLayout>,
    /// Depth (mm) of each layer, used to fill the points' `z`.
    pub layer_depths: Option<Vec<f32>>,
}

/// Recognises a file's kind from its datasets; the string says why (shown by `calogen info`).
pub fn detect(file: &hdf5::File, path: &Path) -> Result<(FileKind, String)> {
    let has = |n: &str| h5util::has(file, n);
    if has("showers") || has("incident_energies") {
        return Ok((
            FileKind::CaloChallenge,
            "datasets `incident_energies` and `showers`".into(),
        ));
    }
    if has("events") {
        // Files calogen wrote name their layout; trust that over shape heuristics.
        if let Ok(name) = file
            .attr("layout")
            .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
        {
            if let Some(l) = PointLayout::preset(name.as_str()) {
                return Ok((
                    FileKind::Points(l),
                    format!("file attribute layout = \"{}\"", name.as_str()),
                ));
            }
        }
        let events = h5util::dataset(file, path, "events")?;
        let shape = events.shape();
        let s = h5util::shape_str(&shape);
        if shape.len() != 3 {
            return Err(DataError::new(
                path,
                "events",
                format!("shape is {s}, expected 3 dimensions"),
            ));
        }
        let rows_first = matches!(shape[1], 4 | 5);
        let cols_last = shape[2] == 4;
        let hadronic_hint = has("n_points_hcal") || has("n_points_ecal");
        let (layout, why) = match (rows_first, cols_last) {
            (true, true) => {
                return Err(DataError::new(
                    path,
                    "events",
                    format!("shape {s} fits both [N, F, P] and [N, P, F]; name the layout with --layout"),
                ))
            }
            (true, false) if shape[1] == 5 || hadronic_hint => (
                PointLayout::calohadronic(),
                format!("`events` {s} = [N, {}, P]{}", shape[1], if hadronic_hint { " with `n_points_hcal`" } else { "" }),
            ),
            (true, false) => (PointLayout::caloclouds2(), format!("`events` {s} = [N, 4, P], no HCAL counts")),
            (false, true) => (PointLayout::caloclouds3(), format!("`events` {s} = [N, P, 4]")),
            (false, false) => {
                return Err(DataError::new(
                    path,
                    "events",
                    format!("shape is {s}; expected [N, 4|5, P] (CaloClouds II, CaloHadronic) or [N, P, 4] (CaloClouds3)"),
                ))
            }
        };
        return Ok((FileKind::Points(layout), why));
    }
    if has("cells/offsets") {
        return Ok((FileKind::Cells, "group `cells/` without `events`".into()));
    }
    Err(DataError::new(
        path,
        "",
        "not a recognised shower file: expected `incident_energies`+`showers` (CaloChallenge), \
         `events`+`energy` (point clouds) or a `cells/` group",
    ))
}

enum Reader {
    Voxels(CaloChallengeReader),
    Points(PointsReader),
    Cells(CellsReader),
}

/// An open shower file of any supported kind.
pub struct ShowerFile {
    path: PathBuf,
    file: hdf5::File,
    kind: FileKind,
    reason: String,
    reader: Reader,
}

pub fn open(path: &Path, opts: &ShowerFileOptions) -> Result<ShowerFile> {
    ShowerFile::open(path, opts)
}

impl ShowerFile {
    pub fn open(path: &Path, opts: &ShowerFileOptions) -> Result<Self> {
        // A set (points + cells) interrupted after its commit point is finished before reading.
        crate::atomic::recover_beside(path);
        let file = h5util::open_file(path)?;
        // A layout the user names decides a point file's reading, including the shapes that
        // detection alone finds ambiguous (its error asks for exactly that layout).
        let (kind, reason) = match (detect(&file, path), &opts.layout) {
            (Ok((FileKind::Points(_), _)), Some(l)) => (
                FileKind::Points(l.clone()),
                "layout given by the user".into(),
            ),
            (Err(_), Some(l)) if h5util::has(&file, "events") => (
                FileKind::Points(l.clone()),
                "layout given by the user".into(),
            ),
            (detected, _) => detected?,
        };
        let reader = match &kind {
            FileKind::CaloChallenge => Reader::Voxels(CaloChallengeReader::open(&file, path)?),
            FileKind::Points(l) => Reader::Points(PointsReader::open(
                &file,
                path,
                l.clone(),
                opts.layer_depths.clone(),
            )?),
            FileKind::Cells => {
                let mut inc = h5util::read_column_f32(&file, path, "energy", None)?;
                h5util::check_values(path, "energy", &inc, 0.0, true, 0)?;
                inc.iter_mut().for_each(|e| *e *= 1000.0);
                Reader::Cells(CellsReader::open(&file, path, inc, None)?)
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
            kind,
            reason,
            reader,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn kind(&self) -> &FileKind {
        &self.kind
    }

    /// Why the kind was chosen.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn len(&self) -> usize {
        match &self.reader {
            Reader::Voxels(r) => r.len(),
            Reader::Points(r) => r.len(),
            Reader::Cells(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Incident energy of every shower, MeV (read once at open: one float per shower).
    pub fn incident_energy(&self) -> &[f32] {
        match &self.reader {
            Reader::Voxels(r) => r.incident_energy(),
            Reader::Points(r) => r.incident_energy(),
            Reader::Cells(r) => r.incident(),
        }
    }

    pub fn direction(&self) -> Option<&[[f32; 3]]> {
        match &self.reader {
            Reader::Points(r) => r.direction(),
            _ => None,
        }
    }

    pub fn points(&self) -> Option<&PointsReader> {
        match &self.reader {
            Reader::Points(r) => Some(r),
            _ => None,
        }
    }

    pub fn voxels(&self) -> Option<&CaloChallengeReader> {
        match &self.reader {
            Reader::Voxels(r) => Some(r),
            _ => None,
        }
    }

    /// The sparse cell-level showers of the file: the main content of a cells file, or the exact
    /// truth stored next to the points of our Geant4 files. `None` when the file has no `cells/`.
    pub fn cells(&self) -> Result<Option<CellsReader>> {
        match &self.reader {
            Reader::Cells(r) => Ok(Some(r.clone_handle()?)),
            _ if h5util::has(&self.file, "cells/offsets") => Ok(Some(CellsReader::open(
                &self.file,
                &self.path,
                self.incident_energy().to_vec(),
                self.direction().map(|d| d.to_vec()),
            )?)),
            _ => Ok(None),
        }
    }

    pub fn read(&self, range: Range<usize>) -> Result<ShowerBatch> {
        Ok(match &self.reader {
            Reader::Voxels(r) => ShowerBatch::Voxels(r.read(range)?),
            Reader::Points(r) => ShowerBatch::Points(r.read(range)?),
            Reader::Cells(r) => ShowerBatch::Cells(r.read(range)?),
        })
    }

    /// Streams the file in chunks of `size` showers.
    pub fn chunks(&self, size: usize) -> impl Iterator<Item = Result<ShowerBatch>> + '_ {
        let size = size.max(1);
        (0..self.len().div_ceil(size))
            .map(move |k| self.read(k * size..((k + 1) * size).min(self.len())))
    }
}
