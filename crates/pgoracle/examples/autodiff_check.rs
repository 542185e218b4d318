//! Checking a hand-derived gradient by autodiff, through pgoracle's scalar-generic core.
//!
//! `cargo run --example autodiff_check`
//!
//! Every pgoracle function is generic over `T: nalgebra::RealField + Copy`, so the same code
//! that computes an objective in f64 computes it in num-dual's dual numbers, and the dual part
//! is its exact derivative. Here the clamped surrogate objective (Eq. 12.22) is evaluated in
//! `DualSVec64<2>` at a θ′ where some likelihood ratios are clamped and some are not, and its
//! autodiff gradient is compared with `clamped_gradient`, the hand-derived Eq. (12.23) of
//! Algorithm 12.6. The same pattern checks any implementation's gradient: evaluate its
//! objective in duals, or compare its hand-written gradient with pgoracle's autodiff one.
//!
//! Eq. (12.23) is the gradient of Eq. (12.22) only away from its kinks (a ratio exactly at
//! 1 ± ε), so the example first checks that no ratio is near one of them.

use nalgebra::{DVector, SVector, dvector};
use num_dual::{DualSVec64, gradient};
use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
use pgoracle::{
    Gaussian, PgError, Policy, Step, Tolerance, clamped_gradient, clamped_objective, is_clamped,
    reward_to_go,
};

/// PPO's clamping parameter ε (footnote 9 of Section 12.5: 0.2 is typical).
const EPSILON: f64 = 0.2;
/// How close to a kink 1 ± ε a ratio may be before autodiff and Eq. 12.23 may differ.
const KINK_MARGIN: f64 = 1e-6;

type D2 = DualSVec64<2>;

fn main() -> Result<(), PgError> {
    let theta = example_12_1_theta::<f64>();
    let theta_prime = dvector![0.3, 1.2];
    let trajectories = example_12_1_trajectories::<f64>();

    println!(
        "Example 12.1's trajectories, θ = {:?}, θ′ = {:?}, ε = {EPSILON}",
        theta.as_slice(),
        theta_prime.as_slice()
    );
    for (i, tau) in trajectories.iter().enumerate() {
        for (k, step) in tau.iter().enumerate() {
            let w = Gaussian.density(&theta_prime, &step.a, &step.s)?
                / Gaussian.density(&theta, &step.a, &step.s)?;
            let r = reward_to_go(tau, k + 1, 1.0);
            let near_kink = [1.0 - EPSILON, 1.0 + EPSILON]
                .iter()
                .any(|kink| (w - kink).abs() < KINK_MARGIN);
            assert!(!near_kink, "ratio {w} is at a kink of Eq. 12.22");
            let clamped = is_clamped(w, r, EPSILON);
            println!(
                "  τ{} step {}: ratio {w:.6}, reward-to-go {r:.3}, clamped: {clamped}",
                i + 1,
                k + 1
            );
        }
    }

    // Eq. 12.22 in dual numbers: θ′ carries the derivative seeds, everything else is constant.
    let lift = |x: f64| D2::from_re(x);
    let theta_d = theta.map(lift);
    let trajectories_d: Vec<Vec<Step<D2, D2, D2>>> = trajectories
        .iter()
        .map(|tau| {
            tau.iter()
                .map(|s| Step {
                    s: lift(s.s),
                    a: lift(s.a),
                    r: lift(s.r),
                })
                .collect()
        })
        .collect();
    let objective = |tp: SVector<D2, 2>| {
        let tp = DVector::from_iterator(2, tp.iter().copied());
        clamped_objective(
            &Gaussian,
            &theta_d,
            &tp,
            &trajectories_d,
            lift(1.0),
            lift(EPSILON),
        )
    };
    // The f64 evaluation reports any input error; the dual one sees the same inputs.
    let in_f64 = clamped_objective(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, EPSILON)?;
    let at = SVector::<f64, 2>::from_column_slice(theta_prime.as_slice());
    let (value, by_autodiff) = gradient(|tp| objective(tp).unwrap_or(D2::from_re(f64::NAN)), &at);
    let by_hand = clamped_gradient(&Gaussian, &theta, &theta_prime, &trajectories, 1.0, EPSILON)?;
    let tolerance = Tolerance::<f64>::ulps(64);
    assert!(
        tolerance.agrees(in_f64, value),
        "the dual's real part is the f64 objective"
    );

    println!("f_clamped(θ, θ′) = {value:.12}");
    println!(
        "∇ by autodiff of Eq. 12.22: {:.15?}",
        by_autodiff.as_slice()
    );
    println!("∇ by Eq. 12.23 (by hand):   {:.15?}", by_hand.as_slice());
    let agrees = tolerance.agrees_normwise(by_autodiff.as_slice(), by_hand.as_slice());
    println!("agree within 64 ulps (normwise): {agrees}");
    assert!(agrees, "Eq. 12.23 must be the gradient of Eq. 12.22");
    Ok(())
}
