//! Kullback–Leibler divergences (Appendix A.10) used by the surrogate constraint (Eq. 12.19)
//! and Exercise 12.3.

use nalgebra::DVector;

use crate::compensated::{CompensatedSum, log1p_excess, two_sum};
use crate::conventions::{Departure, KlForm, Nonfinite, Probabilities};
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
        add_kl_term(*pi, *qi, &mut terms, &mut differences);
    }
    finite_scalar(terms.total() + differences.total(), "kl")
}

/// Adds p log(p/q) (p, q > 0) to the two sums of [`kl_categorical`].
fn add_kl_term<T: Scalar>(
    pi: T,
    qi: T,
    terms: &mut CompensatedSum<T>,
    differences: &mut CompensatedSum<T>,
) {
    let ratio = pi / qi;
    if ratio >= lit(0.5) && ratio <= lit(3.0) {
        // p log(p/q) = qψ(r) + (p − q), r = (p − q)/q: ψ keeps the term's digits when p ≈ q,
        // and the (p − q) are summed apart (exact up to p/q = 2 by Sterbenz; beyond,
        // dₕ + dₗ).
        let (dh, dl) = two_sum(pi, -qi);
        differences.add_pair(dh, dl);
        let diff = if ratio <= lit(2.0) { dh } else { dh + dl };
        terms.add(qi * log1p_excess(diff / qi));
    } else {
        // Far from 1, p log(p/q) directly: its relative error is a few ulps, and p − q is
        // kept out of the sums (p = 1e-300 against q = 1e-100 cancelled ±1e-100 to 0, losing
        // the −4.6e-298).
        let log_ratio = if ratio.is_finite() && ratio >= smallest_normal() {
            ratio.ln()
        } else {
            pi.ln() - qi.ln()
        };
        terms.add(pi * log_ratio);
    }
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

/// Categorical KL divergence under explicit conventions (`probabilities`, `nonfinite` of
/// `shared/spec/profiles.md`): with (`AsGiven`, `Error`) it is [`kl_categorical`], bit for bit;
/// with torch's (`NormalizeAndClamp`, `Propagate`) it is torch 2.15's
/// `kl_divergence(Categorical(probs=p), Categorical(probs=q))` (`docs/peer-sources.md`
/// §3.2–3.3):
///
/// - `torch/distributions/categorical.py` `Categorical.__init__`: p̃ = p/Σp, q̃ = q/Σq, validated
///   against `constraints.simplex` (entries ≥ 0, |Σp̃ − 1| < 10⁻⁶; a negative, NaN or ∞ entry,
///   or a zero or overflowing sum, is torch's `ValueError`, here `InvalidParameter`);
/// - `torch/distributions/utils.py` `clamp_probs`, `probs_to_logits`: the logits are
///   ln c(x), c(x) = clamp(x, ε, 1 − ε) with ε = `torch.finfo(dtype).eps`, the scalar's machine
///   epsilon (2⁻⁵² for f64, 2⁻²³ for f32);
/// - `torch/distributions/kl.py` `_kl_categorical_categorical`: t = p̃·(logits_p − logits_q),
///   t = ∞ where q̃ = 0, then t = 0 where p̃ = 0, summed:
///
/// $$D = \sum\_{k:\ \tilde p\_k > 0} \tilde p\_k \left(\ln c(\tilde p\_k) - \ln c(\tilde q\_k)\right), \quad D = \infty \text{ if } \tilde q\_k = 0 < \tilde p\_k$$
///
/// The factor p̃ₖ and the zero masks use the unclamped p̃, q̃; only the logarithms see the clamp.
/// p = \[½, ½\], q = \[1, 10⁻²⁰\] gives ½(ln ½ − ln(1 − 2⁻⁵²)) + ½(ln ½ − ln 2⁻⁵²) =
/// 17.32867951399863 in f64 (the mathematics: 22.33) and 7.278045 in f32.
///
/// The value is torch's formula, evaluated more accurately than torch: Σp and Σq are
/// compensated sums (then rounded, and each entry divided once, as torch), an entry that no clamp
/// changes is [`kl_categorical`]'s accurate term, a clamped one is p̃·ln(c(p̃)/c(q̃)) with the
/// logarithm's ratio taken by ln_1p near 1, and the terms are summed with compensation.
///
/// With `AsGiven`, p and q must be probability vectors as for [`kl_categorical`]; `Propagate`
/// then only turns its `ZeroProbability` into +∞. With `NormalizeAndClamp` and `Error`, a zero
/// q̃ₖ with p̃ₖ > 0 is `ZeroProbability`.
///
/// Departures: [`Departure::ProbabilitiesNormalized`] when Σp or Σq is not exactly 1,
/// [`Departure::ProbabilitiesClamped`] when the clamp changed p̃ₖ or q̃ₖ of a term with
/// p̃ₖ > 0 and q̃ₖ > 0, [`Departure::NonfinitePropagated`] when the result is +∞.
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `InvalidParameter` (see above), `NonFiniteInput` (under
/// `Error`, or with `AsGiven`), `ZeroProbability` (under `Error`).
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::conventions::{Nonfinite, Probabilities};
/// // torch-kl_categorical-issue17-q-1e-20-f64 (torch 2.15.0).
/// let (kl, _) = pgoracle::kl_categorical_with(&dvector![0.5, 0.5], &dvector![1.0, 1e-20],
///     Probabilities::NormalizeAndClamp, Nonfinite::Propagate).unwrap();
/// assert!((kl - 17.32867951399863_f64).abs() < 1e-13);
/// ```
pub fn kl_categorical_with<T: Scalar>(
    p: &DVector<T>,
    q: &DVector<T>,
    probabilities: Probabilities,
    nonfinite: Nonfinite,
) -> Result<(T, Vec<Departure>)> {
    if probabilities == Probabilities::AsGiven && nonfinite == Nonfinite::Error {
        return Ok((kl_categorical(p, q)?, Vec::new()));
    }
    if p.is_empty() {
        return Err(PgError::empty("p"));
    }
    check_len(q, p.len(), "q")?;
    let mut departures = Vec::new();
    let (p, q, bounds) = match probabilities {
        Probabilities::AsGiven => {
            check_vector(p, "p")?;
            check_vector(q, "q")?;
            check_probability_vector(p, "p")?;
            check_probability_vector(q, "q")?;
            (p.clone(), q.clone(), None)
        }
        Probabilities::NormalizeAndClamp => {
            let (p, p_divided) = normalized(p, "p", nonfinite)?;
            let (q, q_divided) = normalized(q, "q", nonfinite)?;
            if p_divided || q_divided {
                departures.push(Departure::ProbabilitiesNormalized);
            }
            let eps = epsilon::<T>();
            (p, q, Some((eps, T::one() - eps)))
        }
    };
    let mut terms = CompensatedSum::default();
    let mut differences = CompensatedSum::default();
    let mut clamped = false;
    let mut infinite = false;
    for (i, (pi, qi)) in p.iter().zip(q.iter()).enumerate() {
        if *pi == T::zero() {
            continue; // torch: t = 0 where p = 0, applied last
        }
        if *qi == T::zero() {
            if nonfinite == Nonfinite::Error {
                return Err(PgError::ZeroProbability {
                    field: format!("q[{i}]"),
                });
            }
            infinite = true; // torch: t = ∞ where q = 0
            continue;
        }
        match bounds {
            Some((lo, hi)) => {
                let cp = clamp_probability(*pi, lo, hi);
                let cq = clamp_probability(*qi, lo, hi);
                if cp == *pi && cq == *qi {
                    add_kl_term(*pi, *qi, &mut terms, &mut differences);
                } else {
                    clamped = true;
                    terms.add(*pi * ln_ratio(cp, cq));
                }
            }
            None => add_kl_term(*pi, *qi, &mut terms, &mut differences),
        }
    }
    if clamped {
        departures.push(Departure::ProbabilitiesClamped);
    }
    if infinite {
        departures.push(Departure::NonfinitePropagated);
        return Ok((T::one() / T::zero(), departures));
    }
    let kl = terms.total() + differences.total();
    if nonfinite == Nonfinite::Error {
        return Ok((finite_scalar(kl, "kl")?, departures));
    }
    if !kl.is_finite() {
        departures.push(Departure::NonfinitePropagated);
    }
    Ok((kl, departures))
}

/// torch's `Categorical(probs=v)`: v/Σv after its checks (entries finite and ≥ 0, Σ finite
/// and > 0, the quotient summing to 1 within 10⁻⁶), and whether Σv ≠ 1.
fn normalized<T: Scalar>(
    v: &DVector<T>,
    field: &str,
    nonfinite: Nonfinite,
) -> Result<(DVector<T>, bool)> {
    if nonfinite == Nonfinite::Error {
        check_vector(v, field)?;
    }
    if let Some(i) = v.iter().position(|x| !(x.is_finite() && *x >= T::zero())) {
        return Err(PgError::invalid(
            format!("{field}[{i}]"),
            format!(
                "Categorical(probs=…) needs finite probabilities ≥ 0 (torch raises ValueError), got {}",
                v[i]
            ),
        ));
    }
    let sum = v.iter().copied().collect::<CompensatedSum<T>>().total();
    if !(sum.is_finite() && sum > T::zero()) {
        return Err(PgError::invalid(
            field,
            format!("Categorical(probs=…) needs a positive finite sum, got {sum}"),
        ));
    }
    let divided = v.map(|x| x / sum);
    let check = divided.iter().fold(T::zero(), |a, x| a + *x);
    // Finite: the entries are finite and ≥ 0, the sum finite and > 0.
    if (check - T::one()).abs() >= lit(1e-6) {
        return Err(PgError::invalid(
            field,
            format!(
                "the normalised probabilities sum to {check}, not 1 within 1e-6 (torch's simplex constraint)"
            ),
        ));
    }
    Ok((divided, sum != T::one()))
}

/// clamp(x, lo, hi) (torch's `clamp_probs`).
fn clamp_probability<T: Scalar>(x: T, lo: T, hi: T) -> T {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// ln(a/b) for a, b > 0: ln_1p((a − b)/b) where a − b is exact (½ ≤ a/b ≤ 2, Sterbenz), else
/// ln(a/b), else ln a − ln b when a/b leaves the normal range.
fn ln_ratio<T: Scalar>(a: T, b: T) -> T {
    let ratio = a / b;
    if ratio >= lit(0.5) && ratio <= lit(2.0) {
        ((a - b) / b).ln_1p()
    } else if ratio.is_finite() && ratio >= smallest_normal() {
        ratio.ln()
    } else {
        a.ln() - b.ln()
    }
}

/// Normal KL divergence under explicit conventions (`kl_form`, `nonfinite`; `kl_form` is
/// pgoracle's addition, `docs/profiles.md`): with (`Stable`, `Error`) it is [`kl_gaussian`],
/// bit for bit; with torch's (`VarianceRatio`, `Propagate`) it is torch 2.15's
/// `kl_divergence(Normal(μ_p, σ_p), Normal(μ_q, σ_q))`, `torch/distributions/kl.py`
/// `_kl_normal_normal` (`docs/peer-sources.md` §3.4):
///
/// $$r = \left(\frac{\sigma\_p}{\sigma\_q}\right)^2,\quad t\_1 = \left(\frac{\mu\_p - \mu\_q}{\sigma\_q}\right)^2,\quad D = \tfrac12\left(r + t\_1 - 1 - \ln r\right)$$
///
/// `var_ratio = (p.scale / q.scale).pow(2)`, `t1 = ((p.loc - q.loc) / q.scale).pow(2)`,
/// `0.5 * (var_ratio + t1 - 1 - var_ratio.log())`: evaluated in that order, left to right, in
/// the scalar's precision, each square one product. So r underflows to 0 (σ_p = 10⁻¹⁵⁰,
/// σ_q = 10¹⁵⁰: D = ∞), overflows (the reverse: ∞ − ∞ = NaN), or keeps few bits as a subnormal
/// (σ_p = 10⁻¹⁶⁰, σ_q = 1: r = 10⁻³²⁰ rounded to a subnormal, 367.91362044548697 where the
/// mathematics is 367.91361487904731), and σ_q = f32(1.0000001) against σ_p = 1 gives
/// 1.4210855e-14 in f32 (the mathematics 1.4210852e-14).
///
/// `KlForm::Stable` is [`kl_gaussian`]'s accurate form; `Propagate` then returns +∞ where it
/// overflows. σ ≤ 0 and non-finite parameters are typed errors under both `nonfinite` values
/// (torch raises `ValueError` for σ ≤ 0 and NaN).
///
/// Departures: [`Departure::VarianceRatioRange`] when r is 0, subnormal or ∞
/// (`VarianceRatio` only); [`Departure::NonfinitePropagated`] when the result is NaN or ∞.
///
/// # Errors
/// `NonFiniteInput`, `InvalidParameter` (σ ≤ 0), and under `Error` `NonFiniteResult`.
///
/// ```
/// use pgoracle::Normal;
/// use pgoracle::conventions::{KlForm, Nonfinite};
/// // torch-kl_gaussian-1e-160-vs-1-f64 (torch 2.15.0).
/// let p = Normal { mean: 0.0, std: 1e-160 };
/// let q = Normal { mean: 0.0, std: 1.0 };
/// let (kl, _) = pgoracle::kl_gaussian_with(&p, &q, KlForm::VarianceRatio, Nonfinite::Propagate)
///     .unwrap();
/// assert_eq!(kl, 367.91362044548697_f64);
/// ```
pub fn kl_gaussian_with<T: Scalar>(
    p: &Normal<T>,
    q: &Normal<T>,
    form: KlForm,
    nonfinite: Nonfinite,
) -> Result<(T, Vec<Departure>)> {
    if form == KlForm::Stable && nonfinite == Nonfinite::Error {
        return Ok((kl_gaussian(p, q)?, Vec::new()));
    }
    check_finite(p.mean, "mean_p")?;
    check_positive(p.std, "std_p")?;
    check_finite(q.mean, "mean_q")?;
    check_positive(q.std, "std_q")?;
    let mut departures = Vec::new();
    let kl = match form {
        KlForm::Stable => normal::kl(p.mean, p.std, q.mean, q.std, T::one()),
        KlForm::VarianceRatio => {
            let ratio = p.std / q.std;
            let var_ratio = ratio * ratio;
            if !(var_ratio.is_finite() && var_ratio >= smallest_normal::<T>()) {
                departures.push(Departure::VarianceRatioRange);
            }
            let z = (p.mean - q.mean) / q.std;
            let t1 = z * z;
            lit::<T>(0.5) * (((var_ratio + t1) - T::one()) - var_ratio.ln())
        }
    };
    if !kl.is_finite() {
        if nonfinite == Nonfinite::Error {
            return Err(PgError::NonFiniteResult {
                field: "kl".to_string(),
            });
        }
        departures.push(Departure::NonfinitePropagated);
    }
    Ok((kl, departures))
}
