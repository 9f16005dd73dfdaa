//! A campaign: many trials in parallel, each checked, failures written at
//! once.
//!
//! Trial `i` of a campaign has seed `trial_seed(campaign_seed, i)`, so a
//! trial's outcome depends on nothing but its index: not on the thread
//! that ran it, nor on what ran before. Workers are threads fed through a
//! crossbeam channel; each trial runs single-threaded. The main thread
//! dispatches indexes in order, collects outcomes, writes failure artifacts
//! the moment they arrive, and keeps only counters for passing trials, so
//! memory stays flat however long the campaign runs.

use crate::artifact::{failure_dir, is_failure, ArtifactFiles, CampaignRef};
use crate::report::{CampaignReport, FailureEntry, Shard};
use crate::system::SystemUnderTest;
use crate::trial::{TrialConfig, TrialResult, TrialSpec};
use checker::Validity;
use crossbeam_channel::{bounded, Receiver, Sender};
use nemesis::seeds::trial_seed;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// How a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Seed of the whole campaign.
    pub seed: u64,
    /// Trials in the whole campaign (over all shards); `None` runs until
    /// the time limit.
    pub trials: Option<u64>,
    /// Stop starting trials after this long.
    pub time_limit: Option<Duration>,
    /// Worker threads.
    pub threads: usize,
    /// Which slice of the campaign this run covers.
    pub shard: Shard,
    /// Every trial's configuration.
    pub trial: TrialConfig,
    /// Where artifacts and the report go.
    pub out_dir: PathBuf,
}

/// What the campaign tells its observer (the progress display).
pub trait Observer {
    /// A trial finished; `report` holds the totals so far.
    fn trial_done(&mut self, report: &CampaignReport, elapsed: Duration);
    /// A failing trial's artifact was written.
    fn failure(&mut self, entry: &FailureEntry);
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {
    fn trial_done(&mut self, _report: &CampaignReport, _elapsed: Duration) {}
    fn failure(&mut self, _entry: &FailureEntry) {}
}

/// What a worker sends back for one trial: counters always, the rendered
/// artifact only for a failure.
struct Outcome {
    index: u64,
    seed: u64,
    validity: Validity,
    checks: Vec<String>,
    ops: u64,
    events: u64,
    simulated_ns: u64,
    artifact: Option<ArtifactFiles>,
    /// Why it failed, in one line, for a failure.
    reason: Option<String>,
}

/// What a worker needs to run trials: the campaign and the system.
#[derive(Clone, Copy)]
struct Job<'a> {
    config: &'a TrialConfig,
    system: &'a dyn SystemUnderTest,
    campaign_seed: u64,
    out_dir: &'a Path,
}

fn run_one(job: Job<'_>, index: u64) -> Outcome {
    let Job {
        config,
        system,
        campaign_seed,
        out_dir,
    } = job;
    let seed = trial_seed(campaign_seed, index);
    let result = TrialResult::of_system(TrialSpec::generate(*config, seed), system);
    let stats = result.stats();
    let artifact = is_failure(&result.verdict).then(|| {
        let campaign = Some(CampaignRef {
            campaign_seed,
            index,
        });
        ArtifactFiles::render(
            &result,
            campaign,
            &system.replay_command(&failure_dir(out_dir, seed)),
        )
    });
    Outcome {
        index,
        seed,
        validity: result.verdict.validity,
        checks: result
            .verdict
            .failed_checks
            .iter()
            .map(|c| c.check.clone())
            .collect(),
        ops: stats.ops_invoked,
        events: stats.events,
        simulated_ns: stats.simulated_ns,
        reason: crate::explain::one_line_reason(&result.verdict),
        artifact,
    }
}

fn worker(job: Job<'_>, jobs: Receiver<u64>, outcomes: Sender<Outcome>) {
    for index in jobs {
        let outcome = run_one(job, index);
        if outcomes.send(outcome).is_err() {
            return;
        }
    }
}

/// Runs a campaign of `system`. Failure artifacts are written as they
/// come; the report is returned (the caller writes it). An error means an
/// artifact could not be written.
pub fn run_campaign(
    config: &CampaignConfig,
    system: &dyn SystemUnderTest,
    observer: &mut dyn Observer,
) -> io::Result<CampaignReport> {
    let started = Instant::now();
    let shard = config.shard;
    let mut report = CampaignReport::new(config.seed, config.trials, config.trial, shard);
    let planned = config.trials.map(|trials| shard.trials_of(trials));
    let threads = config.threads.max(1);
    let (job_sender, jobs) = bounded::<u64>(threads * 2);
    let (outcome_sender, outcomes) = bounded::<Outcome>(threads * 2);
    let mut first_error: Option<io::Error> = None;
    let job = Job {
        config: &config.trial,
        system,
        campaign_seed: config.seed,
        out_dir: &config.out_dir,
    };
    thread::scope(|scope| {
        for _ in 0..threads {
            let (jobs, outcomes) = (jobs.clone(), outcome_sender.clone());
            scope.spawn(move || worker(job, jobs, outcomes));
        }
        drop((jobs, outcome_sender));

        let out_of_time = || {
            config
                .time_limit
                .is_some_and(|limit| started.elapsed() >= limit)
        };
        let mut dispatched: u64 = 0;
        let mut received: u64 = 0;
        let mut job_sender = Some(job_sender);
        loop {
            // Keep the workers fed until the plan or the clock says stop.
            while let Some(sender) = job_sender.as_ref() {
                let more = planned.is_none_or(|planned| dispatched < planned)
                    && !out_of_time()
                    && first_error.is_none();
                if !more {
                    job_sender = None; // closing the channel lets workers finish
                    break;
                }
                if sender.try_send(shard.campaign_index(dispatched)).is_err() {
                    break; // full: collect an outcome first
                }
                dispatched += 1;
            }
            if received == dispatched && job_sender.is_none() {
                break;
            }
            let Ok(outcome) = outcomes.recv() else {
                break;
            };
            received += 1;
            if let Err(err) = record(&mut report, outcome, job, observer) {
                first_error.get_or_insert(err);
            }
            report.set_elapsed(started.elapsed().as_secs_f64());
            observer.trial_done(&report, started.elapsed());
        }
    });
    if let Some(err) = first_error {
        return Err(err);
    }
    report.failures.sort_by_key(|failure| failure.index);
    report.set_elapsed(started.elapsed().as_secs_f64());
    Ok(report)
}

/// Adds one trial's outcome to the report, writing its artifact first if
/// it failed.
fn record(
    report: &mut CampaignReport,
    outcome: Outcome,
    job: Job<'_>,
    observer: &mut dyn Observer,
) -> io::Result<()> {
    let totals = &mut report.totals;
    totals.trials += 1;
    totals.ops += outcome.ops;
    totals.events += outcome.events;
    totals.simulated_ns += outcome.simulated_ns;
    report.trials[0].count += 1;
    match outcome.validity {
        Validity::Valid => totals.valid += 1,
        Validity::Invalid => totals.invalid += 1,
        Validity::Unknown => totals.unknown += 1,
    }
    report.validity = report.validity.and(outcome.validity);
    let Some(artifact) = outcome.artifact else {
        return Ok(());
    };
    let directory = failure_dir(job.out_dir, outcome.seed);
    artifact.write_to(&directory)?;
    for check in &outcome.checks {
        *report.failures_per_check.entry(check.clone()).or_default() += 1;
    }
    let entry = FailureEntry {
        index: outcome.index,
        seed: outcome.seed,
        validity: outcome.validity,
        checks: outcome.checks,
        artifact: directory.display().to_string(),
        replay: job.system.replay_command(&directory),
        reason: outcome.reason,
    };
    observer.failure(&entry);
    report.failures.push(entry);
    Ok(())
}
