//! The client protocol: what a client asks of a node and what every node,
//! whatever Raft it runs, answers.
//!
//! The contract every system under test honours:
//! - A request names its client session and a sequence number; a retry of
//!   the same operation reuses both, so the state machine applies it at
//!   most once ([`crate::KvStore`] keeps the sessions).
//! - [`ClientResponse::Done`] means the operation took effect (a write was
//!   committed and applied; a read was served linearizably) with this
//!   result. The history records it as `ok` (or `fail` for a cas whose
//!   precondition did not hold, which changed nothing).
//! - [`ClientResponse::Redirect`] means "not here": this node does not lead
//!   (or stopped leading before it could answer). The request may still
//!   take effect later if it reached a log, so the client keeps treating
//!   the operation as pending and retries it elsewhere with the same seq.
//! - Silence is allowed: a node may drop a request it cannot serve. The
//!   client retries after its attempt timeout and, past the operation's
//!   deadline, records `info` (indeterminate).

use crate::kv::{KvOp, KvResult};
use crate::types::NodeId;
use serde::{Deserialize, Serialize};

/// A client's request to a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientRequest {
    /// The client session.
    pub client: u64,
    /// The request's number in the session; retries reuse it.
    pub seq: u64,
    /// What to do.
    pub op: KvOp,
}

/// How a node answered a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientResponse {
    /// The request was applied (or, for a read, served); here is the result.
    Done(KvResult),
    /// This node is not the leader (or stopped being it before the request
    /// was done); try the hinted leader. `None`: it knows no leader. The
    /// request may still take effect later if it reached the log.
    Redirect {
        /// The node this one believes is leader.
        leader_hint: Option<NodeId>,
    },
}

/// A node's answer to one client request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientReply {
    /// The client session.
    pub client: u64,
    /// The request answered.
    pub seq: u64,
    /// The answer.
    pub response: ClientResponse,
}
