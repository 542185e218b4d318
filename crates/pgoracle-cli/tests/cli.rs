//! The `pgoracle` binary's contract (oracle interface): verify output and exit codes, eval
//! results, error kinds, and exit status 2 with empty stdout for invalid documents.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pgoracle(args: &[&str], stdin: &str) -> Output {
    pgoracle_to(args, stdin, Stdio::piped())
}

/// Runs pgoracle with `stdin` as its input and its standard output sent to `stdout`.
fn pgoracle_to(args: &[&str], stdin: &str, stdout: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgoracle"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("pgoracle starts");
    // A command that does not read its input (a usage error, `eval FILE`) may exit before it is
    // written: a closed pipe here is not the test's failure.
    match child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().expect("pgoracle finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn eval_json(case: &str) -> serde_json::Value {
    let o = pgoracle(&["eval"], case);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&stdout(&o)).expect("eval prints JSON")
}

#[test]
fn verify_is_the_default_command_and_passes() {
    for args in [&[][..], &["verify"][..], &["verify", "--scalar", "f32"][..]] {
        let o = pgoracle(args, "");
        assert_eq!(o.status.code(), Some(0));
        assert!(
            stdout(&o).contains("29 of 29 values agree"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn verify_json_lists_every_quantity() {
    let o = pgoracle(&["--json"], "");
    assert_eq!(o.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 29);
    for row in rows {
        assert_eq!(row["ok"], true, "{row}");
        for key in ["quantity", "book", "computed"] {
            assert!(row.get(key).is_some(), "{row}");
        }
    }
    let theta = rows
        .iter()
        .find(|r| r["quantity"] == "Example 12.1 θ′[1]")
        .unwrap();
    assert_eq!(theta["book"].as_f64(), Some(0.314));
}

#[test]
fn eval_single_case_echoes_id_and_operation() {
    let r = eval_json(
        r#"{"id": 7, "operation": "gradient_ascent", "input": {"theta": [1, 2], "grad": [0.5, -1], "alpha": 2}}"#,
    );
    assert_eq!(r["id"], 7);
    assert_eq!(r["operation"], "gradient_ascent");
    assert_eq!(r["output"]["theta"], serde_json::json!([2, 0]));
}

#[test]
fn eval_writes_shortest_round_trip_numbers_in_the_requested_precision() {
    // 0.1 + 0.2 is 0.30000000000000004 in f64 and the f32 nearest to 0.3 in f32.
    let case = |scalar: &str| {
        format!(
            r#"{{"id": "x", "operation": "gradient_ascent", "scalar": "{scalar}", "input": {{"theta": [0.1], "grad": [0.2], "alpha": 1}}}}"#
        )
    };
    let o = pgoracle(&["eval"], &case("f64"));
    assert!(stdout(&o).contains("0.30000000000000004"), "{}", stdout(&o));
    let o = pgoracle(&["eval"], &case("f32"));
    assert!(
        stdout(&o).contains("0.3") && !stdout(&o).contains("0.300000"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn eval_array_of_cases_keeps_order_and_reports_error_kinds() {
    let r = eval_json(
        r#"[
        {"id": "a", "operation": "restricted_step", "input": {"theta": [0], "grad": [0], "epsilon": 0.1}},
        {"id": "b", "operation": "clip_gradient", "input": {"grad": ["NaN"], "lo": -1, "hi": 1}},
        {"id": "c", "operation": "clip_gradient", "input": {"grad": [2], "lo": 1, "hi": -1}},
        {"id": "d", "operation": "kl_categorical", "input": {"p": [0.5, 0.5], "q": [1, 0]}},
        {"id": "e", "operation": "natural_update", "input": {"theta": [0, 0], "grads": [[1, 2]], "scores": [[1, 2]], "epsilon": 0.1}},
        {"id": "f", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 1, "std_q": 1}}
    ]"#,
    );
    let kinds: Vec<_> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["error"]["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            "ZeroGradient",
            "NonFiniteInput",
            "InvalidParameter",
            "ZeroProbability",
            "SingularFisher",
            "null"
        ]
        .map(|k| if k == "null" {
            serde_json::Value::Null
        } else {
            serde_json::json!(k)
        })
    );
    assert_eq!(r[5]["output"]["kl"], 0.5);
    assert_eq!(r[5]["id"], "f");
}

#[test]
fn eval_trust_region_on_example_12_1() {
    let case = r#"{"id": "ex12.1", "operation": "trust_region_update", "input": {
        "policy": {"family": "gaussian"}, "theta": [0, 1], "gamma": 1, "epsilon": 0.1, "alpha": 0.5,
        "trajectories": [
          [{"s": 0, "a": -0.532, "r": -0.532}, {"s": 0, "a": 0.597, "r": 0.597}, {"s": 0, "a": 1.947, "r": 1.947}],
          [{"s": 0, "a": -0.263, "r": -0.263}, {"s": 0, "a": -2.212, "r": -2.212}, {"s": 0, "a": 2.364, "r": 2.364}]]}}"#;
    let out = &eval_json(case)["output"];
    assert_eq!(out["accepted"], true);
    assert_eq!(out["steps"], 0);
    // Book: θ′ = [0.314, 1], f(θ) = 1.485, f(θ′) = 2.110, g(θ′) = 0.049.
    for (field, book) in [
        ("f_theta", 1.485),
        ("f_theta_prime", 2.110),
        ("g_theta_prime", 0.049),
    ] {
        assert!(
            (out[field].as_f64().unwrap() - book).abs() < 5e-4,
            "{field}: {}",
            out[field]
        );
    }
    assert!((out["theta"][0].as_f64().unwrap() - 0.314).abs() < 5e-4);
}

#[test]
fn eval_jsonl_streams_one_result_per_line() {
    let input = "{\"id\": 1, \"operation\": \"scale_gradient\", \"input\": {\"grad\": [6, 8], \"l2_max\": 5}}\n\n{\"id\": 2, \"operation\": \"scale_gradient\", \"input\": {\"grad\": [0, 0], \"l2_max\": 0}}\n";
    let o = pgoracle(&["eval", "--jsonl"], input);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["output"]["grad"], serde_json::json!([3, 4]));
    assert_eq!(lines[1]["output"]["grad"], serde_json::json!([0, 0]));
}

#[test]
fn invalid_documents_exit_2_with_empty_stdout_and_name_the_field() {
    let bad = [
        ("{not json", "malformed JSON"),
        (
            r#"{"id": "u", "operation": "nope", "input": {}}"#,
            "operation",
        ),
        (
            r#"{"id": "m", "operation": "clip_gradient", "input": {"grad": [1], "lo": 0}}"#,
            "input.hi",
        ),
        (
            r#"{"id": "k", "operation": "clip_gradient", "input": {"grad": [1], "lo": 0, "hi": 1, "extra": 3}}"#,
            "input.extra",
        ),
        (
            r#"{"id": "t", "operation": "clip_gradient", "input": {"grad": "x", "lo": 0, "hi": 1}}"#,
            "input.grad",
        ),
        (
            r#"{"id": "s", "operation": "clip_gradient", "scalar": "f16", "input": {"grad": [1], "lo": 0, "hi": 1}}"#,
            "scalar",
        ),
        (
            r#"{"id": "p", "operation": "score", "input": {"policy": {"family": "beta"}, "theta": [0, 1], "trajectories": []}}"#,
            "input.policy.family",
        ),
        // A softmax table needs n_states, n_actions ≥ 1; the error names the one that is 0.
        (
            r#"{"id": "z", "operation": "policy_kl", "input": {"policy": {"family": "softmax", "n_states": 0, "n_actions": 2}, "theta": [], "theta_prime": [], "s": 0}}"#,
            "field `input.policy.n_states`: expected a positive integer",
        ),
        (
            r#"{"id": "z", "operation": "policy_kl", "input": {"policy": {"family": "softmax", "n_states": 2, "n_actions": 0}, "theta": [], "theta_prime": [], "s": 0}}"#,
            "field `input.policy.n_actions`: expected a positive integer",
        ),
        // Errors found by nested readers (trajectory steps, a policy's state) name the case.
        (
            r#"{"id": "nested", "operation": "likelihood_ratio_gradient", "input": {"policy": {"family": "gaussian"}, "theta": [0, 1], "gamma": 1, "trajectories": [[{"s": 0, "a": "x", "r": 1}]]}}"#,
            "case \"nested\": field `input.trajectories[0][0].a`",
        ),
        (
            r#"{"id": "kl-s", "operation": "policy_kl", "input": {"policy": {"family": "softmax", "n_states": 2, "n_actions": 2}, "theta": [0, 1, 0, 0], "theta_prime": [0, 0, 0, 0], "s": "one"}}"#,
            "case \"kl-s\": field `input.s`",
        ),
        // `id` is any string or integer (oracle interface): 1.5 and 1e3 are not.
        (
            r#"{"id": 1.5, "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#,
            "field `id`: expected a string or an integer",
        ),
        (
            r#"{"id": 1e3, "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#,
            "field `id`: expected a string or an integer",
        ),
        (
            r#"[{"id": "ok", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}, {"id": "bad", "operation": "kl_gaussian", "input": {}}]"#,
            "case \"bad\"",
        ),
    ];
    for (doc, needle) in bad {
        let o = pgoracle(&["eval"], doc);
        assert_eq!(o.status.code(), Some(2), "{doc}");
        assert!(o.stdout.is_empty(), "{doc}: stdout {}", stdout(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{doc}: stderr {err}");
    }
}

#[test]
fn a_closed_stdout_ends_quietly_without_a_panic() {
    // `pgoracle eval --jsonl … | head -c 100` used to panic in println! ("Broken pipe").
    use std::io::Read;
    let line = "{\"id\": 1, \"operation\": \"kl_gaussian\", \"input\": {\"mean_p\": 0, \"std_p\": 1, \"mean_q\": 1, \"std_q\": 2}}\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgoracle"))
        .args(["eval", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pgoracle starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    stdin.write_all(line.repeat(10).as_bytes()).expect("write");
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let _ = stdin.write_all(line.repeat(20_000).as_bytes());
    drop(stdin);
    let out = child.wait_with_output().expect("finishes");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    // Quietly: nothing on stderr, and exit 1 because not every result was written
    // (oracle interface, exit codes).
    assert!(err.is_empty(), "a closed pipe is not reported: {err}");
    assert_eq!(out.status.code(), Some(1));
}

/// Any write error other than a closed pipe is reported: standard output on a full device
/// (Linux's /dev/full fails every write with ENOSPC) exits 1 and says why on stderr.
#[test]
fn a_write_error_other_than_a_closed_pipe_is_reported() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux)");
    let out = pgoracle_to(
        &["eval"],
        r#"{"id": 1, "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#,
        Stdio::from(full),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("pgoracle: cannot write to standard output:"),
        "{err}"
    );
}

/// The human-readable verify table prints a computed value with twelve decimals, or as
/// d.dddddde±x when it is non-zero and below 10⁻³ in magnitude. Example 12.1's u[2] is 0 in
/// exact arithmetic (F∇U with ∇U = F's first column gives u = e₁) and is computed as a
/// rounding residue; the line-search shrink count is exactly 0; F(τ1)[1,1] is the square of
/// Σ ∂log π/∂μ = Σ (a − μ)/σ² over τ1 at θ = [0, 1], (−0.532 + 0.597 + 1.947)² = 2.012² =
/// 4.048144 exactly.
#[test]
fn verify_prints_twelve_decimals_or_scientific_below_a_thousandth() {
    let text = stdout(&pgoracle(&["verify"], ""));
    let computed = |quantity: &str| -> String {
        let row = text
            .lines()
            .find(|l| l.contains(quantity))
            .unwrap_or_else(|| panic!("no row {quantity}: {text}"));
        let after = row.split_once(quantity).unwrap().1;
        // Columns after the quantity: book value, computed value, verdict.
        after.split_whitespace().nth(1).unwrap().to_owned()
    };
    assert_eq!(computed("F(τ1)[1,1]"), "4.048144000000");
    assert_eq!(computed("line-search shrinks"), "0.000000000000");
    let residue = computed("u[2]");
    let (mantissa, exponent) = residue.split_once('e').expect("scientific notation");
    let digits = mantissa.trim_start_matches('-');
    assert!(
        digits.len() == 8 && digits.as_bytes()[1] == b'.',
        "{residue}"
    );
    let exponent: i32 = exponent.parse().unwrap();
    assert!(exponent < -12, "a rounding residue: {residue}");
}

/// `pgoracle golden --out DIR` writes the committed golden/ files byte for byte and says how
/// many it wrote.
#[test]
fn golden_command_writes_the_committed_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-golden");
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_pgoracle"))
        .args(["golden", "--out"])
        .arg(&dir)
        .output()
        .expect("pgoracle golden");
    assert_eq!(o.status.code(), Some(0));
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden");
    let mut names: Vec<_> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!("pgoracle golden: wrote {} files to ", names.len())),
        "{err}"
    );
    for name in names {
        let want = std::fs::read(committed.join(&name)).unwrap();
        let got = std::fs::read(dir.join(&name)).unwrap_or_default();
        assert!(want == got, "{name:?} differs from golden/");
    }
}

#[test]
fn integer_ids_of_any_size_are_echoed() {
    let r = eval_json(
        r#"{"id": 100000000000000000000, "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#,
    );
    assert_eq!(r["id"].to_string(), "100000000000000000000");
    assert_eq!(r["output"]["kl"], 0);
}

#[test]
fn conjugate_gradient_output_has_no_fisher_matrix() {
    let r = eval_json(
        r#"{"id": "cg", "operation": "natural_update", "input": {"theta": [0, 0],
        "grads": [[1, 0], [0, 1]], "scores": [[1, 0], [0, 1]], "epsilon": 0.5,
        "solver": {"kind": "conjugate_gradient", "max_iters": 5, "tol": 1e-12, "damping": 0}}}"#,
    );
    let out = r["output"].as_object().unwrap();
    assert!(!out.contains_key("fisher"));
    // F = I/2, g = [1/2, 1/2]: u = [1, 1] in one CG iteration, gᵀu = 1, θ′ = u·√(2·0.5) = [1, 1].
    assert_eq!(out["direction"], serde_json::json!([1, 1]));
    assert_eq!(out["theta"], serde_json::json!([1, 1]));
    assert_eq!(out["cg_iterations"], 1);
    assert_eq!(out["cg_residual"], 0);
}

#[test]
fn check_exit_codes() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../golden");
    let golden = dir.join("kl_gaussian.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
    let cases: Vec<serde_json::Value> = doc["test_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().clone())
        .map(|t| serde_json::json!({"id": t["id"], "operation": t["operation"], "scalar": t["scalar"], "input": t["input"]}))
        .collect();
    let results = pgoracle(&["eval", "-"], &serde_json::Value::Array(cases).to_string());
    assert_eq!(results.status.code(), Some(0));
    let tmp = std::env::temp_dir().join(format!("pgoracle-check-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let good = tmp.join("good.json");
    std::fs::write(&good, &results.stdout).unwrap();
    let o = pgoracle(
        &["check", golden.to_str().unwrap(), good.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 differ, 0 missing"));
    // One number off by 1e-3.
    let mut parsed: serde_json::Value = serde_json::from_slice(&results.stdout).unwrap();
    let first = parsed
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r.get("output").is_some())
        .unwrap();
    let kl = first["output"]["kl"].as_f64().unwrap();
    first["output"]["kl"] = serde_json::json!(kl + 1e-3);
    let bad = tmp.join("bad.json");
    std::fs::write(&bad, parsed.to_string()).unwrap();
    let o = pgoracle(
        &["check", golden.to_str().unwrap(), bad.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 differ"), "{}", stdout(&o));
    // An invalid document.
    let o = pgoracle(&["check", golden.to_str().unwrap(), "-"], "{not json");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `strict` of the conjugate-gradient solver (oracle interface): one CG iteration cannot solve
/// F u = g for F = diag(1, 4, 9)/3 (three distinct eigenvalues need three iterations), so the
/// missed tolerance is `NoConvergence` with `strict: true`, an output with its residual with
/// `strict: false` or without `strict`, and `strict: "yes"` is an invalid document.
#[test]
fn conjugate_gradient_strict_flag() {
    let case = |strict: &str| {
        format!(
            r#"{{"id": "s", "operation": "natural_update", "input": {{"theta": [0, 0, 0],
            "grads": [[1, 1, 1], [1, 1, 1], [1, 1, 1]], "scores": [[1, 0, 0], [0, 2, 0], [0, 0, 3]],
            "epsilon": 0.5, "solver": {{"kind": "conjugate_gradient", "max_iters": 1,
            "tol": 1e-12, "damping": 0{strict}}}}}}}"#
        )
    };
    let strict = eval_json(&case(r#", "strict": true"#));
    assert_eq!(strict["error"]["kind"], "NoConvergence", "{strict}");
    for lenient in [case(r#", "strict": false"#), case("")] {
        let r = eval_json(&lenient);
        assert_eq!(r["output"]["cg_iterations"], 1, "{r}");
        let residual = r["output"]["cg_residual"].as_f64().unwrap();
        assert!(residual > 1e-12, "{r}");
    }
    let o = pgoracle(&["eval"], &case(r#", "strict": "yes""#));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("field `input.solver.strict`: expected true or false"),
        "{err}"
    );
}

/// A scratch folder under the target directory, emptied first.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Issue #15: `--json` and `--scalar` are `verify`'s flags for the default command
/// (`pgoracle --json`). Before a subcommand they used to be ignored (`--json eval`) or, worse,
/// silently overridden (`--scalar f32 verify` recomputed in f64). Every such combination is a
/// usage error: exit 2, nothing on stdout (no table, no files), and a message naming the
/// flag and the subcommand.
#[test]
fn top_level_flags_before_a_subcommand_are_usage_errors() {
    let dir = scratch("cli-top-level-flags");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/../../golden/kl_gaussian.json");
    let cases: [(&[&str], &str, &str); 10] = [
        (&["--scalar", "f32", "verify"], "--scalar", "verify"),
        (&["--json", "verify"], "--json", "verify"),
        (&["--scalar", "f32", "eval"], "--scalar", "eval"),
        (&["--json", "eval"], "--json", "eval"),
        (&["--json", "eval", "--jsonl"], "--json", "eval"),
        (&["--json", "check", golden, "-"], "--json", "check"),
        (
            &["--scalar", "f32", "check", golden, "-"],
            "--scalar",
            "check",
        ),
        (
            &["--scalar", "f32", "golden", "--out", out],
            "--scalar",
            "golden",
        ),
        (&["--json", "figures", "--out", out], "--json", "figures"),
        (
            &["--scalar=f64", "figures", "--out", out],
            "--scalar",
            "figures",
        ),
    ];
    // A valid case on stdin: had the flag been ignored, eval would print its result.
    let case = r#"{"id": 1, "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#;
    for (args, flag, subcommand) in cases {
        let o = pgoracle(args, case);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: stdout {}", stdout(&o));
        assert!(
            err.contains(&format!(
                "the subcommand '{subcommand}' cannot be used with"
            )) && err.contains(flag),
            "{args:?}: {err}"
        );
        assert!(!std::path::Path::new(out).exists(), "{args:?} wrote {out}");
    }
    // Both flags at once are both named.
    let o = pgoracle(&["--json", "--scalar", "f32", "eval"], case);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--json") && err.contains("--scalar"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The other order: a subcommand given a flag it does not have (`eval --json`, `golden
/// --scalar f32`, …) is a usage error too (exit 2, empty stdout, the flag named).
#[test]
fn flags_a_subcommand_does_not_have_are_usage_errors() {
    let dir = scratch("cli-foreign-flags");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/../../golden/kl_gaussian.json");
    let cases: [(&[&str], &str); 6] = [
        (&["eval", "--json"], "--json"),
        (&["eval", "--scalar", "f32"], "--scalar"),
        (&["check", "--jsonl", golden, "-"], "--jsonl"),
        (&["golden", "--scalar", "f32", "--out", out], "--scalar"),
        (&["figures", "--json", "--out", out], "--json"),
        (&["verify", "--jsonl"], "--jsonl"),
    ];
    for (args, flag) in cases {
        let o = pgoracle(args, "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: stdout {}", stdout(&o));
        assert!(
            err.contains(&format!("unexpected argument '{flag}'")),
            "{args:?}: {err}"
        );
        assert!(!std::path::Path::new(out).exists(), "{args:?} wrote {out}");
    }
    // `check --json` exists only with `--explain` (interface version 2).
    let o = pgoracle(&["check", "--json", golden, "-"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--explain"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--scalar f32` recomputes in f32, as `verify --scalar f32` and as the default command
/// `pgoracle --scalar f32`: the table says so, and the JSON carries f32 arithmetic. The
/// predictable value is Example 12.1's F(τ2)[1,1]: at θ = [0, 1] each step's ∂log π/∂μ is
/// (a − 0)/1² = a exactly, so F(τ2)[1,1] = (a₁ + a₂ + a₃)² with τ2's actions −0.263, −2.212,
/// 2.364, summed left to right. The sum cancels (−0.111), so f32 rounding of the book's three
/// numbers shows in the fifth digit: 0.012320961 in f32, 0.012321000000000047 in f64.
#[test]
fn scalar_f32_recomputes_in_f32() {
    let s32 = -0.263f32 + -2.212f32 + 2.364f32;
    let s64 = -0.263f64 + -2.212f64 + 2.364f64;
    let (want32, want64) = (s32 * s32, s64 * s64);
    assert!(f64::from(want32) != want64, "setup: f32 rounding shows");
    let computed = |args: &[&str]| -> String {
        let o = pgoracle(args, "");
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["quantity"] == "Example 12.1 F(τ2)[1,1]")
            .unwrap_or_else(|| panic!("{args:?}: no F(τ2)[1,1] row"));
        assert_eq!(row["ok"], true, "{args:?}: {row}");
        // The number as written (serde_json keeps its digits).
        row["computed"].to_string()
    };
    for args in [
        &["verify", "--scalar", "f32", "--json"][..],
        &["verify", "--json", "--scalar", "f32"][..],
        &["--scalar", "f32", "--json"][..],
        &["--json", "--scalar=f32"][..],
    ] {
        let text = computed(args);
        assert_eq!(text.parse::<f32>().unwrap(), want32, "{args:?}: {text}");
        assert_eq!(text, "0.012320961", "{args:?}: shortest f32 digits");
    }
    for args in [
        &["verify", "--json"][..],
        &["verify", "--scalar", "f64", "--json"][..],
        &["--json"][..],
        &["--json", "--scalar", "f64"][..],
    ] {
        let text = computed(args);
        assert_eq!(text.parse::<f64>().unwrap(), want64, "{args:?}: {text}");
    }
    for (args, precision) in [
        (&["verify", "--scalar", "f32"][..], "f32"),
        (&["--scalar", "f32"][..], "f32"),
        (&["verify"][..], "f64"),
        (&[][..], "f64"),
    ] {
        let o = pgoracle(args, "");
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let text = stdout(&o);
        let header =
            format!("pgoracle verify: Chapter 12 worked values recomputed in {precision}\n");
        assert!(text.starts_with(&header), "{args:?}: {text}");
        // The table's F(τ2)[1,1] has twelve decimals of the same number.
        let want = if precision == "f32" {
            format!("{want32:.12}")
        } else {
            format!("{want64:.12}")
        };
        let row = text.lines().find(|l| l.contains("F(τ2)[1,1]")).unwrap();
        assert!(row.contains(&want), "{args:?}: {row} lacks {want}");
    }
    // An unknown precision is a usage error naming the values it accepts.
    let o = pgoracle(&["--scalar", "f16"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("f16") && err.contains("f64, f32"), "{err}");
}

/// `eval FILE` reads the file (one case, or an array), `eval --jsonl FILE` and
/// `eval --jsonl -` stream lines from a file or standard input, and an unreadable FILE is
/// exit 2 naming it.
#[test]
fn eval_reads_a_file_argument_and_dash_for_stdin() {
    let dir = scratch("cli-eval-file");
    // D_KL(N(0, 1) ‖ N(1, 1)) = ½ and D_KL(N(0, 1) ‖ N(0, 2)) = log 2 + 1/8 − ½.
    let one = r#"{"id": "one", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 1, "std_q": 1}}"#;
    let two = r#"{"id": "two", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 2}}"#;
    let kl_two = std::f64::consts::LN_2 + 0.125 - 0.5;
    let single = dir.join("single.json");
    std::fs::write(&single, one).unwrap();
    let array = dir.join("array.json");
    std::fs::write(&array, format!("[{one}, {two}]")).unwrap();
    let lines = dir.join("cases.jsonl");
    std::fs::write(&lines, format!("{one}\n\n{two}\n")).unwrap();

    // A case on stdin that must not be read when FILE is given.
    let decoy = r#"{"id": "stdin", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 0, "std_q": 1}}"#;
    let o = pgoracle(&["eval", single.to_str().unwrap()], decoy);
    assert_eq!(o.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (r["id"].as_str(), r["output"]["kl"].as_f64()),
        (Some("one"), Some(0.5))
    );

    let o = pgoracle(&["eval", array.to_str().unwrap()], decoy);
    assert_eq!(o.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r[0]["id"], "one");
    assert_eq!(r[1]["id"], "two");
    assert!((r[1]["output"]["kl"].as_f64().unwrap() - kl_two).abs() < 1e-15);

    let text = std::fs::read_to_string(&lines).unwrap();
    for (args, input) in [
        (vec!["eval", "--jsonl", lines.to_str().unwrap()], decoy),
        (vec!["eval", "--jsonl", "-"], text.as_str()),
        (vec!["eval", "-", "--jsonl"], text.as_str()),
    ] {
        let o = pgoracle(&args, input);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let ids: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].clone())
            .collect();
        assert_eq!(ids, ["one", "two"], "{args:?}");
    }

    let missing = dir.join("no-such-file.json");
    for jsonl in [false, true] {
        let mut args = vec!["eval", missing.to_str().unwrap()];
        if jsonl {
            args.push("--jsonl");
        }
        let o = pgoracle(&args, decoy);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(
            err.starts_with("pgoracle eval: cannot read"),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check GOLDEN CANDIDATE`: GOLDEN may be a folder (every golden file in it), and CANDIDATE
/// may be `-` (standard input) holding a JSON array or JSON Lines. Against the whole folder a
/// candidate with only kl_gaussian's results agrees on those and misses the rest (exit 1);
/// the counts are taken from the golden files here.
#[test]
fn check_reads_a_golden_folder_and_a_candidate_on_stdin() {
    let folder = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../golden");
    let tests_in = |path: &std::path::Path| -> Vec<serde_json::Value> {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        doc["test_groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["tests"].as_array().unwrap().clone())
            .collect()
    };
    let file = folder.join("kl_gaussian.json");
    let kl_tests = tests_in(&file);
    let total: usize = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| tests_in(&p).len())
        .sum();
    assert!(total > kl_tests.len());
    let cases: Vec<serde_json::Value> = kl_tests
        .iter()
        .map(|t| serde_json::json!({"id": t["id"], "operation": t["operation"], "scalar": t["scalar"], "input": t["input"]}))
        .collect();
    let array = pgoracle(
        &["eval"],
        &serde_json::Value::Array(cases.clone()).to_string(),
    );
    assert_eq!(array.status.code(), Some(0));
    let lines_input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let lines = pgoracle(&["eval", "--jsonl"], &lines_input);
    assert_eq!(lines.status.code(), Some(0));
    for candidate in [stdout(&array), stdout(&lines)] {
        let o = pgoracle(&["check", file.to_str().unwrap(), "-"], &candidate);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        let summary = format!(
            "pgoracle check: {n} cases, {n} agree, 0 differ, 0 missing",
            n = kl_tests.len()
        );
        assert!(stdout(&o).contains(&summary), "{}", stdout(&o));

        let o = pgoracle(&["check", folder.to_str().unwrap(), "-"], &candidate);
        assert_eq!(o.status.code(), Some(1));
        let summary = format!(
            "pgoracle check: {total} cases, {} agree, 0 differ, {} missing",
            kl_tests.len(),
            total - kl_tests.len()
        );
        assert!(stdout(&o).contains(&summary), "{}", stdout(&o));
    }
}

/// `--version` and `-V` print the package version; `--help` exits 0.
#[test]
fn version_and_help() {
    for flag in ["--version", "-V"] {
        let o = pgoracle(&[flag], "");
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(
            stdout(&o).trim(),
            format!("pgoracle {}", env!("CARGO_PKG_VERSION"))
        );
    }
    let o = pgoracle(&["--help"], "");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("pgoracle [OPTIONS]"), "{}", stdout(&o));
}

/// `eval --conditioning` adds κ per field. KL(N(0, 1) ‖ N(1, 1)) = 1/2, and
/// Σ|∂KL/∂xᵢ||xᵢ| = |∂/∂μ_q|·1 + |∂/∂σ_q|·1 = |μ_q − μ_p|/σ_q² + |1/σ_q − (σ_p² + 1)/σ_q³| = 2
/// (the μ_p and σ_p terms vanish: μ_p = 0 and ∂/∂σ_p = −1/σ_p + σ_p/σ_q² = 0), so κ = 4.
#[test]
fn eval_conditioning_adds_kappa_per_field() {
    let case = r#"{"id": "k", "operation": "kl_gaussian", "input": {"mean_p": 0, "std_p": 1, "mean_q": 1, "std_q": 1}}"#;
    for args in [
        &["eval", "--conditioning"][..],
        &["eval", "--jsonl", "--conditioning"],
    ] {
        let o = pgoracle(args, case);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        let kappa = v["output"]["conditioning"]["kl"].as_f64().unwrap();
        assert!((kappa - 4.0).abs() <= 1e-15, "{args:?}: κ = {kappa}");
    }
    // Without the flag the output is the interface's alone.
    assert!(eval_json(case)["output"].get("conditioning").is_none());
}

/// `check --explain --json CASES CANDIDATE` (interface version 2): a file of plain cases is the
/// expected side; the candidate is the real sb3-contrib `TRPO.train()` run with its line-search
/// KL in its own direction (`tests/peers/explain.json`), and the same run's control with one
/// gradient entry's sign flipped (an injected bug). Exit 1: not every case agrees.
#[test]
fn check_explain_names_the_convention_or_null() {
    let recordings = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/peers/explain.json"
    );
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(recordings).unwrap()).unwrap();
    let find = |id: &str| all.iter().find(|r| r["id"] == id).unwrap().clone();
    let case = |r: &serde_json::Value, id: &str| serde_json::json!({"id": id, "operation": r["operation"], "input": r["input"]});
    let off = find("explain-trpo-00-linesearch_kl");
    let mut bug = find("explain-trpo-01-control");
    let g0 = bug["peer_output"]["grad"][0].as_f64().unwrap();
    bug["peer_output"]["grad"][0] = serde_json::json!(-g0);
    let dir = scratch("cli-explain");
    let cases = dir.join("cases.json");
    std::fs::write(
        &cases,
        serde_json::json!([case(&off, "off"), case(&bug, "bug")]).to_string(),
    )
    .unwrap();
    let candidate = serde_json::json!([
        {"id": "off", "operation": "trust_region_update", "output": off["peer_output"]},
        {"id": "bug", "operation": "trust_region_update", "output": bug["peer_output"]},
    ])
    .to_string();
    let o = pgoracle(
        &["check", "--explain", "--json", cases.to_str().unwrap(), "-"],
        &candidate,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let entries: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        entries[0]["explained_by"],
        serde_json::json!(["linesearch_kl"])
    );
    assert!(entries[0]["error_after"].as_f64().unwrap() < 1e-10);
    assert_eq!(entries[1]["explained_by"], serde_json::Value::Null);
    assert!(entries[1]["error_after"].as_f64().unwrap() > 0.1);
    let _ = std::fs::remove_dir_all(&dir);
}
