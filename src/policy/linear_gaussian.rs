//! The linear Gaussian policy a ~ N(θ₁ s, θ₂²) of the simple regulator (Appendix F.5).

use nalgebra::DVector;

use super::{Policy, check_mean_std_theta, normal};
use crate::error::Result;
use crate::scalar::{Scalar, check_finite};

/// π_θ(a | s) = N(a; λ s, σ²), θ = [λ, σ], σ > 0. The optimum on the simple regulator is
/// θ = [−1, 0] (a = −s), the boundary of the domain.
///
/// ∂/∂λ log π = (a − λs) s / σ², ∂/∂σ log π = ((a − λs)² − σ²)/σ³.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinearGaussian;

impl<T: Scalar> Policy<T> for LinearGaussian {
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

    fn log_density(&self, theta: &DVector<T>, a: &T, s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        Ok(normal::log_pdf(*a, theta[0] * *s, theta[1]))
    }

    fn grad_log_density(&self, theta: &DVector<T>, a: &T, s: &T) -> Result<DVector<T>> {
        check_mean_std_theta(theta, "theta")?;
        let (dm, ds) = normal::grad_log_pdf(*a, theta[0] * *s, theta[1]);
        Ok(DVector::from_vec(vec![dm * *s, ds]))
    }

    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, s: &T) -> Result<T> {
        check_mean_std_theta(theta, "theta")?;
        check_mean_std_theta(theta_prime, "theta_prime")?;
        Ok(normal::kl(
            theta[0] * *s,
            theta[1],
            theta_prime[0] * *s,
            theta_prime[1],
        ))
    }
}
