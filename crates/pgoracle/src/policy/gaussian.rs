//! The Gaussian policy a ~ N(θ₁, θ₂²) of Example 11.3, used by Example 12.1; s is ignored.

use super::LinearMean;
use crate::scalar::Scalar;

/// π_θ(a | s) = N(a; θ₁, θ₂²), θ = [μ, σ], σ > 0. The state is a real number and ignored.
///
/// ∂/∂θ₁ log π = (a − θ₁)/θ₂², ∂/∂θ₂ log π = ((a − θ₁)² − θ₂²)/θ₂³ (Example 12.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gaussian;

impl LinearMean for Gaussian {
    /// x(s) = 1: the mean is θ₁.
    fn feature<T: Scalar>(&self, _s: T) -> T {
        T::one()
    }
}
