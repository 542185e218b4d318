//! Problems and seeded simulation (issue #4): the simple regulator's sampling against its
//! definition (Appendix F.5), the policies' sampling against their densities, determinism
//! under a seed, and the regulator's closed-form moments against Monte Carlo.
//!
//! Statistical tests use a fixed seed and bounds of 5 standard errors derived from the sample
//! size n: for a mean, 5σ/√n; for a variance of normal data, 5σ²√(2/(n − 1)); otherwise the
//! standard error is estimated from the sample itself (noted at each test). A correct sampler
//! fails such a bound with probability below 10⁻⁶ per check, and the seed makes every run
//! give the same verdict.

use nalgebra::{DVector, dvector};
use pgoracle::problem::{Mdp, SimpleRegulator, SingleState, regulator_moments};
use pgoracle::simulate::{SamplePolicy, rollouts, simulate};
use pgoracle::{
    Gaussian, LinearGaussian, PgError, Policy, Softmax, fisher, likelihood_ratio_gradient,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

const N: usize = 100_000;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Sample mean and (n − 1)-normalised variance.
fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Asserts that the sample mean and variance of normal draws agree with N(mean, sd²) within
/// 5 standard errors: 5 sd/√n for the mean, 5 sd²√(2/(n − 1)) for the variance.
fn assert_normal_moments(xs: &[f64], mean: f64, sd: f64, what: &str) {
    let n = xs.len() as f64;
    let (m, v) = mean_var(xs);
    let se_mean = sd / n.sqrt();
    let se_var = sd * sd * (2.0 / (n - 1.0)).sqrt();
    assert!(
        (m - mean).abs() <= 5.0 * se_mean,
        "{what}: mean {m} vs {mean} (5 s.e. = {})",
        5.0 * se_mean
    );
    assert!(
        (v - sd * sd).abs() <= 5.0 * se_var,
        "{what}: variance {v} vs {} (5 s.e. = {})",
        sd * sd,
        5.0 * se_var
    );
}

#[test]
fn regulator_successor_has_mean_s_plus_a_and_variance_0_01() {
    let problem = SimpleRegulator::default();
    let mut rng = rng(11);
    for (s, a) in [(0.7, -0.2), (-1.3, 0.4), (0.0, 0.0)] {
        let draws: Vec<f64> = (0..N)
            .map(|_| {
                let (next, r) = problem.step(&s, &a, &mut rng).unwrap();
                assert_eq!(r, -(s * s), "R(s, a) = −s²");
                next
            })
            .collect();
        assert_normal_moments(&draws, s + a, 0.1, &format!("s′ | s = {s}, a = {a}"));
    }
}

#[test]
fn regulator_initial_state_is_normal_0_3_0_1() {
    let problem = SimpleRegulator::default();
    let mut rng = rng(12);
    let draws: Vec<f64> = (0..N).map(|_| problem.initial_state(&mut rng)).collect();
    assert_normal_moments(&draws, 0.3, 0.1, "s₁");
}

#[test]
fn regulator_defaults_to_the_book_definition() {
    let problem = SimpleRegulator::default();
    assert_eq!(problem.discount(), 1.0);
    assert!(!problem.is_truncated());
    assert_eq!(SimpleRegulator::new(1.0).unwrap(), problem);
    assert!(
        SimpleRegulator::new(0.9)
            .unwrap()
            .truncated()
            .is_truncated()
    );
    assert_eq!(SimpleRegulator::new(0.9).unwrap().discount(), 0.9);
}

/// Near the bound, the package's truncated successor has the moments of the truncated
/// normal: with α = (−10 − μ)/σ, β = (10 − μ)/σ, Z = Φ(β) − Φ(α),
/// mean μ + σ(φ(α) − φ(β))/Z and variance σ²[1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²].
/// The data are not normal, so the standard errors are estimated from the sample:
/// √(v/n) for the mean and √((m₄ − v²)/n) for the variance (m₄ the fourth central moment).
#[test]
fn truncated_regulator_matches_the_truncated_normal_moments() {
    let problem = SimpleRegulator::default().truncated();
    let std_normal = Normal::standard();
    let mut rng = rng(13);
    for (s, a) in [(9.9, 0.05), (-9.9, -0.08), (9.0, 1.0)] {
        let (mu, sigma) = (s + a, 0.1);
        let (alpha, beta): (f64, f64) = ((-10.0 - mu) / sigma, (10.0 - mu) / sigma);
        let z = std_normal.cdf(beta) - std_normal.cdf(alpha);
        let (pa, pb) = (std_normal.pdf(alpha), std_normal.pdf(beta));
        let mean = mu + sigma * (pa - pb) / z;
        let var = sigma * sigma * (1.0 + (alpha * pa - beta * pb) / z - ((pa - pb) / z).powi(2));
        let draws: Vec<f64> = (0..N)
            .map(|_| problem.step(&s, &a, &mut rng).unwrap().0)
            .collect();
        assert!(draws.iter().all(|x| (-10.0..=10.0).contains(x)));
        let n = N as f64;
        let (m, v) = mean_var(&draws);
        let m4 = draws.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
        assert!(
            (m - mean).abs() <= 5.0 * (v / n).sqrt(),
            "μ = {mu}: mean {m} vs {mean}"
        );
        assert!(
            (v - var).abs() <= 5.0 * ((m4 - v * v) / n).sqrt(),
            "μ = {mu}: variance {v} vs {var}"
        );
    }
}

#[test]
fn truncated_regulator_far_beyond_the_bound_returns_the_bound() {
    // μ = 50: Φ(α) = Φ(β) = 0 in f64; the conditional law sits within 0.01/40 of 10.
    // μ = 13: 30σ beyond the bound, still sampled by inversion; below 10 the conditional law
    // is close to an exponential with mean σ/30 ≈ 0.0033, so every draw lies in [9.95, 10].
    let problem = SimpleRegulator::default().truncated();
    let mut rng = rng(14);
    assert_eq!(problem.step(&50.0, &0.0, &mut rng).unwrap().0, 10.0);
    assert_eq!(problem.step(&-50.0, &0.0, &mut rng).unwrap().0, -10.0);
    for _ in 0..1000 {
        let next = problem.step(&13.0, &0.0, &mut rng).unwrap().0;
        assert!((9.95..=10.0).contains(&next), "{next}");
    }
}

#[test]
fn regulator_rejects_bad_inputs_and_overflow() {
    let problem = SimpleRegulator::default();
    let mut rng = rng(15);
    let kind = |r: Result<(f64, f64), PgError>| r.unwrap_err().kind();
    assert_eq!(
        kind(problem.step(&f64::NAN, &0.0, &mut rng)),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(problem.step(&0.0, &f64::INFINITY, &mut rng)),
        "NonFiniteInput"
    );
    // r = −s² overflows.
    assert_eq!(
        kind(problem.step(&1e200, &0.0, &mut rng)),
        "NonFiniteResult"
    );
    assert_eq!(
        kind(problem.step(&1.7e308, &1.7e308, &mut rng)),
        "NonFiniteResult"
    );
    assert_eq!(
        SimpleRegulator::new(1.5).unwrap_err().kind(),
        "InvalidParameter"
    );
    assert_eq!(
        SingleState::new(f64::NAN).unwrap_err().kind(),
        "NonFiniteInput"
    );
}

#[test]
fn single_state_reward_is_the_action() {
    // Example 11.1: one state, r = a (Example 12.1's trajectories have a = r).
    let problem = SingleState::default();
    assert_eq!(problem.discount(), 1.0);
    let mut rng = rng(16);
    let taus = rollouts(&problem, &Gaussian, &dvector![0.0, 1.0], 3, 50, &mut rng).unwrap();
    assert_eq!(taus.len(), 50);
    for step in taus.iter().flatten() {
        assert_eq!(step.s, 0.0);
        assert_eq!(step.r, step.a);
    }
}

#[test]
fn simulate_returns_d_steps_without_the_final_state() {
    let problem = SimpleRegulator::default();
    let theta = dvector![-0.5, 0.3];
    let mut rng = rng(17);
    let tau = simulate(&problem, 0.42, &LinearGaussian, &theta, 7, &mut rng).unwrap();
    assert_eq!(tau.len(), 7);
    assert_eq!(tau[0].s, 0.42);
    for step in &tau {
        assert_eq!(step.r, -(step.s * step.s));
    }
    assert!(
        simulate(&problem, 0.42, &LinearGaussian, &theta, 0, &mut rng)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn same_seed_gives_bit_identical_trajectories() {
    let problem = SimpleRegulator::default();
    let theta = dvector![-0.7, 0.4];
    let run = |seed| {
        let taus = rollouts(&problem, &LinearGaussian, &theta, 10, 20, &mut rng(seed)).unwrap();
        taus.iter()
            .flatten()
            .flat_map(|s| [s.s.to_bits(), s.a.to_bits(), s.r.to_bits()])
            .collect::<Vec<u64>>()
    };
    assert_eq!(run(99), run(99));
    assert_ne!(run(99), run(100));
}

#[test]
fn simulate_rejects_a_theta_outside_the_domain() {
    let problem = SimpleRegulator::default();
    let mut rng = rng(18);
    let err = simulate(
        &problem,
        0.3,
        &LinearGaussian,
        &dvector![-1.0, 0.0],
        3,
        &mut rng,
    )
    .unwrap_err();
    assert_eq!(err.kind(), "InvalidParameter");
    let err = LinearGaussian
        .sample_action(&dvector![1e300, 1.0], &1e300, &mut rng)
        .unwrap_err();
    assert_eq!(err.kind(), "NonFiniteResult");
}

#[test]
fn gaussian_actions_have_the_policy_moments() {
    let mut rng = rng(19);
    let theta = dvector![-0.8, 0.25];
    let s = 1.5;
    let draws: Vec<f64> = (0..N)
        .map(|_| LinearGaussian.sample_action(&theta, &s, &mut rng).unwrap())
        .collect();
    assert_normal_moments(&draws, -0.8 * 1.5, 0.25, "a ~ N(θ₁ s, θ₂²)");
    let draws: Vec<f64> = (0..N)
        .map(|_| Gaussian.sample_action(&theta, &s, &mut rng).unwrap())
        .collect();
    assert_normal_moments(&draws, -0.8, 0.25, "a ~ N(θ₁, θ₂²)");
}

/// Frequencies of a softmax's actions against exp θ[s,b] / Σ_c exp θ[s,c], within
/// 5√(p(1 − p)/n).
#[test]
fn softmax_actions_have_the_softmax_probabilities() {
    let policy = Softmax::new(2, 3).unwrap();
    let theta = dvector![0.0, 0.0, 0.0, 1.0, -0.5, 0.25];
    let logits = [1.0f64, -0.5, 0.25];
    let total: f64 = logits.iter().map(|l| l.exp()).sum();
    let mut counts = [0usize; 3];
    let mut rng = rng(20);
    for _ in 0..N {
        counts[policy.sample_action(&theta, &1, &mut rng).unwrap()] += 1;
    }
    for (b, count) in counts.iter().enumerate() {
        let p = logits[b].exp() / total;
        let freq = *count as f64 / N as f64;
        let se = (p * (1.0 - p) / N as f64).sqrt();
        assert!((freq - p).abs() <= 5.0 * se, "action {b}: {freq} vs {p}");
    }
    let err = policy.sample_action(&theta, &2, &mut rng).unwrap_err();
    assert_eq!(err.kind(), "DimensionMismatch");
}

/// The closed form of `regulator_moments` against Monte Carlo with 20 000 rollouts of depth 10
/// at θ = [−0.5, 0.5]: the mean return, the likelihood-ratio gradient and the sample Fisher
/// matrix, each within 5 standard errors estimated from the per-trajectory values.
#[test]
fn regulator_moments_agree_with_monte_carlo() {
    let theta = dvector![-0.5, 0.5];
    let (d, m) = (10, 20_000);
    let exact = regulator_moments(&theta, d, 1.0).unwrap();
    let problem = SimpleRegulator::default();
    let taus = rollouts(&problem, &LinearGaussian, &theta, d, m, &mut rng(21)).unwrap();

    let returns: Vec<f64> = taus.iter().map(|t| t.iter().map(|s| s.r).sum()).collect();
    let within = |xs: &[f64], expected: f64, what: &str| {
        let (mean, var) = mean_var(xs);
        let se = (var / xs.len() as f64).sqrt();
        assert!(
            (mean - expected).abs() <= 5.0 * se,
            "{what}: {mean} vs {expected} (5 s.e. = {})",
            5.0 * se
        );
    };
    within(&returns, exact.utility, "U(θ)");

    let lr = likelihood_ratio_gradient(&LinearGaussian, &theta, &taus, 1.0).unwrap();
    for i in 0..2 {
        let per_tau: Vec<f64> = lr.grads.iter().map(|g| g[i]).collect();
        within(&per_tau, exact.gradient[i], &format!("∇U[{i}]"));
    }
    let f = fisher(&lr.scores).unwrap();
    for (i, j) in [(0, 0), (0, 1), (1, 1)] {
        let per_tau: Vec<f64> = lr.scores.iter().map(|g| g[i] * g[j]).collect();
        within(&per_tau, exact.fisher[(i, j)], &format!("F[{i},{j}]"));
        assert!((f[(i, j)] - mean_var(&per_tau).0).abs() <= 1e-9 * f[(i, j)].abs().max(1.0));
    }
}

/// The closed-form gradient against central differences of the closed-form utility
/// (step 10⁻⁵, truncation error O(h²) ≈ 10⁻¹⁰ relative), and F⁻¹∇U against a direct solve.
#[test]
fn regulator_moment_derivatives_agree_with_finite_differences() {
    for (theta, gamma) in [
        (dvector![-0.5, 0.5], 1.0),
        (dvector![-1.7, 0.2], 0.9),
        (dvector![0.3, 1.1], 1.0),
    ] {
        let exact = regulator_moments(&theta, 10, gamma).unwrap();
        let h = 1e-5;
        for i in 0..2 {
            let mut up = theta.clone();
            let mut down = theta.clone();
            up[i] += h;
            down[i] -= h;
            let fd = (regulator_moments(&up, 10, gamma).unwrap().utility
                - regulator_moments(&down, 10, gamma).unwrap().utility)
                / (2.0 * h);
            let g = exact.gradient[i];
            assert!(
                (fd - g).abs() <= 1e-6 * g.abs().max(1.0),
                "θ = {theta:?}, ∂U/∂θ{}: {g} vs {fd}",
                i + 1
            );
        }
        let u: DVector<f64> = exact.fisher.clone().lu().solve(&exact.gradient).unwrap();
        assert!((u - &exact.natural_direction).norm() <= 1e-12 * exact.natural_direction.norm());
    }
    // v₁ = 0.1 and, at θ = [−1, σ], v_k = σ² + 0.01 for k ≥ 2: U = −(0.1 + 9(σ² + 0.01)).
    let at_optimum_line = regulator_moments(&dvector![-1.0, 0.3], 10, 1.0).unwrap();
    assert!((at_optimum_line.utility + (0.1 + 9.0 * (0.09 + 0.01))).abs() <= 1e-14);
    assert!((at_optimum_line.gradient[1] + 18.0 * 0.3).abs() <= 1e-13);
    assert_eq!(at_optimum_line.gradient[0], 0.0);
    assert_eq!(
        regulator_moments(&dvector![-1.0, 0.3], 0, 1.0)
            .unwrap_err()
            .kind(),
        "InvalidParameter"
    );
    assert_eq!(
        regulator_moments(&dvector![-1.0, -0.3], 10, 1.0)
            .unwrap_err()
            .kind(),
        "InvalidParameter"
    );
}

#[test]
fn sampled_actions_have_the_mean_log_density_of_the_policy() {
    // The sampler and the density describe the same law: the sampled actions' mean
    // log-density under θ is −½ − log σ − ½ log 2π (the negative entropy of N(m, σ²)), within 5 s.e.
    let theta = dvector![0.4, 0.7];
    let mut rng = rng(22);
    let logs: Vec<f64> = (0..N)
        .map(|_| {
            let a = Gaussian.sample_action(&theta, &0.0, &mut rng).unwrap();
            Gaussian.log_density(&theta, &a, &0.0).unwrap()
        })
        .collect();
    let expected = -0.5 - 0.7f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    // Var[log π] = Var[z²/2] = ½ for z ~ N(0, 1).
    let se = (0.5 / N as f64).sqrt();
    let (mean, _) = mean_var(&logs);
    assert!((mean - expected).abs() <= 5.0 * se, "{mean} vs {expected}");
}

/// The discount multiplies each later step: at θ = [−0.5, 0.2], E[s₁²] = 0.3² + 0.1² = 0.1 and
/// E[s₂²] = (1 + λ)²·0.1 + σ² + 0.1² = 0.25·0.1 + 0.05 = 0.075, so with γ = 0.5 and depth 2,
/// U = −(0.1 + 0.5·0.075) = −0.1375 (by hand, from s′ = s + a + 0.1z, a ~ N(λs, σ²)).
#[test]
fn regulator_moments_discount_each_later_step_by_gamma() {
    let m = regulator_moments(&dvector![-0.5, 0.2], 2, 0.5).unwrap();
    assert!((m.utility - -0.1375).abs() < 1e-15, "{}", m.utility);
    let undiscounted = regulator_moments(&dvector![-0.5, 0.2], 2, 1.0).unwrap();
    assert!((undiscounted.utility - -0.175).abs() < 1e-15);
}

/// `SingleState::new(γ)` keeps its γ (Example 12.1 uses 1, the default).
#[test]
fn single_state_discount_is_the_one_given() {
    assert_eq!(SingleState::new(0.9).unwrap().discount(), 0.9);
    assert_eq!(SingleState::default().discount(), 1.0);
}
