//! Issue #9: the conjugate gradient solver never forms the n × n Fisher matrix. Measured, not
//! assumed: this test binary counts every heap allocation (a global allocator that keeps the
//! bytes in use and their peak) while `natural_update` runs at n = 2048 parameters.
//!
//! With m trajectories the score matrix G is m × n, so the matrix-free solver needs
//! O(mn + n) bytes: G plus a handful of vectors. The explicit Fisher matrix alone is 8n² bytes
//! (32 MiB at n = 2048), which the same counter sees when `fisher` builds it.
//!
//! The same counter shows that the exact solver's rank bound (fewer trajectories than
//! parameters) answers without forming F either.

#[path = "../benches/common/inputs.rs"]
mod inputs;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::DVector;
use pgoracle::{CgParams, Solver, fisher, natural_update};

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes in use above the level at the start of `f`.
fn peak_extra_bytes<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = IN_USE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let result = f();
    (result, PEAK.load(Ordering::SeqCst) - base)
}

const N: usize = 2048;
const F64: usize = std::mem::size_of::<f64>();

/// Held by every test of this binary while it measures, so no other test allocates then.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn conjugate_gradient_never_allocates_an_n_by_n_matrix() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cg = Solver::ConjugateGradient(
        CgParams::new(50, 1e-10)
            .with_damping(1e-3)
            .with_strict(false),
    );
    let theta = DVector::zeros(N);
    for m in [10, 1000] {
        let (scores, grads) = inputs::scores_and_grads(N, m);
        let (step, extra) = peak_extra_bytes(|| natural_update(&theta, &grads, &scores, 0.01, &cg));
        let step = step.expect("the damped CG system is solvable");
        assert!(step.fisher.is_none(), "CG reports no Fisher matrix");
        assert!(step.cg.expect("CG report").iterations > 0);
        // G (m × n) plus 64 vectors of length n or m, with 1 MiB for the allocator's and
        // matrixmultiply's small buffers: O(mn), and below 8n² = 32 MiB for both m.
        let bound = F64 * (m * N + 64 * (m + N)) + (1 << 20);
        println!(
            "n = {N}, m = {m}: CG peak {extra} B (bound {bound} B, 8n² = {} B)",
            F64 * N * N
        );
        assert!(extra <= bound, "m = {m}: CG peak {extra} B > {bound} B");
        assert!(extra < F64 * N * N, "m = {m}: CG peak {extra} B ≥ 8n² B");
    }
    // The same counter sees the n × n matrix when it is built: the check above can fail.
    let (scores, _) = inputs::scores_and_grads(N, 10);
    let (f, extra) = peak_extra_bytes(|| fisher(&scores));
    assert_eq!(f.expect("finite").shape(), (N, N));
    println!("n = {N}, m = 10: explicit Fisher peak {extra} B");
    assert!(
        extra >= F64 * N * N,
        "explicit Fisher peak {extra} B < 8n² B"
    );
}

/// Issue #15 (a wall-clock bound replaced by a count): with fewer trajectories than parameters
/// the exact solver answers `SingularFisher` from the rank bound (rank F ≤ m < n) without
/// forming F. Counted in bytes: at n = 2500, m = 3 the call allocates the 3 × n score matrix
/// and a few vectors, O(mn + n), far below the 8n² = 50 MB of F, which the eigenvalue test
/// would have to build (and then decompose) first.
#[test]
fn fewer_trajectories_than_parameters_never_forms_the_fisher_matrix() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (n, m) = (2500, 3);
    let score_vectors: Vec<_> = (0..m)
        .map(|i| DVector::from_fn(n, |j, _| ((i * n + j) % 7) as f64 - 3.0))
        .collect();
    let theta = DVector::zeros(n);
    let (result, extra) = peak_extra_bytes(|| {
        natural_update(&theta, &score_vectors, &score_vectors, 0.1, &Solver::Exact)
    });
    assert_eq!(result.unwrap_err().kind(), "SingularFisher");
    let bound = F64 * (m * n + 64 * (m + n)) + (1 << 20);
    println!("n = {n}, m = {m}: exact solver peak {extra} B (bound {bound} B)");
    assert!(extra <= bound, "peak {extra} B > {bound} B");
    assert!(extra < F64 * n * n, "peak {extra} B ≥ 8n² B: F was formed");
}
