//! A Raft node: its state, its inputs, and the role transitions.
//!
//! The protocol itself is split by concern across sibling modules, each an
//! `impl Node` block: [`election`](crate::election) (votes and timeouts),
//! [`replication`](crate::replication) (AppendEntries on both sides),
//! [`commit`](crate::commit) (advancing commitIndex and applying),
//! [`client`](crate::client) (requests, redirects, ReadIndex reads).
//! This module holds the state they share and the three transitions of the
//! course material: `become_follower`, `become_candidate`, `become_leader`.

use crate::bugs::Bug;
use crate::config::Config;
use crate::kv::KvStore;
use crate::log::{Entry, RaftLog};
use crate::message::{ClientReply, ClientRequest, ClientResponse, Message};
use crate::ready::{DurableState, HardState, LogWrite, NodeEvent, Ready};
use crate::types::{LogIndex, NodeId, Role, Term};
use rand::Rng;
use rand_pcg::Pcg32;

/// One input to a node. A node is a function of the sequence of inputs it
/// has been given (and of the random stream it was built with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A message from a peer.
    Message(Message),
    /// The election timer fired.
    ElectionTimeout,
    /// The heartbeat timer fired.
    HeartbeatDue,
    /// A client request arrived.
    Client(ClientRequest),
}

/// What a leader knows about one follower's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Progress {
    /// Index of the next entry to send.
    pub next_index: LogIndex,
    /// Highest index known to match the leader's log.
    pub match_index: LogIndex,
    /// Highest heartbeat round the follower has answered in this term.
    pub acked_round: u64,
    /// The leader sends this follower nothing more in this term. Only the
    /// planted [`Bug::StopSendingAfterReject`] ever sets it.
    pub abandoned: bool,
}

/// A client write (or log read) waiting for its entry to be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PendingWrite {
    pub index: LogIndex,
    pub client: u64,
    pub seq: u64,
}

/// A ReadIndex read waiting for leadership confirmation and application.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PendingRead {
    pub client: u64,
    pub seq: u64,
    pub key: String,
    /// The commit index the read must observe.
    pub read_index: LogIndex,
    /// The heartbeat round that must reach a majority before answering: the
    /// first round started after the read arrived.
    pub round: u64,
}

/// State that exists only while a node leads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LeaderState {
    /// Per node (indexed by id; the leader's own slot is unused).
    pub progress: Vec<Progress>,
    /// Heartbeat rounds started in this term.
    pub round: u64,
    /// Index of this term's no-op: once committed, the leader's commit index
    /// covers everything committed before its term.
    pub term_start_index: LogIndex,
    /// Writes awaiting application, in index order.
    pub pending_writes: Vec<PendingWrite>,
    /// Reads awaiting confirmation.
    pub pending_reads: Vec<PendingRead>,
}

/// A Raft node.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) id: NodeId,
    pub(crate) config: Config,
    pub(crate) rng: Pcg32,

    // Durable: persisted through `Ready` before messages leave.
    pub(crate) current_term: Term,
    pub(crate) voted_for: Option<NodeId>,
    pub(crate) log: RaftLog,

    // Volatile.
    pub(crate) role: Role,
    pub(crate) leader_hint: Option<NodeId>,
    /// Set by a valid AppendEntries or a granted vote, cleared by each
    /// election timeout: a timeout with it unset starts an election.
    pub(crate) heard_from_leader: bool,
    pub(crate) commit_index: LogIndex,
    pub(crate) last_applied: LogIndex,
    pub(crate) kv: KvStore,
    /// Votes received in the current election, one bit per node.
    pub(crate) votes: u64,
    pub(crate) leader: Option<LeaderState>,
    /// Log writes made in memory but not yet handed to the disk: always
    /// empty, except under the planted [`Bug::AckBeforePersist`], which
    /// defers a step's writes to the next step.
    pub(crate) unsynced: Vec<LogWrite>,

    pub(crate) ready: Ready,
}

impl Node {
    /// A fresh node (term 0, empty log), as a follower. `rng` drives its
    /// randomized election timeouts; give each node its own seeded stream.
    ///
    /// # Panics
    /// If `config` is invalid or `id` is not in the cluster: both are
    /// programming errors of the embedder, checked once here.
    pub fn new(id: NodeId, config: Config, rng: Pcg32) -> Node {
        Node::restart(id, config, DurableState::default(), rng)
    }

    /// A node coming back from a crash: term, vote and log from `durable`,
    /// everything else (role, commit index, state machine) starts over.
    pub fn restart(id: NodeId, config: Config, durable: DurableState, rng: Pcg32) -> Node {
        if let Err(problem) = config.validate() {
            panic!("invalid cluster config: {problem}");
        }
        assert!(
            id < config.cluster.cluster_size,
            "node {id} is not in the cluster"
        );
        let mut hard_state = durable.hard_state;
        if config.bugs.has(Bug::ForgetVoteOnRestart) {
            hard_state.voted_for = None;
        }
        if config.bugs.has(Bug::ForgetTermOnRestart) {
            hard_state = HardState::default();
        }
        Node {
            id,
            config,
            rng,
            current_term: hard_state.current_term,
            voted_for: hard_state.voted_for,
            log: durable.log,
            role: Role::Follower,
            leader_hint: None,
            heard_from_leader: false,
            commit_index: 0,
            last_applied: 0,
            kv: KvStore::default(),
            votes: 0,
            leader: None,
            unsynced: Vec::new(),
            ready: Ready::default(),
        }
    }

    /// Starts the node's timers. Call once after [`Node::new`] or
    /// [`Node::restart`].
    pub fn start(&mut self) -> Ready {
        self.arm_election_timer();
        self.take_ready()
    }

    /// Arms the first election timer, leaving the request pending.
    pub(crate) fn begin(&mut self) {
        self.arm_election_timer();
    }

    /// Feeds one input and returns what the node wants done.
    pub fn step(&mut self, input: Input) -> Ready {
        self.handle(input);
        self.take_ready()
    }

    /// Feeds one input, leaving what the node wants done in its pending
    /// `Ready` (the seam hands it over from there without moving it).
    pub(crate) fn handle(&mut self, input: Input) {
        self.flush_unsynced();
        match input {
            Input::Message(message) => self.receive(message),
            Input::ElectionTimeout => self.election_timeout(),
            Input::HeartbeatDue => self.heartbeat(),
            Input::Client(request) => self.client_request(request),
        }
    }

    /// Takes what the node has asked for since the last call.
    pub fn take_ready(&mut self) -> Ready {
        std::mem::take(&mut self.ready)
    }

    /// Gives back a `Ready` the embedder has carried out, so the next step
    /// reuses its buffers instead of allocating new ones. Optional: a hot
    /// loop saves an allocation per step with it.
    pub fn recycle(&mut self, mut ready: Ready) {
        if self.ready.is_empty() {
            ready.clear();
            // Swap rather than assign: what leaves is the empty Ready that
            // `take_ready` left behind, and it drops without freeing.
            std::mem::swap(&mut self.ready, &mut ready);
        }
    }

    fn receive(&mut self, message: Message) {
        debug_assert_eq!(message.to, self.id, "message delivered to the wrong node");
        use crate::message::MessageBody::*;
        match message.body {
            RequestVote {
                last_log_index,
                last_log_term,
            } => {
                self.handle_request_vote(message.from, message.term, last_log_index, last_log_term)
            }
            RequestVoteResponse { vote_granted } => {
                self.handle_vote_response(message.from, message.term, vote_granted)
            }
            AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            } => self.handle_append_entries(
                message.from,
                message.term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            ),
            AppendEntriesResponse {
                success,
                match_index,
                conflict,
                request_term,
                round,
            } => self.handle_append_response(
                message.from,
                message.term,
                success,
                match_index,
                conflict,
                request_term,
                round,
            ),
        }
    }

    // ---- Role transitions -------------------------------------------------

    /// Becomes a passive follower in `term` (which must not be older than
    /// the current one). Moving to a newer term forgets the vote, since
    /// votes are per term. A leader stepping down tells its waiting clients
    /// to look elsewhere.
    pub fn become_follower(&mut self, term: Term) {
        debug_assert!(term >= self.current_term, "terms never go backwards");
        let changed = term != self.current_term || self.role != Role::Follower;
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.leader_hint = None;
            self.persist_hard_state();
        }
        self.abandon_leadership();
        self.role = Role::Follower;
        self.votes = 0;
        if changed {
            self.note_role();
        }
    }

    /// Becomes a candidate: a new term, a vote for itself, a RequestVote to
    /// every peer, and a fresh randomized timeout for this election.
    pub fn become_candidate(&mut self) {
        self.abandon_leadership();
        self.current_term += 1;
        self.role = Role::Candidate;
        self.voted_for = Some(self.id);
        self.leader_hint = None;
        self.votes = 1 << self.id;
        self.persist_hard_state();
        self.note_role();
        self.arm_election_timer();
        self.request_votes();
        if self.has_quorum(self.votes) {
            self.become_leader();
        }
    }

    /// Becomes leader of the current term: resets what it knows of each
    /// follower, appends a no-op of its term (so it can commit, §5.4.2),
    /// and asserts its leadership at once with AppendEntries to every peer.
    pub fn become_leader(&mut self) {
        self.role = Role::Leader;
        self.leader_hint = Some(self.id);
        self.votes = 0;
        let next_index = self.log.last_index() + 1;
        self.leader = Some(LeaderState {
            progress: vec![
                Progress {
                    next_index,
                    match_index: 0,
                    acked_round: 0,
                    abandoned: false,
                };
                self.config.cluster.cluster_size as usize
            ],
            round: 0,
            term_start_index: next_index,
            pending_writes: Vec::new(),
            pending_reads: Vec::new(),
        });
        self.note_role();
        self.append_to_own_log(Entry::noop(self.current_term));
        self.broadcast_append_entries();
        self.arm_heartbeat_timer();
        self.advance_leader_commit();
    }

    /// Drops leader state, redirecting every client still waiting on it.
    fn abandon_leadership(&mut self) {
        let Some(leader) = self.leader.take() else {
            return;
        };
        let redirect = ClientResponse::Redirect {
            leader_hint: self.leader_hint.filter(|&hint| hint != self.id),
        };
        let waiting = leader
            .pending_writes
            .iter()
            .map(|write| (write.client, write.seq))
            .chain(
                leader
                    .pending_reads
                    .iter()
                    .map(|read| (read.client, read.seq)),
            );
        for (client, seq) in waiting {
            self.ready.replies.push(ClientReply {
                client,
                seq,
                response: redirect.clone(),
            });
        }
    }

    // ---- Shared helpers ---------------------------------------------------

    /// True when `votes` (one bit per node) is a majority of the cluster.
    pub(crate) fn has_quorum(&self, votes: u64) -> bool {
        votes.count_ones() as usize >= self.config.cluster.quorum()
    }

    pub(crate) fn persist_hard_state(&mut self) {
        self.ready.hard_state = Some(HardState {
            current_term: self.current_term,
            voted_for: self.voted_for,
        });
    }

    /// Hands deferred log writes (see [`Node::unsynced`]) to the disk
    /// ahead of anything this step writes, so the disk sees every write in
    /// log order.
    fn flush_unsynced(&mut self) {
        if !self.unsynced.is_empty() {
            let deferred = std::mem::take(&mut self.unsynced);
            self.ready.log_writes.splice(0..0, deferred);
        }
    }

    /// Appends to this node's log and asks for the write to be persisted.
    pub(crate) fn append_to_own_log(&mut self, entry: Entry) -> LogIndex {
        self.flush_unsynced();
        let index = self.log.push(entry.clone());
        self.ready.events.push(NodeEvent::LogAppended {
            index,
            term: entry.term,
            command: entry.command.clone(),
        });
        self.ready
            .log_writes
            .push(LogWrite::Append { index, entry });
        index
    }

    /// Truncates this node's log from `from_index` and asks for it to be
    /// persisted.
    pub(crate) fn truncate_own_log(&mut self, from_index: LogIndex) {
        debug_assert!(
            from_index > self.commit_index || !self.config.bugs.is_empty(),
            "a correct node never truncates committed entries"
        );
        self.flush_unsynced();
        let removed = self.log.truncate_from(from_index);
        if removed > 0 {
            self.ready
                .log_writes
                .push(LogWrite::Truncate { from_index });
            self.ready.events.push(NodeEvent::LogTruncated {
                from_index,
                removed,
            });
        }
    }

    pub(crate) fn note_role(&mut self) {
        self.ready.events.push(NodeEvent::RoleChanged {
            role: self.role,
            term: self.current_term,
        });
    }

    pub(crate) fn send(&mut self, to: NodeId, body: crate::message::MessageBody) {
        self.ready.messages.push(Message {
            from: self.id,
            to,
            term: self.current_term,
            body,
        });
    }

    /// Arms the election timer with a fresh random timeout (§5.2: random
    /// timeouts make split votes rare and short-lived).
    pub(crate) fn arm_election_timer(&mut self) {
        let min_us = self.config.cluster.election_timeout_min_ms * 1_000;
        let max_us = self.config.cluster.election_timeout_max_ms * 1_000;
        let timeout_us = if self.config.bugs.has(Bug::FixedElectionTimeout) {
            min_us // planted: the same timeout on every node, every time
        } else {
            self.rng.gen_range(min_us..max_us)
        };
        self.ready.election_timer_us = Some(timeout_us);
    }

    pub(crate) fn arm_heartbeat_timer(&mut self) {
        self.ready.heartbeat_timer_us = Some(self.config.cluster.heartbeat_interval_ms * 1_000);
    }

    // ---- Read-only accessors ---------------------------------------------

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The cluster configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current term.
    pub fn current_term(&self) -> Term {
        self.current_term
    }

    /// The vote cast in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    /// The log.
    pub fn log(&self) -> &RaftLog {
        &self.log
    }

    /// The highest index known to be committed.
    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }

    /// The highest index applied to the state machine.
    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }

    /// The node this one believes leads the current term.
    pub fn leader_hint(&self) -> Option<NodeId> {
        self.leader_hint
    }

    /// The state machine.
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    /// The durable part of the state, as the node itself sees it (the
    /// embedder's disk must equal this after persisting every `Ready`).
    pub fn durable_state(&self) -> DurableState {
        DurableState {
            hard_state: HardState {
                current_term: self.current_term,
                voted_for: self.voted_for,
            },
            log: self.log.clone(),
        }
    }

    /// As leader: the (next_index, match_index) it holds for `peer`.
    pub fn progress_of(&self, peer: NodeId) -> Option<(LogIndex, LogIndex)> {
        let progress = self.leader.as_ref()?.progress.get(peer as usize)?;
        Some((progress.next_index, progress.match_index))
    }

    /// As leader: the highest heartbeat round `peer` has acknowledged in
    /// this term.
    pub fn acked_round_of(&self, peer: NodeId) -> Option<u64> {
        Some(
            self.leader
                .as_ref()?
                .progress
                .get(peer as usize)?
                .acked_round,
        )
    }

    /// As leader: reads waiting for leadership confirmation or application.
    pub fn pending_reads(&self) -> usize {
        self.leader
            .as_ref()
            .map_or(0, |leader| leader.pending_reads.len())
    }
}
