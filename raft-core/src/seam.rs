//! raft-core as a system under test: [`Node`] behind the world's
//! [`Replica`] trait.
//!
//! The node already works the way the trait asks — a `Ready` per step
//! with its writes first — so this is translation only: persist the
//! `Ready`'s hard state and log writes to the disk the world hands in,
//! report its events in the trace's vocabulary, and pass on messages,
//! replies and timers.

use crate::bugs::BugSet;
use crate::config::Config;
use crate::log::Command;
use crate::message::Message;
use crate::node::{Input as NodeInput, Node};
use crate::ready::{DurableState, NodeEvent};
use rand_pcg::Pcg32;
use replica::{
    command_entry_id, Actions, ClusterConfig, EntryId, Input, NodeId, Replica, Status, TimerSlot,
    TraceKind,
};

/// raft-core's election timer.
pub const ELECTION_TIMER: TimerSlot = 0;
/// raft-core's heartbeat timer (a leader's only; a follower lets it lapse).
pub const HEARTBEAT_TIMER: TimerSlot = 1;

impl Replica for Node {
    type Message = Message;
    type Disk = DurableState;
    /// raft-core's planted bugs: the only setting it has beyond the cluster.
    type Options = BugSet;
    const TIMERS: usize = 2;

    fn validate(cluster: &ClusterConfig, bugs: &BugSet) -> Result<(), String> {
        Config {
            cluster: *cluster,
            bugs: *bugs,
        }
        .validate()
    }

    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        bugs: &BugSet,
        disk: &mut DurableState,
        rng: Pcg32,
        out: &mut Actions<Message>,
    ) -> Node {
        let config = Config {
            cluster: *cluster,
            bugs: *bugs,
        };
        let mut node = Node::restart(id, config, disk.clone(), rng);
        node.begin();
        node.hand_over(disk, out);
        node
    }

    fn step(&mut self, disk: &mut DurableState, input: Input<Message>, out: &mut Actions<Message>) {
        let input = match input {
            Input::Message { message, .. } => NodeInput::Message(message),
            Input::Timer(ELECTION_TIMER) => NodeInput::ElectionTimeout,
            Input::Timer(_) => NodeInput::HeartbeatDue,
            Input::Client(request) => NodeInput::Client(request),
        };
        self.handle(input);
        self.hand_over(disk, out);
    }

    fn status(&self) -> Status {
        Status {
            role: self.role(),
            term: self.current_term(),
            voted_for: self.voted_for(),
            last_log_index: self.log().last_index(),
        }
    }
}

impl Node {
    /// Persists the pending `Ready`, hands the rest to the world, and
    /// empties it for the next step, in place: a hot path moves nothing it
    /// does not have to.
    fn hand_over(&mut self, disk: &mut DurableState, out: &mut Actions<Message>) {
        disk.persist(&self.ready);
        // A node planted to forget its term on restart disagrees with its
        // disk until it next persists, and one planted to ack before it
        // persists holds log entries its disk does not.
        debug_assert!(
            (self.log().last_index() == disk.log.last_index()
                && self.current_term() == disk.hard_state.current_term)
                || !self.config().bugs.is_empty(),
            "n{}'s disk must match what it persisted",
            self.id()
        );
        let ready = &mut self.ready;
        out.observations
            .extend(ready.events.drain(..).map(trace_kind));
        out.messages.extend(
            ready
                .messages
                .drain(..)
                .map(|message| (message.to, message)),
        );
        out.replies.append(&mut ready.replies);
        if let Some(after_us) = ready.election_timer_us {
            out.set_timer(ELECTION_TIMER, after_us);
        }
        if let Some(after_us) = ready.heartbeat_timer_us {
            out.set_timer(HEARTBEAT_TIMER, after_us);
        }
        ready.clear();
    }
}

/// A node event in the trace's vocabulary.
fn trace_kind(event: NodeEvent) -> TraceKind {
    match event {
        NodeEvent::RoleChanged { role, term } => TraceKind::RoleChanged { role, term },
        NodeEvent::VoteGranted { term, candidate } => TraceKind::VoteGranted { term, candidate },
        NodeEvent::LogAppended {
            index,
            term,
            command,
        } => TraceKind::LogAppended {
            index,
            term,
            entry: entry_id(&command),
        },
        NodeEvent::LogTruncated {
            from_index,
            removed,
        } => TraceKind::LogTruncated {
            from_index,
            removed,
        },
        NodeEvent::CommitAdvanced { commit_index } => TraceKind::CommitAdvanced { commit_index },
        NodeEvent::Applied {
            index,
            term,
            command,
        } => TraceKind::Applied {
            index,
            term,
            entry: entry_id(&command),
        },
    }
}

/// The compact identity of a log entry's command, for the trace.
pub fn entry_id(command: &Command) -> EntryId {
    match command {
        Command::Noop => EntryId::Noop,
        Command::Client(command) => command_entry_id(command),
    }
}
