//! Figure 12.1: gradient ascent, with gradient scaling and with gradient clipping
//! (Algorithms 12.1–12.2), on the simple regulator (Appendix F.5).

use nalgebra::DVector;
use plotters::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::csv::Csv;
use super::error::FigureError;
use super::plot::{COLOURS, chart, draw_legend, draw_optimum, render_svg};
use super::theta_plane::{PATH_HEADER, X_RANGE, Y_RANGE, draw_path, draw_start, path_rows};
use super::{OutputFile, Progress};
use pgoracle::error::Result;
use pgoracle::policy::LinearGaussian;
use pgoracle::problem::SimpleRegulator;
use pgoracle::update_loop::{GradientTransform, Method, RolloutPlan, ThetaPath, run};

const FIGURE: &str = "Figure 12.1";

/// Start θ₀ = [0, 1] of the paths of Figures 12.1 and 12.5 (not given by the book).
pub const START: [f64; 2] = [0.0, 1.0];
/// Seed of the ChaCha8 generator; each of the three paths starts from it, so all three
/// estimate their first gradient from the same rollouts.
pub const SEED: u64 = 1201;
/// Iterations per path.
pub const ITERATIONS: usize = 20;
/// "Each gradient evaluation ran 10 rollouts to depth 10" (caption of Figure 12.1).
pub const PLAN: RolloutPlan = RolloutPlan {
    depth: 10,
    rollouts: 10,
};
/// "Step updates were applied with a step size of 0.2" (caption): α = 0.2.
pub const STEP: f64 = 0.2;
/// L2_max = 1 ("commonly limited to having an L2-norm of 1", Section 12.1).
pub const L2_MAX: f64 = 1.0;
/// Clipping bounds ±1 ("commonly limits the entries to lie between ±1", Section 12.1).
pub const CLIP: (f64, f64) = (-1.0, 1.0);

/// The three gradient ascent variants of Figure 12.1 with their labels.
pub fn methods() -> [(&'static str, Method); 3] {
    let ascent = |transform| Method::GradientAscent {
        alpha: STEP,
        transform,
    };
    [
        ("gradient ascent", ascent(GradientTransform::Plain)),
        (
            "scaled gradient",
            ascent(GradientTransform::Scale { l2_max: L2_MAX }),
        ),
        (
            "clipped gradient",
            ascent(GradientTransform::Clip {
                lo: CLIP.0,
                hi: CLIP.1,
            }),
        ),
    ]
}

/// The θ paths of Figure 12.1: each method run for [`ITERATIONS`] iterations from [`START`]
/// with [`PLAN`], on the untruncated regulator with γ = 1, under the linear Gaussian policy,
/// each with a ChaCha8 generator seeded with [`SEED`].
///
/// # Errors
/// Invalid parameters only (see [`run`]); failures during a run end its path instead.
pub fn paths() -> Result<Vec<(&'static str, ThetaPath)>> {
    let start = DVector::from_row_slice(&START);
    methods()
        .into_iter()
        .map(|(label, method)| {
            let mut rng = ChaCha8Rng::seed_from_u64(SEED);
            let path = run(
                &SimpleRegulator::default(),
                &LinearGaussian,
                &method,
                &start,
                PLAN,
                ITERATIONS,
                &mut rng,
            )?;
            Ok((label, path))
        })
        .collect()
}

/// `fig12_1_gradient_ascent.svg` and `.csv`.
pub(super) fn files(progress: &mut Progress) -> std::result::Result<Vec<OutputFile>, FigureError> {
    let paths = paths().map_err(FigureError::compute(FIGURE))?;
    progress.tick("Figure 12.1");
    let mut csv = Csv::new(&PATH_HEADER);
    for (label, path) in &paths {
        path_rows(&mut csv, label, path);
    }
    let svg = render_svg(FIGURE, (760, 560), |root| {
        let mut chart = chart(
            FIGURE,
            root,
            "Figure 12.1: gradient ascent, scaled and clipped (10 rollouts, depth 10, α = 0.2)",
            (X_RANGE, Y_RANGE),
            ("θ₁", "θ₂"),
        )?;
        for ((label, path), colour) in paths.iter().zip(COLOURS) {
            draw_path(FIGURE, &mut chart, path, colour, label)?;
        }
        draw_start(FIGURE, &mut chart, (START[0], START[1]))?;
        draw_optimum(FIGURE, &mut chart)?;
        draw_legend(FIGURE, &mut chart, SeriesLabelPosition::UpperRight, 13)
    })?;
    Ok(vec![
        OutputFile::new("fig12_1_gradient_ascent.svg", svg),
        OutputFile::new("fig12_1_gradient_ascent.csv", csv.finish()),
    ])
}
