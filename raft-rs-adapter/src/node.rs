//! [`RaftRsNode`]: a raft-rs `RawNode` behind the world's [`Replica`]
//! trait — booting from the disk, feeding it inputs, serving clients.
//!
//! Each step makes one call into raft-rs (`tick`, `step`, `propose` or
//! `read_index`), then settles: takes the election timeout back from
//! `thread_rng` (see `timeout.rs`), reports role changes, and handles every
//! `Ready` the call produced (see `ready.rs`).

use crate::bugs::Bug;
use crate::codec::{encode_command, encode_read_context};
use crate::disk::RaftRsDisk;
use crate::ids::{node_id, raft_id};
use crate::observe::{trace_role, RoleTracker};
use crate::options::RaftRsOptions;
use crate::pending::{PendingRequests, ReadStage};
use crate::ticks::TickTiming;
use crate::timeout::ElectionTimeouts;
use raft::eraftpb::Message;
use raft::storage::MemStorage;
use raft::{RawNode, StateRole};
use rand_pcg::Pcg32;
use replica::{
    Actions, ClientCommand, ClientReply, ClientRequest, ClientResponse, ClusterConfig, Input, KvOp,
    KvStore, LogIndex, NodeId, ReadMode, Replica, Role, Status, TimerSlot, TraceKind,
};

/// The node's one timer: raft-rs's logical clock, firing every tick.
pub const TICK_TIMER: TimerSlot = 0;

/// One node of tikv/raft-rs, driven through `RawNode`, with raft-rs's
/// `MemStorage` as its disk and raftstorm's key-value store as its state
/// machine.
pub struct RaftRsNode {
    pub(crate) id: NodeId,
    pub(crate) raw: RawNode<MemStorage>,
    pub(crate) options: RaftRsOptions,
    read_mode: ReadMode,
    timeouts: ElectionTimeouts,
    roles: RoleTracker,
    /// The state machine: volatile, rebuilt from the log at each boot.
    pub(crate) store: KvStore,
    /// The last entry applied to `store`.
    pub(crate) applied: LogIndex,
    pub(crate) pending: PendingRequests,
}

impl Replica for RaftRsNode {
    type Message = Message;
    type Disk = RaftRsDisk;
    type Options = RaftRsOptions;
    const TIMERS: usize = 1;

    fn validate(cluster: &ClusterConfig, options: &RaftRsOptions) -> Result<(), String> {
        options.validate(cluster)
    }

    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        options: &RaftRsOptions,
        disk: &mut RaftRsDisk,
        rng: Pcg32,
        out: &mut Actions<Message>,
    ) -> RaftRsNode {
        if disk.is_initialized() {
            disk.lose_unsynced();
            if options.bugs.has(Bug::ForgetHardStateOnRestart) {
                disk.forget_hard_state();
            }
        } else {
            disk.initialize((0..cluster.cluster_size).map(raft_id).collect());
        }
        let mut node = RaftRsNode::new(id, cluster, options, disk, rng);
        // The KvStore starts empty at applied 0 and catches up by applying
        // the committed prefix again; say how far that prefix goes first,
        // so that applied never runs ahead of the reported commit index.
        let commit_index = disk.hard_state().commit;
        if commit_index > 0 {
            out.observe(TraceKind::CommitAdvanced { commit_index });
        }
        out.set_timer(TICK_TIMER, TickTiming::tick_us());
        node.settle(disk, out);
        node
    }

    fn step(&mut self, disk: &mut RaftRsDisk, input: Input<Message>, out: &mut Actions<Message>) {
        // The previous step's writes are synced by now, whatever the bugs
        // (only `send-before-persist` leaves any unsynced).
        disk.sync();
        match input {
            Input::Message { message, .. } => {
                // Errors are raft-rs declining a message (a response from a
                // peer it does not know, a local message type): dropped.
                let _ = self.raw.step(message);
            }
            Input::Timer(_) => {
                self.raw.tick();
                out.set_timer(TICK_TIMER, TickTiming::tick_us());
            }
            Input::Client(request) => self.serve(request, out),
        }
        self.settle(disk, out);
    }

    fn status(&self) -> Status {
        let raft = &self.raw.raft;
        Status {
            role: trace_role(raft.state).unwrap_or(Role::Follower),
            term: raft.term,
            voted_for: node_id(raft.vote),
            last_log_index: raft.raft_log.last_index(),
        }
    }
}

impl RaftRsNode {
    /// A `RawNode` over exactly what the disk holds: hard state, entries
    /// and configuration, read back by raft-rs through `Storage`.
    fn new(
        id: NodeId,
        cluster: &ClusterConfig,
        options: &RaftRsOptions,
        disk: &RaftRsDisk,
        rng: Pcg32,
    ) -> RaftRsNode {
        let config = options.raft_config(id, cluster);
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raw = RawNode::new(&config, disk.storage(), &logger)
            .unwrap_or_else(|err| panic!("raft-rs rejected n{id}'s configuration: {err}"));
        let timing = TickTiming::of(cluster).unwrap_or(TickTiming::FALLBACK);
        let term = raw.raft.term;
        RaftRsNode {
            id,
            raw,
            options: *options,
            read_mode: cluster.read_mode,
            timeouts: ElectionTimeouts::new(
                rng,
                timing.election_min_ticks,
                timing.election_max_ticks,
            ),
            roles: RoleTracker::booted(term),
            store: KvStore::default(),
            applied: 0,
            pending: PendingRequests::default(),
        }
    }

    /// The state machine (for tests).
    pub fn store(&self) -> &KvStore {
        &self.store
    }

    /// The index of the last entry applied (for tests).
    pub fn applied_index(&self) -> LogIndex {
        self.applied
    }

    /// The raft-rs node (for tests).
    pub fn raw_node(&self) -> &RawNode<MemStorage> {
        &self.raw
    }

    /// Everything that follows a call into raft-rs, until nothing is left.
    fn settle(&mut self, disk: &mut RaftRsDisk, out: &mut Actions<Message>) {
        loop {
            self.timeouts.take_over(&mut self.raw);
            self.observe_role(out);
            self.handle_readies(disk, out);
            if !self.request_deferred_reads() {
                return;
            }
        }
    }

    /// Reports a role or term change; a leader that stopped leading
    /// redirects everything it still owes an answer (the requests may
    /// commit yet, which a redirect allows).
    fn observe_role(&mut self, out: &mut Actions<Message>) {
        let leading_before = self.roles.leading_term();
        let (state, term) = (self.raw.raft.state, self.raw.raft.term);
        self.roles.update(state, term, |kind| out.observe(kind));
        if leading_before.is_some() && self.roles.leading_term() != leading_before {
            let leader_hint = self.leader_hint();
            for (client, seq) in self.pending.drain() {
                out.reply(ClientReply {
                    client,
                    seq,
                    response: ClientResponse::Redirect { leader_hint },
                });
            }
        }
    }

    /// The node raft-rs believes leads, unless it is this one.
    fn leader_hint(&self) -> Option<NodeId> {
        node_id(self.raw.raft.leader_id).filter(|&leader| leader != self.id)
    }

    /// Answers a client: redirect unless leading, else propose or read.
    fn serve(&mut self, request: ClientRequest, out: &mut Actions<Message>) {
        let (client, seq) = (request.client, request.seq);
        let reply = |response| ClientReply {
            client,
            seq,
            response,
        };
        if self.raw.raft.state != StateRole::Leader {
            let leader_hint = self.leader_hint();
            out.reply(reply(ClientResponse::Redirect { leader_hint }));
            return;
        }
        // A retry of a request already applied: its session remembers.
        if let Some(result) = self.store.session_result(client, seq) {
            out.reply(reply(ClientResponse::Done(result.clone())));
            return;
        }
        match request.op {
            KvOp::Get { key } if self.read_mode != ReadMode::Log => {
                self.read(client, seq, key, out)
            }
            op => self.propose(ClientCommand { client, seq, op }, out),
        }
    }

    /// Proposes a command as a log entry, answered when applied.
    fn propose(&mut self, command: ClientCommand, out: &mut Actions<Message>) {
        let request = (command.client, command.seq);
        if self.pending.is_proposed(request) {
            return; // a retry: the entry is in this leader's log already
        }
        match self.raw.propose(Vec::new(), encode_command(&command)) {
            Ok(()) => self.pending.propose(request),
            // raft-rs drops proposals during a leadership transfer or past
            // its uncommitted-size limit: not here, try elsewhere.
            Err(_) => out.reply(ClientReply {
                client: command.client,
                seq: command.seq,
                response: ClientResponse::Redirect { leader_hint: None },
            }),
        }
    }

    /// Starts a ReadIndex (or lease) read, answered in `ready.rs` once its
    /// `ReadState` came and the state machine caught up with it.
    fn read(&mut self, client: u64, seq: u64, key: String, out: &mut Actions<Message>) {
        if self.options.bugs.has(Bug::ReadWithoutReadState) {
            let result = self.store.read(&key);
            out.reply(ClientReply {
                client,
                seq,
                response: ClientResponse::Done(result),
            });
            return;
        }
        if self.pending.read((client, seq)).is_some() {
            return; // a retry of a read under way
        }
        if self.raw.raft.commit_to_current_term() {
            self.pending
                .add_read((client, seq), key, ReadStage::Requested);
            self.raw.read_index(encode_read_context(client, seq));
        } else {
            self.pending
                .add_read((client, seq), key, ReadStage::Deferred);
        }
    }

    /// Hands deferred reads to raft-rs once the leader has committed an
    /// entry of its term. True when it called into raft-rs.
    fn request_deferred_reads(&mut self) -> bool {
        if self.raw.raft.state != StateRole::Leader
            || !self.pending.has_deferred()
            || !self.raw.raft.commit_to_current_term()
        {
            return false;
        }
        for (client, seq) in self.pending.take_deferred() {
            self.raw.read_index(encode_read_context(client, seq));
        }
        true
    }
}
