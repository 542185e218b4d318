#![no_main]
use pgoracle_fuzz::natural_update::{Case, harness};
libfuzzer_sys::fuzz_target!(|case: Case| harness(case));
