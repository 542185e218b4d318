//! Issue #9: `simulate` on the simple regulator (Appendix F.5) with the linear Gaussian policy
//! of the chapter's examples, in steps per second: m = 100 rollouts to depth d = 10, as the
//! update loops of Algorithms 12.3–12.6 draw them.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::dvector;
use pgoracle::LinearGaussian;
use pgoracle::problem::SimpleRegulator;
use pgoracle::simulate::rollouts;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const ROLLOUTS: usize = 100;
const DEPTH: usize = 10;

fn bench_simulate(c: &mut Criterion) {
    let problem = SimpleRegulator::default();
    let theta = dvector![-0.5, 0.5];
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements((ROLLOUTS * DEPTH) as u64));
    group.bench_function("regulator_m100_d10", |b| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        b.iter(|| {
            rollouts(
                &problem,
                &LinearGaussian,
                black_box(&theta),
                DEPTH,
                ROLLOUTS,
                &mut rng,
            )
            .expect("valid policy")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_simulate);
criterion_main!(benches);
