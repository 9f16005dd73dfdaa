//! The plain numbers of the protocol.

/// A node's number within its cluster: nodes are `0..cluster_size`.
pub type NodeId = u32;

/// A Raft term. Terms start at 0 (no election has happened yet) and only grow.
pub type Term = u64;

/// A position in the log. The first entry is at index 1; index 0 is the empty
/// prefix, whose term is 0.
pub type LogIndex = u64;

/// The role a node plays in its current term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Passive: answers RPCs, redirects clients to the leader.
    Follower,
    /// Collecting votes for its term.
    Candidate,
    /// Replicates its log and serves clients for its term.
    Leader,
}
