//! Readable explanations: `report.txt` and the compact timeline that
//! `replay` prints.
//!
//! A failure report should let an engineer see, in one screen, what went
//! wrong and how the cluster got there: the verdict with its proof, then a
//! timeline of faults, elections and the operations around the failure.

use crate::timeline::focus::{self, Failure};
use crate::trial::{TrialResult, TrialVerdict};
use checker::Validity;
use histories::{History, Op, OpType, RecordText, Role, Trace, TraceKind};
use std::collections::BTreeSet;
use std::fmt::Write;

/// At most this many client operations appear in a timeline.
const TIMELINE_OPS: usize = 24;

/// Operations within this distance of the failure are "around" it.
const AROUND_NS: u64 = 300_000_000;

/// The text of `report.txt`.
pub fn report_text(result: &TrialResult, replay_command: &str) -> String {
    let spec = &result.spec;
    let verdict = &result.verdict;
    let world = &spec.config.world;
    let mut text = String::new();
    let _ = writeln!(text, "raftstorm trial {}: {}", spec.seed, verdict.validity);
    let _ = writeln!(text, "replay: {replay_command}");
    let _ = writeln!(
        text,
        "cluster: {} {} nodes, {} clients, read mode {}, bugs: {}",
        world.cluster.cluster_size,
        spec.config.system.name(),
        world.clients.count,
        world.cluster.read_mode,
        bug_list(spec)
    );
    let failed: Vec<String> = verdict
        .failed_checks
        .iter()
        .map(|c| format!("{} ({})", c.check, c.validity))
        .collect();
    let _ = writeln!(
        text,
        "failed checks: {}",
        if failed.is_empty() {
            "none".to_string()
        } else {
            failed.join(", ")
        }
    );
    if verdict.safety.validity != Validity::Valid {
        let _ = writeln!(text, "\n== Safety ==\n{}", verdict.safety);
    }
    if verdict.linearizability.validity != Validity::Valid {
        let _ = writeln!(text, "\n== Linearizability ==\n{}", verdict.linearizability);
        text += &served_by(result);
    }
    if verdict.liveness.validity != Validity::Valid {
        let _ = writeln!(text, "\n== Liveness ==\n{}", verdict.liveness);
    }
    if let Some(availability) = verdict
        .availability
        .as_ref()
        .filter(|report| report.validity != Validity::Valid)
    {
        let _ = writeln!(text, "\n== Availability ==\n{availability}");
    }
    let _ = writeln!(text, "\n== Fault schedule ==\n{}", spec.schedule);
    let _ = writeln!(text, "== Timeline ==\n{}", trial_timeline(result));
    text
}

/// Which node answered the operation that cannot be linearized (a stale
/// read names the node that served it), when the history says.
fn served_by(result: &TrialResult) -> String {
    let Some(counterexample) = result.verdict.linearizability.counterexample() else {
        return String::new();
    };
    let op = &counterexample.failed_op;
    let record = op
        .complete_index
        .and_then(|index| result.output.history.ops.get(index as usize));
    match record.and_then(|record| record.node) {
        Some(node) => format!("  {} was answered by n{node}\n", histories::OpText(op)),
        None => String::new(),
    }
}

fn bug_list(spec: &crate::trial::TrialSpec) -> String {
    let bugs = spec.config.system.bug_names();
    if bugs.is_empty() {
        "none".to_string()
    } else {
        bugs.join(", ")
    }
}

/// Why a trial failed, in one line: the first broken invariant's message,
/// or the first operation that cannot be linearized, or the first
/// liveness problem, or the first availability problem; `None` when
/// nothing failed.
pub fn one_line_reason(verdict: &TrialVerdict) -> Option<String> {
    if let Some(violation) = verdict.safety.violations.first() {
        return Some(format!("[{}] {}", violation.invariant, violation.message));
    }
    if let Some(counterexample) = verdict.linearizability.counterexample() {
        return Some(format!(
            "key {} is not linearizable: {} cannot be linearized",
            checker::linearizability::key_label(counterexample.key.as_ref()),
            histories::OpText(&counterexample.failed_op)
        ));
    }
    if let Some(problem) = verdict.liveness.problems.first() {
        let text = problem.to_string();
        return Some(text.lines().next().unwrap_or_default().to_string());
    }
    let availability = verdict.availability.as_ref();
    if let Some(problem) = availability.and_then(|report| report.problems.first()) {
        let text = problem.to_string();
        return Some(format!(
            "[availability] {}",
            text.lines().next().unwrap_or_default()
        ));
    }
    if verdict.validity != Validity::Valid {
        return Some(format!("the verdict is {}", verdict.validity));
    }
    None
}

/// The compact timeline of a checked trial, around what failed.
pub fn trial_timeline(result: &TrialResult) -> String {
    let failures = focus::trial_failures(result);
    let size = result.spec.config.world.cluster.cluster_size;
    timeline(
        &result.output.history,
        &result.output.trace,
        &failures,
        size,
    )
}

/// A compact timeline around the first failure's window (or of the first
/// operations when nothing failed): what the cluster was doing when the
/// window opened, then every fault, election, crash, restart, pause and
/// resume near it, and the client operations in it, the failing ones
/// marked `►`.
pub fn timeline(
    history: &History,
    trace: &Trace,
    failures: &[Failure],
    cluster_size: u32,
) -> String {
    let window = focus::first_window(failures);
    let near = |time_ns: u64| match window {
        Some((start, end)) => {
            time_ns + AROUND_NS >= start && time_ns <= end.saturating_add(AROUND_NS)
        }
        None => true,
    };
    let marked: BTreeSet<u64> = failures
        .iter()
        .flat_map(|f| f.ops.iter().copied())
        .collect();
    let failing = failing_records(history, &marked);
    let mut lines: Vec<(u64, String)> = trace
        .events
        .iter()
        .filter(|event| is_milestone(&event.event) && (window.is_none() || near(event.time_ns)))
        .map(|event| (event.time_ns, format!(" {event}")))
        .collect();
    let mut ops: Vec<&Op> = history.client_ops().filter(|op| near(op.time_ns)).collect();
    if ops.len() > TIMELINE_OPS * 2 {
        // Keep the failing records, then the ones nearest the window's start.
        let keep: Vec<&Op> = ops
            .iter()
            .copied()
            .filter(|op| failing.contains(&op.index))
            .collect();
        ops.retain(|op| !failing.contains(&op.index));
        ops.truncate((TIMELINE_OPS * 2).saturating_sub(keep.len()));
        ops.extend(keep);
    }
    lines.extend(
        ops.into_iter()
            .map(|op| (op.time_ns, format_op(op, failing.contains(&op.index)))),
    );
    lines.sort_by_key(|(time_ns, _)| *time_ns);
    let mut text = String::new();
    if let Some(window) = window {
        let end = trace.events.last().map_or(0, |event| event.time_ns);
        let lanes = crate::timeline::lanes::node_lanes(trace, cluster_size, end);
        let bands = crate::timeline::bands::fault_bands(history, |op| op.time_ns, end);
        for line in crate::timeline::context::cluster_during(&lanes, &bands, window) {
            let _ = writeln!(text, "{line}");
        }
        let _ = writeln!(text);
    }
    for (_, line) in lines {
        let _ = writeln!(text, "{line}");
    }
    text
}

/// The invoke and completion records of the failing operations (given by
/// their invoke records).
fn failing_records(history: &History, invokes: &BTreeSet<u64>) -> BTreeSet<u64> {
    let mut records = invokes.clone();
    if let Ok(operations) = history.operations() {
        for op in operations
            .iter()
            .filter(|op| invokes.contains(&op.invoke_index))
        {
            records.extend(op.complete_index);
        }
    }
    records
}

/// Faults, elections, crashes, restarts, pauses and resumes.
fn is_milestone(event: &TraceKind) -> bool {
    matches!(
        event,
        TraceKind::RoleChanged {
            role: Role::Leader,
            ..
        } | TraceKind::Crashed
            | TraceKind::Restarted { .. }
            | TraceKind::Paused
            | TraceKind::Resumed
            | TraceKind::Nemesis { .. }
    )
}

/// One record: its time, then the operation in raftstorm's notation, and
/// on a completion why it ended so and which node answered.
fn format_op(op: &Op, failing: bool) -> String {
    let millis = op.time_ns / 1_000_000;
    let micros = (op.time_ns / 1_000) % 1_000;
    let marker = if failing { "►" } else { " " };
    let what = if op.kind == OpType::Invoke {
        "invokes"
    } else {
        ""
    };
    let mut notes = Vec::new();
    if let Some(error) = &op.error {
        notes.push(error.clone());
    }
    if let Some(node) = op.node {
        notes.push(format!("served by n{node}"));
    }
    let notes = match notes.is_empty() {
        true => String::new(),
        false => format!("  ({})", notes.join(", ")),
    };
    format!(
        "{marker}{millis:>6}.{micros:03}ms {what:<8}{}{notes}",
        RecordText(op)
    )
}
