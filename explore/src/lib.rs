//! Exhaustive exploration of a small Raft cluster: the real replica code
//! under the stateright model checker, every interleaving in a scope.
//!
//! Random trials sample behaviours; a model checker enumerates them. This
//! crate runs the same code the simulated world runs — any
//! [`Replica`](replica::Replica), raft-core first — as a stateright
//! [`Model`](stateright::Model) whose state is the whole cluster: each
//! node's replica, its disk, up or crashed, its armed timers, the messages
//! in flight, the clients' answers, and the little history the safety
//! properties need. Timeouts are actions (any armed timer may fire next),
//! the network reorders (and, if asked, loses or duplicates), nodes crash
//! and restart from their disks, and every reachable state within the
//! [`Scope`] is checked for Election Safety, Log Matching, Leader
//! Completeness and State Machine Safety.
//!
//! - [`system`]: what a Raft must offer to be explored; [`raftcore`]: raft-core's;
//! - [`scope`]: the bounds, [`budget`]: targeting them; [`action`]: the choices;
//! - [`state`], [`slot`], [`network`], [`ghost`]: the state;
//! - [`model`], [`step`]: the transitions (with a per-thread step buffer); [`symmetry`]: the reduction (with memos of renamed slots and messages);
//! - [`properties`]: what is checked; [`run`]: running a checker;
//! - [`trace`]: a path as a readable trace; [`report`]: the result.

#![warn(missing_docs)]

pub mod action;
pub mod budget;
pub mod ghost;
mod hashing;
pub mod model;
pub mod network;
pub mod properties;
pub mod raftcore;
mod relabel_cache;
pub mod report;
pub mod run;
pub mod scope;
mod scratch;
pub mod slot;
pub mod state;
pub mod step;
pub mod symmetry;
pub mod system;
pub mod trace;

pub use action::Action;
pub use budget::TimeoutBudget;
pub use model::ExploreModel;
pub use run::{explore, Outcome, RunConfig, Strategy};
pub use scope::{NetworkKind, Scope};
pub use state::Cluster;
pub use system::Explorable;
