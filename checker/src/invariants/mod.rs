//! Raft's safety invariants over a cluster trace, and liveness after the
//! heal.
//!
//! [`check_safety`] reads a [`Trace`](histories::Trace) once, front to back,
//! rebuilding what every node holds — role, term, votes, log, commitIndex,
//! applied index — and checks each event against the five properties of
//! Figure 3 of the Raft paper, four per-node rules whose breach is how
//! planted bugs usually start, and the majority of votes behind every
//! leader (see [`Invariant`]). Each [`Violation`] names
//! the nodes, term and index involved and carries the trace events that
//! prove it. The pass is linear in the trace (elections aside, which scan
//! the committed entries once each) and allocates only as the state grows.
//!
//! [`check_liveness`] is a separate verdict: after the faults are healed, a
//! leader must emerge within a bound, and client operations must complete.
//!
//! ```
//! use checker::invariants::{check_safety, Invariant};
//! use histories::{Role, Trace, TraceKind};
//!
//! // n0 wins term 1 with n2's vote; n1 then claims term 1 with none.
//! let mut trace = Trace::default();
//! trace.record(1_000, 0, TraceKind::RoleChanged { role: Role::Candidate, term: 1 });
//! trace.record(1_500, 2, TraceKind::VoteGranted { term: 1, candidate: 0 });
//! trace.record(2_000, 0, TraceKind::RoleChanged { role: Role::Leader, term: 1 });
//! trace.record(3_000, 1, TraceKind::RoleChanged { role: Role::Leader, term: 1 });
//! let report = check_safety(&trace);
//! assert_eq!(
//!     report.violated_invariants().collect::<Vec<_>>(),
//!     [Invariant::ElectionSafety, Invariant::ElectedByQuorum]
//! );
//! assert_eq!(report.violations_of(Invariant::ElectionSafety).next().unwrap().nodes, [0, 1]);
//! assert_eq!(report.violations_of(Invariant::ElectedByQuorum).next().unwrap().nodes, [1]);
//! ```

mod applying;
mod commitment;
mod elections;
mod entries;
mod invariant;
mod leaders;
mod liveness;
mod logs;
mod nodes;
mod report;
mod safety;

pub use invariant::Invariant;
pub use liveness::{
    check_liveness, LeaderSighting, LivenessParams, LivenessProblem, LivenessReport, MAX_OPS_LISTED,
};
pub use report::{SafetyReport, Violation, MAX_VIOLATIONS_PER_INVARIANT};
pub use safety::check_safety;
