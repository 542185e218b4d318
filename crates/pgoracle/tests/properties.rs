//! quickcheck properties of Chapter 12's operations, on domain newtypes (finite, bounded
//! values: quickcheck's raw f64 generator yields NaN and ±∞ about one time in ten, which would
//! make these properties vacuous). Every run uses a fixed seed.

use nalgebra::{DMatrix, DVector};
use pgoracle::{
    Gaussian, LinesearchOutcome, LinesearchParams, Policy, Solver, Step, Tolerance,
    clamped_objective, clip_gradient, kl_categorical, kl_gaussian, natural_update, restricted_step,
    scale_gradient, surrogate_constraint, surrogate_objective, trust_region_update,
};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult, Testable};

use crate::common::{fisher_by_hand, gaussian_surrogates};
use pgoracle::Normal;

const SEED: u64 = 0x005e_ed12;

fn check<A: Testable>(tests: u64, prop: A) {
    QuickCheck::new()
        .rng(Gen::from_size_and_seed(64, SEED))
        .tests(tests)
        .max_tests(tests * 20)
        .min_tests_passed(tests / 2)
        .quickcheck(prop);
}

/// A uniform number in [lo, hi] from the generator.
fn uniform(g: &mut Gen, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * (f64::from(u32::arbitrary(g)) / f64::from(u32::MAX))
}

fn length(g: &mut Gen, max: usize) -> usize {
    1 + usize::arbitrary(g) % max
}

/// A finite vector of 1–6 entries with magnitudes from 10⁻³ to 10³ (mixed scales).
#[derive(Clone, Debug)]
struct Vector(DVector<f64>);

impl Arbitrary for Vector {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = length(g, 6);
        let scale = 10f64.powi(i32::from(u8::arbitrary(g) % 7) - 3);
        Vector(DVector::from_fn(n, |_, _| uniform(g, -1.0, 1.0) * scale))
    }
}

/// A value in [0.01, 10].
#[derive(Clone, Copy, Debug)]
struct Positive(f64);

impl Arbitrary for Positive {
    fn arbitrary(g: &mut Gen) -> Self {
        Positive(uniform(g, 0.01, 10.0))
    }
}

/// A probability vector of 2–6 entries, all positive.
#[derive(Clone, Debug)]
struct Probabilities(DVector<f64>);

impl Arbitrary for Probabilities {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = 1 + length(g, 5);
        let w = DVector::from_fn(n, |_, _| uniform(g, 0.01, 1.0));
        let total = w.sum();
        Probabilities(w / total)
    }
}

/// A Gaussian-policy problem: θ = [μ, σ], a θ′ near θ, 1–4 trajectories of 1–4 steps with
/// actions within 2σ of the mean, rewards in [−2, 2], γ ∈ [0.5, 1].
#[derive(Clone, Debug)]
struct Rollouts {
    theta: DVector<f64>,
    theta_prime: DVector<f64>,
    trajectories: Vec<Vec<Step<f64, f64, f64>>>,
    gamma: f64,
}

impl Arbitrary for Rollouts {
    fn arbitrary(g: &mut Gen) -> Self {
        let mu = uniform(g, -1.5, 1.5);
        let sigma = uniform(g, 0.3, 2.0);
        let m = length(g, 4);
        let trajectories = (0..m)
            .map(|_| {
                (0..length(g, 4))
                    .map(|_| Step {
                        s: 0.0,
                        a: mu + sigma * uniform(g, -2.0, 2.0),
                        r: uniform(g, -2.0, 2.0),
                    })
                    .collect()
            })
            .collect();
        let theta_prime = DVector::from_vec(vec![
            mu + uniform(g, -0.3, 0.3),
            sigma * uniform(g, 0.8, 1.25),
        ]);
        Rollouts {
            theta: DVector::from_vec(vec![mu, sigma]),
            theta_prime,
            trajectories,
            gamma: uniform(g, 0.5, 1.0),
        }
    }
}

#[test]
fn scale_gradient_bounds_norm_keeps_direction_and_is_idempotent() {
    fn prop(g: Vector, l: Positive) -> bool {
        let out = scale_gradient(&g.0, l.0).unwrap();
        let n = g.0.norm();
        let bounded = out.norm() <= l.0 * (1.0 + 4.0 * f64::EPSILON);
        let identity = n > l.0 || out == g.0;
        // Same direction: out = c·g with c > 0 (|cos| = 1 up to rounding).
        let direction = n == 0.0 || (out.dot(&g.0) / (out.norm() * n) - 1.0).abs() < 1e-12;
        let twice = scale_gradient(&out, l.0).unwrap();
        let idempotent = (&twice - &out).amax() <= 4.0 * f64::EPSILON * out.amax();
        bounded && identity && direction && idempotent
    }
    check(500, prop as fn(Vector, Positive) -> bool);
}

#[test]
fn clip_gradient_is_bounded_idempotent_and_monotone() {
    fn prop(g: Vector, delta: Vector, a: Positive, b: Positive) -> TestResult {
        let (lo, hi) = (-a.0, b.0 - a.0 / 2.0);
        if lo > hi {
            // b > 0 makes hi − lo = b + a/2 > 0: the generator never gives reversed bounds.
            return TestResult::error(format!("reversed bounds lo = {lo} > hi = {hi}"));
        }
        let out = clip_gradient(&g.0, lo, hi).unwrap();
        let bounded = out.iter().all(|x| *x >= lo && *x <= hi);
        let idempotent = clip_gradient(&out, lo, hi).unwrap() == out;
        // g ≤ h elementwise ⇒ clip(g) ≤ clip(h).
        let h = DVector::from_fn(g.0.len(), |i, _| {
            g.0[i] + delta.0.get(i).map_or(0.0, |d| d.abs())
        });
        let clipped_h = clip_gradient(&h, lo, hi).unwrap();
        let monotone = out.iter().zip(clipped_h.iter()).all(|(x, y)| x <= y);
        TestResult::from_bool(bounded && idempotent && monotone)
    }
    check(
        500,
        prop as fn(Vector, Vector, Positive, Positive) -> TestResult,
    );
}

#[test]
fn restricted_step_has_length_sqrt_two_epsilon() {
    fn prop(theta: Vector, g: Vector, eps: Positive) -> TestResult {
        if theta.0.len() != g.0.len() || g.0.amax() == 0.0 {
            return TestResult::discard();
        }
        let delta = restricted_step(&theta.0, &g.0, eps.0).unwrap() - &theta.0;
        let expected = (2.0 * eps.0).sqrt();
        TestResult::from_bool(
            ((delta.norm() - expected) / expected).abs() < 1e-12 * (1.0 + theta.0.amax()),
        )
    }
    check(500, prop as fn(Vector, Vector, Positive) -> TestResult);
}

/// Scores and returns for a natural step: m ≥ n + 2 well-spread scores, so F is well conditioned.
#[derive(Clone, Debug)]
struct NaturalInputs {
    scores: Vec<DVector<f64>>,
    grads: Vec<DVector<f64>>,
}

impl Arbitrary for NaturalInputs {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = length(g, 4);
        let m = n + 2 + usize::arbitrary(g) % 4;
        let scores: Vec<_> = (0..m)
            .map(|_| DVector::from_fn(n, |_, _| uniform(g, -2.0, 2.0)))
            .collect();
        let grads = scores.iter().map(|s| s * uniform(g, -2.0, 2.0)).collect();
        NaturalInputs { scores, grads }
    }
}

fn condition(f: &DMatrix<f64>) -> f64 {
    let e = f.clone().symmetric_eigenvalues();
    e.amax() / e.iter().fold(f64::INFINITY, |m, x| m.min(x.abs()))
}

#[test]
fn natural_step_lies_on_the_kl_ellipsoid() {
    fn prop(x: NaturalInputs, eps: Positive) -> TestResult {
        let n = x.scores[0].len();
        let f = fisher_by_hand(&x.scores);
        let kappa = condition(&f);
        if !kappa.is_finite() || kappa >= 1e6 {
            return TestResult::discard();
        }
        // With F ≻ 0 (κ < 10⁶, far from the singularity threshold n·ε·λ_max) every error is
        // impossible: g = 0 has probability 0 and gᵀu = gᵀF⁻¹g > 0 for g ≠ 0. An error is a
        // failure, not a discarded case.
        let step = match natural_update(
            &DVector::zeros(n),
            &x.grads,
            &x.scores,
            eps.0,
            &Solver::Exact,
        ) {
            Ok(step) => step,
            Err(e) => return TestResult::error(format!("κ = {kappa:e}: {e}")),
        };
        let d = &step.theta;
        let half_quadratic = 0.5 * d.dot(&(&f * d));
        TestResult::from_bool(Tolerance::<f64>::golden(kappa).agrees(eps.0, half_quadratic))
    }
    check(300, prop as fn(NaturalInputs, Positive) -> TestResult);
}

#[test]
fn natural_step_is_invariant_to_diagonal_reparameterisation_and_the_plain_step_is_not() {
    // θ = Dφ with D positive diagonal: scores and gradients in φ are D·(those in θ), and the
    // natural step in φ maps back to the natural step in θ (Section 12.3). The restricted step
    // does not, unless D is a multiple of I.
    fn prop(x: NaturalInputs, d: Vector, eps: Positive) -> TestResult {
        let n = x.scores[0].len();
        if n < 2 || d.0.len() < n {
            return TestResult::discard();
        }
        let diag = DVector::from_fn(n, |i, _| 0.5 + 4.0 * d.0[i].abs() / d.0.amax().max(1e-300));
        // κ of F, and an upper bound on κ of F in φ (D ranges over [0.5, 4.5]).
        let kappa = condition(&fisher_by_hand(&x.scores)) * (diag.amax() / diag.min()).powi(2);
        if !kappa.is_finite() || kappa >= 1e9 {
            return TestResult::discard();
        }
        let to_phi = |v: &DVector<f64>| v.component_mul(&diag);
        let theta_step = natural_update(
            &DVector::zeros(n),
            &x.grads,
            &x.scores,
            eps.0,
            &Solver::Exact,
        );
        let phi_scores: Vec<_> = x.scores.iter().map(to_phi).collect();
        let phi_grads: Vec<_> = x.grads.iter().map(to_phi).collect();
        let phi_step = natural_update(
            &DVector::zeros(n),
            &phi_grads,
            &phi_scores,
            eps.0,
            &Solver::Exact,
        );
        // Both Fisher matrices are well conditioned: an error is impossible (see above).
        let (theta_step, phi_step) = match (theta_step, phi_step) {
            (Ok(t), Ok(p)) => (t, p),
            (Err(e), _) | (_, Err(e)) => return TestResult::error(format!("κ ≤ {kappa:e}: {e}")),
        };
        let mapped = phi_step.theta.component_mul(&diag);
        let natural_invariant = Tolerance::<f64>::golden(kappa)
            .agrees_normwise(theta_step.theta.as_slice(), mapped.as_slice());
        // Plain restricted step: Δθ ∝ g, Δφ ∝ Dg, so DΔφ ∝ D²g, parallel to g only when D ∝ I.
        let g = &theta_step.grad;
        let plain_theta = restricted_step(&DVector::zeros(n), g, eps.0).unwrap();
        let plain_phi = restricted_step(&DVector::zeros(n), &to_phi(g), eps.0)
            .unwrap()
            .component_mul(&diag);
        let cos = plain_theta.dot(&plain_phi) / (plain_theta.norm() * plain_phi.norm());
        let anisotropic = diag.amax() / diag.min() > 2.0 && (g.amax() / g.norm()) < 0.9;
        TestResult::from_bool(natural_invariant && (!anisotropic || cos < 1.0 - 1e-9))
    }
    check(
        300,
        prop as fn(NaturalInputs, Vector, Positive) -> TestResult,
    );
}

#[test]
fn kl_is_nonnegative_and_zero_only_on_identical_arguments() {
    fn categorical(p: Probabilities, q: Probabilities) -> TestResult {
        if p.0.len() != q.0.len() {
            return TestResult::discard();
        }
        let pq = kl_categorical(&p.0, &q.0).unwrap();
        let pp = kl_categorical(&p.0, &p.0).unwrap();
        TestResult::from_bool(pq >= 0.0 && pp == 0.0)
    }
    check(
        500,
        categorical as fn(Probabilities, Probabilities) -> TestResult,
    );
    fn gaussian(m: Positive, s: Positive, n: Positive, t: Positive) -> bool {
        let pq = kl_gaussian(
            &Normal {
                mean: m.0,
                std: s.0,
            },
            &Normal {
                mean: n.0,
                std: t.0,
            },
        )
        .unwrap();
        let pp = kl_gaussian(
            &Normal {
                mean: m.0,
                std: s.0,
            },
            &Normal {
                mean: m.0,
                std: s.0,
            },
        )
        .unwrap();
        let policy = Gaussian
            .kl(
                &DVector::from_vec(vec![m.0, s.0]),
                &DVector::from_vec(vec![n.0, t.0]),
                &0.0,
            )
            .unwrap();
        // The textbook closed form log(t/s) + (s² + (m − n)²)/(2t²) − ½, evaluated directly.
        // pgoracle evaluates the same quantity through δ = (s − t)/t and log1p(δ) (accurate for
        // s ≈ t, not equivalent rounding for s ≪ t: about ε·t/s absolute, ≤ 1000ε here), so the
        // two agree to 12 digits of the terms' magnitude, not bit for bit.
        let log_ratio = (t.0 / s.0).ln();
        let quad = (s.0 * s.0 + (m.0 - n.0).powi(2)) / (2.0 * t.0 * t.0);
        let textbook = log_ratio + quad - 0.5;
        let slack = 1e-12 * (log_ratio.abs() + quad + 0.5);
        pq >= 0.0
            && pp == 0.0
            && (pq - textbook).abs() <= slack
            && (policy - textbook).abs() <= slack
    }
    check(
        500,
        gaussian as fn(Positive, Positive, Positive, Positive) -> bool,
    );
}

#[test]
fn clamped_objective_is_a_lower_bound_and_equal_inside_the_clip_range() {
    fn prop(x: Rollouts, eps: Positive) -> bool {
        let eps = eps.0 / 20.0; // (0, 0.5]
        let surrogate = surrogate_objective(
            &Gaussian,
            &x.theta,
            &x.theta_prime,
            &x.trajectories,
            x.gamma,
        )
        .unwrap();
        let clamped = clamped_objective(
            &Gaussian,
            &x.theta,
            &x.theta_prime,
            &x.trajectories,
            x.gamma,
            eps,
        )
        .unwrap();
        let slack = 1e-12 * (1.0 + surrogate.abs());
        let lower = clamped <= surrogate + slack;
        // At θ′ = θ every ratio is 1 ∈ [1 − ε, 1 + ε]: the two objectives coincide.
        let at_theta =
            clamped_objective(&Gaussian, &x.theta, &x.theta, &x.trajectories, x.gamma, eps)
                .unwrap();
        let f_theta =
            surrogate_objective(&Gaussian, &x.theta, &x.theta, &x.trajectories, x.gamma).unwrap();
        lower && (at_theta - f_theta).abs() <= slack
    }
    check(300, prop as fn(Rollouts, Positive) -> bool);
}

#[test]
fn line_search_terminates_and_accepts_only_feasible_improvements() {
    fn prop(x: Rollouts, eps: Positive, steps: u8) -> TestResult {
        let params = LinesearchParams::new(eps.0 / 10.0)
            .with_alpha(0.5)
            .with_max_steps(usize::from(steps % 30));
        // σ ≥ 0.3, actions within 2σ of the mean and a damped solve (F + λI ≻ 0): no error is
        // possible (g = 0 has probability 0), so an error fails the property.
        let step = match trust_region_update(
            &Gaussian,
            &x.theta,
            &x.trajectories,
            x.gamma,
            &params,
            &Solver::Damped { damping: 1e-3 },
        ) {
            Ok(step) => step,
            Err(e) => return TestResult::error(e.to_string()),
        };
        // f(θ, θ) and the accepted point's f and g against the surrogates written out
        // independently (tests/common.rs), within 64 rounding errors of their summands.
        let at_theta = gaussian_surrogates(&x.theta, &x.theta, &x.trajectories, x.gamma);
        if !at_theta.agrees(step.f_theta, 0.0, 64.0) {
            return TestResult::error(format!("f(θ, θ) = {} vs {at_theta:?}", step.f_theta));
        }
        TestResult::from_bool(match step.outcome {
            LinesearchOutcome::Accepted {
                theta,
                steps,
                values,
            } => {
                let reference = gaussian_surrogates(&x.theta, &theta, &x.trajectories, x.gamma);
                steps <= params.max_steps
                    && values.g <= params.epsilon
                    && values.f > step.f_theta
                    && reference.agrees(values.f, values.g, 64.0)
            }
            LinesearchOutcome::Exhausted { steps, .. } => {
                steps == params.max_steps && step.theta == x.theta
            }
            _ => false,
        })
    }
    check(300, prop as fn(Rollouts, Positive, u8) -> TestResult);
}

#[test]
fn f32_and_f64_agree_within_the_derived_tolerance() {
    // The same well-conditioned inputs in both precisions: the f32 result agrees with the f64
    // one within the f32 golden tolerance.
    fn prop(x: Rollouts) -> bool {
        let narrow = |v: &DVector<f64>| v.map(|e| e as f32);
        let t32: Vec<Vec<Step<f32, f32, f32>>> = x
            .trajectories
            .iter()
            .map(|tau| {
                tau.iter()
                    .map(|s| Step {
                        s: s.s as f32,
                        a: s.a as f32,
                        r: s.r as f32,
                    })
                    .collect()
            })
            .collect();
        // Compare against f64 evaluated on the f32-rounded inputs, so only arithmetic differs.
        let t64: Vec<Vec<Step<f64, f64, f64>>> = t32
            .iter()
            .map(|tau| {
                tau.iter()
                    .map(|s| Step {
                        s: f64::from(s.s),
                        a: f64::from(s.a),
                        r: f64::from(s.r),
                    })
                    .collect()
            })
            .collect();
        let (th32, tp32, g32) = (narrow(&x.theta), narrow(&x.theta_prime), x.gamma as f32);
        let widen = |v: &DVector<f32>| v.map(f64::from);
        let f64v = surrogate_objective(
            &Gaussian,
            &widen(&th32),
            &widen(&tp32),
            &t64,
            f64::from(g32),
        )
        .unwrap();
        let f32v = surrogate_objective(&Gaussian, &th32, &tp32, &t32, g32).unwrap();
        let c64 = surrogate_constraint(
            &Gaussian,
            &widen(&th32),
            &widen(&tp32),
            &t64,
            f64::from(g32),
        )
        .unwrap();
        let c32 = surrogate_constraint(&Gaussian, &th32, &tp32, &t32, g32).unwrap();
        let tol = f64::from(Tolerance::<f32>::golden(1.0).rel);
        // Rewards-to-go can cancel: compare against the scale of the summands, not the sum.
        let scale = 2.0 * 4.0 * 3.0;
        (f64::from(f32v) - f64v).abs() <= tol * scale
            && (f64::from(c32) - c64).abs() <= tol * (1.0 + c64.abs())
    }
    check(300, prop as fn(Rollouts) -> bool);
}
