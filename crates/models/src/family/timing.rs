//! A family's own timing of one shower end to end, by named stages (`calogen bench` without a
//! model prints one per family that has it).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bench::Summary;

/// How long and with which seed a family times itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingOptions {
    pub seed: u64,
    pub warmup: usize,
    /// Timed repeats; `None`: the family's default.
    pub repeats: Option<usize>,
    /// Fewer default repeats (tests, a quick look).
    pub quick: bool,
}

impl TimingOptions {
    /// `repeats`, or `quick_default` / `full_default`; at least 1.
    pub fn repeats_or(&self, quick_default: usize, full_default: usize) -> usize {
        self.repeats
            .unwrap_or(if self.quick {
                quick_default
            } else {
                full_default
            })
            .max(1)
    }
}

/// One named stage of a shower, timed alone.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: String,
    pub ms: Summary,
}

impl Stage {
    pub fn new(name: &str, ms: Summary) -> Self {
        Stage {
            name: name.to_string(),
            ms,
        }
    }

    /// A stage known only as a difference of medians (one value).
    /// A stage timed as a difference of medians (whole minus the parts timed alone); shown as 0
    /// when the noise of those medians takes it below zero.
    pub fn derived(name: &str, ms: f64) -> Self {
        let ms = ms.max(0.0);
        Self::new(
            name,
            Summary {
                n: 1,
                mean: ms,
                std: 0.0,
                median: ms,
                min: ms,
                max: ms,
            },
        )
    }
}

/// One shower through the whole chain, as a whole and by stages.
#[derive(Debug, Clone, Serialize)]
pub struct EndToEnd {
    pub energy_gev: f32,
    pub points: usize,
    pub points_source: String,
    pub geometry: String,
    pub included: Vec<String>,
    pub not_included: Vec<String>,
    pub ms: Summary,
    /// Thread CPU time of the whole chain (excludes time other jobs held the core).
    pub cpu_ms: Option<Summary>,
    pub stages: Vec<Stage>,
    pub cells_per_shower: usize,
    pub target_ms: f64,
    pub target_met: bool,
    /// Reference numbers beside ours (`geant4_ms` on this machine, a paper's `paper_ms`,
    /// `speedup_vs_geant4`), empty when the family has none.
    #[serde(flatten)]
    pub references: BTreeMap<String, f64>,
}

/// Owned strings from a list of literals.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
