//! Algorithm 12.6 at its boundaries: the clamp conditions are strict and compare the
//! reward-to-go with zero (book-code-notes §1; the OCR prints `r_togo > θ`).

use nalgebra::{DVector, dvector};
use pgoracle::ClampedUpdateParams;
use pgoracle::{
    Gaussian, Step, clamped_gradient, clamped_objective, clamped_update, is_clamped,
    likelihood_ratio, surrogate_objective,
};

#[test]
fn clamp_condition_truth_table_at_the_boundaries() {
    let eps = 0.25; // 1 ± ε = 1.25, 0.75 exactly
    assert!(
        !is_clamped(1.25, 1.0, eps),
        "w = 1 + ε exactly is not clamped (strict)"
    );
    assert!(is_clamped(1.25f64.next_up(), 1.0, eps));
    assert!(
        !is_clamped(0.75, -1.0, eps),
        "w = 1 − ε exactly is not clamped (strict)"
    );
    assert!(is_clamped(0.75f64.next_down(), -1.0, eps));
    // Reward-to-go exactly zero: never clamped, whatever w.
    assert!(!is_clamped(10.0, 0.0, eps));
    assert!(!is_clamped(0.01, 0.0, eps));
    assert!(!is_clamped(10.0, -0.0, eps));
    // The pessimistic side is never clamped.
    assert!(!is_clamped(10.0, -1.0, eps));
    assert!(!is_clamped(0.01, 1.0, eps));
    // Comparison with zero, not with θ: a tiny positive reward-to-go with a large ratio is
    // clamped (the OCR's `r_togo > θ` would compare with the parameter vector).
    assert!(is_clamped(2.0, 1e-300, eps));
}

/// Trajectories, θ and θ′.
type OneStep = (Vec<Vec<Step<f64, f64, f64>>>, DVector<f64>, DVector<f64>);

/// One step, one trajectory: the ratio w = π_θ′(a)/π_θ(a) is computed first and ε is then
/// chosen so that 1 + ε (or 1 − ε) equals w exactly (ε = w − 1 and 1 + ε are exact for
/// w ∈ [0.5, 2] by Sterbenz's lemma).
fn one_step(r: f64) -> OneStep {
    let trajectories = vec![vec![Step { s: 0.0, a: 0.3, r }]];
    (trajectories, dvector![0.0, 1.0], dvector![0.1, 1.0])
}

#[test]
fn ratio_exactly_one_plus_epsilon_contributes_with_positive_reward_to_go() {
    let (trajectories, theta, theta_prime) = one_step(2.0);
    let w = likelihood_ratio(&Gaussian, &theta, &theta_prime, &0.3, &0.0).unwrap();
    // By hand: N(0.3; 0.1, 1)/N(0.3; 0, 1) = exp(0.3²/2 − 0.2²/2) = exp(0.025).
    assert!((w - 0.025f64.exp()).abs() <= 4.0 * f64::EPSILON, "{w}");
    assert!(w > 1.0 && w < 2.0);
    let eps = w - 1.0;
    assert_eq!(1.0 + eps, w, "setup: the boundary is hit exactly");
    let at_boundary =
        clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, eps).unwrap();
    let unclamped =
        clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 10.0).unwrap();
    assert_eq!(
        at_boundary, unclamped,
        "strict inequality: w = 1 + ε is not clamped"
    );
    assert!(unclamped.amax() > 0.0);
    // One ulp of w lower bound: 1 + ε′ = w⁻ < w.
    let eps_below = w.next_down() - 1.0;
    let just_inside = clamped_gradient(
        &Gaussian,
        &theta,
        &theta_prime,
        &trajectories,
        1.0,
        eps_below,
    )
    .unwrap();
    assert_eq!(just_inside, dvector![0.0, 0.0], "w > 1 + ε is clamped");
}

#[test]
fn ratio_exactly_one_minus_epsilon_contributes_with_negative_reward_to_go() {
    let (trajectories, theta, _) = one_step(-2.0);
    let theta_prime = dvector![-0.1, 1.0]; // moves the mean away from a = 0.3: w < 1
    let w = likelihood_ratio(&Gaussian, &theta, &theta_prime, &0.3, &0.0).unwrap();
    // By hand: exp(0.3²/2 − 0.4²/2) = exp(−0.035).
    assert!((w - (-0.035f64).exp()).abs() <= 4.0 * f64::EPSILON, "{w}");
    assert!(w < 1.0 && w > 0.5);
    let eps = 1.0 - w;
    assert_eq!(1.0 - eps, w, "setup: the boundary is hit exactly");
    let at_boundary =
        clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, eps).unwrap();
    let unclamped =
        clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 10.0).unwrap();
    assert_eq!(
        at_boundary, unclamped,
        "strict inequality: w = 1 − ε is not clamped"
    );
    // 1 − ε′ = w⁺ > w.
    let eps_below = 1.0 - w.next_up();
    let just_inside = clamped_gradient(
        &Gaussian,
        &theta,
        &theta_prime,
        &trajectories,
        1.0,
        eps_below,
    )
    .unwrap();
    assert_eq!(just_inside, dvector![0.0, 0.0], "w < 1 − ε is clamped");
}

#[test]
fn zero_reward_to_go_contributes_zero_and_is_not_clamped() {
    let (trajectories, theta, theta_prime) = one_step(0.0);
    let g = clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 0.01).unwrap();
    assert_eq!(g, dvector![0.0, 0.0]);
    let f = clamped_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, 0.01).unwrap();
    assert_eq!(f, 0.0);
}

#[test]
fn clamped_objective_is_the_lower_bound_and_continuous_at_the_boundary() {
    let (trajectories, theta, theta_prime) = one_step(2.0);
    let w = likelihood_ratio(&Gaussian, &theta, &theta_prime, &0.3, &0.0).unwrap();
    assert!((w - 0.025f64.exp()).abs() <= 4.0 * f64::EPSILON, "{w}");
    // Ratio beyond 1 + ε with positive advantage: min(w·R, (1 + ε)·R) = (1 + ε)·R.
    let eps = (w - 1.0) / 2.0;
    let f = clamped_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, eps).unwrap();
    assert_eq!(f, (1.0 + eps) * 2.0);
    let surrogate =
        surrogate_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0).unwrap();
    assert!(f < surrogate);
    // At ε = w − 1 both branches coincide: min(w·R, w·R).
    let at =
        clamped_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, w - 1.0).unwrap();
    assert_eq!(at, w * 2.0);
}

#[test]
fn clamped_update_with_no_iterations_returns_theta() {
    let (trajectories, theta, _) = one_step(1.0);
    assert_eq!(
        clamped_update(
            &Gaussian,
            &theta,
            &trajectories,
            &ClampedUpdateParams {
                gamma: 1.0,
                epsilon: 0.2,
                alpha: 0.1,
                k_max: 0
            }
        )
        .unwrap(),
        theta
    );
}

#[test]
fn clamped_update_first_iteration_is_a_reward_to_go_gradient_step() {
    // At θ′ = θ every ratio is 1 (never clamped), so the first iteration adds
    // α·mean ∇log π(a_k)·R(τ,k). For N(0, 1) at a = 0.3: ∇log π = [0.3, 0.09 − 1].
    let (trajectories, theta, _) = one_step(2.0);
    let theta1 = clamped_update(
        &Gaussian,
        &theta,
        &trajectories,
        &ClampedUpdateParams {
            gamma: 1.0,
            epsilon: 0.2,
            alpha: 0.1,
            k_max: 1,
        },
    )
    .unwrap();
    let expected = dvector![0.0 + 0.1 * 0.3 * 2.0, 1.0 + 0.1 * (0.09 - 1.0) * 2.0];
    assert!((theta1 - expected).amax() < 1e-15);
}

#[test]
fn clamped_parameters_are_checked() {
    let (trajectories, theta, theta_prime) = one_step(1.0);
    for eps in [0.0, -0.1] {
        let r = clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, eps);
        assert_eq!(r.unwrap_err().kind(), "InvalidParameter");
    }
    let r = clamped_update(
        &Gaussian,
        &theta,
        &trajectories,
        &ClampedUpdateParams {
            gamma: 1.0,
            epsilon: 0.2,
            alpha: 0.0,
            k_max: 3,
        },
    );
    assert_eq!(r.unwrap_err().kind(), "InvalidParameter");
}

#[test]
fn clamped_update_leaving_the_domain() {
    // At θ = [0, 1] with a = 0.3 and R = 2 the first gradient is [0.6, −1.82] (see
    // `clamped_update_first_iteration_is_a_reward_to_go_gradient_step`); α = 1 takes σ to
    // 1 − 1.82 < 0. As in the book that iterate is returned, but an iteration evaluated there
    // is an error instead of NaN.
    let (trajectories, theta, _) = one_step(2.0);
    let once = clamped_update(
        &Gaussian,
        &theta,
        &trajectories,
        &ClampedUpdateParams {
            gamma: 1.0,
            epsilon: 0.2,
            alpha: 1.0,
            k_max: 1,
        },
    )
    .unwrap();
    assert!((once[1] - (1.0 - 1.82)).abs() < 1e-15);
    let twice = clamped_update(
        &Gaussian,
        &theta,
        &trajectories,
        &ClampedUpdateParams {
            gamma: 1.0,
            epsilon: 0.2,
            alpha: 1.0,
            k_max: 2,
        },
    );
    assert_eq!(twice.unwrap_err().kind(), "InvalidParameter");
}
