//! Drawing helpers shared by the figures: an SVG rendered into a string with plotters, the
//! θ-plane chart, arrows and the clipping of segments to the visible box.
//!
//! Text is written as SVG `<text>` elements (font family `sans-serif`) and laid out with
//! plotters' built-in size estimate (no font backend is compiled in), so the bytes of every
//! SVG depend only on the data, never on the fonts installed on the machine.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::error::FigureError;

/// The drawing area of one SVG.
pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A 2-D chart with f64 axes.
pub(super) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The font family written into the SVG (the viewer picks its sans-serif face).
pub(super) const FONT: &str = "sans-serif";

/// Series colours (the first colours of matplotlib's "tab10" palette).
pub(super) const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// Light grey for reference curves drawn behind the data.
pub(super) const REFERENCE: RGBColor = RGBColor(175, 175, 175);

/// Renders an SVG of `size` pixels on a white background into a string.
pub(super) fn render_svg(
    figure: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), FigureError>,
) -> Result<String, FigureError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(FigureError::plot(figure))?;
        draw(&root)?;
        root.present().map_err(FigureError::plot(figure))?;
    }
    Ok(text)
}

/// A chart on `area` with a caption, axis descriptions and a light mesh.
pub(super) fn chart<'a, 'b>(
    figure: &'static str,
    area: &'a Area<'b>,
    caption: &str,
    (x, y): (Range<f64>, Range<f64>),
    (x_desc, y_desc): (&str, &str),
) -> Result<Chart<'a, 'b>, FigureError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 17))
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(48)
        .build_cartesian_2d(x, y)
        .map_err(FigureError::plot(figure))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .light_line_style(RGBColor(238, 238, 238))
        .label_style((FONT, 13))
        .draw()
        .map_err(FigureError::plot(figure))?;
    Ok(chart)
}

/// The optimal policy parameterization θ = [−1, 0] as a black dot (Figures 12.1, 12.2, 12.5).
pub(super) fn draw_optimum(
    figure: &'static str,
    chart: &mut Chart<'_, '_>,
) -> Result<(), FigureError> {
    chart
        .draw_series(std::iter::once(Circle::new((-1.0, 0.0), 5, BLACK.filled())))
        .map_err(FigureError::plot(figure))?
        .label("optimum [−1, 0]")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, BLACK.filled()));
    Ok(())
}

/// The legend every figure uses: a framed, slightly transparent white box at `position`, with
/// labels in `size`-point type.
pub(super) fn draw_legend<'a, 'b: 'a>(
    figure: &'static str,
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<(), FigureError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, size))
        .draw()
        .map_err(FigureError::plot(figure))
}

/// Pixels per unit along x and y in `chart` (y grows downwards in pixels).
pub(super) fn pixel_scale(chart: &Chart<'_, '_>, (x, y): (&Range<f64>, &Range<f64>)) -> (f64, f64) {
    let (w, h) = chart.plotting_area().dim_in_pixel();
    (
        f64::from(w) / (x.end - x.start),
        f64::from(h) / (y.end - y.start),
    )
}

/// An arrow of `length` pixels at `at`, pointing along (dx, dy) in data units as it appears on
/// screen (`scale` from [`pixel_scale`]): a shaft and a two-stroke head drawn as one path.
/// The arrow is laid out in pixels and mapped back to data units (the map is linear), so
/// every arrow has the same length on screen. A zero or non-finite direction gives `None`.
pub(super) fn arrow(
    at: (f64, f64),
    (dx, dy): (f64, f64),
    (sx, sy): (f64, f64),
    length: f64,
    style: ShapeStyle,
) -> Option<PathElement<(f64, f64)>> {
    // Screen direction (pixels; y grows downwards).
    let (px, py) = (dx * sx, -dy * sy);
    let norm = px.hypot(py);
    if !(norm.is_finite() && norm > 0.0) {
        return None;
    }
    let (ux, uy) = (px / norm, py / norm);
    let tip = (ux * length, uy * length);
    let head = 0.35 * length;
    // The head strokes go back from the tip at ±25° to the shaft.
    let (c, s) = (25f64.to_radians().cos(), 25f64.to_radians().sin());
    let left = (
        tip.0 - head * (ux * c - uy * s),
        tip.1 - head * (uy * c + ux * s),
    );
    let right = (
        tip.0 - head * (ux * c + uy * s),
        tip.1 - head * (uy * c - ux * s),
    );
    let data = |(x, y): (f64, f64)| (at.0 + x / sx, at.1 - y / sy);
    let path = vec![at, data(tip), data(left), data(tip), data(right)];
    Some(PathElement::new(path, style))
}

/// The part of the segment p → q inside the box `x × y` (Liang–Barsky), or `None`.
pub(super) fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    (x, y): (&Range<f64>, &Range<f64>),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (denominator, numerator) in [
        (-dx, p.0 - x.start),
        (dx, x.end - p.0),
        (-dy, p.1 - y.start),
        (dy, y.end - p.1),
    ] {
        if denominator == 0.0 {
            if numerator < 0.0 {
                return None;
            }
        } else {
            let t = numerator / denominator;
            if denominator < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    // t0 ≥ 0 and t1 ≤ 1 always (max/min ignore a NaN quotient), so an infinite t0 or t1
    // also gives t0 > t1.
    if t0 > t1 {
        return None;
    }
    Some((
        (p.0 + t0 * dx, p.1 + t0 * dy),
        (p.0 + t1 * dx, p.1 + t1 * dy),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::element::PointCollection;

    fn points(arrow: &PathElement<(f64, f64)>) -> Vec<(f64, f64)> {
        arrow.point_iter().to_vec()
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12
    }

    #[test]
    fn an_arrow_without_a_direction_is_not_drawn() {
        let style = ShapeStyle::from(&BLACK);
        for direction in [(0.0, 0.0), (f64::NAN, 1.0), (f64::INFINITY, 0.0)] {
            assert!(arrow((0.0, 0.0), direction, (1.0, 1.0), 10.0, style).is_none());
        }
    }

    #[test]
    fn an_arrow_is_laid_out_in_pixels() {
        // Pointing along +x, 10 px long, at 2 px per unit in x and 4 in y: the tip is 5 units
        // to the right; the head strokes are 3.5 px long at ±25°, i.e. 3.5·cos 25° px back
        // (÷ 2 in x) and 3.5·sin 25° px to either side (÷ 4 in y).
        let style = ShapeStyle::from(&BLACK);
        let drawn = arrow((1.0, 1.0), (3.0, 0.0), (2.0, 4.0), 10.0, style).map(|a| points(&a));
        let (back, side) = (
            3.5 * 25f64.to_radians().cos() / 2.0,
            3.5 * 25f64.to_radians().sin() / 4.0,
        );
        let tip = (6.0, 1.0);
        let expected = [
            (1.0, 1.0),
            tip,
            (6.0 - back, 1.0 + side),
            tip,
            (6.0 - back, 1.0 - side),
        ];
        let drawn = drawn.unwrap_or_default();
        assert_eq!(drawn.len(), 5);
        for (got, want) in drawn.iter().zip(expected) {
            assert!(close(*got, want), "{got:?} != {want:?}");
        }
    }

    #[test]
    fn an_arrow_points_up_when_dy_is_positive() {
        // Pixels grow downwards; the arrow must still point up in data units.
        let style = ShapeStyle::from(&BLACK);
        let drawn = arrow((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), 8.0, style).map(|a| points(&a));
        let drawn = drawn.unwrap_or_default();
        assert!(close(drawn[1], (0.0, 8.0)), "tip {:?}", drawn[1]);
    }

    #[test]
    fn segments_are_clipped_to_the_box() {
        let unit = (&(0.0..1.0), &(0.0..1.0));
        // Crossing the box horizontally, vertically (dx = 0) and diagonally.
        assert_eq!(
            clip_segment((-1.0, 0.5), (2.0, 0.5), unit),
            Some(((0.0, 0.5), (1.0, 0.5)))
        );
        assert_eq!(
            clip_segment((0.5, 2.0), (0.5, -1.0), unit),
            Some(((0.5, 1.0), (0.5, 0.0)))
        );
        assert_eq!(
            clip_segment((-1.0, -1.0), (2.0, 2.0), unit),
            Some(((0.0, 0.0), (1.0, 1.0)))
        );
        // Inside: unchanged, also when it is a single point.
        // Along an edge of the closed box (a zero denominator with a zero numerator).
        assert_eq!(
            clip_segment((0.0, 0.2), (0.0, 0.8), unit),
            Some(((0.0, 0.2), (0.0, 0.8)))
        );
        // Touching only the corner (0, 0): t0 = t1, a single point.
        assert_eq!(
            clip_segment((-1.0, 1.0), (1.0, -1.0), unit),
            Some(((0.0, 0.0), (0.0, 0.0)))
        );
        let inside = ((0.25, 0.5), (0.75, 0.25));
        assert_eq!(clip_segment(inside.0, inside.1, unit), Some(inside));
        assert_eq!(
            clip_segment((0.5, 0.5), (0.5, 0.5), unit),
            Some(((0.5, 0.5), (0.5, 0.5)))
        );
    }

    #[test]
    fn segments_outside_the_box_are_dropped() {
        let unit = (&(0.0..1.0), &(0.0..1.0));
        // Beyond a corner, on a line that misses the box (t0 > t1).
        assert_eq!(clip_segment((0.5, -1.0), (2.0, 0.5), unit), None);
        // Parallel to a side, outside it (a zero denominator with a negative numerator).
        assert_eq!(clip_segment((-1.0, 0.0), (-1.0, 1.0), unit), None);
        assert_eq!(clip_segment((0.0, 2.0), (1.0, 2.0), unit), None);
        // Wholly to one side.
        assert_eq!(clip_segment((2.0, 2.0), (3.0, 3.0), unit), None);
        // Pointing away from the box before reaching it.
        assert_eq!(clip_segment((1.5, 0.5), (3.0, 0.5), unit), None);
    }
}
