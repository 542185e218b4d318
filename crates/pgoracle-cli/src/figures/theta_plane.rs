//! θ-plane paths of the iterated methods, as drawn in Figures 12.1 and 12.5, and their CSV
//! rows.

use std::ops::Range;

use plotters::prelude::*;

use super::csv::{Csv, num};
use super::error::FigureError;
use super::plot::{Chart, clip_segment};
use pgoracle::update_loop::{IterationNote, Stop, ThetaPath};

/// The visible θ₁ range of the path figures.
pub(super) const X_RANGE: Range<f64> = -2.0..0.5;
/// The visible θ₂ range of the path figures (a little below 0 so the optimum is visible).
pub(super) const Y_RANGE: Range<f64> = -0.05..1.5;

/// Header of the path CSV files.
pub(super) const PATH_HEADER: [&str; 5] = ["method", "iteration", "theta1", "theta2", "event"];

/// Draws a path: its segments and points (clipped to the visible box) and — when the path
/// stopped because the next update left the domain — a dashed segment towards the rejected
/// proposal, ending in a cross if the proposal is visible. The legend entry is `label`
/// followed by how the path ended.
pub(super) fn draw_path(
    figure: &'static str,
    chart: &mut Chart<'_, '_>,
    path: &ThetaPath,
    colour: RGBColor,
    label: &str,
) -> Result<(), FigureError> {
    let bounds = (&X_RANGE, &Y_RANGE);
    let points: Vec<(f64, f64)> = path.thetas.iter().map(|t| (t[0], t[1])).collect();
    let line = colour.stroke_width(2);
    let segments = points
        .windows(2)
        .filter_map(|w| clip_segment(w[0], w[1], bounds))
        .map(|(p, q)| PathElement::new(vec![p, q], line));
    chart
        .draw_series(segments)
        .map_err(FigureError::plot(figure))?;
    let inside = |p: &&(f64, f64)| X_RANGE.contains(&p.0) && Y_RANGE.contains(&p.1);
    chart
        .draw_series(
            points
                .iter()
                .filter(inside)
                .map(|p| Circle::new(*p, 3, colour.filled())),
        )
        .map_err(FigureError::plot(figure))?
        .label(format!("{label}: {}", ending(path)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
    if let (Stop::LeftDomain { proposed, .. }, Some(last)) = (&path.stop, points.last())
        && let Some((p, q)) = clip_segment(*last, (proposed[0], proposed[1]), bounds)
    {
        chart
            .draw_series(DashedLineSeries::new(vec![p, q], 6, 4, line))
            .map_err(FigureError::plot(figure))?;
        if (q.0, q.1) == (proposed[0], proposed[1]) {
            chart
                .draw_series(std::iter::once(Cross::new(q, 6, line)))
                .map_err(FigureError::plot(figure))?;
        }
    }
    Ok(())
}

/// The start θ₀ as a hollow black circle, with a legend entry.
pub(super) fn draw_start(
    figure: &'static str,
    chart: &mut Chart<'_, '_>,
    start: (f64, f64),
) -> Result<(), FigureError> {
    let style = BLACK.stroke_width(2);
    chart
        .draw_series(std::iter::once(Circle::new(start, 7, style)))
        .map_err(FigureError::plot(figure))?
        .label(format!("start θ₀ = [{}, {}]", start.0, start.1))
        .legend(move |(x, y)| Circle::new((x + 10, y), 5, style));
    Ok(())
}

/// How a path ended, for its legend entry.
fn ending(path: &ThetaPath) -> String {
    match &path.stop {
        Stop::Completed => format!("{} iterations", path.notes.len()),
        Stop::LeftDomain { iteration, .. } => {
            format!("σ ≤ 0 proposed at iteration {iteration}, stops")
        }
        Stop::Failed { iteration, error } => {
            format!("{} at iteration {iteration}, stops", error.kind())
        }
    }
}

/// One CSV row per θ of the path, then one row for how it stopped (a rejected proposal, or
/// a failure with its error kind) unless it completed.
pub(super) fn path_rows(csv: &mut Csv, method: &str, path: &ThetaPath) {
    for (k, theta) in path.thetas.iter().enumerate() {
        let event = match k.checked_sub(1).and_then(|i| path.notes.get(i)) {
            None => "start".to_string(),
            Some(IterationNote::Stepped) => "stepped".to_string(),
            Some(IterationNote::Accepted { shrinks }) => {
                format!("line search accepted after {shrinks} shrinks")
            }
            Some(IterationNote::Exhausted { shrinks }) => {
                format!("line search exhausted after {shrinks} shrinks; theta kept")
            }
        };
        csv.row([
            method.to_string(),
            k.to_string(),
            num(theta[0]),
            num(theta[1]),
            event,
        ]);
    }
    match &path.stop {
        Stop::Completed => {}
        Stop::LeftDomain {
            iteration,
            proposed,
        } => csv.row([
            method.to_string(),
            iteration.to_string(),
            num(proposed[0]),
            num(proposed[1]),
            "rejected: proposal outside the domain (sigma <= 0); path stops".to_string(),
        ]),
        Stop::Failed { iteration, error } => csv.row([
            method.to_string(),
            iteration.to_string(),
            String::new(),
            String::new(),
            format!("failed: {} ({error}); path stops", error.kind()),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::dvector;

    use super::*;
    use crate::figures::plot::{COLOURS, chart, render_svg};

    #[test]
    fn only_points_inside_the_box_are_drawn() {
        // θ₁ in range with θ₂ above it, θ₂ in range with θ₁ right of it, and one point inside:
        // one circle.
        let path = ThetaPath {
            thetas: vec![dvector![-1.0, 2.0], dvector![1.0, 1.0], dvector![-1.0, 1.0]],
            notes: vec![IterationNote::Stepped; 2],
            stop: Stop::Completed,
        };
        let svg = render_svg("test", (400, 300), |root| {
            let mut plane = chart("test", root, "", (X_RANGE, Y_RANGE), ("θ₁", "θ₂"))?;
            draw_path("test", &mut plane, &path, COLOURS[0], "path")
        });
        let circles = svg.map(|text| text.matches("<circle").count());
        assert_eq!(circles.ok(), Some(1));
    }
}
