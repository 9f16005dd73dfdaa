//! Client requests: redirects, writes through the log, and reads.
//!
//! A node that is not the leader answers with a redirect carrying its best
//! guess of the leader. The leader appends writes to its log (they travel at
//! the next heartbeat) and answers once they are applied. Reads go through
//! the log too in [`ReadMode::Log`]; in [`ReadMode::ReadIndex`] the leader
//! answers "am I really the leader?" first: it records its commit index,
//! waits until a heartbeat round of its term that *started after the read
//! arrived* is acknowledged by a majority — at that moment it certainly was
//! the leader when the read arrived — and until it has applied up to the
//! recorded index, then reads its state machine.

use crate::bugs::Bug;
use crate::config::ReadMode;
use crate::kv::{ClientCommand, KvOp, KvResult};
use crate::log::{Command, Entry};
use crate::message::{ClientReply, ClientRequest, ClientResponse};
use crate::node::{Node, PendingRead, PendingWrite};
use crate::types::Role;
use std::sync::Arc;

impl Node {
    /// A client request arrived.
    pub fn client_request(&mut self, request: ClientRequest) {
        if self.role != Role::Leader {
            let leader_hint = self.leader_hint;
            self.reply(&request, ClientResponse::Redirect { leader_hint });
            return;
        }
        match (&request.op, self.config.cluster.read_mode) {
            (KvOp::Get { key }, ReadMode::ReadIndex) => {
                let key = key.clone();
                self.start_read(request, key)
            }
            _ => self.start_write(request),
        }
    }

    fn reply(&mut self, request: &ClientRequest, response: ClientResponse) {
        self.ready.replies.push(ClientReply {
            client: request.client,
            seq: request.seq,
            response,
        });
    }

    /// Appends the request to the log unless its session shows it already
    /// applied (answer at once) or it is already waiting in the log.
    fn start_write(&mut self, request: ClientRequest) {
        let dedup = !self.config.bugs.has(Bug::NoSessionDedup);
        if dedup {
            if let Some(result) = self.kv.session_result(request.client, request.seq) {
                let response = ClientResponse::Done(result.clone());
                self.reply(&request, response);
                return;
            }
        }
        let leader = self.leader.as_ref().expect("a leader has leader state");
        let already_waiting = leader
            .pending_writes
            .iter()
            .any(|write| write.client == request.client && write.seq == request.seq);
        if already_waiting && dedup {
            if self.config.bugs.has(Bug::SessionReplyBeforeApply) && !request.op.is_read() {
                // planted: "it is in my log, so it is done"
                self.reply(&request, ClientResponse::Done(KvResult::Done));
            }
            return;
        }
        if self.config.bugs.has(Bug::DropWriteWhenPending) && !leader.pending_writes.is_empty() {
            return; // planted: one write at a time, the others dropped unanswered
        }
        let (client, seq) = (request.client, request.seq);
        let command = ClientCommand {
            client,
            seq,
            op: request.op,
        };
        let index = self.append_to_own_log(Entry {
            term: self.current_term,
            command: Command::Client(Arc::new(command)),
        });
        let leader = self.leader.as_mut().expect("a leader has leader state");
        leader
            .pending_writes
            .push(PendingWrite { index, client, seq });
        // In a cluster of one the leader alone is a majority.
        self.advance_leader_commit();
    }

    fn start_read(&mut self, request: ClientRequest, key: String) {
        if self.config.bugs.has(Bug::ReadWithoutQuorum) {
            // planted: trusts its own belief that it leads
            let response = ClientResponse::Done(self.kv.read(&key));
            self.reply(&request, response);
            return;
        }
        let commit_index = self.commit_index;
        let leader = self.leader.as_mut().expect("a leader has leader state");
        // Until this term's no-op commits, the leader's commit index may lag
        // behind what earlier leaders committed (§8).
        let read_index = if self.config.bugs.has(Bug::ReadIndexBeforeTermCommit) {
            commit_index // planted: trusts a new leader's commit index
        } else {
            commit_index.max(leader.term_start_index)
        };
        leader.pending_reads.push(PendingRead {
            client: request.client,
            seq: request.seq,
            key,
            read_index,
            round: leader.round + 1,
        });
        self.serve_ready_reads();
    }

    /// Answers every read whose heartbeat round a majority has acknowledged
    /// and whose read index is applied.
    pub(crate) fn serve_ready_reads(&mut self) {
        let Some(leader) = self.leader.as_ref() else {
            return;
        };
        if leader.pending_reads.is_empty() {
            return;
        }
        let confirmed_round = self.majority_acked_round();
        let last_applied = self.last_applied;
        let leader = self.leader.as_mut().expect("checked above");
        let mut ready = Vec::new();
        leader.pending_reads.retain(|read| {
            let servable = read.round <= confirmed_round && read.read_index <= last_applied;
            if servable {
                ready.push((read.client, read.seq, read.key.clone()));
            }
            !servable
        });
        for (client, seq, key) in ready {
            let response = ClientResponse::Done(self.kv.read(&key));
            self.ready.replies.push(ClientReply {
                client,
                seq,
                response,
            });
        }
    }

    /// The highest heartbeat round acknowledged by a majority. The leader
    /// vouches for itself in every round, even one not yet started, so a
    /// cluster of one confirms its reads at once.
    fn majority_acked_round(&self) -> u64 {
        let Some(leader) = self.leader.as_ref() else {
            return 0;
        };
        let mut acked = [0u64; 64];
        let size = leader.progress.len();
        for (node, progress) in leader.progress.iter().enumerate() {
            acked[node] = if node == self.id as usize {
                u64::MAX
            } else {
                progress.acked_round
            };
        }
        let acked = &mut acked[..size];
        acked.sort_unstable_by(|a, b| b.cmp(a));
        acked[self.config.cluster.quorum() - 1]
    }
}
