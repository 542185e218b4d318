//! The linear Gaussian policy a ~ N(θ₁ s, θ₂²) of the simple regulator (Appendix F.5).

use super::LinearMean;
use crate::scalar::Scalar;

/// π_θ(a | s) = N(a; λ s, σ²), θ = [λ, σ], σ > 0. The optimum on the simple regulator is
/// θ = [−1, 0] (a = −s), the boundary of the domain.
///
/// ∂/∂λ log π = (a − λs) s / σ², ∂/∂σ log π = ((a − λs)² − σ²)/σ³.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinearGaussian;

impl LinearMean for LinearGaussian {
    /// x(s) = s: the mean is θ₁ s.
    fn feature<T: Scalar>(&self, s: T) -> T {
        s
    }
}
