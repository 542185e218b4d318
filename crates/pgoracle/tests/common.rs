//! Helpers shared by the integration tests.

use num_dual::Dual64;
use pgoracle::Step;

/// Real-valued trajectories (Gaussian families) lifted to `Dual64` with zero derivative parts.
pub fn lift_trajectories(
    ts: &[Vec<Step<f64, f64, f64>>],
) -> Vec<Vec<Step<Dual64, Dual64, Dual64>>> {
    ts.iter()
        .map(|tau| {
            tau.iter()
                .map(|s| Step {
                    s: Dual64::from(s.s),
                    a: Dual64::from(s.a),
                    r: Dual64::from(s.r),
                })
                .collect()
        })
        .collect()
}
