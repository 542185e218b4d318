//! The fuzz harnesses on stable: every committed corpus file replayed, and each defect the
//! fuzzers found as a named test.

mod fuzz_regressions;
mod fuzz_replay;
