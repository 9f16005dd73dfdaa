//! A tiny reference model of Raft that writes *legal* cluster traces.
//!
//! No messages, no timers: each step is one whole protocol action, done
//! atomically — an election (RequestVote to a random subset of peers), a
//! client command at some leader, one AppendEntries exchange between a
//! leader and a follower, a crash or a restart. The rules are Raft's: one
//! vote per term and only for an up-to-date log, a newer term deposes, a
//! follower keeps what matches and truncates from the first conflict, a
//! leader commits only entries of its own term held by a majority, and
//! commitIndex, votedFor, the term and the log survive crashes exactly.
//! Stale leaders keep acting until a newer term reaches them, so traces
//! hold late commits, coexisting leaders and conflicting suffixes.

use histories::{EntryId, NodeId, Role, Trace, TraceKind};
use rand::Rng;
use rand_pcg::Pcg64;

struct ModelNode {
    up: bool,
    role: Role,
    term: u64,
    voted_for: Option<NodeId>,
    log: Vec<(u64, EntryId)>,
    commit: u64,
    applied: u64,
}

impl ModelNode {
    fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |&(term, _)| term)
    }

    fn term_at(&self, index: usize) -> Option<u64> {
        self.log.get(index.checked_sub(1)?).map(|&(term, _)| term)
    }
}

/// The model cluster and the trace it has written.
pub struct Model {
    rng: Pcg64,
    nodes: Vec<ModelNode>,
    trace: Trace,
    now_ns: u64,
    next_seq: u64,
}

impl Model {
    /// A cluster of `size` nodes, all followers in term 0 with empty logs.
    pub fn new(size: usize, rng: Pcg64) -> Model {
        let nodes = (0..size)
            .map(|_| ModelNode {
                up: true,
                role: Role::Follower,
                term: 0,
                voted_for: None,
                log: Vec::new(),
                commit: 0,
                applied: 0,
            })
            .collect();
        Model {
            rng,
            nodes,
            trace: Trace::default(),
            now_ns: 0,
            next_seq: 1,
        }
    }

    /// Runs until the trace holds at least `events` events.
    pub fn run(mut self, events: usize) -> Trace {
        while self.trace.events.len() < events {
            self.now_ns += self.rng.gen_range(1..3_000_000);
            self.step();
        }
        self.trace
    }

    fn step(&mut self) {
        match self.rng.gen_range(0..20) {
            0..=2 => self.election(),
            3..=6 => self.client_command(),
            7..=15 => self.replicate(),
            16 => self.crash(),
            17 | 18 => self.restart(),
            _ => self.noise(),
        }
    }

    fn record(&mut self, node: usize, event: TraceKind) {
        self.trace.record(self.now_ns, node as NodeId, event);
    }

    fn majority(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    fn random_up(&mut self, filter: impl Fn(&ModelNode) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].up && filter(&self.nodes[n]))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        Some(candidates[self.rng.gen_range(0..candidates.len())])
    }

    /// Moves a node to a newer term as a follower (or just to follower).
    fn become_follower(&mut self, node: usize, term: u64) {
        let state = &mut self.nodes[node];
        let changed = term != state.term || state.role != Role::Follower;
        if term > state.term {
            state.term = term;
            state.voted_for = None;
        }
        state.role = Role::Follower;
        if changed {
            self.record(
                node,
                TraceKind::RoleChanged {
                    role: Role::Follower,
                    term,
                },
            );
        }
    }

    fn election(&mut self) {
        let Some(candidate) = self.random_up(|n| n.role != Role::Leader) else {
            return;
        };
        let term = self.nodes[candidate].term + 1;
        {
            let state = &mut self.nodes[candidate];
            state.term = term;
            state.role = Role::Candidate;
            state.voted_for = Some(candidate as NodeId);
        }
        self.record(
            candidate,
            TraceKind::RoleChanged {
                role: Role::Candidate,
                term,
            },
        );
        let mut votes = 1;
        for voter in 0..self.nodes.len() {
            if voter == candidate || !self.nodes[voter].up || self.rng.gen_bool(0.25) {
                continue; // the request (or its answer) was lost
            }
            if self.nodes[voter].term > term {
                let newer = self.nodes[voter].term;
                self.become_follower(candidate, newer);
                return;
            }
            if self.nodes[voter].term < term {
                self.become_follower(voter, term);
            }
            let (c, v) = (&self.nodes[candidate], &self.nodes[voter]);
            let up_to_date = (c.last_term(), c.log.len()) >= (v.last_term(), v.log.len());
            let free = v.voted_for.is_none() || v.voted_for == Some(candidate as NodeId);
            if up_to_date && free {
                self.nodes[voter].voted_for = Some(candidate as NodeId);
                self.record(
                    voter,
                    TraceKind::VoteGranted {
                        term,
                        candidate: candidate as NodeId,
                    },
                );
                votes += 1;
            }
        }
        if votes >= self.majority() {
            self.nodes[candidate].role = Role::Leader;
            self.record(
                candidate,
                TraceKind::RoleChanged {
                    role: Role::Leader,
                    term,
                },
            );
            self.leader_append(candidate, EntryId::Noop);
            self.leader_commit(candidate);
        }
    }

    fn leader_append(&mut self, leader: usize, entry: EntryId) {
        let term = self.nodes[leader].term;
        self.nodes[leader].log.push((term, entry));
        let index = self.nodes[leader].log.len() as u64;
        self.record(leader, TraceKind::LogAppended { index, term, entry });
    }

    fn client_command(&mut self) {
        let Some(leader) = self.random_up(|n| n.role == Role::Leader) else {
            return;
        };
        let entry = EntryId::Command {
            client: self.rng.gen_range(1..4),
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.leader_append(leader, entry);
        self.leader_commit(leader);
    }

    /// One AppendEntries exchange carrying the leader's entries `1..=sent`.
    fn replicate(&mut self) {
        let Some(leader) = self.random_up(|n| n.role == Role::Leader) else {
            return;
        };
        let Some(follower) = self.random_up(|_| true).filter(|&f| f != leader) else {
            return;
        };
        let term = self.nodes[leader].term;
        if self.nodes[follower].term > term {
            let newer = self.nodes[follower].term;
            self.become_follower(leader, newer);
            return;
        }
        self.become_follower(follower, term);
        let leader_len = self.nodes[leader].log.len();
        let sent = self.rng.gen_range(0..=leader_len);
        for index in 1..=sent {
            let (entry_term, entry) = self.nodes[leader].log[index - 1];
            match self.nodes[follower].term_at(index) {
                Some(held) if held == entry_term => continue,
                Some(_) => {
                    let removed = (self.nodes[follower].log.len() - index + 1) as u64;
                    self.nodes[follower].log.truncate(index - 1);
                    self.record(
                        follower,
                        TraceKind::LogTruncated {
                            from_index: index as u64,
                            removed,
                        },
                    );
                }
                None => {}
            }
            self.nodes[follower].log.push((entry_term, entry));
            self.record(
                follower,
                TraceKind::LogAppended {
                    index: index as u64,
                    term: entry_term,
                    entry,
                },
            );
        }
        let commit = self.nodes[leader].commit.min(sent as u64);
        self.advance_commit(follower, commit);
        self.leader_commit(leader);
    }

    /// §5.4.2: the highest entry of the leader's term held by a majority.
    fn leader_commit(&mut self, leader: usize) {
        let term = self.nodes[leader].term;
        let from = self.nodes[leader].commit as usize;
        for index in (from + 1..=self.nodes[leader].log.len()).rev() {
            if self.nodes[leader].term_at(index) != Some(term) {
                break;
            }
            let holders = self
                .nodes
                .iter()
                .filter(|n| n.term_at(index) == Some(term))
                .count();
            if holders >= self.majority() {
                self.advance_commit(leader, index as u64);
                return;
            }
        }
    }

    fn advance_commit(&mut self, node: usize, commit: u64) {
        if commit <= self.nodes[node].commit {
            return;
        }
        self.nodes[node].commit = commit;
        self.record(
            node,
            TraceKind::CommitAdvanced {
                commit_index: commit,
            },
        );
        while self.nodes[node].applied < commit {
            let index = self.nodes[node].applied + 1;
            self.nodes[node].applied = index;
            let (term, entry) = self.nodes[node].log[index as usize - 1];
            self.record(node, TraceKind::Applied { index, term, entry });
        }
    }

    fn crash(&mut self) {
        let Some(node) = self.random_up(|_| true) else {
            return;
        };
        let state = &mut self.nodes[node];
        state.up = false;
        state.role = Role::Follower;
        state.commit = 0;
        state.applied = 0;
        self.record(node, TraceKind::Crashed);
    }

    fn restart(&mut self) {
        let down: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| !self.nodes[n].up)
            .collect();
        if down.is_empty() {
            return;
        }
        let node = down[self.rng.gen_range(0..down.len())];
        self.nodes[node].up = true;
        let state = &self.nodes[node];
        let event = TraceKind::Restarted {
            term: state.term,
            voted_for: state.voted_for,
            last_log_index: state.log.len() as u64,
        };
        self.record(node, event);
    }

    /// Events that change nothing the invariants look at.
    fn noise(&mut self) {
        let Some(node) = self.random_up(|_| true) else {
            return;
        };
        self.trace
            .record_nemesis(self.now_ns, format!("pause n{node}"));
        self.record(node, TraceKind::Paused);
        self.record(node, TraceKind::Resumed);
    }
}
