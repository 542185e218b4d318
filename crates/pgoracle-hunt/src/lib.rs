//! `pgoracle hunt` (issue #19): fuzz another implementation against the oracle, shrink each
//! disagreement to a minimal case, and keep it as a regression vector.
//!
//! A hunt generates structure-aware cases for one or more operations ([`generate`]), asks the
//! candidate for its result on each ([`candidate`]: a subprocess speaking `pgoracle eval
//! --jsonl`'s protocol, or an in-process function), compares it with pgoracle's under `pgoracle
//! check`'s rules ([`verdict`]), and shrinks the first case of every kind of disagreement to a
//! minimal one ([`shrink`]). [`report`] writes the minimal cases as golden files that `pgoracle
//! check` reads, each with pgoracle's expected result, the candidate's answer, and the seed
//! and case index that found it.
//!
//! The same seed, operations, profile, case count and candidate give the same report: case k of
//! seed s is drawn from its own ChaCha8 stream ([`draw::Draw::new`]), and shrinking is a
//! deterministic search. A time budget can stop a hunt earlier on a slower machine; the
//! report then says how many cases ran, and `--cases` with that count reproduces it.

pub mod boundary;
pub mod candidate;
pub mod draw;
pub mod generate;
pub mod report;
pub mod shrink;
pub mod verdict;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use pgoracle_oracle::Operation;
use pgoracle_oracle::check::CheckCase;
use pgoracle_oracle::operation::UnknownOperation;

use candidate::{Answer, Candidate, Misbehaviour};
use verdict::{Disagreement, judge};

/// What to hunt, and for how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// The operations, hunted in turn (case k is of operation k mod their number).
    pub operations: Vec<Operation>,
    /// The profile of every case (`None`: the book's).
    pub profile: Option<String>,
    /// The seed.
    pub seed: u64,
    /// Stop after this many cases.
    pub cases: u64,
    /// Stop generating new cases after this long. Shrinking a finding stops at this budget too,
    /// but is given at least [`MIN_SHRINK_TIME`] (so a hunt may end up to that much later per
    /// finding made near its end).
    pub time: Duration,
    /// At most this many evaluations to shrink one disagreement.
    pub shrink_budget: usize,
    /// At most this long to shrink one disagreement.
    pub shrink_time: Duration,
    /// Stop after this many consecutive misbehaving answers (a candidate that cannot answer
    /// anything is reported, not retried forever).
    pub give_up_after: usize,
}

impl Options {
    /// A hunt of `operations` with seed 0, 100 000 cases or 60 s, 4 000 shrink evaluations or
    /// 30 s per disagreement.
    pub fn new(operations: Vec<Operation>) -> Options {
        Options {
            operations,
            profile: None,
            seed: 0,
            cases: 100_000,
            time: Duration::from_secs(60),
            shrink_budget: 4000,
            shrink_time: Duration::from_secs(30),
            give_up_after: 5,
        }
    }
}

impl Options {
    /// The options of `pgoracle hunt --operation OP [--profile P]` (and of the Python
    /// `pgoracle.hunt`): OP an operation's name or `all` (under a profile: the operations it
    /// defines), P `book`, `sb3` or `torch`.
    ///
    /// # Errors
    /// An unknown operation or profile, or an operation the profile does not define.
    pub fn for_names(operation: &str, profile: Option<&str>) -> Result<Options, String> {
        if let Some(p) = profile
            && !["book", "sb3", "torch"].contains(&p)
        {
            return Err(format!("unknown profile `{p}` (book, sb3, torch)"));
        }
        let profile = profile.filter(|p| *p != "book");
        let operations = if operation == "all" {
            Operation::ALL
                .into_iter()
                .filter(|op| generate::supported(*op, profile).is_ok())
                .collect()
        } else {
            let op: Operation = operation
                .parse()
                .map_err(|e: UnknownOperation| e.to_string())?;
            generate::supported(op, profile)?;
            vec![op]
        };
        let mut options = Options::new(operations);
        options.profile = profile.map(str::to_string);
        Ok(options)
    }
}

/// The least time a finding's shrinking is given, even past the hunt's time budget.
pub const MIN_SHRINK_TIME: Duration = Duration::from_secs(5);

/// One kind of disagreement, with its minimal case.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The kind ([`Disagreement::kind`]).
    pub kind: String,
    /// The operation.
    pub operation: Operation,
    /// The first case that showed it: its index (the case's `id`) under the hunt's seed.
    pub index: u64,
    /// How many cases showed this kind.
    pub count: u64,
    /// The first case, as generated.
    pub original: Value,
    /// The minimal case.
    pub minimal: Value,
    /// The disagreement on the minimal case.
    pub disagreement: Disagreement,
    /// The candidate's answer to the minimal case (its result, or `{ "misbehaviour", "said" }`).
    pub answer: Value,
    /// pgoracle's expectation for the minimal case.
    pub expected: CheckCase,
    /// Whether no single simplification keeps the disagreement.
    pub is_minimal: bool,
    /// Successful shrink steps.
    pub shrink_steps: usize,
}

/// Why a hunt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// All the cases asked for ran.
    Cases,
    /// The time budget ran out.
    Time,
    /// The candidate misbehaved on [`Options::give_up_after`] cases in a row.
    CandidateUnusable,
}

/// The outcome of a hunt.
#[derive(Debug, Clone)]
pub struct Report {
    /// The options it ran with.
    pub options: Options,
    /// Cases run.
    pub cases: u64,
    /// Generated cases that pgoracle itself rejects as documents (skipped; a generator gap).
    pub skipped: u64,
    /// The findings, one per kind, in the order found.
    pub findings: Vec<Finding>,
    /// Why it ended.
    pub stop: Stop,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// `pgoracle check`'s exit status convention: 0 when nothing was found, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.findings.is_empty())
    }
}

/// Progress of a running hunt, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Cases run.
    pub cases: u64,
    /// Kinds of disagreement found.
    pub kinds: usize,
    /// Time spent.
    pub elapsed: Duration,
}

/// The candidate's answer as a JSON value for reports: its result, or how it misbehaved.
fn answer_json(answer: &Answer) -> Value {
    match answer {
        Ok(v) => v.clone(),
        Err((m, said)) => serde_json::json!({"misbehaviour": m.name(), "said": said}),
    }
}

/// Runs a hunt (see the crate docs); `progress` is called after every case.
pub fn hunt(
    candidate: &mut dyn Candidate,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    let start = Instant::now();
    let mut findings: Vec<Finding> = Vec::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let (mut cases, mut skipped, mut misbehaving) = (0u64, 0u64, 0usize);
    let ops = options.operations.len().max(1) as u64;
    let mut stop = Stop::Cases;
    // No operation: nothing to hunt (the loop would have no operation to draw).
    let cases_asked = if options.operations.is_empty() {
        0
    } else {
        options.cases
    };
    for index in 0..cases_asked {
        if start.elapsed() >= options.time {
            stop = Stop::Time;
            break;
        }
        let op = options.operations[(index % ops) as usize];
        let case = generate::case(op, options.profile.as_deref(), options.seed, index);
        let Ok(expected) = CheckCase::evaluated(&case) else {
            skipped += 1;
            continue;
        };
        cases += 1;
        let answer = candidate.answer(&case);
        misbehaving = if answer.is_err() { misbehaving + 1 } else { 0 };
        if let Some(d) = judge(&expected, &answer) {
            let key = format!("{op}/{}", d.kind);
            let count = counts.entry(key).or_default();
            *count += 1;
            if *count == 1 {
                let now = Instant::now();
                let deadline = (now + options.shrink_time)
                    .min(start + options.time)
                    .max(now + MIN_SHRINK_TIME);
                findings.push(shrunk(
                    candidate,
                    options,
                    (op, index, deadline),
                    case,
                    expected,
                    d,
                ));
            }
        }
        progress(Progress {
            cases,
            kinds: findings.len(),
            elapsed: start.elapsed(),
        });
        if misbehaving >= options.give_up_after {
            stop = Stop::CandidateUnusable;
            break;
        }
    }
    for f in &mut findings {
        f.count = counts
            .get(&format!("{}/{}", f.operation, f.kind))
            .copied()
            .unwrap_or(1);
    }
    Report {
        options: options.clone(),
        cases,
        skipped,
        findings,
        stop,
        elapsed: start.elapsed(),
    }
}

/// The finding of a first disagreement of its kind: the case shrunk while the kind stays.
/// A timeout is not shrunk (each try would cost the timeout).
fn shrunk(
    candidate: &mut dyn Candidate,
    options: &Options,
    (op, index, deadline): (Operation, u64, Instant),
    case: Value,
    first_expected: CheckCase,
    first: Disagreement,
) -> Finding {
    let kind = first.kind.clone();
    let budget = if kind == Misbehaviour::Timeout.name() {
        0
    } else {
        options.shrink_budget
    };
    let mut keeps = |c: &Value| {
        let Ok(expected) = CheckCase::evaluated(c) else {
            return false;
        };
        judge(&expected, &candidate.answer(c)).is_some_and(|d| d.kind == kind)
    };
    let s = shrink::shrink(&case, budget, deadline, &mut keeps);
    // The minimal case's expectation, answer and disagreement, for the report.
    let expected = CheckCase::evaluated(&s.case).unwrap_or(first_expected);
    let answer = if s.steps == 0 && budget == 0 {
        Err((Misbehaviour::Timeout, first.detail.clone()))
    } else {
        candidate.answer(&s.case)
    };
    let disagreement = judge(&expected, &answer).unwrap_or(first);
    Finding {
        kind,
        operation: op,
        index,
        count: 1,
        original: case,
        minimal: s.case,
        disagreement,
        answer: answer_json(&answer),
        expected,
        is_minimal: s.minimal && budget > 0,
        shrink_steps: s.steps,
    }
}
