//! The cluster every system under test is asked to be: its size, its
//! timing, its batch bound and how it makes reads linearizable. A system
//! maps these onto its own knobs (raft-core takes them as they are; an
//! adapter of a tick-based Raft turns milliseconds into ticks).

use crate::types::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the leader makes a `get` linearizable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// "Are you really the leader?" (ReadIndex): the leader records its
    /// commit index, waits until a heartbeat round of its term that started
    /// after the read arrived is acknowledged by a majority, waits until it
    /// has applied up to the recorded index, then answers from its state
    /// machine. No log entry is written.
    #[default]
    ReadIndex,
    /// The read is appended to the log like a write and answered when it is
    /// applied: simpler, slower, and linearizable for the same reason writes
    /// are.
    Log,
    /// The leader answers from its state machine while it holds a lease: a
    /// majority acknowledged it within the election timeout, so (with
    /// bounded clock drift) no other leader can exist yet. Fast, and unsafe
    /// under clock skew — which is what the nemesis' `skew` fault tests.
    Lease,
}

impl ReadMode {
    /// Every read mode, in a stable order.
    pub const ALL: [ReadMode; 3] = [ReadMode::ReadIndex, ReadMode::Log, ReadMode::Lease];

    /// The command-line name (`read-index`, `log`, `lease`).
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::ReadIndex => "read-index",
            ReadMode::Log => "log",
            ReadMode::Lease => "lease",
        }
    }
}

impl fmt::Display for ReadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReadMode {
    type Err = String;

    fn from_str(name: &str) -> Result<ReadMode, String> {
        match name {
            "read-index" => Ok(ReadMode::ReadIndex),
            "log" => Ok(ReadMode::Log),
            "lease" => Ok(ReadMode::Lease),
            other => Err(format!(
                "unknown read mode '{other}'; expected read-index, log or lease"
            )),
        }
    }
}

/// Settings shared by every node of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// Number of nodes; they are numbered `0..cluster_size`.
    pub cluster_size: u32,
    /// Lower bound of the randomized election timeout.
    pub election_timeout_min_ms: u64,
    /// Upper bound (exclusive) of the randomized election timeout.
    pub election_timeout_max_ms: u64,
    /// Period of the leader's heartbeat, which also carries batched appends.
    pub heartbeat_interval_ms: u64,
    /// Most entries one AppendEntries carries, so a follower far behind is
    /// caught up in bounded batches.
    pub max_entries_per_append: usize,
    /// How reads are made linearizable.
    pub read_mode: ReadMode,
}

impl Default for ClusterConfig {
    /// The timing of the Raft paper: election timeouts of 150–300 ms, and a
    /// heartbeat well inside the lower bound.
    fn default() -> ClusterConfig {
        ClusterConfig {
            cluster_size: 3,
            election_timeout_min_ms: 150,
            election_timeout_max_ms: 300,
            heartbeat_interval_ms: 50,
            max_entries_per_append: 64,
            read_mode: ReadMode::ReadIndex,
        }
    }
}

impl ClusterConfig {
    /// Votes (or acknowledgements) needed for a majority, counting oneself.
    pub fn quorum(&self) -> usize {
        self.cluster_size as usize / 2 + 1
    }

    /// Every node of the cluster except `me`.
    pub fn peers_of(&self, me: NodeId) -> impl Iterator<Item = NodeId> {
        (0..self.cluster_size).filter(move |&node| node != me)
    }

    /// Checks the settings make sense; the error says which does not.
    pub fn validate(&self) -> Result<(), String> {
        if self.cluster_size == 0 || self.cluster_size > 64 {
            return Err(format!(
                "cluster size must be 1..=64, found {}",
                self.cluster_size
            ));
        }
        if self.election_timeout_min_ms == 0
            || self.election_timeout_max_ms <= self.election_timeout_min_ms
        {
            return Err(format!(
                "election timeout range must be non-empty and positive, found {}..{} ms",
                self.election_timeout_min_ms, self.election_timeout_max_ms
            ));
        }
        if self.heartbeat_interval_ms == 0
            || self.heartbeat_interval_ms >= self.election_timeout_min_ms
        {
            return Err(format!(
                "heartbeat interval must be positive and below the election timeout ({} ms), found {} ms",
                self.election_timeout_min_ms, self.heartbeat_interval_ms
            ));
        }
        if self.max_entries_per_append == 0 {
            return Err("max entries per append must be at least 1".to_string());
        }
        Ok(())
    }
}
