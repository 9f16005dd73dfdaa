//! Campaigns from your own tests: raftstorm against any Raft that
//! implements [`replica::Replica`], inside `cargo test`.
//!
//! ```no_run
//! # fn demo() {
//! // In a test of your crate, with `MyRaft: replica::Replica`:
//! // raftstorm::harness::Campaign::new()
//! //     .trials(300)
//! //     .seed(7)
//! //     .assert_clean::<MyRaft>(MyOptions::default());
//! # }
//! ```
//!
//! A failure panics (or, with [`Campaign::run`], returns an error) with the
//! failing trial's seed, the checks it failed, a one-line reason, where its
//! artifact is, and the one command that replays it:
//! `RAFTSTORM_SEED=<seed> cargo test <your test> -- --exact --nocapture`.
//! With `RAFTSTORM_SEED` set, the same campaign runs that one trial only,
//! prints its whole report and writes its artifact — the trial is
//! byte-for-byte the one that failed, because a trial depends on nothing
//! but its seed and the configuration.

use crate::artifact::{failure_dir, to_pretty_json, write_atomically, ArtifactFiles};
use crate::campaign::{run_campaign, run_caught, CampaignConfig, Silent};
use crate::report::{CampaignReport, Shard};
use crate::system::{Custom, SystemConfig, SystemUnderTest};
use crate::trial::{TrialConfig, TrialSpec};
use checker::Validity;
use nemesis::FaultKinds;
use replica::{ReadMode, Replica};
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that turns a campaign into the replay of one
/// trial, by its seed.
pub const SEED_VAR: &str = "RAFTSTORM_SEED";

/// The environment variable that says where artifacts go.
pub const OUT_VAR: &str = "RAFTSTORM_OUT";

/// A campaign to run from a test.
#[derive(Clone, Debug)]
pub struct Campaign {
    config: CampaignConfig,
    test_name: String,
}

impl Default for Campaign {
    fn default() -> Campaign {
        Campaign::new()
    }
}

impl Campaign {
    /// 200 default trials (5 nodes, 5 clients, every fault kind in swarm
    /// mode, 10 simulated seconds each) with campaign seed 1, on every
    /// core. Artifacts go to `$RAFTSTORM_OUT`, or to a folder named after
    /// the test in the system's temporary directory.
    pub fn new() -> Campaign {
        let test_name = current_test_name();
        let out_dir = std::env::var_os(OUT_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::temp_dir()
                    .join("raftstorm")
                    .join(sanitize(&test_name))
            });
        let config = CampaignConfig {
            seed: 1,
            trials: Some(200),
            time_limit: None,
            threads: crate::cli::default_threads(),
            shard: Shard::WHOLE,
            trial: TrialConfig {
                system: SystemConfig::Custom,
                ..TrialConfig::default()
            },
            out_dir,
            max_failures: crate::campaign::DEFAULT_MAX_FAILURES,
        };
        Campaign { config, test_name }
    }

    /// Trials to run (at least one).
    pub fn trials(mut self, trials: u64) -> Campaign {
        self.config.trials = Some(trials);
        self
    }

    /// The campaign seed: trial `i` has seed `trial_seed(seed, i)`.
    pub fn seed(mut self, seed: u64) -> Campaign {
        self.config.seed = seed;
        self
    }

    /// Worker threads (results do not depend on it).
    pub fn threads(mut self, threads: usize) -> Campaign {
        self.config.threads = threads.max(1);
        self
    }

    /// Nodes in each trial's cluster.
    pub fn nodes(mut self, nodes: u32) -> Campaign {
        self.config.trial.world.cluster.cluster_size = nodes;
        self
    }

    /// Concurrent clients.
    pub fn clients(mut self, clients: u32) -> Campaign {
        self.config.trial.world.clients.count = clients;
        self
    }

    /// The fault kinds the nemesis may use, e.g. `"partition,crash"`.
    ///
    /// # Panics
    /// On an unknown kind: a typo in a test must not quietly test less.
    pub fn faults(mut self, kinds: &str) -> Campaign {
        let kinds: FaultKinds = kinds
            .parse()
            .unwrap_or_else(|err| panic!("raftstorm: bad fault kinds: {err}"));
        self.config.trial.nemesis.kinds = kinds;
        self
    }

    /// How reads are made linearizable.
    pub fn read_mode(mut self, read_mode: ReadMode) -> Campaign {
        self.config.trial.world.cluster.read_mode = read_mode;
        self
    }

    /// Where artifacts and `report.json` go.
    pub fn out_dir(mut self, out_dir: impl Into<PathBuf>) -> Campaign {
        self.config.out_dir = out_dir.into();
        self
    }

    /// Any other setting of the trials (timeline, network, workload,
    /// checker budget).
    pub fn configure(mut self, change: impl FnOnce(&mut TrialConfig)) -> Campaign {
        change(&mut self.config.trial);
        self.config.trial.system = SystemConfig::Custom;
        self
    }

    /// Runs the campaign against system `R` (or, with `RAFTSTORM_SEED`
    /// set, that one trial) and panics with the failure if any trial
    /// failed or could not be decided.
    #[track_caller]
    pub fn assert_clean<R: Replica>(&self, options: R::Options) -> CampaignReport {
        match self.run::<R>(options) {
            Ok(report) => report,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Runs the campaign against system `R` (or, with `RAFTSTORM_SEED`
    /// set, that one trial). `Ok` only when every requested trial ran and
    /// passed every check.
    pub fn run<R: Replica>(&self, options: R::Options) -> Result<CampaignReport, Failure> {
        let config = &self.config;
        config.trial.validate().map_err(Failure::Invalid)?;
        let system = self.system::<R>(options);
        let probe = TrialSpec::generate(config.trial, config.seed);
        system.validate(&probe).map_err(Failure::Invalid)?;
        if let Some(seed) = seed_from_env()? {
            return self.replay_one(&system, seed);
        }
        self.run_all(&system)
    }

    /// Runs the one trial of `seed` of this campaign against system `R`,
    /// prints its report and writes its artifact, as `RAFTSTORM_SEED=seed`
    /// does.
    pub fn run_seed<R: Replica>(
        &self,
        options: R::Options,
        seed: u64,
    ) -> Result<CampaignReport, Failure> {
        self.config.trial.validate().map_err(Failure::Invalid)?;
        let system = self.system::<R>(options);
        let probe = TrialSpec::generate(self.config.trial, seed);
        system.validate(&probe).map_err(Failure::Invalid)?;
        self.replay_one(&system, seed)
    }

    fn run_all(&self, system: &dyn SystemUnderTest) -> Result<CampaignReport, Failure> {
        let config = &self.config;
        let trials = config.trials.unwrap_or(0);
        if trials == 0 {
            return Err(Failure::Invalid(
                "a campaign of 0 trials tests nothing".into(),
            ));
        }
        let failures = config.out_dir.join("failures");
        if failures.exists() {
            std::fs::remove_dir_all(&failures).map_err(|err| io_failure(&failures, err))?;
        }
        let report = run_campaign(config, system, &mut Silent)
            .map_err(|err| io_failure(&config.out_dir, err))?;
        let report_path = config.out_dir.join("report.json");
        write_atomically(&report_path, &to_pretty_json(&report))
            .map_err(|err| io_failure(&report_path, err))?;
        self.judge(report, system)
    }

    fn system<R: Replica>(&self, options: R::Options) -> Custom<R> {
        let test_name = self.test_name.clone();
        Custom {
            options,
            replay: Box::new(move |directory: &Path| {
                let seed = directory
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("{SEED_VAR}={seed} cargo test {test_name} -- --exact --nocapture")
            }),
        }
    }

    /// Turns a finished campaign's report into the verdict of the test.
    fn judge(
        &self,
        report: CampaignReport,
        system: &dyn SystemUnderTest,
    ) -> Result<CampaignReport, Failure> {
        let requested = self.config.trials.unwrap_or(0);
        if report.totals.trials < requested {
            return Err(Failure::Incomplete {
                ran: report.totals.trials,
                requested,
            });
        }
        let Some(first) = report.failures.first() else {
            return Ok(report);
        };
        let spec = TrialSpec::generate(self.config.trial, first.seed);
        let reason = match run_caught(&spec, system) {
            Ok(result) => crate::explain::one_line_reason(&result.verdict).unwrap_or_default(),
            Err(message) => format!("the trial panicked: {message}"),
        };
        Err(Failure::Trial(Box::new(TrialFailure {
            seed: first.seed,
            validity: first.validity,
            checks: first.checks.clone(),
            reason,
            artifact: PathBuf::from(&first.artifact),
            replay: first.replay.clone(),
            failed_trials: report.totals.invalid + report.totals.unknown,
            trials: report.totals.trials,
        })))
    }

    /// Runs the trial of `seed` alone, prints its report, writes its
    /// artifact, and fails the test if the trial fails.
    fn replay_one(
        &self,
        system: &Custom<impl Replica>,
        seed: u64,
    ) -> Result<CampaignReport, Failure> {
        let config = &self.config;
        let spec = TrialSpec::generate(config.trial, seed);
        let directory = failure_dir(&config.out_dir, seed);
        let replay = system.replay_command(&directory);
        let result = match run_caught(&spec, system) {
            Ok(result) => result,
            Err(message) => {
                let files = ArtifactFiles::render_panic(&spec, None, &message, &replay);
                files
                    .write_to(&directory)
                    .map_err(|err| io_failure(&directory, err))?;
                return Err(Failure::Trial(Box::new(TrialFailure {
                    seed,
                    validity: Validity::Invalid,
                    checks: vec![crate::trial::PANIC_CHECK.to_string()],
                    reason: format!("the trial panicked: {message}"),
                    artifact: directory,
                    replay,
                    failed_trials: 1,
                    trials: 1,
                })));
            }
        };
        let files = ArtifactFiles::render(&result, None, &replay);
        files
            .write_to(&directory)
            .map_err(|err| io_failure(&directory, err))?;
        eprintln!("{}", String::from_utf8_lossy(&files.report));
        let mut report = CampaignReport::new(config.seed, Some(1), config.trial, Shard::WHOLE);
        report.totals.trials = 1;
        report.validity = result.verdict.validity;
        if result.verdict.validity == Validity::Valid {
            report.totals.valid = 1;
            return Ok(report);
        }
        Err(Failure::Trial(Box::new(TrialFailure {
            seed,
            validity: result.verdict.validity,
            checks: result.verdict.failed_check_names(),
            reason: crate::explain::one_line_reason(&result.verdict).unwrap_or_default(),
            artifact: directory,
            replay,
            failed_trials: 1,
            trials: 1,
        })))
    }
}

/// Why a campaign from a test did not pass.
#[derive(Debug)]
pub enum Failure {
    /// The campaign as configured cannot run (or would test nothing).
    Invalid(String),
    /// Fewer trials ran than were asked for.
    Incomplete {
        /// Trials that ran.
        ran: u64,
        /// Trials asked for.
        requested: u64,
    },
    /// A trial failed a check, or the checker could not decide it.
    Trial(Box<TrialFailure>),
    /// An artifact or the report could not be written.
    Io(String),
}

/// The first failing trial of a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialFailure {
    /// The trial's seed.
    pub seed: u64,
    /// Invalid (a check failed) or unknown (a check could not decide).
    pub validity: Validity,
    /// The checks it failed.
    pub checks: Vec<String>,
    /// Why, in one line.
    pub reason: String,
    /// Where its artifact (trial.json, history, trace, report.txt) is.
    pub artifact: PathBuf,
    /// The command that replays it.
    pub replay: String,
    /// How many trials failed or were undecided.
    pub failed_trials: u64,
    /// How many trials ran.
    pub trials: u64,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(problem) => write!(f, "raftstorm: cannot run this campaign: {problem}"),
            Failure::Incomplete { ran, requested } => write!(
                f,
                "raftstorm: only {ran} of the {requested} requested trials ran"
            ),
            Failure::Io(problem) => write!(f, "raftstorm: {problem}"),
            Failure::Trial(trial) => write!(
                f,
                "raftstorm: {} of {} trials failed; the first, seed {}, is {} on {}: {}\n  artifact: {}\n  replay:   {}",
                trial.failed_trials,
                trial.trials,
                trial.seed,
                trial.validity,
                trial.checks.join(", "),
                trial.reason,
                trial.artifact.display(),
                trial.replay
            ),
        }
    }
}

impl std::error::Error for Failure {}

fn io_failure(path: &Path, err: std::io::Error) -> Failure {
    Failure::Io(format!("cannot write {}: {err}", path.display()))
}

/// `RAFTSTORM_SEED`, if set: the one trial to replay.
fn seed_from_env() -> Result<Option<u64>, Failure> {
    let Some(text) = std::env::var_os(SEED_VAR) else {
        return Ok(None);
    };
    let text = text.to_string_lossy();
    text.trim().parse().map(Some).map_err(|_| {
        Failure::Invalid(format!(
            "{SEED_VAR}={text}: expected a trial seed (an unsigned integer)"
        ))
    })
}

/// The name of the running test: libtest names each test's thread after
/// the test.
fn current_test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => "<your test>".to_string(),
    }
}

/// A test path made safe as a folder name.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
