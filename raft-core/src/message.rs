//! What nodes say to each other, and what they say to clients.

use crate::log::Entry;
use crate::types::{LogIndex, NodeId, Term};
pub use replica::protocol::{ClientReply, ClientRequest, ClientResponse};
use serde::{Deserialize, Serialize};

/// A message between two nodes. Every message carries its sender's current
/// term: that is how stale leaders and candidates find out they are stale.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The sender's current term when it sent the message.
    pub term: Term,
    /// The RPC.
    pub body: MessageBody,
}

/// Where a follower's log diverges, so the leader can skip a whole
/// conflicting term per round trip instead of one index (§5.3, "fast
/// back-up").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConflictHint {
    /// The term of the follower's entry at prevLogIndex, or `None` when the
    /// follower's log is too short to have one.
    pub term: Option<Term>,
    /// The first index of that term in the follower's log, or (when `term`
    /// is `None`) the follower's last index + 1.
    pub first_index: LogIndex,
}

/// The RPCs of Raft.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageBody {
    /// A candidate asks for a vote.
    RequestVote {
        /// Index of the candidate's last log entry.
        last_log_index: LogIndex,
        /// Term of the candidate's last log entry.
        last_log_term: Term,
    },
    /// The answer to a RequestVote.
    RequestVoteResponse {
        /// True when the vote was granted.
        vote_granted: bool,
    },
    /// The leader replicates entries; with no entries it is a heartbeat.
    AppendEntries {
        /// Index of the entry just before `entries`.
        prev_log_index: LogIndex,
        /// Term of that entry.
        prev_log_term: Term,
        /// Entries to store, possibly none.
        entries: Vec<Entry>,
        /// The leader's commitIndex.
        leader_commit: LogIndex,
        /// The leader's heartbeat round when it sent this: echoed in the
        /// response, it tells the leader which rounds a follower has
        /// acknowledged (for ReadIndex).
        round: u64,
    },
    /// The answer to an AppendEntries.
    AppendEntriesResponse {
        /// True when the consistency check passed and the entries are stored.
        success: bool,
        /// On success, the index up to which the follower's log now matches
        /// the leader's (prevLogIndex + number of entries).
        match_index: LogIndex,
        /// On a failed consistency check, where the follower's log
        /// diverges; none when the request was rejected for its stale term.
        conflict: Option<ConflictHint>,
        /// The term of the AppendEntries this answers. The reply itself
        /// carries the follower's term, which the sender may have reached
        /// since it sent the request: only this tells a leader whether the
        /// answer is about its current term's rounds and log.
        request_term: Term,
        /// The round of the AppendEntries this answers.
        round: u64,
    },
}
