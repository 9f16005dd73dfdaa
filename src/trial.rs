//! One trial: a seed and a configuration in, a history, a trace and a
//! verdict out.
//!
//! A trial is pure: [`TrialSpec`] (configuration, seed, fault schedule)
//! determines the history and the trace byte for byte. The spec is what
//! `trial.json` holds, so a failure replays exactly — even after the
//! schedule generator changes, because the schedule is stored, not
//! re-derived.

use crate::config_swarm::ConfigSwarm;
use crate::system::{BuiltIn, SystemConfig, SystemUnderTest};
use crate::workload::WorkloadConfig;
use checker::availability::{
    check_availability, AvailabilityParams, AvailabilityReport, Bounds, MajoritySpan, Timing,
};
use checker::invariants::{
    check_liveness, check_safety, LivenessParams, LivenessReport, SafetyReport,
};
use checker::linearizability::{self, Budget, ModelKind, ModelSpec, Options};
use checker::Validity;
use histories::{History, Trace};
use nemesis::seeds::{stream, Concern};
use nemesis::{FaultSchedule, NemesisConfig, TrialOutput, WorldConfig, WorldStats};
use serde::{Deserialize, Serialize};

/// How much checking a trial may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckerConfig {
    /// Memo entries a key's linearizability search may record before the
    /// verdict becomes unknown. Deterministic, unlike a time limit.
    pub max_states: u64,
    /// How long after the heal a leader must exist, at least: a trial whose
    /// timing implies a longer election (the availability check's bound,
    /// [`checker::availability::Bounds::election_ns`]) gets that one, so
    /// slower timeouts never turn a correct election into a violation.
    pub election_bound_ms: u64,
    /// Operations invoked this long after the heal must not end in `info`.
    pub settle_ms: u64,
    /// Decide linearizability by inferring the order of unique writes
    /// where the history allows (false: the search alone).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub infer_orders: bool,
    /// Judge availability (see [`checker::availability`]): on unless
    /// switched off, also for trial files written before it existed.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub availability: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

impl Default for CheckerConfig {
    fn default() -> CheckerConfig {
        CheckerConfig {
            max_states: 2_000_000,
            election_bound_ms: 2_000,
            settle_ms: 1_500,
            infer_orders: true,
            availability: true,
        }
    }
}

/// Everything that shapes the trials of a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrialConfig {
    /// Which Raft runs, with its own settings (raft-core when absent, as in
    /// trial files written before there was a choice).
    #[serde(default)]
    pub system: SystemConfig,
    /// The cluster, network, clients and timeline.
    pub world: WorldConfig,
    /// Which faults, how often.
    pub nemesis: NemesisConfig,
    /// Which operations.
    pub workload: WorkloadConfig,
    /// Checking budget and liveness bounds.
    pub checker: CheckerConfig,
    /// The knobs each trial draws from its seed (see [`ConfigSwarm`]);
    /// a trial's own configuration has them drawn and this empty.
    #[serde(default, skip_serializing_if = "ConfigSwarm::is_off")]
    pub vary: ConfigSwarm,
}

impl TrialConfig {
    /// Checks every part of the configuration.
    pub fn validate(&self) -> Result<(), String> {
        self.world.validate()?;
        if self.world.clients.count == 0 {
            return Err(
                "0 clients: a trial without clients records no history to check".to_string(),
            );
        }
        self.system.validate(&self.world.cluster)?;
        self.workload.validate()?;
        if self.nemesis.interval_ms == 0 || self.nemesis.duration_ms == 0 {
            return Err("nemesis interval and duration must be positive".to_string());
        }
        Ok(())
    }
}

/// A trial, fully determined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// The trial's seed: every random stream derives from it.
    pub seed: u64,
    /// The configuration.
    pub config: TrialConfig,
    /// The faults, as drawn from the seed (or as edited).
    pub schedule: FaultSchedule,
}

impl TrialSpec {
    /// The trial of `seed` under `config`, its schedule drawn from the seed.
    pub fn generate(config: TrialConfig, seed: u64) -> TrialSpec {
        let config = ConfigSwarm::draw(config, seed);
        let schedule = FaultSchedule::generate(
            &config.nemesis,
            config.world.cluster.cluster_size,
            config.world.timeline.faults,
            &mut stream(seed, Concern::Schedule),
        );
        let config = TrialConfig {
            system: config.system.for_trial(&config.world.cluster, seed),
            ..config
        };
        TrialSpec {
            seed,
            config,
            schedule,
        }
    }

    /// Runs the simulation of a built-in system (see [`BuiltIn`]).
    pub fn run(&self) -> TrialOutput {
        BuiltIn.run(self)
    }

    /// The liveness bounds of this trial's timeline. The post-heal election
    /// bound is the configured one or the election bound the trial's timing
    /// implies, whichever is longer: the same cluster state (every node up
    /// and connected) gets the same allowance after the heal as a clean
    /// majority gets during the faults (§5.2: elections take rounds of
    /// election timeouts, and swarm mode draws timeouts up to 600 ms).
    pub fn liveness_params(&self) -> LivenessParams {
        const NS_PER_MS: u64 = 1_000_000;
        let timeline = self.config.world.timeline;
        let checker = self.config.checker;
        let derived_election_ns = self.availability_params().bounds.election_ns;
        LivenessParams {
            heal_time_ns: timeline.faults.heal_at_ms * NS_PER_MS,
            election_bound_ns: (checker.election_bound_ms * NS_PER_MS).max(derived_election_ns),
            completion_deadline_ns: timeline.end_ms * NS_PER_MS,
            settle_ns: checker.settle_ms * NS_PER_MS,
        }
    }

    /// The availability bounds of this trial, from its timing (see
    /// [`checker::availability::Bounds`] for the derivation).
    pub fn availability_params(&self) -> AvailabilityParams {
        const NS_PER_MS: u64 = 1_000_000;
        let world = &self.config.world;
        let (cluster, clients) = (world.cluster, world.clients);
        let timing = Timing {
            cluster_size: cluster.cluster_size,
            election_timeout_min_ms: cluster.election_timeout_min_ms,
            election_timeout_max_ms: cluster.election_timeout_max_ms,
            heartbeat_ms: cluster.heartbeat_interval_ms,
            latency_max_us: world.network.latency_max_us,
            max_batch: cluster.max_entries_per_append as u64,
            clients: clients.count,
            attempt_timeout_ms: clients.attempt_timeout_ms,
            retry_backoff_ms: clients.retry_backoff_ms,
            think_max_ms: clients.think_max_ms,
            op_timeout_ms: clients.op_timeout_ms,
        };
        AvailabilityParams {
            bounds: Bounds::derive(&timing),
            heal_time_ns: world.timeline.faults.heal_at_ms * NS_PER_MS,
            clients_stop_ns: world.timeline.clients_stop_ms * NS_PER_MS,
            end_ns: world.timeline.end_ms * NS_PER_MS,
            clients: clients.count,
        }
    }

    /// Judges a trial's output: safety over the trace, linearizability of
    /// the history, liveness after the heal, and availability (unless
    /// switched off).
    pub fn check(&self, output: &TrialOutput) -> TrialVerdict {
        let mut verdict = self.check_history(&output.history, &output.trace);
        if self.config.checker.availability {
            let params = self.availability_params();
            let spans = majority_spans(&output.majorities, params.end_ns);
            let report = check_availability(&output.trace, &output.history, &spans, &params);
            verdict.add_availability(report);
        }
        verdict
    }

    /// The checks that need only a history and a trace: safety,
    /// linearizability, liveness.
    pub fn check_history(&self, history: &History, trace: &Trace) -> TrialVerdict {
        let safety = check_safety(trace);
        let options = Options::new(ModelSpec::new(ModelKind::Kv))
            .with_budget(Budget {
                max_states: Some(self.config.checker.max_states),
                ..Budget::default()
            })
            .with_threads(1)
            .with_order_inference(self.config.checker.infer_orders);
        let mut linearizability = match linearizability::check_history(history, &options) {
            Ok(report) => report,
            Err(err) => panic!("the world recorded a history that does not pair: {err}"),
        };
        linearizability.stats.elapsed_ns = 0; // keep verdicts reproducible
        let liveness = check_liveness(trace, history, &self.liveness_params());
        TrialVerdict::new(safety, linearizability, liveness)
    }
}

/// The stretches in which the world recorded a clean majority, the last
/// one ending with the trial at `end_ns`.
pub fn majority_spans(changes: &[nemesis::MajorityChange], end_ns: u64) -> Vec<MajoritySpan> {
    let ends = changes.iter().skip(1).map(|next| next.time_ns);
    changes
        .iter()
        .zip(ends.chain([end_ns]))
        .filter(|(change, _)| change.members != 0)
        .map(|(change, end)| MajoritySpan {
            start_ns: change.time_ns,
            end_ns: end.max(change.time_ns),
            members: change.members,
        })
        .collect()
}

/// The name of the availability check in reports.
pub const AVAILABILITY_CHECK: &str = "availability";

/// The check a trial fails when the world stopped it at its event budget:
/// the system flooded itself (a livelock) instead of letting time pass.
pub const EVENT_BUDGET_CHECK: &str = "event-budget";

/// The check a trial fails when the system, the world or the checker
/// panicked while running it.
pub const PANIC_CHECK: &str = "panic";

/// The result of one check kind in a trial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's stable name (`election-safety`, `linearizability`, ...).
    pub check: String,
    /// Its verdict.
    pub validity: Validity,
}

/// Everything the checker said about a trial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialVerdict {
    /// All checks combined: invalid beats unknown beats valid.
    pub validity: Validity,
    /// Each check kind that did not pass, with its verdict.
    pub failed_checks: Vec<CheckResult>,
    /// Raft's safety invariants over the trace.
    pub safety: SafetyReport,
    /// Linearizability of the client history.
    pub linearizability: linearizability::Report,
    /// Recovery after the heal.
    pub liveness: LivenessReport,
    /// Availability in the quiet period and in clean majorities (absent
    /// when switched off, and in verdicts written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilityReport>,
}

impl TrialVerdict {
    /// The names of the checks that did not pass, in report order.
    pub fn failed_check_names(&self) -> Vec<String> {
        self.failed_checks.iter().map(|c| c.check.clone()).collect()
    }

    /// Adds a failed check of its own kind (one the three reports do not
    /// cover, such as an exhausted event budget).
    pub fn fail(&mut self, check: &str, validity: Validity) {
        self.failed_checks.push(CheckResult {
            check: check.to_string(),
            validity,
        });
        self.validity = self.validity.and(validity);
    }

    /// Adds the availability verdict.
    pub fn add_availability(&mut self, report: AvailabilityReport) {
        if report.validity != Validity::Valid {
            self.fail(AVAILABILITY_CHECK, report.validity);
        }
        self.availability = Some(report);
    }

    fn new(
        safety: SafetyReport,
        linearizability: linearizability::Report,
        liveness: LivenessReport,
    ) -> TrialVerdict {
        let mut failed_checks: Vec<CheckResult> = safety
            .violated_invariants()
            .map(|invariant| CheckResult {
                check: invariant.name().to_string(),
                validity: Validity::Invalid,
            })
            .collect();
        for (check, validity) in [
            ("linearizability", linearizability.validity),
            ("liveness", liveness.validity),
        ] {
            if validity != Validity::Valid {
                failed_checks.push(CheckResult {
                    check: check.to_string(),
                    validity,
                });
            }
        }
        TrialVerdict {
            validity: Validity::all(failed_checks.iter().map(|c| c.validity)),
            failed_checks,
            safety,
            linearizability,
            liveness,
            availability: None,
        }
    }
}

/// A trial's output and verdict, with the counters of the run.
pub struct TrialResult {
    /// The spec that was run.
    pub spec: TrialSpec,
    /// History and trace.
    pub output: TrialOutput,
    /// The verdict.
    pub verdict: TrialVerdict,
}

impl TrialResult {
    /// Runs and checks a trial of a built-in system.
    pub fn of(spec: TrialSpec) -> TrialResult {
        TrialResult::of_system(spec, &BuiltIn)
    }

    /// Runs and checks a trial of `system`.
    pub fn of_system(spec: TrialSpec, system: &dyn SystemUnderTest) -> TrialResult {
        let output = system.run(&spec);
        let mut verdict = spec.check(&output);
        if output.stats.event_budget_exhausted {
            verdict.fail(EVENT_BUDGET_CHECK, Validity::Invalid);
        }
        TrialResult {
            spec,
            output,
            verdict,
        }
    }

    /// The counters of the simulation.
    pub fn stats(&self) -> WorldStats {
        self.output.stats
    }
}
