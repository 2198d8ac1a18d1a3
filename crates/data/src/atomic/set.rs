//! Sibling files committed as a set, through a journal.
//!
//! Each member is written complete under its own hidden name (`.X.h5.calogen-PID-N.HOST.tmp`). The
//! commit then (1) flushes every member to disk, (2) writes the journal
//! `.X.h5.calogen-PID-N.HOST.set` — the list of (hidden name, final name) pairs, itself written to a
//! temporary and renamed, so it exists whole or not at all — (3) renames each member over its
//! final name and (4) removes the journal. The journal's rename is the commit point.
//!
//! Guarantee, for a process killed at any moment (SIGKILL included):
//! - killed before the journal's rename: the destination files are untouched (the old pair, or
//!   nothing if there was none); the members are stale temporaries, removed by the next writer
//!   created in the folder;
//! - killed after it: the journal is there, and the next calogen that creates a writer in the
//!   folder or opens a file in it (`calogen_data::open`) renames the members still under their
//!   hidden names before anything else, giving the new pair.
//!
//! So every calogen run sees the old complete pair or the new complete pair, never a mix. A
//! program other than calogen that lists the folder between a kill in step (3) — a few renames,
//! microseconds — and the next calogen run can see a mix; the journal's presence marks exactly
//! that state. SIGTERM and SIGINT wait for a running commit to finish (it holds the registry's
//! lock), so they always leave the old or the new pair on disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::registry::{self, Kind};
use super::{check_parent, create_temp, recover, split_dest};
use crate::{DataError, Result};

pub(super) const JOURNAL: &str = "set";

/// Files that appear together or not at all (e.g. `X.h5` and `X_cells.h5` of
/// `generate --format both`). All members live in one folder.
///
/// ```no_run
/// # fn main() -> calogen_data::Result<()> {
/// use calogen_data::atomic::FileSet;
/// let set = FileSet::new(["out/x.h5", "out/x_cells.h5"])?; // checks the folder now
/// // ... expensive work, then write each member complete at its hidden path:
/// calogen_data::atomic::write(set.path_for(0), b"points")?;
/// calogen_data::atomic::write(set.path_for(1), b"cells")?;
/// set.commit()?; // both appear, or (killed) neither changes
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileSet {
    dir: PathBuf,
    dests: Vec<PathBuf>,
    /// Hidden paths the members are written to, and their registry ids.
    staged: Vec<(u64, PathBuf)>,
    committed: bool,
}

impl FileSet {
    /// Checks every destination (one folder, existing and writable; no destination a folder; no
    /// two alike) and reserves a hidden name for each. Nothing is written yet.
    pub fn new<P: AsRef<Path>>(dests: impl IntoIterator<Item = P>) -> Result<Self> {
        let dests: Vec<PathBuf> = dests
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect();
        let Some(first) = dests.first() else {
            return Err(DataError::new(
                Path::new(""),
                "",
                "a file set needs a member",
            ));
        };
        let (dir, _) = split_dest(first)?;
        check_parent(first, &dir)?;
        let mut names = Vec::with_capacity(dests.len());
        for d in &dests {
            let (d_dir, name) = split_dest(d)?;
            if d_dir != dir {
                return Err(DataError::new(
                    d,
                    "",
                    format!(
                        "a file set lives in one folder; {} is elsewhere",
                        first.display()
                    ),
                ));
            }
            if d.is_dir() {
                return Err(DataError::new(d, "", "is a folder; a file is written here"));
            }
            if names.contains(&name) {
                return Err(DataError::new(d, "", "named twice in one file set"));
            }
            names.push(name);
        }
        recover(&dir);
        let mut set = Self {
            dir: dir.clone(),
            dests: dests.clone(),
            staged: Vec::with_capacity(dests.len()),
            committed: false,
        };
        for (d, name) in dests.iter().zip(&names) {
            // Reserve the name (checks that the folder is writable), then leave the path free:
            // the member's own writer creates it.
            let (id, tmp, file) = create_temp(d, &dir, name, "tmp")?;
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            set.staged.push((id, tmp));
        }
        Ok(set)
    }

    pub fn len(&self) -> usize {
        self.dests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Where member `i` is written (a hidden name in the destination's folder); write it with
    /// any writer of this crate, e.g. `PointsWriter::create(set.path_for(0), ...)`.
    pub fn path_for(&self, i: usize) -> &Path {
        &self.staged[i].1
    }

    /// The final path of member `i`.
    pub fn dest(&self, i: usize) -> &Path {
        &self.dests[i]
    }

    /// Puts every member in place as one step (see the module's guarantee). Fails, changing
    /// nothing, if a member was not written.
    pub fn commit(mut self) -> Result<()> {
        for ((_, tmp), dest) in self.staged.iter().zip(&self.dests) {
            let f = std::fs::File::open(tmp).map_err(|e| {
                DataError::new(dest, "", format!("was not written before the commit ({e})"))
            })?;
            f.sync_all().map_err(|e| DataError::io(dest, e))?;
        }
        let mut journal = String::new();
        for ((_, tmp), dest) in self.staged.iter().zip(&self.dests) {
            let from = tmp.file_name().expect("hidden name").to_string_lossy();
            let to = dest.file_name().expect("checked").to_string_lossy();
            journal.push_str(&format!("{from}\t{to}\n"));
        }
        let first = &self.dests[0];
        let (_, first_name) = split_dest(first)?;
        let (jid, jtmp, mut jf) = create_temp(first, &self.dir, &first_name, "tmp")?;
        let written = jf.write_all(journal.as_bytes()).and_then(|_| jf.sync_all());
        drop(jf);
        if let Err(e) = written {
            registry::remove(&jtmp, Kind::File);
            registry::unregister(jid);
            return Err(DataError::io(first, e));
        }
        let journal_path = jtmp.with_extension(JOURNAL);
        super::test_delay();
        {
            // Signals wait until the set is in place.
            let _live = registry::lock();
            if let Err(e) = std::fs::rename(&jtmp, &journal_path) {
                drop(_live);
                registry::remove(&jtmp, Kind::File);
                registry::unregister(jid);
                return Err(DataError::io(first, e));
            }
            sync_dir(&self.dir);
            let res = self
                .staged
                .iter()
                .zip(&self.dests)
                .try_for_each(|((_, tmp), dest)| {
                    super::test_delay();
                    std::fs::rename(tmp, dest)
                });
            if let Err(e) = res {
                // Committed: the journal stays and the next recovery finishes the set.
                self.committed = true;
                drop(_live);
                self.unregister_all(jid);
                return Err(DataError::io(first, e));
            }
            sync_dir(&self.dir);
            let _ = std::fs::remove_file(&journal_path);
        }
        self.committed = true;
        self.unregister_all(jid);
        Ok(())
    }

    fn unregister_all(&self, journal_id: u64) {
        registry::unregister(journal_id);
        for (id, _) in &self.staged {
            registry::unregister(*id);
        }
    }
}

impl Drop for FileSet {
    fn drop(&mut self) {
        if !self.committed {
            for (id, tmp) in &self.staged {
                registry::remove(tmp, Kind::File);
                registry::unregister(*id);
            }
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Finishes the commit a journal describes: renames the members still under their hidden names.
pub(super) fn roll_forward(dir: &Path, journal: &Path) {
    let Ok(text) = std::fs::read_to_string(journal) else {
        return;
    };
    for line in text.lines() {
        let Some((from, to)) = line.split_once('\t') else {
            continue;
        };
        let (from, to) = (dir.join(from), dir.join(to));
        if from.exists() && std::fs::rename(&from, &to).is_err() {
            return; // keep the journal: a later run retries
        }
    }
    sync_dir(dir);
    let _ = std::fs::remove_file(journal);
}
