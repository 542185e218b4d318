//! Issue #9: the empirical Fisher build (Eq. 12.10) and `natural_update` (Eqs. 12.12–12.13)
//! under each solver, for n ∈ {2, 16, 256, 2048} parameters and m ∈ {10, 1000} trajectories;
//! issue #20 adds the matrix-free conjugate gradient at n = 8192 (its F would be 512 MiB).
//! `tools/perf/numpy_bench.py` times the same computations in NumPy on the same inputs, and
//! `tools/perf/compare.py` puts both side by side (docs/performance.md).

#[path = "common/inputs.rs"]
mod inputs;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector};
use pgoracle::{CgParams, Solver, fisher, natural_update};

const SIZES: [(usize, usize); 8] = [
    (2, 10),
    (2, 1000),
    (16, 10),
    (16, 1000),
    (256, 10),
    (256, 1000),
    (2048, 10),
    (2048, 1000),
];

/// Sizes only the matrix-free conjugate gradient runs at.
const CG_ONLY_SIZES: [(usize, usize); 2] = [(8192, 10), (8192, 1000)];

/// The solvers benched, with the parameters `numpy_bench.py` uses.
fn solvers() -> [(&'static str, Solver<f64>); 4] {
    [
        ("exact", Solver::Exact),
        ("damped", Solver::Damped { damping: 1e-3 }),
        ("pseudo_inverse", Solver::PseudoInverse { rcond: 1e-12 }),
        (
            "conjugate_gradient",
            Solver::ConjugateGradient(
                CgParams::new(50, 1e-10)
                    .with_damping(1e-3)
                    .with_strict(false),
            ),
        ),
    ]
}

fn id(n: usize, m: usize) -> String {
    format!("n{n}_m{m}")
}

/// Fewer, shorter samples for the slow sizes, so `cargo bench` stays within minutes.
fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
) {
    if n >= 2048 {
        // The slowest calls take about a second: 10 samples after a 1 s warm-up.
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));
    } else if n >= 256 {
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(5));
    } else {
        group.sample_size(30);
        group.measurement_time(Duration::from_secs(2));
    }
}

fn bench_fisher(c: &mut Criterion) {
    let mut group = c.benchmark_group("fisher");
    for (n, m) in SIZES {
        let (scores, _) = inputs::scores_and_grads(n, m);
        configure(&mut group, n);
        group.bench_with_input(BenchmarkId::from_parameter(id(n, m)), &scores, |b, s| {
            b.iter(|| fisher(black_box(s)).expect("finite scores"))
        });
    }
    group.finish();
}

fn bench_natural_update(c: &mut Criterion) {
    for (name, solver) in solvers() {
        let mut group = c.benchmark_group(format!("natural_update/{name}"));
        let extra: &[(usize, usize)] = if name == "conjugate_gradient" {
            &CG_ONLY_SIZES
        } else {
            &[]
        };
        for &(n, m) in SIZES.iter().chain(extra) {
            let (scores, grads) = inputs::scores_and_grads(n, m);
            let theta = DVector::zeros(n);
            configure(&mut group, n);
            group.bench_function(BenchmarkId::from_parameter(id(n, m)), |b| {
                // Exact with m < n is the SingularFisher shortcut: its cost is the checks.
                b.iter(|| {
                    natural_update(&theta, black_box(&grads), black_box(&scores), 0.01, &solver)
                })
            });
        }
        group.finish();
    }
}

/// The GEMM peak on this machine as nalgebra reaches it (matrixmultiply, `n2048`) and as faer
/// does (`faer_n2048`, the library of pgoracle's large problems, on rayon's pool): C = AB with
/// A, B of 2048 × 2048, 2·2048³ flops. `numpy_bench.py` measures NumPy's (OpenBLAS).
fn bench_gemm_peak(c: &mut Criterion) {
    let n = 2048;
    let a = DMatrix::from_fn(n, n, |i, j| ((7 * i + 13 * j) % 101) as f64 / 101.0 - 0.5);
    let b = DMatrix::from_fn(n, n, |i, j| ((11 * i + 3 * j) % 103) as f64 / 103.0 - 0.5);
    let mut group = c.benchmark_group("gemm_peak");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("n2048", |bench| {
        bench.iter(|| black_box(&a) * black_box(&b))
    });
    let fa = faer::Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)]);
    let fb = faer::Mat::<f64>::from_fn(n, n, |i, j| b[(i, j)]);
    let mut fc = faer::Mat::<f64>::zeros(n, n);
    group.bench_function("faer_n2048", |bench| {
        bench.iter(|| {
            faer::linalg::matmul::matmul(
                fc.as_mut(),
                faer::Accum::Replace,
                black_box(fa.as_ref()),
                black_box(fb.as_ref()),
                1.0,
                // Every rayon thread with pgoracle's `threading`, one thread without it.
                faer::get_global_parallelism(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_gemm_peak, bench_fisher, bench_natural_update);
criterion_main!(benches);
