//! Raft as a pure, deterministic state machine.
//!
//! A [`Node`] takes one [`Input`] at a time — a peer's message, a timer
//! firing, a client request — and returns a [`Ready`]: state to persist,
//! messages to send, replies, timers to arm, and events for observers. It
//! reads no clock, does no I/O, spawns no threads and draws randomness only
//! from the seeded stream it was built with. That is what makes a simulated
//! trial replayable from its seed and lets tests drive a node step by step,
//! the way the course material does (`become_candidate()`, deliver every
//! pending message, assert the roles).
//!
//! The protocol is split by concern: [`election`] (timeouts and votes),
//! [`replication`] (AppendEntries), [`commit`] (commit and apply), [`client`]
//! (requests, redirects and linearizable reads), over the shared state in
//! [`node`]. [`kv`] is the replicated key-value store, [`bugs`] the planted
//! bugs the checker must catch.

#![warn(missing_docs)]

pub use replica::kv;

pub mod bugs;
pub mod client;
pub mod commit;
pub mod config;
pub mod election;
mod identity;
pub mod log;
pub mod message;
pub mod node;
pub mod ready;
pub mod relabel;
pub mod replication;
pub mod seam;
pub mod types;

pub use bugs::{Bug, BugSet};
pub use config::{ClusterConfig, Config, ReadMode};
pub use kv::{ClientCommand, KvOp, KvResult, KvStore};
pub use log::{Command, Entry, RaftLog};
pub use message::{ClientReply, ClientRequest, ClientResponse, ConflictHint, Message, MessageBody};
pub use node::{Input, Node};
pub use ready::{DurableState, HardState, LogWrite, NodeEvent, Ready};
pub use types::{LogIndex, NodeId, Role, Term};
