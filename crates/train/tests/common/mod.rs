//! Small synthetic showers and a tiny PointWise Net config for fast tests.

use calogen_data::PointClouds;
use calogen_train::caloclouds2::Cc2Config;
use calogen_train::engine::rng::{normal, stream};
use rand::Rng;

#[allow(dead_code)]
pub fn showers(n: usize, seed: u64) -> PointClouds {
    let mut r = stream(seed, "fixture");
    let mut pc = PointClouds::new();
    for _ in 0..n {
        let e_inc = r.random_range(10_000.0..90_000.0f32);
        let m = r.random_range(20..60);
        let x: Vec<f32> = (0..m).map(|_| 10.0 * normal(&mut r)).collect();
        let y: Vec<f32> = (0..m).map(|_| 10.0 * normal(&mut r)).collect();
        let l: Vec<u16> = (0..m).map(|_| r.random_range(0..30u16)).collect();
        let e: Vec<f32> = (0..m).map(|_| r.random_range(0.1..5.0f32)).collect();
        pc.push(&x, &y, &[], &l, &e, e_inc, None);
    }
    pc
}

#[allow(dead_code)]
pub fn tiny_cfg() -> Cc2Config {
    let mut c = Cc2Config::default();
    c.net.hidden = vec![16, 16];
    c.net.time_dim = 8;
    c.batch.showers = 3;
    c.batch.points_per_shower = 16;
    c.edm.steps = 13;
    c.trainer.lr = 1e-3;
    c.trainer.ema_decay = 0.9;
    c
}
