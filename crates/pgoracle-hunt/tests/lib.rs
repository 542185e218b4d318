//! Tests of `pgoracle hunt`'s library: shrinking, verdicts and generation.

mod generate;
mod shrink;
