//! The data every part of raftstorm exchanges.
//!
//! - [`op`] and [`history`]: client operation histories in Jepsen's model
//!   (invoke / ok / fail / info), and their pairing into operations.
//! - [`trace`]: what each Raft node did, for the safety invariants.
//! - [`notation`]: the one way an operation is written for people
//!   (`p8 get k3 → nil`).
//! - [`recorder`]: the append-only recorder the simulated world writes to.
//! - [`value`]: the values operations carry.
//! - [`format`](mod@format): history files (JSON Lines, Jepsen EDN, Porcupine's test
//!   data), read with positioned errors and written back.

#![warn(missing_docs)]

pub mod format;
pub mod history;
pub mod notation;
pub mod op;
pub mod recorder;
pub mod trace;
pub mod value;

pub use format::{Format, ParseError, Parsed, Position, ReadError};
pub use history::{History, Operation, Outcome, PairError};
pub use notation::{OpText, RecordText};
pub use op::{Function, Op, OpType, Process};
pub use recorder::Recorder;
pub use trace::{EntryId, NodeId, Role, Trace, TraceEvent, TraceKind};
pub use value::Value;
