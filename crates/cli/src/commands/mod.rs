pub mod bench;
pub mod calibrate;
pub mod conditions;
pub mod evaluate;
pub mod generate;
pub mod info;
pub mod multiclass;
pub mod project;
pub mod resnet;
#[cfg(feature = "train")]
pub mod train;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// JSON to `path` (temporary file, then rename) or to standard output for `-`.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_text(path, &serde_json::to_string_pretty(value)?)
}

/// `text` and a newline to `path` (temporary file, then rename) or to standard output for `-`.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    if path == Path::new("-") {
        println!("{text}");
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", path.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.write_all(b"\n"))
        .with_context(|| format!("{}: write failed", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(())
}
