//! Which Raft a trial runs: the systems raftstorm ships, and the seam
//! through which a campaign runs any other.
//!
//! A trial's `system` field names a built-in system and carries its own
//! settings (raft-core's planted bugs). A user's Raft is not named in
//! `trial.json` beyond `custom`: its settings live in the user's code,
//! which runs its campaigns through [`crate::harness`] with a
//! [`Custom`] system.

use crate::trial::TrialSpec;
use nemesis::seeds::{stream, Concern};
use nemesis::TrialOutput;
use raft_core::BugSet;
use raft_rs_adapter::{RaftRsNode, RaftRsOptions};
use rand::Rng;
use replica::{ClusterConfig, ReadMode, Replica};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The system under test of a trial, with its own settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum SystemConfig {
    /// raftstorm's reference Raft.
    RaftCore {
        /// Planted bugs switched on.
        #[serde(default)]
        bugs: BugSet,
    },
    /// tikv/raft-rs (the `raft` crate) through `raft-rs-adapter`.
    RaftRs {
        /// Its protocol options and the adapter's planted bugs.
        #[serde(flatten)]
        options: RaftRsOptions,
        /// Swarm mode over the options: each trial draws pre-vote and
        /// check-quorum from its seed (stored, drawn, in its trial.json).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        vary_options: bool,
    },
    /// A system from the user's own code, run through [`crate::harness`].
    Custom,
}

impl Default for SystemConfig {
    fn default() -> SystemConfig {
        SystemConfig::RaftCore {
            bugs: BugSet::NONE,
        }
    }
}

/// The name of a system, as `--system` takes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SystemName {
    /// raft-core.
    #[default]
    RaftCore,
    /// tikv/raft-rs.
    RaftRs,
}

impl SystemName {
    /// Every system the command line can run.
    pub const ALL: [SystemName; 2] = [SystemName::RaftCore, SystemName::RaftRs];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SystemName::RaftCore => "raft-core",
            SystemName::RaftRs => "raft-rs",
        }
    }
}

impl fmt::Display for SystemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SystemName {
    type Err = String;

    fn from_str(text: &str) -> Result<SystemName, String> {
        SystemName::ALL
            .into_iter()
            .find(|system| system.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = SystemName::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown system '{text}'; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl SystemConfig {
    /// The system's name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            SystemConfig::RaftCore { .. } => "raft-core",
            SystemConfig::RaftRs { .. } => "raft-rs",
            SystemConfig::Custom => "custom",
        }
    }

    /// The planted bugs switched on, by name.
    pub fn bug_names(&self) -> Vec<&'static str> {
        match self {
            SystemConfig::RaftCore { bugs } => bugs.iter().map(|bug| bug.name()).collect(),
            SystemConfig::RaftRs { options, .. } => {
                options.bugs.iter().map(|bug| bug.name()).collect()
            }
            SystemConfig::Custom => Vec::new(),
        }
    }

    /// Checks that the system can be this cluster.
    pub fn validate(&self, cluster: &ClusterConfig) -> Result<(), String> {
        match self {
            SystemConfig::RaftCore { bugs } => raft_core::Node::validate(cluster, bugs),
            SystemConfig::RaftRs {
                options,
                vary_options,
            } => {
                let mut options = *options;
                // Swarm mode turns check-quorum on for lease reads.
                options.check_quorum |= *vary_options && cluster.read_mode == ReadMode::Lease;
                RaftRsNode::validate(cluster, &options)
            }
            SystemConfig::Custom => Ok(()),
        }
    }

    /// The concrete system of the trial of `seed`: with swarm mode over
    /// the options, raft-rs's pre-vote and check-quorum are drawn from the
    /// seed (check-quorum always on for lease reads, which need it).
    pub fn for_trial(self, cluster: &ClusterConfig, seed: u64) -> SystemConfig {
        let SystemConfig::RaftRs {
            mut options,
            vary_options: true,
        } = self
        else {
            return self;
        };
        let mut rng = stream(seed, Concern::SystemOptions);
        options.pre_vote = rng.gen_bool(0.5);
        options.check_quorum = cluster.read_mode == ReadMode::Lease || rng.gen_bool(0.5);
        SystemConfig::RaftRs {
            options,
            vary_options: false,
        }
    }
}

/// What a campaign needs of the system it tests: a way to run a trial's
/// simulation, and the command that replays one.
pub trait SystemUnderTest: Sync {
    /// Runs the simulation of `spec`.
    fn run(&self, spec: &TrialSpec) -> TrialOutput;

    /// Checks that the system can be the trial's cluster.
    fn validate(&self, spec: &TrialSpec) -> Result<(), String>;

    /// The command a person runs to replay the trial whose artifact is in
    /// `directory`.
    fn replay_command(&self, directory: &Path) -> String {
        format!(
            "raftstorm replay {}",
            directory.join("trial.json").display()
        )
    }
}

/// The systems raftstorm ships, chosen by each trial's `system` field.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltIn;

impl SystemUnderTest for BuiltIn {
    fn run(&self, spec: &TrialSpec) -> TrialOutput {
        match spec.config.system {
            SystemConfig::RaftCore { bugs } => run_world::<raft_core::Node>(spec, bugs),
            SystemConfig::RaftRs { options, .. } => run_world::<RaftRsNode>(spec, options),
            SystemConfig::Custom => {
                panic!("a custom system's trial runs only from the code that defines the system")
            }
        }
    }

    fn validate(&self, spec: &TrialSpec) -> Result<(), String> {
        if spec.config.system == SystemConfig::Custom {
            return Err(
                "this trial ran a custom system (a Raft from someone's own tests); \
                 replay it from those tests, as its failure message says"
                    .to_string(),
            );
        }
        spec.config.system.validate(&spec.config.world.cluster)
    }
}

/// A system from the user's code: any [`Replica`] with its options.
pub struct Custom<R: Replica> {
    /// The options every node of every trial boots with.
    pub options: R::Options,
    /// How a person replays one trial (see [`crate::harness`]).
    pub replay: Box<dyn Fn(&Path) -> String + Sync>,
}

impl<R: Replica> SystemUnderTest for Custom<R> {
    fn run(&self, spec: &TrialSpec) -> TrialOutput {
        run_world::<R>(spec, self.options.clone())
    }

    fn validate(&self, spec: &TrialSpec) -> Result<(), String> {
        R::validate(&spec.config.world.cluster, &self.options)
    }

    fn replay_command(&self, directory: &Path) -> String {
        (self.replay)(directory)
    }
}

/// Runs the simulation of `spec` with nodes of system `R`.
pub fn run_world<R: Replica>(spec: &TrialSpec, options: R::Options) -> TrialOutput {
    let config = &spec.config;
    let workload = crate::workload::KvWorkload::new(
        config.workload,
        stream(spec.seed, Concern::Workload),
    );
    nemesis::World::<_, R>::new(
        config.world,
        options,
        spec.schedule.clone(),
        workload,
        spec.seed,
    )
    .run()
}
