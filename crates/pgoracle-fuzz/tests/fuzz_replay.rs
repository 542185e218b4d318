//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through the harness of its
//! target, decoded exactly as the cargo-fuzz target decodes it, on stable Rust: a plain
//! `cargo test` guards every finding without nightly or cargo-fuzz. See docs/fuzzing.md.

use std::path::{Path, PathBuf};

use pgoracle_fuzz::{TARGETS, replay};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/corpus/<target>/`, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no corpus {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable corpus directory").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replays a target's corpus; returns how many files libFuzzer would run.
fn replay_corpus(target: &str) -> usize {
    let files = corpus(target);
    assert!(!files.is_empty(), "the corpus of `{target}` is empty");
    files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).expect("readable corpus file");
            eprintln!("replaying {}", path.display());
            replay(target, &bytes)
        })
        .count()
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                let run = replay_corpus(stringify!($target));
                assert!(run > 0, "no file of the corpus decodes to a case");
            }
        )*

        /// Every target of `pgoracle_fuzz::TARGETS` is replayed by a test above.
        #[test]
        fn every_target_is_replayed() {
            let tested = [$(stringify!($target)),*];
            assert_eq!(tested, TARGETS);
        }
    };
}

replay_tests!(
    scale_gradient,
    clip_gradient,
    linesearch,
    natural_update,
    clamped_gradient,
    eval_json,
);

/// Each target has its cargo-fuzz binary: a one-line call to the library's harness.
#[test]
fn every_target_is_a_one_line_fuzz_target() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target} missing from fuzz/Cargo.toml"
        );
        let path = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(
            source.contains(&format!("use pgoracle_fuzz::{target}::{{Case, harness}};"))
                && source.contains("fuzz_target!(|case: Case")
                && source.contains("| harness(case));"),
            "{} does not call the harness",
            path.display()
        );
    }
}

/// The `eval_json` case is the whole input, so its corpus files are plain JSON text.
#[test]
fn eval_json_cases_are_the_raw_input() {
    let text = br#"{"id": 1, "operation": "kl_gaussian", "input": {}}"#;
    let case: pgoracle_fuzz::eval_json::Case<'_> = pgoracle_fuzz::decode(text).unwrap();
    assert_eq!(case.text, text);
}
