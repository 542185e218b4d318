//! Fuzz target `clip_gradient`: gradient clipping of Algorithm 12.2, clamp(∇ᵢ, a, b).
//!
//! Properties, for any gradient and any bounds (a > b, NaN and ±∞ included), in f32 and f64:
//!
//! 1. The result is `EmptyInput`, `NonFiniteInput` or `InvalidParameter` exactly when the input
//!    has that defect (empty ∇; a NaN or ±∞ in ∇, a or b; a > b), and otherwise a vector.
//! 2. The vector has ∇'s length, and every entry lies in [a, b].
//! 3. It is the clamp: entries inside [a, b] are unchanged, entries below a become a, entries
//!    above b become b.

use arbitrary::Arbitrary;

use super::input::{Num, values};
use super::{Real, assert_kind, vector};
use pgoracle::gradient_ascent::clip_gradient;

/// Longest gradient a case uses (further entries are ignored).
pub const MAX_LEN: usize = 8;

/// One call `clip_gradient(grad, lo, hi)`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Case {
    /// Compute in f32 instead of f64.
    pub f32: bool,
    /// The lower bound a.
    pub lo: Num,
    /// The upper bound b.
    pub hi: Num,
    /// The gradient (at most [`MAX_LEN`] entries are used).
    pub grad: Vec<Num>,
}

/// Calls `clip_gradient` on the case and asserts the properties of the module docs.
pub fn harness(case: Case) {
    let grad = values(&case.grad, MAX_LEN);
    if case.f32 {
        check::<f32>(&grad, &case);
    } else {
        check::<f64>(&grad, &case);
    }
}

fn check<T: Real>(grad: &[f64], case: &Case) {
    let g = vector::<T>(grad);
    let (lo, hi): (T, T) = (super::to(case.lo.0), super::to(case.hi.0));
    let mut defects = Vec::new();
    if g.is_empty() {
        defects.push("EmptyInput");
    }
    if !(lo.is_finite() && hi.is_finite() && g.iter().all(|x| x.is_finite())) {
        defects.push("NonFiniteInput");
    }
    if lo > hi {
        defects.push("InvalidParameter");
    }
    let out = match clip_gradient(&g, lo, hi) {
        Err(e) => {
            assert_kind(&e, &defects, case);
            return;
        }
        Ok(out) => out,
    };
    assert!(defects.is_empty(), "no error for {defects:?}: {case:?}");
    assert_eq!(out.len(), g.len(), "length changed: {case:?}");
    for (gi, oi) in g.iter().zip(out.iter()) {
        assert!(
            lo <= *oi && *oi <= hi,
            "entry {oi} outside [{lo}, {hi}]: {case:?}"
        );
        let expected = if *gi < lo {
            lo
        } else if *gi > hi {
            hi
        } else {
            *gi
        };
        assert!(
            *oi == expected,
            "clip({gi}) = {oi}, expected {expected}: {case:?}"
        );
    }
}
