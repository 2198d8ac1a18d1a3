//! What the ShowerFlow step hands the point model: points and energy per layer (its own file so
//! that the pipeline and the flows that fill it do not import each other).

/// Points and visible energy (MeV) per layer of one shower.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerProfile {
    pub points: Vec<u32>,
    pub energy_mev: Vec<f64>,
}
