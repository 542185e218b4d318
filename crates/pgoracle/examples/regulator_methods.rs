//! The five update rules of Chapter 12 on the simple regulator, seeded and reproducible.
//!
//! `cargo run --release --example regulator_methods`
//!
//! Each method (gradient ascent, Eq. 12.1; the restricted step, Eq. 12.6; the natural step,
//! Eq. 12.12; TRPO, Algorithm 12.5; the clamped surrogate update of PPO, Algorithm 12.6) runs
//! 10 iterations from θ₀ = [0, 1] under the linear Gaussian policy a ~ N(θ₁s, θ₂²), sampling
//! 10 rollouts of depth 10 per iteration (Figure 12.1's plan) from a ChaCha8 generator with
//! the same seed. Progress is measured with the regulator's exact utility U(θ), computed in
//! closed form (`regulator_moments`), not from the noisy rollouts; the optimum is θ = [−1, 0].
//!
//! Every method is then run again from the same seed, and the two paths must be identical
//! to the bit: a run is reproducible from its seed alone.

use nalgebra::dvector;
use pgoracle::problem::{SimpleRegulator, regulator_moments};
use pgoracle::update_loop::{GradientTransform, Method, RolloutPlan, Stop, ThetaPath, run};
use pgoracle::{LinearGaussian, LinesearchParams, PgError, Solver};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 12;
const ITERATIONS: usize = 10;
const PLAN: RolloutPlan = RolloutPlan {
    depth: 10,
    rollouts: 10,
};

fn methods() -> [(&'static str, Method); 5] {
    [
        (
            "gradient ascent, ‖∇‖ ≤ 1",
            Method::GradientAscent {
                alpha: 0.2,
                transform: GradientTransform::Scale { l2_max: 1.0 },
            },
        ),
        ("restricted, ε = 0.01", Method::Restricted { epsilon: 0.01 }),
        (
            "natural, ε = 0.01",
            Method::Natural {
                epsilon: 0.01,
                solver: Solver::Exact,
            },
        ),
        (
            "trust region, ε = 0.01",
            Method::TrustRegion {
                params: LinesearchParams::new(0.01)
                    .with_alpha(0.5)
                    .with_max_steps(100),
                solver: Solver::Exact,
            },
        ),
        (
            "clamped, ε = 0.2",
            Method::Clamped {
                epsilon: 0.2,
                alpha: 0.01,
                k_max: 5,
            },
        ),
    ]
}

fn path(method: &Method) -> Result<ThetaPath, PgError> {
    let theta0 = dvector![0.0, 1.0];
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let problem = SimpleRegulator::default();
    run(
        &problem,
        &LinearGaussian,
        method,
        &theta0,
        PLAN,
        ITERATIONS,
        &mut rng,
    )
}

/// Why a path ended, in words.
fn describe(stop: &Stop) -> String {
    match stop {
        Stop::Completed => "completed".into(),
        Stop::LeftDomain {
            iteration,
            proposed,
        } => format!("iteration {iteration} proposed σ = {:.4} ≤ 0", proposed[1]),
        Stop::Failed { iteration, error } => format!("iteration {iteration} failed: {error}"),
    }
}

fn main() -> Result<(), PgError> {
    let gamma = 1.0;
    let start = regulator_moments(&dvector![0.0, 1.0], PLAN.depth, gamma)?.utility;
    println!("exact U(θ₀) = {start:.6} at θ₀ = [0, 1]; seed {SEED}, {ITERATIONS} iterations");
    for (label, method) in methods() {
        let first = path(&method)?;
        let again = path(&method)?;
        assert_eq!(
            first, again,
            "{label}: the same seed must give the same path"
        );
        let last = first.thetas.last().expect("a path starts with θ₀");
        let utility = regulator_moments(last, PLAN.depth, gamma)?.utility;
        println!(
            "{label:<26} θ = [{:>9.6}, {:>9.6}]  exact U(θ) = {utility:>10.6}  iterations {:>2}  {}",
            last[0],
            last[1],
            first.thetas.len() - 1,
            describe(&first.stop)
        );
    }
    println!("every path is reproduced bit for bit from its seed");
    Ok(())
}
