#![no_main]
use pgoracle_fuzz::eval_json::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case<'_>| harness(case));
