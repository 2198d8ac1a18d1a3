//! Point-cloud files (CaloClouds II, CaloClouds3, CaloHadronic) through an explicit [`PointLayout`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{s, Array3, Axis};

use super::h5util::{self, append_rows, growable, AtomicH5, Want};
use super::layout::{Axes, Padding, PointLayout};
use crate::error::{DataError, Result};
use crate::shower::PointClouds;

pub struct PointsReader {
    path: PathBuf,
    events: hdf5::Dataset,
    layout: PointLayout,
    n: usize,
    n_features: usize,
    max_points: usize,
    incident: Vec<f32>,
    direction: Option<Vec<[f32; 3]>>,
    layer_depths: Option<Vec<f32>>,
}

impl PointsReader {
    pub fn open(
        file: &hdf5::File,
        path: &Path,
        layout: PointLayout,
        layer_depths: Option<Vec<f32>>,
    ) -> Result<Self> {
        let events = h5util::dataset(file, path, "events")?;
        h5util::check_dtype(&events, path, "events", Want::Float)?;
        let shape = events.shape();
        let (n, n_features, max_points) = layout.split_shape(&shape).ok_or_else(|| {
            let want = match layout.axes {
                Axes::FeaturesPoints => format!("[N, {}, P]", layout.n_features),
                Axes::PointsFeatures => format!("[N, P, {}]", layout.n_features),
            };
            DataError::new(
                path,
                "events",
                format!(
                    "shape is {}, layout `{}` expects {want}",
                    h5util::shape_str(&shape),
                    layout.name
                ),
            )
        })?;
        let mut incident = h5util::read_column_f32(file, path, "energy", Some(n))?;
        h5util::check_values(path, "energy", &incident, 0.0, true, 0)?;
        let to_mev = layout.incident_unit.to_mev();
        incident.iter_mut().for_each(|e| *e *= to_mev);
        let direction = if h5util::has(file, "p_norm_local") {
            Some(read_directions(file, path, n)?)
        } else {
            None
        };
        if let Some(d) = &layer_depths {
            if d.len() < layout.n_layers as usize {
                return Err(DataError::new(
                    path,
                    "layer",
                    format!(
                        "{} layer depths given for {} layers",
                        d.len(),
                        layout.n_layers
                    ),
                ));
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            events,
            layout,
            n,
            n_features,
            max_points,
            incident,
            direction,
            layer_depths,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn layout(&self) -> &PointLayout {
        &self.layout
    }

    /// Features per point stored in the file (may exceed the layout's, e.g. CaloHadronic's fifth row).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Padded width `P` of the `events` dataset.
    pub fn max_points(&self) -> usize {
        self.max_points
    }

    pub fn incident_energy(&self) -> &[f32] {
        &self.incident
    }

    pub fn direction(&self) -> Option<&[[f32; 3]]> {
        self.direction.as_deref()
    }

    /// Reads showers `range` (only those rows of `events` are loaded).
    pub fn read(&self, range: Range<usize>) -> Result<PointClouds> {
        let range = range.start.min(self.n)..range.end.min(self.n);
        let raw: Array3<f32> = self
            .events
            .read_slice(s![range.clone(), .., ..])
            .map_err(|e| DataError::h5(&self.path, "events", e))?;
        // Bring every layout to [shower, feature, point] so one loop handles them all.
        let raw = match self.layout.axes {
            Axes::FeaturesPoints => raw,
            Axes::PointsFeatures => raw.permuted_axes([0, 2, 1]),
        };
        let l = &self.layout;
        let e_scale = l.energy_unit.to_mev();
        let mut out = PointClouds::with_capacity(range.len(), range.len() * self.max_points / 2);
        if self.layer_depths.is_some() {
            out.z.reserve(range.len() * self.max_points / 2);
        }
        for (k, ev) in raw.axis_iter(Axis(0)).enumerate() {
            let shower = range.start + k;
            let (ex, ey, el, ee) = (
                ev.row(l.transverse.x),
                ev.row(l.transverse.y),
                ev.row(l.layer),
                ev.row(l.energy),
            );
            for p in 0..self.max_points {
                let e = ee[p];
                if e == 0.0 {
                    continue;
                }
                let bad = |field: &str, msg: String| {
                    DataError::new(
                        &self.path,
                        "events",
                        format!("shower {shower}, point {p}: {field} {msg}"),
                    )
                };
                if !e.is_finite() || e < 0.0 {
                    return Err(bad("energy", format!("is {e} (must be finite and >= 0)")));
                }
                let (x, y, layer) = (ex[p], ey[p], el[p]);
                if !x.is_finite() || !y.is_finite() {
                    return Err(bad("position", format!("is ({x}, {y}) (must be finite)")));
                }
                let li = layer.round();
                if !(layer - li).abs().le(&1e-3) || li < 0.0 || li >= l.n_layers as f32 {
                    return Err(bad(
                        "layer",
                        format!(
                            "is {layer} (layout `{}` needs an integer in 0..{})",
                            l.name, l.n_layers
                        ),
                    ));
                }
                let li = li as u16;
                out.x.push(x);
                out.y.push(y);
                out.layer.push(li);
                out.energy.push(e * e_scale);
                if let Some(d) = &self.layer_depths {
                    out.z.push(d[li as usize]);
                }
            }
            out.offsets.push(out.energy.len());
            out.incident_energy.push(self.incident[shower]);
        }
        out.direction = self.direction.as_ref().map(|d| d[range].to_vec());
        Ok(out)
    }
}

fn read_directions(file: &hdf5::File, path: &Path, n: usize) -> Result<Vec<[f32; 3]>> {
    let name = "p_norm_local";
    let ds = h5util::dataset(file, path, name)?;
    h5util::check_dtype(&ds, path, name, Want::Float)?;
    let shape = ds.shape();
    let arr: ndarray::Array2<f64> = ds.read_2d().map_err(|e| DataError::h5(path, name, e))?;
    // Both orientations exist in the wild: [3, N] (CaloClouds3) and [N, 3].
    let arr = match shape.as_slice() {
        [3, m] if *m == n => arr.reversed_axes(),
        [m, 3] if *m == n => arr,
        _ => {
            return Err(DataError::new(
                path,
                name,
                format!(
                    "shape is {}, expected [3, {n}] or [{n}, 3]",
                    h5util::shape_str(&shape)
                ),
            ))
        }
    };
    let mut out = Vec::with_capacity(n);
    for (i, row) in arr.axis_iter(Axis(0)).enumerate() {
        let v = [row[0] as f32, row[1] as f32, row[2] as f32];
        let norm = (row[0] * row[0] + row[1] * row[1] + row[2] * row[2]).sqrt();
        if !norm.is_finite() || (norm - 1.0).abs() > 1e-3 {
            return Err(DataError::new(
                path,
                name,
                format!("direction {i} is not a unit vector (norm {norm})"),
            ));
        }
        out.push(v);
    }
    Ok(out)
}

/// Writes point clouds in a layout, appending chunk by chunk; the file appears only on `finish`.
pub struct PointsWriter {
    out: AtomicH5,
    layout: PointLayout,
    max_points: usize,
    events: hdf5::Dataset,
    energy: hdf5::Dataset,
    n_points: hdf5::Dataset,
    /// CaloHadronic's split counts (`n_points_ecal`, `n_points_hcal`), for layouts with more than 30 layers.
    split_counts: Option<(hdf5::Dataset, hdf5::Dataset)>,
    direction: Option<hdf5::Dataset>,
    written: usize,
}

/// Layers 0-29 are the ECAL in the CaloHadronic layout.
const ECAL_LAYERS: u16 = 30;

impl PointsWriter {
    /// `max_points` is the padded width P; a shower with more points is an error. `with_direction`
    /// adds `p_norm_local` [3, N].
    pub fn create(
        dest: &Path,
        layout: PointLayout,
        max_points: usize,
        with_direction: bool,
    ) -> Result<Self> {
        layout
            .validate()
            .map_err(|m| DataError::new(dest, "layout", m))?;
        let out = AtomicH5::create(dest)?;
        let f = out.file();
        let row = match layout.axes {
            Axes::FeaturesPoints => [layout.n_features, max_points.max(1)],
            Axes::PointsFeatures => [max_points.max(1), layout.n_features],
        };
        let events = growable::<f32>(f, dest, "events", &row, 1, Some(4))?;
        let energy = growable::<f32>(f, dest, "energy", &[1], 4096, None)?;
        let n_points = growable::<i32>(f, dest, "n_points", &[], 4096, None)?;
        let split_counts = if layout.n_layers > ECAL_LAYERS {
            Some((
                growable::<i32>(f, dest, "n_points_ecal", &[], 4096, None)?,
                growable::<i32>(f, dest, "n_points_hcal", &[], 4096, None)?,
            ))
        } else {
            None
        };
        let direction = if with_direction {
            // [3, N] growing along N: CaloClouds3's orientation.
            let b = f.new_dataset::<f64>().chunk((3, 4096));
            let ds = b
                .shape([hdf5::Extent::fixed(3), hdf5::Extent::resizable(0)])
                .create("p_norm_local")
                .map_err(|e| DataError::h5(dest, "p_norm_local", e))?;
            Some(ds)
        } else {
            None
        };
        h5util::write_str_attr(f, dest, "layout", &layout.name)?;
        Ok(Self {
            out,
            layout,
            max_points: max_points.max(1),
            events,
            energy,
            n_points,
            split_counts,
            direction,
            written: 0,
        })
    }

    pub fn append(&mut self, pc: &PointClouds) -> Result<()> {
        let dest = self.out.dest().to_path_buf();
        let l = &self.layout;
        let (f, p) = (l.n_features, self.max_points);
        let n = pc.len();
        if self.direction.is_some() && pc.direction.is_none() {
            return Err(DataError::new(
                &dest,
                "p_norm_local",
                "this file records directions but the showers have none",
            ));
        }
        let mut buf = vec![0f32; n * f * p];
        let e_scale = 1.0 / l.energy_unit.to_mev();
        let mut counts = Vec::with_capacity(n);
        for i in 0..n {
            let s = pc.shower(i);
            let k = s.len();
            if k > p {
                return Err(DataError::new(
                    &dest,
                    "events",
                    format!(
                        "shower {} has {k} points, more than the file's width {p}",
                        self.written + i
                    ),
                ));
            }
            check_point_values(&dest, self.written + i, s.energy)?;
            let first = match l.padding {
                Padding::Front => p - k,
                Padding::End => 0,
            };
            let block = &mut buf[i * f * p..(i + 1) * f * p];
            let idx = |feat: usize, pt: usize| match l.axes {
                Axes::FeaturesPoints => feat * p + pt,
                Axes::PointsFeatures => pt * f + feat,
            };
            for j in 0..k {
                block[idx(l.transverse.x, first + j)] = s.x[j];
                block[idx(l.transverse.y, first + j)] = s.y[j];
                block[idx(l.layer, first + j)] = s.layer[j] as f32;
                block[idx(l.energy, first + j)] = s.energy[j] * e_scale;
            }
            counts.push(k as i32);
        }
        let row = match l.axes {
            Axes::FeaturesPoints => [f, p],
            Axes::PointsFeatures => [p, f],
        };
        append_rows(&self.events, &dest, "events", &buf, &row)?;
        let inc: Vec<f32> = pc
            .incident_energy
            .iter()
            .map(|e| e / l.incident_unit.to_mev())
            .collect();
        append_rows(&self.energy, &dest, "energy", &inc, &[1])?;
        append_rows(&self.n_points, &dest, "n_points", &counts, &[])?;
        if let Some((ecal, hcal)) = &self.split_counts {
            let n_ecal: Vec<i32> = (0..n)
                .map(|i| {
                    pc.shower(i)
                        .layer
                        .iter()
                        .filter(|&&l| l < ECAL_LAYERS)
                        .count() as i32
                })
                .collect();
            let n_hcal: Vec<i32> = counts.iter().zip(&n_ecal).map(|(a, b)| a - b).collect();
            append_rows(ecal, &dest, "n_points_ecal", &n_ecal, &[])?;
            append_rows(hcal, &dest, "n_points_hcal", &n_hcal, &[])?;
        }
        if let (Some(ds), Some(dirs)) = (&self.direction, &pc.direction) {
            let start = ds.shape()[1];
            ds.resize((3, start + n))
                .map_err(|e| DataError::h5(&dest, "p_norm_local", e))?;
            let mut arr = ndarray::Array2::<f64>::zeros((3, n));
            for (i, d) in dirs.iter().enumerate() {
                for c in 0..3 {
                    arr[[c, i]] = d[c] as f64;
                }
            }
            ds.write_slice(arr.view(), s![.., start..start + n])
                .map_err(|e| DataError::h5(&dest, "p_norm_local", e))?;
        }
        self.written += n;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        drop((
            self.events,
            self.energy,
            self.n_points,
            self.split_counts,
            self.direction,
        ));
        self.out.finish()
    }
}

pub(crate) fn check_point_values(dest: &Path, shower: usize, energy: &[f32]) -> Result<()> {
    if let Some((j, e)) = energy
        .iter()
        .enumerate()
        .find(|(_, e)| !e.is_finite() || **e < 0.0)
    {
        return Err(DataError::new(
            dest,
            "energy",
            format!("shower {shower}, entry {j}: refusing to write {e} (energies must be finite and >= 0)"),
        ));
    }
    Ok(())
}
