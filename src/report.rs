//! The campaign report (`report.json`), its merging across shards, and its
//! JUnit rendering for CI test reporters.
//!
//! A report never lists every trial — a nightly run may hold millions —
//! but describes the trials it ran as index ranges of the campaign's seed
//! sequence, and lists every failure with the command that replays it.

use crate::artifact::{validate_config, TOOL_VERSION};
use crate::trial::TrialConfig;
use checker::Validity;
use nemesis::FieldError;
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
        if count > MAX_SHARDS {
            return Err(format!(
                "malformed shard '{text}': at most {MAX_SHARDS} shards"
            ));
        }
        Ok(Shard { index, count })
    }
}

/// The most shards a campaign may be split into: far more machines than
/// anyone runs, and a bound on what a merge lists as missing.
pub const MAX_SHARDS: u64 = 65_536;

/// The exit code of a run that found nothing invalid but covered fewer
/// trials than were asked for (a campaign stopped by its time limit, a
/// merge of some of the shards): a gate must not pass it.
pub const EXIT_INCOMPLETE: i32 = 4;

/// Why a run stopped before it ran every trial it was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// `--time-limit` ran out first.
    TimeLimit,
    /// SIGINT or SIGTERM: `campaign --resume` continues the campaign.
    Interrupted,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::TimeLimit => f.write_str("the time limit"),
            StopReason::Interrupted => {
                f.write_str("an interrupt (resume it with campaign --resume)")
            }
        }
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
    /// Adds another run's counters (saturating: the numbers come from
    /// files, which may say anything).
    fn add(&mut self, other: &Totals) {
        for (mine, theirs) in [
            (&mut self.trials, other.trials),
            (&mut self.valid, other.valid),
            (&mut self.invalid, other.invalid),
            (&mut self.unknown, other.unknown),
            (&mut self.ops, other.ops),
            (&mut self.events, other.events),
            (&mut self.simulated_ns, other.simulated_ns),
        ] {
            *mine = mine.saturating_add(theirs);
        }
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
    /// The smallest trials found that fail the same check, one per check
    /// this is the campaign's first failure of (see `raftstorm shrink`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shrunk: Vec<ShrunkEntry>,
}

/// Where a failure's shrunk trial is, and how much smaller it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrunkEntry {
    /// The check it still fails.
    pub check: String,
    /// Its artifact directory.
    pub artifact: String,
    /// The command that replays it.
    pub replay: String,
    /// The original's measures.
    pub before: crate::shrink::Size,
    /// The shrunk trial's measures.
    pub after: crate::shrink::Size,
    /// Variants run.
    pub variants: u64,
    /// False when the budget ran out before a fixpoint.
    pub finished: bool,
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
    /// Trials this report's shards should have run: their share of
    /// `trials_requested` (`None` with only a time limit).
    #[serde(default)]
    pub trials_planned: Option<u64>,
    /// Why fewer trials ran than planned, when they did (`time-limit`).
    #[serde(default)]
    pub stopped_by: Option<StopReason>,
    /// The shards of the campaign that a merged report lacks (indexes out
    /// of the shard count): their trials never ran as far as it knows.
    #[serde(default)]
    pub missing_shards: Vec<u64>,
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
    /// Every failing trial, by campaign index, up to `max_failures` (the
    /// counts above stay exact).
    pub failures: Vec<FailureEntry>,
    /// This is a checkpoint of a campaign still running — or killed:
    /// `campaign --resume` continues it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_progress: bool,
    /// Most failure artifacts written (0: no cap).
    #[serde(default)]
    pub max_failures: u64,
    /// Failing trials counted but not written, past `max_failures`.
    #[serde(default)]
    pub failures_not_written: u64,
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
            trials_planned: trials_requested.map(|trials| shard.trials_of(trials)),
            stopped_by: None,
            missing_shards: Vec::new(),
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
            in_progress: false,
            max_failures: 0,
            failures_not_written: 0,
        }
    }

    /// True while another failure artifact may be written.
    pub fn has_room_for_failures(&self) -> bool {
        self.max_failures == 0 || (self.failures.len() as u64) < self.max_failures
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

    /// The process exit code for this report: 1 a violation, else 4 when
    /// fewer trials ran than were asked for, else 3 something undecided,
    /// else 0.
    pub fn exit_code(&self) -> i32 {
        match self.validity {
            Validity::Invalid => 1,
            _ if self.shortfall().is_some() => EXIT_INCOMPLETE,
            validity => exit_code(validity),
        }
    }

    /// Records that the run is over: when fewer trials ran than planned,
    /// `reason` is why.
    pub fn finish(&mut self, reason: StopReason) {
        if self
            .trials_planned
            .is_some_and(|planned| self.totals.trials < planned)
        {
            self.stopped_by = Some(reason);
        }
    }

    /// What this report lacks, in words, when it covers less than was
    /// asked for: missing shards, trials never run, and why.
    pub fn shortfall(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.missing_shards.is_empty() {
            let count = self.shards.first().map_or(1, |shard| shard.count);
            let names: Vec<String> = self
                .missing_shards
                .iter()
                .take(8)
                .map(|index| format!("{index}/{count}"))
                .collect();
            let more = self.missing_shards.len().saturating_sub(names.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            parts.push(format!(
                "{} of {count} shards merged, missing {}{tail}",
                self.shards.len(),
                names.join(", ")
            ));
        }
        if let Some(reason) = self.stopped_by {
            parts.push(format!("stopped by {reason}"));
        }
        if self.in_progress {
            parts.push(
                "a checkpoint of a campaign that has not finished (still running, or killed: \
                 resume it with campaign --resume)"
                    .to_string(),
            );
        }
        if parts.is_empty() {
            return None;
        }
        let ran = self.totals.trials;
        if let Some(requested) = self.trials_requested {
            parts.push(format!(
                "{ran} of {requested} requested trials ran, {} never did",
                requested.saturating_sub(ran)
            ));
        }
        Some(parts.join("; "))
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
        let count = merged.shards[0].count;
        merged.missing_shards = (0..count)
            .filter(|index| {
                merged
                    .shards
                    .binary_search_by_key(index, |s| s.index)
                    .is_err()
            })
            .collect();
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
        self.trials_planned = self
            .trials_planned
            .zip(other.trials_planned)
            .map(|(a, b)| a.saturating_add(b));
        self.stopped_by = self.stopped_by.or(other.stopped_by);
        self.validity = self.validity.and(other.validity);
        self.totals.add(&other.totals);
        self.elapsed_sec += other.elapsed_sec;
        for (check, count) in other.failures_per_check {
            let total = self.failures_per_check.entry(check).or_default();
            *total = total.saturating_add(count);
        }
        self.failures.extend(other.failures);
        self.failures_not_written += other.failures_not_written;
        self.in_progress |= other.in_progress;
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

impl CampaignReport {
    /// Checks a report read from a file before anything trusts it: its
    /// shards well formed and matching its trial ranges, its counters
    /// adding up, its verdict the one its counters give, its
    /// configuration valid. Paths are JSON paths in the report.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.tool != "raftstorm" {
            return Err(FieldError::new(
                "tool",
                format!("expected \"raftstorm\", found {:?}", self.tool),
            ));
        }
        let Some(first) = self.shards.first() else {
            return Err(FieldError::new(
                "shards",
                "a report covers at least one shard",
            ));
        };
        if self.trials.len() != self.shards.len() {
            return Err(FieldError::new(
                "trials",
                format!(
                    "expected one trial range per shard ({}), found {}",
                    self.shards.len(),
                    self.trials.len()
                ),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, (shard, range)) in self.shards.iter().zip(&self.trials).enumerate() {
            let problem = if shard.count == 0 || shard.count > MAX_SHARDS {
                Some((
                    "count",
                    format!("expected 1..={MAX_SHARDS} shards, found {}", shard.count),
                ))
            } else if shard.index >= shard.count {
                Some((
                    "index",
                    format!(
                        "shard {} is not below the shard count {}",
                        shard.index, shard.count
                    ),
                ))
            } else if shard.count != first.count {
                Some((
                    "count",
                    format!("{} differs from shards[0]'s {}", shard.count, first.count),
                ))
            } else if !seen.insert(shard.index) {
                Some(("index", format!("shard {shard} appears twice")))
            } else {
                None
            };
            if let Some((field, message)) = problem {
                return Err(FieldError::new(format!("shards[{i}].{field}"), message));
            }
            if (range.first, range.step) != (shard.index, shard.count) {
                return Err(FieldError::new(
                    format!("trials[{i}]"),
                    format!("expected the range of shard {shard} (first {}, step {}), found first {}, step {}",
                        shard.index, shard.count, range.first, range.step),
                ));
            }
        }
        self.validate_counters()?;
        validate_config(&self.config).map_err(|err| err.under("config"))
    }

    /// The counters agree with each other and with the verdict.
    fn validate_counters(&self) -> Result<(), FieldError> {
        let totals = &self.totals;
        let ranged = self
            .trials
            .iter()
            .fold(0u64, |sum, range| sum.saturating_add(range.count));
        if ranged != totals.trials {
            return Err(FieldError::new(
                "totals.trials",
                format!(
                    "{} differs from the {ranged} trials of the ranges in `trials`",
                    totals.trials
                ),
            ));
        }
        let judged = totals
            .valid
            .saturating_add(totals.invalid)
            .saturating_add(totals.unknown);
        if judged != totals.trials {
            return Err(FieldError::new(
                "totals",
                format!(
                    "valid + invalid + unknown is {judged}, but {} trials ran",
                    totals.trials
                ),
            ));
        }
        let implied = match (totals.invalid, totals.unknown) {
            (0, 0) => Validity::Valid,
            (0, _) => Validity::Unknown,
            _ => Validity::Invalid,
        };
        if self.validity != implied {
            return Err(FieldError::new(
                "validity",
                format!(
                    "{} disagrees with the totals, which say {implied}",
                    self.validity
                ),
            ));
        }
        if self.elapsed_sec.is_nan() || self.elapsed_sec < 0.0 {
            return Err(FieldError::new(
                "elapsed_sec",
                "expected a non-negative number of seconds",
            ));
        }
        Ok(())
    }
}

/// Of two exit codes, the one a gate must see: a violation (1) first, then
/// an error of the run (2), then an incomplete run (4), then an undecided
/// one (3), then success (0).
pub fn worse(a: i32, b: i32) -> i32 {
    let rank = |code: i32| match code {
        1 => 5,
        2 => 4,
        EXIT_INCOMPLETE => 3,
        3 => 2,
        0 => 0,
        _ => 1,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
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
                shrunk: Vec::new(),
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
    fn a_merge_missing_shards_or_a_run_cut_short_is_incomplete_and_exits_4() {
        let shard = |index| Shard { index, count: 4 };
        let partial = CampaignReport::merge(vec![
            ("a".into(), report_of(shard(0), 3, &[])),
            ("b".into(), report_of(shard(2), 2, &[])),
        ])
        .unwrap();
        assert_eq!(partial.missing_shards, [1, 3]);
        assert_eq!(partial.exit_code(), EXIT_INCOMPLETE);
        assert_eq!(
            partial.shortfall().unwrap(),
            "2 of 4 shards merged, missing 1/4, 3/4; 5 of 9 requested trials ran, 4 never did"
        );
        let mut cut = report_of(Shard::WHOLE, 4, &[]);
        cut.finish(StopReason::TimeLimit);
        assert_eq!(cut.stopped_by, Some(StopReason::TimeLimit));
        assert_eq!(cut.exit_code(), EXIT_INCOMPLETE);
        let mut violated = report_of(Shard::WHOLE, 4, &[2]);
        violated.finish(StopReason::TimeLimit);
        assert_eq!(
            violated.exit_code(),
            1,
            "a violation outranks incompleteness"
        );
        let mut whole = report_of(Shard::WHOLE, 9, &[]);
        whole.finish(StopReason::TimeLimit);
        assert_eq!((whole.stopped_by, whole.exit_code()), (None, 0));
    }

    #[test]
    fn exit_codes_combine_by_severity() {
        let cases = [
            (0, 3, 3),
            (3, 4, 4),
            (4, 2, 2),
            (2, 1, 1),
            (1, 2, 1),
            (0, 0, 0),
            (3, 0, 3),
        ];
        for (a, b, expected) in cases {
            assert_eq!(worse(a, b), expected, "worse({a}, {b})");
            assert_eq!(worse(b, a), expected, "worse({b}, {a})");
        }
    }

    #[test]
    fn reports_read_from_files_are_validated_with_paths() {
        type Edit = fn(&mut CampaignReport);
        let cases: [(Edit, &str); 7] = [
            (|r| r.shards.clear(), "shards"),
            (|r| r.shards[0].count = 0, "shards[0].count"),
            (|r| r.shards[0].index = 5, "shards[0].index"),
            (|r| r.trials[0].step = 2, "trials[0]"),
            (|r| r.totals.trials += 1, "totals.trials"),
            (|r| r.validity = Validity::Valid, "validity"),
            (
                |r| r.config.world.cluster.cluster_size = 0,
                "config.world.cluster.cluster_size",
            ),
        ];
        let mut good = report_of(Shard::WHOLE, 9, &[4]);
        good.totals.valid = 8;
        good.totals.invalid = 1;
        assert_eq!(good.validate(), Ok(()));
        for (edit, path) in cases {
            let mut report = good.clone();
            edit(&mut report);
            assert_eq!(report.validate().unwrap_err().path, path);
        }
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
