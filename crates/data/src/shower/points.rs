//! Point clouds: the CaloClouds representation of a shower.

use super::check_offsets;

/// A batch of point-cloud showers, struct of arrays. Shower `i` owns `offsets[i]..offsets[i+1]`.
///
/// Frame: `x`, `y` are the two transverse coordinates (mm), `layer` the sensitive-layer index along
/// the depth axis, `z` the depth (mm) of each point when the detector's layer depths are known
/// (empty otherwise: the file formats store only the layer index).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointClouds {
    pub offsets: Vec<usize>,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// Depth in mm; either empty or one entry per point.
    pub z: Vec<f32>,
    pub layer: Vec<u16>,
    /// Deposited energy in MeV.
    pub energy: Vec<f32>,
    /// Incident energy per shower, MeV.
    pub incident_energy: Vec<f32>,
    /// Incident direction per shower (unit vector; transverse x, transverse y, along depth).
    pub direction: Option<Vec<[f32; 3]>>,
}

/// One shower of a [`PointClouds`] batch, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct PointCloud<'a> {
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub z: &'a [f32],
    pub layer: &'a [u16],
    pub energy: &'a [f32],
    pub incident_energy: f32,
    pub direction: Option<[f32; 3]>,
}

impl PointCloud<'_> {
    pub fn len(&self) -> usize {
        self.energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }

    pub fn total_energy(&self) -> f64 {
        self.energy.iter().map(|&e| e as f64).sum()
    }
}

impl PointClouds {
    pub fn new() -> Self {
        Self {
            offsets: vec![0],
            ..Default::default()
        }
    }

    /// Empties the batch, keeping the allocations (one shower at a time in a hot loop).
    pub fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.x.clear();
        self.y.clear();
        self.z.clear();
        self.layer.clear();
        self.energy.clear();
        self.incident_energy.clear();
        if let Some(d) = &mut self.direction {
            d.clear();
        }
    }

    pub fn with_capacity(showers: usize, points: usize) -> Self {
        Self {
            offsets: {
                let mut o = Vec::with_capacity(showers + 1);
                o.push(0);
                o
            },
            x: Vec::with_capacity(points),
            y: Vec::with_capacity(points),
            z: Vec::new(),
            layer: Vec::with_capacity(points),
            energy: Vec::with_capacity(points),
            incident_energy: Vec::with_capacity(showers),
            direction: None,
        }
    }

    pub fn len(&self) -> usize {
        self.incident_energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incident_energy.is_empty()
    }

    pub fn n_points(&self) -> usize {
        self.energy.len()
    }

    pub fn has_depth(&self) -> bool {
        !self.z.is_empty() || self.energy.is_empty()
    }

    pub fn shower(&self, i: usize) -> PointCloud<'_> {
        let r = self.offsets[i]..self.offsets[i + 1];
        PointCloud {
            x: &self.x[r.clone()],
            y: &self.y[r.clone()],
            z: if self.z.is_empty() {
                &[]
            } else {
                &self.z[r.clone()]
            },
            layer: &self.layer[r.clone()],
            energy: &self.energy[r],
            incident_energy: self.incident_energy[i],
            direction: self.direction.as_ref().map(|d| d[i]),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = PointCloud<'_>> + '_ {
        (0..self.len()).map(move |i| self.shower(i))
    }

    /// Appends one shower. `z` may be empty when depths are unknown (then it must be for every shower).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        x: &[f32],
        y: &[f32],
        z: &[f32],
        layer: &[u16],
        energy: &[f32],
        incident_energy: f32,
        direction: Option<[f32; 3]>,
    ) {
        let n = energy.len();
        assert!(x.len() == n && y.len() == n && layer.len() == n);
        assert!(z.is_empty() || z.len() == n);
        self.x.extend_from_slice(x);
        self.y.extend_from_slice(y);
        self.z.extend_from_slice(z);
        self.layer.extend_from_slice(layer);
        self.energy.extend_from_slice(energy);
        self.offsets.push(self.energy.len());
        self.incident_energy.push(incident_energy);
        match (&mut self.direction, direction) {
            (Some(d), Some(v)) => d.push(v),
            (None, None) => {}
            (None, Some(v)) if self.incident_energy.len() == 1 => self.direction = Some(vec![v]),
            _ => panic!("direction must be given for every shower of a batch or for none"),
        }
    }

    /// Structural invariants: offsets monotone and covering every column, columns of equal length.
    pub fn is_consistent(&self) -> bool {
        let n = self.energy.len();
        check_offsets(&self.offsets, n)
            && self.offsets.len() == self.incident_energy.len() + 1
            && self.x.len() == n
            && self.y.len() == n
            && (self.z.is_empty() || self.z.len() == n)
            && self.layer.len() == n
            && self
                .direction
                .as_ref()
                .is_none_or(|d| d.len() == self.len())
    }

    /// Largest number of points in one shower of the batch.
    pub fn max_points(&self) -> usize {
        self.offsets
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    }
}
