//! Fuzz harnesses (issue #7): one structure-aware harness per cargo-fuzz target.
//!
//! Each submodule holds a `Case` (`#[derive(Arbitrary)]`, so libFuzzer's bytes decode into a
//! structured input aimed at the numerical edge cases) and a `harness(case)` that calls the
//! library and asserts its properties. A harness panics only when a property is violated —
//! that panic is the fuzzer's finding. pgoracle itself never panics.
//!
//! | target | under test | module |
//! |---|---|---|
//! | `scale_gradient` | Algorithm 12.2, scaling | [`scale_gradient`](mod@scale_gradient) |
//! | `clip_gradient` | Algorithm 12.2, clipping | [`clip_gradient`](mod@clip_gradient) |
//! | `linesearch` | Eq. 12.20, Algorithm 12.5 | [`linesearch`](mod@linesearch) |
//! | `natural_update` | Eqs. 12.12–12.13, every solver | [`natural_update`](mod@natural_update) |
//! | `clamped_gradient` | Eq. 12.23, Algorithm 12.6 | [`clamped_gradient`](mod@clamped_gradient) |
//! | `eval_json` | `pgoracle eval` | [`eval_json`] |
//!
//! The fuzz targets in `fuzz/fuzz_targets/` are one line each (`harness(case)`), and
//! `tests/fuzz_replay.rs` replays every file of `fuzz/corpus/<target>/` through [`replay`] on
//! stable Rust, so the corpora guard the findings under a plain `cargo test`.
//!
//! The module is behind the `fuzz` cargo feature, which is **on by default** (that is what lets
//! the plain `cargo test` replay the corpora); `default-features = false` drops it together with
//! its only dependency, `arbitrary`. `docs/fuzzing.md` describes the targets and the results.

use arbitrary::{Arbitrary, Unstructured};
use nalgebra::DVector;

use pgoracle::error::PgError;
use pgoracle::scalar::Scalar;

pub mod clamped_gradient;
pub mod clip_gradient;
pub mod eval_json;
pub mod linesearch;
pub mod natural_update;
pub mod scale_gradient;

mod input;

pub use input::{EDGE_VALUES, Num, SolverCase};

/// The fuzz targets, as named in `fuzz/Cargo.toml` and `fuzz/corpus/`.
pub const TARGETS: [&str; 6] = [
    "scale_gradient",
    "clip_gradient",
    "linesearch",
    "natural_update",
    "clamped_gradient",
    "eval_json",
];

/// Decodes fuzzer bytes into a case exactly as `libfuzzer_sys::fuzz_target!` does for a typed
/// target: inputs shorter than the type's minimum size are skipped, the rest go through
/// [`Arbitrary::arbitrary_take_rest`]. `None` when libFuzzer would not run the input.
pub fn decode<'a, C: Arbitrary<'a>>(bytes: &'a [u8]) -> Option<C> {
    if bytes.len() < C::size_hint(0).0 {
        return None;
    }
    C::arbitrary_take_rest(Unstructured::new(bytes)).ok()
}

/// Runs the harness of `target` on fuzzer bytes (one corpus file or crash artifact), decoding
/// them as the fuzz target does. Returns whether the input was run (`false` when libFuzzer
/// would skip it, or for an unknown target name).
pub fn replay(target: &str, bytes: &[u8]) -> bool {
    fn run<'a, C: Arbitrary<'a>>(bytes: &'a [u8], harness: fn(C)) -> bool {
        decode(bytes).map(harness).is_some()
    }
    match target {
        "scale_gradient" => run(bytes, scale_gradient::harness),
        "clip_gradient" => run(bytes, clip_gradient::harness),
        "linesearch" => run(bytes, linesearch::harness),
        "natural_update" => run(bytes, natural_update::harness),
        "clamped_gradient" => run(bytes, clamped_gradient::harness),
        "eval_json" => run(bytes, eval_json::harness),
        _ => false,
    }
}

/// The scalar types the harnesses run in (f32 and f64), with an exact widening to f64 so
/// properties can be checked in f64, and the constants of the type's arithmetic.
trait Real: Scalar + Into<f64> {
    /// Machine epsilon.
    const EPS: f64;
    /// Smallest positive normal number.
    const MIN_NORMAL: f64;
    /// Largest finite number.
    const MAX: f64;
    /// Smallest positive subnormal number (the spacing of the subnormals).
    const TINY: f64 = Self::MIN_NORMAL * Self::EPS;
}

impl Real for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;
    const MAX: f64 = f32::MAX as f64;
}

impl Real for f64 {
    const EPS: f64 = f64::EPSILON;
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    const MAX: f64 = f64::MAX;
}

/// `x` rounded to `T`.
fn to<T: Real>(x: f64) -> T {
    nalgebra::convert(x)
}

/// A vector of `T` from f64 values.
fn vector<T: Real>(xs: &[f64]) -> DVector<T> {
    DVector::from_iterator(xs.len(), xs.iter().map(|x| to(*x)))
}

/// A vector of `T` widened to f64.
fn widen<T: Real>(v: &DVector<T>) -> DVector<f64> {
    v.map(Into::into)
}

/// Asserts that an error is one of the kinds the input can legitimately produce.
#[track_caller]
fn assert_kind(err: &PgError, allowed: &[&str], context: &dyn std::fmt::Debug) {
    assert!(
        allowed.contains(&err.kind()),
        "unexpected error {err:?} (allowed: {allowed:?}) for {context:?}"
    );
}

/// Asserts that every entry is finite.
#[track_caller]
fn assert_finite<T: Real>(v: &DVector<T>, what: &str, context: &dyn std::fmt::Debug) {
    assert!(
        v.iter().all(|x| x.is_finite()),
        "non-finite {what} {v:?} returned as a number for {context:?}"
    );
}
