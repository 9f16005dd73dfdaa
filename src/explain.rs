//! Readable explanations: `report.txt` and the compact timeline that
//! `replay` prints.
//!
//! A failure report should let an engineer see, in one screen, what went
//! wrong and how the cluster got there: the verdict with its proof, then a
//! timeline of faults, elections and the operations around the failure.

use crate::trial::{TrialResult, TrialVerdict};
use checker::Validity;
use histories::{History, Op, OpType, Role, Trace, TraceKind};
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
    }
    if verdict.liveness.validity != Validity::Valid {
        let _ = writeln!(text, "\n== Liveness ==\n{}", verdict.liveness);
    }
    let _ = writeln!(text, "\n== Fault schedule ==\n{}", spec.schedule);
    let _ = writeln!(
        text,
        "== Timeline ==\n{}",
        timeline(
            &result.output.history,
            &result.output.trace,
            failure_focus(result)
        )
    );
    text
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
/// liveness problem; `None` when nothing failed.
pub fn one_line_reason(verdict: &TrialVerdict) -> Option<String> {
    if let Some(violation) = verdict.safety.violations.first() {
        return Some(format!("[{}] {}", violation.invariant, violation.message));
    }
    if let Some(counterexample) = verdict.linearizability.counterexample() {
        return Some(format!(
            "key {} is not linearizable: {} cannot be linearized",
            checker::linearizability::key_label(counterexample.key.as_ref()),
            checker::linearizability::OpLine(&counterexample.failed_op)
        ));
    }
    if let Some(problem) = verdict.liveness.problems.first() {
        let text = problem.to_string();
        return Some(text.lines().next().unwrap_or_default().to_string());
    }
    if verdict.validity != Validity::Valid {
        return Some(format!("the verdict is {}", verdict.validity));
    }
    None
}

/// The time window a failure is about, if the verdict points at one.
pub fn failure_focus(result: &TrialResult) -> Option<(u64, u64)> {
    let verdict = &result.verdict;
    if let Some(counterexample) = verdict.linearizability.counterexample() {
        let op = &counterexample.failed_op;
        let end = op.complete_time_ns.unwrap_or(op.invoke_time_ns);
        return Some((op.invoke_time_ns, end));
    }
    let events = verdict.safety.violations.first()?.events.iter();
    let times: Vec<u64> = events.map(|(_, event)| event.time_ns).collect();
    Some((*times.iter().min()?, *times.iter().max()?))
}

/// A compact timeline: every fault, election, crash, restart, pause and
/// resume, and the client operations around `focus` (or the first few).
pub fn timeline(history: &History, trace: &Trace, focus: Option<(u64, u64)>) -> String {
    let mut lines: Vec<(u64, String)> = trace
        .events
        .iter()
        .filter(|event| {
            matches!(
                event.event,
                TraceKind::RoleChanged {
                    role: Role::Leader,
                    ..
                } | TraceKind::Crashed
                    | TraceKind::Restarted { .. }
                    | TraceKind::Paused
                    | TraceKind::Resumed
                    | TraceKind::Nemesis { .. }
            )
        })
        .map(|event| (event.time_ns, event.to_string()))
        .collect();
    let near = |op: &Op| match focus {
        Some((start, end)) => {
            op.time_ns + AROUND_NS >= start && op.time_ns <= end.saturating_add(AROUND_NS)
        }
        None => true,
    };
    lines.extend(
        history
            .client_ops()
            .filter(|op| near(op))
            .take(TIMELINE_OPS * 2)
            .map(|op| (op.time_ns, format_op(op))),
    );
    lines.sort_by_key(|(time_ns, _)| *time_ns);
    let mut text = String::new();
    for (_, line) in lines {
        let _ = writeln!(text, "{line}");
    }
    text
}

fn format_op(op: &Op) -> String {
    let millis = op.time_ns / 1_000_000;
    let micros = (op.time_ns / 1_000) % 1_000;
    let marker = match op.kind {
        OpType::Invoke => "->",
        OpType::Ok => "<- ok",
        OpType::Fail => "<- fail",
        OpType::Info => "<- info",
    };
    let key = op.key.as_ref().map(|k| format!(" {k}")).unwrap_or_default();
    let error = op
        .error
        .as_ref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    format!(
        "{millis:>6}.{micros:03}ms p{:<3} {marker} {}{key} {}{error}",
        op.process, op.f, op.value
    )
}
