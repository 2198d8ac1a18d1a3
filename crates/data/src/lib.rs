//! Shower data model and the field's file formats.
//!
//! `shower` holds the in-memory struct-of-arrays types every later stage works on; `formats` reads and
//! writes them from and to the HDF5 layouts found in the wild (CaloChallenge, CaloClouds II/3,
//! CaloHadronic, and the sparse `cells/` groups of our Geant4 files).
//!
//! Units inside calogen: energies in MeV, lengths in mm. Files that store GeV are converted at the
//! boundary, in `formats`.

pub use hdf5;

pub mod atomic;
pub mod error;
pub mod formats;
pub mod shared_data;
pub mod shower;

pub use error::{DataError, Result};
pub use formats::{
    detect, open, FileKind, PointLayout, ShowerFile, ShowerFileOptions, TransverseAxes,
};
pub use shower::{CellShowers, PointClouds, ShowerBatch, VoxelShowers};
