//! Voxel showers: the CaloChallenge representation (a fixed voxel vector per shower).

/// A batch of voxelised showers: `energy` is row-major `[len, n_voxels]`, MeV.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VoxelShowers {
    pub n_voxels: usize,
    pub energy: Vec<f32>,
    /// Incident energy per shower, MeV.
    pub incident_energy: Vec<f32>,
}

impl VoxelShowers {
    pub fn new(n_voxels: usize) -> Self {
        Self {
            n_voxels,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.incident_energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incident_energy.is_empty()
    }

    pub fn shower(&self, i: usize) -> &[f32] {
        &self.energy[i * self.n_voxels..(i + 1) * self.n_voxels]
    }

    pub fn shower_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.energy[i * self.n_voxels..(i + 1) * self.n_voxels]
    }

    pub fn push(&mut self, voxels: &[f32], incident_energy: f32) {
        assert_eq!(voxels.len(), self.n_voxels);
        self.energy.extend_from_slice(voxels);
        self.incident_energy.push(incident_energy);
    }

    /// Appends an all-zero shower and returns it for filling.
    pub fn push_zeroed(&mut self, incident_energy: f32) -> &mut [f32] {
        let start = self.energy.len();
        self.energy.resize(start + self.n_voxels, 0.0);
        self.incident_energy.push(incident_energy);
        &mut self.energy[start..]
    }
}
