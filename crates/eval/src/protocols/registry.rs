//! The protocols by name. [`Protocol`] has associated types (its samples, its result), so the
//! front end holds protocols as [`DynProtocol`], which every `Protocol` is, and a finished run as
//! an [`Evaluation`]. A new protocol is one line in [`PROTOCOLS`].

use calogen_geometry::Geometry;
use serde::Serialize;

use super::calochallenge::CaloChallenge;
use super::caloclouds::CaloClouds;
use super::calohadronic::CaloHadronic;
use super::protocol::{Input, Loaded, Options, Protocol, Run, Samples};
use crate::error::{invalid, Result};
use crate::report::Figure;

/// Every protocol `calogen evaluate --protocol` knows, the default first.
pub static PROTOCOLS: &[&dyn DynProtocol] = &[&CaloClouds, &CaloChallenge, &CaloHadronic];

/// The protocol called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn DynProtocol> {
    PROTOCOLS.iter().copied().find(|p| p.name() == name)
}

/// The names of [`PROTOCOLS`], in order.
pub fn names() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|p| p.name()).collect()
}

/// A protocol without its types: what the front end runs.
pub trait DynProtocol: Sync {
    fn name(&self) -> &'static str;
    fn help(&self) -> &'static str;
    /// What to load the files as.
    fn input(&self) -> Input;
    /// An error naming the geometry unless it is the kind this protocol reads.
    fn check_geometry(&self, geometry: &Geometry) -> Result<()>;
    /// Run the protocol on samples loaded as [`DynProtocol::input`] asks.
    fn evaluate<'a>(
        &'a self,
        reference: &Loaded,
        generated: &Loaded,
        geometry: &Geometry,
        options: &Options,
    ) -> Result<Box<dyn Evaluation + 'a>>;
}

/// A finished protocol run: its result as `metrics.json`, `report.md` and figures.
pub trait Evaluation {
    /// `metrics.json`: the run's header, the protocol's entries, then `warnings` if any.
    fn metrics_json(&self, run: &Run) -> String;
    /// `report.md`, with the run's warnings under the title.
    fn markdown(&self, run: &Run) -> String;
    fn figures(&self) -> &[Figure];
}

impl<P: Protocol> DynProtocol for P {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn help(&self) -> &'static str {
        P::HELP
    }

    fn input(&self) -> Input {
        <P::Samples as Samples>::INPUT
    }

    fn check_geometry(&self, geometry: &Geometry) -> Result<()> {
        match <P::Samples as Samples>::geometry(geometry) {
            Some(_) => Ok(()),
            None => Err(invalid(
                "evaluate",
                format!(
                    "the {} protocol needs {}; `{}` is not one",
                    P::NAME,
                    P::NEEDS,
                    geometry.name()
                ),
            )),
        }
    }

    fn evaluate<'a>(
        &'a self,
        reference: &Loaded,
        generated: &Loaded,
        geometry: &Geometry,
        options: &Options,
    ) -> Result<Box<dyn Evaluation + 'a>> {
        self.check_geometry(geometry)?;
        let g = <P::Samples as Samples>::geometry(geometry).expect("checked");
        let wrong = || {
            invalid(
                "evaluate",
                format!(
                    "the {} protocol reads {:?} showers; the front end loaded another kind",
                    P::NAME,
                    self.input()
                ),
            )
        };
        let r = P::Samples::of(reference).ok_or_else(wrong)?;
        let s = P::Samples::of(generated).ok_or_else(wrong)?;
        let output = self.compute(r, s, g, options)?;
        Ok(Box::new(Evaluated {
            protocol: self,
            output,
        }))
    }
}

struct Evaluated<'a, P: Protocol> {
    protocol: &'a P,
    output: P::Output,
}

/// `metrics.json` in field order: header, protocol entries, warnings.
#[derive(Serialize)]
struct MetricsFile<'a, O: Serialize> {
    #[serde(flatten)]
    run: &'a Run,
    #[serde(flatten)]
    output: &'a O,
    #[serde(skip_serializing_if = "none")]
    warnings: &'a [String],
}

fn none(warnings: &&[String]) -> bool {
    warnings.is_empty()
}

impl<P: Protocol> Evaluation for Evaluated<'_, P> {
    fn metrics_json(&self, run: &Run) -> String {
        serde_json::to_string_pretty(&MetricsFile {
            run,
            output: &self.output,
            warnings: &run.warnings,
        })
        // Serialising plain structs of numbers and strings into a String cannot fail.
        .expect("metrics serialise")
    }

    fn markdown(&self, run: &Run) -> String {
        with_warnings(self.protocol.markdown(&self.output, run), &run.warnings)
    }

    fn figures(&self) -> &[Figure] {
        self.protocol.figures(&self.output)
    }
}

/// The warnings, one paragraph each, right under the report's title line.
fn with_warnings(md: String, warnings: &[String]) -> String {
    if warnings.is_empty() {
        return md;
    }
    let (title, rest) = md.split_once('\n').unwrap_or((&md, ""));
    let mut out = format!("{title}\n");
    for w in warnings {
        out.push_str(&format!("\nWarning: {w}\n"));
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let n = names();
        assert_eq!(n, ["caloclouds", "calochallenge", "calohadronic"]);
        for name in n {
            assert_eq!(by_name(name).unwrap().name(), name);
        }
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn warnings_go_under_the_title() {
        let md = "# title\n\n- a\n".to_string();
        assert_eq!(with_warnings(md.clone(), &[]), md);
        let w = with_warnings(md, &["x".into(), "y".into()]);
        assert_eq!(w, "# title\n\nWarning: x\n\nWarning: y\n\n- a\n");
    }
}
