//! Regression tests for defects found by an independent review of the first version. Each test
//! names the defect it pins.

use nalgebra::{DVector, dvector};
use pgoracle::{
    CgParams, Gaussian, LinearGaussian, LinesearchOutcome, LinesearchParams, Policy, Softmax,
    Solver, Step, clamped_gradient, clamped_objective, clamped_update, fisher, natural_update,
    scores, trust_region_update,
};

use crate::common::Counting;
use pgoracle::ClampedUpdateParams;

/// A ratio that overflows on a step that is clamped away was an error; the book's code gives
/// a zero contribution there, and the clamped objective is min(w·R, (1 + ε)R) = 1.2.
#[test]
fn overflowing_ratio_on_a_clamped_step_is_not_an_error() {
    let trajectories = vec![vec![Step {
        s: 0.0,
        a: 40.0,
        r: 1.0,
    }]];
    let (theta, theta_prime) = (dvector![0.0, 1.0], dvector![40.0, 1.0]); // log w = 800
    let g = clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 0.2).unwrap();
    assert_eq!(g, dvector![0.0, 0.0]);
    let f = clamped_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 0.2).unwrap();
    assert_eq!(f, 1.2);
    // With a negative reward-to-go the same ratio is not clamped: w·R really overflows.
    let negative = vec![vec![Step {
        s: 0.0,
        a: 40.0,
        r: -1.0,
    }]];
    let e = clamped_gradient(&Gaussian, &theta, &theta_prime, &negative, 1.0, 0.2).unwrap_err();
    assert_eq!(e.kind(), "NonFiniteResult");
}

/// ((a − μ)² − σ²)/σ³ overflowed or underflowed for σ = 1e-120 or 1e160; ∂/∂σ log π = −1/σ at
/// a = μ.
#[test]
fn score_for_extreme_sigma() {
    for sigma in [1e-120f64, 1e160] {
        let tau = vec![vec![Step {
            s: 0.0,
            a: 0.0,
            r: 1.0,
        }]];
        let s = scores(&Gaussian, &dvector![0.0, sigma], &tau).unwrap();
        assert_eq!(s[0][0], 0.0);
        assert!(
            (s[0][1] / (-1.0 / sigma) - 1.0).abs() < 1e-15,
            "{}",
            s[0][1]
        );
    }
}

/// The mean of [1e308, 1] and [1e308, 1] overflowed in the sum.
#[test]
fn mean_gradient_that_is_representable_when_its_sum_is_not() {
    // F = 2I, u = g/2, and θ′ = θ + √ε·g/‖g‖ ≈ [√0.5, 0] for ε = 0.5.
    let grads = [dvector![1e308, 1.0], dvector![1e308, 1.0]];
    let score_vectors = [dvector![2.0, 0.0], dvector![0.0, 2.0]];
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &score_vectors,
        0.5,
        &Solver::Exact,
    )
    .unwrap();
    assert_eq!(step.grad, dvector![1e308, 1.0]);
    assert!(
        (step.theta[0] - 0.5f64.sqrt()).abs() < 1e-15,
        "{}",
        step.theta
    );
    assert!(step.theta[1].abs() < 1e-300);
}

/// gᵀu overflowed: g = [1e200, 0], F = I/2, u = [2e200, 0], θ′ = [√2, 0] for ε = 0.5.
#[test]
fn natural_step_when_g_dot_u_overflows() {
    let grads = [dvector![2e200, 0.0], dvector![0.0, 0.0]];
    let score_vectors = [dvector![1.0, 0.0], dvector![0.0, 1.0]];
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &score_vectors,
        0.5,
        &Solver::Exact,
    )
    .unwrap();
    assert!(
        (step.theta[0] - 2f64.sqrt()).abs() < 1e-15,
        "{}",
        step.theta
    );
    assert_eq!(step.theta[1], 0.0);
}

/// A line search with max_steps = usize::MAX never ended once θ′ had collapsed onto θ.
///
/// Counted, not timed: each candidate the search evaluates costs one KL term per step of the
/// surrogate constraint (Eq. 12.19), 4 here (2 trajectories of 2 steps), and no other part of
/// the update evaluates a KL. Every candidate lies between θ and the natural step, inside the
/// domain. A shrink with α = ½ halves θ′ − θ: from |θ′ − θ|∞ < 2, the coordinate with θ₁ = 0
/// reaches 0 after at most 1076 halvings (a value below 2⁻¹⁰⁷⁵ rounds to 0), and the one
/// with θ₂ = 1 reaches 1 sooner. So at most 1076 shrinks and 1077 candidates, 4 · 1077 KL
/// terms, past which the counting policy fails the test (the defect would loop ~2⁶⁴ times). The
/// exact count is the number of halvings to collapse, replayed below, plus one.
#[test]
fn line_search_with_unbounded_max_steps_ends() {
    let trajectories: Vec<Vec<Step<f64, f64, f64>>> = [
        [(-0.759, 0.762), (-1.734, -0.092)],
        [(-0.991, -0.131), (-0.245, 0.016)],
    ]
    .iter()
    .map(|tau| tau.iter().map(|&(a, r)| Step { s: 0.0, a, r }).collect())
    .collect();
    let params = LinesearchParams::new(0.1)
        .with_alpha(0.5)
        .with_max_steps(usize::MAX);
    const STEPS: usize = 4;
    const MAX_CANDIDATES: usize = 1077;
    let theta = dvector![0.0, 1.0];
    let policy = Counting::new(Gaussian, usize::MAX, STEPS * MAX_CANDIDATES);
    let step =
        trust_region_update(&policy, &theta, &trajectories, 1.0, &params, &Solver::Exact).unwrap();
    let natural = &step.natural.theta;
    assert!(
        (natural - &theta).amax() < 2.0 && natural[1] > 0.0,
        "setup: {natural}"
    );
    // Halvings until θ + (θ′ − θ)/2ᵏ is θ (Eq. 12.20's shrink, replayed).
    let mut candidate = natural.clone();
    let mut to_collapse = 0;
    while candidate != theta {
        candidate = &theta + (&candidate - &theta) * 0.5;
        to_collapse += 1;
    }
    assert!(to_collapse < MAX_CANDIDATES);
    let candidates = policy.kl_calls.get() / STEPS;
    assert_eq!(policy.kl_calls.get() % STEPS, 0);
    match step.outcome {
        LinesearchOutcome::Exhausted {
            steps, last_theta, ..
        } => {
            assert_eq!(steps, usize::MAX);
            assert_eq!(last_theta, theta, "collapsed onto θ");
            assert_eq!(candidates, to_collapse + 1, "θ′, each shrink, then stop");
        }
        LinesearchOutcome::Accepted { steps, .. } => {
            assert!(steps > 40, "a rounding-level acceptance");
            assert_eq!(candidates, steps + 1);
        }
        other => panic!("unknown outcome {other:?}"),
    }
}

/// clamped_update with k_max = 1e12 did not end; now k_max is capped and a fixed point ends
/// the loop early with the same result.
///
/// Counted, not timed: each iteration evaluates the clamped gradient once, and with one step
/// that is one likelihood ratio, two log-densities. From θ′ = θ = [0, 1] with a = 0.5, R = 1,
/// each step raises w = π_θ′(a)/π_θ(a) until w > 1 + ε = 1.2; then the step is clamped, the
/// gradient is 0, θ′ is a fixed point and the loop ends. K, the number of unclamped
/// iterations, is replayed here by hand (∇log π = [(a − μ)/σ², ((a − μ)² − σ²)/σ³], times w R),
/// so both runs cost exactly 2(K + 1) log-densities, not 2 · 10⁶ and 2 · 10⁵.
#[test]
fn clamped_update_iteration_limits() {
    let trajectories = vec![vec![Step {
        s: 0.0,
        a: 0.5,
        r: 1.0,
    }]];
    let theta = dvector![0.0, 1.0];
    let too_many = clamped_update(
        &Gaussian,
        &theta,
        &trajectories,
        &ClampedUpdateParams {
            gamma: 1.0,
            epsilon: 0.2,
            alpha: 0.01,
            k_max: 1_000_000_000_000,
        },
    );
    assert_eq!(too_many.unwrap_err().kind(), "InvalidParameter");
    let (a, alpha) = (0.5f64, 0.01);
    let (mut mu, mut sigma, mut unclamped) = (0.0f64, 1.0f64, 0);
    loop {
        let w = (-0.5 * ((a - mu) / sigma).powi(2) + 0.5 * a * a).exp() / sigma;
        if w > 1.0 + 0.2 {
            break;
        }
        let e = a - mu;
        (mu, sigma) = (
            mu + alpha * w * e / (sigma * sigma),
            sigma + alpha * w * (e * e - sigma * sigma) / sigma.powi(3),
        );
        unclamped += 1;
        assert!(
            unclamped < 10_000,
            "the hand iteration does not reach w > 1.2"
        );
    }
    let evaluations = 2 * (unclamped + 1);
    let mut runs = Vec::new();
    for k_max in [1_000_000, 100_000] {
        let policy = Counting::new(Gaussian, evaluations, usize::MAX);
        let theta_prime = clamped_update(
            &policy,
            &theta,
            &trajectories,
            &ClampedUpdateParams {
                gamma: 1.0,
                epsilon: 0.2,
                alpha,
                k_max,
            },
        )
        .unwrap();
        assert_eq!(
            policy.log_density_calls.get(),
            evaluations,
            "k_max = {k_max}"
        );
        assert!((theta_prime[0] - mu).abs() < 1e-12 && (theta_prime[1] - sigma).abs() < 1e-12);
        runs.push(theta_prime);
    }
    assert_eq!(
        runs[0], runs[1],
        "the iteration reached an exact fixed point"
    );
    let params = CgParams::new(1_000_001, 0.0)
        .with_damping(0.0)
        .with_strict(false);
    let cg = natural_update(
        &DVector::zeros(1),
        &[dvector![1.0]],
        &[dvector![1.0]],
        0.1,
        &Solver::ConjugateGradient(params),
    );
    assert_eq!(cg.unwrap_err().kind(), "InvalidParameter");
}

/// An explicit Fisher matrix for 30,000 parameters (7.2 GB) aborted the process.
#[test]
fn explicit_fisher_size_is_limited() {
    let wide = [DVector::from_element(
        pgoracle::limits::MAX_EXPLICIT_PARAMS + 1,
        1.0,
    )];
    assert_eq!(fisher(&wide).unwrap_err().kind(), "InvalidParameter");
    // The matrix-free solver still works at that size.
    let params = CgParams::new(10, 1e-12).with_damping(0.1).with_strict(true);
    let step = natural_update(
        &DVector::zeros(wide[0].len()),
        &wide,
        &wide,
        0.1,
        &Solver::ConjugateGradient(params),
    )
    .unwrap();
    assert!(step.fisher.is_none());
}

/// With fewer trajectories than parameters the exact solver spent seconds in an eigensolve to
/// find what the rank bound says at once. Not timed: the error is the rank bound's (rank F ≤
/// m = 3 < n = 2500), not the eigenvalue test's; `cg_memory.rs` counts the bytes allocated
/// and finds no n × n matrix.
#[test]
fn fewer_trajectories_than_parameters_is_singular_at_once() {
    let n = 2500;
    let score_vectors: Vec<_> = (0..3)
        .map(|i| DVector::from_fn(n, |j, _| ((i * n + j) % 7) as f64 - 3.0))
        .collect();
    let e = natural_update(
        &DVector::zeros(n),
        &score_vectors,
        &score_vectors,
        0.1,
        &Solver::Exact,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "SingularFisher");
    let message = e.to_string();
    assert!(
        message.contains("m = 3 < n = 2500") && !message.contains("eigenvalue"),
        "{message}"
    );
}

/// policy_kl returned NaN and ∞ as numbers, and ignored a NaN state for the Gaussian families.
#[test]
fn policy_kl_never_returns_a_non_finite_number() {
    let kind = |r: pgoracle::Result<f64>| r.unwrap_err().kind();
    assert_eq!(
        kind(Gaussian.kl(&dvector![0.0, 1e300], &dvector![0.0, 1e-300], &0.0)),
        "NonFiniteResult"
    );
    assert_eq!(
        kind(Gaussian.kl(&dvector![0.0, 1.0], &dvector![0.0, 1e-200], &0.0)),
        "NonFiniteResult"
    );
    assert_eq!(
        kind(LinearGaussian.kl(&dvector![0.0, 1.0], &dvector![0.0, 1.0], &f64::NAN)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(Gaussian.kl(&dvector![0.0, 1.0], &dvector![0.0, 1.0], &f64::NAN)),
        "NonFiniteInput"
    );
    // π = [1, 0] for both: 0·log(0/0) = 0, so KL = 0 (it was 0·(−∞ + ∞) = NaN).
    let table = Softmax::new(1, 2).unwrap();
    let theta = dvector![1e308, -1e308];
    assert_eq!(table.kl(&theta, &theta, &0).unwrap(), 0.0);
}

/// The size limit itself, at its boundary (forming an 8192 × 8192 matrix in a test would take
/// 512 MiB).
#[test]
fn explicit_size_limit_boundary() {
    use pgoracle::limits::{MAX_EXPLICIT_PARAMS, check_explicit_size};
    assert_eq!(MAX_EXPLICIT_PARAMS, 8192);
    assert!(check_explicit_size(MAX_EXPLICIT_PARAMS).is_ok());
    assert_eq!(
        check_explicit_size(MAX_EXPLICIT_PARAMS + 1)
            .unwrap_err()
            .kind(),
        "InvalidParameter"
    );
}

/// The overflow-safe natural step with ĝᵀû ≠ 1: F = diag(½, 2), g = [1e200, 1e200],
/// u = F⁻¹g = [2e200, ½e200], gᵀu = 2.5e400 overflows; θ′ = u/√(gᵀu) for ε = ½, i.e.
/// [2, ½]/√2.5 exactly.
#[test]
fn natural_step_when_g_dot_u_overflows_with_unequal_directions() {
    let grads = [dvector![2e200, 0.0], dvector![0.0, 2e200]];
    let score_vectors = [dvector![1.0, 0.0], dvector![0.0, 2.0]];
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &score_vectors,
        0.5,
        &Solver::Exact,
    )
    .unwrap();
    let expected = [2.0 / 2.5f64.sqrt(), 0.5 / 2.5f64.sqrt()];
    for (got, want) in step.theta.iter().zip(expected) {
        assert!((got / want - 1.0).abs() < 1e-14, "{} vs {want}", step.theta);
    }
}
