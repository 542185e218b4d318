//! Every defect the fuzzers found (docs/fuzzing.md), each as a named test: the failing case
//! exactly as the fuzzer reported it (`cargo fuzz fmt` output), run through its harness, and the
//! fixed behaviour asserted on the library call itself. The crashing inputs are also in the
//! corpora (`fuzz/corpus/<target>/regression-*`), which `tests/fuzz_replay.rs` replays.

use nalgebra::{DVector, dvector};
use pgoracle::{
    CgParams, LinesearchOutcome, LinesearchParams, Solver, SurrogateValues, natural_update,
    scale_gradient,
};
use pgoracle_fuzz::{Num, SolverCase, linesearch, natural_update, scale_gradient};

/// ‖x‖₂ in f64, scaled so that it does not overflow.
fn norm(x: &DVector<f64>) -> f64 {
    let s = x.amax();
    if s == 0.0 { 0.0 } else { s * (x / s).norm() }
}

/// Scaling [7.8e239, 0] to L = 4e-246 returned the zero vector. The factor L/‖∇‖ = 5e-486 of
/// Algorithm 12.2 underflows to 0 although the scaled gradient [4e-246, 0] is representable (and
/// for factors in the subnormal range it kept only a few bits, so ‖out‖ could exceed L by up to
/// 50%). The factor is now used only in the normal range; below it the result is (∇/‖∇‖)·L.
#[test]
fn scale_gradient_factor_below_the_normal_range() {
    scale_gradient::harness(scale_gradient::Case {
        f32: false,
        l2_max: Num(4e-246),
        grad: vec![Num(7.785550775772028e239), Num(0.0)],
    });
    let out = scale_gradient(&dvector![7.785550775772028e239, 0.0], 4e-246).unwrap();
    assert_eq!(out, dvector![4e-246, 0.0]);
    // A factor in the subnormal range: 3e-16 / 1e308 = 3e-324 rounds to 4.9e-324, and ‖out‖ was
    // 4.9e-16, 65% above the bound.
    let out = scale_gradient(&dvector![1e308], 3e-16).unwrap();
    assert_eq!(out, dvector![3e-16]);
}

/// Scaling [0, 1, −MAX, 7e307] to L ≈ 1 returned the zero vector. Every entry is finite but the
/// norm, about 1.07·MAX, is not representable, so the scaled norm of `stable_norm` is ∞ and
/// L/‖∇‖ = 0. Below the normal range the factor is now replaced by ∇̂/‖∇̂‖·L with
/// ∇̂ = ∇/max|∇ᵢ|, which never overflows.
#[test]
fn scale_gradient_norm_beyond_the_largest_float() {
    let l2_max = 0.9999999999999999;
    let grad = [0.0, 0.9999999999999999, -f64::MAX, 7e307];
    scale_gradient::harness(scale_gradient::Case {
        f32: false,
        l2_max: Num(l2_max),
        grad: grad.iter().map(|x| Num(*x)).collect(),
    });
    let g = DVector::from_row_slice(&grad);
    let out = scale_gradient(&g, l2_max).unwrap();
    assert!(
        (norm(&out) / l2_max - 1.0).abs() < 4.0 * f64::EPSILON,
        "{out}"
    );
    let expected = (&g / f64::MAX) / norm(&(&g / f64::MAX)) * l2_max;
    assert!((out - expected).amax() < 4.0 * f64::EPSILON);
}

/// The first fix of `scale_gradient_norm_beyond_the_largest_float` divided ∇ by its largest
/// entry and multiplied by L afterwards: for [MAX, −0.25 (six times), MAX] with L = MAX the
/// quotients −0.25/MAX are subnormal, and the entries −0.25/√2 of the result came out 70 ulps
/// off (found by the 10-minute run). When the factor c = (L/s)/‖∇/s‖ is normal, as here (1/√2),
/// the result is now ∇·c, exact to rounding in every entry.
#[test]
fn scale_gradient_norm_beyond_the_largest_float_with_tiny_entries() {
    let mut grad = vec![f64::MAX];
    grad.extend([-0.25; 6]);
    grad.push(f64::MAX);
    scale_gradient::harness(scale_gradient::Case {
        f32: false,
        l2_max: Num(f64::MAX),
        grad: grad.iter().map(|x| Num(*x)).collect(),
    });
    let out = scale_gradient(&DVector::from_vec(grad.clone()), f64::MAX).unwrap();
    for (o, g) in out.iter().zip(&grad) {
        let expected = g * std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (o - expected).abs() <= 2.0 * f64::EPSILON * expected.abs(),
            "{o} vs {expected}"
        );
    }
}

/// `linesearch` checked ε and α but not θ and θ′: with θ′ of another length than θ the shrink
/// θ + α(θ′ − θ) panicked in nalgebra's vector subtraction, and a NaN or ±∞ in θ or θ′ gave
/// non-finite candidates that a surrogate could accept. The fuzzer's first report was the
/// empty θ (an `Exhausted` outcome over the empty vector). θ must now be non-empty and finite,
/// and θ′ finite and of θ's length.
#[test]
fn linesearch_checks_theta_and_theta_prime() {
    linesearch::harness(linesearch::Case::Scripted(linesearch::Scripted {
        f_theta: Num(0.0),
        epsilon: Num(1e150),
        alpha: Num(6.97e-322),
        max_steps: 0,
        fail_at: None,
        theta: vec![],
        theta_prime: vec![],
        script: vec![],
    }));
    let params = LinesearchParams::new(1.0)
        .with_alpha(0.5)
        .with_max_steps(10);
    let never = |_: &DVector<f64>| Ok(None);
    let kind = |theta: DVector<f64>, theta_prime: DVector<f64>| {
        pgoracle::linesearch(&theta, &theta_prime, &params, never)
            .unwrap_err()
            .kind()
    };
    assert_eq!(kind(dvector![], dvector![]), "EmptyInput");
    assert_eq!(kind(dvector![0.0, 0.0], dvector![1.0]), "DimensionMismatch");
    assert_eq!(kind(dvector![f64::NAN], dvector![1.0]), "NonFiniteInput");
    assert_eq!(
        kind(dvector![0.0], dvector![f64::INFINITY]),
        "NonFiniteInput"
    );
}

/// From θ = −1e308 and θ′ = 1e308 the first shrink θ + α(θ′ − θ) overflowed in θ′ − θ, and
/// every later candidate was +∞ (found by the harness's property that every candidate is
/// finite). The shrink now falls back to the convex combination (1 − α)θ + αθ′ when the usual
/// form is not finite: the same point, without the overflow.
#[test]
fn linesearch_shrink_that_overflows() {
    linesearch::harness(linesearch::Case::Scripted(linesearch::Scripted {
        f_theta: Num(0.0),
        epsilon: Num(1.0),
        alpha: Num(0.5),
        max_steps: 3,
        fail_at: None,
        theta: vec![Num(-1e308)],
        theta_prime: vec![Num(1e308)],
        script: vec![None, Some((Num(1.0), Num(0.0)))],
    }));
    let params = LinesearchParams::new(1.0).with_alpha(0.5).with_max_steps(3);
    let first_rejected =
        |c: &DVector<f64>| Ok((c[0] != 1e308).then_some(SurrogateValues::new(1.0, 0.0, 0.0)));
    let (outcome, _) =
        pgoracle::linesearch(&dvector![-1e308], &dvector![1e308], &params, first_rejected).unwrap();
    assert_eq!(
        outcome,
        LinesearchOutcome::Accepted {
            theta: dvector![0.0],
            steps: 1,
            values: SurrogateValues::new(1.0, 0.0, 0.0),
        }
    );
}

/// With ε = 1e-310 (subnormal) the natural step scale 2ε/gᵀu was subnormal and kept only a few
/// bits, so θ′ − θ missed u·√(2ε/gᵀu) by 26 ulps; for a large enough gᵀu it underflowed to 0 and
/// θ′ = θ. The direct form √(2ε/gᵀu) is now used only when 2ε/gᵀu is in the normal range;
/// otherwise the rescaled form of Eq. 12.12 (already used when gᵀu overflows) is exact.
#[test]
fn natural_step_with_2_epsilon_over_g_dot_u_below_the_normal_range() {
    natural_update::harness(natural_update::Case {
        f32: false,
        n: 166,
        m: 188,
        epsilon: Num(1e-310),
        solver: SolverCase::ConjugateGradient {
            max_iters: 48316,
            tol: Num(0.2),
            damping: Num(0.2),
            strict: false,
        },
        scores: natural_update::Scores::Raw,
        grads: natural_update::Grads::Raw,
        defect: None,
        pool: vec![],
    });
    // F = 1, g = u = 1e154, gᵀu = 1e308: 2ε/gᵀu = 2e-608 underflowed to 0, leaving θ′ = θ.
    let step = natural_update(
        &dvector![0.0],
        &[dvector![1e154]],
        &[dvector![1.0]],
        1e-300,
        &Solver::Exact,
    )
    .unwrap();
    let expected = (2e-300f64).sqrt(); // u·√(2ε/gᵀu) = √(2ε) here
    assert!((step.theta[0] / expected - 1.0).abs() < 4.0 * f64::EPSILON);
}

/// With the pseudo-inverse on columns scaled by 1e-89…1e146, gᵀu came out as 1e-323, a
/// subnormal with two significant bits, and θ′ − θ missed u·√(2ε/gᵀu) by 15%. The direct form
/// is now used only when gᵀu is in the normal range; below it the rescaled form
/// θ + û·√(2ε)·√t/(√s·√(ĝᵀû)) (ĝ = g/max|gᵢ|, û = u/max|uᵢ|) keeps full precision.
#[test]
fn natural_step_with_g_dot_u_below_the_normal_range() {
    natural_update::harness(natural_update::Case {
        f32: false,
        n: 195,
        m: 67,
        epsilon: Num(5e-235),
        solver: SolverCase::PseudoInverse(Num(0.2)),
        scores: natural_update::Scores::ScaledColumns {
            exponents: [-32729, 4736, 8516, 17426],
        },
        grads: natural_update::Grads::Raw,
        defect: None,
        pool: vec![],
    });
    // The same inputs written out: columns scaled by 1e-89, 1e96, 1e36 and 1e146.
    let theta: DVector<f64> = dvector![-2.0, -1.0, 0.0, 1.0];
    let scores = [
        dvector![2e-89, -1e96, 1e36, -2e146],
        dvector![-2e-89, 0.0, 2e36, -1e146],
    ];
    let grads = [dvector![0.0, 1.0, 2.0, -2.0], dvector![-1.0, 0.0, 1.0, 2.0]];
    let solver = Solver::PseudoInverse { rcond: 0.2 };
    let step = natural_update(&theta, &grads, &scores, 5e-235, &solver).unwrap();
    let (s, t): (f64, f64) = (step.grad.amax(), step.direction.amax());
    let (g_hat, u_hat) = (&step.grad / s, &step.direction / t);
    let factor = (1e-234f64).sqrt() * t.sqrt() / (s.sqrt() * g_hat.dot(&u_hat).sqrt());
    let delta = &step.theta - &theta;
    assert!(
        (delta[2] / (u_hat[2] * factor) - 1.0).abs() < 1e-12,
        "{delta}"
    );
}

/// Conjugate gradient (16 iterations, tol = 0, λ = 1e-200) on an F whose columns were scaled
/// by 1e-110…1e135 diverged in rounding until ‖r‖ overflowed, and the result carried
/// `cg_residual` = ∞ — written as the string "Infinity" by `pgoracle eval`. A non-finite residual
/// is now the error `NonFiniteResult` (`cg_residual`).
#[test]
fn conjugate_gradient_residual_that_overflows() {
    natural_update::harness(natural_update::Case {
        f32: false,
        n: 3,
        m: 159,
        epsilon: Num(2.75),
        solver: SolverCase::ConjugateGradient {
            max_iters: 12301,
            tol: Num(0.0),
            damping: Num(1e-200),
            strict: false,
        },
        scores: natural_update::Scores::ScaledColumns {
            exponents: [-7150, -17236, 17255, -8559],
        },
        grads: natural_update::Grads::Raw,
        defect: None,
        pool: vec![],
    });
    // The same inputs written out: columns scaled by 1e-110, 1e-116, 1e135 and 1e-79.
    let col = |j: usize, scale: f64| -> [f64; 4] {
        let draws = [
            [2.0, -2.0, -1.0, 0.0],
            [1.0, 2.0, -2.0, -1.0],
            [0.0, 1.0, 2.0, -2.0],
        ];
        let c = draws.get(j).copied().unwrap_or([-1.0, 0.0, 1.0, 2.0]);
        c.map(|x| x * scale)
    };
    let cols = [col(0, 1e-110), col(1, 1e-116), col(2, 1e135), col(3, 1e-79)];
    let scores: Vec<DVector<f64>> = (0..4)
        .map(|i| DVector::from_fn(4, |j, _| cols[j][i]))
        .collect();
    let grads = [
        dvector![-2.0, -1.0, 0.0, 1.0],
        dvector![2.0, -2.0, -1.0, 0.0],
        dvector![1.0, 2.0, -2.0, -1.0],
        dvector![0.0, 1.0, 2.0, -2.0],
    ];
    let solver = Solver::ConjugateGradient(
        CgParams::new(16, 0.0)
            .with_damping(1e-200)
            .with_strict(false),
    );
    let theta = dvector![-2.0, -1.0, 0.0, 1.0];
    let e = natural_update(&theta, &grads, &scores, 2.75, &solver).unwrap_err();
    assert_eq!(e.kind(), "NonFiniteResult");
    assert!(e.to_string().contains("cg_residual"), "{e}");
}

/// Replays a natural_update finding of issue #16 (item 9) from its corpus file.
fn replay_natural_update_finding(name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/natural_update")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        pgoracle_fuzz::replay("natural_update", &bytes),
        "{name} does not decode to a case"
    );
}

/// f32, damped solver, subnormal ε: the scores round to 0, g ~ 1e-42 is subnormal and gᵀu
/// underflows, so the step takes its scaled branch, where √(2ε)·√t = 1.44e-21 × 1.67e-22 was an
/// f32 subnormal intermediate with ~8 bits: θ′ − θ was off by 1.3e-4 relative. The factor is now
/// ordered so that no intermediate leaves the normal range.
#[test]
fn natural_step_f32_subnormal_epsilon_intermediate() {
    replay_natural_update_finding("regression-f32-subnormal-eps-damped-0d7a8587");
}

/// The same class as above, off by 2.3e-3 relative (the "0.2%" of issue #16).
#[test]
fn natural_step_f32_subnormal_epsilon_intermediate_second() {
    replay_natural_update_finding("regression-f32-subnormal-eps-damped-ef138180");
}

/// Pseudo-inverse, g = [1e-150, −2.96e305, 1e-150, 1e-150], u = [0, 0, 1.14e-137, 0]: the
/// library was right (gᵀu = 1.1e-287), but the harness scaled ĝ = g/max|gᵢ|, so
/// 1e-150/2.96e305 underflowed and ĝᵀû = 0. Both now scale over the other vector's support and
/// take the dot product with Dot2.
#[test]
fn natural_step_scaled_dot_over_the_support() {
    replay_natural_update_finding("regression-pinv-scaled-dot-underflow-332c8991");
}

/// Conjugate gradient on columns ×1e-159 with one score 1e41: F's entries were ~1e-318
/// (subnormal) and CG returned a rounding-dominated u, whose gᵀu cancelled (+1.63e274 −
/// 1.63e274), so the library and the harness computed different garbage (θ′ − θ = 5.7e154 vs
/// 8.4e21). CG now runs on the scaled system and gᵀu is a Dot2.
#[test]
fn conjugate_gradient_cancelling_g_dot_u() {
    replay_natural_update_finding("regression-cg-cancelling-gtu-8491218c");
}

/// Conjugate gradient on a rank-1 F with λ = 1e-160 and ε = 1e-228: θ′ − θ = −1.7e111 where
/// u·√(2ε/gᵀu) = −1.6e-34; the same cause as above.
#[test]
fn conjugate_gradient_rank_one_with_tiny_damping() {
    replay_natural_update_finding("regression-cg-rank-one-tiny-damping-8b6fb2ea");
}
