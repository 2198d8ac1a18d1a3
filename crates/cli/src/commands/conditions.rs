//! The incident particles of `calogen generate`: explicit conditions (energy, polar and azimuthal
//! angle, each a value or a range), a list of incidents in a text file (`--incidents`), or those of
//! a point file (`--like`).

use std::path::Path;

use anyhow::{bail, Context, Result};
use calogen_data::formats::h5util::FileAttr;
use calogen_data::{PointClouds, ShowerBatch, ShowerFileOptions};
use calogen_models::family::TrainedRange;
use calogen_models::{Incident, ModelFamily};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Parses "50000", "50GeV", "10GeV..90GeV", "10000..90000 MeV" into MeV bounds.
pub fn parse_energy(s: &str) -> Result<(f32, f32)> {
    let one = |v: &str| -> Result<f32> {
        let t = v.trim();
        let lower = t.to_ascii_lowercase();
        let (num, scale) = if let Some(n) = lower.strip_suffix("gev") {
            (n, 1000.0)
        } else if let Some(n) = lower.strip_suffix("mev") {
            (n, 1.0)
        } else {
            (lower.as_str(), 1.0)
        };
        let x: f64 = num
            .trim()
            .parse()
            .with_context(|| format!("--energy: `{t}` is not a number (MeV, or with GeV/MeV)"))?;
        let e = x * scale;
        if !(e.is_finite() && e > 0.0) {
            bail!("--energy: `{t}` must be positive");
        }
        Ok(e as f32)
    };
    let s = s.trim();
    let (lo, hi) = match s.split_once("..") {
        Some((a, b)) => {
            // A unit written once at the end applies to both ends.
            let unit = ["GeV", "gev", "MeV", "mev"]
                .into_iter()
                .find(|u| b.trim_end().ends_with(u) && !a.to_ascii_lowercase().ends_with("ev"));
            match unit {
                Some(u) => (one(&format!("{a}{u}"))?, one(b)?),
                None => (one(a)?, one(b)?),
            }
        }
        None => {
            let e = one(s)?;
            (e, e)
        }
    };
    if lo > hi {
        bail!("--energy: the range {lo}..{hi} MeV is empty");
    }
    Ok((lo, hi))
}

/// Parses an angle or a range in degrees: "30", "30deg", "0..40deg", "-180..180".
pub fn parse_angle(s: &str, what: &str) -> Result<(f64, f64)> {
    let one = |v: &str| -> Result<f64> {
        let t = v.trim();
        let num = t
            .strip_suffix("deg")
            .or_else(|| t.strip_suffix('°'))
            .unwrap_or(t);
        let x: f64 = num
            .trim()
            .parse()
            .with_context(|| format!("--{what}: `{t}` is not an angle in degrees (30, 30deg)"))?;
        if !x.is_finite() {
            bail!("--{what}: `{t}` must be finite");
        }
        Ok(x)
    };
    let (lo, hi) = match s.trim().split_once("..") {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let a = one(s)?;
            (a, a)
        }
    };
    if lo > hi {
        bail!("--{what}: the range {lo}..{hi} degrees is empty");
    }
    Ok((lo, hi))
}

/// The incident energies: uniform in [lo, hi] from the seed's own stream.
pub fn energies(lo: f32, hi: f32, n: usize, seed: u64) -> Vec<f32> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(u64::MAX);
    (0..n)
        .map(|_| if hi > lo { r.random_range(lo..=hi) } else { lo })
        .collect()
}

/// `n` incidents: energies as [`energies`], directions uniform in solid angle over the polar range
/// θ and uniform over the azimuth range φ (degrees), from a second stream of the seed (so fixed
/// angles leave the energies those of the same seed without angles).
pub fn incidents(
    energy_mev: (f32, f32),
    theta_deg: (f64, f64),
    phi_deg: (f64, f64),
    n: usize,
    seed: u64,
) -> Vec<Incident> {
    let es = energies(energy_mev.0, energy_mev.1, n, seed);
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(u64::MAX - 1);
    let (c_hi, c_lo) = (
        theta_deg.0.to_radians().cos(),
        theta_deg.1.to_radians().cos(),
    );
    es.into_iter()
        .map(|e| {
            let theta = if theta_deg.1 > theta_deg.0 {
                r.random_range(c_lo..=c_hi).acos().to_degrees()
            } else {
                theta_deg.0
            };
            let phi = if phi_deg.1 > phi_deg.0 {
                r.random_range(phi_deg.0..=phi_deg.1)
            } else {
                phi_deg.0
            };
            if theta == 0.0 {
                Incident::perpendicular(e)
            } else {
                Incident::from_angles(e, theta, phi)
            }
        })
        .collect()
}

/// The incidents listed in a text file: one per line, `ENERGY [THETA [PHI]]` separated by spaces,
/// tabs or commas — the energy as for `--energy` (MeV unless suffixed GeV/MeV), the angles in
/// degrees (default 0); blank lines and `#` comments are skipped. Errors name the file and line.
pub fn read_incidents(path: &Path) -> Result<Vec<Incident>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--incidents {}: cannot read", path.display()))?;
    let mut out = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("--incidents {}, line {}", path.display(), k + 1);
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.len() > 3 {
            bail!(
                "{}: `{line}` has {} fields; expected ENERGY [THETA [PHI]]",
                at(),
                fields.len()
            );
        }
        let (lo, hi) = parse_energy(fields[0]).with_context(at)?;
        if lo != hi {
            bail!(
                "{}: `{}` is a range; list one energy per line",
                at(),
                fields[0]
            );
        }
        let angle = |i: usize, what: &str| -> Result<f64> {
            match fields.get(i) {
                None => Ok(0.0),
                Some(f) => {
                    let (a, b) = parse_angle(f, what).with_context(at)?;
                    if a != b {
                        bail!("{}: `{f}` is a range; list one {what} per line", at());
                    }
                    Ok(a)
                }
            }
        };
        let (theta, phi) = (angle(1, "theta")?, angle(2, "phi")?);
        if !(0.0..90.0).contains(&theta) {
            bail!("{}: the polar angle {theta}° must be in [0, 90)", at());
        }
        out.push(if theta == 0.0 {
            Incident::perpendicular(lo)
        } else {
            Incident::from_angles(lo, theta, phi)
        });
    }
    if out.is_empty() {
        bail!("--incidents {}: no incident listed", path.display());
    }
    Ok(out)
}

/// The conditions a run asks of a model, as ranges: checked against the family's trained range
/// and recorded in the output files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Asked {
    pub energy_gev: (f64, f64),
    /// Polar angle from the layer normal, degrees.
    pub theta_deg: (f64, f64),
}

impl Asked {
    /// The extremes of a set of incidents (those of `--like` or of a calibration sample).
    pub fn of(incidents: &[Incident]) -> Option<Self> {
        let first = incidents.first()?;
        let theta = |i: &Incident| {
            let d = i.direction;
            let norm = (d[0] as f64).hypot(d[1] as f64).hypot(d[2] as f64);
            (d[2] as f64 / norm).clamp(-1.0, 1.0).acos().to_degrees()
        };
        let start = Asked {
            energy_gev: (first.energy_mev as f64 / 1e3, first.energy_mev as f64 / 1e3),
            theta_deg: (theta(first), theta(first)),
        };
        Some(incidents.iter().fold(start, |a, i| {
            let (e, t) = (i.energy_mev as f64 / 1e3, theta(i));
            Asked {
                energy_gev: (a.energy_gev.0.min(e), a.energy_gev.1.max(e)),
                theta_deg: (a.theta_deg.0.min(t), a.theta_deg.1.max(t)),
            }
        }))
    }

    /// The HDF5 attributes that record the run's conditions against the trained range, so a
    /// reader of the showers learns that they were extrapolated (`calogen_extrapolated`).
    pub fn attributes(
        &self,
        range: &TrainedRange,
        extrapolated: bool,
    ) -> Vec<(&'static str, FileAttr)> {
        vec![
            ("calogen_extrapolated", FileAttr::Bool(extrapolated)),
            (
                "calogen_trained_energy_gev",
                FileAttr::F64s(vec![range.energy_gev.0, range.energy_gev.1]),
            ),
            (
                "calogen_trained_theta_deg",
                FileAttr::F64s(vec![range.theta_deg.0, range.theta_deg.1]),
            ),
            (
                "calogen_energy_gev",
                FileAttr::F64s(vec![self.energy_gev.0, self.energy_gev.1]),
            ),
            (
                "calogen_theta_deg",
                FileAttr::F64s(vec![self.theta_deg.0, self.theta_deg.1]),
            ),
        ]
    }
}

/// Slack of the range check: half an MeV absorbs GeV → MeV → f32 rounding, and 0.01° the acos of
/// a unit vector stored in f32 (about 1e-3° near the normal).
const ENERGY_SLACK_GEV: f64 = 0.5e-3;
const THETA_SLACK_DEG: f64 = 0.01;

/// Refuses conditions outside `family`'s trained range, before any shower is made: a model
/// evaluated beyond its training data produces showers nobody has validated, and the output
/// files would not say so. With `allow` (`--allow-extrapolation`) it warns instead; returns
/// whether the run extrapolates. `what` names the source of the conditions for the message
/// (`--energy 1e9GeV`, `--like G4.h5`). Directions given to a family that is not conditioned on
/// them are refused in any case: it would ignore them, which is no extrapolation.
pub fn check_trained_range(
    family: &dyn ModelFamily,
    asked: &Asked,
    what: &str,
    allow: bool,
) -> Result<bool> {
    let r = family.trained_range();
    let name = family.name();
    if r.theta_deg.1 == 0.0 && asked.theta_deg.1 > THETA_SLACK_DEG {
        bail!(
            "{what}: polar angles up to {:.1}° asked, but the {name} model is not conditioned on \
             the direction (perpendicular incidence only)",
            asked.theta_deg.1
        );
    }
    let mut outside = Vec::new();
    let (e, t) = (asked.energy_gev, asked.theta_deg);
    if e.0 < r.energy_gev.0 - ENERGY_SLACK_GEV || e.1 > r.energy_gev.1 + ENERGY_SLACK_GEV {
        let hint = if e.0 < 1.0 {
            "; bare numbers are MeV, write e.g. 10GeV..90GeV"
        } else {
            ""
        };
        outside.push(format!(
            "incident energies {} GeV are outside its trained range {}-{} GeV{hint}",
            span(e),
            r.energy_gev.0,
            r.energy_gev.1
        ));
    }
    if t.0 < r.theta_deg.0 - THETA_SLACK_DEG || t.1 > r.theta_deg.1 + THETA_SLACK_DEG {
        outside.push(format!(
            "polar angles {}° are outside its trained range {}-{}°",
            span(t),
            r.theta_deg.0,
            r.theta_deg.1
        ));
    }
    if outside.is_empty() {
        return Ok(false);
    }
    let why = outside.join("; ");
    if !allow {
        bail!(
            "{what}: the {name} model would extrapolate: {why}. Its showers there are not \
             validated; pass --allow-extrapolation if you mean it (the output files then carry \
             calogen_extrapolated = true)"
        );
    }
    eprintln!(
        "warning: {what}: the {name} model extrapolates ({why}); --allow-extrapolation given"
    );
    Ok(true)
}

/// "10" or "10..90", rounded to 1e-3 (MeV for energies in GeV).
fn span((lo, hi): (f64, f64)) -> String {
    let r = |x: f64| (x * 1e3).round() / 1e3;
    if lo == hi {
        format!("{}", r(lo))
    } else {
        format!("{}..{}", r(lo), r(hi))
    }
}

/// Point clouds of `path[range]` (all showers without a range).
/// The incidents of showers `range` of any shower file (`--like`): a point file's energies and
/// directions, a voxel or cell file's energies (perpendicular; those files carry no direction).
pub fn read_like(path: &Path, range: Option<&str>) -> Result<Vec<Incident>> {
    let file = calogen_data::open(path, &ShowerFileOptions::default())?;
    let r = super::evaluate::parse_range(range, file.len(), "like")?;
    Ok(match file.read(r)? {
        ShowerBatch::Points(p) => Incident::of_clouds(&p),
        ShowerBatch::Voxels(v) => v
            .incident_energy
            .iter()
            .map(|&e| Incident::perpendicular(e))
            .collect(),
        ShowerBatch::Cells(c) => (0..c.len())
            .map(|i| {
                let d = c.direction.as_ref().map_or([0.0, 0.0, 1.0], |d| d[i]);
                Incident::along(c.incident_energy[i], d)
            })
            .collect(),
    })
}

pub fn read_points(path: &Path, range: Option<&str>, what: &str) -> Result<PointClouds> {
    let file = calogen_data::open(path, &ShowerFileOptions::default())?;
    let Some(points) = file.points() else {
        bail!(
            "{}: `events`: --{what} needs a point-cloud file (detected {})",
            path.display(),
            file.kind().name()
        );
    };
    let r = super::evaluate::parse_range(range, points.len(), what)?;
    Ok(points.read(r)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_units_and_ranges() {
        assert_eq!(parse_energy("50000").unwrap(), (50_000.0, 50_000.0));
        assert_eq!(parse_energy("50GeV").unwrap(), (50_000.0, 50_000.0));
        assert_eq!(parse_energy("10GeV..90GeV").unwrap(), (10_000.0, 90_000.0));
        assert_eq!(parse_energy("10..90 GeV").unwrap(), (10_000.0, 90_000.0));
        assert_eq!(parse_energy("10000..90000").unwrap(), (10_000.0, 90_000.0));
        assert!(parse_energy("90..10").is_err());
        assert!(parse_energy("-5").is_err());
        assert!(parse_energy("ten").is_err());
    }

    #[test]
    fn incident_lists() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("incidents.txt");
        std::fs::write(
            &p,
            "# energy theta phi\n50GeV 30 45\n\n20000, 0\n 7GeV # perpendicular\n",
        )
        .unwrap();
        let got = read_incidents(&p).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Incident::from_angles(50_000.0, 30.0, 45.0));
        assert_eq!(got[1], Incident::perpendicular(20_000.0));
        assert_eq!(got[2], Incident::perpendicular(7_000.0));
        for (text, want) in [
            ("50GeV 30 45 9\n", "line 1"),
            ("50GeV\n10..20GeV\n", "line 2: `10..20GeV` is a range"),
            ("50GeV 95\n", "must be in [0, 90)"),
            ("fifty\n", "line 1"),
            ("# nothing\n", "no incident listed"),
        ] {
            std::fs::write(&p, text).unwrap();
            let e = format!("{:#}", read_incidents(&p).unwrap_err());
            assert!(
                e.contains(want) && e.contains("incidents.txt"),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn angles_and_directions() {
        assert_eq!(parse_angle("30deg", "theta").unwrap(), (30.0, 30.0));
        assert_eq!(parse_angle("0..40", "theta").unwrap(), (0.0, 40.0));
        assert_eq!(parse_angle("-180..180deg", "phi").unwrap(), (-180.0, 180.0));
        assert!(parse_angle("40..0", "theta").is_err());
        assert!(parse_angle("x", "theta").is_err());
        let fixed = incidents((1e4, 9e4), (30.0, 30.0), (45.0, 45.0), 5, 1);
        let plain = energies(1e4, 9e4, 5, 1);
        for (i, e) in fixed.iter().zip(&plain) {
            assert_eq!(i.energy_mev, *e);
            assert!((i.direction[2] as f64 - 30f64.to_radians().cos()).abs() < 1e-6);
            assert!((i.direction[0] - i.direction[1]).abs() < 1e-6);
        }
        let spread = incidents((5e4, 5e4), (0.0, 40.0), (-180.0, 180.0), 200, 2);
        let cos40 = 40f64.to_radians().cos() as f32;
        assert!(spread.iter().all(|i| i.direction[2] >= cos40 - 1e-6));
        assert!(spread.iter().any(|i| i.direction[2] < 0.9));
        assert_eq!(
            incidents((5e4, 5e4), (0.0, 0.0), (0.0, 0.0), 1, 3)[0].direction,
            [0.0, 0.0, 1.0]
        );
    }
}
