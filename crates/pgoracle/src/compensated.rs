//! Error-free transformations and compensated sums (issue #16): the building blocks that keep
//! pgoracle's results within a few ulps of the exact value of the exact inputs where a naive
//! formula cancels.
//!
//! | item | exact identity | reference |
//! |---|---|---|
//! | [`two_sum`] | a + b = s + e exactly, s = fl(a + b) | Knuth, TAOCP vol. 2, §4.2.2 |
//! | [`two_prod`] | a·b = p + e exactly, p = fl(a·b) (one fma) | Ogita, Rump, Oishi 2005, Alg. 3.3 |
//! | [`CompensatedSum`] | Σ xᵢ with error ≤ u·\|Σ xᵢ\| + γ²ₙ Σ\|xᵢ\| | Neumaier 1974; Ogita–Rump–Oishi Sum2 |
//! | [`dot2`] | Σ xᵢyᵢ with error ≤ u·\|Σ\| + γ²ₙ Σ\|xᵢyᵢ\| | Ogita–Rump–Oishi 2005, Dot2 |
//! | [`exp_m1_minus`] | φ(x) = eˣ − 1 − x ≥ 0 without cancellation | Taylor series / expm1 |
//! | [`log1p_excess`] | ψ(r) = (1 + r)·ln(1 + r) − r ≥ 0 without cancellation | atanh series / log1p |
//!
//! Each is generic over [`Scalar`], so it runs in f32, f64 and num-dual's dual numbers. On a
//! dual number the derivative travels in the leading part (`s`, `p`); the error terms carry
//! the rounding of the real part only, which is what the compensation needs.

use nalgebra::DVector;

use crate::scalar::{Scalar, lit};

/// (s, e) with s = fl(a + b) and a + b = s + e exactly (Knuth's branch-free TwoSum).
pub fn two_sum<T: Scalar>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// (p, e) with p = fl(a·b) and a·b = p + e exactly, unless a·b under- or overflows
/// (TwoProduct with one fused multiply-add).
pub fn two_prod<T: Scalar>(a: T, b: T) -> (T, T) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// A running sum with Neumaier's compensation: the result is the rounded exact sum up to a
/// second-order term, |ŝ − Σxᵢ| ≤ u·|Σxᵢ| + γ²ₙ·Σ|xᵢ| (Ogita, Rump, Oishi 2005, Prop. 4.5,
/// γₙ = nu/(1 − nu)), where naive summation has γₙ₋₁·Σ|xᵢ|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompensatedSum<T> {
    sum: T,
    compensation: T,
}

impl<T: Scalar> Default for CompensatedSum<T> {
    fn default() -> Self {
        CompensatedSum {
            sum: T::zero(),
            compensation: T::zero(),
        }
    }
}

impl<T: Scalar> CompensatedSum<T> {
    /// Adds x.
    pub fn add(&mut self, x: T) {
        let (s, e) = two_sum(self.sum, x);
        self.sum = s;
        self.compensation += e;
    }

    /// Adds x + y given as an unevaluated pair (x the leading part).
    pub fn add_pair(&mut self, x: T, y: T) {
        self.add(x);
        self.compensation += y;
    }

    /// The compensated total.
    pub fn total(&self) -> T {
        self.sum + self.compensation
    }
}

impl<T: Scalar> FromIterator<T> for CompensatedSum<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut acc = CompensatedSum::default();
        for x in iter {
            acc.add(x);
        }
        acc
    }
}

/// Σ xᵢyᵢ as if computed in twice the working precision, then rounded (Dot2 of Ogita, Rump
/// and Oishi): |err| ≤ u·|Σ xᵢyᵢ| + γ²ₙ·Σ|xᵢyᵢ|. The vectors have the same length (the
/// callers check it).
pub fn dot2<T: Scalar>(x: &DVector<T>, y: &DVector<T>) -> T {
    let mut acc = CompensatedSum::default();
    for (a, b) in x.iter().zip(y.iter()) {
        let (p, e) = two_prod(*a, *b);
        acc.add_pair(p, e);
    }
    acc.total()
}

/// φ(x) = eˣ − 1 − x ≥ 0, to a few ulps for every x where it is finite: a Taylor series on
/// [−1, 2] (x²·Σ_{k≥2} x^{k−2}/k!, Horner with fused multiply-adds, 26 terms: the remainder is
/// below 2⁻⁶⁰ relative there), eˣ + (−1 − x) below −1 (two non-negative terms), and
/// expm1(x) − x above 2 (the cancellation factor is below 1.9).
pub fn exp_m1_minus<T: Scalar>(x: T) -> T {
    if x < -T::one() {
        return x.exp() + (-T::one() - x);
    }
    if x > lit::<T>(2.0) {
        return x.exp_m1() - x;
    }
    // Horner for P(x) = Σ_{k=2}^{27} x^{k−2}/k!, from the highest term down.
    let mut poly = T::zero();
    for k in (2..=27).rev() {
        poly = poly.mul_add(x, T::one() / factorial::<T>(k));
    }
    // (x·P)·x keeps x² from underflowing for |x| < 1e-154 while φ(x) ≈ x²/2 is representable.
    (x * poly) * x
}

/// ψ(r) = (1 + r)·ln(1 + r) − r ≥ 0 for r ≥ −1, to a few ulps: the relative-entropy term
/// q·ψ((p − q)/q) = p·ln(p/q) − (p − q) of the categorical KL.
///
/// On −½ ≤ r ≤ 2, with t = r/(2 + r) (|t| ≤ ½) and ln(1 + r) = 2 atanh t = 2t·Σ_k t^{2k}/(2k + 1),
///
/// ψ(r) = r·t + 2(1 + r)·t³·Q(t²), Q(s) = Σ_{k=0}^{40} s^k/(2k + 3),
///
/// evaluated by Horner with fused multiply-adds. Both terms have the sign of r², so nothing
/// cancels, and the truncated tail is below 4⁻⁴¹ relative. Elsewhere (1 + r)·ln_1p(r) − r, whose
/// cancellation factor is below 3 there (ψ(−1) = 1 exactly). Measured error ≤ 1.3 ulp (f64
/// and f32, issue #16 notes); bound |err| ≤ 6u·ψ(r) on the series branch.
pub fn log1p_excess<T: Scalar>(r: T) -> T {
    if r == -T::one() {
        return T::one(); // lim_{r→−1} (1 + r)·ln(1 + r) = 0, where 0·(−∞) would give NaN
    }
    if r < -lit::<T>(0.5) || r > lit::<T>(2.0) {
        return (T::one() + r) * r.ln_1p() - r;
    }
    let t = r / (lit::<T>(2.0) + r);
    let t2 = t * t;
    let mut q = T::zero();
    for k in (0..=40).rev() {
        q = q.mul_add(t2, T::one() / lit::<T>(f64::from(2 * k + 3)));
    }
    r.mul_add(t, lit::<T>(2.0) * (T::one() + r) * (t * t2) * q)
}

/// x·γⁿ without a spurious intermediate underflow or overflow (issue #16, item 6):
///
/// $$\operatorname{pow\\_scaled}(x, \gamma, n) = x \gamma^n$$
///
/// γⁿ is formed by binary powering (⌈log₂ n⌉ squarings, so ≤ (2⌈log₂ n⌉ + 1)·u relative error
/// instead of repeated multiplication's n·u). If γⁿ leaves the normal range while x·γⁿ need
/// not (γ = 1e-29, n = 12: γ¹² = 1e-348 underflows, 1e300·γ¹² = 1e-48 does not), the exponent is
/// split, x·γⁿ = (x·γ^⌊n/2⌋)·γ^⌈n/2⌉, recursively, so the partial products move monotonically
/// from x towards the result and none leaves the range before the result does.
/// Bound: |err| ≤ (2⌈log₂ n⌉ + 2)·(⌈log₂ n⌉ + 1)·u·|x·γⁿ| for a normal result.
pub fn pow_scaled<T: Scalar>(x: T, gamma: T, n: usize) -> T {
    if n == 0 || x == T::zero() {
        return x;
    }
    let p = pow_by_squaring(gamma, n);
    let normal = crate::scalar::smallest_normal::<T>();
    let in_range = p.is_finite() && (p == T::zero() && gamma == T::zero() || p.abs() >= normal);
    if in_range || n == 1 {
        return x * p;
    }
    let half = n / 2;
    pow_scaled(pow_scaled(x, gamma, half), gamma, n - half)
}

/// bⁿ by binary powering (square-and-multiply), n ≥ 0; b⁰ = 1.
fn pow_by_squaring<T: Scalar>(b: T, n: usize) -> T {
    let (mut result, mut base, mut e) = (T::one(), b, n);
    while e > 0 {
        if e & 1 == 1 {
            result *= base;
        }
        e >>= 1;
        if e > 0 {
            base *= base;
        }
    }
    result
}

/// Hₖ = Σ_{ℓ≥k} r_ℓ γ^(ℓ−k) for every k, by the compensated Horner scheme of Graillat,
/// Langlois and Louvet (2005), run backward from the last term:
///
/// (p, π) = TwoProduct(s, γ), (s, σ) = TwoSum(p, r_k), c ← fma(c, γ, π + σ), Hₖ = s + c.
///
/// Each Hₖ is as accurate as if computed in twice the working precision, then rounded:
/// |Ĥₖ − Hₖ| ≤ u·|Hₖ| + γ²₂ₙ·Σ_{ℓ≥k} |r_ℓ|γ^(ℓ−k) (γ₂ₙ = 2nu/(1 − 2nu)). For γ = 1 it is Sum2
/// (π = 0): r = [1e16, 1, −1e16] gives H₁ = 1 exactly, where plain summation gives 0.
/// Once the running value overflows the rest is plain Horner (∞ stays ∞; never NaN).
pub fn compensated_horner_suffixes<T: Scalar>(terms: &[T], gamma: T) -> Vec<T> {
    let mut out = vec![T::zero(); terms.len()];
    let (mut s, mut c) = (T::zero(), T::zero());
    let mut overflowed = false;
    for (k, r) in terms.iter().enumerate().rev() {
        if overflowed {
            s = if gamma == T::zero() {
                *r
            } else {
                s * gamma + *r
            };
            out[k] = s;
            continue;
        }
        let (p, pi) = two_prod(s, gamma);
        let (sum, sigma) = two_sum(p, *r);
        if !sum.is_finite() {
            overflowed = true;
            s = sum;
            out[k] = sum;
            continue;
        }
        s = sum;
        c = c.mul_add(gamma, pi + sigma);
        out[k] = s + c;
    }
    out
}

/// A power of two near |x| > 0 (2^⌊log₂|x|⌋, up to a factor of 2 from rounding in log₂),
/// clamped to [2^(2 − e), 2^(e − 2)] with 2^e the largest power of two below MAX, so it is
/// normal and its reciprocal is finite; 1 for x = 0, non-finite x, or a type without a MAX.
/// Dividing by it is exact (no rounding) unless the quotient leaves the normal range, so
/// a vector scaled by it keeps every digit (issue #16, items 5 and 9).
pub fn power_of_two_near<T: Scalar>(x: T) -> T {
    // The exponent is chosen in f64 from x's value (a dual's real part): num-dual's `floor`
    // panics on a dual, and the scale factor is a constant of the computation anyway.
    let to_f64 = |v: T| nalgebra::try_convert::<T, f64>(v);
    let (Some(max), Some(x)) = (T::max_value().and_then(to_f64), to_f64(x.abs())) else {
        return T::one();
    };
    if x == 0.0 || !x.is_finite() {
        return T::one();
    }
    let emax = max.log2().floor() - 2.0;
    let e = x.log2().floor().max(-emax).min(emax);
    // |e| ≤ 1022: the powers of two 2^|e| are exact, and so is their reciprocal.
    let magnitude = lit::<T>(2.0).powi(e.abs() as i32);
    if e < 0.0 {
        T::one() / magnitude
    } else {
        magnitude
    }
}

/// k! in `T` (exact in f64 up to 22!, correctly rounded products beyond).
fn factorial<T: Scalar>(k: u32) -> T {
    (2..=k).fold(T::one(), |acc, j| acc * lit::<T>(f64::from(j)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sum_and_two_prod_are_exact() {
        // 1 + 2⁻⁶⁰ rounds to 1; the error term holds the 2⁻⁶⁰.
        let tiny = 2f64.powi(-60);
        assert_eq!(two_sum(1.0, tiny), (1.0, tiny));
        assert_eq!(two_sum(tiny, 1.0), (1.0, tiny));
        // (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰: the product keeps 1 + 2⁻²⁹, the error 2⁻⁶⁰.
        let a = 1.0 + 2f64.powi(-30);
        assert_eq!(two_prod(a, a), (1.0 + 2f64.powi(-29), tiny));
    }

    #[test]
    fn compensated_sum_recovers_what_naive_summation_loses() {
        // 1e16 + 1 − 1e16: naive summation gives 0 (1e16 + 1 rounds to 1e16), the exact sum is 1.
        let xs = [1e16, 1.0, -1e16];
        assert_eq!(xs.iter().sum::<f64>(), 0.0);
        assert_eq!(xs.into_iter().collect::<CompensatedSum<f64>>().total(), 1.0);
        // −1 + 1e16 + 1 − 1e16 = 0 exactly.
        let ys = [-1.0, 1e16, 1.0, -1e16];
        assert_eq!(ys.into_iter().collect::<CompensatedSum<f64>>().total(), 0.0);
    }

    #[test]
    fn dot2_is_exact_on_a_cancelling_product() {
        // [1 + 2⁻³⁰, −1]·[1 + 2⁻³⁰, 1 + 2⁻²⁹] = 2⁻⁶⁰ exactly; the naive dot product gives 0.
        let a = 1.0 + 2f64.powi(-30);
        let x = DVector::from_vec(vec![a, -1.0]);
        let y = DVector::from_vec(vec![a, 1.0 + 2f64.powi(-29)]);
        assert_eq!(x.dot(&y), 0.0);
        assert_eq!(dot2(&x, &y), 2f64.powi(-60));
    }

    #[test]
    fn log1p_excess_matches_its_closed_form_where_that_is_accurate() {
        // ψ(r) = r²/2 − r³/6 + … : at r = 1e-8 the first two terms decide the double.
        let r: f64 = 1e-8;
        let series = r * r / 2.0 - r * r * r / 6.0;
        assert!((log1p_excess(r) - series).abs() <= 2.0 * f64::EPSILON * series);
        // ψ(1) = 2 ln 2 − 1, ψ(−1) = 1, ψ(3) = 4 ln 4 − 3, ψ(−0.75) = 0.25 ln 0.25 + 0.75.
        for (r, exact) in [
            (1.0f64, 2.0 * std::f64::consts::LN_2 - 1.0),
            (-1.0, 1.0),
            (3.0, 8.0 * std::f64::consts::LN_2 - 3.0),
            (-0.75, 0.75 - 0.5 * std::f64::consts::LN_2),
        ] {
            assert!(
                (log1p_excess(r) - exact).abs() <= 4.0 * f64::EPSILON * exact,
                "ψ({r})"
            );
        }
        assert_eq!(log1p_excess(0.0), 0.0);
    }

    #[test]
    fn phi_matches_its_series_and_closed_forms() {
        // φ(x) = x²/2 + x³/6 + x⁴/24 + … : at x = 1e-8 the first two terms decide the double.
        let x: f64 = 1e-8;
        let series = x * x / 2.0 + x * x * x / 6.0;
        assert!((exp_m1_minus(x) - series).abs() <= 2.0 * f64::EPSILON * series);
        // φ(1) = e − 2, φ(−2) = e⁻² + 1, φ(3) = e³ − 4, each with a few ulps.
        for (x, exact) in [
            (0.5f64, 0.5f64.exp_m1() - 0.5),
            (1.0, std::f64::consts::E - 2.0),
            (-2.0, (-2.0f64).exp() + 1.0),
            (3.0, 3.0f64.exp() - 4.0),
        ] {
            assert!(
                (exp_m1_minus(x) - exact).abs() <= 4.0 * f64::EPSILON * exact,
                "φ({x})"
            );
        }
        // Far outside the series' interval it would lose every digit (alternating terms of
        // 30²⁷/27! at x = −30, a diverging partial sum at x = 20): the closed forms decide.
        for (x, exact) in [
            (-30.0f64, (-30.0f64).exp() + 29.0),
            (20.0, 20.0f64.exp_m1() - 20.0),
        ] {
            assert!(
                (exp_m1_minus(x) - exact).abs() <= 4.0 * f64::EPSILON * exact,
                "φ({x})"
            );
        }
        // Below 1e-154 x² alone would underflow; φ(x) ≈ x²/2 = 5e-321 is still representable.
        let x: f64 = 1e-160;
        assert!(exp_m1_minus(x) > 0.0);
        assert_eq!(exp_m1_minus(0.0), 0.0);
    }
}
