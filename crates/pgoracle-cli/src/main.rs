//! The `pgoracle` command: `verify` (default), `eval`, `check`, `golden`, `hunt`, `figures`.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod hunt;
use pgoracle::verify::{Verdict, VerifyError, WorkedValue, worked_values};
use pgoracle_oracle::number::{JsonScalar, number};

/// A precision the verify report prints: f64 or f32 (a JSON scalar that formats).
trait Printed: JsonScalar + std::fmt::Display + std::fmt::LowerExp {}
impl<T: JsonScalar + std::fmt::Display + std::fmt::LowerExp> Printed for T {}
use pgoracle_oracle::{EvalOptions, eval_case_with, eval_document_with, parse_document};
use serde_json::{Value, json};

/// pgoracle: a verified numerical reference for Chapter 12 ("Policy Gradient Optimization")
/// of Algorithms for Decision Making.
//
// `--json` and `--scalar` without a subcommand are `verify`'s flags for the default command
// (`pgoracle --json` is `pgoracle verify --json`). Followed by a subcommand they are a usage
// error, exit 2 (`args_conflicts_with_subcommands`): `pgoracle --scalar f32 verify` used to
// recompute in f64, and `pgoracle --json eval` to ignore the flag (issue #15).
#[derive(Parser)]
#[command(
    name = "pgoracle",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    verify: VerifyArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Recompute every worked value printed in the chapter and compare it with the book.
    Verify(VerifyArgs),
    /// Evaluate oracle cases (JSON) and print their results.
    Eval(EvalArgs),
    /// Compare another implementation's results with golden files (exit 0 agree, 1 differ).
    Check(CheckArgs),
    /// Regenerate the golden files (byte-identical on every run).
    Golden(GoldenArgs),
    /// Fuzz another implementation against the oracle; shrink each disagreement to a minimal
    /// case (exit 0 nothing found, 1 disagreements found, 2 usage error).
    Hunt(hunt::HuntArgs),
    /// Reproduce Figures 12.1, 12.2, 12.5, 12.6 and 12.7 as SVG + CSV (byte-identical runs).
    Figures(FiguresArgs),
}

#[derive(Args)]
struct FiguresArgs {
    /// Folder to write the SVG and CSV files into (created if missing).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct CheckArgs {
    /// A golden file, a folder of them, or a file of oracle cases (evaluated by pgoracle, with κ
    /// per field, as the expected side).
    golden: PathBuf,
    /// The candidate's results: a JSON array of results (or JSON Lines); `-` for standard input.
    candidate: PathBuf,
    /// For each case that disagrees, the smallest set of conventions under which pgoracle
    /// reproduces the candidate, or that none does (interface version 2, docs/profiles.md).
    #[arg(long)]
    explain: bool,
    /// With `--explain`: one JSON array, an entry per golden case.
    #[arg(long, requires = "explain")]
    json: bool,
}

#[derive(Args)]
struct GoldenArgs {
    /// Folder to write `<operation>.json` files into.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct VerifyArgs {
    /// Print the comparison as a JSON array.
    #[arg(long)]
    json: bool,
    /// Precision in which to recompute.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    scalar: Precision,
}

#[derive(Clone, Copy, ValueEnum)]
enum Precision {
    F64,
    F32,
}

#[derive(Args)]
struct EvalArgs {
    /// A file with one case or an array of cases; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// One case per input line, one result per output line, streamed.
    #[arg(long)]
    jsonl: bool,
    /// Add `conditioning` to every output: κ of each real field, the relative sensitivity
    /// Σ|∂y/∂x_i||x_i| / |y| from forward-mode derivatives (one dual pass per real input).
    #[arg(long)]
    conditioning: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => verify(&cli.verify),
        Some(Command::Verify(args)) => verify(&args),
        Some(Command::Eval(args)) => eval(&args),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Golden(args)) => golden(&args),
        Some(Command::Figures(args)) => figures(&args),
        Some(Command::Hunt(args)) => hunt::run(&args),
    }
}

fn verify(args: &VerifyArgs) -> ExitCode {
    match args.scalar {
        Precision::F64 => report(worked_values::<f64>(), args.json),
        Precision::F32 => report(worked_values::<f32>(), args.json),
    }
}

fn report<T: Printed>(values: Result<Vec<WorkedValue<T>>, VerifyError>, json: bool) -> ExitCode {
    let values = match values {
        Ok(v) => v,
        Err(e) => {
            eprintln!("pgoracle verify: {e}");
            return ExitCode::FAILURE;
        }
    };
    let all_ok = values.iter().all(|v| v.verdict() != Verdict::Mismatch);
    let text = if json {
        verify_json(&values)
    } else {
        verify_table(&values)
    };
    if !emit(&text) {
        return ExitCode::FAILURE;
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn verify_json<T: Printed>(values: &[WorkedValue<T>]) -> String {
    let rows: Vec<Value> = values
        .iter()
        .map(|v| {
            let verdict = v.verdict();
            let mut row = json!({
                "quantity": format!("{} {}", v.source, v.quantity),
                "book": number(v.book),
                "computed": number(v.computed),
                "ok": verdict != Verdict::Mismatch,
                "decimals": v.decimals,
            });
            if let (Verdict::Erratum, Some(c)) = (verdict, v.corrected) {
                row["note"] = json!(format!(
                    "printed value is an erratum; the correct value is {c} (docs/errata.md)"
                ));
            }
            row
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_default()
}

fn verify_table<T: Printed>(values: &[WorkedValue<T>]) -> String {
    let mut out = format!(
        "pgoracle verify: Chapter 12 worked values recomputed in {}\n{:<14} {:<30} {:>9} {:>22}  verdict\n",
        T::NAME,
        "source",
        "quantity",
        "book",
        "computed"
    );
    for v in values {
        let verdict = match v.verdict() {
            Verdict::Ok => "ok".to_string(),
            Verdict::Erratum => format!(
                "ok (erratum: printed {}, correct {}; docs/errata.md)",
                v.book,
                v.corrected.unwrap_or(v.book)
            ),
            Verdict::Mismatch => "MISMATCH".to_string(),
        };
        out.push_str(&format!(
            "{:<14} {:<30} {:>9.*} {:>22}  {verdict}\n",
            v.source,
            v.quantity,
            v.decimals as usize,
            v.book,
            readable(v.computed)
        ));
    }
    let agree = values
        .iter()
        .filter(|v| v.verdict() != Verdict::Mismatch)
        .count();
    out.push_str(&format!(
        "{agree} of {} values agree with the book at its printed precision",
        values.len()
    ));
    out
}

/// Writes `text` and a newline to standard output. A closed pipe (`pgoracle … | head`) ends
/// quietly; any other write error is reported. Returns whether everything was written.
fn emit(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            eprintln!("pgoracle: cannot write to standard output: {e}");
            false
        }
    }
}

/// Twelve decimals, or scientific notation for values below 10⁻³ in magnitude.
fn readable<T: Printed>(x: T) -> String {
    if x != T::zero() && x.abs() < nalgebra::convert(1e-3) {
        format!("{x:.6e}")
    } else {
        format!("{x:.12}")
    }
}

/// Why `eval` stopped: an invalid document or unreadable input (exit 2), or standard output
/// that could not be written (exit 1; silent for a closed pipe).
enum EvalStop {
    Document(String),
    Output,
}

fn eval(args: &EvalArgs) -> ExitCode {
    let from_stdin = args.file.as_ref().is_none_or(|p| p.as_os_str() == "-");
    let options = EvalOptions {
        conditioning: args.conditioning,
        solve_conditioning: 0.0,
    };
    let result = if args.jsonl {
        if from_stdin {
            eval_lines(std::io::stdin().lock(), &options)
        } else {
            match std::fs::File::open(args.file.as_ref().map_or_else(PathBuf::new, Clone::clone)) {
                Ok(f) => eval_lines(std::io::BufReader::new(f), &options),
                Err(e) => Err(EvalStop::Document(format!("cannot read input: {e}"))),
            }
        }
    } else {
        read_all(args, from_stdin)
            .and_then(|text| {
                let doc = parse_document(&text).map_err(|e| e.to_string())?;
                let out = eval_document_with(&doc, &options).map_err(|e| e.to_string())?;
                Ok(pgoracle_oracle::layout::to_readable_string(&out))
            })
            .map_err(EvalStop::Document)
            .and_then(|text| {
                if emit(&text) {
                    Ok(())
                } else {
                    Err(EvalStop::Output)
                }
            })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(EvalStop::Output) => ExitCode::FAILURE,
        Err(EvalStop::Document(message)) => {
            eprintln!("pgoracle eval: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_all(args: &EvalArgs, from_stdin: bool) -> Result<String, String> {
    let mut text = String::new();
    if from_stdin {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else if let Some(path) = &args.file {
        text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    Ok(text)
}

/// `--jsonl`: each non-blank line is one case; each result is written and flushed at once.
/// A document error stops the stream (exit 2) after the results already written.
fn eval_lines(input: impl BufRead, options: &EvalOptions) -> Result<(), EvalStop> {
    let doc =
        |n: usize, e: &dyn std::fmt::Display| EvalStop::Document(format!("line {}: {e}", n + 1));
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| doc(n, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        let case = parse_document(&line).map_err(|e| doc(n, &e))?;
        let result = eval_case_with(&case, options).map_err(|e| doc(n, &e))?;
        if !emit(&result.to_string()) {
            return Err(EvalStop::Output);
        }
    }
    Ok(())
}

fn check(args: &CheckArgs) -> ExitCode {
    use pgoracle_oracle::check::{check, load_candidate, load_golden_or_cases, render};
    let text = if args.candidate.as_os_str() == "-" {
        let mut t = String::new();
        std::io::stdin().read_to_string(&mut t).map(|_| t)
    } else {
        std::fs::read_to_string(&args.candidate)
    };
    let loaded = text
        .map_err(|e| format!("cannot read {}: {e}", args.candidate.display()))
        .and_then(|t| load_candidate(&t).map_err(|e| e.to_string()))
        .and_then(|c| {
            load_golden_or_cases(&args.golden)
                .map(|g| (g, c))
                .map_err(|e| e.to_string())
        });
    match loaded {
        Err(message) => {
            eprintln!("pgoracle check: {message}");
            ExitCode::from(2)
        }
        Ok((golden, candidate)) if args.explain => {
            let explanations = pgoracle_oracle::explain::explain(&golden, &candidate);
            let text = if args.json {
                let entries: Vec<_> = explanations.iter().map(|e| e.to_json()).collect();
                serde_json::Value::Array(entries).to_string()
            } else {
                pgoracle_oracle::explain::render(&explanations)
                    .trim_end()
                    .to_string()
            };
            if !emit(&text) {
                return ExitCode::FAILURE;
            }
            if explanations.iter().all(|e| e.agrees) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Ok((golden, candidate)) => {
            let reports = check(&golden, &candidate);
            if !emit(&render(&reports)) {
                return ExitCode::FAILURE;
            }
            if reports.iter().all(|r| r.agrees()) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn golden(args: &GoldenArgs) -> ExitCode {
    match pgoracle_oracle::golden::write(&args.out) {
        Ok(n) => {
            eprintln!("pgoracle golden: wrote {n} files to {}", args.out.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("pgoracle golden: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `pgoracle figures --out DIR`: writes every figure's SVG and CSV, one path per line on
/// standard output; exit 1 with the reason on standard error if a figure cannot be made.
fn figures(args: &FiguresArgs) -> ExitCode {
    let mut progress = pgoracle_cli::figures::Progress::delayed();
    match pgoracle_cli::figures::write_all(&args.out, &mut progress) {
        Ok(paths) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            // A closed pipe only loses the listing; the files are written.
            for path in &paths {
                if writeln!(out, "{}", path.display()).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pgoracle figures: {e}");
            ExitCode::FAILURE
        }
    }
}
