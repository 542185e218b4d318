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

/// p₁ = e⁻⁸⁰⁰ underflows to 0 while q = [½, ½]: the term p₁·φ(e₁), e₁ ≈ 800, is not negligible
/// (p₁e^(e₁) ≈ 1), so the KL takes its log-sum-exp form: ln 2 (+ e⁻⁸⁰⁰ terms). And logits
/// whose difference θ′ − θ overflows fall back to the two log-softmax rows: the KL ≈ 2e308
/// overflows, `NonFiniteResult`.
#[test]
fn item1_softmax_kl_fallbacks_for_underflowing_probabilities_and_overflowing_differences() {
    let got = softmax_kl(&[0.0, -800.0], &[0.0, 0.0]);
    assert_ulps("softmax KL", got, std::f64::consts::LN_2, ULPS);
    let table = Softmax::new(1, 2).unwrap();
    let kind = table
        .kl(&dvector![1e308, -1e308], &dvector![-1e308, 1e308], &0)
        .unwrap_err()
        .kind();
    assert_eq!(kind, "NonFiniteResult");
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

/// Old: 9.998333558297731e-9 (2434 ulps).
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

// ---- Seeded random f32 inputs against f64 evaluations ------------------------------------------
//
// No higher precision than f64 is available to the Rust tests, so the randomized check runs the
// f32 path against an f64 evaluation of the same quantity by other formulas (plain softmax,
// expm1(e) − e or its Taylor polynomial, the closed forms with ln and squares). On the
// generated domains (|z| ≤ 1e3, relative gaps ≥ 1e-4) the f64 value's own error is below
// 1e-9 relative, ≤ 0.01 f32 ulp, so it stands in for the exact value. Each operation gets 300
// cases; the f32 result must be within 16 f32 ulps (the acceptance bound), or the
// documented (2K + 1) ulps of the ratio's condition K for the Gaussian likelihood ratio.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CASES: usize = 300;
const F32_ULPS: f64 = 16.0;

fn f32_ulps(got: f32, exact: f64) -> f64 {
    (f64::from(got) - exact).abs() / exact.abs() / f64::from(f32::EPSILON)
}

/// φ(e) = eᵉ − 1 − e in f64: a 6-term Taylor polynomial below 1e-3 (truncation < 1e-21
/// relative), expm1(e) − e above (cancellation < 1e3·u).
fn phi64(e: f64) -> f64 {
    if e.abs() < 1e-3 {
        e * e * (0.5 + e * (1.0 / 6.0 + e * (1.0 / 24.0 + e * (1.0 / 120.0 + e / 720.0))))
    } else {
        e.exp_m1() - e
    }
}

/// (KL, log w per action) of two softmax rows in f64 from d = θ′ − θ (exact for f32 inputs).
fn softmax_kl64(theta: &[f32], theta_prime: &[f32]) -> (f64, Vec<f64>) {
    let th: Vec<f64> = theta.iter().map(|x| f64::from(*x)).collect();
    let m = th.iter().copied().fold(f64::MIN, f64::max);
    let t: Vec<f64> = th.iter().map(|x| (x - m).exp()).collect();
    let z: f64 = t.iter().sum();
    let d: Vec<f64> = theta_prime
        .iter()
        .zip(&th)
        .map(|(y, x)| f64::from(*y) - x)
        .collect();
    let c: f64 = t.iter().zip(&d).map(|(t, d)| t / z * d).sum();
    let kl = t
        .iter()
        .zip(&d)
        .map(|(t, d)| t / z * phi64(d - c))
        .sum::<f64>()
        .ln_1p();
    (kl, d.iter().map(|d| (d - c) - kl).collect())
}

fn logits<R: RngExt>(rng: &mut R, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-3.0f32..3.0)).collect()
}

/// A perturbation of relative size 10^U(−4, 0).
fn gap<R: RngExt>(rng: &mut R) -> f64 {
    let sign = if rng.random_range(0..2) == 0 {
        -1.0
    } else {
        1.0
    };
    sign * 10f64.powf(rng.random_range(-4.0..0.0))
}

#[test]
fn random_f32_softmax_kl_score_and_ratio_match_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(16_001);
    let mut worst = [0.0f64; 3];
    for case in 0..CASES {
        let n = [2, 3, 5, 8][case % 4];
        let mut theta = logits(&mut rng, n);
        if case % 3 == 0 {
            theta[0] += rng.random_range(5.0f32..25.0); // a near-certain action
        }
        let theta_prime: Vec<f32> = theta.iter().map(|x| x + gap(&mut rng) as f32).collect();
        let table = Softmax::new(1, n).unwrap();
        let (t32, tp32) = (
            nalgebra::DVector::from_vec(theta.clone()),
            nalgebra::DVector::from_vec(theta_prime.clone()),
        );
        let (kl, log_w) = softmax_kl64(&theta, &theta_prime);
        let got = table.kl(&t32, &tp32, &0).unwrap();
        worst[0] = worst[0].max(f32_ulps(got, kl));
        let a = case % n;
        let w = likelihood_ratio(&table, &t32, &tp32, &a, &0).unwrap();
        // exp adds |log w|·u, the ratio's own condition.
        worst[1] = worst[1].max(f32_ulps(w, log_w[a].exp()) / (1.0 + log_w[a].abs()));
        let th: Vec<f64> = theta.iter().map(|x| f64::from(*x)).collect();
        let m = th.iter().copied().fold(f64::MIN, f64::max);
        let z: f64 = th.iter().map(|x| (x - m).exp()).sum();
        let g = table.grad_log_density(&t32, &a, &0).unwrap();
        for (b, x) in th.iter().enumerate() {
            let exact = if b == a {
                th.iter()
                    .enumerate()
                    .filter(|(c, _)| *c != a)
                    .map(|(_, y)| (y - m).exp())
                    .sum::<f64>()
                    / z
            } else {
                -(x - m).exp() / z
            };
            if exact.abs() > f64::from(f32::MIN_POSITIVE) {
                worst[2] = worst[2].max(f32_ulps(g[b], exact));
            }
        }
    }
    eprintln!("f32 softmax KL, w/(1 + |log w|), score: {worst:.3?} f32 ulps");
    assert!(worst[0] <= F32_ULPS, "softmax KL: {:.3} f32 ulps", worst[0]);
    assert!(worst[1] <= F32_ULPS, "softmax w: {:.3} f32 ulps", worst[1]);
    assert!(
        worst[2] <= F32_ULPS,
        "softmax score: {:.3} f32 ulps",
        worst[2]
    );
}

#[test]
fn random_f32_gaussian_kl_and_ratio_match_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(16_003);
    let (mut worst_kl, mut worst_w, mut ratios) = (0.0f64, 0.0f64, 0);
    for case in 0..CASES {
        let linear = case % 2 == 1;
        let x: f32 = if linear {
            rng.random_range(-30.0f32..30.0)
        } else {
            1.0
        };
        let sigma = 10f32.powf(rng.random_range(-3.0f32..3.0));
        let mu = rng.random_range(-3.0f32..3.0);
        let z_target = rng.random_range(-1e3f32..1e3) * [1e-3f32, 1.0][(case / 2) % 2];
        // Far-tail actions get parameter moves of ~1/|z|, so that log w stays in range.
        let reach = 1.0 + f64::from(z_target.abs());
        let sigma_prime = (f64::from(sigma) * (1.0 + 0.5 * gap(&mut rng) / reach)) as f32;
        let mu_prime = (f64::from(mu) + gap(&mut rng) * f64::from(sigma) / reach) as f32;
        let a = mu * x + z_target * sigma;
        let (theta, theta_prime) = (dvector![mu, sigma], dvector![mu_prime, sigma_prime]);
        let [m, s, mp, sp, x64, a64] = [mu, sigma, mu_prime, sigma_prime, x, a].map(f64::from);
        // KL = ½ψ + ½z², ψ = φ(2 ln ρ), in f64 (ln ρ relative-accurate by ln_1p near 1).
        let l = ((s - sp) / sp).ln_1p();
        let zk = (m - mp) * x64 / sp;
        let kl = 0.5 * phi64(2.0 * l) + 0.5 * zk * zk;
        let got = if linear {
            LinearGaussian.kl(&theta, &theta_prime, &x).unwrap()
        } else {
            Gaussian.kl(&theta, &theta_prime, &x).unwrap()
        };
        worst_kl = worst_kl.max(f32_ulps(got, kl));
        // log w = ln(σ/σ′) − ½(z′² − z²): f64 loses z²·u ≤ 1e-10 here.
        let (z, zp) = ((a64 - m * x64) / s, (a64 - mp * x64) / sp);
        let log_w = l - 0.5 * (zp * zp - z * z);
        if log_w.abs() > 80.0 {
            continue; // w over- or underflows f32
        }
        let w = if linear {
            likelihood_ratio(&LinearGaussian, &theta, &theta_prime, &a, &x).unwrap()
        } else {
            likelihood_ratio(&Gaussian, &theta, &theta_prime, &a, &x).unwrap()
        };
        ratios += 1;
        let k = 1.0 + log_w.abs() + (zp - z).abs() * (z.abs() + zp.abs());
        worst_w = worst_w.max(f32_ulps(w, log_w.exp()) / (2.0 * k + 1.0));
    }
    eprintln!(
        "f32 Gaussian KL {worst_kl:.3} f32 ulps; w {worst_w:.3} of the (2K + 1)-ulp bound over {ratios} ratios"
    );
    assert!(ratios >= 200, "only {ratios} ratios in range");
    assert!(worst_kl <= F32_ULPS, "Gaussian KL: {worst_kl:.3} f32 ulps");
    assert!(
        worst_w <= 1.0,
        "Gaussian w: {worst_w:.3} of the (2K + 1)-ulp bound"
    );
}

#[test]
fn random_f32_categorical_kl_matches_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(16_007);
    let mut worst = 0.0f64;
    for case in 0..CASES {
        let n = [2, 3, 4, 10][case % 4];
        let raw: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..1.0)).collect();
        let total: f64 = raw.iter().sum();
        let p: Vec<f32> = raw.iter().map(|x| (x / total) as f32).collect();
        let q: Vec<f32> = if case % 5 == 4 {
            let other: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..1.0)).collect();
            let t: f64 = other.iter().sum();
            other.iter().map(|x| (x / t) as f32).collect()
        } else {
            let qq: Vec<f64> = raw
                .iter()
                .map(|x| x * (1.0 + 0.5 * gap(&mut rng)))
                .collect();
            let t: f64 = qq.iter().sum();
            qq.iter().map(|x| (x / t) as f32).collect()
        };
        // Σ p ln(p/q) in f64: its rounding, u·Σ|p ln(p/q)|, is ≤ 1e-12 of the KL here.
        let kl: f64 = p
            .iter()
            .zip(&q)
            .map(|(p, q)| f64::from(*p) * (f64::from(*p) / f64::from(*q)).ln())
            .sum();
        let got = kl_categorical(
            &nalgebra::DVector::from_vec(p),
            &nalgebra::DVector::from_vec(q),
        )
        .unwrap();
        worst = worst.max(f32_ulps(got, kl));
    }
    eprintln!("f32 categorical KL: {worst:.3} f32 ulps");
    assert!(worst <= F32_ULPS, "categorical KL: {worst:.3} f32 ulps");
}
