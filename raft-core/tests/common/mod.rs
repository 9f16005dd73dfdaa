//! A tiny hand-cranked network for driving raft-core nodes in tests, in
//! the style of the course material: call a transition, then deliver every
//! pending message, then assert. Nothing here is random except each node's
//! own seeded timeout stream.

#![allow(dead_code)]

use raft_core::*;
use rand::SeedableRng;
use rand_pcg::Pcg32;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// Nodes, their disks, the messages in flight and everything they said.
pub struct Cluster {
    pub config: Config,
    pub nodes: Vec<Node>,
    pub disks: Vec<DurableState>,
    pub crashed: BTreeSet<NodeId>,
    /// Nodes cut off from everyone else: their messages are dropped.
    pub isolated: BTreeSet<NodeId>,
    pub inflight: VecDeque<Message>,
    pub replies: Vec<(NodeId, ClientReply)>,
    pub events: Vec<(NodeId, NodeEvent)>,
    /// Every message ever sent, for assertions about traffic.
    pub sent: Vec<Message>,
}

pub fn rng_for(node: NodeId) -> Pcg32 {
    Pcg32::seed_from_u64(0x5eed_0000 + node as u64)
}

impl Cluster {
    /// `size` fresh nodes with the default timing.
    pub fn new(size: u32) -> Cluster {
        Cluster::with_config(Config::sized(size))
    }

    pub fn with_config(config: Config) -> Cluster {
        let disks = vec![DurableState::default(); config.cluster.cluster_size as usize];
        Cluster::from_disks(config, disks)
    }

    /// Nodes restarted from the given durable states (for the figures).
    pub fn from_disks(config: Config, disks: Vec<DurableState>) -> Cluster {
        assert_eq!(disks.len(), config.cluster.cluster_size as usize);
        let nodes = disks
            .iter()
            .enumerate()
            .map(|(id, disk)| {
                Node::restart(id as NodeId, config, disk.clone(), rng_for(id as NodeId))
            })
            .collect();
        Cluster {
            config,
            nodes,
            disks,
            crashed: BTreeSet::new(),
            isolated: BTreeSet::new(),
            inflight: VecDeque::new(),
            replies: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Persists what a step produced, then queues its messages.
    pub fn absorb(&mut self, id: NodeId, ready: Ready) {
        self.disks[id as usize].persist(&ready);
        for message in ready.messages {
            self.sent.push(message.clone());
            self.inflight.push_back(message);
        }
        self.replies
            .extend(ready.replies.into_iter().map(|reply| (id, reply)));
        self.events
            .extend(ready.events.into_iter().map(|event| (id, event)));
    }

    pub fn step(&mut self, id: NodeId, input: Input) {
        assert!(!self.crashed.contains(&id), "n{id} is crashed");
        let ready = self.nodes[id as usize].step(input);
        self.absorb(id, ready);
        debug_assert_eq!(
            self.disks[id as usize],
            self.nodes[id as usize].durable_state()
        );
    }

    /// Runs a transition called directly on a node (`become_candidate`...).
    pub fn call(&mut self, id: NodeId, transition: impl FnOnce(&mut Node)) {
        transition(&mut self.nodes[id as usize]);
        let ready = self.nodes[id as usize].take_ready();
        self.absorb(id, ready);
    }

    pub fn election_timeout(&mut self, id: NodeId) {
        self.step(id, Input::ElectionTimeout);
    }

    pub fn heartbeat(&mut self, id: NodeId) {
        self.step(id, Input::HeartbeatDue);
    }

    pub fn request(&mut self, id: NodeId, client: u64, seq: u64, op: KvOp) {
        self.step(id, Input::Client(ClientRequest { client, seq, op }));
    }

    fn deliverable(&self, message: &Message) -> bool {
        !self.crashed.contains(&message.to)
            && !self.isolated.contains(&message.to)
            && !self.isolated.contains(&message.from)
    }

    /// Delivers the oldest message in flight (dropping it if it cannot
    /// arrive); false when none is left.
    pub fn deliver_one(&mut self) -> bool {
        let Some(message) = self.inflight.pop_front() else {
            return false;
        };
        if self.deliverable(&message) {
            let to = message.to;
            self.step(to, Input::Message(message));
        }
        true
    }

    /// Delivers messages until none is in flight (the course's
    /// `process_messages`).
    pub fn deliver_all(&mut self) {
        let mut budget = 100_000;
        while self.deliver_one() {
            budget -= 1;
            assert!(budget > 0, "messages never stopped flowing");
        }
    }

    /// Delivers only the messages `keep` accepts (it sees the cluster as
    /// it is when the message would arrive); drops the rest.
    pub fn deliver_where(&mut self, keep: impl Fn(&Cluster, &Message) -> bool) {
        let mut budget = 100_000;
        while let Some(message) = self.inflight.pop_front() {
            budget -= 1;
            assert!(budget > 0, "messages never stopped flowing");
            if self.deliverable(&message) && keep(self, &message) {
                let to = message.to;
                self.step(to, Input::Message(message));
            }
        }
    }

    /// Drops everything in flight.
    pub fn drop_inflight(&mut self) {
        self.inflight.clear();
    }

    pub fn crash(&mut self, id: NodeId) {
        self.crashed.insert(id);
    }

    pub fn restart(&mut self, id: NodeId) {
        self.crashed.remove(&id);
        self.nodes[id as usize] = Node::restart(
            id,
            self.config,
            self.disks[id as usize].clone(),
            rng_for(id + 100),
        );
    }

    /// Elects `id` (`become_candidate` and full delivery), then lets one
    /// heartbeat round settle commit indexes everywhere.
    pub fn elect(&mut self, id: NodeId) {
        self.call(id, Node::become_candidate);
        self.deliver_all();
        assert_eq!(self.node(id).role(), Role::Leader, "n{id} should have won");
        self.heartbeat(id);
        self.deliver_all();
    }

    pub fn roles(&self) -> Vec<Role> {
        self.nodes.iter().map(Node::role).collect()
    }

    /// The terms of a node's log entries, index 1 first.
    pub fn log_terms(&self, id: NodeId) -> Vec<Term> {
        self.node(id)
            .log()
            .entries()
            .iter()
            .map(|entry| entry.term)
            .collect()
    }

    /// Replies received by `client`, in order.
    pub fn replies_to(&self, client: u64) -> Vec<ClientReply> {
        self.replies
            .iter()
            .filter(|(_, reply)| reply.client == client)
            .map(|(_, reply)| reply.clone())
            .collect()
    }

    pub fn count_sent(&self, pred: impl Fn(&Message) -> bool) -> usize {
        self.sent.iter().filter(|m| pred(m)).count()
    }
}

/// A log whose entries have these terms; entry i carries a put of
/// `t{term}i{i}` from client `term`, seq `i`, so every entry is distinct.
pub fn log_of_terms(terms: &[Term]) -> RaftLog {
    RaftLog::from_entries(
        terms
            .iter()
            .enumerate()
            .map(|(i, &term)| Entry {
                term,
                command: Command::Client(Arc::new(ClientCommand {
                    client: term,
                    seq: i as u64 + 1,
                    op: KvOp::Put {
                        key: "x".into(),
                        value: format!("t{term}i{}", i + 1),
                    },
                })),
            })
            .collect(),
    )
}

pub fn disk(term: Term, log_terms: &[Term]) -> DurableState {
    DurableState {
        hard_state: HardState {
            current_term: term,
            voted_for: None,
        },
        log: log_of_terms(log_terms),
    }
}

/// The five disks of Figure 8 after its steps (a)–(c): S1 (node 0) led
/// term 2 and put its entry at index 2 on S2; S5 (node 4) led term 3 and
/// wrote its own index 2 locally; everyone has seen term 3.
pub fn figure_8_disks() -> Vec<DurableState> {
    vec![
        disk(3, &[1, 2]),
        disk(3, &[1, 2]),
        disk(3, &[1]),
        disk(3, &[1]),
        disk(3, &[1, 3]),
    ]
}

pub fn put(key: &str, value: &str) -> KvOp {
    KvOp::Put {
        key: key.into(),
        value: value.into(),
    }
}

pub fn append(key: &str, value: &str) -> KvOp {
    KvOp::Append {
        key: key.into(),
        value: value.into(),
    }
}

pub fn get(key: &str) -> KvOp {
    KvOp::Get { key: key.into() }
}

pub fn is_append_entries(message: &Message) -> bool {
    matches!(message.body, MessageBody::AppendEntries { .. })
}

pub fn done(result: KvResult) -> ClientResponse {
    ClientResponse::Done(result)
}
