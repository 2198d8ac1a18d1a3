//! Sparse cell hits: a shower as the detector cells it lit.

use super::check_offsets;

/// A batch of sparse cell-level showers, struct of arrays; shower `i` owns `offsets[i]..offsets[i+1]`.
///
/// A cell is `(layer, ix, iy)`; its centre is the layer's grid origin plus `(ix, iy)` times the
/// layer's cell size (see the geometry crate). `ix`/`iy` are signed: the grid is centred on the
/// shower axis, as in our Geant4 files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellShowers {
    pub offsets: Vec<usize>,
    pub layer: Vec<u16>,
    pub ix: Vec<i32>,
    pub iy: Vec<i32>,
    /// Deposited (visible) energy, MeV.
    pub energy: Vec<f32>,
    /// Incident energy per shower, MeV.
    pub incident_energy: Vec<f32>,
    pub direction: Option<Vec<[f32; 3]>>,
}

/// One shower of a [`CellShowers`] batch, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CellShower<'a> {
    pub layer: &'a [u16],
    pub ix: &'a [i32],
    pub iy: &'a [i32],
    pub energy: &'a [f32],
    pub incident_energy: f32,
    pub direction: Option<[f32; 3]>,
}

impl CellShower<'_> {
    pub fn len(&self) -> usize {
        self.energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }
}

impl CellShowers {
    pub fn new() -> Self {
        Self {
            offsets: vec![0],
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.incident_energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incident_energy.is_empty()
    }

    /// Empties the batch, keeping the allocations.
    pub fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.layer.clear();
        self.ix.clear();
        self.iy.clear();
        self.energy.clear();
        self.incident_energy.clear();
        if let Some(d) = &mut self.direction {
            d.clear();
        }
    }

    pub fn n_cells(&self) -> usize {
        self.energy.len()
    }

    pub fn shower(&self, i: usize) -> CellShower<'_> {
        let r = self.offsets[i]..self.offsets[i + 1];
        CellShower {
            layer: &self.layer[r.clone()],
            ix: &self.ix[r.clone()],
            iy: &self.iy[r.clone()],
            energy: &self.energy[r],
            incident_energy: self.incident_energy[i],
            direction: self.direction.as_ref().map(|d| d[i]),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = CellShower<'_>> + '_ {
        (0..self.len()).map(move |i| self.shower(i))
    }

    /// Closes the shower whose cells were pushed since the last call.
    pub fn end_shower(&mut self, incident_energy: f32, direction: Option<[f32; 3]>) {
        self.offsets.push(self.energy.len());
        self.incident_energy.push(incident_energy);
        match (&mut self.direction, direction) {
            (Some(d), Some(v)) => d.push(v),
            (None, None) => {}
            (None, Some(v)) if self.incident_energy.len() == 1 => self.direction = Some(vec![v]),
            _ => panic!("direction must be given for every shower of a batch or for none"),
        }
    }

    pub fn push_cell(&mut self, layer: u16, ix: i32, iy: i32, energy: f32) {
        self.layer.push(layer);
        self.ix.push(ix);
        self.iy.push(iy);
        self.energy.push(energy);
    }

    pub fn is_consistent(&self) -> bool {
        let n = self.energy.len();
        check_offsets(&self.offsets, n)
            && self.offsets.len() == self.incident_energy.len() + 1
            && self.layer.len() == n
            && self.ix.len() == n
            && self.iy.len() == n
            && self
                .direction
                .as_ref()
                .is_none_or(|d| d.len() == self.len())
    }

    /// Total energy per layer of shower `i`, for `n_layers` layers (MeV).
    pub fn layer_energy(&self, i: usize, n_layers: usize) -> Vec<f64> {
        let s = self.shower(i);
        let mut out = vec![0.0; n_layers];
        for (&l, &e) in s.layer.iter().zip(s.energy) {
            if (l as usize) < n_layers {
                out[l as usize] += e as f64;
            }
        }
        out
    }
}
