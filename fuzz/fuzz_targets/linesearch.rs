#![no_main]
use pgoracle_fuzz::linesearch::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case| harness(case));
