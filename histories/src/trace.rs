//! The cluster trace: what each Raft node did, in the order it did it.
//!
//! The world records one event each time a node's observable state changes.
//! The safety checkers read nothing else, so every fact an invariant needs is
//! here: roles with their terms, votes, every log append and truncation,
//! commit index advances, applied entries, crashes and restarts, and the
//! nemesis events that explain them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A node's number within its cluster, from 0.
pub type NodeId = u32;

/// The role a Raft node plays in a term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Passive: answers RPCs, redirects clients.
    Follower,
    /// Asking for votes in its term.
    Candidate,
    /// Won its term's election.
    Leader,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        })
    }
}

/// Which command a log entry carries, compactly: the client session that
/// issued it, or a leader's no-op. Two entries are the same command exactly
/// when their ids are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryId {
    /// The no-op a new leader appends in its term.
    Noop,
    /// A client command, by session: client id and sequence number.
    Command {
        /// The client session.
        client: u64,
        /// The request's sequence number within the session.
        seq: u64,
    },
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryId::Noop => f.write_str("noop"),
            EntryId::Command { client, seq } => write!(f, "c{client}.{seq}"),
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceKind {
    /// The node took this role in this term (also recorded when a follower
    /// only moves to a newer term).
    RoleChanged {
        /// The new role.
        role: Role,
        /// The node's current term after the change.
        term: u64,
    },
    /// The node granted its vote in `term` to `candidate`.
    VoteGranted {
        /// The term of the vote.
        term: u64,
        /// Who got it.
        candidate: NodeId,
    },
    /// The node wrote an entry at `index` of its log.
    LogAppended {
        /// Log index, from 1.
        index: u64,
        /// The entry's term.
        term: u64,
        /// The entry's command.
        entry: EntryId,
    },
    /// The node removed every entry at `from_index` and above.
    LogTruncated {
        /// First removed index.
        from_index: u64,
        /// How many entries were removed.
        removed: u64,
    },
    /// The node's commitIndex moved forward.
    CommitAdvanced {
        /// The new commitIndex.
        commit_index: u64,
    },
    /// The node applied the entry at `index` to its state machine.
    Applied {
        /// Log index.
        index: u64,
        /// The entry's term.
        term: u64,
        /// The entry's command.
        entry: EntryId,
    },
    /// The node crashed: its volatile state is gone.
    Crashed,
    /// The node restarted from its durable state.
    Restarted {
        /// currentTerm read from disk.
        term: u64,
        /// votedFor read from disk.
        voted_for: Option<NodeId>,
        /// Index of the last log entry read from disk.
        last_log_index: u64,
    },
    /// The node was frozen (SIGSTOP).
    Paused,
    /// The node was thawed (SIGCONT).
    Resumed,
    /// The node answered a client's read (`get`), so a stale read can be
    /// traced to the node that served it. Recorded by the world when the
    /// answer leaves the node, whether or not the client still waits for it.
    ReadServed {
        /// The client session (the Jepsen process).
        client: u64,
        /// The request's sequence number within the session.
        seq: u64,
    },
    /// A fault was injected or healed; `node` is `None` when it concerns the
    /// whole cluster.
    Nemesis {
        /// What the nemesis did, as a short phrase (`isolate n2`, `heal`).
        fault: String,
    },
}

/// One event of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Virtual time, in nanoseconds since the trial began.
    pub time_ns: u64,
    /// The node, or `None` for cluster-wide nemesis events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// What happened.
    pub event: TraceKind,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.time_ns / 1_000_000;
        let micros = (self.time_ns / 1_000) % 1_000;
        write!(f, "{millis:>6}.{micros:03}ms ")?;
        match self.node {
            Some(node) => write!(f, "n{node:<2} ")?,
            None => f.write_str("    ")?,
        }
        match &self.event {
            TraceKind::RoleChanged { role, term } => write!(f, "{role} in term {term}"),
            TraceKind::VoteGranted { term, candidate } => {
                write!(f, "votes for n{candidate} in term {term}")
            }
            TraceKind::LogAppended { index, term, entry } => {
                write!(f, "appends {entry} at {index} (term {term})")
            }
            TraceKind::LogTruncated {
                from_index,
                removed,
            } => {
                write!(f, "truncates {removed} entries from {from_index}")
            }
            TraceKind::CommitAdvanced { commit_index } => write!(f, "commits up to {commit_index}"),
            TraceKind::Applied { index, term, entry } => {
                write!(f, "applies {entry} at {index} (term {term})")
            }
            TraceKind::Crashed => f.write_str("crashes"),
            TraceKind::Restarted {
                term,
                voted_for,
                last_log_index,
            } => {
                write!(f, "restarts: term {term}, voted for ")?;
                match voted_for {
                    Some(v) => write!(f, "n{v}")?,
                    None => f.write_str("nobody")?,
                }
                write!(f, ", log up to {last_log_index}")
            }
            TraceKind::Paused => f.write_str("paused"),
            TraceKind::Resumed => f.write_str("resumed"),
            TraceKind::ReadServed { client, seq } => {
                write!(f, "serves a read to p{client} (request {seq})")
            }
            TraceKind::Nemesis { fault } => write!(f, "nemesis: {fault}"),
        }
    }
}

/// A whole cluster trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// Events in the order they happened.
    pub events: Vec<TraceEvent>,
}

impl Trace {
    /// Appends an event about `node`.
    pub fn record(&mut self, time_ns: u64, node: NodeId, event: TraceKind) {
        self.events.push(TraceEvent {
            time_ns,
            node: Some(node),
            event,
        });
    }

    /// Appends a cluster-wide nemesis event.
    pub fn record_nemesis(&mut self, time_ns: u64, fault: String) {
        self.events.push(TraceEvent {
            time_ns,
            node: None,
            event: TraceKind::Nemesis { fault },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_event_json_is_flat_and_tagged() {
        let event = TraceEvent {
            time_ns: 7,
            node: Some(2),
            event: TraceKind::LogAppended {
                index: 3,
                term: 2,
                entry: EntryId::Command { client: 4, seq: 9 },
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"time_ns":7,"node":2,"event":{"type":"log_appended","index":3,"term":2,"entry":{"command":{"client":4,"seq":9}}}}"#
        );
        assert_eq!(serde_json::from_str::<TraceEvent>(&json).unwrap(), event);
        assert_eq!(
            event.to_string(),
            "     0.000ms n2  appends c4.9 at 3 (term 2)"
        );
    }
}
