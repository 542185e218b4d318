//! The `pgoracle` binary's integration tests: its commands, flags and exit codes, and the
//! figures.

mod cli;
mod figures;
mod hunt;
