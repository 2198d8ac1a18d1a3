//! The Rust side of a C generator: a model family of the registry adapted to one geometry, a queue
//! of incidents for batched calls, and the hits of the last call. Nothing here knows C; `ffi.rs`
//! wraps it.

use calogen_data::{PointClouds, ShowerBatch, VoxelShowers};
use calogen_geometry::{CellProjector, Geometry, OutsideReport, PlanarGeometry, Voxelisation};
use calogen_models::{Incident, LoadOptions, ModelFamily, Registry};

use crate::types::{CalogenHit, CalogenHitMode, CALOGEN_NO_CELL};

/// What a generator turns a family's showers into.
enum Placement {
    /// Cells of a planar geometry (as `calogen generate --format cells`): hit at the cell centre.
    Cells {
        geometry: PlanarGeometry,
        projector: Box<CellProjector>,
        /// First dense cell id of each layer (layer-major, then ix, then iy).
        base: Vec<i64>,
    },
    /// The family's points as they are (z: the point's depth, or the layer's when the family
    /// gives none and the geometry is planar).
    Points { depths: Option<Vec<f32>> },
}

pub struct Generator {
    family: Box<dyn ModelFamily>,
    geometry_name: String,
    placement: Placement,
    /// Voxel centres (x = r cos α, y = r sin α, mm) for families that make CaloChallenge voxels.
    voxels: Option<Voxelisation>,
    queue: Vec<Incident>,
    hits: Vec<CalogenHit>,
    showers: usize,
    /// Conditions outside the family's trained range are refused unless this is set (as
    /// `calogen generate --allow-extrapolation`).
    pub allow_extrapolation: bool,
}

impl Generator {
    /// `model`: a family name or model folder (`None`: the registry's default); `geometry`: a
    /// built-in geometry name or TOML path (`None`: the family's).
    pub fn new(
        registry: &Registry,
        model: Option<&str>,
        geometry: Option<&str>,
        mode: CalogenHitMode,
    ) -> Result<Self, String> {
        let mut family = registry
            .load(model, &LoadOptions::default())
            .map_err(|e| format!("model {}: {e}", model.unwrap_or("(default)")))?;
        let geometry_name = geometry.unwrap_or(family.geometry()).to_string();
        family
            .set_geometry(&geometry_name)
            .map_err(|e| format!("geometry {geometry_name}: {e}"))?;
        let geo =
            Geometry::load(&geometry_name).map_err(|e| format!("geometry {geometry_name}: {e}"))?;
        let (placement, voxels) = match (geo, mode) {
            (Geometry::Planar(g), CalogenHitMode::CalogenHitsCells) => {
                let mut base = Vec::with_capacity(g.layers.len());
                let mut next = 0i64;
                for l in &g.layers {
                    base.push(next);
                    next += (l.nx() * l.ny()) as i64;
                }
                let projector = Box::new(CellProjector::new(&g));
                (
                    Placement::Cells {
                        geometry: g,
                        projector,
                        base,
                    },
                    None,
                )
            }
            (Geometry::Planar(g), CalogenHitMode::CalogenHitsPoints) => (
                Placement::Points {
                    depths: Some(g.layer_depths()),
                },
                None,
            ),
            (Geometry::CaloChallenge(v), _) => (Placement::Points { depths: None }, Some(v)),
            (other, CalogenHitMode::CalogenHitsCells) => {
                return Err(format!(
                    "geometry {}: cells need a planar geometry; ask for CALOGEN_HITS_POINTS",
                    other.name()
                ))
            }
            (_, CalogenHitMode::CalogenHitsPoints) => (Placement::Points { depths: None }, None),
        };
        Ok(Generator {
            family,
            geometry_name,
            placement,
            voxels,
            queue: Vec::new(),
            hits: Vec::new(),
            showers: 0,
            allow_extrapolation: false,
        })
    }

    pub fn family_name(&self) -> &str {
        self.family.name()
    }

    pub fn geometry_name(&self) -> &str {
        &self.geometry_name
    }

    pub fn queue(&mut self, incident: Incident) {
        self.queue.push(incident);
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Generates the queued incidents as one batch (shower k from stream `first + k` of `seed`)
    /// and empties the queue, also on error (the host re-queues what it still wants).
    pub fn flush(&mut self, seed: u64, first: u64) -> Result<(), String> {
        let queue = std::mem::take(&mut self.queue);
        self.generate(&queue, seed, first)
    }

    /// One shower per incident, shower k from `nn::shower_rng(seed, first + k)` on the calling
    /// thread (as `calogen generate --seed` makes shower `first + k`), turned into hits.
    pub fn generate(
        &mut self,
        incidents: &[Incident],
        seed: u64,
        first: u64,
    ) -> Result<(), String> {
        self.hits.clear();
        self.showers = 0;
        if incidents.is_empty() {
            return Err("no incidents to generate".into());
        }
        if !self.allow_extrapolation {
            self.check_trained_range(incidents)?;
        }
        let batch = self
            .family
            .generate(incidents, seed, first, false)
            .map_err(|e| format!("{} generate: {e}", self.family.name()))?;
        match batch {
            ShowerBatch::Points(pc) => self.place_points(&pc),
            ShowerBatch::Voxels(v) => self.place_voxels(&v)?,
            ShowerBatch::Cells(_) => {
                return Err(format!(
                    "the {} family returned cells, which no host placement takes",
                    self.family.name()
                ))
            }
        }
        self.showers = incidents.len();
        Ok(())
    }

    fn check_trained_range(&self, incidents: &[Incident]) -> Result<(), String> {
        let r = self.family.trained_range();
        for (k, i) in incidents.iter().enumerate() {
            let e_gev = i.energy_mev as f64 / 1e3;
            let cos = (i.direction[2] as f64).clamp(-1.0, 1.0);
            let theta = cos.acos().to_degrees();
            // A float direction of a perpendicular particle may be a hair off the axis.
            let e_ok =
                e_gev >= r.energy_gev.0 * (1.0 - 1e-6) && e_gev <= r.energy_gev.1 * (1.0 + 1e-6);
            let t_ok = theta <= r.theta_deg.1 + 0.01;
            if !(e_ok && t_ok) {
                return Err(format!(
                    "incident {k} ({e_gev} GeV, θ = {theta:.2}°) is outside the {} family's \
                     trained range ({}–{} GeV, θ {}–{}°); calogen_allow_extrapolation(g, 1) \
                     generates anyway",
                    self.family.name(),
                    r.energy_gev.0,
                    r.energy_gev.1,
                    r.theta_deg.0,
                    r.theta_deg.1
                ));
            }
        }
        Ok(())
    }

    fn place_points(&mut self, pc: &PointClouds) {
        match &mut self.placement {
            Placement::Cells {
                geometry,
                projector,
                base,
            } => {
                let mut cells = calogen_data::CellShowers::new();
                let mut outside = OutsideReport::default();
                projector.project(pc, &mut cells, &mut outside);
                for s in 0..cells.len() {
                    let c = cells.shower(s);
                    for k in 0..c.energy.len() {
                        let li = c.layer[k] as usize;
                        let l = &geometry.layers[li];
                        let (x, y) = l.cell_centre(c.ix[k], c.iy[k]);
                        let id = base[li]
                            + (c.ix[k] - l.ix[0]) as i64 * l.ny() as i64
                            + (c.iy[k] - l.iy[0]) as i64;
                        self.hits.push(CalogenHit {
                            x_mm: x as f32,
                            y_mm: y as f32,
                            z_mm: l.depth_mm as f32,
                            energy_mev: c.energy[k],
                            cell_id: id,
                            layer: c.layer[k] as i32,
                            shower: s as u32,
                        });
                    }
                }
            }
            Placement::Points { depths } => {
                for s in 0..pc.len() {
                    let p = pc.shower(s);
                    for k in 0..p.energy.len() {
                        let z = if p.z.is_empty() {
                            depths
                                .as_ref()
                                .and_then(|d| d.get(p.layer[k] as usize).copied())
                                .unwrap_or(f32::NAN)
                        } else {
                            p.z[k]
                        };
                        self.hits.push(CalogenHit {
                            x_mm: p.x[k],
                            y_mm: p.y[k],
                            z_mm: z,
                            energy_mev: p.energy[k],
                            cell_id: CALOGEN_NO_CELL,
                            layer: p.layer[k] as i32,
                            shower: s as u32,
                        });
                    }
                }
            }
        }
    }

    /// Voxel showers (CaloChallenge): one hit per voxel with energy, at the voxel's centre; the
    /// binning gives no depth, so z is NaN and the layer says where along the shower it is.
    fn place_voxels(&mut self, v: &VoxelShowers) -> Result<(), String> {
        let Some(vox) = &self.voxels else {
            return Err(format!(
                "the {} family makes voxels but geometry {} is not a CaloChallenge voxelisation",
                self.family.name(),
                self.geometry_name
            ));
        };
        let centres = vox.voxel_centres();
        if centres.len() != v.n_voxels {
            return Err(format!(
                "the showers have {} voxels, geometry {} has {}",
                v.n_voxels,
                self.geometry_name,
                centres.len()
            ));
        }
        for s in 0..v.len() {
            let e = &v.energy[s * v.n_voxels..(s + 1) * v.n_voxels];
            for (k, (&e, c)) in e.iter().zip(&centres).enumerate() {
                if e != 0.0 {
                    self.hits.push(CalogenHit {
                        x_mm: c.eta as f32,
                        y_mm: c.phi as f32,
                        z_mm: f32::NAN,
                        energy_mev: e,
                        cell_id: k as i64,
                        layer: c.layer as i32,
                        shower: s as u32,
                    });
                }
            }
        }
        Ok(())
    }

    pub fn hits(&self) -> &[CalogenHit] {
        &self.hits
    }

    pub fn showers(&self) -> usize {
        self.showers
    }

    pub fn take_hits(&mut self) -> Vec<CalogenHit> {
        self.showers = 0;
        std::mem::take(&mut self.hits)
    }
}
