//! The plain-data types of the C ABI (`#[repr(C)]`, mirrored in include/calogen.h by cbindgen).

/// What every `calogen_*` function returns.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalogenStatus {
    /// Success.
    CalogenOk = 0,
    /// A pointer argument that must not be NULL was NULL.
    CalogenErrNull = 1,
    /// An argument is out of its domain (energy not positive and finite, direction not a unit
    /// vector, text not UTF-8, unknown model or geometry, ...); the generator's last error says
    /// which.
    CalogenErrInvalid = 2,
    /// The caller's buffer is shorter than the result; the needed count was written back and the
    /// result is kept, so the call can be repeated with a larger buffer.
    CalogenErrBufferTooSmall = 3,
    /// The model failed (e.g. conditions outside what the family supports).
    CalogenErrModel = 4,
    /// A panic inside calogen, caught at the boundary; the generator stays usable but its result
    /// is discarded.
    CalogenErrPanic = 5,
    /// No result to read: nothing was generated since the last take or error.
    CalogenErrNoResult = 6,
}

/// How showers become hits.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalogenHitMode {
    /// Cells of the (planar) geometry, as `calogen generate --format cells`: one hit per cell with
    /// energy, at the cell centre, with the cell's id.
    CalogenHitsCells = 0,
    /// The model's points as they are (cell id `CALOGEN_NO_CELL`); voxel families: one hit per
    /// voxel with energy at the voxel centre (cell id: the voxel index) in either mode.
    CalogenHitsPoints = 1,
}

/// `cell_id` of a hit that is not a cell (points mode).
pub const CALOGEN_NO_CELL: i64 = -1;

/// The incident particle of one shower, in the calorimeter's local frame: x, y transverse, z along
/// the depth (the layer normal).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalogenIncident {
    /// Kinetic energy of the incident particle, MeV.
    pub energy_mev: f32,
    /// Unit vector of the direction (x, y, z); (0, 0, 1) is perpendicular incidence.
    pub direction: [f32; 3],
    /// Where the particle enters the calorimeter, mm (used only when `has_entry` is non-zero;
    /// families that start every shower at their usual point refuse it).
    pub entry_mm: [f32; 3],
    pub has_entry: u8,
}

/// One energy deposit handed to the host, in the calorimeter's local frame.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalogenHit {
    pub x_mm: f32,
    pub y_mm: f32,
    /// Depth of the hit's sensitive layer (or point), mm; NaN where the geometry has no depths
    /// (CaloChallenge voxels).
    pub z_mm: f32,
    /// Visible energy, MeV.
    pub energy_mev: f32,
    /// Dense cell id of the geometry (layer-major, then ix, then iy), the voxel index for voxel
    /// families, or `CALOGEN_NO_CELL`.
    pub cell_id: i64,
    pub layer: i32,
    /// Which shower of the call (0 for a single shower; k for the k-th incident of a batch).
    pub shower: u32,
}

/// Hits owned by the library (`calogen_take_hits`), released with `calogen_hits_free`.
#[repr(C)]
#[derive(Debug)]
pub struct CalogenHits {
    pub hits: *mut CalogenHit,
    pub n_hits: usize,
    pub n_showers: usize,
}
