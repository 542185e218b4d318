//! The Gaussian policy a ~ N(θ₁, θ₂²) of Example 11.3, used by Example 12.1; s is ignored.

use nalgebra::DVector;

use super::{Policy, check_mean_std_theta, normal};
use crate::error::Result;
use crate::scalar::{Scalar, check_finite};

/// π_θ(a | s) = N(a; θ₁, θ₂²), θ = [μ, σ], σ > 0. The state is a real number and ignored.
///
/// ∂/∂θ₁ log π = (a − θ₁)/θ₂², ∂/∂θ₂ log π = ((a − θ₁)² − θ₂²)/θ₂³ (Example 12.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gaussian;

impl<T: Scalar> Policy<T> for Gaussian {
    type State = T;
    type Action = T;

    fn n_params(&self) -> usize {
        2
    }

    fn check_theta(&self, theta: &DVector<T>, field: &str) -> Result<()> {
        check_mean_std_theta(theta, field)
    }

    fn check_step(&self, s: &T, a: &T, field: &str) -> Result<()> {
        check_finite(*s, &format!("{field}.s"))?;
        check_finite(*a, &format!("{field}.a"))
    }

    fn log_density(&self, theta: &DVector<T>, a: &T, _s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        Ok(normal::log_pdf(*a, theta[0], theta[1]))
    }

    fn grad_log_density(&self, theta: &DVector<T>, a: &T, _s: &T) -> Result<DVector<T>> {
        check_mean_std_theta(theta, "theta")?;
        let (dm, ds) = normal::grad_log_pdf(*a, theta[0], theta[1]);
        Ok(DVector::from_vec(vec![dm, ds]))
    }

    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, _s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        check_mean_std_theta(theta_prime, "theta_prime")?;
        Ok(normal::kl(
            theta[0],
            theta[1],
            theta_prime[0],
            theta_prime[1],
        ))
    }
}
