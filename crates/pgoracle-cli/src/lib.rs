//! The `pgoracle` command's library: what the binary shows besides the oracle interface.
//!
//! - [`figures`]: Figures 12.1, 12.2, 12.5, 12.6 and 12.7 recomputed on the simple regulator
//!   and drawn as SVG with their data as CSV (plotters, indicatif).
//!
//! The binary (`src/main.rs`) adds the command line (clap): `verify` (the chapter's printed
//! values, [`pgoracle::verify`]), and `eval`, `check` and `golden` (the oracle interface,
//! `pgoracle_oracle`).
#![warn(missing_docs)]

pub mod figures;
