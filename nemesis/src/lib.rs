//! A deterministic simulated world for in-process Raft clusters, and the
//! nemesis that torments them.
//!
//! - [`world`]: the discrete-event simulation — virtual time, nodes, disks,
//!   crash/restart, pause, clock skew — and the trace it records.
//! - [`network`]: reachability (partitions) and link faults (delay, drop,
//!   duplicate).
//! - [`majority`]: the world's record of when a clean majority exists.
//! - [`client`]: how clients talk to the cluster and what they record; the
//!   [`Workload`] trait chooses what they do.
//! - [`schedule`]: fault schedules as data, and their generation (with
//!   swarm testing).
//! - [`targeted`]: faults aimed at a moment of the protocol (the leader
//!   right after a minority append, a voter right after its vote...).
//! - [`seeds`]: one seed per trial, one independent stream per concern.
//! - [`queue`]: the event queue, ordered by (time, sequence number).

#![warn(missing_docs)]

mod aim;
pub mod client;
pub mod majority;
pub mod network;
pub mod queue;
pub mod schedule;
pub mod seeds;
pub mod targeted;
mod timers;
pub mod world;

pub use client::{ClientConfig, NoClients, Workload};
pub use majority::MajorityChange;
pub use network::NetworkConfig;
pub use schedule::{
    Fault, FaultKind, FaultKinds, FaultSchedule, FaultWindow, FieldError, NemesisConfig,
    PartitionShape, ScheduledFault, MAX_TRIAL_MS,
};
pub use targeted::Target;
pub use world::{Delivery, Timeline, TrialOutput, World, WorldConfig, WorldStats};
