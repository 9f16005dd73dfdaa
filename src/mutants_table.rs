//! The table `raftstorm mutants` prints: one row per planted bug, then
//! the control, then the verdict.

use crate::mutants::{MutantRow, MutantsReport, SeedRun};
use std::fmt::Write;

/// The median and the worst of some values (the lower median for an even
/// count, so that it is one of the values).
fn median_worst<T: Copy + PartialOrd>(mut values: Vec<T>) -> Option<(T, T)> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let worst = *values.last()?;
    Some((values[(values.len() - 1) / 2], worst))
}

fn trials_cell(seeds: &[SeedRun]) -> String {
    let trials = seeds.iter().filter_map(|run| run.first_detection_trial);
    match median_worst(trials.collect()) {
        Some((median, worst)) => format!("{median} / {worst}"),
        None => "-".to_string(),
    }
}

fn seconds_cell(seeds: &[SeedRun]) -> String {
    let seconds = seeds.iter().filter_map(|run| run.first_detection_sec);
    match median_worst(seconds.collect()) {
        Some((median, worst)) => format!("{median:.2} / {worst:.2}"),
        None => "-".to_string(),
    }
}

fn row_cells(row: &MutantRow) -> [String; 7] {
    let detected = row.detected();
    let mut seeds = format!("{detected}/{}", row.seeds.len());
    if row.seeds.iter().any(|run| run.cut_by_time) {
        seeds.push_str(" (time)");
    }
    [
        row.bug.clone(),
        row.rule.clone(),
        seeds,
        trials_cell(&row.seeds),
        seconds_cell(&row.seeds),
        match (row.caught_by.is_empty(), &row.unreachable) {
            (true, Some(_)) => "- (unreachable)".to_string(),
            (true, None) => "-".to_string(),
            (false, _) => row.caught_by.join(", "),
        },
        row.shrunk_replay.clone().unwrap_or_else(|| "-".to_string()),
    ]
}

/// The whole text: table, control line, verdict line.
pub fn render(report: &MutantsReport) -> String {
    let header = [
        "bug",
        "rule broken",
        "seeds",
        "trials to detect (median / worst)",
        "seconds (median / worst)",
        "caught by",
        "shrunk replay",
    ]
    .map(String::from);
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(report.mutants.iter().map(row_cells))
        .collect();
    let mut widths = [0usize; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            match column {
                6 => line.push_str(cell),
                _ => {
                    let _ = write!(line, "{cell:<width$}  ");
                }
            }
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text += &footer(report);
    text
}

fn footer(report: &MutantsReport) -> String {
    let control = &report.control;
    let mut text = format!(
        "\ncontrol (no bug): {} trials over {} seeds, {} false alarm(s)\n",
        control.trials,
        control.seeds.len(),
        control.false_alarms
    );
    for run in control
        .seeds
        .iter()
        .filter(|r| r.first_detection_trial.is_some())
    {
        let _ = writeln!(
            text,
            "  false alarm, seed {}: {} ({})",
            run.campaign_seed,
            run.reason.as_deref().unwrap_or("?"),
            run.replay.as_deref().unwrap_or("?")
        );
    }
    let reachable = report
        .mutants
        .iter()
        .filter(|row| row.unreachable.is_none());
    let missed: Vec<String> = reachable
        .clone()
        .filter(|row| !row.as_expected())
        .map(|row| format!("{} ({}/{})", row.bug, row.detected(), row.seeds.len()))
        .collect();
    let unreachable: Vec<String> = report
        .mutants
        .iter()
        .filter(|row| row.unreachable.is_some())
        .map(|row| match row.as_expected() {
            true => format!("{} (0/{}, as argued)", row.bug, row.seeds.len()),
            false => format!(
                "{} CAUGHT in {}/{} seeds: the argument that it is unreachable is wrong",
                row.bug,
                row.detected(),
                row.seeds.len()
            ),
        })
        .collect();
    let budget = match report.budget_seconds {
        Some(seconds) => format!("{} trials or {seconds}s", report.budget_trials),
        None => format!("{} trials", report.budget_trials),
    };
    let reachable_count = reachable.count();
    let _ = write!(
        text,
        "{}: {} of {} reachable planted {} bugs caught in every seed (budget {budget} per seed){}",
        if report.passed { "PASS" } else { "FAIL" },
        reachable_count - missed.len(),
        reachable_count,
        report.system,
        match missed.is_empty() {
            true => String::new(),
            false => format!("; missed: {}", missed.join(", ")),
        }
    );
    if !unreachable.is_empty() {
        let _ = write!(text, "; unreachable: {}", unreachable.join(", "));
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::median_worst;

    type Case<'a> = (&'a [u64], Option<(u64, u64)>);

    #[test]
    fn medians_are_one_of_the_values() {
        let cases: [Case; 4] = [
            (&[], None),
            (&[7], Some((7, 7))),
            (&[9, 1, 5, 3], Some((3, 9))),
            (&[4, 2, 8], Some((4, 8))),
        ];
        for (values, expected) in cases {
            assert_eq!(median_worst(values.to_vec()), expected, "{values:?}");
        }
    }
}
