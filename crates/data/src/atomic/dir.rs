//! A folder of outputs built in a hidden temporary folder and swapped into place in one step.
//!
//! On Linux an existing destination is exchanged with the new folder by `renameat2(…,
//! RENAME_EXCHANGE)`, one atomic step, and the old folder (now under the hidden name) is removed;
//! a destination that does not exist yet is created by a plain rename. Elsewhere, or on a file
//! system without the exchange, the old folder is first renamed aside to
//! `.NAME.calogen-PID-N.HOST.old` and the new one renamed into place; a kill between the two renames
//! leaves no `NAME`, and the next recovery in the parent folder renames the old folder back.
//! Either way, at every moment `NAME` is the old complete folder or the new complete folder.

use std::path::{Path, PathBuf};

use super::registry::{self, Kind};
use super::{hidden_name, recover, split_dest};
use crate::{DataError, Result};

pub(super) const OLD: &str = "old";

/// An output folder written in full under a hidden name beside it, then swapped into place by
/// [`commit`](Self::commit); dropped uncommitted (an error, a panic) it removes what it wrote.
#[derive(Debug)]
pub struct AtomicDir {
    id: u64,
    tmp: PathBuf,
    dest: PathBuf,
    replaceable: Vec<String>,
    committed: bool,
}

impl AtomicDir {
    /// Checks `dest` and creates the hidden folder. `dest`'s parent folders are created if
    /// missing. An existing `dest` must be a folder holding only entries named in `replaceable`
    /// (what the command writes, e.g. `["metrics.json", "report.md", "plots"]`): a folder with
    /// anything else in it — someone's notes, another program's output — is refused, never swapped
    /// away.
    pub fn create(dest: impl AsRef<Path>, replaceable: &[&str]) -> Result<Self> {
        let dest = dest.as_ref();
        let (parent, name) = split_dest(dest)?;
        let replaceable: Vec<String> = replaceable.iter().map(|s| s.to_string()).collect();
        check_replaceable(dest, &replaceable)?;
        std::fs::create_dir_all(&parent).map_err(|e| DataError::io(&parent, e))?;
        recover(&parent);
        let pid = std::process::id();
        loop {
            let id = registry::next_id();
            let tmp = parent.join(hidden_name(&name, pid, id, "tmp"));
            registry::register(id, &tmp, Kind::Dir);
            match std::fs::create_dir(&tmp) {
                Ok(()) => {
                    return Ok(Self {
                        id,
                        tmp,
                        dest: dest.to_path_buf(),
                        replaceable,
                        committed: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => registry::unregister(id),
                Err(e) => {
                    registry::unregister(id);
                    return Err(DataError::new(
                        dest,
                        "",
                        format!("cannot write in {}: {e}", parent.display()),
                    ));
                }
            }
        }
    }

    /// The folder to write into until the commit.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Replaces the destination by the folder written so far, in one step.
    pub fn commit(mut self) -> Result<()> {
        check_replaceable(&self.dest, &self.replaceable)?;
        super::test_delay();
        let live = registry::lock();
        let swapped = if self.dest.exists() {
            swap(&self.tmp, &self.dest)
        } else {
            std::fs::rename(&self.tmp, &self.dest).map(|_| None)
        };
        drop(live);
        self.committed = true;
        match swapped {
            Ok(None) => {
                registry::unregister(self.id);
                Ok(())
            }
            Ok(Some(old)) => {
                // The old folder, now under a hidden name: still registered, so a signal while
                // it is being removed removes the rest.
                registry::remove(&old, Kind::Dir);
                registry::unregister(self.id);
                Ok(())
            }
            Err(e) => {
                self.committed = false;
                Err(DataError::io(&self.dest, e))
            }
        }
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if !self.committed {
            registry::remove(&self.tmp, Kind::Dir);
            registry::unregister(self.id);
        }
    }
}

fn check_replaceable(dest: &Path, replaceable: &[String]) -> Result<()> {
    if !dest.exists() {
        return Ok(());
    }
    if !dest.is_dir() {
        return Err(DataError::new(
            dest,
            "",
            "is a file; a folder is written here",
        ));
    }
    let entries = std::fs::read_dir(dest).map_err(|e| DataError::io(dest, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| DataError::io(dest, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !replaceable.contains(&name) {
            return Err(DataError::new(
                dest,
                "",
                format!(
                    "holds `{name}`, which calogen did not write here; the folder is replaced as a \
                     whole, so choose an empty or new folder"
                ),
            ));
        }
    }
    Ok(())
}

/// Exchanges `tmp` (the new folder) and `dest`; returns where the old folder now is.
/// Called with the registry locked.
fn swap(tmp: &Path, dest: &Path) -> std::io::Result<Option<PathBuf>> {
    #[cfg(target_os = "linux")]
    {
        match exchange(tmp, dest) {
            Ok(()) => return Ok(Some(tmp.to_path_buf())),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
                ) => {}
            Err(e) => return Err(e),
        }
    }
    // Rename aside, then into place; recovery renames `old` back if killed in between.
    let (parent, name) = split_dest(dest).map_err(|e| std::io::Error::other(e.to_string()))?;
    let id = registry::next_id();
    let old = parent.join(hidden_name(&name, std::process::id(), id, OLD));
    std::fs::rename(dest, &old)?;
    if let Err(e) = std::fs::rename(tmp, dest) {
        let _ = std::fs::rename(&old, dest);
        return Err(e);
    }
    Ok(Some(old))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A folder set aside by an interrupted fallback swap: back into place if its destination is
/// missing (the kill fell between the two renames), otherwise removed.
pub(super) fn restore_or_remove(parent: &Path, old: &Path) {
    let Some(name) = old.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let Some(h) = super::parse_hidden(name) else {
        return;
    };
    let dest = parent.join(h.dest);
    if dest.exists() {
        registry::remove(old, Kind::Dir);
    } else {
        let _ = std::fs::rename(old, dest);
    }
}
