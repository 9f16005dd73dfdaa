//! What a node wants done after one step, and the durable state it keeps.
//!
//! A node never performs I/O. Each step returns a [`Ready`]: state to
//! persist, messages to send, replies to clients, timers to arm, and the
//! events an observer (the simulated world's trace) wants to know about.
//! The embedder must persist `hard_state` and `log_writes` *before* it sends
//! any of `messages`: a vote or an acknowledgement must never leave a node
//! whose disk does not yet hold what it promises.

use crate::log::{Command, Entry, RaftLog};
use crate::message::{ClientReply, Message};
use crate::types::{LogIndex, NodeId, Role, Term};
use serde::{Deserialize, Serialize};

/// The part of a node's state that must survive a crash besides the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term the node has seen.
    pub current_term: Term,
    /// Whom the node voted for in `current_term`, if anyone.
    pub voted_for: Option<NodeId>,
}

/// A change to the durable log, in the order it must be applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LogWrite {
    /// Remove every entry at `from_index` and above.
    Truncate {
        /// First index removed.
        from_index: LogIndex,
    },
    /// Store `entry` at `index` (always the log's next index).
    Append {
        /// Where the entry goes.
        index: LogIndex,
        /// The entry.
        entry: Entry,
    },
}

/// Something an observer should know about a step, in the order it
/// happened. Log changes appear here too (as well as in
/// [`Ready::log_writes`], which is what to persist) because their order
/// relative to role changes matters: a leader that steps down and then
/// truncates is legal, one that truncates while leading is not.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeEvent {
    /// An entry was written at `index`.
    LogAppended {
        /// Where.
        index: LogIndex,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        command: Command,
    },
    /// Every entry at `from_index` and above was removed.
    LogTruncated {
        /// First index removed.
        from_index: LogIndex,
        /// How many entries went.
        removed: u64,
    },
    /// The node's role or term changed.
    RoleChanged {
        /// The new role.
        role: Role,
        /// The node's term after the change.
        term: Term,
    },
    /// The node voted for `candidate` in `term`.
    VoteGranted {
        /// The term of the vote.
        term: Term,
        /// The candidate.
        candidate: NodeId,
    },
    /// commitIndex moved forward to `commit_index`.
    CommitAdvanced {
        /// The new commitIndex.
        commit_index: LogIndex,
    },
    /// The entry at `index` was applied to the state machine.
    Applied {
        /// The entry's index.
        index: LogIndex,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        command: Command,
    },
}

/// Everything one step asks of the embedder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ready {
    /// New term and vote to persist, if they changed.
    pub hard_state: Option<HardState>,
    /// Log changes to persist, in order.
    pub log_writes: Vec<LogWrite>,
    /// Messages to send once the above is durable.
    pub messages: Vec<Message>,
    /// Answers to clients.
    pub replies: Vec<ClientReply>,
    /// What happened, in order, for observers.
    pub events: Vec<NodeEvent>,
    /// Arm (or re-arm, replacing the pending one) the election timer to fire
    /// after this many microseconds.
    pub election_timer_us: Option<u64>,
    /// Arm (or re-arm) the heartbeat timer to fire after this many
    /// microseconds.
    pub heartbeat_timer_us: Option<u64>,
}

impl Ready {
    /// True when the step asked for nothing at all.
    pub fn is_empty(&self) -> bool {
        self.hard_state.is_none()
            && self.log_writes.is_empty()
            && self.messages.is_empty()
            && self.replies.is_empty()
            && self.events.is_empty()
            && self.election_timer_us.is_none()
            && self.heartbeat_timer_us.is_none()
    }

    /// Empties every part, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.hard_state = None;
        self.log_writes.clear();
        self.messages.clear();
        self.replies.clear();
        self.events.clear();
        self.election_timer_us = None;
        self.heartbeat_timer_us = None;
    }
}

/// What a node keeps on disk: its hard state and its log. The embedder
/// applies each [`Ready`] to it, and a restarted node is built from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DurableState {
    /// Term and vote.
    pub hard_state: HardState,
    /// The log.
    pub log: RaftLog,
}

impl DurableState {
    /// Writes what `ready` asks to persist.
    pub fn persist(&mut self, ready: &Ready) {
        if let Some(hard_state) = ready.hard_state {
            self.hard_state = hard_state;
        }
        for write in &ready.log_writes {
            match write {
                LogWrite::Truncate { from_index } => {
                    self.log.truncate_from(*from_index);
                }
                LogWrite::Append { index, entry } => {
                    let pushed = self.log.push(entry.clone());
                    debug_assert_eq!(pushed, *index, "log writes must append at the end");
                }
            }
        }
    }
}
