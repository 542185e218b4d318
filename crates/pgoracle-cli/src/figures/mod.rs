//! `pgoracle figures`: the chapter's figures recomputed with pgoracle and drawn as SVG
//! (plotters), each with a CSV of the numbers it plots.
//!
//! | figure | module | what it shows |
//! |---|---|---|
//! | 12.1 | [`ascent_paths`] | gradient ascent, scaled and clipped (Algorithms 12.1–12.2) |
//! | 12.2 | [`gradient_field`] | policy gradient beside natural gradient (Eq. 12.13) |
//! | 12.5 | [`trust_region_path`] | trust region policy optimization (Algorithm 12.5) |
//! | 12.6 | [`clamp_bound`] | the clamped lower bound against the ratio (Eq. 12.22) |
//! | 12.7 | [`surrogates`] | surrogate objectives along θ → θ′ (Eqs. 12.18, 12.22, 12.24) |
//!
//! Every random draw comes from a ChaCha8 generator with a fixed seed (one per figure), and
//! the SVGs carry text as `<text>` elements laid out without any font file, so two runs give
//! byte-identical files on any machine with the same floating-point results.
//! `docs/figures.md` lists the parameters and compares each figure with the book's.

pub mod ascent_paths;
pub mod clamp_bound;
mod csv;
mod error;
pub mod gradient_field;
mod plot;
mod progress;
pub mod surrogates;
mod theta_plane;
pub mod trust_region_path;

pub use error::FigureError;
pub use progress::Progress;

use std::path::Path;

/// One generated file: its name inside the output directory and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, e.g. `fig12_1_gradient_ascent.svg`.
    pub name: &'static str,
    /// UTF-8 contents.
    pub contents: String,
}

impl OutputFile {
    fn new(name: &'static str, contents: String) -> Self {
        OutputFile { name, contents }
    }
}

/// Computes and draws one figure's files.
type Builder = fn(&mut Progress) -> Result<Vec<OutputFile>, FigureError>;

/// Builders of the figures, in the order they are generated.
const FIGURES: [Builder; 5] = [
    ascent_paths::files,
    gradient_field::files,
    trust_region_path::files,
    clamp_bound::files,
    surrogates::files,
];

/// Computes and draws every figure: an SVG and a CSV per figure.
///
/// # Errors
/// [`FigureError::Compute`] or [`FigureError::Plot`] naming the figure.
pub fn generate(progress: &mut Progress) -> Result<Vec<OutputFile>, FigureError> {
    progress.expect(FIGURES.len() as u64);
    let mut files = Vec::new();
    for figure in FIGURES {
        files.extend(figure(progress)?);
    }
    progress.finish();
    Ok(files)
}

/// Generates every figure and writes the files into `dir` (created if missing), returning
/// the paths written.
///
/// # Errors
/// As [`generate`], and [`FigureError::Io`] when the directory or a file cannot be written.
pub fn write_all(
    dir: &Path,
    progress: &mut Progress,
) -> Result<Vec<std::path::PathBuf>, FigureError> {
    let files = generate(progress)?;
    std::fs::create_dir_all(dir).map_err(|e| FigureError::Io {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    files
        .into_iter()
        .map(|file| {
            let path = dir.join(file.name);
            std::fs::write(&path, file.contents).map_err(|e| FigureError::Io {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Ok(path)
        })
        .collect()
}
