//! `raftstorm mutants`: how well the checks catch each planted bug.
//!
//! A planted bug is a mutant of the system; a campaign that never fails
//! with it switched on is a hole in the checks (or in the faults). For
//! every planted bug of the chosen system, and for the correct build as a
//! control, this runs the ordinary campaign machinery over several
//! campaign seeds, each until its first violation or its budget, and says
//! per bug: in how many seeds it was caught, after how many trials and
//! seconds, by which checks, and (shrunk) how to replay it.
//!
//! Trials to first detection are deterministic — the campaign folds
//! outcomes in trial order, so the first failing trial is the same at any
//! thread count; seconds are the machine's and only reported. A seconds
//! budget can cut a campaign short, which the report says.

use crate::campaign::{run_campaign_with, CampaignConfig, Controls, Observer};
use crate::report::{CampaignReport, FailureEntry, Shard};
use crate::system::{BuiltIn, SystemConfig};
use crate::trial::TrialConfig;
use checker::Validity;
use replica::PlantedBug;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What `raftstorm mutants` runs.
#[derive(Clone, Debug)]
pub struct MutantsConfig {
    /// Every trial's configuration; its system names whose bugs are
    /// planted (its own bug list is replaced per mutant).
    pub trial: TrialConfig,
    /// Only these bugs (by name); empty: every planted bug of the system.
    pub only: Vec<String>,
    /// The campaign seeds: `first_seed`, `first_seed + 1`, ….
    pub first_seed: u64,
    /// How many campaign seeds per mutant.
    pub seeds: u64,
    /// Most trials per seed.
    pub budget_trials: u64,
    /// Most wall time per seed (reported when it cuts a campaign short).
    pub budget_time: Option<Duration>,
    /// Worker threads.
    pub threads: usize,
    /// Where each campaign writes its artifacts (`OUT/<bug>/seed-<s>`).
    pub out_dir: PathBuf,
    /// Shrink the first detection of each bug.
    pub shrink: bool,
}

/// One planted bug, switched on.
#[derive(Clone, Copy, Debug)]
pub struct Mutant {
    /// Its name.
    pub name: &'static str,
    /// The rule it breaks.
    pub description: &'static str,
    /// The system with just that bug on.
    pub system: SystemConfig,
    /// Why it cannot be reached, when the system argues so.
    pub unreachable: Option<&'static str>,
}

fn all_of<B: PlantedBug>(with: impl Fn(B) -> SystemConfig) -> Vec<Mutant> {
    B::ALL
        .iter()
        .map(|&bug| Mutant {
            name: bug.name(),
            description: bug.description(),
            system: with(bug),
            unreachable: bug.unreachable(),
        })
        .collect()
}

/// The mutants of `system` (every planted bug, in its `ALL` order, or
/// those named in `only`), and the correct build with no bug.
pub fn mutants_of(
    system: SystemConfig,
    only: &[String],
) -> Result<(Vec<Mutant>, SystemConfig), String> {
    let (all, control) = match system {
        SystemConfig::RaftCore { .. } => (
            all_of(|bug| SystemConfig::RaftCore {
                bugs: raft_core::BugSet::only(bug),
            }),
            SystemConfig::RaftCore {
                bugs: raft_core::BugSet::NONE,
            },
        ),
        SystemConfig::RaftRs {
            options,
            vary_options,
        } => {
            let with = |bugs| SystemConfig::RaftRs {
                options: raft_rs_adapter::RaftRsOptions { bugs, ..options },
                vary_options,
            };
            (
                all_of(|bug| with(raft_rs_adapter::BugSet::only(bug))),
                with(raft_rs_adapter::BugSet::NONE),
            )
        }
        SystemConfig::Custom => return Err("mutants runs built-in systems only".to_string()),
    };
    if let Some(unknown) = only
        .iter()
        .find(|name| !all.iter().any(|m| m.name == *name))
    {
        let names: Vec<&str> = all.iter().map(|m| m.name).collect();
        return Err(format!(
            "unknown {} bug '{unknown}'; expected one of: {}",
            system.name(),
            names.join(", ")
        ));
    }
    let chosen = all
        .into_iter()
        .filter(|m| only.is_empty() || only.iter().any(|name| name == m.name))
        .collect();
    Ok((chosen, control))
}

/// One campaign seed of one mutant (or of the control).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// The campaign seed.
    pub campaign_seed: u64,
    /// Trials that ran (up to the first violation, and those in flight).
    pub trials: u64,
    /// The first violating trial's position, counted from 1.
    pub first_detection_trial: Option<u64>,
    /// Wall seconds from the campaign's start to that violation.
    pub first_detection_sec: Option<f64>,
    /// The checks that violating trial failed.
    pub checks: Vec<String>,
    /// Its one-line reason.
    pub reason: Option<String>,
    /// Its replay command.
    pub replay: Option<String>,
    /// True when the seconds budget ended the campaign before its trials.
    pub cut_by_time: bool,
}

/// Stops a campaign at its first violation, and times it.
struct FirstViolation<'a> {
    stop: &'a AtomicBool,
    started: Instant,
    first: Option<(FailureEntry, f64)>,
}

impl Observer for FirstViolation<'_> {
    fn trial_done(&mut self, _report: &CampaignReport, _elapsed: Duration) {}

    fn failure(&mut self, entry: &FailureEntry) {
        if entry.validity == Validity::Invalid && self.first.is_none() {
            let seconds = self.started.elapsed().as_secs_f64();
            self.first = Some((entry.clone(), seconds));
            self.stop.store(true, Ordering::SeqCst);
        }
    }
}

/// Runs one campaign of `system` until its first violation or budget.
/// Returns the run and the campaign's report (for shrinking).
pub fn run_seed(
    config: &MutantsConfig,
    system: SystemConfig,
    label: &str,
    campaign_seed: u64,
) -> std::io::Result<(SeedRun, CampaignReport)> {
    let campaign = CampaignConfig {
        seed: campaign_seed,
        trials: Some(config.budget_trials),
        time_limit: config.budget_time,
        threads: config.threads,
        shard: Shard::WHOLE,
        trial: TrialConfig {
            system,
            ..config.trial
        },
        out_dir: config
            .out_dir
            .join(label)
            .join(format!("seed-{campaign_seed}")),
        max_failures: 20,
    };
    let stop = AtomicBool::new(false);
    let mut observer = FirstViolation {
        stop: &stop,
        started: Instant::now(),
        first: None,
    };
    let controls = Controls {
        stop: Some(&stop),
        resume: None,
    };
    let report = run_campaign_with(&campaign, &BuiltIn, &mut observer, controls)?;
    let report_path = campaign.out_dir.join("report.json");
    crate::artifact::write_atomically(&report_path, &crate::artifact::to_pretty_json(&report))?;
    let first = observer.first;
    let run = SeedRun {
        campaign_seed,
        trials: report.totals.trials,
        first_detection_trial: first.as_ref().map(|(entry, _)| entry.index + 1),
        first_detection_sec: first.as_ref().map(|(_, seconds)| *seconds),
        checks: first
            .as_ref()
            .map_or_else(Vec::new, |(e, _)| e.checks.clone()),
        reason: first.as_ref().and_then(|(e, _)| e.reason.clone()),
        replay: first.as_ref().map(|(e, _)| e.replay.clone()),
        cut_by_time: first.is_none()
            && report.stopped_by == Some(crate::report::StopReason::TimeLimit),
    };
    Ok((run, report))
}

/// Every seed of one mutant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MutantRow {
    /// The bug's name.
    pub bug: String,
    /// The rule it breaks.
    pub rule: String,
    /// One run per campaign seed.
    pub seeds: Vec<SeedRun>,
    /// The checks that caught it, most often first.
    pub caught_by: Vec<String>,
    /// The shrunk replay of its first detection, when shrinking ran and
    /// found one.
    pub shrunk_replay: Option<String>,
    /// Why the system argues the bug unreachable: it must then be caught
    /// in no seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

impl MutantRow {
    /// True when the row is as it should be: a reachable bug caught in
    /// every seed, an unreachable one in none.
    pub fn as_expected(&self) -> bool {
        match self.unreachable {
            None => !self.seeds.is_empty() && self.detected() == self.seeds.len(),
            Some(_) => self.detected() == 0,
        }
    }

    /// Seeds in which the bug was caught.
    pub fn detected(&self) -> usize {
        self.seeds
            .iter()
            .filter(|run| run.first_detection_trial.is_some())
            .count()
    }
}

/// The correct build's runs: every violation is a false alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlRow {
    /// One run per campaign seed.
    pub seeds: Vec<SeedRun>,
    /// Trials run over all seeds.
    pub trials: u64,
    /// Seeds with a violation.
    pub false_alarms: usize,
}

/// What `raftstorm mutants` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MutantsReport {
    /// The system whose bugs were planted.
    pub system: String,
    /// Campaign seeds per mutant.
    pub seeds: u64,
    /// Trials budget per seed.
    pub budget_trials: u64,
    /// Seconds budget per seed, if any.
    pub budget_seconds: Option<f64>,
    /// One row per planted bug.
    pub mutants: Vec<MutantRow>,
    /// The correct build.
    pub control: ControlRow,
    /// Every bug caught in every seed, and the control clean over every
    /// trial it was asked for.
    pub passed: bool,
}

/// The checks of the runs' first detections, most frequent first (ties in
/// name order).
fn caught_by(seeds: &[SeedRun]) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for check in seeds.iter().flat_map(|run| &run.checks) {
        *counts.entry(check).or_default() += 1;
    }
    let mut checks: Vec<(&str, usize)> = counts.into_iter().collect();
    checks.sort_by_key(|&(check, count)| (std::cmp::Reverse(count), check));
    checks.into_iter().map(|(c, _)| c.to_string()).collect()
}

/// The shrunk replay of the first violation in `report`, shrunk with the
/// campaign's own shrinker and budget.
fn shrink_first(report: &mut CampaignReport, threads: usize) -> std::io::Result<Option<String>> {
    let budget = crate::shrink::Budget {
        max_candidates: 600,
        time_limit: Some(Duration::from_secs(30)),
        threads,
    };
    report.failures.truncate(1);
    crate::shrink::shrink_first_failures(report, &BuiltIn, budget, &mut |_| {})?;
    let first = report.failures.first();
    Ok(first
        .and_then(|f| f.shrunk.first())
        .map(|s| s.replay.clone()))
}

/// Runs every mutant and the control (see the module docs); `progress`
/// hears one line per campaign.
pub fn run_mutants(
    config: &MutantsConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<MutantsReport, String> {
    let (mutants, control) = mutants_of(config.trial.system, &config.only)?;
    let io =
        |err: std::io::Error| format!("cannot write under {}: {err}", config.out_dir.display());
    let campaign_seeds = config.first_seed..config.first_seed.saturating_add(config.seeds);
    let mut rows = Vec::new();
    for mutant in &mutants {
        let mut seeds = Vec::new();
        let mut shrunk_replay = None;
        for seed in campaign_seeds.clone() {
            let (run, mut report) =
                run_seed(config, mutant.system, mutant.name, seed).map_err(io)?;
            if config.shrink && shrunk_replay.is_none() && run.first_detection_trial.is_some() {
                shrunk_replay = shrink_first(&mut report, config.threads).map_err(io)?;
            }
            progress(&seed_line(mutant.name, &run));
            seeds.push(run);
        }
        rows.push(MutantRow {
            bug: mutant.name.to_string(),
            rule: mutant.description.to_string(),
            caught_by: caught_by(&seeds),
            seeds,
            shrunk_replay,
            unreachable: mutant.unreachable.map(String::from),
        });
    }
    let mut control_runs = Vec::new();
    for seed in campaign_seeds {
        let (run, _) = run_seed(config, control, "control", seed).map_err(io)?;
        progress(&seed_line("control", &run));
        control_runs.push(run);
    }
    Ok(report(config, rows, control_runs))
}

fn seed_line(label: &str, run: &SeedRun) -> String {
    match (run.first_detection_trial, &run.reason) {
        (Some(trial), reason) => format!(
            "{label}, seed {}: violation in trial {trial}: {}",
            run.campaign_seed,
            reason.as_deref().unwrap_or("?")
        ),
        (None, _) => format!(
            "{label}, seed {}: no violation in {} trials",
            run.campaign_seed, run.trials
        ),
    }
}

fn report(config: &MutantsConfig, rows: Vec<MutantRow>, control: Vec<SeedRun>) -> MutantsReport {
    let false_alarms = control
        .iter()
        .filter(|run| run.first_detection_trial.is_some())
        .count();
    let trials = control.iter().map(|run| run.trials).sum();
    let control_complete = control
        .iter()
        .all(|run| run.trials >= config.budget_trials || run.first_detection_trial.is_some());
    let every_bug = rows.iter().all(MutantRow::as_expected);
    MutantsReport {
        system: config.trial.system.name().to_string(),
        seeds: config.seeds,
        budget_trials: config.budget_trials,
        budget_seconds: config.budget_time.map(|t| t.as_secs_f64()),
        passed: every_bug && false_alarms == 0 && control_complete && !rows.is_empty(),
        mutants: rows,
        control: ControlRow {
            seeds: control,
            trials,
            false_alarms,
        },
    }
}
