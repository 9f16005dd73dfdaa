//! raftstorm: a Jepsen-style fault-injection tester and linearizability
//! checker for Raft.
//!
//! The binary is a thin shell over this library:
//! - [`workload`]: what clients do;
//! - [`trial`]: one seeded trial, run and checked;
//! - [`system`]: which Raft a trial runs (raft-core, or any [`replica::Replica`]);
//! - [`harness`]: campaigns from your own `cargo test`;
//! - [`campaign`]: many trials in parallel, failures written at once;
//! - [`report`]: `report.json`, shard merging, JUnit;
//! - [`campaign_page`]: `index.html`, the campaign at a glance;
//! - [`artifact`]: failure artifacts, `trial.json`, atomic writes;
//! - [`explain`]: readable reports and timelines;
//! - [`timeline`]: `timeline.html`, a failure drawn at a glance;
//! - [`cli`], [`commands`], [`progress`], [`bench`](mod@bench): the command line.

#![warn(missing_docs)]

/// Writes to standard output. A reader that went away (`raftstorm replay
/// … | head`) ends the output quietly: the command still finishes, writes
/// its files and returns its exit code, instead of panicking mid-report.
pub(crate) fn write_stdout(text: std::fmt::Arguments) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_fmt(text);
}

/// `print!` that survives a closed pipe (see [`write_stdout`]).
macro_rules! say {
    ($($arg:tt)*) => { $crate::write_stdout(format_args!($($arg)*)) };
}

/// `println!` that survives a closed pipe (see [`write_stdout`]).
macro_rules! sayln {
    ($($arg:tt)*) => {{ $crate::write_stdout(format_args!($($arg)*)); $crate::write_stdout(format_args!("\n")) }};
}

pub mod artifact;
pub mod bench;
pub mod campaign;
pub mod campaign_page;
pub mod cli;
pub mod commands;
pub mod config_swarm;
pub mod explain;
pub mod harness;
pub mod mutants;
pub mod mutants_table;
pub mod progress;
pub mod report;
pub mod shrink;
pub mod system;
pub mod timeline;
pub mod trial;
pub mod workload;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                commands::EXIT_USAGE
            } else {
                0
            };
            let _ = err.print();
            return code;
        }
    };
    let outcome = match cli.command {
        cli::Command::Campaign(args) => commands::campaign(args),
        cli::Command::Replay(args) => commands::replay(args),
        cli::Command::Check(args) => commands::check(args),
        cli::Command::Merge(args) => commands::merge(args),
        cli::Command::Bench(args) => commands::bench(args),
        cli::Command::Shrink(args) => commands::shrink(args),
        cli::Command::Explore(args) => commands::explore(args),
        cli::Command::Mutants(args) => commands::mutants(args),
    };
    match outcome {
        Ok(code) => code,
        Err(commands::UsageError(message)) => {
            eprintln!("raftstorm: {message}");
            commands::EXIT_USAGE
        }
    }
}
