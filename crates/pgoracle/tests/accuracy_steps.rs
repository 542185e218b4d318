//! Issue #16, items 5, 6 and 9: steps, sums and solves without intermediate overflow,
//! underflow or cancellation. Expected values are 100-digit mpmath evaluations of the exact
//! inputs.
//!
//! Each expected value is printed by `tools/reference/accuracy_steps_refs.py` (mpmath, 100
//! digits): the f64 literal is the correctly rounded exact value, the comment its first 30 digits.

use nalgebra::{DVector, dvector};
use pgoracle::error::PgError;
use pgoracle::{
    CgParams, Gaussian, RestrictedUpdateParams, Solver, Step, discounted_return, fisher,
    gradient_ascent, likelihood_ratio_gradient, natural_update, restricted_step, restricted_update,
    rewards_to_go,
};

/// |x − exact| ≤ ulps·ε·|exact| (relative error in units of f64's ε = 2⁻⁵²).
fn assert_close(x: f64, exact: f64, ulps: f64, what: &str) {
    assert!(
        (x - exact).abs() <= ulps * f64::EPSILON * exact.abs(),
        "{what}: {x:e} vs the exact {exact:e} ({:.3} ulp)",
        (x - exact).abs() / (f64::EPSILON * exact.abs())
    );
}

/// One-step trajectories under N(0, 1) at θ = [0, 1] with the action a = 1 (score [1, 0]) and
/// the given rewards, all in one trajectory.
fn trajectory(rewards: &[f64]) -> Vec<Step<f64, f64, f64>> {
    rewards
        .iter()
        .map(|&r| Step { s: 0.0, a: 1.0, r })
        .collect()
}

// ---- Item 5: intermediate overflow and underflow -------------------------------------------

/// restricted_step with ε = 1e308: 2ε overflows, but the step length √(2ε) ≈ 1.4e154 does not.
/// It is now √(ε/2)·2 there (ε/2 and ·2 are exact, so the length is correctly rounded).
#[test]
fn restricted_step_with_epsilon_1e308() {
    let theta = restricted_step(&dvector![0.0], &dvector![1.0], 1e308).unwrap();
    // mpmath 100 digits: √(2·1e308) = 1.41421356237309505656505906767e154.
    assert_close(theta[0], 1.414213562373095e154, 1.0, "√(2ε)");
}

/// gradient_ascent θ = [−1e308], g = [1e308], α = 2: α·g overflows, θ + αg = 1e308 does not.
/// θ′ = fma(g, α, θ) is correctly rounded.
#[test]
fn gradient_ascent_with_an_overflowing_product() {
    let theta = gradient_ascent(&dvector![-1e308], &dvector![1e308], 2.0).unwrap();
    // mpmath 100 digits: −1e308 + 2·1e308 = 1.00000000000000001097906362944e308.
    assert_eq!(theta, dvector![1e308]);
}

/// gradient_ascent θ = [1], g = [−10.000000001], α = 0.1: θ + αg cancels to 1e-10, and the
/// rounding of α·g alone was 2.5e9 ulps of it.
#[test]
fn gradient_ascent_with_cancellation() {
    let theta = gradient_ascent(&dvector![1.0], &dvector![-10.000000001], 0.1).unwrap();
    // mpmath 100 digits: 1 + 0.1·(−10.000000001) = −1.00000063785188336717979955217e-10.
    assert_eq!(theta, dvector![-1.0000006378518833e-10]);
}

/// fisher of the scores [1.3e154], [1.3e154]: each product overflows, their mean 1.69e308 does
/// not. Columns are scaled by their largest entry and the dot product is Dot2.
#[test]
fn fisher_with_overflowing_products() {
    let f = fisher(&[dvector![1.3e154], dvector![1.3e154]]).unwrap();
    // mpmath 100 digits: (1.3e154² + 1.3e154²)/2 = 1.68999999999999985396374568659e308.
    assert_eq!(f[(0, 0)], 1.6899999999999998e308);
}

/// The exact solver on scores near 1e-160: F = GᵀG/m has entries near 1e-320 (subnormal)
/// unless the system is column-scaled. G = [[3e-160, 1e-160], [1e-160, 2e-160]], g = mean of
/// [2e-160, 1e-160] and [0, 3e-160], ε = ½.
#[test]
fn exact_solver_on_scores_near_1e_160() {
    let scores = [dvector![3e-160, 1e-160], dvector![1e-160, 2e-160]];
    let grads = [dvector![2e-160, 1e-160], dvector![0.0, 3e-160]];
    let step = natural_update(&dvector![0.0, 0.0], &grads, &scores, 0.5, &Solver::Exact).unwrap();
    // mpmath 100 digits: u = [−4.00000000000000004545340975926e159,
    // 1.20000000000000001363602292778e160], Δ = u·√(2ε/gᵀu) =
    // [−2.82842712474619012974379171724e159, 8.48528137423857038923137515172e159].
    let u = [-4e159, 1.2e160];
    let delta = [-2.8284271247461903e159, 8.48528137423857e159];
    for j in 0..2 {
        assert_close(step.direction[j], u[j], 16.0, "u");
        assert_close(step.theta[j], delta[j], 16.0, "θ′ − θ");
    }
}

/// Conjugate gradient on scores ~1e135 with gradients ~1e37: pᵀGᵀGp overflows in the unscaled
/// recurrence, which stopped at iteration 0 with u = 0 and reported `NonPositiveCurvature`.
/// G = diag(1e135, 2e135), gradients [1e37, 1e37] twice, ε = ½.
#[test]
fn conjugate_gradient_on_scores_near_1e135() {
    let scores = [dvector![1e135, 0.0], dvector![0.0, 2e135]];
    let grads = [dvector![1e37, 1e37], dvector![1e37, 1e37]];
    let solver = Solver::ConjugateGradient(CgParams::new(10, 1e-14));
    let step = natural_update(&dvector![0.0, 0.0], &grads, &scores, 0.5, &solver).unwrap();
    // mpmath 100 digits: u = [2.00000000000000006043376827316e-233,
    // 5.00000000000000015108442068291e-234], Δ = [1.26491106406735178108160379083e-135,
    // 3.16227766016837945270400947708e-136].
    let u = [2.0000000000000001e-233, 5.0000000000000003e-234];
    let delta = [1.2649110640673518e-135, 3.1622776601683796e-136];
    for j in 0..2 {
        assert_close(step.direction[j], u[j], 16.0, "u");
        assert_close(step.theta[j], delta[j], 16.0, "θ′ − θ");
    }
    assert!(step.cg.unwrap().converged);
}

/// γ = 1e-29 discounting: twelve zero rewards, then 1e300. γ¹² = 1e-348 is below the normal
/// range, but r₁₃·γ¹² ≈ 1e-48 is not; repeated multiplication went to 0.
#[test]
fn discounting_with_gamma_1e_29() {
    let mut rewards = vec![0.0; 12];
    rewards.push(1e300);
    let r = discounted_return(&trajectory(&rewards), 1e-29);
    // mpmath 100 digits: 1e300·(1e-29)¹² = 9.99999999999999370983650356456e-49.
    assert_close(r, 9.999999999999994e-49, 16.0, "R(τ)");
    // Each reward-to-go R(τ, k) = r₁₃·γ¹² as well (k ≤ 13).
    for x in rewards_to_go(&trajectory(&rewards), 1e-29) {
        assert_close(x, 9.999999999999994e-49, 16.0, "R(τ, k)");
    }
}

// ---- Item 6: compensated returns -----------------------------------------------------------

/// Rewards [1e16, 1, −1e16]: R(τ) = 1, which naive summation rounds to 0 (then `ZeroGradient`).
#[test]
fn return_of_1e16_1_minus_1e16() {
    let tau = trajectory(&[1e16, 1.0, -1e16]);
    // mpmath 100 digits: 1e16 + 1 − 1e16 = 1.
    assert_eq!(discounted_return(&tau, 1.0), 1.0);
    // Score [3, 0] (three actions a = 1 under N(0, 1)), so u = [3, 0] and θ′ = θ + √(2ε)[1, 0].
    let params = RestrictedUpdateParams {
        gamma: 1.0,
        epsilon: 0.5,
    };
    let update = restricted_update(&Gaussian, &dvector![0.0, 1.0], &[tau], &params).unwrap();
    assert_eq!(update.grad, dvector![3.0, 0.0]);
    assert_eq!(update.theta, dvector![1.0, 1.0]);
}

/// Rewards [−1, 1e16, 1, −1e16]: R(τ) = 0 exactly, so the gradient is zero and there is no
/// step (naive summation gave −1 and a spurious step).
#[test]
fn return_of_minus_1_1e16_1_minus_1e16() {
    let tau = trajectory(&[-1.0, 1e16, 1.0, -1e16]);
    // mpmath 100 digits: −1 + 1e16 + 1 − 1e16 = 0 exactly.
    assert_eq!(discounted_return(&tau, 1.0), 0.0);
    let params = RestrictedUpdateParams {
        gamma: 1.0,
        epsilon: 0.5,
    };
    let result = restricted_update(&Gaussian, &dvector![0.0, 1.0], &[tau], &params);
    assert!(
        matches!(result, Err(PgError::ZeroGradient { .. })),
        "{result:?}"
    );
}

/// The mean over trajectories of score·R: three one-step trajectories with score [1, 0] and
/// returns 1e16, 1, −1e16. The exact mean is 1/3; summing the products naively gives 0.
#[test]
fn gradient_mean_of_cancelling_returns() {
    let trajectories = [
        trajectory(&[1e16]),
        trajectory(&[1.0]),
        trajectory(&[-1e16]),
    ];
    let lr = likelihood_ratio_gradient(&Gaussian, &dvector![0.0, 1.0], &trajectories, 1.0).unwrap();
    // mpmath 100 digits: (1e16 + 1 − 1e16)/3 = 0.333333333333333333333333333333.
    assert_eq!(lr.grad, DVector::from_vec(vec![0.3333333333333333, 0.0]));
}

/// The surrogate constraint's discount γ^(k−1) times a large KL (Eq. 12.19 as Algorithm 12.5
/// estimates it): linear Gaussian θ = [0, 1] → θ′ = [1, 1], so D_KL(s) = ½s²; twelve steps at
/// s = 0 (KL 0), then one at s = 1.4e150 (KL ≈ 1e300) weighted by γ¹² with γ = 1e-29.
/// γ¹² = 1e-348 is below the double range, so repeated multiplication gave weight 0 and
/// g = 0; the exact value of the exact inputs is ½·s²·γ¹²/13 =
/// 7.53846153846153381772693998914e-50 (exact rational arithmetic on the f64 inputs).
#[test]
fn surrogate_constraint_with_a_discount_below_the_double_range() {
    use pgoracle::{LinearGaussian, surrogate_constraint};
    let mut steps: Vec<Step<f64, f64, f64>> = (0..12)
        .map(|_| Step {
            s: 0.0,
            a: 0.0,
            r: 0.0,
        })
        .collect();
    steps.push(Step {
        s: 1.4e150,
        a: 0.0,
        r: 0.0,
    });
    let g = surrogate_constraint(
        &LinearGaussian,
        &dvector![0.0, 1.0],
        &dvector![1.0, 1.0],
        &[steps],
        1e-29,
    )
    .unwrap();
    assert_close(g, 7.538461538461534e-50, 16.0, "g");
}

// ---- Found by the adversarial sample (tools/accuracy/adversarial_report.py) ----------------

/// Linear-Gaussian scores ~1e-61 times rewards ~1e-290: the gradient (~1e-350) underflows to 0,
/// which gave `ZeroGradient`, although F⁻¹g (~1e-230) and θ′ are representable and θ′ does not
/// depend on g's scale. Sample case advs-natural_policy_update-147; expected values from
/// mp_reference.py at 50 digits (exact inputs): θ′ = [5.547918719435881722…e60,
/// 8.882683615619147314…e60], u = [4.842212125181473750…e-230, −3.469384787874789886…e-230], and
/// g = [5.9e-350, −1.2e-350], which rounds to 0.
#[test]
fn natural_policy_update_whose_gradient_underflows() {
    use pgoracle::{LinearGaussian, natural_policy_update};
    let step = |s: f64, a: f64, r: f64| Step { s, a, r };
    let trajectories = vec![
        vec![
            step(
                -2.4278313572228285,
                -1.6654914431892234e61,
                -2.0086550380533013e-290,
            ),
            step(
                -4.098793304331863,
                -2.232125157723034e61,
                -3.6820440931585405e-290,
            ),
            step(
                1.3465581780481595,
                1.4045362989550425e61,
                1.2664814660651399e-290,
            ),
            step(
                1.058094102163417,
                2.139407626082673e60,
                6.441361656030099e-290,
            ),
        ],
        vec![
            step(
                -2.65526049240788,
                -1.3958265031284717e61,
                -1.5328903419216467e-290,
            ),
            step(
                5.201163106596656,
                3.0555529998262385e61,
                -6.388731127650905e-291,
            ),
            step(
                6.372197058237575,
                1.4812608741818174e61,
                -5.701765203948948e-290,
            ),
        ],
    ];
    let theta = dvector![5.455412004216409e60, 8.948963527002971e60];
    let out = natural_policy_update(
        &LinearGaussian,
        &theta,
        &trajectories,
        1.0,
        0.00602762432406459,
        &Solver::Exact,
    )
    .unwrap();
    assert_eq!(out.grad, dvector![0.0, 0.0]);
    // Within the golden tolerance's 16κε with the solve's κ₂(F) ≈ 10² (a few hundred ulps).
    for (x, exact) in out
        .direction
        .iter()
        .zip([4.8422121251814735e-230, -3.46938478787479e-230])
    {
        assert_close(*x, exact, 1e3, "direction");
    }
    for (x, exact) in out
        .theta
        .iter()
        .zip([5.547918719435882e60, 8.882683615619147e60])
    {
        assert_close(*x, exact, 1e3, "theta");
    }
}

/// Linear-Gaussian, rewards ~1e230: the clamped gradient overflows (~1e329), which gave
/// `NonFiniteResult`, but α = 5.08e-263 makes every step representable. Sample case
/// advs-clamped_update-32; the 50-digit result is θ = [1.351787987911157171…e80,
/// 4.708262075809014029…e62].
#[test]
fn clamped_update_whose_gradient_overflows() {
    use pgoracle::{ClampedUpdateParams, LinearGaussian, clamped_update};
    let trajectories = vec![vec![
        Step {
            s: -1.0330300123735086e57,
            a: -1.0194310404247303e42,
            r: 9.049589852928676e230,
        },
        Step {
            s: 3.065266893051079e54,
            a: 3.0249152304712615e39,
            r: 8.36429664002291e230,
        },
    ]];
    let params = ClampedUpdateParams {
        gamma: 1.0,
        epsilon: 0.015899982057056717,
        alpha: 5.082073593830432e-263,
        k_max: 2,
    };
    let theta = dvector![9.868358404055144e-16, 1.2145814324003352e-15];
    let out = clamped_update(&LinearGaussian, &theta, &trajectories, &params).unwrap();
    assert_close(out[0], 1.351787987911157e80, 64.0, "theta[0]");
    assert_close(out[1], 4.708262075809014e62, 64.0, "theta[1]");
}

/// f32, Gaussian, one 18-step trajectory whose only reward, 5.5e18, comes last with
/// γ = 2.2e-5: R(τ) = r·γ¹⁷ ≈ 1e-60 is below f32's range, so the gradient was 0 and the update
/// `ZeroGradient`, although θ′ = θ + √(2ε)·g/‖g‖ is an ordinary vector. The returns are now
/// kept as m·2^e where they underflow (sample case advs32-restricted_update-19; 50-digit θ′ =
/// [−1022372937728.046138…, 632783044607.956271…], g ≈ [−7.7e-72, −7.3e-72], 0 in f32).
#[test]
fn restricted_update_whose_returns_are_below_f32s_range() {
    let a = -1_422_748_811_264.0f32;
    let mut tau = vec![
        Step {
            s: 0.0f32,
            a,
            r: 0.0
        };
        17
    ];
    tau.push(Step {
        s: 0.0,
        a,
        r: 5.506_853e18,
    });
    let params = RestrictedUpdateParams {
        gamma: 2.221_394_8e-5f32,
        epsilon: 0.002_020_460_8,
    };
    let theta = DVector::from_vec(vec![-1_022_372_937_728.0f32, 632_783_044_608.0]);
    let update = restricted_update(&Gaussian, &theta, &[tau], &params).unwrap();
    assert_eq!(update.grad, DVector::from_vec(vec![0.0f32, 0.0]));
    // The exact θ′ rounded to f32 (the step, 0.046, is below half an ulp of θ, 2^16 there).
    let exact = [-1_022_372_937_728.046_1_f64, 632_783_044_607.956_3];
    for (x, e) in update.theta.iter().zip(exact) {
        assert_eq!(*x, e as f32, "{x} vs {e}");
    }
}

/// f32 linear-Gaussian clamped gradient with σ′ = 5e-15: at the far-tail actions the ratio is
/// below the smallest subnormal (w = 0) while the score ∂log π/∂σ′ ~ 1e42 overflows f32; the
/// contribution is 0, not `NonFiniteResult`. The exact gradient is ~1e-2835985179283063027
/// (sample case advs32-clamped_gradient-168): 0 in f32.
#[test]
fn clamped_gradient_whose_score_overflows_under_a_zero_ratio() {
    use pgoracle::{LinearGaussian, clamped_gradient};
    let step = |s: f32, a: f32, r: f32| Step { s, a, r };
    let mut first = vec![step(131_034.36, -0.852_936_7, 0.0); 19];
    first.push(step(131_034.36, -0.852_936_7, 1.627_603_5e19));
    let trajectories = vec![
        first,
        vec![
            step(-0.002_344_112_6, -1.815_554e-5, -1.505_564_9),
            step(-0.471_547_04, -2.777_655e-5, -0.377_898_78),
        ],
        vec![
            step(9.290_395, -6.557_542e-5, 1.616_920_4),
            step(6_758_510.0, -43.992_447, -0.425_038_28),
        ],
    ];
    let theta = DVector::from_vec(vec![-6.509_199_5e-6f32, 2.828_697_8e-5]);
    let theta_prime = DVector::from_vec(vec![1.497_927_2e-5f32, 5.014_107e-15]);
    let grad = clamped_gradient(
        &LinearGaussian,
        &theta,
        &theta_prime,
        &trajectories,
        6.794_245e-5,
        340.199_13,
    )
    .unwrap();
    assert_eq!(grad, DVector::from_vec(vec![0.0f32, 0.0]));
}
