//! Solvers for the natural gradient direction u = F_θ⁻¹ ∇U(θ) (Eq. 12.13).
//!
//! | solver | system | book |
//! |---|---|---|
//! | [`Solver::Exact`] | F u = g, direct factorisation | Julia's `\` in `natural_update` |
//! | [`Solver::Damped`] | (F + λI) u = g | peers' damping (not in the book) |
//! | [`Solver::PseudoInverse`] | u = F⁺ g (SVD of the symmetric F) | minimum-norm solution for singular F |
//! | [`Solver::ConjugateGradient`] | (F + λI) u = g, matrix-free CG | footnote 3 |

use nalgebra::{DMatrix, DVector, Dyn, SymmetricEigen};

use crate::cholesky::cholesky_solve;
use crate::compensated::power_of_two_near;
use crate::conventions::CgStop;
use crate::dense;
use crate::error::{PgError, Result};
use crate::fisher::{
    fisher_from_score_matrix, scaled_fisher, symmetric_from_lower, unscaled_fisher,
};
use crate::limits::MAX_ITERATIONS;
use crate::scalar::{
    Scalar, check_nonnegative, check_positive, finite_result, finite_scalar, lit, smallest_normal,
    stable_norm,
};
use crate::tolerance::epsilon;

/// Parameters of the matrix-free conjugate gradient solver.
///
/// `#[non_exhaustive]`: build it with [`CgParams::new`] and the `with_*` setters.
///
/// ```
/// use pgoracle::{CgParams, Solver};
/// let solver = Solver::ConjugateGradient(CgParams::new(10, 1e-10).with_damping(0.1));
/// # let _ = solver;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct CgParams<T> {
    /// Maximum number of iterations, ≥ 1.
    pub max_iters: usize,
    /// Relative residual tolerance: stop when ‖r‖ ≤ tol·‖g‖; tol ≥ 0.
    pub tol: T,
    /// Damping λ ≥ 0 added to the diagonal.
    pub damping: T,
    /// Whether a missed tolerance is the error `NoConvergence` instead of a result.
    pub strict: bool,
}

impl<T: Scalar> CgParams<T> {
    /// At most `max_iters` iterations, stopping at ‖r‖ ≤ tol·‖g‖; no damping, not strict.
    /// Checked where it is used ([`Solver::check`]).
    pub fn new(max_iters: usize, tol: T) -> Self {
        CgParams {
            max_iters,
            tol,
            damping: T::zero(),
            strict: false,
        }
    }

    /// The same parameters with damping λ.
    #[must_use]
    pub fn with_damping(self, damping: T) -> Self {
        CgParams { damping, ..self }
    }

    /// The same parameters, strict (a missed tolerance is `NoConvergence`) or not.
    #[must_use]
    pub fn with_strict(self, strict: bool) -> Self {
        CgParams { strict, ..self }
    }
}

/// How to solve for the natural gradient direction.
///
/// `#[non_exhaustive]`: later versions may add solvers; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Solver<T> {
    /// F u = g by Cholesky (LU if Cholesky fails), as the book's `\` on a symmetric matrix.
    /// `SingularFisher` when F is singular to working precision: its smallest eigenvalue is at
    /// most n·ε times its largest (the rank threshold of NumPy's `matrix_rank`).
    Exact,
    /// (F + λI) u = g by Cholesky, λ > 0.
    Damped {
        /// λ > 0.
        damping: T,
    },
    /// u = F⁺ g, dropping singular values at or below rcond·σ_max (rcond ≥ 0). The SVD of the
    /// symmetric F is computed as its eigendecomposition (σᵢ = |λᵢ|).
    PseudoInverse {
        /// Relative cut-off, ≥ 0.
        rcond: T,
    },
    /// Conjugate gradient on (F + λI) u = g from u₀ = 0 with products Gᵀ(Gv)/m; F is never
    /// formed.
    ConjugateGradient(CgParams<T>),
}

/// What the conjugate gradient solver did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CgInfo<T> {
    /// Iterations performed.
    pub iterations: usize,
    /// Final recurrence residual ‖r‖ = ‖g − (F + λI)u‖ (absolute).
    pub residual: T,
    /// Whether ‖r‖ ≤ tol·‖g‖ was reached.
    pub converged: bool,
}

impl<T: Scalar> Solver<T> {
    /// Checks the solver's parameters.
    ///
    /// # Errors
    /// `NonFiniteInput` or `InvalidParameter` naming the field (`solver.damping`, …).
    pub fn check(&self) -> Result<()> {
        match self {
            Solver::Exact => Ok(()),
            Solver::Damped { damping } => check_positive(*damping, "solver.damping"),
            Solver::PseudoInverse { rcond } => check_nonnegative(*rcond, "solver.rcond"),
            Solver::ConjugateGradient(p) => {
                check_nonnegative(p.tol, "solver.tol")?;
                check_nonnegative(p.damping, "solver.damping")?;
                if p.max_iters == 0 || p.max_iters > MAX_ITERATIONS {
                    return Err(PgError::invalid(
                        "solver.max_iters",
                        format!("must lie in [1, {MAX_ITERATIONS}], got {}", p.max_iters),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The natural gradient direction and what its solver produced along the way.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Direction<T: Scalar> {
    /// The explicit Fisher matrix, for the solvers that form it.
    pub fisher: Option<DMatrix<T>>,
    /// u.
    pub direction: DVector<T>,
    /// The conjugate gradient report.
    pub cg: Option<CgInfo<T>>,
}

/// Solves for u with the chosen solver from the checked score matrix G (m × n) and g.
/// Only the matrix solvers form F = GᵀG/m. G is taken by value: the conjugate gradient solver
/// scales it in place (no second m × n copy).
pub(crate) fn solve_direction<T: Scalar>(
    solver: &Solver<T>,
    g_mat: DMatrix<T>,
    grad: &DVector<T>,
) -> Result<Direction<T>> {
    let with_matrix = |solve: &dyn Fn(&DMatrix<T>) -> Result<DVector<T>>| {
        let f = fisher_from_score_matrix(&g_mat)?;
        let direction = solve(&f)?;
        Ok(Direction {
            fisher: Some(f),
            direction,
            cg: None,
        })
    };
    match solver {
        Solver::Exact => {
            let (m, n) = g_mat.shape();
            if m < n {
                // rank F ≤ m < n: singular without forming or factoring F.
                return Err(PgError::SingularFisher {
                    reason: format!(
                        "rank ≤ m = {m} < n = {n} (fewer trajectories than parameters); \
                         use the damped, pseudo_inverse or conjugate_gradient solver"
                    ),
                    rank_margin: None,
                });
            }
            let (f_hat, scales) = scaled_fisher(&g_mat)?;
            let f = unscaled_fisher(&f_hat, &scales)?;
            let direction = solve_exact(&f_hat, &scales, grad)?;
            Ok(Direction {
                fisher: Some(f),
                direction,
                cg: None,
            })
        }
        Solver::Damped { damping } => with_matrix(&|f| solve_damped(f, grad, *damping)),
        Solver::PseudoInverse { rcond } => with_matrix(&|f| match pseudo_inverse_from_scores(
            &g_mat, grad, *rcond,
        ) {
            Some(direction) => direction,
            None => solve_pseudo_inverse(f, grad, *rcond),
        }),
        Solver::ConjugateGradient(params) => {
            let (direction, info) = solve_cg(g_mat, grad, params)?;
            Ok(Direction {
                fisher: None,
                direction,
                cg: Some(info),
            })
        }
    }
}

/// x·a/b for powers of two a and b, in an order that keeps the intermediate in the normal range
/// whenever the result is: x·(a/b) if a/b is normal, else (x·a)/b or (x/b)·a.
fn mul_div_pow2<T: Scalar>(x: T, a: T, b: T) -> T {
    let normal = smallest_normal::<T>();
    let in_range = |y: T| y.is_finite() && (y == T::zero() || y.abs() >= normal);
    let ratio = a / b;
    if in_range(ratio) && ratio != T::zero() {
        return x * ratio;
    }
    let xa = x * a;
    if in_range(xa) && (xa != T::zero() || x == T::zero()) {
        xa / b
    } else {
        (x / b) * a
    }
}

/// Iteration cap for the eigen and singular value decompositions (nalgebra's default is
/// unbounded).
fn max_sweeps(n: usize) -> usize {
    1000 + 100 * n
}

/// The symmetric eigendecomposition of F with a bounded number of sweeps (nalgebra's
/// eigenvalues-only call has no bound, and an unbounded loop is what the oracle must never do).
/// Used for every scalar type below 65 parameters and for the types faer does not cover.
fn symmetric_eigen<T: Scalar>(f: &DMatrix<T>) -> Result<SymmetricEigen<T, Dyn>> {
    let n = f.nrows();
    f.clone()
        .try_symmetric_eigen(epsilon::<T>(), max_sweeps(n))
        .ok_or_else(|| eigen_no_convergence(n))
}

/// u with F u = g (Solver::Exact), from the column-scaled F̂ = D⁻¹FD⁻¹ of [`scaled_fisher`]
/// (symmetric positive semidefinite, full) and its power-of-two scales D = diag(σⱼ).
///
/// The rank test is the documented one on F (λ_min ≤ n·ε·λ_max), taken on F̃ = F/σ²_max
/// (σ_max = maxⱼ σⱼ, an exact power-of-two scaling of F, so the same verdict with entries near 1
/// whatever the scale of the scores). The solve is on F̂ (Jacobi scaling), which is never
/// subnormal where F would be: scores near 1e-160 have F ~ 1e-320, which kept only a few bits
/// (issue #16, item 5). With t a power of two near ‖g‖∞: F̂ v = D⁻¹g/t, u = D⁻¹v·t, every
/// scaling exact.
///
/// For f32 and f64 with n ≥ 65 (issue #20) the rank test costs no more than the factorisation:
/// F̂ = L̂L̂ᵀ by Cholesky first, and when [`rank_certificate`] proves λ_min(F̃) > 2·n·ε·λ_max(F̃)
/// from L̂ the eigenvalues are not computed; otherwise (a failed Cholesky, or λ_min near the
/// threshold) the eigenvalues of F̃ alone (faer, no eigenvectors) decide by the rule above.
/// Below 65 parameters, and for every other scalar type, the eigenvalues always decide.
fn solve_exact<T: Scalar>(
    f_hat: &DMatrix<T>,
    scales: &DVector<T>,
    g: &DVector<T>,
) -> Result<DVector<T>> {
    let n = f_hat.nrows();
    let top = scales.max();
    let ratios = scales.map(|s| s / top);
    let f_tilde = DMatrix::from_fn(n, n, |i, j| {
        let (a, b) = (ratios[i], ratios[j]);
        let (big, small) = if a >= b { (a, b) } else { (b, a) };
        (f_hat[(i, j)] * big) * small
    });
    let t = power_of_two_near(g.amax());
    // × reciprocals of powers of two: exact, and finite dual derivatives (see `stable_norm`).
    let t_inv = T::one() / t;
    let mut h = DVector::from_fn(n, |j, _| (g[j] * t_inv) * (T::one() / scales[j]));
    let par = dense::par();
    let mut factor = f_hat.clone();
    let v = match dense::cholesky_in_place(&mut factor, par) {
        Some(definite) => {
            let certified = definite && rank_certificate(&factor, &ratios, &f_tilde);
            if !certified {
                let eigenvalues = dense::symmetric_eigenvalues(&f_tilde)
                    .ok_or(())
                    .or_else(|()| symmetric_eigen(&f_tilde).map(|e| Some(e.eigenvalues)))?
                    .ok_or_else(|| eigen_no_convergence(n))?;
                eigenvalue_rank_test(&eigenvalues, top)?;
            }
            if definite && dense::cholesky_solve(&factor, &mut h) {
                Some(h)
            } else {
                dense::lu_solve(f_hat, &h, par).unwrap_or_else(|| f_hat.clone().lu().solve(&h))
            }
        }
        None => {
            eigenvalue_rank_test(&symmetric_eigen(&f_tilde)?.eigenvalues, top)?;
            match cholesky_solve(f_hat.clone(), &h) {
                Some(v) => Some(v),
                None => f_hat.clone().lu().solve(&h),
            }
        }
    };
    let v = v.ok_or_else(|| PgError::SingularFisher {
        reason: "LU factorisation found a zero pivot".into(),
        rank_margin: None,
    })?;
    let u = DVector::from_fn(n, |j, _| mul_div_pow2(v[j], t, scales[j]));
    if u.iter().all(|x| x.is_finite()) {
        Ok(u)
    } else {
        // F passed the rank test, so u is defined; it overflows only because the exact u is
        // beyond the largest float (scores 1e-150 with gradients 1e150: u = 1e450).
        Err(PgError::NonFiniteResult {
            field: "direction".into(),
        })
    }
}

/// The exact solver's rank rule on the eigenvalues λ of F̃ = F/σ²_max (σ_max = `top`):
/// `SingularFisher` when λ_max = max|λᵢ| is 0 or λ_min ≤ n·ε·λ_max (the rank threshold of
/// NumPy's `matrix_rank`), with the margin λ_min − n·ε·λ_max and the threshold reported.
fn eigenvalue_rank_test<T: Scalar>(eigenvalues: &DVector<T>, top: T) -> Result<()> {
    let n = eigenvalues.len();
    let max = eigenvalues.iter().fold(T::zero(), |m, x| m.max(x.abs()));
    let min = eigenvalues.iter().fold(max, |m, x| m.min(*x));
    let threshold = lit::<T>(n as f64) * epsilon::<T>() * max;
    if max == T::zero() || min <= threshold {
        let as_f64 = |x: T| nalgebra::try_convert::<T, f64>(x).unwrap_or(f64::NAN);
        return Err(PgError::SingularFisher {
            rank_margin: Some([as_f64(min - threshold), as_f64(threshold)]),
            reason: format!(
                "smallest eigenvalue {min} ≤ n·ε·λ_max = {threshold} (λ_max = {max}) of F/σ²_max \
                 (σ_max = {top}); use the damped, pseudo_inverse or conjugate_gradient solver"
            ),
        });
    }
    Ok(())
}

/// Whether the Cholesky factor L̂ of F̂ (lower triangle of `l`; F̂ + E = L̂L̂ᵀ) proves that
/// F̃ = D̃F̂D̃ (D̃ = diag(`ratios`), dᵢ = σᵢ/σ_max ≤ 1, powers of two) passes the exact solver's
/// rank rule with room to spare: λ_min(F̃) > 2·n·ε·λ_max(F̃). Costs one triangular inverse
/// (n³/3 flops, as much as the factorisation) and O(n²).
///
/// The bounds, for the stored F̃ (Higham, *Accuracy and Stability of Numerical Algorithms*,
/// 2nd ed., Thm. 10.3 and §10.1.1):
/// - λ_max(F̃) ≤ ‖F̃‖_F;
/// - the factorisation is backward stable, ‖E‖₂ ≤ γₙ₊₁·‖L̂‖²_F (γₖ = kε/(1 − kε)), and
///   ‖D̃ED̃‖₂ ≤ ‖E‖₂ because dᵢ ≤ 1;
/// - for the SPD (D̃L̂)(D̃L̂)ᵀ = F̃ + D̃ED̃, 1/λ_min ≤ tr((F̃ + D̃ED̃)⁻¹) = Σᵢ ‖L̂⁻¹eᵢ‖²/dᵢ² =: τ,
///   so λ_min(F̃) ≥ 1/τ − ‖E‖₂ (Weyl).
///
/// The test is 1/(2τ̂) − 2γₙ₊₁‖L̂‖²_F > 2·n·ε·‖F̃‖_F·(1 + nε): the factors 2 cover the rounding of
/// τ̂ and of the sums (when it passes, κ(F̃) < 1/(2n·ε), so L̂⁻¹ and τ̂ are accurate to far better
/// than a factor 2). tr(A⁻¹) ≤ n/λ_min, so the test can miss by a factor up to n^(3/2); then the
/// eigenvalues decide. Agreement with the eigenvalue rule: a pass means the exact λ_min(F̃) is
/// more than twice the threshold, which the eigenvalue rule also finds unless its computed
/// eigenvalues are off by more than n·ε·λ_max; no entry of F̃ may be subnormal (else `false`).
fn rank_certificate<T: Scalar>(l: &DMatrix<T>, ratios: &DVector<T>, f_tilde: &DMatrix<T>) -> bool {
    let n = l.nrows();
    let Some(inverse_diagonal) = dense::inverse_diagonal(l, dense::par()) else {
        return false;
    };
    let eps = epsilon::<T>();
    let n_t = lit::<T>(n as f64);
    let normal = smallest_normal::<T>();
    let frobenius = f_tilde.iter().fold(T::zero(), |s, x| s + *x * *x).sqrt();
    if f_tilde.iter().any(|x| *x != T::zero() && x.abs() < normal) || frobenius < eps {
        return false;
    }
    let tau = inverse_diagonal
        .iter()
        .zip(ratios.iter())
        .fold(T::zero(), |s, (a, d)| s + *a * (T::one() / (*d * *d)));
    let factor_norm = (0..n).fold(T::zero(), |s, j| {
        s + l
            .view((j, j), (n - j, 1))
            .iter()
            .fold(T::zero(), |c, x| c + *x * *x)
    });
    let k = (n_t + T::one()) * eps;
    let gamma = k / (T::one() - k);
    let two = lit::<T>(2.0);
    let lower = T::one() / (two * tau) - two * gamma * factor_norm;
    tau > T::zero() && lower > two * n_t * eps * frobenius * (T::one() + n_t * eps)
}

/// The error of an eigen decomposition that did not converge within its bound.
fn eigen_no_convergence(n: usize) -> PgError {
    PgError::NoConvergence {
        iterations: max_sweeps(n),
        detail: "symmetric eigendecomposition of F".into(),
    }
}

/// u with (F + λI) u = g (Solver::Damped).
fn solve_damped<T: Scalar>(f: &DMatrix<T>, g: &DVector<T>, damping: T) -> Result<DVector<T>> {
    let mut a = f.clone();
    for i in 0..a.nrows() {
        a[(i, i)] += damping;
    }
    cholesky_solve(a, g).ok_or_else(|| PgError::SingularFisher {
        reason: format!("F + λI is not positive definite to working precision (λ = {damping})"),
        rank_margin: None,
    })
}

/// u = F⁺ g, singular values ≤ rcond·σ_max (or zero) dropped (Solver::PseudoInverse).
///
/// F is symmetric, so its eigendecomposition F = Q Λ Qᵀ is an SVD with σᵢ = |λᵢ|:
/// F⁺ g = Σ_{σᵢ > rcond·σ_max} qᵢ (qᵢᵀ g) / λᵢ. nalgebra's general SVD is not used: it returns
/// wrong singular values for some inputs, including rank-deficient Fisher matrices
/// (dimforge/nalgebra#1172; found by `tests/reference.rs`, regression test
/// `edge_cases::pseudo_inverse_of_an_all_ones_fisher`).
fn solve_pseudo_inverse<T: Scalar>(f: &DMatrix<T>, g: &DVector<T>, rcond: T) -> Result<DVector<T>> {
    let (eigenvalues, eigenvectors) = match dense::symmetric_eigen(f) {
        Some(decomposition) => decomposition.ok_or_else(|| eigen_no_convergence(f.nrows()))?,
        None => {
            let eig = symmetric_eigen(f)?;
            (eig.eigenvalues, eig.eigenvectors)
        }
    };
    let sigma_max = eigenvalues.iter().fold(T::zero(), |m, x| m.max(x.abs()));
    let cut = rcond * sigma_max;
    let mut coeffs = eigenvectors.tr_mul(g);
    for (c, lambda) in coeffs.iter_mut().zip(eigenvalues.iter()) {
        *c = if lambda.abs() > cut && *lambda != T::zero() {
            *c / *lambda
        } else {
            T::zero()
        };
    }
    Ok(&eigenvectors * coeffs)
}

/// u = F⁺ g from the m × n score matrix G when there are fewer trajectories than parameters
/// (m < n), for f32 and f64 with n ≥ 65 (issue #20); `None` otherwise, and for scores that
/// [`cg_matrix_scale`] would rescale (the explicit path handles those). The same minimum-norm
/// solution as [`solve_pseudo_inverse`] on F = GᵀG/m, from the m × m matrix K = GGᵀ/m instead
/// of the n × n F:
///
/// with K = UΛUᵀ (Λ = diag(λᵢ), U orthonormal), F and K have the same non-zero eigenvalues
/// λᵢ, and the eigenvectors of F for them are vᵢ = Gᵀuᵢ/√(mλᵢ), so
///
/// F⁺ = Σᵢ vᵢvᵢᵀ/λᵢ = (1/m) Gᵀ U Λ⁻² Uᵀ G,  u = F⁺g = (1/m) Gᵀ U c,  cᵢ = (uᵢᵀGg)/λᵢ²,
///
/// with cᵢ = 0 where |λᵢ| ≤ rcond·max|λ| or λᵢ = 0, the cut of [`Solver::PseudoInverse`] on the
/// eigenvalues of F (its other n − m eigenvalues are exactly 0 and dropped by that rule). Cost:
/// m²n for K, an m × m eigendecomposition and two products with G, against the n × n
/// eigendecomposition of F (at n = 2048, m = 10: microseconds against seconds).
fn pseudo_inverse_from_scores<T: Scalar>(
    g_mat: &DMatrix<T>,
    grad: &DVector<T>,
    rcond: T,
) -> Option<Result<DVector<T>>> {
    let (m, n) = g_mat.shape();
    if m >= n || cg_matrix_scale(g_mat.amax(), T::zero()) != T::one() {
        return None;
    }
    let mut k = DMatrix::zeros(m, m);
    if !dense::outer_gram_lower(g_mat, &mut k, dense::par_for(m * m * n)) {
        return None;
    }
    let m_t = lit::<T>(m as f64);
    if !symmetric_from_lower(&mut k, |x, _, _| x / m_t) {
        return None;
    }
    let decomposition = match dense::symmetric_eigen(&k) {
        Some(decomposition) => decomposition.ok_or_else(|| eigen_no_convergence(m)),
        None => symmetric_eigen(&k).map(|e| (e.eigenvalues, e.eigenvectors)),
    };
    let (eigenvalues, eigenvectors) = match decomposition {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    let sigma_max = eigenvalues.iter().fold(T::zero(), |s, x| s.max(x.abs()));
    let cut = rcond * sigma_max;
    let mut coeffs = eigenvectors.tr_mul(&(g_mat * grad));
    for (c, lambda) in coeffs.iter_mut().zip(eigenvalues.iter()) {
        *c = if lambda.abs() > cut && *lambda != T::zero() {
            (*c / *lambda) / *lambda
        } else {
            T::zero()
        };
    }
    Some(Ok(g_mat.tr_mul(&(&eigenvectors * coeffs)) / m_t))
}

/// The power of two s by which the conjugate gradient solver divides G: 1 while maxᵢⱼ|Gᵢⱼ| lies
/// in [√(N/ε), √(M·ε)] (N the smallest normal, M the largest finite number), where ‖Gp‖² for a
/// p of norm ~1 neither overflows nor loses its small eigen-directions to underflow; otherwise one
/// near max(maxᵢⱼ|Gᵢⱼ|, √λ).
fn cg_matrix_scale<T: Scalar>(g_max: T, damping: T) -> T {
    let Some(max) = T::max_value() else {
        return T::one();
    };
    let eps = epsilon::<T>();
    let (lo, hi) = ((smallest_normal::<T>() / eps).sqrt(), (max * eps).sqrt());
    if g_max >= lo && g_max <= hi {
        T::one()
    } else {
        power_of_two_near(g_max.max(damping.sqrt()))
    }
}

/// Conjugate gradient on (GᵀG/m + λI) u = g from u₀ = 0 (Solver::ConjugateGradient).
/// Stops when ‖r‖ ≤ tol·‖g‖, after `max_iters` iterations, or at a direction of zero
/// curvature pᵀ(F + λI)p ≤ 0.
///
/// It runs on the scaled system (issue #16, item 5): with t a power of two near ‖g‖∞ and s = 1,
/// or, for scores beyond [√(N/ε), √(M·ε)], a power of two near max(maxᵢⱼ|Gᵢⱼ|, √λ)
/// ([`cg_matrix_scale`]), Ĝ = G/s (in place, exact), ĝ = g/t, λ̂ = λ/s², and
/// (ĜᵀĜ/m + λ̂I) û = ĝ, u = û·t/s². The curvature is ‖Ĝp‖²/m + λ̂‖p‖², ≥ 0 by construction and
/// free of the overflow of pᵀGᵀGp at scores ~1e135 (which stopped the unscaled recurrence at
/// iteration 0 with u = 0). The stopping test ‖r̂‖ ≤ tol·‖ĝ‖ and the reported residual
/// ‖r‖ = ‖r̂‖·t are those of the unscaled system, as the scalings are exact. CG itself is
/// inherently limited: unconverged, or on an ill-conditioned F̂, ‖û − F̂⁻¹ĝ‖ is bounded only by
/// about κ(F̂)·u·‖û‖ per iteration, its growth not bounded.
fn solve_cg<T: Scalar>(
    mut g_mat: DMatrix<T>,
    g: &DVector<T>,
    params: &CgParams<T>,
) -> Result<(DVector<T>, CgInfo<T>)> {
    let m = lit::<T>(g_mat.nrows() as f64);
    let s = cg_matrix_scale(g_mat.amax(), params.damping);
    if s != T::one() {
        g_mat /= s;
    }
    let t = power_of_two_near(g.amax());
    let g_hat = g * (T::one() / t);
    let damping = params.damping / s / s;
    let target = params.tol * stable_norm(&g_hat);
    let apply = |p: &DVector<T>| {
        let (gtgp, gp) = dense::gram_vector_product(&g_mat, p).unwrap_or_else(|| {
            let gp = &g_mat * p;
            (g_mat.tr_mul(&gp), gp)
        });
        let ap = gtgp / m + p * damping;
        let curvature = gp.dot(&gp) / m + p.dot(p) * damping;
        (ap, curvature)
    };
    let run = conjugate_gradient_loop(apply, &g_hat, None, params.max_iters, |rr: T| {
        rr.sqrt() <= target
    });
    let u = run.x;
    let info = CgInfo {
        iterations: run.iterations,
        residual: run.residual * t,
        converged: run.converged,
    };
    if params.strict && !info.converged {
        return Err(PgError::NoConvergence {
            iterations: info.iterations,
            detail: format!("conjugate gradient residual ‖r‖ = {}", info.residual),
        });
    }
    // On an extremely ill-conditioned F the rounded recurrence can diverge until ‖r‖ overflows;
    // a result never carries a non-finite number. Found by fuzzing
    // (`fuzz_regressions::conjugate_gradient_residual_that_overflows`).
    finite_scalar(info.residual, "cg_residual")?;
    let u = u.map(|x| mul_div_pow2(mul_div_pow2(x, t, s), T::one(), s));
    Ok((u, info))
}

/// What one run of [`conjugate_gradient_loop`] produced.
struct CgRun<T> {
    /// The last iterate.
    x: DVector<T>,
    /// Updates of x performed.
    iterations: usize,
    /// ‖r‖ of the recurrence's last residual.
    residual: T,
    /// Whether `done` held.
    converged: bool,
}

/// The conjugate gradient recurrence, shared by every CG of the crate: from x₀ (0 when `start`
/// is `None`), r = b − Ax₀, ρ = rᵀr, p = r; while `done(ρ)` is false and fewer than `max_iters`
/// iterations ran: (Ap, pᵀAp) = `apply(p)`, stop at a direction of zero or negative curvature,
/// α = ρ/pᵀAp, x += αp, r −= αAp, ρ′ = rᵀr, p = r + (ρ′/ρ)p. sb3-contrib's
/// `conjugate_gradient_solver` returns x after its last iteration without updating r; the x is
/// the same.
fn conjugate_gradient_loop<T: Scalar>(
    apply: impl Fn(&DVector<T>) -> (DVector<T>, T),
    b: &DVector<T>,
    start: Option<&DVector<T>>,
    max_iters: usize,
    done: impl Fn(T) -> bool,
) -> CgRun<T> {
    let (mut x, mut r) = match start {
        Some(x0) => (x0.clone(), b - apply(x0).0),
        None => (DVector::zeros(b.len()), b.clone()),
    };
    let mut p = r.clone();
    let mut rr = r.dot(&r);
    let mut iterations = 0;
    let mut converged = done(rr);
    while !converged && iterations < max_iters {
        let (ap, curvature) = apply(&p);
        if curvature <= T::zero() || !curvature.is_finite() {
            break;
        }
        let step = rr / curvature;
        x += &p * step;
        r -= &ap * step;
        let rr_next = r.dot(&r);
        iterations += 1;
        converged = done(rr_next);
        p = &r + &p * (rr_next / rr);
        rr = rr_next;
    }
    CgRun {
        x,
        iterations,
        residual: rr.sqrt(),
        converged,
    }
}

/// Conjugate gradient on an explicit symmetric matrix, A u = g, from a start x₀ and with either
/// stopping rule of the `solver` convention (`shared/spec/profiles.md`): `relative`
/// ‖r‖ ≤ tol·‖g‖ (version 1), or `absolute_squared` ‖r‖² < tol, sb3-contrib's
/// `conjugate_gradient_solver` (`sb3_contrib/common/utils.py`: x = x₀; return x when
/// ‖g − Ax₀‖² < tol; at most `max_iters` updates of x, returning as soon as ‖r‖² < tol). The
/// recurrence is [`conjugate_gradient_loop`], as for version 1's solver. A direction of zero or
/// negative curvature ends the iteration with the current x (the peer would divide by zero
/// there and carry NaN into the step).
pub(crate) fn conjugate_gradient_from<T: Scalar>(
    a: &DMatrix<T>,
    g: &DVector<T>,
    params: &CgParams<T>,
    stop: CgStop,
    start: Option<&DVector<T>>,
) -> Result<(DVector<T>, CgInfo<T>)> {
    let target = match stop {
        CgStop::Relative => params.tol * stable_norm(g),
        CgStop::AbsoluteSquared => params.tol,
    };
    let done = |rr: T| match stop {
        CgStop::Relative => rr.sqrt() <= target,
        CgStop::AbsoluteSquared => rr < target,
    };
    let apply = |p: &DVector<T>| {
        let ap = a * p;
        let curvature = p.dot(&ap);
        (ap, curvature)
    };
    let run = conjugate_gradient_loop(apply, g, start, params.max_iters, done);
    let info = CgInfo {
        iterations: run.iterations,
        residual: run.residual,
        converged: run.converged,
    };
    if params.strict && !info.converged {
        return Err(PgError::NoConvergence {
            iterations: info.iterations,
            detail: format!("conjugate gradient residual ‖r‖ = {}", info.residual),
        });
    }
    finite_scalar(info.residual, "cg_residual")?;
    Ok((finite_result(run.x, "direction")?, info))
}

/// Solves A u = g for A = F + λI, F the explicit symmetric matrix of the `fisher` convention
/// and λ the `damping` convention (F itself is reported as `fisher`): `Exact` by Cholesky (`SingularFisher` when A is not positive definite to working
/// precision), `Damped` with its own λ added, `PseudoInverse` by eigendecomposition, and
/// `ConjugateGradient` from `start` with the `cg_stop` rule ([`conjugate_gradient_from`], its
/// damping added to A). The version-1 path from the score matrix is [`solve_direction`].
pub(crate) fn solve_explicit<T: Scalar>(
    solver: &Solver<T>,
    f: DMatrix<T>,
    damping: T,
    g: &DVector<T>,
    stop: CgStop,
    start: Option<&DVector<T>>,
) -> Result<Direction<T>> {
    let with_damping = |mut m: DMatrix<T>, damping: T| {
        for i in 0..m.nrows() {
            m[(i, i)] += damping;
        }
        m
    };
    let a = with_damping(f.clone(), damping);
    let (direction, cg) = match solver {
        Solver::Exact => (solve_damped(&a, g, T::zero())?, None),
        Solver::Damped { damping } => (solve_damped(&a, g, *damping)?, None),
        Solver::PseudoInverse { rcond } => (solve_pseudo_inverse(&a, g, *rcond)?, None),
        Solver::ConjugateGradient(params) => {
            let damped = with_damping(a.clone(), params.damping);
            let (u, info) = conjugate_gradient_from(&damped, g, params, stop, start)?;
            (u, Some(info))
        }
    };
    Ok(Direction {
        fisher: Some(f),
        direction,
        cg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Par;

    /// Q diag(λ) Qᵀ, symmetrised, with Q orthogonal (nalgebra's QR of a scrambled pattern).
    fn with_eigenvalues(lambda: &[f64]) -> DMatrix<f64> {
        let n = lambda.len();
        let b = DMatrix::from_fn(n, n, |i, j| {
            ((7919 * i + 104_729 * j + i * j) % 1013) as f64 / 1013.0 - 0.5
        });
        let q = b.qr().q();
        let a = &q * DMatrix::from_diagonal(&DVector::from_column_slice(lambda)) * q.transpose();
        (&a + a.transpose()) * 0.5
    }

    /// The eigenvalue rule, computed independently of the solver: nalgebra's full symmetric
    /// eigendecomposition of the same matrix, singular iff λ_min ≤ n·ε·max|λ|.
    fn eigenvalue_rule_says_singular(a: &DMatrix<f64>) -> bool {
        let n = a.nrows() as f64;
        let eig = a.clone().symmetric_eigen().eigenvalues;
        let max = eig.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        eig.min() <= n * f64::EPSILON * max
    }

    /// The exact-solver test carried from issue #15, eigenvalues only near the threshold
    /// (issue #20): at n = 80 (the faer path) matrices whose smallest eigenvalue is c·n·ε·λ_max,
    /// c from 0 to 10⁶, get the verdict of the eigenvalue rule. The Cholesky certificate
    /// decides alone only well above the threshold (c ≥ 10⁴ here, where its bound
    /// 1/tr(F⁻¹) ≥ λ_min/n suffices) and never below 2·n·ε·λ_max.
    #[test]
    fn exact_rank_test_agrees_with_the_eigenvalue_rule_around_the_threshold() {
        let n = 80;
        let threshold = n as f64 * f64::EPSILON;
        let ones = DVector::from_element(n, 1.0);
        let g = DVector::from_fn(n, |i, _| 1.0 + (i % 7) as f64);
        for c in [0.0, 0.5, 0.8, 1.25, 2.0, 4.0, 100.0, 1e4, 1e6] {
            // λ from c·n·ε up to 1, geometrically.
            let low: f64 = c * threshold;
            let lambda: Vec<f64> = (0..n)
                .map(|i| {
                    if i == 0 {
                        low
                    } else {
                        low.max(1e-3).powf(1.0 - i as f64 / (n - 1) as f64)
                    }
                })
                .collect();
            let a = with_eigenvalues(&lambda);
            let expected = eigenvalue_rule_says_singular(&a);
            let got = solve_exact(&a, &ones, &g);
            assert_eq!(
                matches!(got, Err(PgError::SingularFisher { .. })),
                expected,
                "c = {c}: {got:?}"
            );
            let mut factor = a.clone();
            let certified = dense::cholesky_in_place(&mut factor, Par::Seq) == Some(true)
                && rank_certificate(&factor, &ones, &a);
            if c <= 2.0 {
                assert!(!certified, "c = {c}: certified below 2·n·ε·λ_max");
            }
            if c >= 1e4 {
                assert!(
                    certified,
                    "c = {c}: well above the threshold, not certified"
                );
            }
        }
    }

    /// The scaled case: columns with scales 2⁻³⁰…2³⁰ (F̃ = D̃F̂D̃ ≠ F̂) keep the eigenvalue
    /// rule's verdict on F̃, built independently as σᵢσⱼF̂ᵢⱼ/σ²_max.
    #[test]
    fn exact_rank_test_on_scaled_columns_agrees_with_the_eigenvalue_rule() {
        let n = 70;
        let lambda: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        let f_hat = with_eigenvalues(&lambda);
        let g = DVector::from_element(n, 1.0);
        // Scales 2⁻³…2³ keep F̃ well conditioned (κ ≤ 2¹²·70), 2⁻³⁰…2³⁰ make it singular.
        for (span, singular) in [(3, false), (30, true)] {
            let scales = DVector::from_fn(n, |i, _| 2f64.powi((i as i32 % (2 * span + 1)) - span));
            let top = scales.max();
            let f_tilde = DMatrix::from_fn(n, n, |i, j| {
                f_hat[(i, j)] * (scales[i] / top) * (scales[j] / top)
            });
            assert_eq!(eigenvalue_rule_says_singular(&f_tilde), singular);
            let got = solve_exact(&f_hat, &scales, &g);
            assert_eq!(
                matches!(got, Err(PgError::SingularFisher { .. })),
                singular,
                "{span}"
            );
        }
    }

    /// F⁺g from the m × m matrix GGᵀ/m equals F⁺g from nalgebra's eigendecomposition of the
    /// n × n F = GᵀG/m (formed here independently as a sum of outer products), at m = 10 and
    /// 60 trajectories of n = 100 parameters; and it declines m ≥ n.
    #[test]
    fn pseudo_inverse_from_scores_equals_the_one_from_f() {
        let n = 100;
        for m in [10, 60] {
            // Scrambled scores (benches/common/inputs.rs): full row rank, κ(GGᵀ) moderate.
            let g = DMatrix::from_fn(m, n, |i, j| {
                ((7919 * i + 104_729 * j + i * j) % 1013) as f64 / 1013.0 - 0.5
            });
            let grad = DVector::from_fn(n, |j, _| (j as f64 * 0.11).cos());
            let f = g
                .row_iter()
                .fold(DMatrix::zeros(n, n), |acc, r| acc + r.transpose() * r)
                / m as f64;
            let eig = f.clone().symmetric_eigen();
            let max = eig.eigenvalues.amax();
            let mut expected = DVector::zeros(n);
            for (i, lambda) in eig.eigenvalues.iter().enumerate() {
                if lambda.abs() > 1e-12 * max {
                    let q = eig.eigenvectors.column(i);
                    expected += q * (q.dot(&grad) / lambda);
                }
            }
            let got = pseudo_inverse_from_scores(&g, &grad, 1e-12)
                .expect("m < n, f64")
                .expect("converges");
            assert!(
                (&got - &expected).amax() <= 1e-8 * expected.amax(),
                "m = {m}: {:e}",
                (&got - &expected).amax() / expected.amax()
            );
        }
        let tall = DMatrix::from_fn(120, n, |i, j| ((i * j) as f64).sin());
        assert!(pseudo_inverse_from_scores(&tall, &DVector::from_element(n, 1.0), 1e-12).is_none());
    }
}
