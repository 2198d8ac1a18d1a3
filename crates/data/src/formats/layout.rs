//! Explicit descriptions of how a point-cloud file stores its points.
//!
//! The same `events` dataset means different things in different repositories: CaloClouds II
//! stores `[N, 4, P]` rows (x, layer, z, E[GeV]) padded at the front, CaloClouds3 `[N, P, 4]`
//! columns (x, y, layer, E[GeV]) padded at the end, CaloHadronic `[N, 4|5, P]` with 78 layers.
//! calogen never guesses silently: a file is read through a named preset (chosen by `detect`, which
//! says why) or a layout given by the user as TOML.

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};

/// Where the feature axis sits in `events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axes {
    /// `[N, F, P]`: features first (CaloClouds II, CaloHadronic).
    FeaturesPoints,
    /// `[N, P, F]`: points first (CaloClouds3).
    PointsFeatures,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    Front,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EnergyUnit {
    // As physicists write them too ("GeV" was refused: found writing the fuzz seeds).
    #[serde(alias = "gev", alias = "GeV")]
    GeV,
    #[serde(alias = "mev", alias = "MeV")]
    MeV,
}

impl EnergyUnit {
    /// Factor that turns a value in this unit into MeV.
    pub fn to_mev(self) -> f32 {
        match self {
            Self::GeV => 1000.0,
            Self::MeV => 1.0,
        }
    }
}

/// Which file features hold calogen's transverse x and y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransverseAxes {
    pub x: usize,
    pub y: usize,
}

/// A point-cloud file layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointLayout {
    pub name: String,
    pub axes: Axes,
    /// Features per point that the file must have (extra features, e.g. a fifth row, are ignored
    /// when reading and written as zeros).
    pub n_features: usize,
    /// Feature indices of the two transverse coordinates (mm).
    pub transverse: TransverseAxes,
    /// Feature index of the layer coordinate (integer layer index stored as float).
    pub layer: usize,
    /// Feature index of the deposited energy.
    pub energy: usize,
    /// Unit of the point energies.
    pub energy_unit: EnergyUnit,
    /// Unit of the per-shower `energy` dataset (incident energy).
    pub incident_unit: EnergyUnit,
    /// Where empty (zero-energy) slots go when writing.
    pub padding: Padding,
    /// Number of layers: layer indices must lie in `0..n_layers`.
    pub n_layers: u16,
    /// Name of the built-in geometry whose layer depths apply (informational; the CLI uses it to fill depths).
    pub detector: String,
}

impl PointLayout {
    pub const PRESETS: [&'static str; 3] = ["caloclouds2", "caloclouds3", "calohadronic"];

    /// CaloClouds II (ILD ECAL, 30 layers): `[N, 4, P]`, rows (x, layer, z, E GeV), padding at the front.
    pub fn caloclouds2() -> Self {
        Self {
            name: "caloclouds2".into(),
            axes: Axes::FeaturesPoints,
            n_features: 4,
            transverse: TransverseAxes { x: 0, y: 2 },
            layer: 1,
            energy: 3,
            energy_unit: EnergyUnit::GeV,
            incident_unit: EnergyUnit::GeV,
            padding: Padding::Front,
            n_layers: 30,
            detector: "ild-ecal".into(),
        }
    }

    /// CaloClouds3 (ILD ECAL, 30 layers): `[N, P, 4]`, columns (x, y, layer, E GeV), padding at the end.
    pub fn caloclouds3() -> Self {
        Self {
            name: "caloclouds3".into(),
            axes: Axes::PointsFeatures,
            n_features: 4,
            transverse: TransverseAxes { x: 0, y: 1 },
            layer: 2,
            energy: 3,
            energy_unit: EnergyUnit::GeV,
            incident_unit: EnergyUnit::GeV,
            padding: Padding::End,
            n_layers: 30,
            detector: "ild-ecal-wide".into(),
        }
    }

    /// CaloHadronic (ECAL layers 0-29, HCAL 30-77): `[N, 4, P]` rows (x, layer, z, E GeV), front padding.
    pub fn calohadronic() -> Self {
        Self {
            name: "calohadronic".into(),
            n_layers: 78,
            detector: "ild-ecal-hcal".into(),
            ..Self::caloclouds2()
        }
    }

    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "caloclouds2" => Some(Self::caloclouds2()),
            "caloclouds3" => Some(Self::caloclouds3()),
            "calohadronic" => Some(Self::calohadronic()),
            _ => None,
        }
    }

    /// A preset name, or the path of a TOML file holding a full layout.
    pub fn from_name_or_file(spec: &str) -> Result<Self> {
        if let Some(p) = Self::preset(spec) {
            return Ok(p);
        }
        let path = std::path::Path::new(spec);
        if !path.exists() {
            return Err(DataError::new(
                path,
                "layout",
                format!(
                    "unknown layout: not a preset ({}) and no such TOML file",
                    Self::PRESETS.join(", ")
                ),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::from_toml_str(&text, path)
    }

    /// Parses and validates a layout from TOML text; `source` names it in errors. What
    /// [`from_name_or_file`](Self::from_name_or_file) does with a file's contents, for text that
    /// does not come from a file (and for the fuzz target `layout_toml`).
    pub fn from_toml_str(text: &str, source: &std::path::Path) -> Result<Self> {
        let layout: Self =
            toml::from_str(text).map_err(|e| DataError::new(source, "layout", e.to_string()))?;
        layout
            .validate()
            .map_err(|m| DataError::new(source, "layout", m))?;
        Ok(layout)
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        let f = self.n_features;
        for (what, i) in [
            ("transverse.x", self.transverse.x),
            ("transverse.y", self.transverse.y),
            ("layer", self.layer),
            ("energy", self.energy),
        ] {
            if i >= f {
                return Err(format!("{what} = {i} is outside the {f} features"));
            }
        }
        let mut idx = [
            self.transverse.x,
            self.transverse.y,
            self.layer,
            self.energy,
        ];
        idx.sort_unstable();
        if idx.windows(2).any(|w| w[0] == w[1]) {
            return Err("two fields share one feature index".into());
        }
        Ok(())
    }

    /// `(n_showers, n_features, max_points)` from the `events` shape, if it fits this layout.
    pub fn split_shape(&self, shape: &[usize]) -> Option<(usize, usize, usize)> {
        if shape.len() != 3 {
            return None;
        }
        let (f, p) = match self.axes {
            Axes::FeaturesPoints => (shape[1], shape[2]),
            Axes::PointsFeatures => (shape[2], shape[1]),
        };
        (f >= self.n_features).then_some((shape[0], f, p))
    }
}

#[cfg(test)]
mod unit_spelling {
    use super::*;

    /// Energy units as a layout TOML may spell them; GeV/MeV were refused before.
    #[test]
    fn energy_units_in_any_usual_spelling() {
        let base = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/layout_toml/seed-caloclouds3.toml"),
        )
        .unwrap();
        for (spelled, unit) in [
            ("GeV", EnergyUnit::GeV),
            ("GEV", EnergyUnit::GeV),
            ("gev", EnergyUnit::GeV),
            ("MeV", EnergyUnit::MeV),
            ("mev", EnergyUnit::MeV),
        ] {
            let text = base.replace(
                "energy_unit = \"GEV\"",
                &format!("energy_unit = \"{spelled}\""),
            );
            let l = PointLayout::from_toml_str(&text, std::path::Path::new("t.toml")).unwrap();
            assert_eq!(l.energy_unit, unit, "{spelled}");
        }
        let text = base.replace("energy_unit = \"GEV\"", "energy_unit = \"keV\"");
        assert!(PointLayout::from_toml_str(&text, std::path::Path::new("t.toml")).is_err());
    }
}
