//! CaloChallenge cylindrical voxelisations, built from the challenge's binning XML files.
//!
//! Voxel order in the challenge's `showers` arrays: r fastest, then alpha, then layer. Alpha bins
//! start at −π (α = atan2(y, x)); a layer with one alpha bin covers the full circle, and a layer whose
//! `r_edges` is just "0" has no voxels at all (dataset 1 has such empty layers).

use std::f64::consts::PI;

use quick_xml::events::Event;
use serde::Deserialize;

use crate::error::{GeometryError, Result};

/// The TOML description of a CaloChallenge geometry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaloChallengeSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The binning XML, relative to the TOML file (built-ins: to `geometries/`).
    pub binning: String,
    pub particle: String,
    /// The challenge's evaluation threshold per voxel, MeV.
    pub threshold_mev: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VoxelLayer {
    /// The `id` attribute of the XML `Layer` element.
    pub id: usize,
    /// Radial bin edges, mm (n_r + 1 of them; just `[0]` for a layer without voxels).
    pub r_edges: Vec<f64>,
    pub n_alpha: usize,
    /// Index of this layer's first voxel in the flat voxel vector.
    pub first_voxel: usize,
}

impl VoxelLayer {
    pub fn n_r(&self) -> usize {
        self.r_edges.len().saturating_sub(1)
    }

    pub fn n_voxels(&self) -> usize {
        self.n_r() * self.n_alpha
    }
}

/// A CaloChallenge voxelisation with its per-layer binning.
#[derive(Debug, Clone, PartialEq)]
pub struct Voxelisation {
    pub name: String,
    pub description: String,
    pub particle: String,
    pub threshold_mev: f64,
    pub layers: Vec<VoxelLayer>,
    pub n_voxels: usize,
}

/// Centre of one voxel in the challenge's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoxelCentre {
    pub layer: usize,
    pub r: f64,
    pub alpha: f64,
    /// `r cos α` (the challenge calls this coordinate eta).
    pub eta: f64,
    /// `r sin α` (the challenge calls this coordinate phi).
    pub phi: f64,
}

impl Voxelisation {
    pub fn from_spec(spec: CaloChallengeSpec, xml: &str, xml_source: &str) -> Result<Self> {
        let layers = parse_binning(xml, xml_source, &spec.particle)?;
        let n_voxels = layers.iter().map(VoxelLayer::n_voxels).sum();
        Ok(Self {
            name: spec.name,
            description: spec.description,
            particle: spec.particle,
            threshold_mev: spec.threshold_mev,
            layers,
            n_voxels,
        })
    }

    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// Alpha bin edges of a layer with `n_alpha` bins, starting at −π.
    pub fn alpha_edges(n_alpha: usize) -> Vec<f64> {
        (0..=n_alpha)
            .map(|k| -PI + 2.0 * PI * k as f64 / n_alpha as f64)
            .collect()
    }

    /// Voxel centres in voxel order (r fastest, then alpha, then layer); r at the bin middle, alpha
    /// at the bin middle (0 for single-bin layers, which span the whole circle).
    pub fn voxel_centres(&self) -> Vec<VoxelCentre> {
        let mut out = Vec::with_capacity(self.n_voxels);
        for (l, layer) in self.layers.iter().enumerate() {
            let edges = Self::alpha_edges(layer.n_alpha);
            for a in 0..layer.n_alpha {
                let alpha = if layer.n_alpha == 1 {
                    0.0
                } else {
                    0.5 * (edges[a] + edges[a + 1])
                };
                for r in 0..layer.n_r() {
                    let rc = 0.5 * (layer.r_edges[r] + layer.r_edges[r + 1]);
                    out.push(VoxelCentre {
                        layer: l,
                        r: rc,
                        alpha,
                        eta: rc * alpha.cos(),
                        phi: rc * alpha.sin(),
                    });
                }
            }
        }
        out
    }

    /// Flat voxel index of a point at transverse (x, y) in `layer`, or `None` outside the binning.
    #[inline]
    pub fn voxel_of(&self, layer: usize, x: f64, y: f64) -> Option<usize> {
        let l = self.layers.get(layer)?;
        // Inputs are f32 in practice, so x² + y² is exact in f64 and hypot's care buys nothing.
        let r = (x * x + y * y).sqrt();
        let edges = &l.r_edges;
        // A NaN position (a model gone wrong) would otherwise pass the edge test and land in bin 0.
        if l.n_r() == 0 || r.is_nan() || r >= edges[edges.len() - 1] {
            return None;
        }
        // Few radial bins (≤ 24 in every dataset): a partition point is as fast as anything.
        let ir = edges[1..].partition_point(|&e| e <= r);
        let ia = if l.n_alpha == 1 {
            0
        } else {
            let a = y.atan2(x);
            (((a + PI) / (2.0 * PI) * l.n_alpha as f64) as usize).min(l.n_alpha - 1)
        };
        Some(l.first_voxel + ia * l.n_r() + ir)
    }
}

/// Bounds on what a binning XML may declare (see `parse_layer`): far above any CaloChallenge
/// dataset (at most 50 alpha bins, 40 500 voxels), far below sizes that cannot be allocated.
pub const MAX_ALPHA_BINS: usize = 1 << 16;
pub const MAX_VOXELS: usize = 1 << 24;

fn parse_binning(xml: &str, source: &str, particle: &str) -> Result<Vec<VoxelLayer>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    // (Bin name, its layers): every challenge file has one Bin, but the format allows one per particle.
    let mut bins: Vec<(String, Vec<VoxelLayer>)> = Vec::new();
    let mut in_bin = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            GeometryError::new(
                source,
                "",
                format!(
                    "XML does not parse at byte {}: {e}",
                    reader.error_position()
                ),
            )
        })?;
        match event {
            Event::Start(e) if e.name().as_ref() == b"Bin" => {
                let name = attr(&e, "name", source, "Bin")?.unwrap_or_default();
                bins.push((name, Vec::new()));
                in_bin = true;
            }
            Event::End(e) if e.name().as_ref() == b"Bin" => in_bin = false,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"Layer" && in_bin => {
                let layers = &mut bins.last_mut().expect("inside a Bin").1;
                layers.push(parse_layer(&e, source, layers)?);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let chosen = match bins.iter().position(|(n, _)| n == particle) {
        Some(k) => k,
        None if bins.len() == 1 => 0,
        None => {
            let names: Vec<&str> = bins.iter().map(|(n, _)| n.as_str()).collect();
            return Err(GeometryError::new(
                source,
                "Bins/Bin/@name",
                format!("no Bin named `{particle}` (found: {})", names.join(", ")),
            ));
        }
    };
    let layers = bins.swap_remove(chosen).1;
    if layers.is_empty() {
        return Err(GeometryError::new(
            source,
            "Bins/Bin/Layer",
            "no layers found",
        ));
    }
    Ok(layers)
}

fn parse_layer(
    e: &quick_xml::events::BytesStart,
    source: &str,
    before: &[VoxelLayer],
) -> Result<VoxelLayer> {
    let where_ = format!("Layer[{}]", before.len());
    let id: usize = parse_attr(e, "id", source, &where_)?;
    let n_alpha: usize = parse_attr(e, "n_bin_alpha", source, &where_)?;
    let edges_s = attr(e, "r_edges", source, &where_)?
        .ok_or_else(|| GeometryError::new(source, format!("{where_}/@r_edges"), "missing"))?;
    let r_edges = edges_s
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            GeometryError::new(
                source,
                format!("{where_}/@r_edges"),
                format!("not a number list: {e}"),
            )
        })?;
    if r_edges.iter().any(|r| !r.is_finite() || *r < 0.0)
        || r_edges.windows(2).any(|w| w[1] <= w[0])
    {
        return Err(GeometryError::new(
            source,
            format!("{where_}/@r_edges"),
            "edges must be finite, >= 0 and increasing",
        ));
    }
    // Sizes in a file are not trusted: `voxel_centres` allocates n_alpha + 1 edges per layer and
    // a shower is a dense row of every voxel, so a typo such as 214748364732 would ask for
    // terabytes. The challenge's finest binning (dataset 3) has 50 alpha bins and 40 500 voxels.
    if n_alpha == 0 || n_alpha > MAX_ALPHA_BINS {
        return Err(GeometryError::new(
            source,
            format!("{where_}/@n_bin_alpha"),
            format!("{n_alpha} is not in 1..={MAX_ALPHA_BINS}"),
        ));
    }
    // The voxel order is by position in the file; an id out of sequence means a file we misread.
    if id != before.len() {
        return Err(GeometryError::new(
            source,
            format!("{where_}/@id"),
            format!("layers must be numbered 0, 1, 2, …: found id {id}"),
        ));
    }
    let first_voxel = before.last().map_or(0, |l| l.first_voxel + l.n_voxels());
    let layer = VoxelLayer {
        id,
        r_edges,
        n_alpha,
        first_voxel,
    };
    // n_r ≤ the text's length and n_alpha ≤ MAX_ALPHA_BINS, so neither sum overflows.
    if first_voxel + layer.n_voxels() > MAX_VOXELS {
        return Err(GeometryError::new(
            source,
            where_.clone(),
            format!("more than {MAX_VOXELS} voxels up to this layer"),
        ));
    }
    Ok(layer)
}

fn attr(
    e: &quick_xml::events::BytesStart,
    key: &str,
    source: &str,
    element: &str,
) -> Result<Option<String>> {
    for a in e.attributes() {
        let a =
            a.map_err(|err| GeometryError::new(source, element, format!("bad attribute: {err}")))?;
        if a.key.as_ref() == key.as_bytes() {
            let v = a.unescape_value().map_err(|err| {
                GeometryError::new(source, format!("{element}/@{key}"), err.to_string())
            })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn parse_attr<T: std::str::FromStr>(
    e: &quick_xml::events::BytesStart,
    key: &str,
    source: &str,
    element: &str,
) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let v = attr(e, key, source, element)?
        .ok_or_else(|| GeometryError::new(source, format!("{element}/@{key}"), "missing"))?;
    v.trim().parse().map_err(|err| {
        GeometryError::new(source, format!("{element}/@{key}"), format!("`{v}`: {err}"))
    })
}
