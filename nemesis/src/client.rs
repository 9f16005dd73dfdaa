//! Clients: how a client talks to a Raft cluster, and what it records.
//!
//! Each client slot runs one operation at a time, like a Jepsen process.
//! It sends each request first to its home node, follows redirects,
//! retries on silence at the next node, and gives up when the operation's
//! deadline passes. Retries reuse the request's session and sequence number,
//! so Raft applies the operation at most once however often it arrives.
//!
//! What the client learns becomes history: `ok` with the result, `fail`
//! only when the cluster *definitely* did nothing (a cas whose precondition
//! failed), and `info` when it gave up without knowing. A process that saw
//! `info` never issues again: the slot continues as a fresh process
//! (`process + number of clients`, as Jepsen numbers them) with a fresh
//! session.
//!
//! *What* operations to run is not decided here but by a [`Workload`].

use crate::timers::TimerId;
use crate::world::{Event, World};
use histories::{Function, Op, OpType, Process, TraceKind, Value};
use rand::Rng;
use replica::{ClientReply, ClientRequest, ClientResponse, KvOp, KvResult, NodeId, Replica};
use serde::{Deserialize, Serialize};

/// Chooses the operations clients invoke.
pub trait Workload {
    /// The next operation for client `process`, or `None` to stop it.
    fn next_op(&mut self, process: u64) -> Option<KvOp>;
}

/// A workload that never invokes anything: a cluster left to itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoClients;

impl Workload for NoClients {
    fn next_op(&mut self, _process: u64) -> Option<KvOp> {
        None
    }
}

/// How clients behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Number of concurrent client slots.
    pub count: u32,
    /// Silence after which a client retries at the next node.
    pub attempt_timeout_ms: u64,
    /// Time after its invoke at which a client gives up on an operation and
    /// records it as indeterminate (`info`).
    pub op_timeout_ms: u64,
    /// Longest pause between one operation's completion and the next invoke.
    pub think_max_ms: u64,
    /// Pause before retrying after a redirect that named no leader.
    pub retry_backoff_ms: u64,
    /// Clients invoke nothing before this: a shrinker cuts the operations
    /// that come long before a failure this way.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_ms: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            count: 5,
            attempt_timeout_ms: 250,
            op_timeout_ms: 1_000,
            think_max_ms: 20,
            retry_backoff_ms: 25,
            start_ms: 0,
        }
    }
}

impl ClientConfig {
    /// Checks the settings make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.attempt_timeout_ms == 0 || self.op_timeout_ms == 0 {
            return Err("client timeouts must be positive".to_string());
        }
        Ok(())
    }
}

/// The operation a client is waiting on.
#[derive(Clone, Debug)]
struct Pending {
    op: KvOp,
    seq: u64,
    deadline_ns: u64,
    /// Node the next attempt goes to.
    target: NodeId,
    /// True when the next wake-up is a retry after silence (try another
    /// node); false when it is a planned resend (after a redirect).
    silence_on_wake: bool,
    /// One bit per node that let an attempt of this operation time out. A
    /// redirect to one of them is not followed: a deposed leader cut off
    /// with a minority (which, without check-quorum, still believes it
    /// leads) and a follower that names it would otherwise bounce the
    /// client between them for its whole op timeout, never reaching the
    /// majority — real clients mark a silent endpoint unhealthy too.
    silent: u64,
}

/// One client slot.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    /// The Jepsen process currently running in this slot; it is also the
    /// Raft session id.
    process: u64,
    /// Last sequence number used in the session.
    seq: u64,
    pending: Option<Pending>,
    /// The node each operation is first sent to. Like Jepsen's clients,
    /// each is bound to one node: a client bound to a deposed leader keeps
    /// asking it, which is how stale reads get caught.
    home: NodeId,
    /// The workload has nothing more for this slot.
    done: bool,
}

const NS_PER_MS: u64 = 1_000_000;

impl<W: Workload, R: Replica> World<W, R> {
    pub(crate) fn start_clients(&mut self) {
        let size = self.config.cluster.cluster_size;
        for slot in 0..self.config.clients.count as usize {
            let home = (slot as u32 + self.client_rng.gen_range(0..size)) % size;
            self.clients.push(Client {
                process: slot as u64,
                seq: 0,
                pending: None,
                home,
                done: false,
            });
            let think_ns = self.think_time_ns();
            self.wake_client(slot, self.config.clients.start_ms * NS_PER_MS + think_ns);
        }
    }

    fn think_time_ns(&mut self) -> u64 {
        self.client_rng
            .gen_range(0..=self.config.clients.think_max_ms * NS_PER_MS)
    }

    /// (Re)sets the slot's one wake-up.
    fn wake_client(&mut self, slot: usize, after_ns: u64) {
        let seq = self.queue.next_seq();
        self.timers
            .arm(TimerId::Client(slot), self.now_ns + after_ns, seq);
    }

    pub(crate) fn client_wake(&mut self, slot: usize) {
        let client = &self.clients[slot];
        if client.done {
            return;
        }
        match &client.pending {
            None => self.invoke_next(slot),
            Some(pending) if self.now_ns >= pending.deadline_ns => self.give_up(slot),
            Some(_) => self.attempt(slot),
        }
    }

    /// Asks the workload for the next operation and invokes it.
    fn invoke_next(&mut self, slot: usize) {
        if self.now_ns >= self.config.timeline.clients_stop_ms * NS_PER_MS {
            self.clients[slot].done = true;
            return;
        }
        let process = self.clients[slot].process;
        let Some(op) = self.workload.next_op(process) else {
            self.clients[slot].done = true;
            return;
        };
        let (f, key, value) = invoke_fields(&op);
        self.history.record(
            self.now_ns,
            OpType::Invoke,
            Process::Client(process),
            f,
            Some(key),
            value,
            None,
        );
        self.stats.ops_invoked += 1;
        let deadline_ns = self.now_ns + self.config.clients.op_timeout_ms * NS_PER_MS;
        let client = &mut self.clients[slot];
        client.seq += 1;
        client.pending = Some(Pending {
            op,
            seq: client.seq,
            deadline_ns,
            target: client.home,
            silence_on_wake: false,
            silent: 0,
        });
        self.attempt(slot);
    }

    /// Sends the pending request to its target and waits for an answer.
    fn attempt(&mut self, slot: usize) {
        let size = self.config.cluster.cluster_size;
        let client = &mut self.clients[slot];
        let pending = client.pending.as_mut().expect("attempting a pending op");
        if pending.silence_on_wake {
            // Nothing came back: try the next node.
            pending.silent |= 1u64 << pending.target;
            pending.target = (pending.target + 1) % size;
        }
        pending.silence_on_wake = true;
        let node = pending.target;
        let request = ClientRequest {
            client: client.process,
            seq: pending.seq,
            op: pending.op.clone(),
        };
        let wait_ns = (self.config.clients.attempt_timeout_ms * NS_PER_MS)
            .min(pending.deadline_ns - self.now_ns);
        self.send_on_client_link(Event::RequestArrives { node, request });
        self.wake_client(slot, wait_ns);
    }

    /// The deadline passed: the operation's fate is unknown. The slot
    /// continues as a new process.
    fn give_up(&mut self, slot: usize) {
        let count = self.config.clients.count as u64;
        let client = &mut self.clients[slot];
        let pending = client.pending.take().expect("giving up a pending op");
        let process = client.process;
        client.process += count;
        client.seq = 0;
        let (f, key, value) = invoke_fields(&pending.op);
        self.history.record(
            self.now_ns,
            OpType::Info,
            Process::Client(process),
            f,
            Some(key),
            value,
            Some("timed-out".to_string()),
        );
        let think_ns = self.think_time_ns();
        self.wake_client(slot, think_ns);
    }

    /// Node `node` answered some client: route the answer to its slot
    /// over the client link, if that client still exists. A read's
    /// answer is traced as served by `node`; recording draws nothing from
    /// any random stream, so the world decides exactly what it did before.
    pub(crate) fn route_reply(&mut self, node: NodeId, reply: ClientReply) {
        let count = self.config.clients.count as u64;
        if count == 0 {
            return;
        }
        if is_read_result(&reply.response) {
            let served = TraceKind::ReadServed {
                client: reply.client,
                seq: reply.seq,
            };
            self.trace.record(self.now_ns, node, served);
        }
        let slot = (reply.client % count) as usize;
        self.send_on_client_link(Event::ReplyArrives { slot, reply, node });
    }

    pub(crate) fn client_reply(&mut self, slot: usize, reply: ClientReply, node: NodeId) {
        let client = &self.clients[slot];
        let current = client
            .pending
            .as_ref()
            .is_some_and(|pending| client.process == reply.client && pending.seq == reply.seq);
        if !current {
            return; // an answer to an attempt already settled
        }
        match reply.response {
            ClientResponse::Done(result) => self.complete(slot, result, node),
            ClientResponse::Redirect { leader_hint } => self.follow_redirect(slot, leader_hint),
        }
    }

    /// Records the completion `node` answered, with the node that served it.
    fn complete(&mut self, slot: usize, result: KvResult, node: NodeId) {
        let client = &mut self.clients[slot];
        let pending = client.pending.take().expect("completing a pending op");
        let process = client.process;
        let (kind, f, key, value, error) = completion_fields(&pending.op, result);
        self.history.push(Op {
            index: 0,
            time_ns: self.now_ns,
            kind,
            process: Process::Client(process),
            f,
            key: Some(key),
            value,
            error,
            node: Some(node),
        });
        let think_ns = self.think_time_ns();
        self.wake_client(slot, think_ns);
    }

    /// Resend to the hinted leader at once; with no hint, wait a little and
    /// try the next node.
    fn follow_redirect(&mut self, slot: usize, leader_hint: Option<NodeId>) {
        let size = self.config.cluster.cluster_size;
        let backoff_ns = self.config.clients.retry_backoff_ms * NS_PER_MS;
        let client = &mut self.clients[slot];
        let pending = client.pending.as_mut().expect("redirected while pending");
        let all_silent = pending.silent.count_ones() >= size;
        let trusted = |hint: NodeId| all_silent || pending.silent & (1u64 << hint) == 0;
        let delay_ns = match leader_hint {
            Some(hint) if hint != pending.target && trusted(hint) => {
                pending.target = hint;
                0
            }
            _ => {
                pending.target = (pending.target + 1) % size;
                backoff_ns
            }
        };
        pending.silence_on_wake = false;
        let delay_ns = delay_ns.min(pending.deadline_ns.saturating_sub(self.now_ns));
        self.wake_client(slot, delay_ns);
    }
}

/// True for the answer to a `get` (the only requests that return a value
/// or "not found").
fn is_read_result(response: &ClientResponse) -> bool {
    matches!(
        response,
        ClientResponse::Done(KvResult::Value { .. } | KvResult::NotFound)
    )
}

/// The history fields of an invoke: function, key and argument.
pub fn invoke_fields(op: &KvOp) -> (Function, Value, Value) {
    match op {
        KvOp::Get { key } => (Function::Get, Value::str(key), Value::Nil),
        KvOp::Put { key, value } => (Function::Put, Value::str(key), Value::str(value)),
        KvOp::Append { key, value } => (Function::Append, Value::str(key), Value::str(value)),
        KvOp::Cas { key, expected, new } => (
            Function::Cas,
            Value::str(key),
            Value::List(vec![Value::str(expected), Value::str(new)]),
        ),
    }
}

/// The history fields of a completion: `ok` with the result, or `fail`
/// with `precondition-failed` for a cas that definitely changed nothing.
pub fn completion_fields(
    op: &KvOp,
    result: KvResult,
) -> (OpType, Function, Value, Value, Option<String>) {
    let (f, key, argument) = invoke_fields(op);
    match result {
        KvResult::Value { value } => (OpType::Ok, f, key, Value::Str(value), None),
        KvResult::NotFound => (OpType::Ok, f, key, Value::Nil, None),
        KvResult::Done => (OpType::Ok, f, key, argument, None),
        KvResult::PreconditionFailed { .. } => (
            OpType::Fail,
            f,
            key,
            argument,
            Some("precondition-failed".to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_to_jepsen_completions() {
        let cas = KvOp::Cas {
            key: "k".into(),
            expected: "a".into(),
            new: "b".into(),
        };
        let (kind, _, _, value, error) =
            completion_fields(&cas, KvResult::PreconditionFailed { current: None });
        assert_eq!(kind, OpType::Fail);
        assert_eq!(value, Value::List(vec![Value::str("a"), Value::str("b")]));
        assert_eq!(error.as_deref(), Some("precondition-failed"));
        let get = KvOp::Get { key: "k".into() };
        assert_eq!(completion_fields(&get, KvResult::NotFound).3, Value::Nil);
        assert_eq!(
            completion_fields(&get, KvResult::Value { value: "v".into() }).3,
            Value::str("v")
        );
        let put = KvOp::Put {
            key: "k".into(),
            value: "v".into(),
        };
        assert_eq!(completion_fields(&put, KvResult::Done).0, OpType::Ok);
    }
}
