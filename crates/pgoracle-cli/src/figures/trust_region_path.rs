//! Figure 12.5: trust region policy optimization (Algorithm 12.5) on the simple regulator.

use nalgebra::DVector;
use plotters::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::ascent_paths::START;
use super::csv::Csv;
use super::error::FigureError;
use super::plot::{COLOURS, chart, draw_legend, draw_optimum, render_svg};
use super::theta_plane::{PATH_HEADER, X_RANGE, Y_RANGE, draw_path, draw_start, path_rows};
use super::{OutputFile, Progress};
use pgoracle::error::Result;
use pgoracle::linesearch::LinesearchParams;
use pgoracle::policy::LinearGaussian;
use pgoracle::problem::SimpleRegulator;
use pgoracle::solver::Solver;
use pgoracle::update_loop::{Method, RolloutPlan, ThetaPath, run};

const FIGURE: &str = "Figure 12.5";

/// Seed of the ChaCha8 generator.
pub const SEED: u64 = 1205;
/// Iterations.
pub const ITERATIONS: usize = 20;
/// "Rollouts to depth 10" (caption); the caption gives no number of rollouts: pgoracle uses
/// m = 50, enough for the path to show the method rather than the estimator's noise.
pub const PLAN: RolloutPlan = RolloutPlan {
    depth: 10,
    rollouts: 50,
};
/// ε = 1 (caption); shrink factor α = 0.5 (Section 12.4's typical value); at most 100
/// shrinks (the oracle's default cap — the book's loop has none).
pub fn linesearch() -> LinesearchParams<f64> {
    LinesearchParams::new(1.0)
        .with_alpha(0.5)
        .with_max_steps(100)
}

/// The TRPO update of Figure 12.5: exact solve for the natural direction, as the book's `\`.
pub fn method() -> Method {
    Method::TrustRegion {
        params: linesearch(),
        solver: Solver::Exact,
    }
}

/// The θ path of Figure 12.5: [`method`] run for [`ITERATIONS`] iterations from
/// [`START`] with [`PLAN`] on the untruncated regulator (γ = 1), linear Gaussian policy,
/// ChaCha8 seeded with [`SEED`].
///
/// # Errors
/// Invalid parameters only (see [`run`]).
pub fn path() -> Result<ThetaPath> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    run(
        &SimpleRegulator::default(),
        &LinearGaussian,
        &method(),
        &DVector::from_row_slice(&START),
        PLAN,
        ITERATIONS,
        &mut rng,
    )
}

/// `fig12_5_trust_region.svg` and `.csv`.
pub(super) fn files(progress: &mut Progress) -> std::result::Result<Vec<OutputFile>, FigureError> {
    let path = path().map_err(FigureError::compute(FIGURE))?;
    progress.tick("Figure 12.5");
    let mut csv = Csv::new(&PATH_HEADER);
    path_rows(&mut csv, "trust region", &path);
    let svg = render_svg(FIGURE, (760, 560), |root| {
        let mut chart = chart(
            FIGURE,
            root,
            "Figure 12.5: trust region policy optimization (depth 10, ε = 1)",
            (X_RANGE, Y_RANGE),
            ("θ₁", "θ₂"),
        )?;
        draw_path(FIGURE, &mut chart, &path, COLOURS[0], "TRPO, 50 rollouts")?;
        draw_start(FIGURE, &mut chart, (START[0], START[1]))?;
        draw_optimum(FIGURE, &mut chart)?;
        draw_legend(FIGURE, &mut chart, SeriesLabelPosition::UpperRight, 13)
    })?;
    Ok(vec![
        OutputFile::new("fig12_5_trust_region.svg", svg),
        OutputFile::new("fig12_5_trust_region.csv", csv.finish()),
    ])
}
