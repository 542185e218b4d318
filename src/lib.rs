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
//! | Examples 11.1, App. F.5 | problems, rollouts, update loops | [`problem`], [`simulate`], [`update_loop`] |
//! | Figures 12.1–12.7 | SVG + CSV reproductions | [`figures`] |
//! | oracle interface | JSON cases, golden files, `check` | [`oracle`] |
//!
//! The numerical core is generic over `T: nalgebra::RealField + Copy` ([`Scalar`]): it runs
//! in `f32`, `f64` and num-dual's dual numbers. Where the book's code would return NaN,
//! divide by zero, panic or loop forever, pgoracle returns a typed [`PgError`] or a named
//! outcome ([`LinesearchOutcome`]); `docs/edge-cases.md` lists each case.
#![warn(missing_docs)]

pub mod book;
mod cholesky;
pub mod clamped;
pub mod error;
pub mod figures;
pub mod fisher;
#[cfg(feature = "fuzz")]
pub mod fuzz;
pub mod gradient_ascent;
pub mod kl;
pub mod likelihood_ratio;
pub mod limits;
pub mod linesearch;
pub mod natural;
pub mod oracle;
pub mod policy;
pub mod problem;
pub mod restricted;
pub mod scalar;
pub mod simulate;
pub mod solver;
pub mod surrogate;
pub mod tolerance;
pub mod trajectory;
pub mod trust_region;
pub mod update_loop;
pub mod verify;

pub use clamped::{clamp, clamped_gradient, clamped_objective, clamped_update, is_clamped};
pub use error::{PgError, Result};
pub use fisher::{fisher, fisher_vector_product, score_matrix};
pub use gradient_ascent::{clip_gradient, gradient_ascent, scale_gradient};
pub use kl::{kl_categorical, kl_gaussian};
pub use likelihood_ratio::{LikelihoodRatioGradient, likelihood_ratio_gradient, score, scores};
pub use linesearch::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch};
pub use natural::{NaturalStep, natural_policy_update, natural_update};
pub use policy::{Gaussian, LinearGaussian, LinearMean, Policy, Softmax};
pub use restricted::{RestrictedUpdate, restricted_step, restricted_update};
pub use scalar::Scalar;
pub use solver::{CgInfo, CgParams, Solver};
pub use surrogate::{
    kl_penalty_objective, likelihood_ratio, surrogate_constraint, surrogate_objective,
};
pub use tolerance::Tolerance;
pub use trajectory::{Step, Trajectory, discounted_return, reward_to_go, rewards_to_go};
pub use trust_region::{TrustRegionStep, trust_region_update};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
