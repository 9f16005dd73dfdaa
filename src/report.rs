//! The campaign report (`report.json`), its merging across shards, and its
//! JUnit rendering for CI test reporters.
//!
//! A report never lists every trial — a nightly run may hold millions —
//! but describes the trials it ran as index ranges of the campaign's seed
//! sequence, and lists every failure with the command that replays it.

use crate::artifact::TOOL_VERSION;
use crate::trial::TrialConfig;
use checker::Validity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Which slice of a campaign a run covers: the trials whose index is
/// congruent to `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole campaign.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The campaign index of this shard's `k`-th trial.
    pub fn campaign_index(self, k: u64) -> u64 {
        self.index + k * self.count
    }

    /// How many of a campaign's `trials` fall in this shard.
    pub fn trials_of(self, trials: u64) -> u64 {
        trials.saturating_sub(self.index).div_ceil(self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let malformed =
            || format!("malformed shard '{text}': expected I/N with 0 <= I < N, e.g. 0/4");
        let (index, count) = text.split_once('/').ok_or_else(malformed)?;
        let index: u64 = index.trim().parse().map_err(|_| malformed())?;
        let count: u64 = count.trim().parse().map_err(|_| malformed())?;
        if count == 0 || index >= count {
            return Err(malformed());
        }
        Ok(Shard { index, count })
    }
}

/// The trials a run covered: campaign indexes `first`, `first + step`, …
/// (`count` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrialRange {
    /// First campaign index.
    pub first: u64,
    /// Distance between indexes (the shard count).
    pub step: u64,
    /// Number of trials.
    pub count: u64,
}

impl TrialRange {
    /// The campaign indexes, in order.
    pub fn indexes(self) -> impl Iterator<Item = u64> {
        (0..self.count).map(move |k| self.first + k * self.step)
    }
}

/// Counters over all trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Trials run.
    pub trials: u64,
    /// Trials where every check passed.
    pub valid: u64,
    /// Trials with a violation.
    pub invalid: u64,
    /// Trials with an undecided check and no violation.
    pub unknown: u64,
    /// Client operations invoked.
    pub ops: u64,
    /// Simulation events processed.
    pub events: u64,
    /// Virtual time simulated, in nanoseconds.
    pub simulated_ns: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.trials += other.trials;
        self.valid += other.valid;
        self.invalid += other.invalid;
        self.unknown += other.unknown;
        self.ops += other.ops;
        self.events += other.events;
        self.simulated_ns += other.simulated_ns;
    }
}

/// One trial that did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureEntry {
    /// Campaign index.
    pub index: u64,
    /// Trial seed.
    pub seed: u64,
    /// invalid or unknown.
    pub validity: Validity,
    /// The checks that did not pass.
    pub checks: Vec<String>,
    /// The artifact directory.
    pub artifact: String,
    /// The command that replays it.
    pub replay: String,
    /// Why it failed, in one line (see [`crate::explain::one_line_reason`]);
    /// absent in reports written before there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `report.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    /// Always `raftstorm`.
    pub tool: String,
    /// The version that ran it.
    pub version: String,
    /// The campaign's seed.
    pub campaign_seed: u64,
    /// Trials in the whole campaign, when fixed (not with only a time limit).
    pub trials_requested: Option<u64>,
    /// The configuration every trial ran with.
    pub config: TrialConfig,
    /// The shards this report covers (several after a merge).
    pub shards: Vec<Shard>,
    /// The trials run, one range per shard.
    pub trials: Vec<TrialRange>,
    /// All checks combined: invalid beats unknown beats valid.
    pub validity: Validity,
    /// Counters.
    pub totals: Totals,
    /// Wall-clock seconds (summed over shards after a merge).
    pub elapsed_sec: f64,
    /// Trials per wall-clock second.
    pub trials_per_sec: f64,
    /// Simulation events per wall-clock second.
    pub events_per_sec: f64,
    /// Simulated seconds per wall-clock second.
    pub simulated_seconds_per_sec: f64,
    /// For each check, how many trials failed it.
    pub failures_per_check: BTreeMap<String, u64>,
    /// Every failing trial, by campaign index.
    pub failures: Vec<FailureEntry>,
}

impl CampaignReport {
    /// An empty report for a campaign about to run.
    pub fn new(
        campaign_seed: u64,
        trials_requested: Option<u64>,
        config: TrialConfig,
        shard: Shard,
    ) -> CampaignReport {
        CampaignReport {
            tool: "raftstorm".to_string(),
            version: TOOL_VERSION.to_string(),
            campaign_seed,
            trials_requested,
            config,
            shards: vec![shard],
            trials: vec![TrialRange {
                first: shard.index,
                step: shard.count,
                count: 0,
            }],
            validity: Validity::Valid,
            totals: Totals::default(),
            elapsed_sec: 0.0,
            trials_per_sec: 0.0,
            events_per_sec: 0.0,
            simulated_seconds_per_sec: 0.0,
            failures_per_check: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Recomputes the rates from the totals and `elapsed_sec`.
    pub fn set_elapsed(&mut self, elapsed_sec: f64) {
        self.elapsed_sec = elapsed_sec;
        let per_sec = |x: f64| {
            if elapsed_sec > 0.0 {
                x / elapsed_sec
            } else {
                0.0
            }
        };
        self.trials_per_sec = per_sec(self.totals.trials as f64);
        self.events_per_sec = per_sec(self.totals.events as f64);
        self.simulated_seconds_per_sec = per_sec(self.totals.simulated_ns as f64 / 1e9);
    }

    /// The process exit code for this report: 0 nothing invalid, 1 a
    /// violation, 3 something undecided.
    pub fn exit_code(&self) -> i32 {
        exit_code(self.validity)
    }

    /// The campaign indexes this report covers, sorted.
    pub fn indexes(&self) -> Vec<u64> {
        let mut indexes: Vec<u64> = self
            .trials
            .iter()
            .flat_map(|range| range.indexes())
            .collect();
        indexes.sort_unstable();
        indexes
    }

    /// Combines the reports of the shards of one campaign.
    pub fn merge(reports: Vec<(String, CampaignReport)>) -> Result<CampaignReport, String> {
        let mut reports = reports.into_iter();
        let (first_name, mut merged) = reports.next().ok_or("no reports to merge")?;
        for (name, report) in reports {
            merged.absorb(&first_name, &name, report)?;
        }
        merged.failures.sort_by_key(|failure| failure.index);
        merged.trials.sort_by_key(|range| range.first);
        merged.shards.sort_by_key(|shard| shard.index);
        let elapsed = merged.elapsed_sec;
        merged.set_elapsed(elapsed);
        Ok(merged)
    }

    fn absorb(
        &mut self,
        first_name: &str,
        name: &str,
        other: CampaignReport,
    ) -> Result<(), String> {
        let differs = |what: &str| {
            format!(
                "{name}: {what} differs from {first_name}'s; these are not shards of one campaign"
            )
        };
        if other.version != self.version {
            return Err(differs("the raftstorm version"));
        }
        if other.campaign_seed != self.campaign_seed {
            return Err(differs("the campaign seed"));
        }
        if other.trials_requested != self.trials_requested {
            return Err(differs("the trial count"));
        }
        if other.config != self.config {
            return Err(differs("the configuration"));
        }
        for shard in &other.shards {
            if shard.count != self.shards[0].count {
                return Err(differs("the shard count"));
            }
            if self.shards.contains(shard) {
                return Err(format!("{name}: shard {shard} appears twice"));
            }
        }
        self.shards.extend(other.shards);
        self.trials.extend(other.trials);
        self.validity = self.validity.and(other.validity);
        self.totals.add(&other.totals);
        self.elapsed_sec += other.elapsed_sec;
        for (check, count) in other.failures_per_check {
            *self.failures_per_check.entry(check).or_default() += count;
        }
        self.failures.extend(other.failures);
        Ok(())
    }

    /// JUnit XML: one test case per check kind; a failing case lists the
    /// trials that failed it, each with its replay command.
    pub fn junit_xml(&self, check_names: &[&str]) -> String {
        let failing = self
            .failures_per_check
            .keys()
            .filter(|c| !check_names.contains(&c.as_str()));
        let mut checks: Vec<&str> = check_names.to_vec();
        checks.extend(failing.map(String::as_str));
        let failures: u64 = checks
            .iter()
            .filter(|c| self.failures_per_check.contains_key(**c))
            .count() as u64;
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml += &format!(
            "<testsuites name=\"raftstorm\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">\n",
            checks.len(),
            self.elapsed_sec
        );
        xml += &format!(
            "  <testsuite name=\"raftstorm campaign {}\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">\n",
            self.campaign_seed,
            checks.len(),
            self.elapsed_sec
        );
        for check in checks {
            xml += &format!(
                "    <testcase classname=\"raftstorm.campaign\" name=\"{}\"",
                xml_escape(check)
            );
            let trials: Vec<&FailureEntry> = self
                .failures
                .iter()
                .filter(|f| f.checks.iter().any(|c| c == check))
                .collect();
            if trials.is_empty() {
                xml += "/>\n";
                continue;
            }
            let kind = if trials.iter().all(|t| t.validity == Validity::Unknown) {
                "unknown"
            } else {
                "violated"
            };
            xml += ">\n";
            xml += &format!(
                "      <failure message=\"{check} {kind} in {} of {} trials\" type=\"{kind}\">",
                trials.len(),
                self.totals.trials
            );
            for trial in trials {
                xml += &xml_escape(&format!(
                    "\ntrial {} (seed {}): {}",
                    trial.index, trial.seed, trial.replay
                ));
            }
            xml += "\n      </failure>\n    </testcase>\n";
        }
        xml += "  </testsuite>\n</testsuites>\n";
        xml
    }
}

/// The exit code for a verdict.
pub fn exit_code(validity: Validity) -> i32 {
    match validity {
        Validity::Valid => 0,
        Validity::Invalid => 1,
        Validity::Unknown => 3,
    }
}

fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_a_campaign() {
        assert_eq!("1/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "1", "a/3", "1/0", "-1/3", ""] {
            assert!(
                bad.parse::<Shard>()
                    .unwrap_err()
                    .contains("malformed shard"),
                "{bad}"
            );
        }
        let trials = 10;
        let mut covered: Vec<u64> = (0..3)
            .flat_map(|index| {
                let shard = Shard { index, count: 3 };
                (0..shard.trials_of(trials)).map(move |k| shard.campaign_index(k))
            })
            .collect();
        covered.sort_unstable();
        assert_eq!(covered, (0..10).collect::<Vec<_>>());
    }

    fn report_of(shard: Shard, count: u64, failures: &[u64]) -> CampaignReport {
        let mut report = CampaignReport::new(7, Some(9), TrialConfig::default(), shard);
        report.trials[0].count = count;
        report.totals.trials = count;
        for &index in failures {
            report.failures.push(FailureEntry {
                index,
                seed: index * 100,
                validity: Validity::Invalid,
                checks: vec!["linearizability".into()],
                artifact: String::new(),
                replay: format!("raftstorm replay {index}"),
                reason: None,
            });
            *report
                .failures_per_check
                .entry("linearizability".into())
                .or_default() += 1;
            report.validity = Validity::Invalid;
        }
        report
    }

    #[test]
    fn merging_shards_unions_trials_and_failures() {
        let reports = vec![
            (
                "a".to_string(),
                report_of(Shard { index: 1, count: 3 }, 3, &[4]),
            ),
            (
                "b".to_string(),
                report_of(Shard { index: 0, count: 3 }, 3, &[]),
            ),
            (
                "c".to_string(),
                report_of(Shard { index: 2, count: 3 }, 3, &[2, 8]),
            ),
        ];
        let merged = CampaignReport::merge(reports).unwrap();
        assert_eq!(merged.indexes(), (0..9).collect::<Vec<_>>());
        assert_eq!(
            merged.failures.iter().map(|f| f.index).collect::<Vec<_>>(),
            [2, 4, 8]
        );
        assert_eq!(merged.failures_per_check["linearizability"], 3);
        assert_eq!(merged.exit_code(), 1);
    }

    #[test]
    fn merging_refuses_foreign_or_repeated_shards() {
        let shard = Shard { index: 0, count: 2 };
        let twice = CampaignReport::merge(vec![
            ("a".into(), report_of(shard, 1, &[])),
            ("b".into(), report_of(shard, 1, &[])),
        ]);
        assert!(twice.unwrap_err().contains("appears twice"));
        let mut other = report_of(Shard { index: 1, count: 2 }, 1, &[]);
        other.campaign_seed = 8;
        let foreign = CampaignReport::merge(vec![
            ("a".into(), report_of(shard, 1, &[])),
            ("b".into(), other),
        ]);
        assert!(foreign.unwrap_err().contains("campaign seed"));
    }

    #[test]
    fn junit_has_a_case_per_check_and_failures_with_replay_commands() {
        let report = report_of(Shard::WHOLE, 9, &[3]);
        let xml = report.junit_xml(&["election-safety", "linearizability"]);
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(
            xml.contains("<testcase classname=\"raftstorm.campaign\" name=\"election-safety\"/>")
        );
        assert!(xml.contains("linearizability violated in 1 of 9 trials"));
        assert!(xml.contains("raftstorm replay 3"));
    }
}
