#![no_main]
use pgoracle::fuzz::clip_gradient::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case| harness(case));
