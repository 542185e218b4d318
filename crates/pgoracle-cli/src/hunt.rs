//! `pgoracle hunt`: fuzz another implementation against the oracle (crate `pgoracle-hunt`,
//! docs/hunting.md). Exit status as `check`'s: 0 nothing found, 1 disagreements found, 2 a
//! usage error (unknown operation or profile, a candidate that cannot be started, an unwritable
//! `--out`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use pgoracle_hunt::candidate::Process;
use pgoracle_hunt::report::{golden_files, summary, summary_json};
use pgoracle_hunt::{Options, Progress, hunt};
use pgoracle_oracle::golden_file::to_text;

#[derive(Args)]
pub struct HuntArgs {
    /// The operation to hunt (an interface name), or `all` for every operation in turn.
    #[arg(long)]
    operation: String,
    /// The implementation under test: a shell command that reads one case per line on its
    /// standard input and prints one result per line (`pgoracle eval --jsonl`'s protocol).
    #[arg(long)]
    candidate: String,
    /// The profile of every case (book, sb3, torch); the book's when absent.
    #[arg(long)]
    profile: Option<String>,
    /// The seed: the same seed, cases and candidate give the same report.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop generating cases after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    time: f64,
    /// Stop after this many cases.
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Seconds the candidate may take for one case before it is reported as hung and restarted.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Write the minimal cases as a golden file (a folder of them with `--operation all`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// A duration from seconds given on the command line.
fn seconds(x: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(x).map_err(|_| format!("--{flag} {x}: not a number of seconds"))
}

/// Runs `pgoracle hunt`.
pub fn run(args: &HuntArgs) -> ExitCode {
    match setup(args) {
        Ok((options, timeout)) => match Process::start(&args.candidate, timeout) {
            Ok(mut candidate) => finish(args, &options, &mut candidate),
            Err(e) => usage(&e.to_string()),
        },
        Err(message) => usage(&message),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("pgoracle hunt: {message}");
    ExitCode::from(2)
}

fn setup(args: &HuntArgs) -> Result<(Options, Duration), String> {
    let mut options = Options::for_names(&args.operation, args.profile.as_deref())?;
    options.seed = args.seed;
    options.cases = args.cases;
    options.time = seconds(args.time, "time")?;
    Ok((options, seconds(args.timeout, "timeout")?))
}

fn finish(args: &HuntArgs, options: &Options, candidate: &mut Process) -> ExitCode {
    // A bar on a terminal; indicatif draws nothing when standard error is not one.
    let bar = ProgressBar::with_draw_target(Some(options.cases), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("hunt [{bar:30}] {pos} cases, {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    let report = hunt(candidate, options, &mut |p: Progress| {
        bar.set_position(p.cases);
        bar.set_message(format!("{} kinds of disagreement", p.kinds));
    });
    bar.finish_and_clear();
    if let Some(out) = &args.out
        && let Err(message) = write(out, &report, args.operation == "all")
    {
        return usage(&message);
    }
    let text = if args.json {
        summary_json(&report).to_string()
    } else {
        summary(&report)
    };
    println!("{}", text.trim_end());
    ExitCode::from(report.exit_code())
}

/// Writes the findings: one golden file at `out`, or with `all` one `<operation>.json` per
/// operation in the folder `out`. Nothing is written when nothing was found.
fn write(out: &Path, report: &pgoracle_hunt::Report, folder: bool) -> Result<(), String> {
    let files = golden_files(report);
    if folder && !files.is_empty() {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    for file in &files {
        let text = to_text(file).map_err(|e| e.to_string())?;
        let path = if folder {
            out.join(format!("{}.json", file.operation.name()))
        } else {
            out.to_path_buf()
        };
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
