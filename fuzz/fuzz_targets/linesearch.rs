#![no_main]
use pgoracle::fuzz::linesearch::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case| harness(case));
