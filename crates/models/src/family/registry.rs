//! The families a front end knows, by name or by model folder.

use std::path::{Path, PathBuf};

use super::{LoadOptions, ModelFamily};
use crate::error::{Error, Result};

/// A file in a model folder that names its family: `{"family": "caloclouds2"}`. Folders without
/// it are recognised by their files ([`FamilyEntry::recognises`]).
pub const FAMILY_FILE: &str = "family.json";

/// Loads a family: `dir` is a model folder, `None` the family's built-in model.
pub type LoadFn = fn(dir: Option<&Path>, opts: &LoadOptions) -> Result<Box<dyn ModelFamily>>;

/// A registered family: its name, a line about it, how to load it and how to tell its folders.
#[derive(Clone, Copy)]
pub struct FamilyEntry {
    pub name: &'static str,
    pub summary: &'static str,
    pub load: LoadFn,
    /// Whether a model folder without [`FAMILY_FILE`] holds this family's model.
    pub recognises: fn(&Path) -> bool,
}

/// The known families; the first is the default.
#[derive(Clone)]
pub struct Registry {
    entries: Vec<FamilyEntry>,
}

/// What a `--model` argument resolved to.
pub struct Resolved<'r> {
    pub entry: &'r FamilyEntry,
    pub dir: Option<PathBuf>,
}

impl Registry {
    /// The families built into calogen. A new family adds one line here.
    pub fn builtin() -> Self {
        Registry {
            entries: vec![
                crate::caloclouds2::family::entry(),
                crate::caloclouds3::family::entry(),
                crate::caloscore2::family::entry(),
            ],
        }
    }

    pub fn empty() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }

    /// Adds a family (replacing one of the same name).
    pub fn register(&mut self, entry: FamilyEntry) -> &mut Self {
        self.entries.retain(|e| e.name != entry.name);
        self.entries.push(entry);
        self
    }

    pub fn entries(&self) -> &[FamilyEntry] {
        &self.entries
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    pub fn entry(&self, name: &str) -> Result<&FamilyEntry> {
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            Error::Invalid(format!(
                "unknown model `{name}`; known: {}",
                self.names().join(", ")
            ))
        })
    }

    /// `spec`: a family name (its built-in model) or a model folder (its [`FAMILY_FILE`] names
    /// the family, or its files do); `None`: the default family. A name that is also a folder in
    /// the working directory is taken as the folder.
    pub fn resolve(&self, spec: Option<&str>) -> Result<Resolved<'_>> {
        let Some(spec) = spec else {
            let entry = self
                .entries
                .first()
                .ok_or_else(|| Error::Invalid("no model family registered".into()))?;
            return Ok(Resolved { entry, dir: None });
        };
        let dir = Path::new(spec);
        if !dir.is_dir() {
            return Ok(Resolved {
                entry: self.entry(spec)?,
                dir: None,
            });
        }
        let named = dir.join(FAMILY_FILE);
        let entry = if named.exists() {
            let text = std::fs::read_to_string(&named).map_err(|e| Error::io(&named, e))?;
            #[derive(serde::Deserialize)]
            struct Named {
                family: String,
            }
            let n: Named = serde_json::from_str(&text).map_err(|e| {
                Error::format(
                    &named.display().to_string(),
                    format!("expected {{\"family\": NAME}}: {e}"),
                )
            })?;
            self.entry(&n.family)?
        } else {
            self.entries
                .iter()
                .find(|e| (e.recognises)(dir))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{spec}: neither a known model ({}) nor a model folder of one (no {FAMILY_FILE})",
                        self.names().join(", ")
                    ))
                })?
        };
        Ok(Resolved {
            entry,
            dir: Some(dir.to_path_buf()),
        })
    }

    /// Resolves `spec` and loads the family with `opts`.
    pub fn load(&self, spec: Option<&str>, opts: &LoadOptions) -> Result<Box<dyn ModelFamily>> {
        let r = self.resolve(spec)?;
        (r.entry.load)(r.dir.as_deref(), opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_folders_and_family_files() {
        let r = Registry::builtin();
        assert_eq!(r.names(), ["caloclouds2", "caloclouds3", "caloscore2"]);
        assert_eq!(r.resolve(None).unwrap().entry.name, "caloclouds2");
        let cc3 = r.resolve(Some("caloclouds3")).unwrap();
        assert_eq!((cc3.entry.name, cc3.dir), ("caloclouds3", None));
        let err = r.resolve(Some("nosuchmodel")).err().unwrap().to_string();
        assert!(
            err.contains("nosuchmodel") && err.contains("caloclouds3"),
            "{err}"
        );

        let base = std::env::temp_dir().join(format!("calogen-registry-{}", std::process::id()));
        let folder = |name: &str, file: &str, text: &str| {
            let d = base.join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(file), text).unwrap();
            d.display().to_string()
        };
        let by_files = [
            (folder("cc2", "pointwise.safetensors", ""), "caloclouds2"),
            (folder("cc3", "cc3_cm_config.json", "{}"), "caloclouds3"),
            (
                folder("named", FAMILY_FILE, r#"{"family": "caloclouds3"}"#),
                "caloclouds3",
            ),
        ];
        for (dir, want) in &by_files {
            let got = r.resolve(Some(dir)).unwrap();
            assert_eq!(got.entry.name, *want, "{dir}");
            assert_eq!(got.dir.as_deref(), Some(Path::new(dir)));
        }
        let unknown = folder("other", FAMILY_FILE, r#"{"family": "nosuchfamily"}"#);
        assert!(r.resolve(Some(&unknown)).is_err());
        let cs2 = folder("cs2", "caloscore2.safetensors", "");
        assert_eq!(r.resolve(Some(&cs2)).unwrap().entry.name, "caloscore2");
        let empty = folder("empty", "README", "");
        let err = r.resolve(Some(&empty)).err().unwrap().to_string();
        assert!(err.contains(FAMILY_FILE), "{err}");
        std::fs::remove_dir_all(&base).unwrap();

        let mut only_cc3 = Registry::empty();
        only_cc3.register(crate::caloclouds3::family::entry());
        assert_eq!(only_cc3.resolve(None).unwrap().entry.name, "caloclouds3");
    }
}
