//! Every input where the book's code is undefined gets a typed error or a named outcome
//! (docs/edge-cases.md). Each test asserts the error kind.

use nalgebra::{DVector, dvector};
use pgoracle::{
    CgParams, Gaussian, LinearGaussian, PgError, Policy, Softmax, Solver, Step, clip_gradient,
    fisher, gradient_ascent, kl_categorical, kl_gaussian, likelihood_ratio_gradient,
    natural_update, restricted_step, restricted_update, scale_gradient, surrogate_objective,
};
use pgoracle::{Normal, RestrictedUpdateParams};

fn kind<T: std::fmt::Debug>(r: Result<T, PgError>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind(),
    }
}

fn one_trajectory(rewards: &[f64]) -> Vec<Vec<Step<f64, f64, f64>>> {
    vec![
        rewards
            .iter()
            .map(|&r| Step { s: 0.0, a: 0.5, r })
            .collect(),
    ]
}

#[test]
fn scale_gradient_zero_gradient_is_the_zero_vector() {
    // The book computes min(L/0, 1)·0 = NaN for L = 0, and 1·0 for L > 0.
    assert_eq!(
        scale_gradient(&dvector![0.0, 0.0], 0.0).unwrap(),
        dvector![0.0, 0.0]
    );
    assert_eq!(
        scale_gradient(&dvector![0.0, 0.0], 1.0).unwrap(),
        dvector![0.0, 0.0]
    );
}

#[test]
fn scale_gradient_zero_bound_zeroes_any_gradient() {
    assert_eq!(
        scale_gradient(&dvector![3.0, -4.0], 0.0).unwrap(),
        dvector![0.0, 0.0]
    );
}

#[test]
fn scale_gradient_negative_bound_is_invalid() {
    assert_eq!(
        kind(scale_gradient(&dvector![1.0], -1.0)),
        "InvalidParameter"
    );
}

#[test]
fn scale_gradient_non_finite_inputs() {
    assert_eq!(
        kind(scale_gradient(&dvector![f64::NAN, 1.0], 1.0)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(scale_gradient(&dvector![f64::INFINITY], 1.0)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(scale_gradient(&dvector![1.0], f64::NAN)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(scale_gradient(&dvector![1.0], f64::INFINITY)),
        "NonFiniteInput"
    );
}

#[test]
fn scale_gradient_huge_entries_do_not_overflow() {
    // ‖[3e200, 4e200]‖ = 5e200 overflows if squared directly (the book's norm gives Inf and
    // then a zero gradient). Expected: [0.6, 0.8].
    let g = scale_gradient(&dvector![3e200f64, 4e200], 1.0).unwrap();
    assert!(
        (g[0] - 0.6).abs() <= 1e-15 && (g[1] - 0.8).abs() <= 1e-15,
        "{g}"
    );
}

#[test]
fn scale_gradient_tiny_entries_do_not_underflow() {
    // ‖[3e-200, 4e-200]‖ = 5e-200 underflows to 0 if squared directly. Below the bound: unchanged.
    let g = dvector![3e-200f64, 4e-200];
    assert_eq!(scale_gradient(&g, 1.0).unwrap(), g);
    // With a bound below the norm it is rescaled to the bound: expected [0.6e-200, 0.8e-200].
    let h = scale_gradient(&g, 1e-200).unwrap();
    assert!((h[0] / 0.6e-200 - 1.0).abs() < 1e-14 && (h[1] / 0.8e-200 - 1.0).abs() < 1e-14);
}

#[test]
fn scale_gradient_subnormal_entries() {
    let g = dvector![5e-324, 0.0];
    assert_eq!(scale_gradient(&g, 1.0).unwrap(), g);
}

#[test]
fn clip_gradient_reversed_bounds_are_invalid() {
    assert_eq!(
        kind(clip_gradient(&dvector![0.0], 1.0, -1.0)),
        "InvalidParameter"
    );
}

#[test]
fn clip_gradient_non_finite_inputs() {
    assert_eq!(
        kind(clip_gradient(&dvector![f64::NAN], -1.0, 1.0)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(clip_gradient(&dvector![0.0], f64::NAN, 1.0)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(clip_gradient(&dvector![0.0], -1.0, f64::INFINITY)),
        "NonFiniteInput"
    );
}

#[test]
fn clip_gradient_equal_bounds_give_a_constant() {
    assert_eq!(
        clip_gradient(&dvector![-5.0, 5.0], 2.0, 2.0).unwrap(),
        dvector![2.0, 2.0]
    );
}

#[test]
fn empty_vectors() {
    let empty = DVector::<f64>::zeros(0);
    assert_eq!(kind(scale_gradient(&empty, 1.0)), "EmptyInput");
    assert_eq!(kind(clip_gradient(&empty, -1.0, 1.0)), "EmptyInput");
    assert_eq!(kind(gradient_ascent(&empty, &empty, 1.0)), "EmptyInput");
    assert_eq!(kind(restricted_step(&empty, &empty, 1.0)), "EmptyInput");
    assert_eq!(kind(fisher::<f64>(&[])), "EmptyInput");
    assert_eq!(kind(fisher(std::slice::from_ref(&empty))), "EmptyInput");
    assert_eq!(kind(kl_categorical(&empty, &empty)), "EmptyInput");
}

#[test]
fn wrong_dimensions() {
    assert_eq!(
        kind(gradient_ascent(&dvector![0.0, 0.0], &dvector![1.0], 1.0)),
        "DimensionMismatch"
    );
    assert_eq!(
        kind(restricted_step(&dvector![0.0], &dvector![1.0, 1.0], 1.0)),
        "DimensionMismatch"
    );
    assert_eq!(
        kind(fisher(&[dvector![1.0], dvector![1.0, 2.0]])),
        "DimensionMismatch"
    );
    assert_eq!(
        kind(kl_categorical(&dvector![0.5, 0.5], &dvector![1.0])),
        "DimensionMismatch"
    );
    let trajectories = one_trajectory(&[1.0]);
    assert_eq!(
        kind(likelihood_ratio_gradient(
            &Gaussian,
            &dvector![0.0, 1.0, 2.0],
            &trajectories,
            1.0
        )),
        "DimensionMismatch"
    );
    let scores = [dvector![1.0, 0.0], dvector![0.0, 1.0]];
    let grads = [dvector![1.0, 0.0]];
    assert_eq!(
        kind(natural_update(
            &dvector![0.0, 0.0],
            &grads,
            &scores,
            0.1,
            &Solver::Exact
        )),
        "DimensionMismatch"
    );
    let table = Softmax::new(2, 3).unwrap();
    let bad_state = vec![vec![Step {
        s: 2usize,
        a: 0usize,
        r: 1.0,
    }]];
    assert_eq!(
        kind(likelihood_ratio_gradient(
            &table,
            &DVector::zeros(6),
            &bad_state,
            1.0
        )),
        "DimensionMismatch"
    );
}

#[test]
fn gradient_ascent_requires_a_positive_step_factor() {
    let theta = dvector![0.0];
    assert_eq!(
        kind(gradient_ascent(&theta, &dvector![1.0], 0.0)),
        "InvalidParameter"
    );
    assert_eq!(
        kind(gradient_ascent(&theta, &dvector![1.0], -0.1)),
        "InvalidParameter"
    );
}

#[test]
fn gradient_ascent_overflow_is_a_non_finite_result() {
    assert_eq!(
        kind(gradient_ascent(&dvector![1e308], &dvector![1e308], 10.0)),
        "NonFiniteResult"
    );
}

#[test]
fn restricted_step_zero_gradient() {
    // The book computes u·sqrt(2ε/0) = 0·Inf = NaN.
    assert_eq!(
        kind(restricted_step(
            &dvector![1.0, 2.0],
            &dvector![0.0, 0.0],
            0.1
        )),
        "ZeroGradient"
    );
}

#[test]
fn restricted_step_non_positive_epsilon() {
    assert_eq!(
        kind(restricted_step(&dvector![0.0], &dvector![1.0], 0.0)),
        "InvalidParameter"
    );
    assert_eq!(
        kind(restricted_step(&dvector![0.0], &dvector![1.0], -1.0)),
        "InvalidParameter"
    );
}

#[test]
fn restricted_step_huge_gradient_keeps_its_length() {
    // uᵀu overflows for u ~ 1e200; the step must still have length √(2ε) = 1.
    let theta = restricted_step(&dvector![0.0, 0.0], &dvector![3e200f64, 4e200], 0.5).unwrap();
    assert!(
        (theta[0] - 0.6).abs() < 1e-15 && (theta[1] - 0.8).abs() < 1e-15,
        "{theta}"
    );
}

#[test]
fn restricted_update_zero_rewards_is_a_zero_gradient() {
    let trajectories = one_trajectory(&[0.0, 0.0]);
    assert_eq!(
        kind(restricted_update(
            &Gaussian,
            &dvector![0.0, 1.0],
            &trajectories,
            &RestrictedUpdateParams {
                gamma: 1.0,
                epsilon: 0.1
            }
        )),
        "ZeroGradient"
    );
}

#[test]
fn non_positive_sigma_is_invalid_for_both_gaussian_families() {
    let trajectories = one_trajectory(&[1.0]);
    for sigma in [0.0, -1.0] {
        let theta = dvector![0.0, sigma];
        assert_eq!(
            kind(likelihood_ratio_gradient(
                &Gaussian,
                &theta,
                &trajectories,
                1.0
            )),
            "InvalidParameter"
        );
        assert_eq!(
            kind(likelihood_ratio_gradient(
                &LinearGaussian,
                &theta,
                &trajectories,
                1.0
            )),
            "InvalidParameter"
        );
        assert_eq!(
            kind(kl_gaussian(
                &Normal {
                    mean: 0.0,
                    std: sigma
                },
                &Normal {
                    mean: 0.0,
                    std: 1.0
                }
            )),
            "InvalidParameter"
        );
        assert_eq!(
            kind(kl_gaussian(
                &Normal {
                    mean: 0.0,
                    std: 1.0
                },
                &Normal {
                    mean: 0.0,
                    std: sigma
                }
            )),
            "InvalidParameter"
        );
    }
}

#[test]
fn discount_outside_unit_interval_is_invalid() {
    let trajectories = one_trajectory(&[1.0]);
    for gamma in [-0.1, 1.5] {
        assert_eq!(
            kind(likelihood_ratio_gradient(
                &Gaussian,
                &dvector![0.0, 1.0],
                &trajectories,
                gamma
            )),
            "InvalidParameter"
        );
    }
}

#[test]
fn empty_trajectories() {
    let theta = dvector![0.0, 1.0];
    let none: Vec<Vec<Step<f64, f64, f64>>> = vec![];
    assert_eq!(
        kind(likelihood_ratio_gradient(&Gaussian, &theta, &none, 1.0)),
        "EmptyInput"
    );
    let empty_one: Vec<Vec<Step<f64, f64, f64>>> = vec![vec![]];
    assert_eq!(
        kind(likelihood_ratio_gradient(
            &Gaussian, &theta, &empty_one, 1.0
        )),
        "EmptyInput"
    );
}

#[test]
fn non_finite_trajectory_entries() {
    let theta = dvector![0.0, 1.0];
    for step in [
        Step {
            s: 0.0,
            a: f64::NAN,
            r: 1.0,
        },
        Step {
            s: 0.0,
            a: 0.0,
            r: f64::INFINITY,
        },
        Step {
            s: f64::NEG_INFINITY,
            a: 0.0,
            r: 1.0,
        },
    ] {
        assert_eq!(
            kind(likelihood_ratio_gradient(
                &Gaussian,
                &theta,
                &[vec![step]],
                1.0
            )),
            "NonFiniteInput"
        );
    }
}

fn natural(
    scores: &[DVector<f64>],
    grads: &[DVector<f64>],
    solver: Solver<f64>,
) -> Result<DVector<f64>, PgError> {
    natural_update(
        &DVector::zeros(scores[0].len()),
        grads,
        scores,
        0.1,
        &solver,
    )
    .map(|s| s.theta)
}

#[test]
fn natural_update_zero_gradient() {
    let scores = [dvector![1.0, 0.0], dvector![0.0, 1.0]];
    let grads = [dvector![0.0, 0.0], dvector![0.0, 0.0]];
    assert_eq!(
        kind(natural(&scores, &grads, Solver::Exact)),
        "ZeroGradient"
    );
}

#[test]
fn natural_update_singular_fisher_with_the_exact_solver() {
    // Both scores along [1, 2]: F = [[1, 2], [2, 4]]·(5/2)/… has rank 1.
    let scores = [dvector![1.0, 2.0], dvector![2.0, 4.0]];
    let grads = [dvector![1.0, 2.0], dvector![2.0, 4.0]];
    assert_eq!(
        kind(natural(&scores, &grads, Solver::Exact)),
        "SingularFisher"
    );
    // Fewer trajectories than parameters: rank ≤ 1 < 3.
    let scores = [dvector![1.0, 0.5, -1.0]];
    let grads = [dvector![1.0, 0.5, -1.0]];
    assert_eq!(
        kind(natural(&scores, &grads, Solver::Exact)),
        "SingularFisher"
    );
}

#[test]
fn natural_update_singular_fisher_is_solvable_by_the_other_solvers() {
    let scores = [dvector![1.0, 2.0], dvector![2.0, 4.0]];
    let grads = [dvector![1.0, 2.0], dvector![2.0, 4.0]];
    for solver in [
        Solver::Damped { damping: 0.1 },
        Solver::PseudoInverse { rcond: 1e-12 },
        Solver::ConjugateGradient(CgParams::new(10, 1e-12).with_damping(0.0).with_strict(true)),
    ] {
        let theta = natural(&scores, &grads, solver).unwrap();
        // The step is along [1, 2] (the only direction F sees): θ′₂ = 2 θ′₁.
        assert!(
            (theta[1] - 2.0 * theta[0]).abs() < 1e-12,
            "{solver:?}: {theta}"
        );
    }
}

#[test]
fn natural_update_non_positive_curvature() {
    // F only sees e₁, g lies along e₂: the pseudo-inverse gives u = 0 and gᵀu = 0.
    let scores = [dvector![1.0, 0.0]];
    let grads = [dvector![0.0, 1.0]];
    assert_eq!(
        kind(natural(
            &scores,
            &grads,
            Solver::PseudoInverse { rcond: 1e-12 }
        )),
        "NonPositiveCurvature"
    );
}

#[test]
fn natural_update_strict_cg_that_misses_its_tolerance() {
    let scores = [
        dvector![1.0, 0.0, 0.0],
        dvector![0.0, 2.0, 0.0],
        dvector![0.0, 0.0, 3.0],
    ];
    let grads = vec![dvector![1.0, 1.0, 1.0]; 3];
    let params = CgParams::new(1, 1e-14).with_damping(0.0).with_strict(true);
    assert_eq!(
        kind(natural(&scores, &grads, Solver::ConjugateGradient(params))),
        "NoConvergence"
    );
    // Not strict: the result after one iteration is returned with its residual.
    let lenient = params.with_strict(false);
    let step = natural_update(
        &DVector::zeros(3),
        &grads,
        &scores,
        0.1,
        &Solver::ConjugateGradient(lenient),
    )
    .unwrap();
    let info = step.cg.unwrap();
    assert_eq!(info.iterations, 1);
    assert!(!info.converged && info.residual > 0.0);
}

#[test]
fn solver_parameters_are_checked() {
    let scores = [dvector![1.0, 0.0], dvector![0.0, 1.0]];
    let grads = scores.clone();
    for solver in [
        Solver::Damped { damping: 0.0 },
        Solver::Damped { damping: -1.0 },
        Solver::PseudoInverse { rcond: -1.0 },
        Solver::ConjugateGradient(CgParams::new(0, 1e-10).with_damping(0.0).with_strict(false)),
        Solver::ConjugateGradient(CgParams::new(5, -1.0).with_damping(0.0).with_strict(false)),
    ] {
        assert_eq!(
            kind(natural(&scores, &grads, solver)),
            "InvalidParameter",
            "{solver:?}"
        );
    }
}

#[test]
fn kl_categorical_zero_in_q_where_p_is_positive() {
    assert_eq!(
        kind(kl_categorical(&dvector![0.5, 0.5], &dvector![1.0, 0.0])),
        "ZeroProbability"
    );
}

#[test]
fn kl_categorical_zero_in_p_contributes_nothing() {
    // 0·log(0/q) = 0: KL([1, 0] ‖ [0.5, 0.5]) = log 2.
    let kl = kl_categorical(&dvector![1.0, 0.0], &dvector![0.5, 0.5]).unwrap();
    assert!((kl - std::f64::consts::LN_2).abs() < 1e-15);
}

#[test]
fn kl_categorical_requires_probability_vectors() {
    assert_eq!(
        kind(kl_categorical(&dvector![1.5, -0.5], &dvector![0.5, 0.5])),
        "InvalidParameter"
    );
    assert_eq!(
        kind(kl_categorical(&dvector![0.5, 0.5], &dvector![0.7, 0.7])),
        "InvalidParameter"
    );
}

#[test]
fn zero_probability_under_theta_makes_the_ratio_undefined() {
    // (a − μ)/σ = 1e200: log π_θ(a) = −Inf even in log space.
    let trajectories = vec![vec![Step {
        s: 0.0,
        a: 1e200,
        r: 1.0,
    }]];
    let theta = dvector![0.0, 1.0];
    assert_eq!(
        kind(surrogate_objective(
            &Gaussian,
            &theta,
            &theta,
            &trajectories,
            1.0
        )),
        "ZeroProbability"
    );
}

#[test]
fn softmax_table_must_not_be_empty() {
    assert_eq!(kind(Softmax::new(0, 3)), "InvalidParameter");
    assert_eq!(kind(Softmax::new(2, 0)), "InvalidParameter");
    assert_eq!(Policy::<f64>::n_params(&Softmax::new(2, 3).unwrap()), 6);
}

#[test]
fn pseudo_inverse_of_an_all_ones_fisher() {
    // One score [1, 1, 1]: F = 11ᵀ (rank 1, σ = 3), F⁺ = 11ᵀ/9, so for g = [1, 1, 1]
    // u = [1/3, 1/3, 1/3], gᵀu = 1 and θ′ = u·√(2·0.5) = u. All-ones matrices are a family on
    // which nalgebra's SVD returns wrong singular values (dimforge/nalgebra#1172).
    let scores = [dvector![1.0, 1.0, 1.0]];
    let grads = [dvector![1.0, 1.0, 1.0]];
    let step = natural_update(
        &DVector::zeros(3),
        &grads,
        &scores,
        0.5,
        &Solver::PseudoInverse { rcond: 1e-12 },
    )
    .unwrap();
    for x in step.direction.iter().chain(step.theta.iter()) {
        assert!((x - 1.0f64 / 3.0).abs() < 1e-15, "{}", step.direction);
    }
}

#[test]
fn kl_categorical_keeps_relative_accuracy_when_p_is_close_to_q() {
    // p = (½ + δ, ½ − δ), q = (½, ½): KL = (½+δ)ln(1+2δ) + (½−δ)ln(1−2δ) = 2δ² + 4δ⁴/3 + O(δ⁶).
    // δ = 3·2⁻¹⁹ makes p exact and Σp = 1 exactly; KL ≈ 6.6e-11 (the δ⁶ term is 4e-21 relative).
    // Evaluating log p − log q instead of log1p loses about 1e-16 absolute per term, a relative
    // error near 1e-6 here (checked against a 50-digit evaluation: log1p gives 2e-11).
    let delta: f64 = 3.0 * 2f64.powi(-19);
    let p = dvector![0.5 + delta, 0.5 - delta];
    let q = dvector![0.5, 0.5];
    let expected = 2.0 * delta * delta + 4.0 * delta.powi(4) / 3.0;
    let kl: f64 = kl_categorical(&p, &q).unwrap();
    assert!((kl / expected - 1.0).abs() < 1e-9, "{kl:e} vs {expected:e}");
}

#[test]
fn probability_vectors_may_miss_one_by_exactly_n_root_epsilon() {
    // The rule is |Σp − 1| ≤ n·√ε (inclusive). With n = 2 and √ε = 2⁻²⁶, entries ½ + 2⁻²⁶ sum to
    // exactly 1 + 2·2⁻²⁶: accepted. A sum one ulp of 1 (2⁻⁵²) further is rejected.
    let step = 2f64.powi(-26);
    let p = dvector![0.5 + step, 0.5 + step];
    let q = dvector![0.5, 0.5];
    assert!(kl_categorical(&p, &q).is_ok());
    let over = dvector![0.5 + step, 0.5 + step + 2f64.powi(-52)];
    assert_eq!(kind(kl_categorical(&over, &q)), "InvalidParameter");
}

#[test]
fn gaussian_families_have_two_parameters() {
    assert_eq!(Policy::<f64>::n_params(&Gaussian), 2);
    assert_eq!(Policy::<f64>::n_params(&LinearGaussian), 2);
}

#[test]
fn cg_accepts_exactly_the_maximum_iteration_count() {
    let params = CgParams::new(pgoracle::limits::MAX_ITERATIONS, 1e-12)
        .with_damping(0.0)
        .with_strict(true);
    let step = natural_update(
        &dvector![0.0],
        &[dvector![2.0]],
        &[dvector![1.0]],
        0.5,
        &Solver::ConjugateGradient(params),
    )
    .unwrap();
    // F = 1, g = 2: u = 2 in one iteration, gᵀu = 4, θ′ = 2·√(1/4) = 1.
    assert_eq!(step.theta, dvector![1.0]);
}

#[test]
fn singularity_threshold_scales_with_the_largest_eigenvalue() {
    // F = diag(5e7, 5e-11): λ_min/λ_max = 1e-18 ≤ n·ε = 4.4e-16, so F is singular to working
    // precision even though λ_min = 5e-11 is not small in absolute terms.
    let scores = [dvector![1e4, 0.0], dvector![0.0, 1e-5]];
    let grads = [dvector![1.0, 0.0], dvector![0.0, 1.0]];
    assert_eq!(
        kind(natural(&scores, &grads, Solver::Exact)),
        "SingularFisher"
    );
    // Scaled to λ_min/λ_max = 1e-12 it is solvable.
    let scores = [dvector![1e4, 0.0], dvector![0.0, 1e-2]];
    assert!(natural(&scores, &grads, Solver::Exact).is_ok());
}

#[test]
fn exact_solve_with_twenty_parameters() {
    // Scores ±√n·eᵢ (2n of them): F = (1/2n)·Σ n·eᵢeᵢᵀ·2 = I, so u = g and θ′ = g·√(2ε/gᵀg).
    let n = 20;
    let mut scores = Vec::new();
    for i in 0..n {
        for sign in [1.0, -1.0] {
            let mut s = DVector::zeros(n);
            s[i] = sign * (n as f64).sqrt();
            scores.push(s);
        }
    }
    let grads: Vec<_> = (0..2 * n)
        .map(|k| DVector::from_fn(n, |i, _| if i == k % n { 2.0 } else { 0.0 }))
        .collect();
    let step = natural_update(&DVector::zeros(n), &grads, &scores, 0.5, &Solver::Exact).unwrap();
    // g = (2/20)·1 = 0.1·1, gᵀg = 0.2, θ′ = 0.1·1·√(1/0.2).
    let expected = 0.1 * 5f64.sqrt();
    assert!(
        step.theta.iter().all(|x| (x - expected).abs() < 1e-14),
        "{}",
        step.theta
    );
}

#[test]
fn pseudo_inverse_cutoff_is_relative_to_the_largest_singular_value() {
    // F = diag(1e6, 1e-8) (scores ±√2·diag(1e3, 1e-4)), rcond = 1e-10: the cut 1e-4 drops 1e-8,
    // so u = [g₁/1e6, 0].
    let r = 2f64.sqrt();
    let scores = [dvector![r * 1e3, 0.0], dvector![0.0, r * 1e-4]];
    let grads = [dvector![2e6, 0.0], dvector![0.0, 2.0]];
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &scores,
        0.5,
        &Solver::PseudoInverse { rcond: 1e-10 },
    )
    .unwrap();
    assert!(
        (step.direction[0] - 1.0).abs() < 1e-12 && step.direction[1] == 0.0,
        "{}",
        step.direction
    );
}

#[test]
fn pseudo_inverse_drops_singular_values_at_the_cutoff() {
    // F = diag(2, 0.5) (scores [2, 0] and [0, 1], exact), rcond = 0.25: the cut is exactly 0.5,
    // and σ ≤ cut is dropped (inclusive), so u = [g₁/2, 0] = [0.5, 0].
    let scores = [dvector![2.0f64, 0.0], dvector![0.0, 1.0]];
    let grads = [dvector![2.0, 0.0], dvector![0.0, 2.0]];
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &scores,
        0.5,
        &Solver::PseudoInverse { rcond: 0.25 },
    )
    .unwrap();
    assert!(step.direction[1].abs() < 1e-15, "{}", step.direction);
    assert!((step.direction[0] - 0.5).abs() < 1e-15);
}

#[test]
fn cg_stops_at_a_direction_of_zero_curvature() {
    // F = diag(1, 0) (one score [1, 0]), g = [1, 1] (a component outside the range of F). One CG
    // step gives u = [2, 2], r = [−1, 1], p = [0, 2] with pᵀFp = 0: the iteration stops there
    // instead of dividing by zero. gᵀu = 4, θ′ = u·√(2·0.5/4) = [1, 1].
    let scores = [dvector![1.0, 0.0]];
    let grads = [dvector![1.0, 1.0]];
    let params = CgParams::new(10, 1e-12)
        .with_damping(0.0)
        .with_strict(false);
    let step = natural_update(
        &DVector::zeros(2),
        &grads,
        &scores,
        0.5,
        &Solver::ConjugateGradient(params),
    )
    .unwrap();
    assert_eq!(step.direction, dvector![2.0, 2.0]);
    assert_eq!(step.theta, dvector![1.0, 1.0]);
    let info = step.cg.unwrap();
    assert!(info.iterations == 1 && !info.converged);
}

#[test]
fn softmax_table_dimensions() {
    let table = Softmax::new(2, 3).unwrap();
    assert_eq!((table.n_states(), table.n_actions()), (2, 3));
}

#[test]
fn softmax_nan_in_an_unvisited_state_is_still_an_input_error() {
    // θ's row for state 1 holds a NaN; the trajectories only visit state 0. The entry check
    // covers all of θ, not only the rows a computation reads.
    let table = Softmax::new(2, 2).unwrap();
    let theta = dvector![0.1, -0.2, f64::NAN, 0.0];
    let trajectories = vec![vec![Step {
        s: 0usize,
        a: 1usize,
        r: 1.0,
    }]];
    assert_eq!(
        kind(likelihood_ratio_gradient(
            &table,
            &theta,
            &trajectories,
            1.0
        )),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(surrogate_objective(
            &table,
            &theta,
            &theta,
            &trajectories,
            1.0
        )),
        "NonFiniteInput"
    );
}
