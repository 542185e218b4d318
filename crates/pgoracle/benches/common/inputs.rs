//! The inputs of the natural-gradient benches, shared with `tools/perf/numpy_bench.py` and
//! `tests/cg_memory.rs`: deterministic, so pgoracle and NumPy solve the same systems.
//!
//! Score i (of m), parameter j (of n): ((7919·i + 104729·j + i·j) mod 1013)/1013 − 0.5, an
//! exact integer expression, one correctly rounded division and an exact subtraction, so NumPy
//! builds the same doubles. The gradient of trajectory i is its score times 1 + (i mod 3).

use nalgebra::DVector;

/// The m scores (each of length n) and m gradients.
pub fn scores_and_grads(n: usize, m: usize) -> (Vec<DVector<f64>>, Vec<DVector<f64>>) {
    let scores: Vec<DVector<f64>> = (0..m)
        .map(|i| {
            DVector::from_fn(n, |j, _| {
                ((7919 * i + 104_729 * j + i * j) % 1013) as f64 / 1013.0 - 0.5
            })
        })
        .collect();
    let grads = scores
        .iter()
        .enumerate()
        .map(|(i, s)| s * (1.0 + (i % 3) as f64))
        .collect();
    (scores, grads)
}
