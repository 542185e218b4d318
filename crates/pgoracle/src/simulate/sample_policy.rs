//! Sampling an action a ~ π_θ(· ∣ s), which `simulate` needs (`πθ(s)` in Algorithms 12.3–12.6).

use nalgebra::DVector;
use rand::Rng;
use rand::distr::Distribution;
use statrs::distribution::{Categorical, Normal};

use crate::error::{PgError, Result};
use crate::policy::{LinearMean, Policy, Softmax};
use crate::scalar::finite_scalar;

/// A policy that can draw its action, a ~ π_θ(· ∣ s), in f64.
///
/// Draws use statrs' distributions with the caller's random number generator, so a seeded
/// generator gives the same actions on every run.
pub trait SamplePolicy: Policy<f64> {
    /// One draw a ~ π_θ(· ∣ s), after checking θ and s.
    ///
    /// # Errors
    /// The policy's θ checks (`DimensionMismatch`, `NonFiniteInput`, `InvalidParameter`),
    /// `NonFiniteInput` or `DimensionMismatch` for the state, `NonFiniteResult` when the mean
    /// overflows.
    fn sample_action<R: Rng + ?Sized>(
        &self,
        theta: &DVector<f64>,
        s: &Self::State,
        rng: &mut R,
    ) -> Result<Self::Action>;
}

/// The Gaussian families a ~ N(θ₁ x(s), θ₂²) (Example 11.3 with x(s) = 1, the simple
/// regulator's policy with x(s) = s): a = θ₁ x(s) + θ₂ z with z drawn by statrs'
/// `Normal::new(θ₁ x(s), θ₂)`.
impl<L: LinearMean> SamplePolicy for L {
    fn sample_action<R: Rng + ?Sized>(
        &self,
        theta: &DVector<f64>,
        s: &f64,
        rng: &mut R,
    ) -> Result<f64> {
        self.check_theta(theta, "theta")?;
        crate::scalar::check_finite(*s, "s")?;
        let mean = finite_scalar(theta[0] * self.feature(*s), "θ₁ x(s)")?;
        let normal = Normal::new(mean, theta[1]).map_err(|e| PgError::InvalidParameter {
            field: "theta[1]".into(),
            reason: e.to_string(),
        })?;
        finite_scalar(normal.sample(rng), "a")
    }
}

/// The tabular softmax: a drawn from the categorical distribution
/// π_θ(b ∣ s) = exp θ\[s,b\] / Σ_c exp θ\[s,c\], b = 0, …, n_actions − 1, by statrs'
/// `Categorical`.
impl SamplePolicy for Softmax {
    fn sample_action<R: Rng + ?Sized>(
        &self,
        theta: &DVector<f64>,
        s: &usize,
        rng: &mut R,
    ) -> Result<usize> {
        self.check_theta(theta, "theta")?;
        let probs = (0..self.n_actions())
            .map(|b| self.density(theta, &b, s))
            .collect::<Result<Vec<f64>>>()?;
        let categorical = Categorical::new(&probs).map_err(|e| PgError::InvalidParameter {
            field: "theta".into(),
            reason: format!("π_θ(· | s) is not a distribution: {e}"),
        })?;
        Ok(categorical.sample(rng))
    }
}
