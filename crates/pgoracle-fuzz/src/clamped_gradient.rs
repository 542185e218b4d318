//! Fuzz target `clamped_gradient`: the gradient of the clamped surrogate objective, Eq. 12.23
//! and Algorithm 12.6, with ratios at and around 1 ± ε, zero rewards-to-go and extreme
//! log-probabilities (Gaussian, linear Gaussian and softmax policies).
//!
//! Properties, in f32 and f64:
//!
//! 1. Invalid inputs (NaN or ±∞, ε ≤ 0, γ ∉ [0, 1], σ ≤ 0, no or empty trajectories, a softmax
//!    state or action outside the table) give one of the kinds their defects explain.
//! 2. For valid inputs the harness walks the steps as Algorithm 12.6 does, with its own clamp
//!    test — a step is clamped when R > 0 and w > 1 + ε, or R < 0 and w < 1 − ε, strictly — and
//!    predicts the outcome: `ZeroProbability` if π_θ(a | s) = 0 even in log space at some step;
//!    `NonFiniteResult` if an *unclamped* step has an overflowing ratio, or the sum overflows;
//!    the error of ∇log π_θ′ on an unclamped step; otherwise the gradient. The library must
//!    return exactly that kind, or a finite gradient.
//! 3. The gradient equals meanᵢ (1/dᵢ) Σ_k \[unclamped\] w_k ∇log π_θ′(a_k | s_k) R(τ, k) to
//!    (d + 2)·2ε relative to the sum of the terms' magnitudes.
//! 4. Clamped steps contribute nothing: when every step is clamped or has R = 0 the gradient is
//!    exactly the zero vector.

use arbitrary::Arbitrary;
use nalgebra::DVector;

use super::input::{Num, values};
use super::{Real, assert_finite, assert_kind, to, vector, widen};
use pgoracle::clamped::clamped_gradient;
use pgoracle::error::PgError;
use pgoracle::policy::{Gaussian, LinearGaussian, Policy, Softmax};
use pgoracle::surrogate::likelihood_ratio;
use pgoracle::trajectory::{Step, Trajectory, rewards_to_go};

/// Most trajectories, and most steps per trajectory, a case uses.
pub const MAX_TRAJECTORIES: usize = 4;
/// Most states, and most actions, of a softmax table.
pub const MAX_TABLE: usize = 3;

/// One `clamped_gradient(θ, θ′, trajectories, γ, ε)`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Case {
    /// Compute in f32 instead of f64.
    pub f32: bool,
    /// The policy family.
    pub family: Family,
    /// γ.
    pub gamma: Num,
    /// How ε is chosen.
    pub epsilon: Epsilon,
    /// How θ′ is chosen.
    pub theta_prime: ThetaPrime,
    /// θ: the family's number of parameters, missing entries filled with 1.
    pub theta: Vec<Num>,
    /// The trajectories (at most [`MAX_TRAJECTORIES`] of at most [`MAX_TRAJECTORIES`] steps).
    pub trajectories: Vec<Vec<StepCase>>,
}

/// A policy family.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// N(θ₁, θ₂²).
    Gaussian,
    /// N(θ₁s, θ₂²).
    LinearGaussian,
    /// Softmax over a table of 1 + `n_states` mod 3 states and 1 + `n_actions` mod 3 actions.
    Softmax {
        /// States − 1, before the modulus.
        n_states: u8,
        /// Actions − 1, before the modulus.
        n_actions: u8,
    },
}

/// How ε is chosen.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum Epsilon {
    /// This value.
    Given(Num),
    /// The value that puts step `step` (counted over all trajectories, cyclically) exactly on
    /// the clamp boundary, w = 1 + ε (`above`) or w = 1 − ε, then moved by `nudge` mod 3 − 1
    /// relative units of ε: just inside, on, or just outside the boundary.
    AtRatio {
        /// The step.
        step: u8,
        /// The upper boundary 1 + ε rather than the lower 1 − ε.
        above: bool,
        /// The nudge.
        nudge: u8,
    },
}

/// How θ′ is chosen.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ThetaPrime {
    /// θ′ = θ: every ratio is 1.
    Same,
    /// θ with one entry moved by `delta`.
    Shift {
        /// The entry (mod the number of parameters).
        index: u8,
        /// The move.
        delta: Num,
    },
    /// These values, missing entries filled with 1.
    Given(Vec<Num>),
}

/// One step of a trajectory: a real state and action for the Gaussian families, table indices
/// for softmax.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub struct StepCase {
    /// The state (Gaussian families).
    pub s: Num,
    /// The action (Gaussian families).
    pub a: Num,
    /// The state index (softmax): mod the table size, or one past it for values ≥ 250.
    pub s_index: u8,
    /// The action index (softmax): as `s_index`.
    pub a_index: u8,
    /// The reward.
    pub r: Num,
}

/// Calls `clamped_gradient` on the case and asserts the properties of the module docs.
pub fn harness(case: Case) {
    match case.family {
        Family::Gaussian => gaussian(&Gaussian, &case),
        Family::LinearGaussian => gaussian(&LinearGaussian, &case),
        Family::Softmax {
            n_states,
            n_actions,
        } => {
            let table = Softmax::new(
                1 + usize::from(n_states) % MAX_TABLE,
                1 + usize::from(n_actions) % MAX_TABLE,
            )
            .unwrap_or_else(|e| panic!("a 1–3 × 1–3 table is valid: {e}"));
            if case.f32 {
                softmax::<f32>(&table, &case);
            } else {
                softmax::<f64>(&table, &case);
            }
        }
    }
}

fn gaussian<P>(policy: &P, case: &Case)
where
    P: Policy<f32, State = f32, Action = f32> + Policy<f64, State = f64, Action = f64>,
{
    if case.f32 {
        gaussian_in::<f32, P>(policy, case);
    } else {
        gaussian_in::<f64, P>(policy, case);
    }
}

fn gaussian_in<T: Real, P: Policy<T, State = T, Action = T>>(policy: &P, case: &Case) {
    let trajectories = steps::<T, _, _>(case, |st| (to::<T>(st.s.0), to::<T>(st.a.0)));
    let real_steps_finite = trajectories
        .iter()
        .flatten()
        .all(|st| st.s.is_finite() && st.a.is_finite());
    check(policy, &trajectories, !real_steps_finite, false, case);
}

fn softmax<T: Real>(table: &Softmax, case: &Case) {
    let index = |i: u8, size: usize| {
        if i >= 250 {
            size
        } else {
            usize::from(i) % size
        }
    };
    let trajectories = steps::<T, _, _>(case, |st| {
        (
            index(st.s_index, table.n_states()),
            index(st.a_index, table.n_actions()),
        )
    });
    let outside = trajectories
        .iter()
        .flatten()
        .any(|st| st.s >= table.n_states() || st.a >= table.n_actions());
    check(table, &trajectories, false, outside, case);
}

/// The case's trajectories, with states and actions from `state_action`.
fn steps<T: Real, S, A>(
    case: &Case,
    state_action: impl Fn(&StepCase) -> (S, A),
) -> Vec<Trajectory<S, A, T>> {
    case.trajectories
        .iter()
        .take(MAX_TRAJECTORIES)
        .map(|tau| {
            tau.iter()
                .take(MAX_TRAJECTORIES)
                .map(|st| {
                    let (s, a) = state_action(st);
                    Step {
                        s,
                        a,
                        r: to(st.r.0),
                    }
                })
                .collect()
        })
        .collect()
}

/// θ or θ′ values: `n` entries, missing ones 1.
fn params<T: Real>(xs: &[Num], n: usize) -> DVector<T> {
    let mut v = values(xs, n);
    v.resize(n, 1.0);
    vector(&v)
}

/// Whether Algorithm 12.6 drops the step: the harness's own reading of the clamp.
fn clamped<T: Real>(w: T, r: T, epsilon: T) -> bool {
    // On the margin (w − 1) − ε, as the library decides (crates/pgoracle/src/decision.rs): w − 1
    // is exact near the boundary, where `w > 1 + ε` also rounds 1 + ε, and with ε = w − 1 ± 1 ulp
    // (`Epsilon::AtRatio`) the two roundings disagree (fuzz finding crash-bcf6a8f1, f32). Such a
    // decision is within its rounding bound: the oracle lists it as indeterminate.
    (r > T::zero() && (w - T::one()) - epsilon > T::zero())
        || (r < T::zero() && (T::one() - w) - epsilon > T::zero())
}

/// The outcome Algorithm 12.6 gives, walked step by step: the gradient with the sum of the
/// magnitudes of its terms, whether any term contributed, or the error kind.
type Walk<T> = Result<(DVector<T>, DVector<T>, bool), &'static str>;

fn walk<T: Real, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
) -> Walk<T> {
    let n = theta.len();
    let (mut total, mut magnitude) = (DVector::zeros(n), DVector::zeros(n));
    let mut contributed = false;
    for tau in trajectories {
        let d: T = to(tau.len() as f64);
        let (mut acc, mut acc_abs) = (DVector::zeros(n), DVector::zeros(n));
        for (step, r) in tau.iter().zip(rewards_to_go(tau, gamma)) {
            let lp = policy
                .log_density(theta, &step.a, &step.s)
                .map_err(|e| e.kind())?;
            if !lp.is_finite() {
                return Err("ZeroProbability");
            }
            // The ratio is the library's log_ratio (checked against 100-digit references in
            // crates/pgoracle/tests/accuracy_policies.rs): exp(log π′ − log π) from two rounded
            // log-densities loses about ε·z² in the far tail, and the clamp decisions at
            // ε = w − 1 ± 1 ulp (`Epsilon::AtRatio`) would then differ by rounding alone. The
            // harness still re-derives the clamp decisions and the gradient's assembly.
            let w = policy
                .log_ratio(theta, theta_prime, &step.a, &step.s)
                .map_err(|e| e.kind())?
                .exp();
            if clamped(w, r, epsilon) {
                continue;
            }
            if !w.is_finite() {
                return Err("NonFiniteResult");
            }
            let grad = match policy.grad_log_density(theta_prime, &step.a, &step.s) {
                Ok(grad) => grad,
                // A zero weight (a ratio below the smallest subnormal) contributes 0 even where
                // its score overflows.
                Err(e) if e.kind() == "NonFiniteResult" && w * r == T::zero() => {
                    contributed |= r != T::zero();
                    continue;
                }
                Err(e) => return Err(e.kind()),
            };
            acc += &grad * (w * r);
            acc_abs += grad.abs() * (w * r).abs();
            contributed |= r != T::zero();
        }
        total += acc / d;
        magnitude += acc_abs / d;
    }
    let m: T = to(trajectories.len() as f64);
    let mean = total / m;
    if mean.iter().all(|x| x.is_finite()) {
        Ok((mean, magnitude / m, contributed))
    } else {
        Err("NonFiniteResult")
    }
}

fn check<T: Real, P: Policy<T>>(
    policy: &P,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    non_finite_steps: bool,
    outside_table: bool,
    case: &Case,
) {
    let n = policy.n_params();
    let theta: DVector<T> = params(&case.theta, n);
    let theta_prime = match &case.theta_prime {
        ThetaPrime::Same => theta.clone(),
        ThetaPrime::Shift { index, delta } => {
            let mut t = theta.clone();
            t[usize::from(*index) % n] += to::<T>(delta.0);
            t
        }
        ThetaPrime::Given(xs) => params(xs, n),
    };
    let gamma: T = to(case.gamma.0);
    let epsilon: T = match case.epsilon {
        Epsilon::Given(e) => to(e.0),
        Epsilon::AtRatio { step, above, nudge } => {
            let all: Vec<_> = trajectories.iter().flatten().collect();
            let w = match all.len() {
                0 => Err(PgError::empty("trajectories")),
                len => {
                    let st = all[usize::from(step) % len];
                    likelihood_ratio(policy, &theta, &theta_prime, &st.a, &st.s)
                }
            };
            let e = match w {
                Ok(w) if above => w - T::one(),
                Ok(w) => T::one() - w,
                Err(_) => to(0.2),
            };
            e + e * to::<T>(f64::from(nudge % 3) - 1.0) * T::default_epsilon()
        }
    };

    let finite = |v: &DVector<T>| v.iter().all(|x| x.is_finite());
    let mut defects = Vec::new();
    if non_finite_steps
        || !(finite(&theta)
            && finite(&theta_prime)
            && gamma.is_finite()
            && epsilon.is_finite()
            && trajectories.iter().flatten().all(|st| st.r.is_finite()))
    {
        defects.push("NonFiniteInput");
    }
    let sigma_ok =
        |t: &DVector<T>| matches!(case.family, Family::Softmax { .. }) || t[1] > T::zero();
    if !(epsilon > T::zero()
        && gamma >= T::zero()
        && gamma <= T::one()
        && sigma_ok(&theta)
        && sigma_ok(&theta_prime))
    {
        defects.push("InvalidParameter");
    }
    if trajectories.is_empty() || trajectories.iter().any(Vec::is_empty) {
        defects.push("EmptyInput");
    }
    if outside_table {
        defects.push("DimensionMismatch");
    }
    let result = clamped_gradient(policy, &theta, &theta_prime, trajectories, gamma, epsilon);
    if !defects.is_empty() {
        match result {
            Err(e) => assert_kind(&e, &defects, case),
            Ok(g) => panic!("{g:?} despite {defects:?}: {case:?}"),
        }
        return;
    }
    let expected = walk(policy, &theta, &theta_prime, trajectories, gamma, epsilon);
    match (result, expected) {
        (Err(e), Err(kind)) => assert_kind(&e, &[kind], case),
        (Err(e), Ok((g, ..))) => panic!("{e:?}, expected the gradient {g:?}: {case:?}"),
        (Ok(got), Err(kind)) => panic!("{got:?}, expected {kind}: {case:?}"),
        (Ok(got), Ok((want, magnitude, contributed))) => {
            assert_finite(&got, "clamped gradient", case);
            if !contributed {
                assert!(
                    got.iter().all(|x| *x == T::zero()),
                    "clamped steps contributed {got:?}: {case:?}"
                );
            }
            let d = case
                .trajectories
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(0)
                .min(MAX_TRAJECTORIES) as f64;
            let tol = (d + 2.0) * 2.0 * T::EPS;
            let (got_w, want_w, mag_w) = (widen(&got), widen(&want), widen(&magnitude));
            for i in 0..n {
                assert!(
                    (got_w[i] - want_w[i]).abs() <= tol * mag_w[i] + T::TINY,
                    "gradient[{i}] = {:e}, expected {:e}: {case:?}",
                    got_w[i],
                    want_w[i]
                );
            }
        }
    }
}
