//! Fuzz target `scale_gradient`: gradient scaling of Algorithm 12.2, min(L/‖∇‖, 1)·∇.
//!
//! Properties, for any gradient (including empty, NaN, ±∞, subnormal and near-overflow entries)
//! and any bound L, in f32 and f64:
//!
//! 1. The result is `EmptyInput`, `NonFiniteInput` or `InvalidParameter` exactly when the input
//!    has that defect (empty ∇; a NaN or ±∞ in ∇ or L; L < 0), and otherwise a vector.
//! 2. The vector has ∇'s length and finite entries.
//! 3. Its norm is at most L: ‖out‖ ≤ L·(1 + (4n + 8)ε) + √n·η, where η is the smallest
//!    subnormal (an entry below the normal range carries an absolute rounding error of up to η/2
//!    however it is computed).
//! 4. The direction is preserved: out = c·∇ with 0 ≤ c ≤ 1. When ‖∇‖ ≤ L the gradient is
//!    returned unchanged (c = 1, bit for bit). Otherwise every entry has ∇ᵢ's sign or is 0
//!    (0 where ∇ᵢ = 0), |outᵢ| ≤ |∇ᵢ|, and with c = out_k/∇_k taken at the largest entry,
//!    |outᵢ − c·∇ᵢ| ≤ 8ε|outᵢ| + (L + 1)·η. The absolute term is the price of the subnormal
//!    range: an entry 10³⁰⁸ times smaller than the largest has no relative precision once
//!    ∇ is divided by its largest entry (as it must be when ‖∇‖ exceeds the largest float).
//! 5. When scaling applies, the norm is L: ‖out‖ ≥ L·(1 − (4n + 8)ε) − √n·η. In particular a
//!    non-zero gradient with a normal L > 0 never scales to the zero vector.

use arbitrary::Arbitrary;

use super::input::{Num, values};
use super::{Real, assert_finite, assert_kind, vector, widen};
use pgoracle::gradient_ascent::scale_gradient;
use pgoracle::scalar::stable_norm;

/// Longest gradient a case uses (further entries are ignored).
pub const MAX_LEN: usize = 8;

/// One call `scale_gradient(grad, l2_max)`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Case {
    /// Compute in f32 instead of f64.
    pub f32: bool,
    /// The bound L.
    pub l2_max: Num,
    /// The gradient (at most [`MAX_LEN`] entries are used).
    pub grad: Vec<Num>,
}

/// Calls `scale_gradient` on the case and asserts the properties of the module docs.
pub fn harness(case: Case) {
    let grad = values(&case.grad, MAX_LEN);
    if case.f32 {
        check::<f32>(&grad, case.l2_max.0, &case);
    } else {
        check::<f64>(&grad, case.l2_max.0, &case);
    }
}

fn check<T: Real>(grad: &[f64], l2_max: f64, case: &Case) {
    let g = vector::<T>(grad);
    let l: T = super::to(l2_max);
    let mut defects = Vec::new();
    if g.is_empty() {
        defects.push("EmptyInput");
    }
    if !(l.is_finite() && g.iter().all(|x| x.is_finite())) {
        defects.push("NonFiniteInput");
    }
    if l < T::zero() {
        defects.push("InvalidParameter");
    }
    let out = match scale_gradient(&g, l) {
        Err(e) => {
            assert_kind(&e, &defects, case);
            return;
        }
        Ok(out) => out,
    };
    assert!(defects.is_empty(), "no error for {defects:?}: {case:?}");
    assert_eq!(out.len(), g.len(), "length changed: {case:?}");
    assert_finite(&out, "scaled gradient", case);

    let n = g.len() as f64;
    let (gw, ow, lw) = (widen(&g), widen(&out), l.into());
    let tol = (4.0 * n + 8.0) * T::EPS;
    let underflow = n.sqrt() * T::TINY;
    let out_norm = stable_norm(&ow);
    assert!(
        out_norm <= lw * (1.0 + tol) + underflow,
        "‖out‖ = {out_norm:e} exceeds L = {lw:e}: {case:?} gave {out:?}"
    );
    if stable_norm(&g) <= l {
        assert_eq!(out, g, "a gradient within the bound was changed: {case:?}");
        return;
    }
    for (gi, oi) in gw.iter().zip(ow.iter()) {
        assert!(
            *oi == 0.0 || (*gi != 0.0 && oi.signum() == gi.signum()),
            "entry {oi:e} does not follow {gi:e}: {case:?}"
        );
        assert!(
            oi.abs() <= gi.abs(),
            "entry grew: {gi:e} → {oi:e}: {case:?}"
        );
    }
    // c = out_k/∇_k from the largest entry, then every entry against c·∇ᵢ = out_k·(∇ᵢ/∇_k)
    // (c itself may be beyond the range of f64).
    let k = gw.iamax();
    for (gi, oi) in gw.iter().zip(ow.iter()) {
        let expected = ow[k] * (gi / gw[k]);
        let bound = 8.0 * T::EPS * oi.abs() + (lw + 1.0) * T::TINY;
        assert!(
            (oi - expected).abs() <= bound,
            "direction changed: {oi:e}, expected {expected:e}: {case:?} gave {out:?}"
        );
    }
    assert!(
        out_norm >= lw * (1.0 - tol) - underflow,
        "‖out‖ = {out_norm:e} is short of L = {lw:e}: {case:?} gave {out:?}"
    );
}
