//! Measuring speed: the core's FMA peak, FLOP counts, timings of the CaloClouds3 network on fixed
//! shapes, and the CaloChallenge timing-and-size protocol (paper 003 §8.6–8.7) for any registered
//! model family (each family brings its own adapter, `<family>/family.rs`). `calogen bench` is the
//! front end.

pub mod cs2_flops;
pub mod flops;
pub mod network;
pub mod peak;
pub mod protocol;
pub mod stats;

pub use cs2_flops::Cs2Flops;
pub use flops::Cc3Flops;
pub use network::{time_shape, ShapeTiming, TorchReference, TORCH_REFERENCE};
pub use peak::{peak_gflops, PeakIsa, PeakOptions};
pub use protocol::{
    run_protocol, save_batches, Loader, ProtocolOptions, ProtocolReport, ProtocolRow, Threads,
};
pub use stats::Summary;
