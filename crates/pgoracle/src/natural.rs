//! Section 12.3: the natural gradient update (Eqs. 12.12–12.13, Algorithm 12.4).

use nalgebra::{DMatrix, DVector};

use crate::compensated::{dot2, power_of_two_near};
use crate::error::{PgError, Result};
use crate::extended::mul_pow2;
use crate::fisher::score_matrix;
use crate::likelihood_ratio::{likelihood_ratio_gradient, scaled_likelihood_ratio_gradient};
use crate::policy::Policy;
use crate::scalar::{
    Scalar, check_finite_row, check_positive, check_vector, finite_result, lit, smallest_normal,
};
use crate::solver::{CgInfo, Direction, Solver, solve_direction};
use crate::tolerance::epsilon as machine_epsilon;
use crate::trajectory::{Trajectory, mean_vector};

/// Everything the natural step computes, so an oracle user can compare each stage.
#[derive(Debug, Clone, PartialEq)]
pub struct NaturalStep<T: Scalar> {
    /// g = mean_τ ∇U(τ), the estimated objective gradient.
    pub grad: DVector<T>,
    /// F = mean_τ ∇log p(τ)∇log p(τ)ᵀ (Eq. 12.10); `None` for the matrix-free CG solver,
    /// which never forms it.
    pub fisher: Option<DMatrix<T>>,
    /// u, the solution of F u = g (Eq. 12.13) by the chosen solver.
    pub direction: DVector<T>,
    /// θ′ = θ + u √(2ε / gᵀu) (Eq. 12.12).
    pub theta: DVector<T>,
    /// Iterations and residual, for the conjugate gradient solver.
    pub cg: Option<CgInfo<T>>,
}

/// The `natural_update` helper of Algorithm 12.4, Eqs. (12.12)–(12.13): the solution of
/// maximize ∇U(θ)ᵀ(θ′ − θ) subject to ½(θ′ − θ)ᵀF_θ(θ′ − θ) = ε (Eq. 12.11),
///
/// $$\mathbf{u} = \mathbf{F}\_\theta^{-1} \nabla U(\theta), \qquad \theta^{\prime} = \theta + \mathbf{u} \sqrt{\frac{2\epsilon}{\nabla U(\theta)^\top \mathbf{u}}}$$
///
/// g = meanᵢ `grads[i]`, F = meanᵢ `scores[i]` `scores[i]`ᵀ, u = F⁻¹ g,
/// θ′ = θ + u √(2ε / gᵀu).
///
/// The scale uses gᵀu as the book does (not uᵀFu; the two agree only for an exact solve).
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter` (ε ≤ 0, solver
/// parameters), `ZeroGradient` (g = 0), `SingularFisher` (exact solver), `NoConvergence`
/// (strict CG), `NonPositiveCurvature` (gᵀu ≤ 0), `NonFiniteResult`.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Solver, natural_update};
/// // Example 12.1: with these scores and gradients u = [1, 0] and θ′ ≈ [0.314, 1].
/// let scores = [dvector![2.012f64, 1.430242], dvector![-0.111, 7.550609]];
/// let grads = [&scores[0] * 2.012, &scores[1] * -0.111];
/// let step = natural_update(&dvector![0.0, 1.0], &grads, &scores, 0.1, &Solver::Exact).unwrap();
/// assert!((step.theta[0] - 0.314).abs() < 5e-4 && (step.theta[1] - 1.0).abs() < 1e-12);
/// ```
pub fn natural_update<T: Scalar>(
    theta: &DVector<T>,
    grads: &[DVector<T>],
    scores: &[DVector<T>],
    epsilon: T,
    solver: &Solver<T>,
) -> Result<NaturalStep<T>> {
    check_positive(epsilon, "epsilon")?;
    solver.check()?;
    natural_update_checked(theta, grads, scores, epsilon, solver)
}

/// [`natural_update`] with ε and the solver already checked (by [`natural_policy_update`] or
/// [`crate::trust_region_update`], once per call).
pub(crate) fn natural_update_checked<T: Scalar>(
    theta: &DVector<T>,
    grads: &[DVector<T>],
    scores: &[DVector<T>],
    epsilon: T,
    solver: &Solver<T>,
) -> Result<NaturalStep<T>> {
    check_vector(theta, "theta")?;
    let n = theta.len();
    if grads.is_empty() {
        return Err(PgError::empty("grads"));
    }
    for (i, g) in grads.iter().enumerate() {
        if g.len() != n {
            return Err(PgError::mismatch(format!("grads[{i}]"), n, g.len()));
        }
        check_finite_row(g, "grads", i)?;
    }
    let g_mat = score_matrix(scores)?;
    if g_mat.ncols() != n {
        return Err(PgError::mismatch("scores[0]", n, g_mat.ncols()));
    }
    if scores.len() != grads.len() {
        return Err(PgError::mismatch("scores", grads.len(), scores.len()));
    }

    let grad = finite_result(mean_vector(grads), "grad")?;
    if grad.iter().all(|x| *x == T::zero()) {
        return Err(PgError::ZeroGradient {
            field: "grad".into(),
        });
    }
    let Direction {
        fisher,
        direction,
        cg,
    } = solve_direction(solver, g_mat, &grad)?;
    let direction = finite_result(direction, "direction")?;
    let theta = natural_step(theta, &grad, &direction, epsilon)?;
    Ok(NaturalStep {
        grad,
        fisher,
        direction,
        theta,
        cg,
    })
}

/// θ′ = θ + u √(2ε / gᵀu) (Eq. 12.12). `NonPositiveCurvature` unless gᵀu > 0 beyond the
/// rounding of its evaluation.
///
/// gᵀu is evaluated as s·t·Dot2(ĝ, û) with ĝ = g/s, û = u/t, where s and t are powers of two near
/// max{|gᵢ| : uᵢ ≠ 0} and max{|uᵢ| : gᵢ ≠ 0}: the scales are taken over the support of the other
/// vector, so a huge gᵢ facing uᵢ = 0 does not push the entries that matter below the range
/// (issue #16, item 9). Dot2's error is ≤ u·|ĝᵀû| + γ²ₙ·|ĝ|ᵀ|û|; where ĝᵀû ≤ 2γ²ₙ·|ĝ|ᵀ|û| its
/// sign is not determined and the step is refused (`NonPositiveCurvature`) rather than taken in
/// a rounding-dominated direction.
///
/// Then θᵢ′ = fma(uᵢ, √(2ε/gᵀu), θᵢ) when gᵀu and 2ε/gᵀu are normal. Otherwise (g and u near
/// 10^±200, a subnormal ε) θ′ = θ + û·f with f = √(2ε)·√t / (√s·√(ĝᵀû)), formed from
/// a = √(2ε), b = √t, c = √s·√(ĝᵀû) as (a·b)/c if a·b is normal, else a·(b/c) if b/c is normal,
/// else (a/c)·b: each square root is normal, so at most one product or quotient leaves the range
/// and that order avoids it (an f32 subnormal intermediate kept ~8 bits; fuzz findings
/// crash-0d7a8587, crash-ef138180).
pub(crate) fn natural_step<T: Scalar>(
    theta: &DVector<T>,
    grad: &DVector<T>,
    direction: &DVector<T>,
    epsilon: T,
) -> Result<DVector<T>> {
    let c = ScaledCurvature::of(grad, direction)?;
    if let Some(factor) = c.plain_factor(epsilon) {
        return finite_result(
            direction.zip_map(theta, |u, th| u.mul_add(factor, th)),
            "theta",
        );
    }
    let factor = c.scaled_factor(epsilon);
    let t_inv = T::one() / c.t;
    // ûᵢ = uᵢ/t overflows only for a huge uᵢ facing gᵢ = 0 (t is taken over g's support);
    // then Δᵢ = (uᵢ·factor)/t.
    finite_result(
        direction.zip_map(theta, |u, th| {
            let scaled = u * t_inv;
            if scaled.is_finite() {
                scaled.mul_add(factor, th)
            } else {
                (u * factor / c.t) + th
            }
        }),
        "theta",
    )
}

/// The natural step's size β = √(2ε / gᵀu) of Eq. (12.12) (sb3-contrib's
/// `line_search_max_step_size`, with a = Au for its uᵀAu), evaluated as [`natural_step`] does:
/// `NonPositiveCurvature` unless gᵀu > 0 beyond its rounding, gᵀu from the scaled Dot2, and
/// β = f/t with f = √(2ε)·√t / (√s·√(ĝᵀû)) when gᵀu or 2ε/gᵀu is not normal, so that a
/// subnormal gᵀu with a representable β is not reported as ∞.
///
/// `None` when β itself is beyond the range (the step βu may still be representable:
/// [`natural_step`] forms it from û).
///
/// # Errors
/// `NonPositiveCurvature`.
pub(crate) fn step_size<T: Scalar>(
    grad: &DVector<T>,
    direction: &DVector<T>,
    epsilon: T,
) -> Result<Option<T>> {
    let c = ScaledCurvature::of(grad, direction)?;
    let beta = c
        .plain_factor(epsilon)
        .unwrap_or_else(|| c.scaled_factor(epsilon) * (T::one() / c.t));
    Ok(beta.is_finite().then_some(beta))
}

/// gᵀu as s·t·Dot2(ĝ, û) (see [`natural_step`]): the scaled dot product and the two powers of
/// two.
struct ScaledCurvature<T> {
    dot: T,
    s: T,
    t: T,
}

impl<T: Scalar> ScaledCurvature<T> {
    /// ĝᵀû, s and t; `NonPositiveCurvature` unless ĝᵀû > 2γ²ₙ·|ĝ|ᵀ|û|.
    fn of(grad: &DVector<T>, direction: &DVector<T>) -> Result<Self> {
        let zero = T::zero();
        let support_max = |x: &DVector<T>, y: &DVector<T>| {
            x.iter()
                .zip(y.iter())
                .filter(|(_, b)| **b != zero)
                .fold(zero, |m, (a, _)| m.max(a.abs()))
        };
        let s_max = support_max(grad, direction);
        let t_max = support_max(direction, grad);
        let not_positive = || PgError::NonPositiveCurvature {
            value: format!("{}", grad.dot(direction)),
        };
        if s_max == zero || t_max == zero {
            return Err(not_positive());
        }
        let (s, t) = (power_of_two_near(s_max), power_of_two_near(t_max));
        // Off the other vector's support an entry is 0 (û there may overflow: 0·∞ would be NaN).
        // × 1/s and × 1/t: the same floats as ÷ s, ÷ t (powers of two), with finite dual
        // derivatives (num-dual's quotient rule squares the divisor).
        let (s_inv, t_inv) = (T::one() / s, T::one() / t);
        let g_hat = grad.zip_map(direction, |x, y| if y == zero { zero } else { x * s_inv });
        let u_hat = direction.zip_map(grad, |x, y| if y == zero { zero } else { x * t_inv });
        let dot = dot2(&g_hat, &u_hat);
        let abs_dot = g_hat.abs().dot(&u_hat.abs());
        let n = lit::<T>(grad.len() as f64);
        let unit = machine_epsilon::<T>() * lit::<T>(0.5);
        let gamma_n = n * unit / (T::one() - n * unit);
        if !(dot.is_finite() && dot > lit::<T>(2.0) * gamma_n * gamma_n * abs_dot) {
            return Err(not_positive());
        }
        Ok(ScaledCurvature { dot, s, t })
    }

    /// √(2ε/gᵀu) when gᵀu and 2ε/gᵀu are normal; `None` otherwise.
    fn plain_factor(&self, epsilon: T) -> Option<T> {
        let two_eps = epsilon + epsilon;
        let normal = smallest_normal::<T>();
        let in_range = |x: T| x.is_finite() && x >= normal;
        // gᵀu = ĝᵀû·s·t, ordered so that the intermediate stays normal (ĝᵀû·s alone is
        // subnormal for s = 2^-1022 and ĝᵀû ~ 1e-6, and then kept ~30 bits; fuzz finding
        // c03fb9ce).
        let (dot, s, t) = (self.dot, self.s, self.t);
        let gu = if in_range(s * t) {
            dot * (s * t)
        } else if in_range(dot * s) {
            (dot * s) * t
        } else {
            (dot * t) * s
        };
        (two_eps.is_finite() && gu.is_finite() && gu >= normal && two_eps / gu >= normal)
            .then(|| (two_eps / gu).sqrt())
    }

    /// The factor f on û = u/t: f = √(2ε)·√t / (√s·√(ĝᵀû)), from a = √(2ε), b = √t,
    /// c = √s·√(ĝᵀû) in the order that keeps it in range (see [`natural_step`]).
    fn scaled_factor(&self, epsilon: T) -> T {
        let two_eps = epsilon + epsilon;
        let normal = smallest_normal::<T>();
        let in_range = |x: T| x.is_finite() && x >= normal;
        // √(2ε) without overflow: √(ε/2)·2 is exact scaling when 2ε overflows.
        let a = if two_eps.is_finite() {
            two_eps.sqrt()
        } else {
            (epsilon * lit::<T>(0.5)).sqrt() * lit::<T>(2.0)
        };
        let b = self.t.sqrt();
        let c = self.s.sqrt() * self.dot.sqrt();
        if in_range(a * b) {
            (a * b) / c
        } else if in_range(b / c) {
            a * (b / c)
        } else {
            (a / c) * b
        }
    }
}

/// Natural policy update from sampled trajectories, Algorithm 12.4: scores ∇log p(τ) and
/// gradients ∇U(τ) = ∇log p(τ) R(τ) from the trajectories, then [`natural_update`].
///
/// $$\mathbf{F}\_\theta \approx \frac{1}{m} \sum\_{i} \nabla \log p(\tau^{(i)}) \nabla \log p(\tau^{(i)})^\top, \qquad \nabla U(\theta) \approx \frac{1}{m} \sum\_{i} \nabla \log p(\tau^{(i)}) R(\tau^{(i)})$$
///
/// # Errors
/// Those of [`likelihood_ratio_gradient`] and [`natural_update`].
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, Solver, natural_policy_update};
/// let step = natural_policy_update(
///     &Gaussian, &example_12_1_theta::<f64>(), &example_12_1_trajectories(), 1.0, 0.1, &Solver::Exact,
/// )
/// .unwrap();
/// // Example 12.1 / Exercise 12.2: u = [1, 0], θ′ = [0.314, 1].
/// assert!((step.direction[0] - 1.0).abs() < 1e-12 && step.direction[1].abs() < 1e-12);
/// assert!((step.theta[0] - 0.314).abs() < 5e-4);
/// ```
pub fn natural_policy_update<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
    solver: &Solver<T>,
) -> Result<NaturalStep<T>> {
    check_positive(epsilon, "epsilon")?;
    solver.check()?;
    natural_policy_update_checked(policy, theta, trajectories, gamma, epsilon, solver)
}

/// [`natural_policy_update`] with ε and the solver already checked.
pub(crate) fn natural_policy_update_checked<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
    solver: &Solver<T>,
) -> Result<NaturalStep<T>> {
    let lr = likelihood_ratio_gradient(policy, theta, trajectories, gamma)?;
    if lr.grad.iter().all(|g| *g == T::zero())
        && let Some((scaled, exponent)) =
            scaled_likelihood_ratio_gradient(policy, theta, trajectories, gamma)?
        && scaled.grad.iter().any(|g| *g != T::zero())
    {
        // The gradient underflowed (rewards ~1e-290 against scores ~1e-61: g ~ 1e-350) while
        // u = F⁻¹g (~1e-230) and θ′ are representable. θ′ does not depend on g's scale (u
        // scales with g, √(2ε/gᵀu) with 1/|g|), so it is the step of g·2^−E; g and u are that
        // step's × 2^E, rounded once.
        let step = natural_update_checked(theta, &scaled.grads, &scaled.scores, epsilon, solver)?;
        return Ok(NaturalStep {
            grad: step.grad.map(|g| mul_pow2(g, exponent)),
            direction: step.direction.map(|u| mul_pow2(u, exponent)),
            ..step
        });
    }
    natural_update_checked(theta, &lr.grads, &lr.scores, epsilon, solver)
}
