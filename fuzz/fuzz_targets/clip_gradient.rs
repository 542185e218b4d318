#![no_main]
use pgoracle_fuzz::clip_gradient::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case| harness(case));
