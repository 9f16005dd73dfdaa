//! Availability: the cluster answers when Raft says it can.
//!
//! Liveness (in [`crate::invariants`]) asks whether the cluster recovers
//! at all after the final heal; availability asks whether it is as
//! available as Raft promises — "available as long as any majority of the
//! servers are operational and can communicate with each other and with
//! clients" (§5, §5.6) — and as fast as its timing allows:
//!
//! 1. **Quiet period** (`quiet.rs`): once every fault is healed and a stable
//!    leader is known to every node, each operation completes within
//!    [`Bounds::quiet_op_ns`], and the clients complete at least half the
//!    operations their slots allow. A Raft that drops client requests
//!    while another is in flight recovers (clients retry) and passes
//!    liveness, but fails this.
//! 2. **Clean majorities during faults** (`spans.rs`): whenever the world
//!    recorded a clean majority (running, unskewed, an isolated clique,
//!    no link faults) for longer than [`Bounds::election_ns`], it must
//!    elect a leader among itself within that bound, that leader must
//!    commit the entries it appends, and it must answer reads. A Raft
//!    that needs more than a bare majority stays safe, recovers after the
//!    heal, and fails this.
//!
//! Every bound derives from the trial's configuration ([`Bounds`]).

mod bounds;
mod cluster;
mod problem;
mod quiet;
mod spans;
mod voters;

pub use bounds::{Bounds, Timing, COMMIT_ROUNDS, ELECTION_ROUNDS};
pub use problem::AvailabilityProblem;

use crate::verdict::Validity;
use histories::{Function, History, OpType, Operation, Process, Trace};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How many operations a problem names; the rest are counted.
pub const MAX_OPS_LISTED: usize = 5;

/// A stretch of virtual time in which the world saw a clean majority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MajoritySpan {
    /// When it formed, in virtual nanoseconds.
    pub start_ns: u64,
    /// When it changed or the trial ended.
    pub end_ns: u64,
    /// One bit per member node.
    pub members: u64,
}

/// What the check needs to know of a trial besides its history and trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AvailabilityParams {
    /// The bounds, from the trial's timing.
    pub bounds: Bounds,
    /// When every fault was healed.
    pub heal_time_ns: u64,
    /// When clients stopped invoking.
    pub clients_stop_ns: u64,
    /// When the trial ended.
    pub end_ns: u64,
    /// Concurrent client slots.
    pub clients: u32,
}

/// What the check measured, so that its margins can be watched (all in
/// virtual time, so reports stay reproducible).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    /// Clean majorities long enough to be judged.
    pub spans_judged: u32,
    /// The slowest election among them, from the majority's start.
    pub slowest_election_ns: u64,
    /// The slowest commit of a judged entry, in thousandths of its bound.
    pub slowest_commit_permille: u64,
    /// Operations judged in the quiet period.
    pub quiet_ops: u64,
    /// The slowest of them (that completed).
    pub slowest_quiet_op_ns: u64,
}

/// The availability verdict of a trial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityReport {
    /// `Valid` with no problem, `Invalid` otherwise.
    pub validity: Validity,
    /// What went wrong, quiet period first.
    pub problems: Vec<AvailabilityProblem>,
    /// What was judged, and the closest calls.
    #[serde(default)]
    pub measured: Measured,
}

impl fmt::Display for AvailabilityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.measured;
        write!(
            f,
            "availability: {} ({} clean majorities and {} quiet-period operations judged)",
            self.validity, m.spans_judged, m.quiet_ops
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// A client operation as the check needs it, paired from the raw records
/// without copying values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timed {
    /// History position of the invoke.
    pub invoke_index: u64,
    pub invoke_ns: u64,
    /// Completion time, unless it never completed.
    pub complete_ns: Option<u64>,
    /// Ended `info`.
    pub info: bool,
    pub is_get: bool,
}

/// Pairs the client records by process. Records that do not pair are
/// skipped: liveness reports such a history.
pub(crate) fn timed_operations(history: &History) -> Vec<Timed> {
    let mut ops: Vec<Timed> = Vec::new();
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    for op in &history.ops {
        let Process::Client(process) = op.process else {
            continue;
        };
        if op.kind == OpType::Invoke {
            open.insert(process, ops.len());
            ops.push(Timed {
                invoke_index: op.index,
                invoke_ns: op.time_ns,
                complete_ns: None,
                info: false,
                is_get: op.f == Function::Get,
            });
        } else if let Some(slot) = open.remove(&process) {
            ops[slot].complete_ns = Some(op.time_ns);
            ops[slot].info = op.kind == OpType::Info;
        }
    }
    ops
}

/// The full operations of `history` whose invokes are at `invoke_indexes`
/// (for a report; only called when something failed).
pub(crate) fn operations_at(history: &History, invoke_indexes: &[u64]) -> Vec<Operation> {
    let Ok(all) = history.operations() else {
        return Vec::new();
    };
    all.into_iter()
        .filter(|op| invoke_indexes.contains(&op.invoke_index))
        .collect()
}

/// Judges a trial's availability: the quiet period from `history` and
/// `trace`, and every clean majority in `spans` (see the module docs).
pub fn check_availability(
    trace: &Trace,
    history: &History,
    spans: &[MajoritySpan],
    params: &AvailabilityParams,
) -> AvailabilityReport {
    let ops = timed_operations(history);
    let mut measured = Measured::default();
    let mut problems = quiet::judge(trace, history, &ops, params, &mut measured);
    problems.extend(spans::judge(trace, &ops, spans, params, &mut measured));
    problems.extend(voters::judge(trace, spans, params));
    AvailabilityReport {
        validity: Validity::all(problems.iter().map(AvailabilityProblem::validity)),
        problems,
        measured,
    }
}

/// The parameters the unit tests of this module share: the paper's timing
/// (150–300 ms elections, 50 ms heartbeats, 5 ms latency) for a three-node
/// cluster with one client, healed at `heal_ms`, clients stopping at
/// `clients_stop_ms`, ending at `end_ms`.
#[cfg(test)]
pub(crate) fn test_params(heal_ms: u64, clients_stop_ms: u64, end_ms: u64) -> AvailabilityParams {
    const MS: u64 = 1_000_000;
    let timing = Timing {
        cluster_size: 3,
        election_timeout_min_ms: 150,
        election_timeout_max_ms: 300,
        heartbeat_ms: 50,
        latency_max_us: 5_000,
        max_batch: 64,
        clients: 1,
        attempt_timeout_ms: 250,
        retry_backoff_ms: 25,
        think_max_ms: 20,
        op_timeout_ms: 1_000,
    };
    AvailabilityParams {
        bounds: Bounds::derive(&timing),
        heal_time_ns: heal_ms * MS,
        clients_stop_ns: clients_stop_ms * MS,
        end_ns: end_ms * MS,
        clients: 1,
    }
}

/// The `problem` tag of each problem, in order: what tests compare.
#[cfg(test)]
pub(crate) fn problem_kinds(problems: &[AvailabilityProblem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            serde_json::to_value(p).unwrap()["problem"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}
