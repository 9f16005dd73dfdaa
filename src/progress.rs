//! Showing a campaign's progress: an indicatif bar on a terminal, a plain
//! line every few seconds otherwise (CI logs), nothing with `--quiet`.

use crate::campaign::Observer;
use crate::report::{CampaignReport, FailureEntry};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// How often the plain display prints a line.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The campaign's progress display.
pub enum Progress {
    /// Nothing at all.
    Quiet,
    /// A live bar on stderr.
    Bar {
        /// The bar.
        bar: ProgressBar,
    },
    /// A line on stderr every few seconds.
    Plain {
        /// Trials planned, if known.
        planned: Option<u64>,
        /// When the last line was printed.
        last_line: Duration,
    },
}

impl Progress {
    /// The right display for this run: quiet, or a bar when stderr is a
    /// terminal, or plain lines.
    pub fn new(quiet: bool, planned: Option<u64>) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::Plain {
                planned,
                last_line: Duration::ZERO,
            };
        }
        let bar = match planned {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if planned.is_some() {
            "{elapsed_precise} [{bar:32.cyan/blue}] {pos}/{len} trials  {per_sec}  {msg}  ETA {eta}"
        } else {
            "{elapsed_precise} {spinner} {pos} trials  {per_sec}  {msg}"
        };
        let style = ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("0 failures");
        Progress::Bar { bar }
    }

    /// Clears the bar before the summary is printed.
    pub fn finish(&self) {
        if let Progress::Bar { bar } = self {
            bar.finish_and_clear();
        }
    }
}

fn failures_message(report: &CampaignReport) -> String {
    let failures = report.totals.invalid + report.totals.unknown;
    if failures == 1 {
        "1 failure".to_string()
    } else {
        format!("{failures} failures")
    }
}

impl Observer for Progress {
    fn trial_done(&mut self, report: &CampaignReport, elapsed: Duration) {
        match self {
            Progress::Quiet => {}
            Progress::Bar { bar } => {
                bar.set_position(report.totals.trials);
                bar.set_message(failures_message(report));
            }
            Progress::Plain { planned, last_line } => {
                if elapsed < *last_line + PLAIN_EVERY {
                    return;
                }
                *last_line = elapsed;
                let done = report.totals.trials;
                let rate = report.trials_per_sec;
                let of = planned.map(|p| format!("/{p}")).unwrap_or_default();
                let eta = match planned {
                    Some(p) if rate > 0.0 => {
                        format!(", ETA {:.0}s", (p.saturating_sub(done)) as f64 / rate)
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "[{:>7.1}s] {done}{of} trials, {rate:.1} trials/s, {}{eta}",
                    elapsed.as_secs_f64(),
                    failures_message(report)
                );
            }
        }
    }

    fn failure(&mut self, entry: &FailureEntry) {
        let line = format!(
            "trial {} (seed {}) {}: {}",
            entry.index,
            entry.seed,
            entry.validity,
            entry.checks.join(", ")
        );
        match self {
            Progress::Quiet => {}
            Progress::Bar { bar } => bar.println(line),
            Progress::Plain { .. } => eprintln!("{line}"),
        }
    }
}
