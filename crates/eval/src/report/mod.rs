//! Reports a person reads: PNG plots in the papers' style and a self-contained `report.html` that
//! shows them next to the metric tables.
//!
//! `figure` holds what a plot shows (each protocol builds its set in its own `plots.rs`, from the
//! observables it computed: `crate::protocols`), `plots` draws PNGs, `html` writes the page. This
//! module knows no protocol. [`write_report`] puts `plots/*.png` and `report.html` into a folder,
//! each file through `calogen_data::atomic` (hidden temporary, then rename), so a crash never
//! leaves half a file; to replace a whole report folder as one step, write into a
//! `calogen_data::atomic::AtomicDir` (as `calogen evaluate` does).

pub mod figure;
pub mod html;
mod plot_binned;
mod plot_matrix;
mod plot_style;
pub mod plots;
mod polar;

use std::path::{Path, PathBuf};

pub use figure::{Binned, BinnedPair, Figure, MatrixDiff, PolarImages, PolarLayer};
pub use html::Section;
pub use plots::{render_png, PlotError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error(transparent)]
    Write(#[from] calogen_data::DataError),
    #[error("figure name `{0}` is not a plain file stem (a-z, 0-9, _, -)")]
    BadName(String),
}

/// The entries [`write_report`] puts into its folder.
pub const REPORT_ENTRIES: [&str; 2] = ["report.html", "plots"];

/// What [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    pub html: PathBuf,
    pub plots: Vec<PathBuf>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn check_name(name: &str) -> Result<(), ReportError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ReportError::BadName(name.to_string()))
    }
}

/// Draw every figure of every section into `dir/plots/NAME.png` and write `dir/report.html`.
pub fn write_report(
    dir: &Path,
    title: &str,
    sections: &[Section],
) -> Result<ReportFiles, ReportError> {
    let plot_dir = dir.join("plots");
    let figures: Vec<&Figure> = sections.iter().flat_map(|s| s.figures).collect();
    for f in &figures {
        check_name(f.name())?;
    }
    if !figures.is_empty() {
        std::fs::create_dir_all(&plot_dir).map_err(io(&plot_dir))?;
    }
    let mut plots = Vec::with_capacity(figures.len());
    for f in figures {
        let png = render_png(f)?;
        let path = plot_dir.join(format!("{}.png", f.name()));
        calogen_data::atomic::write(&path, &png)?;
        plots.push(path);
    }
    let html_path = dir.join("report.html");
    calogen_data::atomic::write(&html_path, html::report_html(title, sections))?;
    Ok(ReportFiles {
        html: html_path,
        plots,
    })
}
