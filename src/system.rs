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
        SystemConfig::RaftCore { bugs: BugSet::NONE }
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
    let workload =
        crate::workload::KvWorkload::new(config.workload, stream(spec.seed, Concern::Workload));
    nemesis::World::<_, R>::new(
        config.world,
        options,
        spec.schedule.clone(),
        workload,
        spec.seed,
    )
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trial::TrialConfig;

    #[test]
    fn a_trial_file_without_a_system_means_raft_core() {
        let mut json = serde_json::to_value(TrialConfig::default()).unwrap();
        json.as_object_mut().unwrap().remove("system");
        let config: TrialConfig = serde_json::from_value(json).unwrap();
        assert_eq!(config.system, SystemConfig::default());
        assert_eq!(config.system.name(), "raft-core");
    }

    #[test]
    fn systems_serialize_by_name_with_their_options_and_read_back() {
        let raft_rs = SystemConfig::RaftRs {
            options: RaftRsOptions {
                pre_vote: true,
                check_quorum: false,
                bugs: "read-without-read-state".parse().unwrap(),
            },
            vary_options: false,
        };
        let cases = [
            (
                SystemConfig::RaftCore {
                    bugs: BugSet::only(raft_core::Bug::VoteTwice),
                },
                r#"{"name":"raft-core","bugs":["vote-twice"]}"#,
            ),
            (
                raft_rs,
                r#"{"name":"raft-rs","pre_vote":true,"check_quorum":false,"bugs":["read-without-read-state"]}"#,
            ),
            (SystemConfig::Custom, r#"{"name":"custom"}"#),
        ];
        for (system, json) in cases {
            assert_eq!(serde_json::to_string(&system).unwrap(), json);
            assert_eq!(serde_json::from_str::<SystemConfig>(json).unwrap(), system);
        }
    }

    #[test]
    fn swarm_mode_draws_raft_rs_options_per_trial_from_the_seed() {
        let varying = SystemConfig::RaftRs {
            options: RaftRsOptions::default(),
            vary_options: true,
        };
        let cluster = ClusterConfig::default();
        let drawn: Vec<SystemConfig> = (0..64)
            .map(|seed| varying.for_trial(&cluster, seed))
            .collect();
        assert_eq!(
            drawn,
            (0..64)
                .map(|seed| varying.for_trial(&cluster, seed))
                .collect::<Vec<_>>()
        );
        let options = |system: &SystemConfig| match system {
            SystemConfig::RaftRs {
                options,
                vary_options: false,
            } => *options,
            other => panic!("drawn options are concrete: {other:?}"),
        };
        let pre_votes = drawn.iter().filter(|s| options(s).pre_vote).count();
        assert!(
            pre_votes > 8 && pre_votes < 56,
            "both settings occur: {pre_votes}/64"
        );
        let lease = ClusterConfig {
            read_mode: ReadMode::Lease,
            ..cluster
        };
        assert!((0..64).all(|seed| options(&varying.for_trial(&lease, seed)).check_quorum));
    }
}
