pub mod bench;
pub mod calibrate;
pub mod conditions;
pub mod evaluate;
pub mod generate;
pub mod info;
pub mod merge;
pub mod multiclass;
pub mod project;
pub mod resnet;
pub mod shard;
#[cfg(feature = "train")]
pub mod train;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// JSON to `path` (through `calogen_data::atomic`: hidden temporary, then rename) or to standard
/// output for `-`.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_text(path, &serde_json::to_string_pretty(value)?)
}

/// `text` and a newline to `path` (temporary file, then rename) or to standard output for `-`.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    if path == Path::new("-") {
        println!("{text}");
        return Ok(());
    }
    let mut f = calogen_data::atomic::AtomicFile::create(path)?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .with_context(|| format!("{}: write failed", path.display()))?;
    f.commit()?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    /// Issue 12 point 10: `bench.json` and `calib.json` (written by `write_json`) came out 0600.
    #[test]
    fn json_outputs_get_the_ordinary_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bench.json");
        let old = unsafe { libc::umask(0o022) };
        let res = super::write_json(&p, &[1, 2]);
        unsafe { libc::umask(old) };
        res.unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "[\n  1,\n  2\n]\n");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
