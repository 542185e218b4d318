//! Parameterized policies π_θ(a | s): the quantities Chapter 12 needs from a policy.
//!
//! | method | quantity | used by |
//! |---|---|---|
//! | [`Policy::log_density`] | log π_θ(a∣s) | likelihood ratios (Alg. 12.5, 12.6) |
//! | [`Policy::grad_log_density`] | ∇_θ log π_θ(a∣s) | ∇log p(τ) (Algs. 12.3–12.5) |
//! | [`Policy::density`] | π_θ(a∣s) | `p(θ, a, s)` (Alg. 12.5, 12.6) |
//! | [`Policy::log_ratio`] | log π_θ′(a∣s) − log π_θ(a∣s) | likelihood ratios w (Eqs. 12.18, 12.22) |
//! | [`Policy::kl`] | D_KL(π_θ(·∣s) ‖ π_θ′(·∣s)) | surrogate constraint (Eq. 12.19) |
//! | [`Policy::fisher_information`] | E_a[∇log π ∇log πᵀ] at s | the `kl_hessian` Fisher (profiles) |
//!
//! Four families, as in the oracle interface: [`Gaussian`] (Examples 11.3 and 12.1),
//! [`LinearGaussian`] (simple regulator, Appendix F.5), [`Softmax`] (tabular), and version 2's
//! [`GaussianLogStd`] (θ = [μ, log σ], the peers' parameterisation).

mod gaussian;
mod gaussian_log_std;
mod linear_gaussian;
pub(crate) mod normal;
mod softmax;

pub use gaussian::Gaussian;
pub use gaussian_log_std::GaussianLogStd;
pub use linear_gaussian::LinearGaussian;
pub use softmax::Softmax;

use nalgebra::{DMatrix, DVector};

use crate::error::{PgError, Result};
use crate::scalar::{
    Scalar, check_finite, check_finite_vec, check_len, finite_matrix, finite_result, finite_scalar,
};

/// A parameterized stochastic policy π_θ(a | s).
pub trait Policy<T: Scalar> {
    /// State type s.
    type State: Clone + std::fmt::Debug;
    /// Action type a.
    type Action: Clone + std::fmt::Debug;

    /// Number of parameters, the length of θ.
    fn n_params(&self) -> usize;

    /// Checks θ: its length, finiteness and the family's domain (σ > 0 for the Gaussians).
    fn check_theta(&self, theta: &DVector<T>, field: &str) -> Result<()>;

    /// Checks one step's state and action (finite reals, or indices inside the table).
    /// `field` names the step (`trajectories[i][k]`); it is called only to build an error,
    /// so the check costs no formatting on valid input.
    fn check_step<F: Fn() -> String>(
        &self,
        s: &Self::State,
        a: &Self::Action,
        field: F,
    ) -> Result<()>;

    /// log π_θ(a | s), after checking θ.
    fn log_density(&self, theta: &DVector<T>, a: &Self::Action, s: &Self::State) -> Result<T>;

    /// ∇_θ log π_θ(a | s), after checking θ.
    fn grad_log_density(
        &self,
        theta: &DVector<T>,
        a: &Self::Action,
        s: &Self::State,
    ) -> Result<DVector<T>>;

    /// D_KL(π_θ(·|s) ‖ π_θ′(·|s)), after checking θ and θ′. The three families evaluate it
    /// from θ′ − θ as a sum of non-negative terms: never negative, within (8 + n)u (softmax)
    /// or 8u (Gaussian) of the exact value (issue #16, items 1 and 4).
    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, s: &Self::State) -> Result<T>;

    /// The Fisher information of π_θ(·|s) with respect to θ, E_a[∇log π ∇log πᵀ]: the Hessian
    /// at θ′ = θ of D_KL(π_θ′(·|s) ‖ π_θ(·|s)) (and of D_KL(π_θ ‖ π_θ′), the same matrix), which
    /// the `kl_hessian` Fisher convention averages over samples (sb3-contrib's
    /// `hessian_vector_product`, `sb3_contrib/trpo/trpo.py`). After checking θ and s.
    fn fisher_information(&self, theta: &DVector<T>, s: &Self::State) -> Result<DMatrix<T>>;

    /// π_θ(a | s) = exp log π_θ(a | s) (may underflow to 0 for far-out actions).
    fn density(&self, theta: &DVector<T>, a: &Self::Action, s: &Self::State) -> Result<T> {
        Ok(self.log_density(theta, a, s)?.exp())
    }

    /// The log likelihood ratio log w = log π_θ′(a | s) − log π_θ(a | s), after checking θ and
    /// θ′ (the likelihood ratio w of Eqs. 12.18 and 12.22 is its exponential).
    ///
    /// The default subtracts two log-densities, which loses their size times u: ½z²·u for a
    /// far-tail Gaussian action, |log π|·u for a rare softmax action. [`Gaussian`],
    /// [`LinearGaussian`] and [`Softmax`] override it with forms built on θ′ − θ, accurate to a
    /// few ulps of the condition of log w (issue #16, items 2 and 3).
    ///
    /// # Errors
    /// `ZeroProbability` when log π_θ(a | s) = −∞ (π_θ(a | s) = 0 even in log space: the ratio
    /// is undefined), and the policy's θ and step checks.
    fn log_ratio(
        &self,
        theta: &DVector<T>,
        theta_prime: &DVector<T>,
        a: &Self::Action,
        s: &Self::State,
    ) -> Result<T> {
        let log_p = self.log_density(theta, a, s)?;
        if !log_p.is_finite() {
            return Err(PgError::ZeroProbability {
                field: "p(theta, a, s)".into(),
            });
        }
        Ok(self.log_density(theta_prime, a, s)? - log_p)
    }
}

/// Shared θ check for the two-parameter Gaussian families: length 2, finite, σ = θ₂ > 0.
pub(crate) fn check_mean_std_theta<T: Scalar>(theta: &DVector<T>, field: &str) -> Result<()> {
    check_len(theta, 2, field)?;
    check_finite_vec(theta, field)?;
    if theta[1] > T::zero() {
        Ok(())
    } else {
        Err(PgError::invalid(
            format!("{field}[1]"),
            format!("σ must be > 0, got {}", theta[1]),
        ))
    }
}

/// The two Gaussian families, a ~ N(θ₁ x(s), θ₂²) with θ = [θ₁, σ], σ > 0: [`Gaussian`]
/// (x(s) = 1) and [`LinearGaussian`] (x(s) = s). Every such family is a [`Policy`] with
///
/// ∇log π = [(a − m) x(s)/σ², ((a − m)² − σ²)/σ³], m = θ₁ x(s), and the closed-form KL of two
/// normals, each in the forward-accurate form of `normal.rs` (issue #16, items 3–5): the
/// score without σ³ or z² overflowing, the KL as ½ψ(σ/σ′) + ½((θ₁ − θ₁′)x/σ′)² with
/// ψ(ρ) = ρ² − 1 − 2 ln ρ ≥ 0 (≤ 8u relative), and log w = ln(σ/σ′) − ½(z′ − z)(z′ + z) with
/// z′ − z formed without cancellation.
pub trait LinearMean {
    /// The feature x(s) that multiplies θ₁ in the mean.
    fn feature<T: Scalar>(&self, s: T) -> T;
}

impl<T: Scalar, L: LinearMean> Policy<T> for L {
    type State = T;
    type Action = T;

    fn n_params(&self) -> usize {
        2
    }

    fn check_theta(&self, theta: &DVector<T>, field: &str) -> Result<()> {
        check_mean_std_theta(theta, field)
    }

    fn check_step<F: Fn() -> String>(&self, s: &T, a: &T, field: F) -> Result<()> {
        for (x, part) in [(s, "s"), (a, "a")] {
            if !x.is_finite() {
                return Err(PgError::NonFiniteInput {
                    field: format!("{}.{part}", field()),
                });
            }
        }
        Ok(())
    }

    fn log_density(&self, theta: &DVector<T>, a: &T, s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        self.check_step(s, a, || "step".to_string())?;
        Ok(normal::log_pdf(*a, theta[0] * self.feature(*s), theta[1]))
    }

    fn grad_log_density(&self, theta: &DVector<T>, a: &T, s: &T) -> Result<DVector<T>> {
        check_mean_std_theta(theta, "theta")?;
        self.check_step(s, a, || "step".to_string())?;
        let x = self.feature(*s);
        let (d_theta1, d_sigma) = normal::grad_log_pdf(*a, theta[0], theta[1], x);
        finite_result(
            DVector::from_vec(vec![d_theta1, d_sigma]),
            "grad_log_density",
        )
    }

    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        check_mean_std_theta(theta_prime, "theta_prime")?;
        check_finite(*s, "s")?;
        let x = self.feature(*s);
        let kl = normal::kl(theta[0], theta[1], theta_prime[0], theta_prime[1], x);
        finite_scalar(kl, "kl")
    }

    /// diag(x²/σ², 2/σ²): ∂/∂θ₁ log π = z·x/σ and ∂/∂σ log π = (z² − 1)/σ have variances
    /// x²/σ² and 2/σ², and are uncorrelated (E z³ = 0).
    fn fisher_information(&self, theta: &DVector<T>, s: &T) -> Result<DMatrix<T>> {
        check_mean_std_theta(theta, "theta")?;
        check_finite(*s, "s")?;
        let x_over_sigma = self.feature(*s) / theta[1];
        let inv = T::one() / theta[1];
        let mut f = DMatrix::zeros(2, 2);
        f[(0, 0)] = x_over_sigma * x_over_sigma;
        f[(1, 1)] = (inv + inv) * inv;
        finite_matrix(f, "fisher_information")
    }

    fn log_ratio(&self, theta: &DVector<T>, theta_prime: &DVector<T>, a: &T, s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        check_mean_std_theta(theta_prime, "theta_prime")?;
        self.check_step(s, a, || "step".to_string())?;
        let x = self.feature(*s);
        normal::log_ratio(*a, theta[0], theta[1], theta_prime[0], theta_prime[1], x)
    }
}
