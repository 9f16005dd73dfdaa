//! The trait through which the world drives one node of any Raft.
//!
//! The shape follows stateright's actors (`on_msg` writing commands into an
//! `Out` buffer) and raft-rs's `Ready` (persist, then send): a replica is
//! handed one input at a time and answers by writing into [`Actions`], a
//! buffer the world owns and reuses, so a step allocates nothing of its own
//! for its answer.

use crate::cluster::ClusterConfig;
use crate::protocol::{ClientReply, ClientRequest};
use crate::types::{LogIndex, NodeId, Role, Term};
use histories::TraceKind;
use rand_pcg::Pcg32;
use std::fmt;

/// One of a replica's own timers, numbered by the replica from 0 to
/// [`Replica::TIMERS`] − 1 (raft-core: election and heartbeat; a tick-based
/// Raft: one tick timer).
pub type TimerSlot = u8;

/// One input to a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<M> {
    /// A peer's message arrived (possibly late, duplicated or reordered:
    /// the network is the nemesis').
    Message {
        /// Who sent it.
        from: NodeId,
        /// What it says, in the system's own type.
        message: M,
    },
    /// A timer the replica armed fired. Under clock skew it fires early or
    /// late in virtual time, as a fast or slow clock would make it.
    Timer(TimerSlot),
    /// A client request arrived.
    Client(ClientRequest),
}

/// What a replica wants done after one step. The world carries the parts
/// out in this order: it records the observations, sends the messages,
/// routes the replies, then arms the timers.
#[derive(Clone, Debug)]
pub struct Actions<M> {
    /// Messages to send, with their receivers. They leave only after the
    /// step returned, that is after everything the step wrote to its disk
    /// is durable.
    pub messages: Vec<(NodeId, M)>,
    /// Answers to clients, in the common protocol.
    pub replies: Vec<ClientReply>,
    /// What changed, in the order it changed, for the trace the checker
    /// judges (see [`Replica`] for what each kind means).
    pub observations: Vec<TraceKind>,
    /// Timers to arm (`Some(after_us)`, replacing a pending deadline) or
    /// cancel (`None`).
    pub timers: Vec<(TimerSlot, Option<u64>)>,
}

impl<M> Default for Actions<M> {
    fn default() -> Actions<M> {
        Actions {
            messages: Vec::new(),
            replies: Vec::new(),
            observations: Vec::new(),
            timers: Vec::new(),
        }
    }
}

impl<M> Actions<M> {
    /// Sends `message` to `to` once the step's writes are durable.
    pub fn send(&mut self, to: NodeId, message: M) {
        self.messages.push((to, message));
    }

    /// Answers a client.
    pub fn reply(&mut self, reply: ClientReply) {
        self.replies.push(reply);
    }

    /// Reports a change for the trace.
    pub fn observe(&mut self, what: TraceKind) {
        self.observations.push(what);
    }

    /// Arms `timer` to fire after `after_us` microseconds of the node's
    /// clock, replacing any pending deadline of that timer.
    pub fn set_timer(&mut self, timer: TimerSlot, after_us: u64) {
        self.timers.push((timer, Some(after_us)));
    }

    /// Disarms `timer`.
    pub fn cancel_timer(&mut self, timer: TimerSlot) {
        self.timers.push((timer, None));
    }

    /// True when nothing was asked for.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
            && self.replies.is_empty()
            && self.observations.is_empty()
            && self.timers.is_empty()
    }
}

/// What a node says of itself when asked: for the trace's restart record,
/// for faults aimed at the leader, and for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// Its role now.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Whom it voted for in `term`.
    pub voted_for: Option<NodeId>,
    /// The index of its last log entry.
    pub last_log_index: LogIndex,
}

/// One node of a Raft under test, as the simulated world drives it.
///
/// # The contract
///
/// **Disk.** The world keeps one [`Replica::Disk`] per node: empty
/// (`Default`) before the first boot, and across a crash exactly what the
/// node wrote to it. A step may write to the disk it is handed; whatever it
/// wrote is durable when the step returns, and only then do the step's
/// messages leave and its replies go out (the rule of Raft's Figure 2:
/// respond to RPCs only after updating stable storage). A crash happens
/// between two steps and loses everything the replica holds in memory. A
/// replica must not keep the disk (or a handle to it) for writing outside
/// a step, except through a shared handle it documents as its disk.
///
/// **Time.** A replica reads no clock. It asks for timers through
/// [`Actions::set_timer`]; the world fires them in virtual time, scaled by
/// the node's clock skew, and holds them (with messages and requests) while
/// the node is paused. Randomness comes only from the `rng` handed to
/// [`Replica::boot`], a stream of its own per node and incarnation.
///
/// **Clients.** Requests and replies follow [`crate::protocol`]: sessions,
/// redirects with a leader hint, silence allowed.
///
/// **Observations.** The checker judges the trace, whoever made it, so a
/// replica reports each of these the moment it happens, in order:
/// - `RoleChanged { role, term }`: it became follower, candidate or leader,
///   or moved to a newer term as follower.
/// - `VoteGranted { term, candidate }`: it granted its vote to another
///   node, once its disk holds the vote. A candidate's vote for itself is
///   implied by its `RoleChanged` to candidate (reporting it as well is
///   harmless).
/// - `LogAppended { index, term, entry }` and `LogTruncated { from_index,
///   removed }`: its log changed, in the order of the changes. The entry id
///   names the client session and sequence number of a command, or `noop`.
/// - `CommitAdvanced { commit_index }`: its commit index grew.
/// - `Applied { index, term, entry }`: it applied that entry to its state
///   machine, in log order.
///
/// The world records crashes, restarts, pauses and nemesis events itself;
/// a replica that reports one of those is broken and the world says so.
pub trait Replica: Sized {
    /// What nodes of this system say to each other. Cloned when the network
    /// duplicates a message.
    type Message: Clone + fmt::Debug;
    /// What survives a crash.
    type Disk: Default;
    /// The system's own settings beyond [`ClusterConfig`]: protocol options,
    /// planted bugs. Shared by the nodes of a trial and across threads.
    type Options: Clone + fmt::Debug + Send + Sync;
    /// How many timers a node uses (slots `0..TIMERS`).
    const TIMERS: usize;

    /// Checks that this system can be the cluster asked for, with these
    /// options (say what it cannot do: "raft-core has no lease reads").
    fn validate(cluster: &ClusterConfig, options: &Self::Options) -> Result<(), String> {
        let _ = options;
        cluster.validate()
    }

    /// Starts node `id` from what its disk holds (nothing the first time)
    /// and writes what it wants done first (typically: arm the election
    /// timer) into `out`.
    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        options: &Self::Options,
        disk: &mut Self::Disk,
        rng: Pcg32,
        out: &mut Actions<Self::Message>,
    ) -> Self;

    /// Takes one input and writes what it wants done into `out`.
    fn step(
        &mut self,
        disk: &mut Self::Disk,
        input: Input<Self::Message>,
        out: &mut Actions<Self::Message>,
    );

    /// Its role, term, vote and last log index now.
    fn status(&self) -> Status;
}
