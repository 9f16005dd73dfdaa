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

use crate::artifact::{
    failure_dir, is_failure, to_pretty_json, write_atomically, ArtifactFiles, CampaignRef,
};
use crate::report::{CampaignReport, FailureEntry, Shard, StopReason};
use crate::system::SystemUnderTest;
use crate::trial::{TrialConfig, TrialResult, TrialSpec, PANIC_CHECK};
use checker::Validity;
use crossbeam_channel::{bounded, Receiver, Sender};
use nemesis::seeds::trial_seed;
use std::collections::BTreeMap;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Most failure artifacts to write (0: no cap). Failures past it are
    /// counted exactly but not written, so a badly broken system cannot
    /// fill the disk.
    pub max_failures: u64,
}

/// The default of [`CampaignConfig::max_failures`].
pub const DEFAULT_MAX_FAILURES: u64 = 100;

/// How often a running campaign checkpoints its report.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// What steers a running campaign from outside.
#[derive(Default)]
pub struct Controls<'a> {
    /// Set (by a signal handler) to stop starting trials: the running ones
    /// finish, and the report says the campaign was interrupted.
    pub stop: Option<&'a AtomicBool>,
    /// A checkpoint to continue from (`campaign --resume`): its trials are
    /// not run again.
    pub resume: Option<CampaignReport>,
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
    /// The trial's position among this shard's trials.
    position: u64,
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

fn run_one(job: Job<'_>, position: u64, index: u64) -> Outcome {
    let seed = trial_seed(job.campaign_seed, index);
    let campaign = Some(CampaignRef {
        campaign_seed: job.campaign_seed,
        index,
    });
    let replay = job.system.replay_command(&failure_dir(job.out_dir, seed));
    let spec = TrialSpec::generate(*job.config, seed);
    let result = match run_caught(&spec, job.system) {
        Ok(result) => result,
        Err(message) => {
            let artifact = ArtifactFiles::render_panic(&spec, campaign, &message, &replay);
            return Outcome {
                position,
                index,
                seed,
                validity: Validity::Invalid,
                checks: vec![PANIC_CHECK.to_string()],
                ops: 0,
                events: 0,
                simulated_ns: 0,
                reason: Some(format!("the trial panicked: {message}")),
                artifact: Some(artifact),
            };
        }
    };
    let stats = result.stats();
    let artifact =
        is_failure(&result.verdict).then(|| ArtifactFiles::render(&result, campaign, &replay));
    Outcome {
        position,
        index,
        seed,
        validity: result.verdict.validity,
        checks: result.verdict.failed_check_names(),
        ops: stats.ops_invoked,
        events: stats.events,
        simulated_ns: stats.simulated_ns,
        reason: crate::explain::one_line_reason(&result.verdict),
        artifact,
    }
}

/// Runs and checks a trial, turning a panic anywhere in it (the system
/// under test, the world, the checker) into its message: one broken trial
/// must not take a campaign down.
pub fn run_caught(spec: &TrialSpec, system: &dyn SystemUnderTest) -> Result<TrialResult, String> {
    quiet_panics_in_trials();
    IN_TRIAL.with(|flag| flag.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        TrialResult::of_system(spec.clone(), system)
    }));
    IN_TRIAL.with(|flag| flag.set(false));
    result.map_err(|payload| panic_message(payload.as_ref()))
}

thread_local! {
    /// True while this thread runs a trial under [`run_caught`].
    static IN_TRIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A trial's panic is reported with the trial (artifact, report, replay
/// command), so the default hook's message and backtrace would only be
/// noise, once per failing trial; panics anywhere else print as always.
fn quiet_panics_in_trials() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_TRIAL.with(|flag| flag.get()) {
                default_hook(info);
            }
        }));
    });
}

/// The text a panic carried.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

fn worker(job: Job<'_>, jobs: Receiver<(u64, u64)>, outcomes: Sender<Outcome>) {
    for (position, index) in jobs {
        let outcome = run_one(job, position, index);
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
    run_campaign_with(config, system, observer, Controls::default())
}

/// Runs (or, with a checkpoint, continues) a campaign of `system`.
///
/// Outcomes are folded into the report in trial order, whatever order
/// the workers finish them in, so the report — which failures get an
/// artifact under the cap included — is the same at any thread count,
/// and a checkpoint is exactly "the first N trials". The report is
/// checkpointed to `OUT/report.json` (marked `in_progress`) about once a
/// second; the caller writes the final one.
pub fn run_campaign_with(
    config: &CampaignConfig,
    system: &dyn SystemUnderTest,
    observer: &mut dyn Observer,
    controls: Controls<'_>,
) -> io::Result<CampaignReport> {
    let started = Instant::now();
    prepare_out_dir(&config.out_dir, controls.resume.is_some())?;
    let mut run = Run::new(config, system, controls.resume);
    let threads = config.threads.max(1);
    let (job_sender, jobs) = bounded::<(u64, u64)>(threads * 2);
    let (outcome_sender, outcomes) = bounded::<Outcome>(threads * 2);
    let job = run.job;
    thread::scope(|scope| {
        for _ in 0..threads {
            let (jobs, outcomes) = (jobs.clone(), outcome_sender.clone());
            scope.spawn(move || worker(job, jobs, outcomes));
        }
        drop((jobs, outcome_sender));
        let mut job_sender = Some(job_sender);
        loop {
            // Keep the workers fed until the plan, the clock or a signal
            // says stop.
            while let Some(sender) = job_sender.as_ref() {
                let halt = run.halt(started, controls.stop);
                if halt.is_some() || run.error.is_some() {
                    run.halt = halt;
                    job_sender = None; // closing the channel lets workers finish
                    break;
                }
                let position = run.dispatched;
                let index = config.shard.campaign_index(position);
                if sender.try_send((position, index)).is_err() {
                    break; // full: collect an outcome first
                }
                run.dispatched += 1;
            }
            if run.received == run.dispatched && job_sender.is_none() {
                break;
            }
            let Ok(outcome) = outcomes.recv() else {
                break;
            };
            run.receive(outcome, observer);
            run.report
                .set_elapsed(run.elapsed_before + started.elapsed().as_secs_f64());
            run.checkpoint_if_due();
            observer.trial_done(&run.report, started.elapsed());
        }
    });
    run.finish(started)
}

/// Removes what a killed run may have left half-made (staging folders and
/// temporary files, named `.NAME.tmp-PID`), and, for a fresh campaign,
/// the failures of an earlier one: a report never mixes two runs.
fn prepare_out_dir(out_dir: &Path, resuming: bool) -> io::Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let failures = out_dir.join("failures");
    if !resuming && failures.exists() {
        std::fs::remove_dir_all(&failures)?;
    }
    for directory in [out_dir.to_path_buf(), failures] {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") {
                let path = entry.path();
                let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
            }
        }
    }
    Ok(())
}

/// Why a campaign stops starting trials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Halt {
    /// Its plan is done: every trial, or (with only a time limit) the time.
    AsPlanned,
    /// Cut short.
    Cut(StopReason),
}

/// The state of a running campaign on the collecting thread.
struct Run<'a> {
    config: &'a CampaignConfig,
    job: Job<'a>,
    report: CampaignReport,
    /// Trials of this shard handed to workers, and outcomes received.
    dispatched: u64,
    received: u64,
    /// Outcomes that arrived before an earlier trial's, by position.
    waiting: BTreeMap<u64, Outcome>,
    /// Trials folded into the report: positions `0..folded`.
    folded: u64,
    planned: Option<u64>,
    halt: Option<Halt>,
    error: Option<io::Error>,
    elapsed_before: f64,
    last_checkpoint: Instant,
}

impl<'a> Run<'a> {
    fn new(
        config: &'a CampaignConfig,
        system: &'a dyn SystemUnderTest,
        resume: Option<CampaignReport>,
    ) -> Run<'a> {
        let mut report = resume.unwrap_or_else(|| {
            CampaignReport::new(config.seed, config.trials, config.trial, config.shard)
        });
        report.in_progress = true;
        report.max_failures = config.max_failures;
        let folded = report.trials[0].count;
        Run {
            config,
            job: Job {
                config: &config.trial,
                system,
                campaign_seed: config.seed,
                out_dir: &config.out_dir,
            },
            elapsed_before: report.elapsed_sec,
            report,
            dispatched: folded,
            received: folded,
            waiting: BTreeMap::new(),
            folded,
            planned: config.trials.map(|trials| config.shard.trials_of(trials)),
            halt: None,
            error: None,
            last_checkpoint: Instant::now(),
        }
    }

    /// Why no further trial should start, if none should.
    fn halt(&self, started: Instant, stop: Option<&AtomicBool>) -> Option<Halt> {
        if stop.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
            return Some(Halt::Cut(StopReason::Interrupted));
        }
        if self
            .planned
            .is_some_and(|planned| self.dispatched >= planned)
        {
            return Some(Halt::AsPlanned);
        }
        let out_of_time = self
            .config
            .time_limit
            .is_some_and(|limit| started.elapsed() >= limit);
        match (out_of_time, self.planned) {
            (true, Some(_)) => Some(Halt::Cut(StopReason::TimeLimit)),
            (true, None) => Some(Halt::AsPlanned),
            (false, _) => None,
        }
    }

    /// Takes an outcome, and folds every outcome that is now next in line.
    fn receive(&mut self, outcome: Outcome, observer: &mut dyn Observer) {
        self.received += 1;
        self.waiting.insert(outcome.position, outcome);
        while let Some(outcome) = self.waiting.remove(&self.folded) {
            self.folded += 1;
            if let Err(err) = record(&mut self.report, outcome, self.job, observer) {
                self.error.get_or_insert(err);
            }
        }
    }

    fn checkpoint_if_due(&mut self) {
        if self.last_checkpoint.elapsed() < CHECKPOINT_EVERY {
            return;
        }
        self.last_checkpoint = Instant::now();
        if let Err(err) = self.write_checkpoint() {
            self.error.get_or_insert(err);
        }
    }

    fn write_checkpoint(&self) -> io::Result<()> {
        let path = self.config.out_dir.join("report.json");
        write_atomically(&path, &to_pretty_json(&self.report))
    }

    fn finish(mut self, started: Instant) -> io::Result<CampaignReport> {
        if let Some(err) = self.error.take() {
            let _ = self.write_checkpoint();
            return Err(err);
        }
        debug_assert!(self.waiting.is_empty(), "every outcome folded");
        self.report.in_progress = false;
        if let Some(Halt::Cut(reason)) = self.halt {
            self.report.finish(reason);
        }
        self.report.failures.sort_by_key(|failure| failure.index);
        self.report
            .set_elapsed(self.elapsed_before + started.elapsed().as_secs_f64());
        Ok(self.report)
    }
}

/// Adds one trial's outcome to the report, writing its artifact first if
/// it failed and the cap leaves room.
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
    for check in &outcome.checks {
        *report.failures_per_check.entry(check.clone()).or_default() += 1;
    }
    if !report.has_room_for_failures() {
        report.failures_not_written += 1;
        return Ok(());
    }
    let directory = failure_dir(job.out_dir, outcome.seed);
    artifact.write_to(&directory)?;
    let entry = FailureEntry {
        index: outcome.index,
        seed: outcome.seed,
        validity: outcome.validity,
        checks: outcome.checks,
        artifact: directory.display().to_string(),
        replay: job.system.replay_command(&directory),
        shrunk: Vec::new(),
        reason: outcome.reason,
    };
    observer.failure(&entry);
    report.failures.push(entry);
    Ok(())
}
