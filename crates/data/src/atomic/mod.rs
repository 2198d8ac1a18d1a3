//! One writer for every output calogen writes: HDF5, JSON, Markdown, HTML, PNG, safetensors.
//!
//! - [`AtomicFile`]: one file. It is written under a hidden temporary name in the destination's
//!   folder, `.NAME.calogen-PID-N.HOST.tmp`, and renamed over `NAME` by [`AtomicFile::commit`]; dropped
//!   uncommitted (an error, a panic) it removes the temporary. The temporary is created with mode
//!   0666 less the umask (0644 under the usual 022), the mode of any file a program creates.
//! - [`AtomicDir`]: a folder of files (an evaluation's `metrics.json`, `report.md`, `report.html`,
//!   `plots/`) built in a hidden temporary folder and swapped into place in one step, so an old
//!   report never sits beside new plots.
//! - [`FileSet`]: sibling files that belong together (points `X.h5` + cells `X_cells.h5`),
//!   committed through a journal so that the pair is always the old pair or the new pair.
//!
//! Shared by all three:
//! - The destination is checked when the writer is created (its folder exists and is writable,
//!   a file is not a folder and a folder is not a file), so a bad `--out` fails before the work.
//! - Every live temporary is in a process-wide registry; SIGTERM and SIGINT remove them all and
//!   end the process with status 128 + signal (see `registry.rs`).
//! - A kill -9 cannot be caught: creating a writer in a folder first rolls forward the journals
//!   and removes the temporaries of this naming pattern left there by processes that are no longer
//!   running (their PID and machine are in the name; a temporary of another machine sharing
//!   the folder is never touched). `calogen_data::open` rolls journals forward too, so a
//!   reader never sees a half-renamed set.

mod dir;
mod registry;
mod set;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{DataError, Result};
use registry::Kind;

pub use dir::AtomicDir;
pub use set::FileSet;

/// The marker between a destination's name and the owner's PID in every temporary name.
const MARK: &str = ".calogen-";

/// What a hidden name of ours is: `.NAME.calogen-PID-N.HOST.SUFFIX`.
#[derive(Debug, PartialEq, Eq)]
struct Hidden<'a> {
    dest: &'a str,
    pid: u32,
    host: &'a str,
    suffix: &'a str,
}

fn hidden_name(dest_name: &str, pid: u32, n: u64, suffix: &str) -> String {
    format!(".{dest_name}{MARK}{pid}-{n}.{}.{suffix}", host())
}

fn parse_hidden(name: &str) -> Option<Hidden<'_>> {
    let rest = name.strip_prefix('.')?;
    let (stem, suffix) = rest.rsplit_once('.')?;
    let (stem, host) = stem.rsplit_once('.')?;
    let (dest, ids) = stem.rsplit_once(MARK)?;
    let (pid, n) = ids.split_once('-')?;
    if dest.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Hidden {
        dest,
        pid: pid.parse().ok()?,
        host,
        suffix,
    })
}

/// This machine's name as it goes into temporary names (letters, digits and `-`): on a folder
/// shared between machines, a PID says nothing about another machine's processes, so only the
/// temporaries of this machine are ever swept.
fn host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let raw = hostname().unwrap_or_default();
        let h: String = raw
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(32)
            .collect();
        if h.is_empty() {
            "host".into()
        } else {
            h
        }
    })
}

#[cfg(unix)]
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

#[cfg(not(unix))]
fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

/// The folder a destination lives in and its file name.
fn split_dest(dest: &Path) -> Result<(PathBuf, String)> {
    let name = match dest.file_name() {
        Some(n) if !matches!(n.to_str(), Some(".") | Some("..")) => {
            n.to_string_lossy().into_owned()
        }
        _ => {
            return Err(DataError::new(
                dest,
                "",
                "the output path must end in a file or folder name",
            ))
        }
    };
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

fn check_parent(dest: &Path, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(DataError::new(
            dest,
            "",
            format!("output folder {} does not exist", dir.display()),
        ));
    }
    Ok(())
}

/// Creates a new hidden temporary for `dest` in `dir` (mode 0666 less the umask) and registers it.
fn create_temp(dest: &Path, dir: &Path, name: &str, suffix: &str) -> Result<(u64, PathBuf, File)> {
    let pid = std::process::id();
    loop {
        let id = registry::next_id();
        let tmp = dir.join(hidden_name(name, pid, id, suffix));
        // Registered before it exists, so a signal between the two cannot miss it.
        registry::register(id, &tmp, Kind::File);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((id, tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => registry::unregister(id),
            Err(e) => {
                registry::unregister(id);
                return Err(DataError::new(
                    dest,
                    "",
                    format!("cannot write in {}: {e}", dir.display()),
                ));
            }
        }
    }
}

/// One output file, written under a hidden temporary name and renamed into place by
/// [`commit`](Self::commit). Dropped uncommitted, it removes the temporary.
///
/// Write through [`Write`] (or [`file`](Self::file)); a library that opens files by name (HDF5)
/// writes to [`temp_path`](Self::temp_path) instead.
#[derive(Debug)]
pub struct AtomicFile {
    id: u64,
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Checks `dest` (its folder exists and is writable, `dest` is not a folder), removes stale
    /// temporaries of dead processes from the folder, and creates the temporary.
    pub fn create(dest: impl AsRef<Path>) -> Result<Self> {
        let dest = dest.as_ref();
        let (dir, name) = split_dest(dest)?;
        check_parent(dest, &dir)?;
        if dest.is_dir() {
            return Err(DataError::new(
                dest,
                "",
                "is a folder; a file is written here",
            ));
        }
        recover(&dir);
        let (id, tmp, file) = create_temp(dest, &dir, &name, "tmp")?;
        Ok(Self {
            id,
            tmp,
            dest: dest.to_path_buf(),
            file: Some(file),
        })
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Where the bytes go until the commit.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until commit")
    }

    /// Flushes the temporary to disk and renames it over the destination.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("commit called once");
        let res = file.sync_all().and_then(|_| {
            drop(file);
            test_delay();
            let _live = registry::lock();
            std::fs::rename(&self.tmp, &self.dest)
        });
        match res {
            Ok(()) => {
                registry::unregister(self.id);
                Ok(())
            }
            Err(e) => {
                registry::remove(&self.tmp, Kind::File);
                registry::unregister(self.id);
                Err(DataError::io(&self.dest, e))
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            registry::remove(&self.tmp, Kind::File);
            registry::unregister(self.id);
        }
    }
}

/// Fault injection for the kill tests: `CALOGEN_TEST_COMMIT_DELAY_MS` pauses every commit just
/// before its rename(s), stretching the write phase so that a kill at a chosen moment lands in it.
fn test_delay() {
    static DELAY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ms = *DELAY.get_or_init(|| {
        std::env::var("CALOGEN_TEST_COMMIT_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Writes `bytes` to `dest` atomically.
pub fn write(dest: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    let dest = f.dest().to_path_buf();
    f.write_all(bytes.as_ref())
        .map_err(|e| DataError::io(&dest, e))?;
    f.commit()
}

/// Copies `src` to `dest` atomically.
pub fn copy(src: impl AsRef<Path>, dest: impl AsRef<Path>) -> Result<()> {
    let src = src.as_ref();
    let mut f = AtomicFile::create(dest)?;
    let mut input = File::open(src).map_err(|e| DataError::io(src, e))?;
    let dest = f.dest().to_path_buf();
    std::io::copy(&mut input, f.file()).map_err(|e| DataError::io(&dest, e))?;
    f.commit()
}

/// Checks that a file can be written at `dest` (as [`AtomicFile::create`] does) without writing
/// it: for commands that must fail on a bad `--out` before their work but write much later.
pub fn check_file_dest(dest: impl AsRef<Path>) -> Result<()> {
    AtomicFile::create(dest).map(drop)
}

/// Rolls forward the journals of finished-but-interrupted [`FileSet`] commits in `dir` and
/// removes the temporaries of this module's pattern whose process is no longer running.
/// Errors are ignored: this is housekeeping, and a folder that cannot be cleaned is still read.
pub fn recover(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let me = std::process::id();
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(h) = parse_hidden(name) else {
            continue;
        };
        if h.host != host() || h.pid == me || registry::pid_alive(h.pid) {
            continue;
        }
        stale.push((name.to_string(), h.suffix.to_string()));
    }
    // Journals first: they name temporaries that must be renamed, not removed.
    for (name, suffix) in &stale {
        if suffix == set::JOURNAL {
            set::roll_forward(folder, &folder.join(name));
        }
    }
    for (name, suffix) in &stale {
        let path = folder.join(name);
        match suffix.as_str() {
            "tmp" => {
                let kind = if path.is_dir() { Kind::Dir } else { Kind::File };
                registry::remove(&path, kind);
            }
            dir::OLD => dir::restore_or_remove(folder, &path),
            _ => {}
        }
    }
}

/// Folder holding `path`, for [`recover`] before reading it.
pub fn recover_beside(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    recover(dir);
}

#[cfg(test)]
mod tests;
