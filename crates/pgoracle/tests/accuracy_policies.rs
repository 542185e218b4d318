//! Issue #16, items 1–4 and 7 (and the Gaussian score of item 5): forward accuracy of the
//! policies' scores, likelihood ratios and KL divergences at near-equal distributions,
//! near-certain actions and far tails.
//!
//! Every expected value is an mpmath evaluation at 100 significant digits of the exact inputs
//! (the binary values of the literals), by `tools/reference/accuracy_refs.py`; each test quotes
//! the f64 literal (the correctly rounded reference) and 30 digits. Each is asserted within
//! 4 ulps, |got − exact| ≤ 4·ε·|exact| with ε = 2⁻⁵² (2⁻²³ in f32), far inside the documented
//! bounds' reach and far outside the old formulas' errors (quoted per test).

use nalgebra::dvector;
use pgoracle::{
    Gaussian, LinearGaussian, LinesearchOutcome, LinesearchParams, Normal, Policy, Softmax, Solver,
    Step, clamped_gradient, kl_categorical, kl_gaussian, likelihood_ratio, trust_region_update,
};

/// |got − exact| ≤ ulps·ε·|exact| in f64.
fn assert_ulps(what: &str, got: f64, exact: f64, ulps: f64) {
    let err = (got - exact).abs() / exact.abs() / f64::EPSILON;
    assert!(
        err <= ulps,
        "{what}: got {got:e}, exact {exact:e}, error {err:.3} ulps > {ulps}"
    );
}

const ULPS: f64 = 4.0;

fn softmax_kl(theta: &[f64], theta_prime: &[f64]) -> f64 {
    let table = Softmax::new(1, theta.len()).unwrap();
    let theta = nalgebra::DVector::from_column_slice(theta);
    let theta_prime = nalgebra::DVector::from_column_slice(theta_prime);
    table.kl(&theta, &theta_prime, &0).unwrap()
}

// ---- Item 1: softmax KL from d = θ′ − θ -------------------------------------------------

/// Old: 1.0888515174185343e-7 (1.8e-9 relative).
#[test]
fn item1_softmax_kl_of_near_equal_logits() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.08885151940293799646226258471e-7
    let exact = 1.0888515194029379e-07;
    let got = softmax_kl(&[0.5, -0.25, 1.0], &[0.501, -0.25, 1.0]);
    assert_ulps("softmax KL", got, exact, ULPS);
}

/// Old: −3.0e-18, a negative divergence.
#[test]
fn item1_softmax_kl_of_logits_a_few_ulps_apart_is_positive() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.25665906289844503100207300894e-30
    let exact = 1.2566590628984451e-30;
    let got = softmax_kl(
        &[0.027686821201239973, -0.18373348192489972],
        &[0.027686821201241302, -0.18373348192490158],
    );
    assert_ulps("softmax KL", got, exact, ULPS);
}

/// Old: 0 (both log-softmax vectors round the e⁻⁴⁰ tail away).
#[test]
fn item1_softmax_kl_of_a_near_certain_row() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 4.61439785176759671384132822718e-18
    let exact = 4.6143978517675964e-18;
    let got = softmax_kl(&[40.0, 0.0, 0.0], &[40.0, 1.0, -1.0]);
    assert_ulps("softmax KL", got, exact, ULPS);
}

/// The trust region's g at the three candidates of the search below: the exact natural step
/// θ + u·√(2ε/gᵀu) halved k = 0, 1, 2 times, rounded to f64. Old: −7.81e-17, −4.83e-16,
/// −2.42e-16 (negative).
#[test]
fn item1_softmax_kl_at_the_trust_region_candidates() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py:
    //   7.38879611389716820304857432849e-18, 1.84719903125596777822985904916e-18,
    //   4.61799758161701410866733317276e-19
    for (candidate, exact) in [
        (
            [2.000000005931854, -5.931854090796565e-09],
            7.388796113897168e-18,
        ),
        (
            [2.000000002965927, -2.9659270453982824e-09],
            1.8471990312559677e-18,
        ),
        (
            [2.0000000014829635, -1.4829635226991412e-09],
            4.617997581617014e-19,
        ),
    ] {
        let got = softmax_kl(&[2.0, 0.0], &candidate);
        assert_ulps("trust region g", got, exact, ULPS);
    }
}

/// Issue #16's consequence of item 1: softmax θ = [2, 0], one step (s 0, a 0, r 1), γ = 1,
/// ε = 1e-18, α = ½, damped λ = 1e-6. In exact arithmetic g = 7.39e-18, 1.85e-18 and
/// 4.62e-19 at the first three candidates, so the search accepts after 2 shrinks; the old KL
/// gave g < 0 and accepted the full step (0 shrinks).
#[test]
fn item1_trust_region_accepts_after_two_shrinks_as_exact_arithmetic_does() {
    let table = Softmax::new(1, 2).unwrap();
    let trajectories = vec![vec![Step {
        s: 0,
        a: 0,
        r: 1.0f64,
    }]];
    let params = LinesearchParams::new(1e-18)
        .with_alpha(0.5)
        .with_max_steps(10);
    let step = trust_region_update(
        &table,
        &dvector![2.0, 0.0],
        &trajectories,
        1.0,
        &params,
        &Solver::Damped { damping: 1e-6 },
    )
    .unwrap();
    let LinesearchOutcome::Accepted { steps, values, .. } = step.outcome else {
        panic!("exhausted: {:?}", step.outcome)
    };
    assert_eq!(steps, 2);
    // Exact arithmetic: 4.6179975596508197e-19 (mpmath). The candidate is rounded to f64, and
    // θ′ − θ ≈ 1.5e-9 with |θ′| ≈ 2 moves g by up to 2·ulp(2)/1.5e-9 ≈ 6e-7 relative.
    let exact: f64 = 4.617997559650819e-19;
    assert!(
        ((values.g - exact) / exact).abs() < 2e-6,
        "g = {:e}",
        values.g
    );
}

// ---- Item 2: softmax score and likelihood ratio for near-certain actions -------------------

/// Old: 9.2370555648813e-14 (1.3% off).
#[test]
fn item2_softmax_score_of_a_near_certain_action() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 9.35762296883929895383956265328e-14
    let exact = 9.357622968839299e-14;
    let table = Softmax::new(1, 2).unwrap();
    let g = table
        .grad_log_density(&dvector![30.0, 0.0], &0, &0)
        .unwrap();
    assert_ulps("1 − p₀", g[0], exact, ULPS);
    assert_ulps("−p₁", -g[1], exact, ULPS);
}

/// Old: 0 for both entries.
#[test]
fn item2_softmax_score_when_one_minus_p_rounds_to_zero() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 4.2483542552915889772807209044e-18
    let exact = 4.248354255291589e-18;
    let table = Softmax::new(1, 2).unwrap();
    let g = table
        .grad_log_density(&dvector![40.0, 0.0], &0, &0)
        .unwrap();
    assert_ulps("1 − p₀", g[0], exact, ULPS);
    assert_ulps("−p₁", -g[1], exact, ULPS);
}

/// The ratio of a rare action's probabilities, log w = 1e-10 − 4.2e-28: two log-probabilities
/// near −40 each carry an absolute rounding of ~7e-15. Old: 1.0000000001000018 (8 ulps).
#[test]
fn item2_softmax_likelihood_ratio_of_a_rare_action() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.00000000010000000000500000322
    let exact = 1.0000000001;
    let table = Softmax::new(1, 2).unwrap();
    let w = likelihood_ratio(&table, &dvector![40.0, 0.0], &dvector![40.0, 1e-10], &1, &0).unwrap();
    assert_ulps("w", w, exact, ULPS);
}

// ---- Item 3: Gaussian likelihood ratio in the far tail ------------------------------------

/// Old: 1.1312135738760538 (1.7e-4 relative).
#[test]
fn item3_gaussian_likelihood_ratio_in_the_far_tail() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.13140111462536805888596515194
    let exact = 1.131401114625368;
    let w = likelihood_ratio(
        &Gaussian,
        &dvector![0.0, 1.0],
        &dvector![1e-7, 1.0],
        &1234567.891,
        &0.0,
    )
    .unwrap();
    assert_ulps("w", w, exact, ULPS);
}

/// The clamp decision of the same step: with ε = 0.13135 the exact w = 1.1314011 exceeds
/// 1 + ε, so a positive reward-to-go clamps it away and the gradient is exactly [0, 0]. Old:
/// w = 1.1312136 < 1 + ε, and the gradient [1.4e6, 1.7e12].
#[test]
fn item3_far_tail_clamp_decision_follows_the_exact_ratio() {
    let trajectories = vec![vec![Step {
        s: 0.0,
        a: 1234567.891,
        r: 1.0,
    }]];
    let g = clamped_gradient(
        &Gaussian,
        &dvector![0.0, 1.0],
        &dvector![1e-7, 1.0],
        &trajectories,
        1.0,
        0.13135,
    )
    .unwrap();
    assert_eq!(g, dvector![0.0, 0.0]);
}

// ---- Item 4: Gaussian KL ------------------------------------------------------------------

fn gaussian_kl(mean_p: f64, std_p: f64, mean_q: f64, std_q: f64) -> f64 {
    let p = Normal {
        mean: mean_p,
        std: std_p,
    };
    let q = Normal {
        mean: mean_q,
        std: std_q,
    };
    kl_gaussian(&p, &q).unwrap()
}

/// Old: 1.5e-8 relative error.
#[test]
fn item4_gaussian_kl_of_nearly_equal_deviations() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.00000016381408176603118494918e-18
    let exact = 1.0000001638140818e-18;
    assert_ulps("KL", gaussian_kl(0.0, 1.0, 0.0, 1.0 + 1e-9), exact, ULPS);
}

/// Old: 22.52585084720009 (3.7e-9 relative).
#[test]
fn item4_gaussian_kl_of_deviations_1e10_apart() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 22.5258509299404568401849145468
    let exact = 22.525850929940457;
    assert_ulps("KL", gaussian_kl(0.0, 1.0, 0.0, 1e10), exact, ULPS);
}

/// Old: NonFiniteResult (δ = (σ − σ′)/σ′ rounds to −1, and log1p(−1) = −∞).
#[test]
fn item4_gaussian_kl_of_deviations_1e17_apart_is_finite() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 38.6439465808987766283058547296
    let exact = 38.64394658089878;
    assert_ulps("KL", gaussian_kl(0.0, 1.0, 0.0, 1e17), exact, ULPS);
}

/// Old: NonFiniteResult.
#[test]
fn item4_gaussian_kl_of_deviations_1e300_apart_is_finite() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 690.275527898213705179937674346
    let exact = 690.2755278982137;
    assert_ulps("KL", gaussian_kl(0.0, 1e-150, 0.0, 1e150), exact, ULPS);
}

/// Old: NonFiniteResult (m − m′ = 2e308 overflows).
#[test]
fn item4_gaussian_kl_of_means_at_plus_and_minus_1e308() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 2.00000000000000016498376566772e216
    let exact = 2e216;
    assert_ulps("KL", gaussian_kl(1e308, 1e200, -1e308, 1e200), exact, ULPS);
    assert_ulps("KL", gaussian_kl(-1e308, 1e200, 1e308, 1e200), exact, ULPS);
}

#[test]
fn item4_gaussian_kl_at_sigma_prime_1_0001() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 9.99833355830313453437165485574e-9
    let exact = 9.998333558303134e-09;
    assert_ulps("KL", gaussian_kl(0.0, 1.0, 0.0, 1.0001), exact, ULPS);
}

/// Old: 0.05% off in f32.
#[test]
fn item4_gaussian_kl_in_f32_at_sigma_prime_1_0001() {
    // The f32 input 1.0001f32 = 1.00010001659393310546875.
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 1.00016517906000634677670479052e-8
    let exact = 1.0001651790600064e-08;
    let p = Normal {
        mean: 0.0f32,
        std: 1.0,
    };
    let q = Normal {
        mean: 0.0f32,
        std: 1.0001,
    };
    let got = f64::from(kl_gaussian(&p, &q).unwrap());
    let err = (got - exact).abs() / exact / f64::from(f32::EPSILON);
    assert!(err <= ULPS, "f32 KL {got:e}: {err:.3} f32 ulps");
}

/// Old: 6e-10 relative (2.7e6 ulps): the means θ₁s were rounded before subtracting.
#[test]
fn item4_linear_gaussian_kl_at_a_large_state() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 5.00000000583867176999239964823e-9
    let exact = 5.000000005838672e-09;
    let got = LinearGaussian
        .kl(&dvector![1.0, 1.0], &dvector![1.0000001, 1.0], &1000.0)
        .unwrap();
    assert_ulps("KL", got, exact, ULPS);
}

// ---- Item 5 (Gaussian score): no intermediate overflow --------------------------------------

/// Old: NonFiniteResult (z² = 4e308 overflows).
#[test]
fn item5_gaussian_score_far_out_without_overflow() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py:
    //   ∂/∂σ = 3.99999999999999986687344178553e306, ∂/∂μ = 1.99999999999999996671836044638e152
    let g = Gaussian
        .grad_log_density(&dvector![0.0, 100.0], &2e156, &0.0)
        .unwrap();
    assert_ulps("∂/∂μ", g[0], 1.9999999999999999e152, ULPS);
    assert_ulps("∂/∂σ", g[1], 4e306, ULPS);
}

// ---- Item 7: categorical KL -------------------------------------------------------------------

/// Old: 3.5000002120467557e-20 (1e-7 relative).
#[test]
fn item7_categorical_kl_of_nearly_equal_distributions() {
    // mpmath 100 digits, tools/reference/accuracy_refs.py: 3.50000057988262098983348279654e-20
    let exact = 3.500000579882621e-20;
    let got = kl_categorical(
        &dvector![0.5, 0.3, 0.2],
        &dvector![0.5000000001, 0.3, 0.1999999999],
    )
    .unwrap();
    assert_ulps("KL", got, exact, ULPS);
}
