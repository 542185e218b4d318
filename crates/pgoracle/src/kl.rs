//! Kullback–Leibler divergences (Appendix A.10) used by the surrogate constraint (Eq. 12.19)
//! and Exercise 12.3.

use nalgebra::DVector;

use crate::compensated::{CompensatedSum, log1p_excess, two_sum};
use crate::error::{PgError, Result};
use crate::policy::normal;
use crate::scalar::{
    Scalar, check_finite, check_len, check_positive, check_vector, finite_scalar, lit,
    smallest_normal,
};
use crate::tolerance::epsilon;

/// Categorical KL divergence with the natural logarithm (Exercise 12.3):
///
/// $$D\_{\mathrm{KL}}(P \;\Vert\; Q) = \sum\_x P(x) \log \frac{P(x)}{Q(x)}$$
///
/// D_KL(P ‖ Q) = Σ_x P(x) log(P(x)/Q(x)), with 0·log(0/q) = 0.
///
/// Evaluated as a sum of non-negative terms plus Σ(p − q) (issue #16, item 7), the same value:
///
/// D_KL = Σ_i T_i + Σ_i (p_i − q_i), T_i = p_i ln(p_i/q_i) − (p_i − q_i) ≥ 0,
///
/// where Σ p log(p/q) of nearly equal p and q cancels terms of size |p − q| to a KL of size
/// (p − q)²/q. p_i − q_i = dₕ + dₗ exactly (TwoSum), and
///
/// - p_i = 0: nothing (0·log 0 = 0);
/// - ½ ≤ p/q ≤ 3: T_i = q·ψ(r), r = (p − q)/q, ψ(r) = (1 + r) ln(1 + r) − r by its atanh series
///   ([`log1p_excess`]), a product of non-negative factors, and p_i − q_i into the second sum;
/// - otherwise T_i = p·ln(p/q) (ln p − ln q when p/q is not a normal number), accurate to a few
///   ulps since ln(p/q) is far from 0; its p − q stays out of the sums (p = 1e-300 against
///   q = 1e-100, inputs summing to 1 + 1e-100, cancelled ±1e-100 to 0 where Σ p log(p/q) is
///   −4.6e-298).
///
/// Both sums are Neumaier's; the second is kept so that inputs summing to 1 ± n·ulp still give
/// the book's Σ p log(p/q). Bound: |err| ≤ (6 + n)u·Σ|T_i| + 2u·|Σ_near(p − q)|; [0.5, 0.3, 0.2] ‖ [0.5000000001, 0.3, 0.1999999999]
/// gives 3.500000579882621e-20 (exact 3.5000005798826210e-20), where the book's form gave
/// 3.5000002120467557e-20. `p` and `q` must be probability vectors: entries ≥ 0 summing to 1
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
    let mut terms = CompensatedSum::default();
    let mut differences = CompensatedSum::default();
    for (i, (pi, qi)) in p.iter().zip(q.iter()).enumerate() {
        if *qi == T::zero() {
            if *pi == T::zero() {
                continue;
            }
            return Err(PgError::ZeroProbability {
                field: format!("q[{i}]"),
            });
        }
        if *pi == T::zero() {
            continue; // 0·log(0/q) = 0
        }
        let ratio = *pi / *qi;
        if ratio >= lit(0.5) && ratio <= lit(3.0) {
            // p log(p/q) = qψ(r) + (p − q), r = (p − q)/q: ψ keeps the term's digits when p ≈ q,
            // and the (p − q) are summed apart (exact up to p/q = 2 by Sterbenz; beyond,
            // dₕ + dₗ).
            let (dh, dl) = two_sum(*pi, -*qi);
            differences.add_pair(dh, dl);
            let diff = if ratio <= lit(2.0) { dh } else { dh + dl };
            terms.add(*qi * log1p_excess(diff / *qi));
        } else {
            // Far from 1, p log(p/q) directly: its relative error is a few ulps, and p − q is
            // kept out of the sums (p = 1e-300 against q = 1e-100 cancelled ±1e-100 to 0, losing
            // the −4.6e-298).
            let log_ratio = if ratio.is_finite() && ratio >= smallest_normal() {
                ratio.ln()
            } else {
                pi.ln() - qi.ln()
            };
            terms.add(*pi * log_ratio);
        }
    }
    finite_scalar(terms.total() + differences.total(), "kl")
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
/// Evaluated as two non-negative halves (issue #16, item 4), KL = ½ψ + ½z² with
/// z = (μ_p − μ_q)/σ_q and ψ = ρ² − 1 − 2 ln ρ, ρ = σ_p/σ_q, L = ln ρ (by ln_1p near ρ = 1):
/// ψ = φ(2L) = e^(2L) − 1 − 2L by its series for −½ ≤ L ≤ 1, ρ·ρ − (1 + 2L) above and
/// ρ·ρ + (−1 − 2L) below. Error ≤ 8u·KL. Finite wherever the KL is: σ_q = 10¹⁷σ_p gives
/// 38.64394658089878, (0, 1e-150, 0, 1e150) gives 690.2755278982137, means ±1e308 with
/// σ = 1e200 give 2e216 (μ_p − μ_q is halved before it could overflow).
///
/// # Errors
/// `NonFiniteInput`, `InvalidParameter` (σ ≤ 0), `NonFiniteResult` when the KL overflows.
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
    finite_scalar(normal::kl(p.mean, p.std, q.mean, q.std, T::one()), "kl")
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
