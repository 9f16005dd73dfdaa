//! The adapter's settings beyond the cluster, and how a [`ClusterConfig`]
//! and those settings become a raft-rs [`raft::Config`].

use crate::bugs::BugSet;
use crate::ids::raft_id;
use crate::ticks::TickTiming;
use raft::ReadOnlyOption;
use replica::{ClusterConfig, NodeId, ReadMode};
use serde::{Deserialize, Serialize};

/// How far apart two ticks of a node's raft-rs clock are: the period of
/// the node's one timer. Every millisecond setting of the cluster is
/// turned into a whole number of these.
pub const TICK_MS: u64 = 10;

/// Roughly what one of our entries costs in an append message (our
/// commands encode to 10–40 bytes, plus protobuf framing), used to turn
/// the cluster's entry-count bound into raft-rs's byte bound.
const APPROX_ENTRY_BYTES: u64 = 64;

/// Append messages in flight per follower during optimistic replication:
/// enough to keep a 5-client workload pipelined, few enough that a
/// follower which drops messages is probed again soon.
const MAX_INFLIGHT_MSGS: usize = 64;

/// raft-rs's protocol options and the adapter's planted bugs. The read
/// mode is not here: it is the cluster's ([`ClusterConfig::read_mode`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RaftRsOptions {
    /// raft-rs `Config::pre_vote`: a pre-election round (Raft thesis §9.6)
    /// so that a node rejoining after a partition does not depose a
    /// working leader.
    pub pre_vote: bool,
    /// raft-rs `Config::check_quorum`: a leader steps down when it has not
    /// heard from a majority for an election timeout. Lease reads require
    /// it (raft-rs's `Config::validate` says so, and so does
    /// [`RaftRsOptions::validate`]).
    pub check_quorum: bool,
    /// The planted embedder bugs switched on (none by default).
    pub bugs: BugSet,
}

impl RaftRsOptions {
    /// Checks that raft-rs, driven by this adapter, can be the cluster
    /// asked for with these options.
    pub fn validate(&self, cluster: &ClusterConfig) -> Result<(), String> {
        cluster.validate()?;
        if cluster.read_mode == ReadMode::Lease && !self.check_quorum {
            return Err(
                "raft-rs lease reads (ReadOnlyOption::LeaseBased) require check_quorum: \
                        set check_quorum to true"
                    .to_string(),
            );
        }
        TickTiming::of(cluster)?;
        self.raft_config(0, cluster)
            .validate()
            .map_err(|err| format!("raft-rs rejects the configuration: {err}"))
    }

    /// The raft-rs configuration of node `id`. Its applied index is 0: the
    /// state machine is volatile and rebuilt from the log at every boot.
    pub fn raft_config(&self, id: NodeId, cluster: &ClusterConfig) -> raft::Config {
        let timing = TickTiming::of(cluster).unwrap_or(TickTiming::FALLBACK);
        let read_only_option = match cluster.read_mode {
            ReadMode::Lease => ReadOnlyOption::LeaseBased,
            // Log reads never call read_index; Safe keeps the option inert.
            ReadMode::ReadIndex | ReadMode::Log => ReadOnlyOption::Safe,
        };
        raft::Config {
            id: raft_id(id),
            election_tick: timing.election_min_ticks,
            heartbeat_tick: timing.heartbeat_ticks,
            // The real range, so that our own draws (see `timeout.rs`) are
            // accepted by `set_randomized_election_timeout`.
            min_election_tick: timing.election_min_ticks,
            max_election_tick: timing.election_max_ticks,
            applied: 0,
            // raft-rs bounds appends by bytes, always sending at least one
            // entry: the nearest it gets to an entry count.
            max_size_per_msg: cluster.max_entries_per_append as u64 * APPROX_ENTRY_BYTES,
            max_inflight_msgs: MAX_INFLIGHT_MSGS,
            check_quorum: self.check_quorum,
            pre_vote: self.pre_vote,
            read_only_option,
            ..raft::Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_reads_require_check_quorum() {
        let lease = ClusterConfig {
            read_mode: ReadMode::Lease,
            ..ClusterConfig::default()
        };
        let err = RaftRsOptions::default().validate(&lease).unwrap_err();
        assert!(err.contains("check_quorum"), "{err}");
        let options = RaftRsOptions {
            check_quorum: true,
            ..RaftRsOptions::default()
        };
        assert_eq!(options.validate(&lease), Ok(()));
        assert_eq!(
            options.raft_config(2, &lease).read_only_option,
            ReadOnlyOption::LeaseBased
        );
    }

    #[test]
    fn options_serialize_with_bug_names() {
        let options = RaftRsOptions {
            pre_vote: true,
            check_quorum: false,
            bugs: BugSet::only(crate::Bug::SendBeforePersist),
        };
        let json = serde_json::to_string(&options).unwrap();
        assert_eq!(
            json,
            r#"{"pre_vote":true,"check_quorum":false,"bugs":["send-before-persist"]}"#
        );
        assert_eq!(
            serde_json::from_str::<RaftRsOptions>(&json).unwrap(),
            options
        );
        assert_eq!(
            serde_json::from_str::<RaftRsOptions>("{}").unwrap(),
            RaftRsOptions::default()
        );
    }
}
