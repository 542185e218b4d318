//! The univariate normal density N(m, σ²) shared by the Gaussian policy families.

use crate::scalar::{Scalar, lit};

/// log N(a; m, σ²) = −½((a − m)/σ)² − log σ − ½ log 2π.
pub(crate) fn log_pdf<T: Scalar>(a: T, m: T, sigma: T) -> T {
    let z = (a - m) / sigma;
    -lit::<T>(0.5) * z * z - sigma.ln() - lit::<T>(0.5) * T::two_pi().ln()
}

/// [∂/∂m, ∂/∂σ] log N(a; m, σ²) = [(a − m)/σ², ((a − m)² − σ²)/σ³] (Example 11.3),
/// evaluated as [z/σ, (z² − 1)/σ] with z = (a − m)/σ so that σ² and σ³ never overflow or
/// underflow on their own (σ = 10⁻¹²⁰ gives ∂/∂σ = −10¹²⁰ at a = m, not ∞).
pub(crate) fn grad_log_pdf<T: Scalar>(a: T, m: T, sigma: T) -> (T, T) {
    let z = (a - m) / sigma;
    (z / sigma, (z * z - T::one()) / sigma)
}

/// D_KL(N(m, σ²) ‖ N(m′, σ′²)) = log(σ′/σ) + (σ² + (m − m′)²)/(2σ′²) − ½.
///
/// Evaluated as ½(δ(2 + δ) − 2 log1p(δ)) + ½((m − m′)/σ′)² with δ = (σ − σ′)/σ′, which is the
/// same expression (σ/σ′ = 1 + δ) but keeps relative accuracy when σ ≈ σ′.
pub(crate) fn kl<T: Scalar>(m: T, sigma: T, m_prime: T, sigma_prime: T) -> T {
    let delta = (sigma - sigma_prime) / sigma_prime;
    let z = (m - m_prime) / sigma_prime;
    let half = lit::<T>(0.5);
    half * (delta * (lit::<T>(2.0) + delta) - lit::<T>(2.0) * delta.ln_1p()) + half * z * z
}
