//! The univariate normal density N(θ₁x, σ²) shared by the Gaussian policy families, with the
//! forward-accurate forms of issue #16 (items 3, 4 and 5): every quantity is formed from
//! differences of the inputs (θ₁ − θ₁′, σ − σ′, a − θ₁x) and scaled so that no intermediate
//! over- or underflows where the result does not.
//!
//! u is the unit roundoff (2⁻⁵³ in f64, 2⁻²⁴ in f32); the bounds quoted are those measured and
//! derived in the notes (100-digit mpmath references on ≥ 250 adversarial inputs each).

use crate::compensated::{exp_m1_minus, two_sum};
use crate::error::{PgError, Result};
use crate::scalar::{Scalar, lit, smallest_normal};

/// log N(a; m, σ²) = −½((a − m)/σ)² − log σ − ½ log 2π.
pub(crate) fn log_pdf<T: Scalar>(a: T, m: T, sigma: T) -> T {
    let z = (a - m) / sigma;
    -lit::<T>(0.5) * z * z - sigma.ln() - lit::<T>(0.5) * T::two_pi().ln()
}

/// a·b/c, ordered so that no intermediate leaves the normal range when the result need not:
/// (a·b)/c if a·b is finite and normal (or exactly 0), else a·(b/c) if b/c is, else (a/c)·b.
/// Two roundings.
fn mul_div<T: Scalar>(a: T, b: T, c: T) -> T {
    let tiny = smallest_normal::<T>();
    let p = a * b;
    if p.is_finite() && (p.abs() >= tiny || a == T::zero() || b == T::zero()) {
        return p / c;
    }
    let q = b / c;
    if q.is_finite() && q.abs() >= tiny {
        return a * q;
    }
    (a / c) * b
}

/// z = (θ₁ − θ₁′)·x/σ′ = (m − m′)/σ′ from the parameters, not from the rounded means (θ₁x and
/// θ₁′x each rounded lose |θ₁x|·u against a difference that may be far smaller). When θ₁ − θ₁′
/// overflows, ((θ₁/2 − θ₁′/2)·x/σ′)·2. Error ≤ 3u relative.
fn mean_gap<T: Scalar>(theta1: T, theta1_prime: T, x: T, sigma_prime: T) -> T {
    let d = theta1 - theta1_prime;
    if d.is_finite() {
        return mul_div(d, x, sigma_prime);
    }
    let half = lit::<T>(0.5);
    mul_div(theta1 * half - theta1_prime * half, x, sigma_prime) * lit::<T>(2.0)
}

/// L = ln(σ/σ′), with absolute error ≤ 2u·(1 + |L|) and relative error ≤ 2u near σ = σ′:
/// ln_1p((σ − σ′)/σ′) when ½ < σ/σ′ < 2 (σ − σ′ is exact there, by Sterbenz's lemma),
/// ln(σ/σ′) when the quotient is finite and normal, ln σ − ln σ′ otherwise.
pub(crate) fn ln_ratio<T: Scalar>(sigma: T, sigma_prime: T) -> T {
    let q = sigma / sigma_prime;
    if q > lit::<T>(0.5) && q < lit::<T>(2.0) {
        ((sigma - sigma_prime) / sigma_prime).ln_1p()
    } else if q.is_finite() && q >= smallest_normal::<T>() {
        q.ln()
    } else {
        sigma.ln() - sigma_prime.ln()
    }
}

/// [∂/∂θ₁, ∂/∂σ] log N(a; θ₁x, σ²) = [(a − θ₁x)·x/σ², ((a − θ₁x)² − σ²)/σ³] (Example 11.3;
/// x = 1 for the Gaussian, x = s for the linear Gaussian), without forming σ², σ³ or z²:
///
/// - y = a − θ₁x as an exact pair (yₕ, yₗ) = TwoSum(a, −θ₁) when x = 1, else
///   yₕ = fma(−θ₁, x, a) (one rounding), yₗ = 0;
/// - A = ((yₕ − σ) + yₗ)/σ and B = ((yₕ + σ) + yₗ)/σ, so that ∂/∂σ = A·B/σ = (z − 1)(z + 1)/σ
///   keeps its relative accuracy when |a − θ₁x| ≈ σ (z² − 1 cancels there);
/// - ∂/∂σ = A·(B/σ) if |A| or |B| ≥ 1, else (A·B)/σ, so that it overflows only with the result:
///   θ = [0, 100], a = 2e156 gives 4e306, where z² = 4e308 overflowed;
/// - ∂/∂θ₁ = z·x/σ with z = y/σ, ordered like the KL's mean gap.
///
/// Error ≤ 6u·|∂/∂σ| and ≤ 4u·|∂/∂θ₁| (measured ≤ 1.6 ulp, issue #16 notes, item 5).
pub(crate) fn grad_log_pdf<T: Scalar>(a: T, theta1: T, sigma: T, x: T) -> (T, T) {
    let (yh, yl) = if x == T::one() {
        two_sum(a, -theta1)
    } else {
        ((-theta1).mul_add(x, a), T::zero())
    };
    let lo = ((yh - sigma) + yl) / sigma;
    let hi = ((yh + sigma) + yl) / sigma;
    let d_sigma = if lo.abs() >= T::one() || hi.abs() >= T::one() {
        lo * (hi / sigma)
    } else {
        (lo * hi) / sigma
    };
    let d_theta1 = mul_div(yh / sigma, x, sigma);
    (d_theta1, d_sigma)
}

/// log w = log N(a; θ₁′x, σ′²) − log N(a; θ₁x, σ²), the log likelihood ratio, without the
/// cancellation of two log-densities of size ½z² (a far-tail action, |z| = 10⁶, loses u·z²
/// in each):
///
/// log w = L − ½(z′ − z)(z′ + z), L = ln(σ/σ′), with
///
/// - y = fma(−θ₁, x, a), z = y/σ;
/// - δz = z′ − z = fma(z, σ − σ′, (θ₁ − θ₁′)·x)/σ′ (exact algebra: z′ = (y + (θ₁ − θ₁′)x)/σ′);
/// - z′ + z = δz + 2z.
///
/// With K = 1 + |log w| + |δz|·(|z| + |z′|), |log ŵ − log w| ≤ 4u·K (measured ≤ 0.5u·K in f64):
/// the K is the problem's own condition, from the rounding of the inputs' products.
///
/// # Errors
/// `ZeroProbability` when z² overflows: log N(a; θ₁x, σ²) is −∞ even in log space.
pub(crate) fn log_ratio<T: Scalar>(
    a: T,
    theta1: T,
    sigma: T,
    theta1_prime: T,
    sigma_prime: T,
    x: T,
) -> Result<T> {
    let l = ln_ratio(sigma, sigma_prime);
    log_ratio_given_ln_ratio(a, [theta1, sigma], [theta1_prime, sigma_prime], x, l)
}

/// [`log_ratio`] with L = ln(σ/σ′) supplied by the caller: the log-σ family has it exactly as
/// log σ − log σ′.
pub(crate) fn log_ratio_given_ln_ratio<T: Scalar>(
    a: T,
    [theta1, sigma]: [T; 2],
    [theta1_prime, sigma_prime]: [T; 2],
    x: T,
    l: T,
) -> Result<T> {
    let z = (-theta1).mul_add(x, a) / sigma;
    if !(z * z).is_finite() {
        return Err(PgError::ZeroProbability {
            field: "p(theta, a, s)".into(),
        });
    }
    let d = theta1 - theta1_prime;
    // x = 0 (a linear Gaussian at s = 0) has no mean gap even when θ₁ − θ₁′ overflows.
    let mean_shift = if d.is_finite() {
        d * x
    } else {
        theta1 * x - theta1_prime * x
    };
    let dz = z.mul_add(sigma - sigma_prime, mean_shift) / sigma_prime;
    let sum = dz + lit::<T>(2.0) * z;
    let log_w = l - (lit::<T>(0.5) * dz) * sum;
    if log_w.partial_cmp(&T::zero()).is_none() {
        // Only when z(σ − σ′) and the mean gap overflow with opposite signs: the difference of
        // the two log-densities is then the best this precision has.
        return Ok(log_pdf(a, theta1_prime * x, sigma_prime) - log_pdf(a, theta1 * x, sigma));
    }
    Ok(log_w)
}

/// D_KL(N(θ₁x, σ²) ‖ N(θ₁′x, σ′²)) = log(σ′/σ) + (σ² + (θ₁x − θ₁′x)²)/(2σ′²) − ½, evaluated
/// as a sum of two non-negative halves,
///
/// KL = ½ψ + ½z², z = (θ₁ − θ₁′)·x/σ′, ψ = ρ² − 1 − 2 ln ρ ≥ 0, ρ = σ/σ′,
///
/// with L = ln ρ from [`ln_ratio`] and
///
/// - −½ ≤ L ≤ 1: ψ = φ(2L), φ(x) = eˣ − 1 − x ([`exp_m1_minus`]): relative accuracy at ρ ≈ 1,
///   where ρ² − 1 − 2 ln ρ cancels to O((ρ − 1)²);
/// - L > 1: ψ = ρ·ρ − (1 + 2L), cancellation factor < 1.9; it overflows only when the KL does;
/// - L < −½: ψ = ρ·ρ + (−1 − 2L), two non-negative terms (ρ² may underflow harmlessly:
///   σ′ = 10¹⁷σ gives 38.64…, where 1 − σ′/σ rounded to −1 gave log1p(−1) = −∞);
/// - z from the parameters' difference, scaled so that it over- or underflows only with the
///   result (means ±1e308 with σ = 1e200 give 2e216).
///
/// Error ≤ 8u·KL (ψ has ≤ 6u, z² ≤ 3u, both halves ≥ 0); measured ≤ 2.1 ulp.
pub(crate) fn kl<T: Scalar>(theta1: T, sigma: T, theta1_prime: T, sigma_prime: T, x: T) -> T {
    let l = ln_ratio(sigma, sigma_prime);
    kl_given_ln_ratio([theta1, sigma], [theta1_prime, sigma_prime], x, l)
}

/// [`kl`] with L = ln(σ/σ′) supplied by the caller (exact for the log-σ family).
pub(crate) fn kl_given_ln_ratio<T: Scalar>(
    [theta1, sigma]: [T; 2],
    [theta1_prime, sigma_prime]: [T; 2],
    x: T,
    l: T,
) -> T {
    let half = lit::<T>(0.5);
    let z = mean_gap(theta1, theta1_prime, x, sigma_prime);
    // ½ψ, each branch scaled by ½ exactly (so ρ² ∈ (MAX, 2·MAX) still gives a finite KL).
    let half_psi = if l >= -half && l <= T::one() {
        half * exp_m1_minus(lit::<T>(2.0) * l)
    } else {
        let rho = sigma / sigma_prime;
        if l > T::one() {
            (rho * half) * rho - (half + l)
        } else {
            (rho * half) * rho + (-half - l)
        }
    };
    half_psi + (z * half) * z
}
