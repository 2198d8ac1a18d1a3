//! A voxel family (as CaloScore v2 will be, returning `ShowerBatch::Voxels` on a CaloChallenge
//! geometry) through the generator: one hit per non-empty voxel, at the voxel's centre from the
//! binning, with the voxel index as cell id and no depth (NaN). A test-only family, since no voxel
//! family is registered yet; it puts energy k+1 MeV into voxel 7k.

use calogen_capi::{CalogenHitMode, Generator};
use calogen_data::{PointLayout, ShowerBatch, VoxelShowers};
use calogen_geometry::Geometry;
use calogen_models::family::{FamilyEntry, ParameterCounts, TrainedRange};
use calogen_models::{Incident, LoadOptions, ModelFamily, Registry};

struct ToyVoxels;

const GEOMETRY: &str = "calochallenge-ds2";

impl ModelFamily for ToyVoxels {
    fn name(&self) -> &str {
        "toy-voxels"
    }
    fn describe(&self) -> String {
        "toy: fixed voxels".into()
    }
    fn geometry(&self) -> &str {
        GEOMETRY
    }
    fn layout(&self) -> PointLayout {
        PointLayout::caloclouds2()
    }
    fn trained_range(&self) -> TrainedRange {
        TrainedRange {
            energy_gev: (1.0, 1000.0),
            theta_deg: (0.0, 0.0),
        }
    }
    fn parameters(&self) -> ParameterCounts {
        ParameterCounts {
            training: 0,
            generation: 0,
            note: "no network".into(),
        }
    }
    fn stages(&self) -> String {
        "fixed voxels".into()
    }
    fn bench_incidents(&self, n: usize, _seed: u64) -> Vec<Incident> {
        vec![Incident::perpendicular(5e4); n]
    }
    fn generate(
        &self,
        inc: &[Incident],
        _seed: u64,
        _first: u64,
        _par: bool,
    ) -> calogen_models::Result<ShowerBatch> {
        let Geometry::CaloChallenge(v) = Geometry::load(GEOMETRY).unwrap() else {
            panic!("{GEOMETRY} is a voxelisation")
        };
        let mut out = VoxelShowers::new(v.n_voxels);
        for i in inc {
            let mut e = vec![0.0f32; v.n_voxels];
            for k in 0..10 {
                e[7 * k] = (k + 1) as f32;
            }
            out.push(&e, i.energy_mev);
        }
        Ok(ShowerBatch::Voxels(out))
    }
}

#[test]
fn voxel_showers_become_hits_at_voxel_centres() {
    let mut r = Registry::empty();
    r.register(FamilyEntry {
        name: "toy-voxels",
        summary: "a test-only voxel family",
        load: |_dir, _opts: &LoadOptions| Ok(Box::new(ToyVoxels)),
        recognises: |_| false,
    });
    let mut g = Generator::new(&r, None, None, CalogenHitMode::CalogenHitsCells).unwrap();
    g.generate(&[Incident::perpendicular(5e4); 2], 1, 0)
        .unwrap();
    let Geometry::CaloChallenge(v) = Geometry::load(GEOMETRY).unwrap() else {
        unreachable!()
    };
    let centres = v.voxel_centres();
    assert_eq!(g.showers(), 2);
    assert_eq!(g.hits().len(), 20);
    for (n, h) in g.hits().iter().enumerate() {
        let k = n % 10;
        assert_eq!(h.shower as usize, n / 10);
        assert_eq!(h.cell_id, 7 * k as i64);
        assert_eq!(h.energy_mev, (k + 1) as f32);
        let c = &centres[7 * k];
        assert_eq!(
            (h.x_mm, h.y_mm, h.layer),
            (c.eta as f32, c.phi as f32, c.layer as i32)
        );
        assert!(h.z_mm.is_nan());
    }
}
