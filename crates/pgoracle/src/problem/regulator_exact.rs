//! Exact moments of the simple regulator (Appendix F.5, untruncated) under the linear
//! Gaussian policy a ~ N(θ₁ s, θ₂²): the true utility U(θ), its gradient ∇U(θ) and the
//! trajectory Fisher matrix F_θ of Eq. 12.10, in closed form.

use nalgebra::{DMatrix, DVector, dmatrix, dvector};

use super::simple_regulator::{REGULATOR_INITIAL_MEAN, REGULATOR_STD};
use crate::error::{PgError, Result};
use crate::policy::{LinearGaussian, Policy};
use crate::scalar::{check_discount, finite_matrix, finite_result, finite_scalar};

/// U(θ), ∇U(θ), F_θ and the natural direction F_θ⁻¹∇U(θ) for rollouts of depth d.
#[derive(Debug, Clone, PartialEq)]
pub struct RegulatorMoments {
    /// U(θ) = −Σ_{k=1}^{d} γ^(k−1) v_k, with v_k = E\[s_k²\].
    pub utility: f64,
    /// ∇U(θ) = −Σ_k γ^(k−1) ∇v_k.
    pub gradient: DVector<f64>,
    /// F_θ = E[∇log p(τ) ∇log p(τ)ᵀ] = diag(Σ_k v_k / θ₂², 2d / θ₂²) (Eq. 12.10).
    pub fisher: DMatrix<f64>,
    /// u = F_θ⁻¹ ∇U(θ) (Eq. 12.13) = [θ₂² ∂U/∂θ₁ / Σ_k v_k, θ₂² ∂U/∂θ₂ / (2d)].
    pub natural_direction: DVector<f64>,
}

/// The regulator's exact moments under a ~ N(θ₁ s, θ₂²), depth d ≥ 1, discount γ.
///
/// With c = (1 + θ₁)² and q = θ₂² + 0.1², the state obeys s_{k+1} = (1 + θ₁) s_k + θ₂ z_k +
/// 0.1 z′_k (z, z′ independent standard normals), so v_k = E\[s_k²\] satisfies
///
/// v₁ = 0.3² + 0.1² = 0.1, v_{k+1} = c v_k + q,
/// ∂v_{k+1}/∂θ₁ = 2(1 + θ₁) v_k + c ∂v_k/∂θ₁, ∂v_{k+1}/∂θ₂ = c ∂v_k/∂θ₂ + 2θ₂,
///
/// and U = −Σ_{k=1}^{d} γ^(k−1) v_k (rewards r_k = −s_k², Appendix F.5). The score of one step
/// is [(a − θ₁s)s/θ₂², ((a − θ₁s)² − θ₂²)/θ₂³]; its conditional second moments are s²/θ₂²,
/// 0 and 2/θ₂², and scores of different steps are uncorrelated, which gives F_θ. The package's
/// truncation of s′ to [−10, 10] is not modelled (it changes v_k only where states reach ±10).
///
/// # Errors
/// `InvalidParameter` for d = 0, γ ∉ [0, 1] or θ₂ ≤ 0; `NonFiniteInput`, `DimensionMismatch`
/// for θ; `NonFiniteResult` when the moments overflow (|1 + θ₁| far above 1).
pub fn regulator_moments(theta: &DVector<f64>, d: usize, gamma: f64) -> Result<RegulatorMoments> {
    Policy::<f64>::check_theta(&LinearGaussian, theta, "theta")?;
    check_discount(gamma)?;
    if d == 0 {
        return Err(PgError::InvalidParameter {
            field: "d".into(),
            reason: "must be ≥ 1".into(),
        });
    }
    let (lambda, sigma) = (theta[0], theta[1]);
    let c = (1.0 + lambda) * (1.0 + lambda);
    let q = sigma * sigma + REGULATOR_STD * REGULATOR_STD;
    let mut v = REGULATOR_INITIAL_MEAN * REGULATOR_INITIAL_MEAN + REGULATOR_STD * REGULATOR_STD;
    let (mut dv_lambda, mut dv_sigma) = (0.0, 0.0);
    let (mut utility, mut g_lambda, mut g_sigma, mut sum_v) = (0.0, 0.0, 0.0, 0.0);
    let mut discount = 1.0;
    for _ in 0..d {
        utility -= discount * v;
        g_lambda -= discount * dv_lambda;
        g_sigma -= discount * dv_sigma;
        sum_v += v;
        discount *= gamma;
        let next_dv_lambda = 2.0 * (1.0 + lambda) * v + c * dv_lambda;
        dv_sigma = c * dv_sigma + 2.0 * sigma;
        dv_lambda = next_dv_lambda;
        v = c * v + q;
    }
    let s2 = sigma * sigma;
    let n = d as f64;
    Ok(RegulatorMoments {
        utility: finite_scalar(utility, "utility")?,
        gradient: finite_result(dvector![g_lambda, g_sigma], "gradient")?,
        fisher: finite_matrix(dmatrix![sum_v / s2, 0.0; 0.0, 2.0 * n / s2], "fisher")?,
        natural_direction: finite_result(
            dvector![s2 * g_lambda / sum_v, s2 * g_sigma / (2.0 * n)],
            "natural_direction",
        )?,
    })
}
