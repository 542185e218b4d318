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
use crate::error::{PgError, Result};
use crate::fisher::{fisher_from_score_matrix, fisher_vector_product};
use crate::limits::MAX_ITERATIONS;
use crate::scalar::{Scalar, check_nonnegative, check_positive, finite_scalar, lit, stable_norm};
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
/// Only the matrix solvers form F = GᵀG/m.
pub(crate) fn solve_direction<T: Scalar>(
    solver: &Solver<T>,
    g_mat: &DMatrix<T>,
    grad: &DVector<T>,
) -> Result<Direction<T>> {
    let with_matrix = |solve: &dyn Fn(&DMatrix<T>) -> Result<DVector<T>>| {
        let f = fisher_from_score_matrix(g_mat)?;
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
                });
            }
            with_matrix(&|f| solve_exact(f, grad))
        }
        Solver::Damped { damping } => with_matrix(&|f| solve_damped(f, grad, *damping)),
        Solver::PseudoInverse { rcond } => with_matrix(&|f| solve_pseudo_inverse(f, grad, *rcond)),
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

/// Iteration cap for the eigen and singular value decompositions (nalgebra's default is
/// unbounded).
fn max_sweeps(n: usize) -> usize {
    1000 + 100 * n
}

/// The symmetric eigendecomposition of F with a bounded number of sweeps (nalgebra's
/// eigenvalues-only call has no bound, and an unbounded loop is what the oracle must never do).
/// The exact solver uses only the eigenvalues (issue #20 replaces this test for f32/f64).
fn symmetric_eigen<T: Scalar>(f: &DMatrix<T>) -> Result<SymmetricEigen<T, Dyn>> {
    let n = f.nrows();
    f.clone()
        .try_symmetric_eigen(epsilon::<T>(), max_sweeps(n))
        .ok_or_else(|| PgError::NoConvergence {
            iterations: max_sweeps(n),
            detail: "symmetric eigendecomposition of F".into(),
        })
}

/// u with F u = g (Solver::Exact). `f` is symmetric positive semidefinite.
fn solve_exact<T: Scalar>(f: &DMatrix<T>, g: &DVector<T>) -> Result<DVector<T>> {
    let n = f.nrows();
    let eig = symmetric_eigen(f)?.eigenvalues;
    let max = eig.iter().fold(T::zero(), |m, x| m.max(x.abs()));
    let min = eig.iter().fold(max, |m, x| m.min(*x));
    let threshold = lit::<T>(n as f64) * epsilon::<T>() * max;
    if max == T::zero() || min <= threshold {
        return Err(PgError::SingularFisher {
            reason: format!(
                "smallest eigenvalue {min} ≤ n·ε·λ_max = {threshold} (λ_max = {max}); \
                 use the damped, pseudo_inverse or conjugate_gradient solver"
            ),
        });
    }
    let u = match cholesky_solve(f.clone(), g) {
        Some(u) => u,
        None => f
            .clone()
            .lu()
            .solve(g)
            .ok_or_else(|| PgError::SingularFisher {
                reason: "LU factorisation found a zero pivot".into(),
            })?,
    };
    if u.iter().all(|x| x.is_finite()) {
        Ok(u)
    } else {
        Err(PgError::SingularFisher {
            reason: "the direct solve produced a non-finite direction".into(),
        })
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
    let eig = symmetric_eigen(f)?;
    let sigma_max = eig
        .eigenvalues
        .iter()
        .fold(T::zero(), |m, x| m.max(x.abs()));
    let cut = rcond * sigma_max;
    let mut coeffs = eig.eigenvectors.tr_mul(g);
    for (c, lambda) in coeffs.iter_mut().zip(eig.eigenvalues.iter()) {
        *c = if lambda.abs() > cut && *lambda != T::zero() {
            *c / *lambda
        } else {
            T::zero()
        };
    }
    Ok(&eig.eigenvectors * coeffs)
}

/// Conjugate gradient on (GᵀG/m + λI) u = g from u₀ = 0 (Solver::ConjugateGradient).
/// Stops when ‖r‖ ≤ tol·‖g‖, after `max_iters` iterations, or at a direction of zero
/// curvature pᵀ(F + λI)p ≤ 0.
fn solve_cg<T: Scalar>(
    g_mat: &DMatrix<T>,
    g: &DVector<T>,
    params: &CgParams<T>,
) -> Result<(DVector<T>, CgInfo<T>)> {
    let apply = |v: &DVector<T>| fisher_vector_product(g_mat, v) + v * params.damping;
    let target = params.tol * stable_norm(g);
    let mut u = DVector::zeros(g.len());
    let mut r = g.clone();
    let mut p = r.clone();
    let mut rr = r.dot(&r);
    let mut residual = rr.sqrt();
    let mut iterations = 0;
    let mut converged = residual <= target;
    while !converged && iterations < params.max_iters {
        let ap = apply(&p);
        let curvature = p.dot(&ap);
        if curvature <= T::zero() || !curvature.is_finite() {
            break;
        }
        let step = rr / curvature;
        u += &p * step;
        r -= &ap * step;
        let rr_next = r.dot(&r);
        iterations += 1;
        residual = rr_next.sqrt();
        converged = residual <= target;
        p = &r + &p * (rr_next / rr);
        rr = rr_next;
    }
    let info = CgInfo {
        iterations,
        residual,
        converged,
    };
    if params.strict && !converged {
        return Err(PgError::NoConvergence {
            iterations,
            detail: format!("conjugate gradient residual ‖r‖ = {residual}"),
        });
    }
    // On an extremely ill-conditioned F the rounded recurrence can diverge until ‖r‖ overflows;
    // a result never carries a non-finite number. Found by fuzzing
    // (`fuzz_regressions::conjugate_gradient_residual_that_overflows`).
    finite_scalar(info.residual, "cg_residual")?;
    Ok((u, info))
}
