//! What failed, where in time, and which operations and events prove it:
//! the focus both the text timeline of `report.txt` and `timeline.html`
//! are drawn around.
//!
//! A report that shows the first seconds of a trial when the failure is at
//! its end explains nothing. Each failed check names its own window — the
//! operation that cannot be linearized, the events that break an
//! invariant, the stretch after the heal in which operations stalled — and
//! the operations to mark.

use checker::invariants::{LivenessProblem, LivenessReport, Violation};
use checker::linearizability::{Counterexample, Report};
use histories::{NodeId, Operation, TraceEvent};
use std::collections::BTreeSet;

/// One failed check, as the timelines show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `linearizability`, `invariant` or `liveness`.
    pub check: &'static str,
    /// What failed, in one line.
    pub summary: String,
    /// The checker's explanation in words.
    pub explanation: String,
    /// The key it is about, as the notation writes it (linearizability).
    pub key: Option<String>,
    /// The operations that failed, by the history record of their invoke.
    pub ops: Vec<u64>,
    /// The longest linearizable prefix, by invoke record, in linearization
    /// order (linearizability only).
    pub prefix: Vec<u64>,
    /// The model states possible where the search got stuck.
    pub states: Vec<String>,
    /// The stretch of time the failure is about, in nanoseconds.
    pub window: Option<(u64, u64)>,
    /// The nodes the failure is about.
    pub nodes: Vec<NodeId>,
    /// The term the failure is about.
    pub term: Option<u64>,
    /// The log index the failure is about.
    pub index: Option<u64>,
    /// The trace events that prove it (position, event).
    pub events: Vec<(usize, TraceEvent)>,
}

impl Failure {
    fn new(check: &'static str, summary: String, explanation: String) -> Failure {
        Failure {
            check,
            summary,
            explanation,
            key: None,
            ops: Vec::new(),
            prefix: Vec::new(),
            states: Vec::new(),
            window: None,
            nodes: Vec::new(),
            term: None,
            index: None,
            events: Vec::new(),
        }
    }
}

/// The failure of a linearizability check, if it found a counterexample.
pub fn linearizability_failure(report: &Report) -> Option<Failure> {
    let counterexample = report.counterexample()?;
    Some(from_counterexample(counterexample))
}

fn from_counterexample(counterexample: &Counterexample) -> Failure {
    let op = &counterexample.failed_op;
    let summary = format!(
        "key {} is not linearizable: {} cannot be linearized",
        checker::linearizability::key_label(counterexample.key.as_ref()),
        histories::OpText(op)
    );
    let mut failure = Failure::new("linearizability", summary, counterexample.to_string());
    failure.key = counterexample
        .key
        .as_ref()
        .map(|key| histories::notation::Bare(key).to_string());
    failure.ops = vec![op.invoke_index];
    failure.prefix = counterexample
        .prefix
        .iter()
        .map(|op| op.invoke_index)
        .collect();
    failure.states = counterexample
        .states
        .iter()
        .map(|s| s.to_string())
        .collect();
    failure.window = Some((
        op.invoke_time_ns,
        op.complete_time_ns.unwrap_or(op.invoke_time_ns),
    ));
    failure
}

/// The failure a broken invariant makes.
pub fn invariant_failure(violation: &Violation) -> Failure {
    let summary = format!("[{}] {}", violation.invariant, violation.message);
    let mut failure = Failure::new("invariant", summary, violation.to_string());
    failure.nodes = violation.nodes.clone();
    failure.term = violation.term;
    failure.index = violation.index;
    failure.events = violation.events.clone();
    let times = violation.events.iter().map(|(_, event)| event.time_ns);
    failure.window = times.clone().min().zip(times.max());
    failure
}

/// The failure of a liveness check after the heal at `heal_time_ns`: its
/// window runs from the heal (or the first stalled invoke, if later) to the
/// last stalled operation's end or deadline.
pub fn liveness_failure(report: &LivenessReport, heal_time_ns: u64) -> Option<Failure> {
    let first = report.problems.first()?;
    let summary = first
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let mut failure = Failure::new("liveness", summary, report.to_string());
    let mut ops = BTreeSet::new();
    let (mut start, mut end) = (u64::MAX, heal_time_ns);
    for problem in &report.problems {
        let (from, to, stalled) = problem_window(problem, heal_time_ns);
        start = start.min(from);
        end = end.max(to);
        ops.extend(stalled.iter().map(|op| op.invoke_index));
    }
    failure.ops = ops.into_iter().collect();
    failure.window = Some((start.min(end), end));
    Some(failure)
}

/// When one liveness problem happened, and the operations it names.
fn problem_window(problem: &LivenessProblem, heal_time_ns: u64) -> (u64, u64, &[Operation]) {
    let stalled = |deadline: u64, ops: &[Operation]| {
        let first = ops.iter().map(|op| op.invoke_time_ns).min();
        let first = first.unwrap_or(heal_time_ns);
        let ends = ops.iter().map(|op| op.complete_time_ns.unwrap_or(deadline));
        (first, ends.max().unwrap_or(deadline).max(first))
    };
    match problem {
        LivenessProblem::NoLeaderAfterHeal { bound_end_ns, .. } => {
            (heal_time_ns, *bound_end_ns, &[])
        }
        LivenessProblem::NoLeaderAtEnd { end_time_ns, .. } => (heal_time_ns, *end_time_ns, &[]),
        LivenessProblem::Unfinished {
            deadline_ns, ops, ..
        } => {
            let (from, to) = stalled(*deadline_ns, ops);
            (from, to, ops)
        }
        LivenessProblem::IndeterminateAfterSettle {
            settled_at_ns, ops, ..
        } => {
            let (from, to) = stalled(*settled_at_ns, ops);
            (from, to, ops)
        }
        LivenessProblem::UnpairedHistory { .. } => (heal_time_ns, heal_time_ns, &[]),
    }
}

/// Every failure of a trial's verdict: the first violation of each broken
/// invariant, the linearizability counterexample, the liveness problems.
pub fn trial_failures(result: &crate::trial::TrialResult) -> Vec<Failure> {
    let verdict = &result.verdict;
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for violation in &verdict.safety.violations {
        if seen.insert(violation.invariant) {
            failures.push(invariant_failure(violation));
        }
    }
    failures.extend(linearizability_failure(&verdict.linearizability));
    let heal_time_ns = result.spec.liveness_params().heal_time_ns;
    failures.extend(liveness_failure(&verdict.liveness, heal_time_ns));
    failures
}

/// The window to show first: the first failure's that has one.
pub fn first_window(failures: &[Failure]) -> Option<(u64, u64)> {
    failures.iter().find_map(|failure| failure.window)
}
