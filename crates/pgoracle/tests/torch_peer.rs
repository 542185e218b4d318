//! The torch profile's conventions against the real torch 2.15.0: every `scale_gradient`,
//! `clip_gradient`, `kl_categorical` and `kl_gaussian` recording of `tests/peers/torch.json`
//! (provenance: torch 2.15.0, Python 3.11.7, recorded per case in its `versions`; f32 cases ran
//! in float32 and are computed here with T = f32, f64 cases with T = f64), and the book's
//! conventions against the version-1 functions, bit for bit.

use std::collections::BTreeMap;

use nalgebra::{DVector, dvector};
use num_dual::Dual64;
use serde_json::Value;

use pgoracle::conventions::{Departure, KlForm, Nonfinite, Norm, Probabilities, Profile};
use pgoracle::scalar::lit;
use pgoracle::{
    Normal, Scalar, clip_gradient, clip_gradient_with, kl_categorical, kl_categorical_with,
    kl_gaussian, kl_gaussian_with, scale_gradient, scale_gradient_with,
};

const RECORDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/peers/torch.json");

/// A recorded number: a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("a recorded number"),
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => panic!("unexpected recorded string {other}"),
        },
        other => panic!("unexpected recorded value {other}"),
    }
}

fn vector<T: Scalar>(v: &Value) -> DVector<T> {
    let entries = v.as_array().expect("a recorded array");
    DVector::from_iterator(entries.len(), entries.iter().map(|x| lit::<T>(num(x))))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The same float, bit for bit (NaN ↔ NaN).
    Exact,
    /// Within the relative tolerance.
    Close,
    Mismatch,
}

/// `got` against torch's `want` (converted to T, as torch's output was a T).
fn compare<T: Scalar + Into<f64>>(got: T, want: f64, rel: f64) -> Outcome {
    let want: f64 = lit::<T>(want).into();
    let got: f64 = got.into();
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            Outcome::Exact
        } else {
            Outcome::Mismatch
        };
    }
    if got.to_bits() == want.to_bits() {
        Outcome::Exact
    } else if want.is_finite() && (got - want).abs() <= rel * want.abs() {
        Outcome::Close
    } else {
        Outcome::Mismatch
    }
}

fn compare_vec<T: Scalar + Into<f64>>(got: &DVector<T>, want: &Value, rel: f64) -> Outcome {
    let want = want.as_array().expect("a recorded array");
    if want.len() != got.len() {
        return Outcome::Mismatch;
    }
    got.iter()
        .zip(want)
        .map(|(g, w)| compare(*g, num(w), rel))
        .max()
        .unwrap_or(Outcome::Exact)
}

/// ε·Σ p̃ₖ(|ln c(p̃ₖ)| + |ln c(q̃ₖ)|) of a `kl_categorical` input (in f64, ε and the clamp of
/// T): twice the unit roundoff times the scale of torch's logarithms, a bound on torch's own
/// rounding error in T.
fn torch_rounding_scale<T: Scalar + Into<f64>>(input: &Value) -> f64 {
    let eps: f64 = T::default_epsilon().into();
    let normalise = |v: &Value| {
        let v: Vec<f64> = vector::<T>(v).iter().map(|x| (*x).into()).collect();
        let sum: f64 = v.iter().sum();
        v.into_iter().map(move |x| x / sum)
    };
    let log_clamped = |x: f64| x.clamp(eps, 1.0 - eps).ln().abs();
    let s: f64 = normalise(&input["p"])
        .zip(normalise(&input["q"]))
        .filter(|(p, q)| *p > 0.0 && *q > 0.0)
        .map(|(p, q)| p * (log_clamped(p) + log_clamped(q)))
        .sum();
    eps * s
}

/// Runs one recording with T; `Ok(outcome)` or `Err(description)` of a mismatch.
fn run_case<T: Scalar + Into<f64>>(case: &Value, rel: f64) -> Outcome {
    let profile = Profile::Torch.conventions();
    let input = &case["input"];
    let expected = &case["peer_output"];
    let torch_raised = expected.get("error").is_some();
    let f = |name: &str| lit::<T>(num(&input[name]));
    let outcome = match case["operation"].as_str() {
        Some("scale_gradient") => {
            let r = scale_gradient_with(
                &vector::<T>(&input["grad"]),
                f("l2_max"),
                profile.norm,
                lit(profile.clip_norm_epsilon),
                profile.nonfinite,
            );
            match r {
                Err(_) => Err(()),
                Ok(r) => Ok(compare_vec(&r.grad, &expected["grad"], rel).max(compare(
                    r.total_norm,
                    num(&expected["total_norm"]),
                    rel,
                ))),
            }
        }
        Some("clip_gradient") => {
            let c = f("clip_value");
            clip_gradient_with(&vector::<T>(&input["grad"]), -c, c, profile.nonfinite)
                .map(|(g, _)| compare_vec(&g, &expected["grad"], rel))
                .map_err(|_| ())
        }
        Some("kl_categorical") => kl_categorical_with(
            &vector::<T>(&input["p"]),
            &vector::<T>(&input["q"]),
            profile.probabilities,
            profile.nonfinite,
        )
        .map(|(kl, _)| {
            // torch evaluates each term in T, ln c(p̃) − ln c(q̃) with a rounding of each logarithm:
            // its own error is up to about u·S, S = Σ p̃ₖ(|ln c(p̃ₖ)| + |ln c(q̃ₖ)|), which
            // exceeds `rel` where the terms cancel (random-04: KL 0.0052 from terms ±0.03).
            // pgoracle evaluates torch's formula more accurately, so it may differ by that.
            let slack = lit::<T>(torch_rounding_scale::<T>(input)).into();
            compare(
                kl,
                num(&expected["kl"]),
                rel + slack / num(&expected["kl"]).abs(),
            )
        })
        .map_err(|_| ()),
        Some("kl_gaussian") => kl_gaussian_with(
            &Normal {
                mean: f("mean_p"),
                std: f("std_p"),
            },
            &Normal {
                mean: f("mean_q"),
                std: f("std_q"),
            },
            profile.kl_form,
            profile.nonfinite,
        )
        .map(|(kl, _)| compare(kl, num(&expected["kl"]), rel))
        .map_err(|_| ()),
        other => panic!("unexpected operation {other:?}"),
    };
    match (outcome, torch_raised) {
        (Err(()), true) => Outcome::Exact, // torch raised, pgoracle returned a typed error
        (Ok(o), false) => o,
        _ => Outcome::Mismatch,
    }
}

/// Every recording of the four operations, each computed in its own scalar: finite numbers within
/// 1e-6 relative (f32) or 1e-14 relative (f64), NaN and ±∞ exactly, torch's errors as `Err`.
/// `scale_gradient`, `clip_gradient` and `kl_gaussian` repeat torch's operation sequence and
/// must match bit for bit.
#[test]
fn every_torch_recording_is_reproduced() {
    let text = std::fs::read_to_string(RECORDINGS).expect("tests/peers/torch.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("valid JSON");
    // operation → (cases, exact)
    let mut tally: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let op = case["operation"].as_str().unwrap_or_default().to_string();
        if !matches!(
            op.as_str(),
            "scale_gradient" | "clip_gradient" | "kl_categorical" | "kl_gaussian"
        ) {
            continue;
        }
        assert_eq!(case["profile"], "torch");
        assert_eq!(case["versions"]["torch"], "2.15.0");
        let outcome = match case["scalar"].as_str() {
            Some("f32") => run_case::<f32>(case, 1e-6),
            Some("f64") => run_case::<f64>(case, 1e-14),
            other => panic!("unexpected scalar {other:?}"),
        };
        let entry = tally.entry(op.clone()).or_default();
        entry.0 += 1;
        match outcome {
            Outcome::Exact => entry.1 += 1,
            Outcome::Close => {}
            Outcome::Mismatch => failures.push(case["id"].as_str().unwrap_or("?").to_string()),
        }
        if outcome != Outcome::Exact {
            eprintln!("{}: {outcome:?}", case["id"]);
        }
    }
    for (op, (n, exact)) in &tally {
        eprintln!("{op}: {n} recordings, {exact} bit for bit");
    }
    assert!(failures.is_empty(), "not reproduced: {failures:?}");
    let count = |op: &str| tally.get(op).copied().unwrap_or_default();
    assert_eq!(count("scale_gradient"), (44, 44));
    assert_eq!(count("clip_gradient"), (20, 20));
    assert_eq!(count("kl_gaussian"), (27, 27));
    assert_eq!(count("kl_categorical").0, 34);
}

/// The departures reported on recordings of torch 2.15.0 (case ids of `tests/peers/torch.json`).
#[test]
fn departures_on_recorded_cases() {
    use Departure::*;
    let torch = |g: DVector<f64>, l: f64| {
        scale_gradient_with(&g, l, Norm::Naive, 1e-6, Nonfinite::Propagate).unwrap()
    };
    // torch-scale_gradient-overflow-1e200-f64: total ∞, grad [0, 0, 0].
    let r = torch(dvector![1e200, 1e200, 0.0], 1.0);
    assert_eq!(r.total_norm, f64::INFINITY);
    assert_eq!(r.grad, dvector![0.0, 0.0, 0.0]);
    // ε does not change a coefficient of an infinite norm: no `norm_epsilon`.
    assert_eq!(r.departures, vec![NormOverflow, NonfinitePropagated]);
    // One entry: torch 2.15's norm is |g₀| exactly, no overflow (measured with torch
    // 2.15.0+cu132 in target/peers-venv: clip_grad_norm_ of [1e155] returns 1e155 and leaves
    // [1.0]; of [-1e200], 1e200 and [-1.0]; of [1e-158], 1e-158 and [1e-158]).
    let r = torch(dvector![1e155], 1.0);
    assert_eq!((r.total_norm, r.grad[0]), (1e155, 1.0));
    assert!(!r.departures.contains(&NormOverflow));
    let r = torch(dvector![-1e200], 1.0);
    assert_eq!((r.total_norm, r.grad[0]), (1e200, -1.0));
    let r = torch(dvector![1e-158], 1.0);
    assert_eq!((r.total_norm, r.grad[0]), (1e-158, 1e-158));
    // torch-scale_gradient-underflow-1e-200-f64: total 0, coefficient 1e-210·(1/1e-6).
    let r = torch(dvector![1e-200, -1e-200], 1e-210);
    assert_eq!(r.total_norm, 0.0);
    assert_eq!(r.departures, vec![NormOverflow, NormEpsilon]);
    assert!(r.grad[1] == 0.0 && r.grad[1].is_sign_negative());
    // torch-scale_gradient-book-3-4-f64: 3/5.000001 = 0.599999880000024, by hand.
    let r = torch(dvector![3.0, 4.0], 1.0);
    assert_eq!(r.departures, vec![NormEpsilon]);
    assert!((r.grad[0] - 0.599_999_880_000_024).abs() <= 2e-16);
    // torch-scale_gradient-random-03-f64: shorter than l2_max, multiplied by 1, no departure.
    let g = dvector![
        -0.02957955055903641,
        0.015348003937734524,
        -0.008252223264489133
    ];
    let r = torch(g.clone(), 0.05442713659678152);
    assert_eq!((r.grad, r.departures), (g, vec![]));
    // torch-scale_gradient-inf-entry-f64: [∞, 1, −2] → [NaN, 0, −0].
    let r = torch(dvector![f64::INFINITY, 1.0, -2.0], 1.0);
    assert!(r.grad[0].is_nan() && r.grad[1] == 0.0 && r.grad[2].is_sign_negative());
    assert_eq!(r.departures, vec![NonfinitePropagated]);
    // torch-clip_gradient-nan-entry-f64.
    let (g, d) = clip_gradient_with(
        &dvector![f64::NAN, 5.0, -5.0],
        -1.0,
        1.0,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert!(g[0].is_nan() && g[1] == 1.0 && g[2] == -1.0);
    assert_eq!(d, vec![NonfinitePropagated]);
    // torch-clip_gradient-inf-entries-f64: clamped, nothing non-finite left.
    let (g, d) = clip_gradient_with(
        &dvector![f64::INFINITY, f64::NEG_INFINITY, 0.25],
        -1.0,
        1.0,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert_eq!((g, d), (dvector![1.0, -1.0, 0.25], vec![]));

    let kl = |p: DVector<f64>, q: DVector<f64>| {
        kl_categorical_with(
            &p,
            &q,
            Probabilities::NormalizeAndClamp,
            Nonfinite::Propagate,
        )
        .unwrap()
    };
    // torch-kl_categorical-issue17-q-1e-20-f64, by hand:
    // ½(ln ½ − ln(1 − 2⁻⁵²)) + ½(ln ½ − ln 2⁻⁵²) = 25 ln 2 + 2⁻⁵³ + O(2⁻¹⁰⁴).
    let (v, d) = kl(dvector![0.5, 0.5], dvector![1.0, 1e-20]);
    let by_hand = 25.0 * std::f64::consts::LN_2;
    assert!((v - by_hand).abs() <= 4e-15, "{v} vs {by_hand}");
    assert!((v - 17.32867951399863).abs() <= 4e-15);
    assert_eq!(d, vec![ProbabilitiesClamped]);
    // torch-kl_categorical-unnormalized-f64: [1, 1] ‖ [3, 1] → [½, ½] ‖ [¾, ¼]:
    // ½ ln(2/3) + ½ ln 2 = ½ ln(4/3), by hand.
    let (v, d) = kl(dvector![1.0, 1.0], dvector![3.0, 1.0]);
    assert!((v - 0.5 * (4.0f64 / 3.0).ln()).abs() <= 1e-16);
    assert!((v - 0.14384103622589045).abs() <= 1e-16);
    assert_eq!(d, vec![ProbabilitiesNormalized]);
    // torch-kl_categorical-q-zero-f64: ∞.
    let (v, d) = kl(dvector![0.5, 0.5], dvector![1.0, 0.0]);
    assert_eq!(v, f64::INFINITY);
    assert_eq!(d, vec![ProbabilitiesClamped, NonfinitePropagated]);
    // torch-kl_categorical-p-and-q-zero-f64: p = 0 wins over q = 0; p̃₀ = 1 is clamped.
    let (v, d) = kl(dvector![1.0, 0.0], dvector![1.0, 0.0]);
    assert_eq!(v, 0.0);
    assert_eq!(d, vec![ProbabilitiesClamped]);
    // torch-kl_categorical-negative-prob-f64: torch's ValueError.
    let e = kl_categorical_with(
        &dvector![1.5, -0.5],
        &dvector![0.5, 0.5],
        Probabilities::NormalizeAndClamp,
        Nonfinite::Propagate,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "InvalidParameter");

    let normal = |mean: f64, std: f64| Normal { mean, std };
    let kg = |p: Normal<f64>, q: Normal<f64>| {
        kl_gaussian_with(&p, &q, KlForm::VarianceRatio, Nonfinite::Propagate).unwrap()
    };
    // torch-kl_gaussian-issue17-1e-150-vs-1e150-f64 and torch-kl_gaussian-1e150-vs-1e-150-f64.
    let (v, d) = kg(normal(0.0, 1e-150), normal(0.0, 1e150));
    assert_eq!(v, f64::INFINITY);
    assert_eq!(d, vec![VarianceRatioRange, NonfinitePropagated]);
    let (v, d) = kg(normal(0.0, 1e150), normal(0.0, 1e-150));
    assert!(v.is_nan());
    assert_eq!(d, vec![VarianceRatioRange, NonfinitePropagated]);
    // torch-kl_gaussian-1e-160-vs-1-f64: r = 1e-320 is subnormal.
    let (v, d) = kg(normal(0.0, 1e-160), normal(0.0, 1.0));
    assert_eq!(v, 367.91362044548697);
    assert_eq!(d, vec![VarianceRatioRange]);
    // torch-kl_gaussian-close-sigmas-f32: 2⁻⁴⁶ (r = 1 − 2⁻²², ln r = −2⁻²² − 2⁻⁴⁵ in f32).
    let (v, d) = kl_gaussian_with(
        &Normal {
            mean: 0.0f32,
            std: 1.0,
        },
        &Normal {
            mean: 0.0,
            std: 1.000_000_1,
        },
        KlForm::VarianceRatio,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert_eq!(v, 2.0f32.powi(-46));
    assert!(d.is_empty());
}

/// Under `nonfinite: error` a NaN or ∞ that torch would propagate is the version-1 typed error.
#[test]
fn torch_formulas_under_nonfinite_error() {
    // The naive norm's overflow with finite entries is the `norm` convention's own departure:
    // the gradient is scaled by 0 (finite) and the norm reported as ∞, not an error.
    let r = scale_gradient_with(
        &dvector![1e200, 1e200, 0.0],
        1.0,
        Norm::Naive,
        1e-6,
        Nonfinite::Error,
    )
    .unwrap();
    assert_eq!(r.grad, dvector![0.0, 0.0, 0.0]);
    assert_eq!(r.total_norm, f64::INFINITY);
    assert_eq!(
        r.departures,
        vec![pgoracle::conventions::Departure::NormOverflow]
    );
    let e = scale_gradient_with(
        &dvector![f64::INFINITY, 1.0],
        1.0,
        Norm::Naive,
        1e-6,
        Nonfinite::Error,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "NonFiniteInput");
    let e = scale_gradient_with(
        &dvector![3.0, 4.0],
        -1.0,
        Norm::Naive,
        1e-6,
        Nonfinite::Error,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "InvalidParameter");
    // Naive without ε: the zero gradient with L = 0 is the zero vector, not 0·(1/0) = NaN.
    let r =
        scale_gradient_with(&dvector![0.0, 0.0], 0.0, Norm::Naive, 0.0, Nonfinite::Error).unwrap();
    assert_eq!(r.grad, dvector![0.0, 0.0]);
    let e = clip_gradient_with(&dvector![f64::NAN], -1.0, 1.0, Nonfinite::Error).unwrap_err();
    assert_eq!(e.kind(), "NonFiniteInput");
    let e = kl_categorical_with(
        &dvector![0.5, 0.5],
        &dvector![1.0, 0.0],
        Probabilities::NormalizeAndClamp,
        Nonfinite::Error,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "ZeroProbability");
    let (v, _) = kl_categorical_with(
        &dvector![0.5, 0.5],
        &dvector![1.0, 0.0],
        Probabilities::AsGiven,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert_eq!(v, f64::INFINITY);
    let e = kl_gaussian_with(
        &Normal {
            mean: 0.0,
            std: 1e-150,
        },
        &Normal {
            mean: 0.0,
            std: 1e150,
        },
        KlForm::VarianceRatio,
        Nonfinite::Error,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "NonFiniteResult");
    // The stable form is finite there: ln 10³⁰⁰ − ½ + ½·10⁻⁶⁰⁰ = 690.2755278982137.
    let (v, d) = kl_gaussian_with(
        &Normal {
            mean: 0.0,
            std: 1e-150,
        },
        &Normal {
            mean: 0.0,
            std: 1e150,
        },
        KlForm::Stable,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert!((v - (300.0 * std::f64::consts::LN_10 - 0.5)).abs() <= 2e-13);
    assert!(d.is_empty());
}

/// `Scaled` with ε > 0: the accurate norm and one division, L/(‖∇‖ + ε).
#[test]
fn scaled_norm_with_epsilon() {
    let r = scale_gradient_with(
        &dvector![3.0, 4.0],
        1.0,
        Norm::Scaled,
        1e-6,
        Nonfinite::Error,
    )
    .unwrap();
    assert_eq!(r.total_norm, 5.0);
    let c = 1.0 / 5.000_001;
    assert_eq!(r.grad, dvector![3.0 * c, 4.0 * c]);
    assert_eq!(r.departures, vec![Departure::NormEpsilon]);
    // Entries whose squares overflow: the accurate norm, and ε absorbed → the book's path.
    let g = dvector![1e200, 1e200, 0.0];
    let r = scale_gradient_with(&g, 1.0, Norm::Scaled, 1e-6, Nonfinite::Propagate).unwrap();
    assert_eq!(r.grad, scale_gradient(&g, 1.0).unwrap());
    assert!((r.total_norm - 2f64.sqrt() * 1e200).abs() <= 4e184);
}

fn bits<T: Scalar + Into<f64>>(v: &DVector<T>) -> Vec<u64> {
    v.iter().map(|x| (*x).into().to_bits()).collect()
}

/// With the book's conventions the `_with` functions are the version-1 functions, bit for bit,
/// errors included.
#[test]
fn book_conventions_are_the_version_1_functions() {
    let book = Profile::Book.conventions();
    let grads = [
        (dvector![3.0, 4.0], 1.0),
        (dvector![0.6, 0.8], 1.0),
        (dvector![1e200, 1e200, 0.0], 1.0),
        (dvector![1e308, -1e308], 2.0),
        (dvector![1e-300, 3e-301, -2e-300], 1e-310),
        (dvector![1e240, 1.0], 1e-246),
        (dvector![0.1, -0.2, 0.3], 10.0),
        (dvector![0.0, 0.0], 0.0),
        (dvector![1.0, f64::NAN], 1.0),
        (dvector![1.0, 2.0], -1.0),
    ];
    for (g, l) in &grads {
        let with = scale_gradient_with(g, *l, book.norm, book.clip_norm_epsilon, book.nonfinite);
        match (scale_gradient(g, *l), with) {
            (Ok(a), Ok(b)) => {
                assert_eq!(bits(&a), bits(&b.grad), "{g}");
                assert!(b.departures.is_empty());
                assert_eq!(b.total_norm, pgoracle::scalar::stable_norm(g));
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{g}: {a:?} vs {b:?}"),
        }
    }
    let g32 = dvector![3.0f32, 4.0, -1e20];
    let a = scale_gradient(&g32, 1.0).unwrap();
    let b = scale_gradient_with(&g32, 1.0, Norm::Scaled, 0.0, Nonfinite::Error).unwrap();
    assert_eq!(bits(&a), bits(&b.grad));

    for (g, lo, hi) in [
        (dvector![-3.0, 0.5, 2.0], -1.0, 1.0),
        (dvector![-3.0, 0.5, 2.0], 0.0, 0.0),
        (dvector![-3.0, 0.5], 1.0, -1.0),
        (dvector![f64::INFINITY], -1.0, 1.0),
    ] {
        let with = clip_gradient_with(&g, lo, hi, book.nonfinite);
        match (clip_gradient(&g, lo, hi), with) {
            (Ok(a), Ok((b, d))) => {
                assert_eq!(bits(&a), bits(&b));
                assert!(d.is_empty());
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{g}: {a:?} vs {b:?}"),
        }
    }

    for (p, q) in [
        (
            dvector![0.1f64, 0.2, 0.3, 0.4],
            dvector![0.4, 0.3, 0.2, 0.1],
        ),
        (
            dvector![0.5, 0.3, 0.2],
            dvector![0.5000000001, 0.3, 0.1999999999],
        ),
        (dvector![1.0, 0.0], dvector![0.5, 0.5]),
        (dvector![0.5, 0.5], dvector![1.0, 0.0]),
        (dvector![1.0, 1.0], dvector![3.0, 1.0]),
    ] {
        let with = kl_categorical_with(&p, &q, book.probabilities, book.nonfinite);
        match (kl_categorical(&p, &q), with) {
            (Ok(a), Ok((b, d))) => {
                assert_eq!(a.to_bits(), b.to_bits());
                assert!(d.is_empty());
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{p} ‖ {q}: {a:?} vs {b:?}"),
        }
    }

    for (mp, sp, mq, sq) in [
        (0.0f64, 1.0, 1.0, 1.0),
        (0.0, 1e-150, 0.0, 1e150),
        (1e308, 1e200, -1e308, 1e200),
        (0.3, 0.7, 0.3, 0.7000001),
        (0.0, 0.0, 0.0, 1.0),
    ] {
        let p = Normal { mean: mp, std: sp };
        let q = Normal { mean: mq, std: sq };
        let with = kl_gaussian_with(&p, &q, book.kl_form, book.nonfinite);
        match (kl_gaussian(&p, &q), with) {
            (Ok(a), Ok((b, d))) => {
                assert_eq!(a.to_bits(), b.to_bits());
                assert!(d.is_empty());
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{p:?} ‖ {q:?}: {a:?} vs {b:?}"),
        }
    }
}

/// The torch forms run on dual numbers: d/dμ_p of ½(r + ((μ_p − μ_q)/σ_q)² − 1 − ln r) is
/// (μ_p − μ_q)/σ_q², and d/dL of the clipped gradient c·∇ = L∇/(‖∇‖ + ε) is ∇/(‖∇‖ + ε).
#[test]
fn torch_forms_differentiate_on_duals() {
    let p = Normal {
        mean: Dual64::new(0.5, 1.0),
        std: Dual64::from(0.8),
    };
    let q = Normal {
        mean: Dual64::from(-0.25),
        std: Dual64::from(1.5),
    };
    let (kl, _) = kl_gaussian_with(&p, &q, KlForm::VarianceRatio, Nonfinite::Propagate).unwrap();
    assert!((kl.eps - 0.75 / 2.25).abs() <= 1e-15);

    let g = dvector![Dual64::from(3.0), Dual64::from(4.0)];
    let r = scale_gradient_with(
        &g,
        Dual64::new(1.0, 1.0),
        Norm::Naive,
        Dual64::from(1e-6),
        Nonfinite::Propagate,
    )
    .unwrap();
    assert!((r.grad[0].eps - 3.0 / 5.000_001).abs() <= 1e-15);
    let (v, _) = kl_categorical_with(
        &dvector![Dual64::new(0.5, 1.0), Dual64::from(0.5)],
        &dvector![Dual64::from(0.25), Dual64::from(0.75)],
        Probabilities::NormalizeAndClamp,
        Nonfinite::Propagate,
    )
    .unwrap();
    assert!(v.re.is_finite() && v.eps.is_finite());
}
