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
//! used for the totals and the two slowest files.

use checker::bench::{default_corpus_dir, load_corpus, render, time_corpus, Baseline};
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
            "--runs" => {
                args.runs = value()?
                    .parse()
                    .map_err(|_| "--runs needs a number".to_string())?
            }
            "--threads" => {
                args.threads = value()?
                    .parse()
                    .map_err(|_| "--threads needs a number".to_string())?
            }
            "--baseline" => args.baseline = Some(PathBuf::from(value()?)),
            "--dir" => args.dir = PathBuf::from(value()?),
            "--only" => args.only = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("conformance_bench: {message}");
            return ExitCode::from(2);
        }
    };
    let baseline = match &args.baseline {
        None => Baseline::porcupine_published(),
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(err) => {
                    eprintln!("conformance_bench: {}: {err}", path.display());
                    return ExitCode::from(2);
                }
            };
            match Baseline::parse_tsv(&text, &path.display().to_string()) {
                Ok(baseline) => baseline,
                Err(err) => {
                    eprintln!("conformance_bench: {err}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let mut files = match load_corpus(&args.dir) {
        Ok(files) => files,
        Err(err) => {
            eprintln!("conformance_bench: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(only) = &args.only {
        files.retain(|file| file.file.contains(only.as_str()));
    }
    println!(
        "{} files, median of {} runs each, {} threads",
        files.len(),
        args.runs,
        args.threads
    );
    let timings = time_corpus(&files, args.runs, args.threads);
    print!("{}", render(&timings, &baseline));
    if timings.iter().all(|t| t.validity == t.expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
