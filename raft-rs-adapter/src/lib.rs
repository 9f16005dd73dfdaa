//! tikv/raft-rs (the `raft` crate, 0.7) as a system under test for
//! raftstorm: each node is a `RawNode` over raft-rs's own `MemStorage`,
//! driven through the world's [`replica::Replica`] trait.
//!
//! - [`node`]: [`RaftRsNode`], the trait's implementation: boot, step,
//!   client requests;
//! - [`ready`]: handling raft-rs's `Ready` and `LightReady` as its docs
//!   ask, persisting before anything leaves;
//! - `apply`: the key-value state machine fed with committed entries;
//! - [`disk`]: [`RaftRsDisk`], the `MemStorage` that survives crashes;
//! - [`codec`]: the bytes of log entries and read contexts;
//! - [`observe`]: what a node did, in the trace's vocabulary;
//! - [`pending`]: client requests a leader owes an answer;
//! - [`timeout`]: the election timeout taken back from `thread_rng`, so a
//!   seed determines a trial;
//! - [`ticks`], [`ids`]: milliseconds as ticks, node ids as raft ids;
//! - [`options`]: [`RaftRsOptions`] (pre-vote, check-quorum, bugs);
//! - [`bugs`]: the planted embedder bugs.

#![warn(missing_docs)]

mod apply;
pub mod bugs;
pub mod codec;
pub mod disk;
pub mod ids;
pub mod node;
pub mod observe;
pub mod options;
pub mod pending;
pub mod ready;
pub mod ticks;
pub mod timeout;

pub use bugs::{Bug, BugSet, UnknownBug};
pub use disk::RaftRsDisk;
pub use node::{RaftRsNode, TICK_TIMER};
pub use options::{RaftRsOptions, TICK_MS};
