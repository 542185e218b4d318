//! Checks of the chapter's derivation steps: each analytic solution satisfies the problem it
//! solves, and each approximation matches what it approximates.

use nalgebra::SVector;
use nalgebra::{DMatrix, DVector, dvector};
use num_dual::{Dual2SVec64, hessian};
use pgoracle::{
    Gaussian, Policy, Softmax, Solver, Tolerance, likelihood_ratio, natural_update, restricted_step,
};

use crate::common::fisher_by_hand;

fn close(expected: f64, got: f64) -> bool {
    Tolerance::<f64>::ulps(256).agrees(expected, got)
}

#[test]
fn restricted_step_solves_eq_12_5() {
    // Eq. (12.5): maximize gᵀΔ s.t. ½ΔᵀΔ = ε. KKT: g = λ Δ with λ > 0, and the constraint is
    // active. Equivalently Δ is the positive multiple of g of length √(2ε) (Eq. 12.6).
    let g = dvector![0.3, -1.2, 2.5];
    let theta = dvector![1.0, 2.0, -1.0];
    let epsilon = 0.07;
    let delta = restricted_step(&theta, &g, epsilon).unwrap() - &theta;
    assert!(close(epsilon, 0.5 * delta.dot(&delta)), "on the boundary");
    let lambda = g.dot(&delta) / delta.dot(&delta);
    assert!(lambda > 0.0);
    assert!((&g - &delta * lambda).amax() < 1e-14, "g ∥ Δ");
    // Any other point on the boundary has a smaller linear objective (Eq. 12.4 → 12.5).
    for other in [
        dvector![1.0, 0.0, 0.0],
        dvector![0.0, -1.0, 1.0],
        dvector![0.2, -0.9, 2.6],
    ] {
        let other = &other * ((2.0 * epsilon).sqrt() / other.norm());
        assert!(g.dot(&other) <= g.dot(&delta) + 1e-15);
    }
}

#[test]
fn natural_step_solves_eq_12_11() {
    // Eq. (12.11): maximize gᵀΔ s.t. ½ΔᵀFΔ = ε. KKT: g = λ F Δ, λ > 0, and the constraint is
    // active (with an exact solve gᵀu = uᵀFu, so the book's scale √(2ε/gᵀu) is exact).
    let scores = [
        dvector![1.0, 0.5, -0.2],
        dvector![-0.4, 2.0, 0.3],
        dvector![0.7, -0.1, 1.5],
        dvector![0.2, 0.2, -0.8],
    ];
    let grads: Vec<_> = scores
        .iter()
        .zip([1.5, -0.5, 2.0, 0.7])
        .map(|(s, r)| s * r)
        .collect();
    let theta = dvector![0.0, 0.0, 0.0];
    let epsilon = 0.05;
    let step = natural_update(&theta, &grads, &scores, epsilon, &Solver::Exact).unwrap();
    // F = mean sᵢsᵢᵀ summed here, not pgoracle's `fisher` (which the step itself uses).
    let f = fisher_by_hand(&scores);
    let delta = &step.theta - &theta;
    assert!(
        close(epsilon, 0.5 * delta.dot(&(&f * &delta))),
        "on the boundary"
    );
    let f_delta = &f * &delta;
    let lambda = step.grad.dot(&f_delta) / f_delta.dot(&f_delta);
    assert!(lambda > 0.0);
    assert!((&step.grad - &f_delta * lambda).amax() < 1e-13, "g ∥ FΔ");
}

#[test]
fn fisher_is_the_hessian_of_the_kl_divergence_eq_12_8() {
    // Eq. (12.8) replaces D_KL(π_θ ‖ π_θ′) by ½ΔᵀF_θΔ: the Hessian of θ′ ↦ D_KL at θ′ = θ is the
    // Fisher information. For N(μ, σ²) it is diag(1/σ², 2/σ²) in closed form.
    let theta = SVector::from([0.4, 1.7]);
    let kl = |tp: SVector<Dual2SVec64<2>, 2>| {
        let t = DVector::from_iterator(2, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
        let tp = DVector::from_iterator(2, tp.iter().copied());
        Gaussian.kl(&t, &tp, &Dual2SVec64::from_re(0.0)).unwrap()
    };
    let (value, grad, h) = hessian(kl, &theta);
    let s2 = theta[1] * theta[1];
    assert_eq!(value, 0.0);
    assert!(grad.amax() < 1e-15, "KL is stationary at θ′ = θ");
    let expected = DMatrix::from_row_slice(2, 2, &[1.0 / s2, 0.0, 0.0, 2.0 / s2]);
    assert!((h - expected).amax() < 1e-14);
}

#[test]
fn softmax_fisher_is_the_hessian_of_the_categorical_kl() {
    // For a softmax row p, the Hessian of KL(p ‖ softmax(θ′)) at θ′ = θ is diag(p) − ppᵀ, the
    // expected outer product of the score e_a − p.
    let table = Softmax::new(1, 3).unwrap();
    let theta = SVector::from([0.3, -0.6, 1.1]);
    let kl = |tp: SVector<Dual2SVec64<3>, 3>| {
        let t = DVector::from_iterator(3, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
        let tp = DVector::from_iterator(3, tp.iter().copied());
        table.kl(&t, &tp, &0).unwrap()
    };
    let (_, _, h) = hessian(kl, &theta);
    let z: f64 = theta.iter().map(|x| x.exp()).sum();
    let p: Vec<f64> = theta.iter().map(|x| x.exp() / z).collect();
    for i in 0..3 {
        for j in 0..3 {
            let expected = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
            assert!((h[(i, j)] - expected).abs() < 1e-15);
        }
    }
}

#[test]
fn importance_weights_turn_an_expectation_under_theta_prime_into_one_under_theta_eq_12_17() {
    // Σ_a π_θ(a) [π_θ′(a)/π_θ(a)] Q(a) = Σ_a π_θ′(a) Q(a), exactly for a finite action set.
    let table = Softmax::new(1, 4).unwrap();
    let theta = dvector![0.1, -0.4, 0.8, 0.0];
    let theta_prime = dvector![-0.3, 0.5, 0.2, 0.9];
    let q = [1.5, -2.0, 0.3, 0.8];
    let (mut weighted, mut direct) = (0.0, 0.0);
    for (a, qa) in q.iter().enumerate() {
        let p = table.density(&theta, &a, &0).unwrap();
        let p_prime = table.density(&theta_prime, &a, &0).unwrap();
        weighted += p * likelihood_ratio(&table, &theta, &theta_prime, &a, &0).unwrap() * qa;
        direct += p_prime * qa;
    }
    assert!(close(direct, weighted));
}

#[test]
fn linear_gaussian_fisher_by_hyperdual_mixed_partials() {
    // ∂²/∂θ′ᵢ∂θ′ⱼ D_KL(π_θ ‖ π_θ′) at θ′ = θ with HyperDual64 (one second derivative per pair).
    // For N(λs, σ²) the Fisher information is diag(s²/σ², 2/σ²).
    use num_dual::HyperDual64;
    let (theta, s) = (dvector![-0.7, 0.6], 1.3);
    let lift = |x: f64| HyperDual64::from_re(x);
    let t = theta.map(lift);
    for i in 0..2 {
        for j in 0..2 {
            let tp = DVector::from_fn(2, |k, _| {
                HyperDual64::new(
                    theta[k],
                    f64::from(u8::from(k == i)),
                    f64::from(u8::from(k == j)),
                    0.0,
                )
            });
            let kl = pgoracle::LinearGaussian.kl(&t, &tp, &lift(s)).unwrap();
            let s2 = theta[1] * theta[1];
            let expected = match (i, j) {
                (0, 0) => s * s / s2,
                (1, 1) => 2.0 / s2,
                _ => 0.0,
            };
            assert!(
                (kl.eps1eps2 - expected).abs() < 1e-14,
                "({i},{j}): {} vs {expected}",
                kl.eps1eps2
            );
        }
    }
}

#[test]
fn score_by_dualvec_gradient() {
    // ∇θ log π by num-dual's `gradient` (DualVec) equals the hand-derived score of Example 11.3.
    use num_dual::{DualSVec64, gradient};
    let theta = SVector::from([0.25, 1.4]);
    let (a, s) = (-0.9, 0.0);
    let log_pi = |v: SVector<DualSVec64<2>, 2>| {
        let v = DVector::from_iterator(2, v.iter().copied());
        Gaussian
            .log_density(&v, &DualSVec64::from_re(a), &DualSVec64::from_re(s))
            .unwrap()
    };
    let (_, grad) = gradient(log_pi, &theta);
    let by_hand = Policy::<f64>::grad_log_density(
        &Gaussian,
        &DVector::from_column_slice(theta.as_slice()),
        &a,
        &s,
    )
    .unwrap();
    assert!((grad[0] - by_hand[0]).abs() < 1e-15 && (grad[1] - by_hand[1]).abs() < 1e-15);
}

#[test]
fn second_order_kl_model_error_is_cubic_eq_12_8() {
    // |D_KL(π_θ ‖ π_{θ+tΔ}) − ½ t² ΔᵀFΔ| = O(t³): the slope of log error against log t, fitted
    // by least squares over t = 2⁻³ … 2⁻¹⁰, is 3. F is the autodiff Hessian of the KL at θ.
    let theta = SVector::from([0.4, 1.1]);
    let kl = |tp: SVector<Dual2SVec64<2>, 2>| {
        let t = DVector::from_iterator(2, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
        let tp = DVector::from_iterator(2, tp.iter().copied());
        Gaussian.kl(&t, &tp, &Dual2SVec64::from_re(0.0)).unwrap()
    };
    let (_, _, f) = hessian(kl, &theta);
    let delta = SVector::from([0.6, -0.8]);
    let quadratic = 0.5 * delta.dot(&(f * delta));
    let theta_d = DVector::from_column_slice(theta.as_slice());
    let points: Vec<(f64, f64)> = (3..=10)
        .map(|k| {
            let t = 0.5f64.powi(k);
            let moved = &theta_d + DVector::from_column_slice(delta.as_slice()) * t;
            let exact = Gaussian.kl(&theta_d, &moved, &0.0).unwrap();
            (t.ln(), (exact - quadratic * t * t).abs().ln())
        })
        .collect();
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert!((slope - 3.0).abs() < 0.1, "fitted slope {slope}");
}
