//! Which Geant4 showers a model was trained on. `calogen train` writes [`TRAINING_FILE`] into a
//! model folder, built-in models carry theirs, `calogen generate` copies it into its output as
//! the attribute [`ATTR`], and `calogen evaluate` warns when the reference showers are among them:
//! a model scored on its own training showers looks better than it is.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The file in a model folder.
pub const TRAINING_FILE: &str = "training.json";
/// The HDF5 attribute of a generated file (the same JSON).
pub const ATTR: &str = "calogen_training_showers";

/// Showers `first..end` of a Geant4 file, known by its file name (paths differ between
/// machines; the name is what a user passes again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingFile {
    pub file: String,
    pub first: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrainingShowers {
    pub files: Vec<TrainingFile>,
}

impl TrainingShowers {
    /// Showers `range` of `path` (stored by file name).
    pub fn of(path: &Path, range: Range<usize>) -> Self {
        Self {
            files: vec![TrainingFile {
                file: file_name(path),
                first: range.start,
                end: range.end,
            }],
        }
    }

    pub fn push(&mut self, path: &Path, range: Range<usize>) {
        self.files.extend(Self::of(path, range).files);
    }

    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let t: Self = serde_json::from_str(text)
            .map_err(|e| Error::format(source, format!("bad training-shower list: {e}")))?;
        if let Some(f) = t.files.iter().find(|f| f.first > f.end) {
            return Err(Error::format(
                source,
                format!("{}: showers {}..{} run backwards", f.file, f.first, f.end),
            ));
        }
        Ok(t)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// `DIR/training.json`, or `None` when the folder has none.
    pub fn read_dir(dir: &Path) -> Result<Option<Self>> {
        let p = dir.join(TRAINING_FILE);
        match std::fs::read_to_string(&p) {
            Ok(text) => Self::from_json(&text, &p.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::format(&p.display().to_string(), e.to_string())),
        }
    }

    /// Writes `DIR/training.json` (atomically).
    pub fn write_dir(&self, dir: &Path) -> Result<()> {
        let p = dir.join(TRAINING_FILE);
        calogen_data::atomic::write(&p, self.to_json())
            .map_err(|e| Error::format(&p.display().to_string(), e.to_string()))
    }

    /// The training showers that showers `range` of `path` share, as (file, first, end) of the
    /// overlap; `None` when they share none.
    pub fn overlap(&self, path: &Path, range: Range<usize>) -> Option<(String, Range<usize>)> {
        let name = file_name(path);
        self.files.iter().find_map(|f| {
            let (a, b) = (f.first.max(range.start), f.end.min(range.end));
            (f.file == name && a < b).then(|| (f.file.clone(), a..b))
        })
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_by_file_name_and_range() {
        let t = TrainingShowers::of(Path::new("/data/ild_photons_train.h5"), 0..3000);
        let elsewhere = Path::new("../shared/data/ild_photons_train.h5");
        assert_eq!(
            t.overlap(elsewhere, 2500..3500),
            Some(("ild_photons_train.h5".into(), 2500..3000))
        );
        assert_eq!(t.overlap(elsewhere, 3000..3500), None);
        assert_eq!(t.overlap(Path::new("pions_train.h5"), 0..10), None);
        let back = TrainingShowers::from_json(&t.to_json(), "x").unwrap();
        assert_eq!(back, t);
        assert!(TrainingShowers::from_json(
            r#"{"files":[{"file":"a.h5","first":5,"end":2}]}"#,
            "x"
        )
        .is_err());
    }
}
