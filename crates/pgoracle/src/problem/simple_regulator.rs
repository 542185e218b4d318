//! The simple regulator of Appendix F.5.

use rand::Rng;
use rand::distr::{Distribution, Uniform};
use statrs::distribution::{ContinuousCDF, Normal};

use super::Mdp;
use crate::error::{PgError, Result};
use crate::scalar::{check_discount, check_finite, finite_scalar};

/// Standard deviation 0.1 of the regulator's transition noise and of its initial state.
pub(super) const REGULATOR_STD: f64 = 0.1;
/// Mean 0.3 of the regulator's initial state.
pub(super) const REGULATOR_INITIAL_MEAN: f64 = 0.3;
/// The bound 10 of the package's truncation of s′ to [−10, 10].
const REGULATOR_TRUNCATION: f64 = 10.0;

/// The simple regulator of Appendix F.5 (`LqrMDP` in DecisionMakingProblems.jl): one real
/// state and one real action,
///
/// s₁ ~ N(0.3, 0.1²), s′ ~ N(s + a, 0.1²), R(s, a) = −s², γ = 1 by default.
///
/// Optionally ([`SimpleRegulator::truncated`]) the successor is drawn, as the package does
/// ("to prevent going off to infinity with poor policies"), from the normal N(s + a, 0.1²)
/// *truncated* to [−10, 10] (conditioned on the interval, `Truncated(Normal(s + a, 0.1), −10,
/// 10)` in Julia), which the book's text does not mention. pgoracle's default is the book's
/// definition, without truncation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimpleRegulator {
    gamma: f64,
    truncate: bool,
}

impl SimpleRegulator {
    /// The regulator with discount γ ∈ [0, 1] and no truncation.
    ///
    /// # Errors
    /// `InvalidParameter` (or `NonFiniteInput`) for γ ∉ [0, 1].
    pub fn new(gamma: f64) -> Result<Self> {
        check_discount(gamma)?;
        Ok(SimpleRegulator {
            gamma,
            truncate: false,
        })
    }

    /// The same regulator with the package's truncation of s′ to [−10, 10].
    pub fn truncated(self) -> Self {
        SimpleRegulator {
            truncate: true,
            ..self
        }
    }

    /// Whether s′ is drawn from the normal truncated to [−10, 10].
    pub fn is_truncated(&self) -> bool {
        self.truncate
    }
}

impl Default for SimpleRegulator {
    /// γ = 1 and no truncation (Appendix F.5).
    fn default() -> Self {
        SimpleRegulator {
            gamma: 1.0,
            truncate: false,
        }
    }
}

impl Mdp for SimpleRegulator {
    type State = f64;
    type Action = f64;

    fn discount(&self) -> f64 {
        self.gamma
    }

    /// s₁ = 0.3 + 0.1 z with z ~ N(0, 1) drawn by statrs' normal sampler.
    fn initial_state<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        REGULATOR_INITIAL_MEAN + REGULATOR_STD * standard_normal().sample(rng)
    }

    /// r = −s² and s′ = s + a + 0.1 z, z ~ N(0, 1) (statrs' sampler); with truncation, s′ is
    /// drawn from N(s + a, 0.1²) conditioned on [−10, 10] by inversion of its CDF (see the module source).
    fn step<R: Rng + ?Sized>(&self, s: &f64, a: &f64, rng: &mut R) -> Result<(f64, f64)> {
        check_finite(*s, "s")?;
        check_finite(*a, "a")?;
        let r = finite_scalar(-(s * s), "r")?;
        let mean = finite_scalar(s + a, "s + a")?;
        let next = if self.truncate {
            truncated_successor(mean, rng)?
        } else {
            mean + REGULATOR_STD * standard_normal().sample(rng)
        };
        Ok((finite_scalar(next, "s′")?, r))
    }
}

/// N(0, 1) as a statrs distribution.
fn standard_normal() -> Normal {
    Normal::standard()
}

/// A draw from N(μ, 0.1²) conditioned on [−10, 10] (the package's truncated successor), by
/// inversion with statrs' normal CDF and quantile: with α = (−10 − μ)/0.1 and
/// β = (10 − μ)/0.1,
///
/// x = μ + 0.1 Φ⁻¹(u), u ~ Uniform[Φ(α), Φ(β)).
///
/// The interval is first reflected onto the lower side of the mean (α + β ≤ 0) so that Φ is
/// evaluated where it has full relative precision. When the interval lies so far in the tail
/// that Φ(α) = Φ(β) in floating point (μ more than about 3.7 beyond a bound), the conditional
/// distribution is concentrated within 0.01/|μ ∓ 10| of the nearer bound, and that bound is
/// returned. `mu` is finite (checked by the caller).
fn truncated_successor<R: Rng + ?Sized>(mu: f64, rng: &mut R) -> Result<f64> {
    let (lo, hi, sigma) = (-REGULATOR_TRUNCATION, REGULATOR_TRUNCATION, REGULATOR_STD);
    let alpha = (lo - mu) / sigma;
    let beta = (hi - mu) / sigma;
    // Reflect so that the interval [a, b] (in standard units) satisfies a + b ≤ 0.
    let (sign, a, b) = if alpha + beta > 0.0 {
        (-1.0, -beta, -alpha)
    } else {
        (1.0, alpha, beta)
    };
    let phi = standard_normal();
    let (p_a, p_b) = (phi.cdf(a), phi.cdf(b));
    let z = if p_b > p_a {
        let uniform = Uniform::new(p_a, p_b).map_err(|e| PgError::NonFiniteResult {
            field: format!("s′ (Uniform[{p_a}, {p_b}): {e})"),
        })?;
        // u ∈ [p_a, p_b) ⊂ [0, 1], so the quantile is defined; rounding may put it a hair
        // outside [a, b], which the clamp removes.
        phi.inverse_cdf(uniform.sample(rng)).clamp(a, b)
    } else {
        b
    };
    Ok((mu + sign * sigma * z).clamp(lo, hi))
}
