//! The Gaussian policy parameterised by its log standard deviation, θ = [μ, log σ]: the
//! `gaussian_log_std` family of interface version 2 (`shared/spec/profiles.md`), SB3's
//! diagonal Gaussian with a state-independent `log_std` and a bias-only mean
//! (`stable_baselines3/common/distributions.py`, `DiagGaussianDistribution`).

use nalgebra::{DMatrix, DVector};

use super::{Policy, normal};
use crate::error::{PgError, Result};
use crate::scalar::{Scalar, check_finite, check_finite_vec, check_len, finite_result, lit};

/// π_θ(a | s) = N(a; μ, σ²), θ = [μ, ℓ], σ = e^ℓ; the state is a real number and ignored.
///
/// log π = −½z² − ℓ − ½ log 2π, z = (a − μ)/σ;
/// ∂/∂μ log π = z/σ, ∂/∂ℓ log π = z² − 1 (= σ·∂/∂σ of the [μ, σ] family);
/// D_KL(π_θ ‖ π_θ′) = ½ψ(ρ) + ½((μ − μ′)/σ′)², ρ = σ/σ′, ln ρ = ℓ − ℓ′ exactly;
/// Fisher information diag(1/σ², 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GaussianLogStd;

/// σ = e^ℓ after checking θ: length 2, finite, and e^ℓ a positive finite number.
fn sigma<T: Scalar>(theta: &DVector<T>, field: &str) -> Result<T> {
    check_len(theta, 2, field)?;
    check_finite_vec(theta, field)?;
    let sigma = theta[1].exp();
    if sigma > T::zero() && sigma.is_finite() {
        Ok(sigma)
    } else {
        Err(PgError::invalid(
            format!("{field}[1]"),
            format!(
                "σ = exp(log σ) must be a positive finite number, got exp({})",
                theta[1]
            ),
        ))
    }
}

impl<T: Scalar> Policy<T> for GaussianLogStd {
    type State = T;
    type Action = T;

    fn n_params(&self) -> usize {
        2
    }

    fn check_theta(&self, theta: &DVector<T>, field: &str) -> Result<()> {
        sigma(theta, field).map(|_| ())
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
        let sigma = sigma(theta, "theta")?;
        self.check_step(s, a, || "step".to_string())?;
        let z = (*a - theta[0]) / sigma;
        let half = lit::<T>(0.5);
        Ok(-(half * z) * z - theta[1] - half * (T::two_pi()).ln())
    }

    fn grad_log_density(&self, theta: &DVector<T>, a: &T, s: &T) -> Result<DVector<T>> {
        let sigma = sigma(theta, "theta")?;
        self.check_step(s, a, || "step".to_string())?;
        // The [μ, σ] family's accurate score, then ∂/∂ℓ = σ·∂/∂σ = (z − 1)(z + 1).
        let (d_mu, d_sigma) = normal::grad_log_pdf(*a, theta[0], sigma, T::one());
        finite_result(
            DVector::from_vec(vec![d_mu, d_sigma * sigma]),
            "grad_log_density",
        )
    }

    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, s: &T) -> Result<T> {
        let sigma_p = sigma(theta, "theta")?;
        let sigma_q = sigma(theta_prime, "theta_prime")?;
        check_finite(*s, "s")?;
        let l = theta[1] - theta_prime[1];
        let kl =
            normal::kl_given_ln_ratio([theta[0], sigma_p], [theta_prime[0], sigma_q], T::one(), l);
        crate::scalar::finite_scalar(kl, "kl")
    }

    fn log_ratio(&self, theta: &DVector<T>, theta_prime: &DVector<T>, a: &T, s: &T) -> Result<T> {
        let sigma_p = sigma(theta, "theta")?;
        let sigma_q = sigma(theta_prime, "theta_prime")?;
        self.check_step(s, a, || "step".to_string())?;
        let l = theta[1] - theta_prime[1];
        normal::log_ratio_given_ln_ratio(
            *a,
            [theta[0], sigma_p],
            [theta_prime[0], sigma_q],
            T::one(),
            l,
        )
    }

    fn fisher_information(&self, theta: &DVector<T>, _s: &T) -> Result<DMatrix<T>> {
        let sigma = sigma(theta, "theta")?;
        let inv = T::one() / sigma;
        let mut f = DMatrix::zeros(2, 2);
        f[(0, 0)] = inv * inv;
        f[(1, 1)] = lit(2.0);
        crate::scalar::finite_matrix(f, "fisher_information")
    }
}
