//! Availability in the quiet period after the final heal.
//!
//! Once every fault is healed, every node runs and every link works: Raft
//! has all it needs (§5.6). The check finds the final leader's reign — the
//! recognised leader that holds office to the end of the trace, from the
//! later of its election and the heal — waits until that leader has
//! committed everything its log held then (a backlog the faults left
//! uncommitted may need followers restarted at the heal to catch up
//! first), and gives every node one heartbeat and one delivery to learn
//! of it ([`Bounds::known_ns`]). From then on:
//!
//! - each operation must complete (`ok` or `fail`) within
//!   [`Bounds::quiet_op_ns`] of its invoke;
//! - the operations invoked (until clients stop or the workload runs out)
//!   that completed must be at least half of what the client slots allow,
//!   one operation per [`Bounds::quiet_cycle_ns`] each, less one for the
//!   operation that straddles each end; a slot still waiting then for an
//!   operation it invoked during the faults is owed cycles only from that
//!   operation's end.

use super::cluster::ClusterView;
use super::MAX_OPS_LISTED;
use super::{operations_at, AvailabilityParams, AvailabilityProblem, Measured, Timed};
use histories::{History, NodeId, Trace};

/// The problems of the quiet period (none when no stable leader reigns at
/// the end: liveness reports that).
pub(super) fn judge(
    trace: &Trace,
    history: &History,
    ops: &[Timed],
    params: &AvailabilityParams,
    measured: &mut Measured,
) -> Vec<AvailabilityProblem> {
    let Some((leader, reign_ns)) = final_reign(trace) else {
        return Vec::new();
    };
    let bounds = &params.bounds;
    let from_ns = reign_ns.max(params.heal_time_ns);
    let Some(caught_up_ns) = backlog_committed(trace, leader, from_ns) else {
        return Vec::new(); // liveness judges a leader that commits nothing
    };
    let stable_ns = caught_up_ns + bounds.known_ns;
    let judged = ops.iter().filter(|op| {
        op.invoke_ns >= stable_ns && op.invoke_ns + bounds.quiet_op_ns <= params.end_ns
    });
    let mut slow = Vec::new();
    for op in judged {
        measured.quiet_ops += 1;
        match op.complete_ns {
            Some(done) if !op.info => {
                let took = done - op.invoke_ns;
                measured.slowest_quiet_op_ns = measured.slowest_quiet_op_ns.max(took);
                if took > bounds.quiet_op_ns {
                    slow.push(op.invoke_index);
                }
            }
            _ => slow.push(op.invoke_index),
        }
    }
    let mut problems = Vec::new();
    if !slow.is_empty() {
        problems.push(AvailabilityProblem::SlowAfterHeal {
            stable_since_ns: stable_ns,
            bound_ns: bounds.quiet_op_ns,
            count: slow.len(),
            ops: operations_at(history, &slow[..slow.len().min(MAX_OPS_LISTED)]),
        });
    }
    problems.extend(throughput(ops, stable_ns, params));
    problems
}

/// The throughput rule: `None` when it holds (or the stretch is too short
/// to judge).
///
/// A slot still busy at `from_ns` with an operation invoked during the
/// faults owes nothing until that operation ends: its request may have
/// gone to a node that crashed, and the client waits out an attempt
/// timeout before it retries, however healthy the cluster has become. So
/// each slot is owed cycles only from the later of `from_ns` and the end
/// of the operation it had in flight then (a client has at most one).
fn throughput(
    ops: &[Timed],
    from_ns: u64,
    params: &AvailabilityParams,
) -> Option<AvailabilityProblem> {
    let last_invoke_ns = ops.iter().map(|op| op.invoke_ns).max()?;
    let to_ns = params.clients_stop_ns.min(last_invoke_ns);
    let cycle_ns = params.bounds.quiet_cycle_ns;
    let owed = |free_ns: u64| (to_ns.saturating_sub(free_ns) / cycle_ns).saturating_sub(1);
    let busy_until: Vec<u64> = ops
        .iter()
        .filter(|op| op.invoke_ns < from_ns && op.complete_ns.is_none_or(|done| done > from_ns))
        .map(|op| op.complete_ns.unwrap_or(to_ns))
        .collect();
    let free_slots = u64::from(params.clients).saturating_sub(busy_until.len() as u64);
    let owed_cycles =
        free_slots * owed(from_ns) + busy_until.iter().map(|&ns| owed(ns)).sum::<u64>();
    let minimum = owed_cycles / 2;
    let completed = ops
        .iter()
        .filter(|op| (from_ns..to_ns).contains(&op.invoke_ns))
        .filter(|op| op.complete_ns.is_some() && !op.info)
        .count() as u64;
    (from_ns < to_ns && completed < minimum).then_some(AvailabilityProblem::ThroughputCollapsed {
        from_ns,
        to_ns,
        completed,
        minimum,
    })
}

/// The first instant from `from_ns` on at which `leader` has committed
/// every entry its log held at `from_ns`.
fn backlog_committed(trace: &Trace, leader: NodeId, from_ns: u64) -> Option<u64> {
    let mut view = ClusterView::default();
    let mut backlog = None;
    let events = &trace.events;
    for (position, event) in events.iter().enumerate() {
        if event.time_ns > from_ns && backlog.is_none() {
            backlog = Some(view.node(leader).last_index);
        }
        if let Some(node) = event.node {
            view.apply(node, &event.event);
        }
        let instant_ends = events
            .get(position + 1)
            .is_none_or(|next| next.time_ns != event.time_ns);
        let backlog = backlog.unwrap_or(u64::MAX);
        if instant_ends && event.time_ns >= from_ns && view.node(leader).commit >= backlog {
            return Some(event.time_ns);
        }
    }
    backlog.is_none().then_some(from_ns)
}

/// The leader recognised at the end of the trace and when its reign began
/// (looking after each instant's last event, as liveness does); `None`
/// when none is recognised at the end.
fn final_reign(trace: &Trace) -> Option<(NodeId, u64)> {
    let mut view = ClusterView::default();
    let mut reign: Option<((NodeId, u64), u64)> = None;
    let events = &trace.events;
    for (position, event) in events.iter().enumerate() {
        if let Some(node) = event.node {
            view.apply(node, &event.event);
        }
        let instant_ends = events
            .get(position + 1)
            .is_none_or(|next| next.time_ns != event.time_ns);
        if !instant_ends {
            continue;
        }
        let leader = view.recognised_leader(u64::MAX);
        reign = match (leader, reign) {
            (Some(now), Some((before, since))) if now == before => Some((before, since)),
            (Some(now), _) => Some((now, event.time_ns)),
            (None, _) => None,
        };
    }
    reign.map(|((leader, _), since)| (leader, since))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::check_availability;
    use histories::{Function, Op, OpType, Process, Role, TraceKind, Value};

    const MS: u64 = 1_000_000;

    fn params() -> AvailabilityParams {
        crate::availability::test_params(1_000, 2_500, 3_000)
    }

    /// One client's operations: (invoke ms, took ms, completion).
    fn history(ops: &[(u64, u64, OpType)]) -> History {
        let mut records = Vec::new();
        for &(at, took, kind) in ops {
            for (time, kind) in [(at, OpType::Invoke), (at + took, kind)] {
                records.push(Op {
                    index: records.len() as u64,
                    time_ns: time * MS,
                    kind,
                    process: Process::Client(0),
                    f: Function::Put,
                    key: Some(Value::str("k")),
                    value: Value::str("v"),
                    error: None,
                    node: None,
                });
            }
        }
        History::new(records)
    }

    #[test]
    fn after_the_heal_operations_are_as_fast_as_the_timing_allows() {
        let mut trace = Trace::default();
        let leader = TraceKind::RoleChanged {
            role: Role::Leader,
            term: 1,
        };
        trace.record(100 * MS, 0, leader);
        trace.record_nemesis(1_000 * MS, "heal".to_string());
        let fast: Vec<(u64, u64, OpType)> =
            (0..8).map(|i| (1_100 + i * 50, 30, OpType::Ok)).collect();
        // (operations, problems expected)
        let cases = [
            (fast.clone(), vec![]),
            (vec![(1_100, 300, OpType::Ok)], vec!["slow-after-heal"]),
            (vec![(1_100, 1_000, OpType::Info)], vec!["slow-after-heal"]),
            // Before the leader is known to everyone: not judged.
            (vec![(1_020, 300, OpType::Ok)], vec![]),
            (
                vec![(1_100, 30, OpType::Ok), (2_490, 5, OpType::Ok)],
                vec!["throughput-collapsed"],
            ),
            // A slot busy until 2 s with an operation from the faults owes
            // throughput only from then on...
            (
                vec![
                    (900, 1_100, OpType::Info),
                    (2_010, 5, OpType::Ok),
                    (2_490, 5, OpType::Ok),
                ],
                vec![],
            ),
            // ... and a slot that came free soon after the heal owes it all.
            (
                vec![(900, 200, OpType::Ok), (2_490, 5, OpType::Ok)],
                vec!["throughput-collapsed"],
            ),
        ];
        for (ops, expected) in cases {
            let report = check_availability(&trace, &history(&ops), &[], &params());
            let kinds = crate::availability::problem_kinds(&report.problems);
            assert_eq!(kinds, expected, "{ops:?}");
        }
    }
}
