//! `pgoracle hunt` end to end (issue #19): against a candidate with one planted bug it finds and
//! shrinks the bug within 60 s, the shrunk case is minimal, the written file is a golden file
//! that `pgoracle check` reads; a candidate that hangs, crashes or prints garbage is reported
//! and the hunt ends; pgoracle itself as the candidate gives nothing; the same seed gives the
//! same report.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use pgoracle_hunt::candidate::Process;
use pgoracle_hunt::shrink::simplifications;
use pgoracle_hunt::verdict::judge;
use pgoracle_oracle::check::{CheckCase, load_golden};

const PGORACLE: &str = env!("CARGO_BIN_EXE_pgoracle");

/// The planted-bug candidate's command for `bug`.
fn planted(bug: &str) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/candidates/planted.py");
    format!("python3 {} {bug} {PGORACLE}", script.display())
}

/// A scratch path for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hunt");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir.join(name)
}

fn hunt(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(PGORACLE)
        .arg("hunt")
        .args(args)
        .output()
        .expect("pgoracle hunt runs");
    (out, start.elapsed())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Hunts `operation` against the candidate with `bug` planted, and checks that a finding of
/// `kind` was written, minimal, within 60 s, as a golden test `pgoracle check` reads. Returns
/// the finding's golden test (as JSON) for bug-specific checks.
fn finds_planted(bug: &str, operation: &str, kind: &str) -> Value {
    let out_file = scratch(&format!("{bug}.json"));
    let candidate = planted(bug);
    let (out, took) = hunt(&[
        "--operation",
        operation,
        "--candidate",
        &candidate,
        "--cases",
        "400",
        "--time",
        "50",
        "--out",
        out_file.to_str().expect("utf-8 path"),
    ]);
    let summary = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{summary}{}", text(&out.stderr));
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(
        summary.contains(&format!("{operation} {kind}:")),
        "{summary}"
    );
    // Acceptance 5: the file is a golden file.
    let tests = load_golden(&out_file).expect("pgoracle check reads the hunt's file");
    assert!(!tests.is_empty());
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("read")).expect("json");
    let test = file["test_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["tests"].as_array().cloned().unwrap_or_default())
        .find(|t| t["hunt"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} test in {file}"));
    assert_eq!(test["hunt"]["minimal"], true, "{test}");
    assert!(test["hunt"]["seed"].is_u64() && test["hunt"]["case"].is_u64());
    assert!(test["hunt"]["candidate"].is_object());
    // Acceptance 2: no single simplification keeps the disagreement (checked here, outside the
    // hunt, with a fresh candidate).
    let case = serde_json::json!({
        "id": test["id"], "operation": operation, "scalar": test["scalar"], "input": test["input"],
    });
    let mut process =
        Process::start(&candidate, Duration::from_secs(20)).expect("candidate starts");
    let expected = CheckCase::evaluated(&case).expect("valid case");
    let answer = pgoracle_hunt::candidate::Candidate::answer(&mut process, &case);
    assert_eq!(
        judge(&expected, &answer).map(|d| d.kind).as_deref(),
        Some(kind)
    );
    // The file is a regression vector: `pgoracle check` fails the candidate's answers to its
    // cases and passes pgoracle's own (a `tie:` finding passes `check` either way: `check` lets
    // either branch of a decision within its rounding bound pass, docs/hunting.md).
    let all: Vec<Value> = file["test_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["tests"].as_array().cloned().unwrap_or_default())
        .collect();
    let checked = |answers: Vec<Value>| {
        let path = scratch(&format!("{bug}-results.jsonl"));
        let lines: Vec<String> = answers.iter().map(Value::to_string).collect();
        std::fs::write(&path, lines.join("\n")).expect("write results");
        Command::new(PGORACLE)
            .args([
                "check",
                out_file.to_str().expect("utf-8"),
                path.to_str().expect("utf-8"),
            ])
            .output()
            .expect("check runs")
    };
    let cases: Vec<Value> = all
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t["id"], "operation": operation, "scalar": t["scalar"], "input": t["input"],
            })
        })
        .collect();
    let own = checked(
        cases
            .iter()
            .map(|c| pgoracle_oracle::eval_case(c).expect("valid"))
            .collect(),
    );
    assert_eq!(own.status.code(), Some(0), "{}", text(&own.stdout));
    let mut again = Process::start(&candidate, Duration::from_secs(20)).expect("starts");
    let theirs = checked(
        cases
            .iter()
            .map(|c| {
                pgoracle_hunt::candidate::Candidate::answer(&mut again, c).unwrap_or_else(
                    |(m, said)| serde_json::json!({"id": c["id"], "misbehaviour": m.name(), "said": said}),
                )
            })
            .collect(),
    );
    if all
        .iter()
        .any(|t| !t["hunt"]["kind"].as_str().unwrap_or("").starts_with("tie:"))
    {
        assert_eq!(theirs.status.code(), Some(1), "{}", text(&theirs.stdout));
    }
    for simpler in simplifications(&case) {
        let Ok(expected) = CheckCase::evaluated(&simpler) else {
            continue;
        };
        let answer = pgoracle_hunt::candidate::Candidate::answer(&mut process, &simpler);
        assert_ne!(
            judge(&expected, &answer).map(|d| d.kind).as_deref(),
            Some(kind),
            "{} still disagrees: not minimal",
            simpler["input"]
        );
    }
    test
}

#[test]
fn finds_nan_on_a_zero_gradient() {
    let test = finds_planted("nan-zero-gradient", "restricted_step", "error:ZeroGradient");
    assert_eq!(test["expected_error"], "ZeroGradient");
    // Shrunk to one parameter with a zero gradient and ε = 1.
    assert_eq!(test["input"]["grad"], serde_json::json!([0]));
    assert_eq!(test["input"]["theta"].as_array().map(Vec::len), Some(1));
}

#[test]
fn finds_a_norm_that_is_not_overflow_safe() {
    let test = finds_planted("naive-norm", "scale_gradient", "field:grad");
    // One entry just past √(largest f64) ≈ 1.34e154, the smallest power of ten that overflows
    // the squares.
    let g = test["input"]["grad"][0].as_f64().expect("number").abs();
    assert!((1e154..=1e155).contains(&g), "{test}");
}

#[test]
fn finds_a_line_search_that_accepts_only_below_epsilon() {
    let test = finds_planted(
        "strict-linesearch",
        "trust_region_update",
        "tie:linesearch_constraint",
    );
    // The book accepts its first candidate, whose KL equals ε exactly.
    assert_eq!(test["expected"]["accepted"], true);
    assert_eq!(test["expected"]["g_theta_prime"], test["input"]["epsilon"]);
}

#[test]
fn finds_a_fisher_divided_by_m_minus_1() {
    let test = finds_planted("fisher-m-minus-1", "fisher", "field:fisher");
    // Two trajectories of one parameter: F = (s₁² + s₂²)/2, the candidate's twice that.
    let scores = test["input"]["scores"].as_array().expect("scores");
    assert_eq!(scores.len(), 2);
    assert!(scores.iter().all(|r| r.as_array().map(Vec::len) == Some(1)));
}

/// A misbehaving candidate is a finding of `kind`, and the hunt ends (exit 1) in bounded time.
fn reports_misbehaviour(candidate: &str, kind: &str) {
    let (out, took) = hunt(&[
        "--operation",
        "fisher",
        "--candidate",
        candidate,
        "--timeout",
        "1",
        "--time",
        "20",
        "--cases",
        "50",
    ]);
    let summary = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{summary}");
    assert!(summary.contains(&format!("fisher {kind}:")), "{summary}");
    assert!(took < Duration::from_secs(40), "took {took:?}");
}

#[test]
fn a_candidate_that_hangs_is_reported() {
    reports_misbehaviour("read line; sleep 600", "timeout");
}

#[test]
fn a_candidate_that_crashes_is_reported_and_the_hunt_gives_up() {
    reports_misbehaviour("exit 3", "crash");
}

#[test]
fn a_candidate_that_prints_garbage_is_reported() {
    reports_misbehaviour("while read line; do echo 'not json'; done", "garbled");
}

#[test]
fn a_candidate_that_answers_another_id_is_reported() {
    reports_misbehaviour(
        r#"while read line; do echo '{"id": "x", "operation": "fisher", "output": {}}'; done"#,
        "wrong_id",
    );
}

#[test]
fn pgoracle_itself_as_the_candidate_agrees() {
    let candidate = format!("{PGORACLE} eval --jsonl");
    let (out, _) = hunt(&[
        "--operation",
        "all",
        "--candidate",
        &candidate,
        "--cases",
        "2000",
        "--time",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 kinds of disagreement"));
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let candidate = planted("fisher-m-minus-1");
    let run = || {
        let (out, _) = hunt(&[
            "--operation",
            "fisher",
            "--candidate",
            &candidate,
            "--cases",
            "200",
            "--seed",
            "7",
            "--json",
        ]);
        text(&out.stdout)
    };
    let first = run();
    assert!(first.contains("\"seed\":7"), "{first}");
    assert_eq!(first, run());
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--operation", "natural_gradient", "--candidate", "cat"][..],
        &[
            "--operation",
            "fisher",
            "--candidate",
            "cat",
            "--profile",
            "jax",
        ],
        // The torch profile defines four operations, not the Fisher matrix.
        &[
            "--operation",
            "fisher",
            "--candidate",
            "cat",
            "--profile",
            "torch",
        ],
    ] {
        let (out, _) = hunt(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}
