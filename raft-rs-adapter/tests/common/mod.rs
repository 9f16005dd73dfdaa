//! Shared by the adapter's tests: a seeded workload, one trial of a
//! raft-rs cluster under every fault kind, and its verdict.

#![allow(dead_code)]

use checker::invariants::{check_liveness, check_safety, LivenessParams};
use checker::linearizability::{self, Budget, ModelKind, ModelSpec, Options};
use checker::Validity;
use nemesis::seeds::{stream, Concern};
use nemesis::{FaultSchedule, NemesisConfig, TrialOutput, Workload, World, WorldConfig};
use raft_rs_adapter::{RaftRsNode, RaftRsOptions};
use rand::Rng;
use rand_pcg::Pcg32;
use replica::{KvOp, ReadMode};

/// Gets, puts, appends and cas on three keys, with unique values.
pub struct RandomKv {
    rng: Pcg32,
    issued: u64,
}

impl RandomKv {
    pub fn new(seed: u64) -> RandomKv {
        RandomKv {
            rng: stream(seed, Concern::Workload),
            issued: 0,
        }
    }
}

impl Workload for RandomKv {
    fn next_op(&mut self, process: u64) -> Option<KvOp> {
        self.issued += 1;
        let key = format!("k{}", self.rng.gen_range(0..3));
        let value = format!("{process}.{};", self.issued);
        Some(match self.rng.gen_range(0..8) {
            0..=2 => KvOp::Get { key },
            3..=4 => KvOp::Append { key, value },
            5..=6 => KvOp::Put { key, value },
            _ => KvOp::Cas {
                key,
                expected: format!("{process}.{};", self.issued - 1),
                new: value,
            },
        })
    }
}

/// What one trial runs: the default 5-node, 5-client, 10 s world with
/// `read_mode`, raft-rs with `options`, every fault kind (swarm).
#[derive(Clone, Copy, Debug)]
pub struct TrialSetup {
    pub read_mode: ReadMode,
    pub options: RaftRsOptions,
}

impl TrialSetup {
    pub fn world_config(&self) -> WorldConfig {
        let mut config = WorldConfig::default();
        config.cluster.read_mode = self.read_mode;
        config
    }

    pub fn schedule(&self, seed: u64) -> FaultSchedule {
        let config = self.world_config();
        FaultSchedule::generate(
            &NemesisConfig::default(),
            config.cluster.cluster_size,
            config.timeline.faults,
            &mut stream(seed, Concern::Schedule),
        )
    }

    pub fn world(&self, seed: u64) -> World<RandomKv, RaftRsNode> {
        World::new(
            self.world_config(),
            self.options,
            self.schedule(seed),
            RandomKv::new(seed),
            seed,
        )
    }

    pub fn run(&self, seed: u64) -> TrialOutput {
        self.world(seed).run()
    }

    /// The names of the checks the trial fails (empty: it passed), as
    /// raftstorm's `TrialSpec::check` judges: safety over the trace,
    /// linearizability of the history, liveness after the heal.
    pub fn failed_checks(&self, output: &TrialOutput) -> Vec<String> {
        let mut failed: Vec<String> = check_safety(&output.trace)
            .violated_invariants()
            .map(|invariant| invariant.name().to_string())
            .collect();
        let options = Options::new(ModelSpec::new(ModelKind::Kv))
            .with_budget(Budget {
                max_states: Some(2_000_000),
                ..Budget::default()
            })
            .with_threads(1);
        let report = linearizability::check_history(&output.history, &options)
            .expect("the world records histories that pair");
        if report.validity != Validity::Valid {
            failed.push(format!("linearizability ({:?})", report.validity));
        }
        let liveness = check_liveness(&output.trace, &output.history, &self.liveness_params());
        if liveness.validity != Validity::Valid {
            failed.push(format!("liveness ({:?})", liveness.validity));
        }
        failed
    }

    /// Runs and checks the trial of `seed`. A panic inside the run (raft-rs
    /// asserting on state an embedder bug corrupted, e.g. "to_commit 411 is
    /// out of range [last_index 410]" when a follower lost acknowledged
    /// entries) counts as a failed check named after its message.
    pub fn failed_checks_of_seed(&self, seed: u64) -> Vec<String> {
        let run = std::panic::catch_unwind(|| self.run(seed));
        match run {
            Ok(output) => self.failed_checks(&output),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                vec![format!("panic: {message}")]
            }
        }
    }

    fn liveness_params(&self) -> LivenessParams {
        const NS_PER_MS: u64 = 1_000_000;
        let timeline = self.world_config().timeline;
        LivenessParams {
            heal_time_ns: timeline.faults.heal_at_ms * NS_PER_MS,
            election_bound_ns: 2_000 * NS_PER_MS,
            completion_deadline_ns: timeline.end_ms * NS_PER_MS,
            settle_ns: 1_500 * NS_PER_MS,
        }
    }
}

/// The seed of trial `index` of the tests (a campaign's seed stream).
pub fn seed(index: u64) -> u64 {
    nemesis::seeds::trial_seed(0x5AF7_2025, index)
}
