//! The numerical core's integration tests, one crate with a module per topic (nalgebra's
//! `tests/lib.rs` pattern), so the generic core is compiled once for all of them.
//! `tests/cg_memory.rs` is a crate of its own: its counting global allocator would count
//! every other test's allocations too.

mod accuracy_policies;
mod accuracy_steps;
mod book_values;
mod clamped;
mod common;
mod conventions;
mod derivations;
mod dual;
mod edge_cases;
mod properties;
mod returns;
mod review_regressions;
#[cfg(feature = "simulate")]
mod simulate;
mod torch_peer;
mod trust_region;
#[cfg(feature = "simulate")]
mod update_loops;
