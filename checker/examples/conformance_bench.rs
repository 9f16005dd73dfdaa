//! Times the linearizability checker on every file of Porcupine's
//! conformance corpus and compares with a baseline.
//!
//! ```text
//! cargo run --release -p checker --example conformance_bench -- [--runs N] [--threads N]
//!     [--baseline FILE.tsv] [--dir CORPUS_DIR] [--only SUBSTRING]
//! ```
//!
//! Parsing is done once, before any timing; each file is checked `--runs`
//! times (default 11) and the median is printed. The baseline is a TSV of
//! `file<TAB>ms` lines (`--baseline`, or the `RAFTSTORM_BASELINE`
//! environment variable); without one, the published Porcupine figures are
//! used for the totals and the two slowest files. Exits with 1 when a
//! verdict differs from the manifest's, 2 on bad arguments or input.

use checker::bench::{
    all_as_expected, default_corpus_dir, load_corpus, render, time_corpus, Baseline,
};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    runs: usize,
    threads: usize,
    baseline: Option<PathBuf>,
    dir: PathBuf,
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 11,
        threads: 2,
        baseline: std::env::var_os("RAFTSTORM_BASELINE").map(PathBuf::from),
        dir: default_corpus_dir(),
        only: None,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let mut value = || words.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--runs" => args.runs = number(&value()?, "--runs")?,
            "--threads" => args.threads = number(&value()?, "--threads")?,
            "--baseline" => args.baseline = Some(PathBuf::from(value()?)),
            "--dir" => args.dir = PathBuf::from(value()?),
            "--only" => args.only = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn number(text: &str, flag: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{flag} needs a number, found `{text}`"))
}

fn main() -> ExitCode {
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("conformance_bench: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs the benchmark; true when every verdict was as expected.
fn bench() -> Result<bool, String> {
    let args = parse_args()?;
    let baseline = Baseline::load(args.baseline.as_deref()).map_err(|err| err.to_string())?;
    let mut files = load_corpus(&args.dir).map_err(|err| err.to_string())?;
    if let Some(only) = &args.only {
        files.retain(|file| file.file.contains(only.as_str()));
    }
    println!(
        "{} files, median of {} runs each, {} threads",
        files.len(),
        args.runs,
        args.threads
    );
    let timings = time_corpus(&files, args.runs, args.threads).map_err(|err| err.to_string())?;
    print!("{}", render(&timings, &baseline));
    Ok(all_as_expected(&timings))
}
