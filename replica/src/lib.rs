//! The seam between raftstorm's simulated world and any Raft under test.
//!
//! The world drives nodes through one trait, [`Replica`], and never names
//! a system's own types: raft-core implements it, so does the adapter of
//! tikv/raft-rs, and so can a user's Raft. Everything a system must share
//! with the rest of raftstorm lives here:
//! - [`replica`](mod@replica): the trait, its inputs and the [`Actions`]
//!   a step asks for;
//! - [`protocol`]: the client protocol every system answers in the same
//!   terms, so one workload, one history and one linearizability model
//!   serve them all;
//! - [`kv`]: the key-value state machine with client sessions that every
//!   system replicates;
//! - [`cluster`]: the cluster settings (size, timing, read mode) the world
//!   asks each system to honour;
//! - [`planted`]: planted bugs and their sets, for any system.
//!
//! What a node observes is reported in the trace's own vocabulary
//! ([`histories::TraceKind`]): the checker judges traces, whoever made them.

#![warn(missing_docs)]

pub mod cluster;
pub mod kv;
pub mod planted;
pub mod protocol;
pub mod replica;
pub mod types;

pub use cluster::{ClusterConfig, ReadMode};
pub use histories::{EntryId, TraceKind};
pub use kv::{Applied, ClientCommand, KvOp, KvResult, KvStore};
pub use planted::{BugSet, PlantedBug, UnknownBug};
pub use protocol::{ClientReply, ClientRequest, ClientResponse};
pub use replica::{Actions, Input, Replica, Status, TimerSlot};
pub use types::{LogIndex, NodeId, Role, Term};

/// The compact identity of a client command in the trace: its session and
/// sequence number.
pub fn command_entry_id(command: &ClientCommand) -> EntryId {
    EntryId::Command {
        client: command.client,
        seq: command.seq,
    }
}
