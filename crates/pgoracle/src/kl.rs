//! Kullback–Leibler divergences (Appendix A.10) used by the surrogate constraint (Eq. 12.19)
//! and Exercise 12.3.

use nalgebra::DVector;

use crate::error::{PgError, Result};
use crate::policy::normal;
use crate::scalar::{
    Scalar, check_finite, check_len, check_positive, check_vector, finite_scalar, lit,
};
use crate::tolerance::epsilon;

/// Categorical KL divergence with the natural logarithm (Exercise 12.3):
///
/// $$D\_{\mathrm{KL}}(P \;\Vert\; Q) = \sum\_x P(x) \log \frac{P(x)}{Q(x)}$$
///
/// D_KL(P ‖ Q) = Σ_x P(x) log(P(x)/Q(x)), with 0·log(0/q) = 0.
///
/// Each term is evaluated as p·log1p((p − q)/q) when p/q ∈ (0.5, 1.5), accurate when p ≈ q,
/// and as p(log p − log q) otherwise, which neither overflows for tiny q nor loses a tiny p. `p` and `q` must be probability vectors: entries ≥ 0 summing to 1
/// within n·√ε.
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter` (not a probability
/// vector), `ZeroProbability` (q(x) = 0 where p(x) > 0: the book's formula gives +∞).
///
/// ```
/// use nalgebra::dvector;
/// // Exercise 12.3, state s1.
/// let kl: f64 = pgoracle::kl_categorical(&dvector![0.1, 0.2, 0.3, 0.4], &dvector![0.4, 0.3, 0.2, 0.1]).unwrap();
/// assert!((kl - 0.456).abs() < 5e-4);
/// ```
pub fn kl_categorical<T: Scalar>(p: &DVector<T>, q: &DVector<T>) -> Result<T> {
    check_vector(p, "p")?;
    check_len(q, p.len(), "q")?;
    check_vector(q, "q")?;
    check_probability_vector(p, "p")?;
    check_probability_vector(q, "q")?;
    let mut acc = T::zero();
    for (i, (pi, qi)) in p.iter().zip(q.iter()).enumerate() {
        if *pi == T::zero() {
            continue;
        }
        if *qi == T::zero() {
            return Err(PgError::ZeroProbability {
                field: format!("q[{i}]"),
            });
        }
        // log(p/q): log1p((p − q)/q) keeps relative accuracy when p ≈ q; elsewhere
        // log p − log q, which neither overflows (q tiny) nor rounds to log1p(−1) = −∞ (p ≪ q).
        let rel = (*pi - *qi) / *qi;
        let log_ratio = if rel.abs() < lit(0.5) {
            rel.ln_1p()
        } else {
            pi.ln() - qi.ln()
        };
        acc += *pi * log_ratio;
    }
    finite_scalar(acc, "kl")
}

fn check_probability_vector<T: Scalar>(v: &DVector<T>, field: &str) -> Result<()> {
    if let Some(i) = v.iter().position(|x| *x < T::zero()) {
        return Err(PgError::invalid(
            format!("{field}[{i}]"),
            format!("a probability must be ≥ 0, got {}", v[i]),
        ));
    }
    let sum = v.iter().fold(T::zero(), |a, x| a + *x);
    let tol = lit::<T>(v.len() as f64) * epsilon::<T>().sqrt();
    if (sum - T::one()).abs() > tol {
        return Err(PgError::invalid(
            field,
            format!("probabilities must sum to 1 (within {tol}), got {sum}"),
        ));
    }
    Ok(())
}

/// KL divergence between univariate normals in closed form:
///
/// $$D\_{\mathrm{KL}}\left(\mathcal{N}(\mu\_p, \sigma\_p^2) \;\Vert\; \mathcal{N}(\mu\_q, \sigma\_q^2)\right) = \log\frac{\sigma\_q}{\sigma\_p} + \frac{\sigma\_p^2 + (\mu\_p - \mu\_q)^2}{2\sigma\_q^2} - \frac{1}{2}$$
///
/// D_KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) = log(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½.
///
/// # Errors
/// `NonFiniteInput`, `InvalidParameter` (σ ≤ 0).
///
/// ```
/// use pgoracle::{Normal, kl_gaussian};
/// let p = Normal { mean: 0.0, std: 1.0 };
/// let q = Normal { mean: 1.0, std: 1.0 };
/// let kl: f64 = kl_gaussian(&p, &q).unwrap();
/// assert!((kl - 0.5).abs() < 1e-15);
/// ```
pub fn kl_gaussian<T: Scalar>(p: &Normal<T>, q: &Normal<T>) -> Result<T> {
    check_finite(p.mean, "mean_p")?;
    check_positive(p.std, "std_p")?;
    check_finite(q.mean, "mean_q")?;
    check_positive(q.std, "std_q")?;
    finite_scalar(normal::kl(p.mean, p.std, q.mean, q.std), "kl")
}

/// A univariate normal distribution N(mean, std²), by its named parameters (the arguments of
/// [`kl_gaussian`]; `std` > 0 is checked there, and named `std_p`/`std_q` in its errors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal<T> {
    /// The mean μ.
    pub mean: T,
    /// The standard deviation σ > 0.
    pub std: T,
}
