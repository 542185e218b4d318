//! Why writing the figures can fail.

use std::path::PathBuf;

use thiserror::Error;

use pgoracle::error::PgError;

/// A failure of `pgoracle figures`: a computation without a defined value, a drawing error,
/// or a file that cannot be written.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FigureError {
    /// A Chapter 12 computation behind a figure has no defined value.
    #[error("{figure}: {source}")]
    Compute {
        /// The figure being computed.
        figure: &'static str,
        /// The typed reason.
        source: PgError,
    },
    /// plotters could not draw the figure.
    #[error("{figure}: drawing failed: {message}")]
    Plot {
        /// The figure being drawn.
        figure: &'static str,
        /// plotters' message.
        message: String,
    },
    /// The output directory or a file in it cannot be written.
    #[error("cannot write {}: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
}

impl FigureError {
    /// A [`FigureError::Compute`] for `figure`, for `map_err`.
    pub(super) fn compute(figure: &'static str) -> impl Fn(PgError) -> FigureError {
        move |source| FigureError::Compute { figure, source }
    }

    /// A [`FigureError::Plot`] for `figure`, for `map_err`.
    pub(super) fn plot<E: std::fmt::Display>(figure: &'static str) -> impl Fn(E) -> FigureError {
        move |e| FigureError::Plot {
            figure,
            message: e.to_string(),
        }
    }
}
