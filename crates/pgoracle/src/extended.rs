//! Numbers with an extended exponent, m·2^e with |m| ∈ [1, 2), for the quantities whose exact
//! value lies outside the precision's range while what is computed from them does not (issue
//! #16): a discounted return r·γ¹⁷ = 5.5e18·(2.2e-5)¹⁷ ≈ 1e-60 is 0 in f32, yet the direction
//! g/‖g‖ of the gradient it weights is an ordinary vector. Only powers of two are applied to a
//! value, so every scaling is exact and dual numbers keep finite derivatives.

use nalgebra::DVector;

use crate::scalar::{Scalar, lit};
use crate::trajectory::Step;

/// x·2^k for any k, by factors 2^±60 (normal in f32 and f64): exact unless the result itself
/// leaves the range.
pub fn mul_pow2<T: Scalar>(x: T, k: i32) -> T {
    let (up, down) = (lit::<T>(2f64.powi(60)), lit::<T>(2f64.powi(-60)));
    let (mut x, mut k) = (x, k);
    while k > 60 {
        x *= up;
        k -= 60;
    }
    while k < -60 {
        x *= down;
        k += 60;
    }
    x * lit::<T>(2f64.powi(k))
}

/// (m, e) with x = m·2^e and |m| ∈ [1, 2); (x, 0) for 0 and non-finite x. The exponent is read
/// from the value (a dual's real part) in f64.
pub fn split_exponent<T: Scalar>(x: T) -> (T, i32) {
    let Some(magnitude) = nalgebra::try_convert::<T, f64>(x.abs()) else {
        return (x, 0);
    };
    if magnitude == 0.0 || !magnitude.is_finite() {
        return (x, 0);
    }
    let mut e = magnitude.log2().floor() as i32;
    let mut m = mul_pow2(x, -e);
    // log₂ rounded across a power of two: one correcting step.
    if m.abs() >= lit(2.0) {
        m *= lit::<T>(0.5);
        e += 1;
    } else if m.abs() < T::one() {
        m += m;
        e -= 1;
    }
    (m, e)
}

/// The discounted return Σ_k r_k γ^(k−1) (as Algorithms 12.3–12.4 use it) as m·2^e: Horner's
/// scheme from the last reward, H = r + γ·H, with H renormalized at every step, so a return
/// below (or above) the precision's range keeps its leading digits. Plain, not compensated,
/// arithmetic: about (2d + 2)·u relative for like-signed terms; it serves where the compensated
/// [`crate::discounted_return`] underflows to 0.
pub fn discounted_return_split<S, A, T: Scalar>(tau: &[Step<S, A, T>], gamma: T) -> (T, i32) {
    let (gamma_m, gamma_e) = split_exponent(gamma);
    let (mut m, mut e) = (T::zero(), 0i32);
    for step in tau.iter().rev() {
        // γ·H = (γₘ·m)·2^(γₑ + e).
        let (pm, pe) = split_exponent(gamma_m * m);
        let pe = if pm == T::zero() { 0 } else { pe + gamma_e + e };
        let (rm, re) = split_exponent(step.r);
        let (sum, base) = if rm == T::zero() {
            (pm, pe)
        } else if pm == T::zero() {
            (rm, re)
        } else {
            let top = re.max(pe);
            (mul_pow2(rm, re - top) + mul_pow2(pm, pe - top), top)
        };
        let (mm, me) = split_exponent(sum);
        (m, e) = (mm, me + base);
    }
    (m, e)
}

/// Numbers with extended exponents brought to the largest one: [mᵢ·2^(eᵢ − E)] and E. Entries
/// far below the largest underflow to 0, which does not change a direction.
pub fn common_exponent<T: Scalar>(values: &[(T, i32)]) -> (DVector<T>, i32) {
    let top = values
        .iter()
        .filter(|(m, _)| *m != T::zero())
        .map(|(_, e)| *e)
        .max()
        .unwrap_or(0);
    (
        DVector::from_iterator(
            values.len(),
            values.iter().map(|(m, e)| mul_pow2(*m, e - top)),
        ),
        top,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2^±k in steps, and the split of ordinary, tiny and huge numbers, written out.
    #[test]
    fn powers_of_two_and_splits() {
        assert_eq!(mul_pow2(3.0f64, 1000), 3.0 * 2f64.powi(1000));
        assert_eq!(
            mul_pow2(3.0f64, -1070),
            3.0 * 2f64.powi(-1000) * 2f64.powi(-70)
        );
        assert_eq!(
            mul_pow2(1.5f32, -140),
            1.5 * 2f32.powi(-70) * 2f32.powi(-70)
        );
        assert_eq!(split_exponent(12.0f64), (1.5, 3));
        assert_eq!(split_exponent(-0.75f64), (-1.5, -1));
        assert_eq!(
            split_exponent(3.0 * 2f64.powi(-1000) * 2f64.powi(-70)),
            (1.5, -1069)
        );
        assert_eq!(split_exponent(0.0f64), (0.0, 0));
        let (v, top) = common_exponent(&[(1.5f64, 3), (1.0, 1), (0.0, 0)]);
        assert_eq!((v, top), (DVector::from_vec(vec![1.5, 0.25, 0.0]), 3));
    }

    /// 5.5e18·γ¹⁷ with γ = 2.2213947886484675e-5 is ~1e-60: 0 in f32, but m·2^e keeps it.
    /// Expected: the same product in f64, where it is an ordinary number.
    #[test]
    fn a_return_below_f32s_range_keeps_its_digits() {
        let gamma = 2.221_394_8e-5f32;
        let r = 5.506_853e18_f32;
        let mut tau = vec![
            Step {
                s: (),
                a: (),
                r: 0.0f32
            };
            17
        ];
        tau.push(Step { s: (), a: (), r });
        let (m, e) = discounted_return_split(&tau, gamma);
        let exact = f64::from(r) * f64::from(gamma).powi(17);
        let got = f64::from(m) * 2f64.powi(e);
        assert!(
            ((got - exact) / exact).abs() < 40.0 * f64::from(f32::EPSILON),
            "{got:e} vs {exact:e}"
        );
        // The ordinary compensated return is 0 in f32.
        assert_eq!(crate::discounted_return(&tau, gamma), 0.0);
    }
}
