//! Issue #9: the throughput of `pgoracle eval --jsonl` on the golden suite, in cases per
//! second. Every test of `golden/*.json` becomes one line `{"id", "operation", "scalar",
//! "input"}`, and each line goes through what `eval --jsonl` does with it: parse
//! (`parse_document`), evaluate (`eval_case`) and serialise the result. Only the writing to
//! stdout is left out; docs/performance.md times the binary end to end as well.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pgoracle_oracle::{eval_case, parse_document};
use serde_json::{Value, json};

/// The golden suite as `--jsonl` input lines.
fn golden_lines() -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../golden"))
        .expect("golden/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut lines = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable golden file");
        let doc: Value = serde_json::from_str(&text).expect("golden file is JSON");
        for group in doc["test_groups"].as_array().expect("test_groups") {
            for test in group["tests"].as_array().expect("tests") {
                let case = json!({
                    "id": test["id"],
                    "operation": test["operation"],
                    "scalar": test["scalar"],
                    "input": test["input"],
                });
                lines.push(case.to_string());
            }
        }
    }
    lines
}

fn bench_eval_jsonl(c: &mut Criterion) {
    let lines = golden_lines();
    let mut group = c.benchmark_group("eval_jsonl");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("golden_suite", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for line in &lines {
                let case = parse_document(black_box(line)).expect("golden cases are documents");
                let result = eval_case(&case).expect("golden cases evaluate");
                bytes += result.to_string().len();
            }
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, bench_eval_jsonl);
criterion_main!(benches);
