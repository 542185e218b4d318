//! # pgoracle
//!
//! A verified numerical reference implementation of every formula and algorithm of
//! Chapter 12, "Policy Gradient Optimization", of *Algorithms for Decision Making*
//! (Kochenderfer, Wheeler, Wray; MIT Press, 2022).
//!
//! | section | items | module |
//! |---|---|---|
//! | 12.1 Gradient ascent | Eq. 12.1, Algs. 12.1–12.2 | [`gradient_ascent`](mod@gradient_ascent) |
//! | 12.2 Restricted gradient | Eqs. 12.2–12.6, Alg. 12.3 | [`restricted`] |
//! | 12.3 Natural gradient | Eqs. 12.7–12.13, Alg. 12.4 | [`fisher`](mod@fisher), [`solver`], [`natural`] |
//! | 12.4 Trust region | Eqs. 12.14–12.20, Alg. 12.5 | [`surrogate`], [`linesearch`](mod@linesearch), [`trust_region`] |
//! | 12.5 Clamped surrogate | Eqs. 12.21–12.24, Alg. 12.6 | [`clamped`] |
//! | Exercise 12.3, App. A.10 | KL divergences | [`kl`] |
//! | Examples 11.1, App. F.5 | problems, rollouts, update loops (feature `simulate`) | `problem`, `simulate`, `update_loop` |
//! | Chapter 12's printed values | the worked values and their verdicts | [`verify`] |
//!
//! The numerical core is generic over `T: nalgebra::RealField + Copy` ([`Scalar`]): it runs
//! in `f32`, `f64` and num-dual's dual numbers. Where the book's code would return NaN,
//! divide by zero, panic or loop forever, pgoracle returns a typed [`PgError`] or a named
//! outcome ([`LinesearchOutcome`]); `docs/edge-cases.md` lists each case.
//!
//! This crate is the numerical core alone: its normal dependencies are nalgebra, num-traits
//! and thiserror. The JSON oracle interface is the `pgoracle-oracle` crate, the `pgoracle`
//! command (verify report, figures) is `pgoracle-cli`, and the fuzz harnesses are
//! `pgoracle-fuzz` (`docs/architecture.md`).
//!
//! Features:
//! - `simulate` (default): problems, seeded rollouts and the update loops of the figures
//!   (adds rand, rand_chacha and statrs).
//! - `threading`: lets nalgebra's f32/f64 GEMM (matrixmultiply) use the machine's cores for
//!   large Fisher builds; results do not depend on the thread count.
#![warn(missing_docs)]

mod allocation;
pub mod book;
mod cholesky;
pub mod clamped;
pub mod compensated;
pub mod conventions;
pub mod decision;
mod dense;
pub mod error;
pub mod extended;
pub mod fisher;
pub mod gradient_ascent;
pub mod kl;
pub mod likelihood_ratio;
pub mod limits;
pub mod linesearch;
pub mod natural;
pub mod policy;
#[cfg(feature = "simulate")]
pub mod problem;
pub mod restricted;
pub mod samples;
pub mod scalar;
#[cfg(feature = "simulate")]
pub mod simulate;
pub mod solver;
pub mod surrogate;
pub mod tolerance;
pub mod trajectory;
pub mod trust_region;
#[cfg(feature = "simulate")]
pub mod update_loop;
pub mod verify;

pub use clamped::{
    ClampedUpdateParams, clamp, clamp_margin, clamped_gradient, clamped_gradient_traced,
    clamped_gradient_with, clamped_objective, clamped_update, clamped_update_traced,
    clip_statistics, is_clamped,
};
pub use decision::{Decision, DecisionKind};
pub use error::{PgError, Result};
pub use fisher::{fisher, fisher_vector_product, score_matrix};
pub use gradient_ascent::{
    ClippedNorm, clip_gradient, clip_gradient_with, gradient_ascent, scale_gradient,
    scale_gradient_with,
};
pub use kl::{Normal, kl_categorical, kl_categorical_with, kl_gaussian, kl_gaussian_with};
pub use likelihood_ratio::{LikelihoodRatioGradient, likelihood_ratio_gradient, score, scores};
pub use linesearch::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch};
pub use natural::{NaturalStep, natural_policy_update, natural_update};
pub use policy::{Gaussian, GaussianLogStd, LinearGaussian, LinearMean, Policy, Softmax};
pub use restricted::{
    RestrictedUpdate, RestrictedUpdateParams, restricted_step, restricted_update,
};
pub use scalar::Scalar;
pub use solver::{CgInfo, CgParams, Solver};
pub use surrogate::{
    kl_penalty_objective, likelihood_ratio, surrogate_constraint, surrogate_improvement,
    surrogate_objective,
};
pub use tolerance::Tolerance;
pub use trajectory::{Step, Trajectory, discounted_return, reward_to_go, rewards_to_go};
pub use trust_region::{
    ConventionalStep, TrustRegionSettings, TrustRegionStep, trust_region_update,
    trust_region_update_with,
};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
