//! The data `timeline.html` embeds: operations, node lanes, fault bands and
//! the failures, as one JSON document.
//!
//! The page is only a viewer; everything it shows is decided here, in Rust,
//! where it is deterministic (the same trial gives the same bytes) and
//! testable without a browser. Times are in the timeline's unit: virtual
//! nanoseconds, or — for histories without times, like Porcupine's etcd
//! logs — positions in the history.

use super::bands::{fault_bands, Band};
use super::focus::Failure;
use super::lanes::{node_lanes, NodeLane};
use histories::notation::Bare;
use histories::{History, NodeId, OpText, Operation, Outcome, Trace};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One operation as a bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpBar {
    /// The operation's number in invoke order: its position in `ops`.
    pub id: usize,
    /// The client process (its lane).
    pub p: u64,
    /// The function.
    pub f: String,
    /// The key, as the notation writes it; `None` for a single register.
    pub key: Option<String>,
    /// The operation in raftstorm's notation.
    pub text: String,
    /// ok, fail or info.
    pub outcome: Outcome,
    /// Invoke time.
    pub t0: u64,
    /// Completion time, if it completed (an `info` bar is drawn open to the
    /// end whatever this says: it may take effect any time later).
    pub t1: Option<u64>,
    /// The node that served it, when known.
    pub node: Option<NodeId>,
    /// The completion's error.
    pub error: Option<String>,
    /// History record of the invoke.
    pub inv: u64,
    /// History record of the completion.
    pub cmp: Option<u64>,
}

/// A proving trace event, placed on its node's lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Marker {
    /// When.
    pub t: u64,
    /// The node (none for cluster-wide events).
    pub node: Option<NodeId>,
    /// Position in the trace.
    pub pos: usize,
    /// The event in words.
    pub text: String,
}

/// A failed check, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureData {
    /// `linearizability`, `invariant` or `liveness`.
    pub check: String,
    /// One line.
    pub summary: String,
    /// The checker's explanation in words.
    pub explanation: String,
    /// The key it is about (linearizability), as the notation writes it.
    pub key: Option<String>,
    /// The failing operations (ids).
    pub ops: Vec<usize>,
    /// The longest linearizable prefix as a path: (op id, time of its
    /// point), in linearization order.
    pub path: Vec<(usize, u64)>,
    /// The possible model states where the search got stuck.
    pub states: Vec<String>,
    /// The stretch of time the failure is about.
    pub window: Option<(u64, u64)>,
    /// The nodes it is about.
    pub nodes: Vec<NodeId>,
    /// The term it is about.
    pub term: Option<u64>,
    /// The log index it is about.
    pub index: Option<u64>,
    /// The proving events.
    pub events: Vec<Marker>,
    /// What the cluster was doing when the window opened.
    pub context: Vec<String>,
}

/// Everything the page draws.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineData {
    /// The page's heading.
    pub title: String,
    /// Facts under the heading (configuration, verdict).
    pub subtitle: Vec<String>,
    /// `ns` or `record`.
    pub unit: &'static str,
    /// The end of the time axis.
    pub end: u64,
    /// The client processes, one lane each, ascending.
    pub processes: Vec<u64>,
    /// The keys, as the notation writes them, ascending.
    pub keys: Vec<String>,
    /// Every client operation, in invoke order.
    pub ops: Vec<OpBar>,
    /// One lane per node (empty without a trace).
    pub nodes: Vec<NodeLane>,
    /// The nemesis faults.
    pub bands: Vec<Band>,
    /// What failed (empty when nothing did).
    pub failures: Vec<FailureData>,
}

/// What a timeline is made of.
pub struct Sources<'a> {
    /// Heading.
    pub title: String,
    /// Lines under it.
    pub subtitle: Vec<String>,
    /// The history's records (for nodes, nemesis records and times).
    pub history: &'a History,
    /// Its operations, paired.
    pub operations: &'a [Operation],
    /// The cluster trace and the cluster size, when there is one.
    pub trace: Option<(&'a Trace, u32)>,
    /// What failed.
    pub failures: &'a [Failure],
}

/// Builds the page's data.
pub fn timeline_data(sources: &Sources<'_>) -> TimelineData {
    let history = sources.history;
    let timed = history.ops.iter().any(|op| op.time_ns > 0);
    let at = |record: u64, time_ns: u64| if timed { time_ns } else { record };
    let last_record = history.ops.last();
    let trace_end = sources
        .trace
        .and_then(|(t, _)| t.events.last())
        .map(|e| e.time_ns);
    let end = match last_record {
        Some(op) if timed => op.time_ns.max(trace_end.unwrap_or(0)),
        Some(op) => op.index + 1,
        None => trace_end.unwrap_or(0),
    };
    let ops: Vec<OpBar> = sources
        .operations
        .iter()
        .enumerate()
        .map(|(position, op)| OpBar {
            id: position,
            ..bar(op, history, at)
        })
        .collect();
    let by_record: BTreeMap<u64, usize> = ops.iter().map(|bar| (bar.inv, bar.id)).collect();
    let nodes = match sources.trace {
        Some((trace, size)) if timed => node_lanes(trace, size, end),
        _ => Vec::new(),
    };
    let bands = fault_bands(history, |op| at(op.index, op.time_ns), end);
    let failures = sources
        .failures
        .iter()
        .map(|failure| failure_data(failure, &ops, &by_record, timed, &nodes, &bands))
        .collect();
    TimelineData {
        title: sources.title.clone(),
        subtitle: sources.subtitle.clone(),
        unit: if timed { "ns" } else { "record" },
        end,
        processes: ops
            .iter()
            .map(|bar| bar.p)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        keys: ops
            .iter()
            .filter_map(|bar| bar.key.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        ops,
        nodes,
        bands,
        failures,
    }
}

fn bar(op: &Operation, history: &History, at: impl Fn(u64, u64) -> u64) -> OpBar {
    let completion = op.complete_index.and_then(|i| history.ops.get(i as usize));
    OpBar {
        id: op.id,
        p: op.process,
        f: op.f.to_string(),
        key: op.key.as_ref().map(|key| Bare(key).to_string()),
        text: OpText(op).to_string(),
        outcome: op.outcome,
        t0: at(op.invoke_index, op.invoke_time_ns),
        t1: op
            .complete_index
            .zip(op.complete_time_ns)
            .map(|(i, t)| at(i, t)),
        node: completion.and_then(|record| record.node),
        error: op.error.clone(),
        inv: op.invoke_index,
        cmp: op.complete_index,
    }
}

fn failure_data(
    failure: &Failure,
    ops: &[OpBar],
    by_record: &BTreeMap<u64, usize>,
    timed: bool,
    nodes: &[NodeLane],
    bands: &[Band],
) -> FailureData {
    let ids = |records: &[u64]| -> Vec<usize> {
        records
            .iter()
            .filter_map(|r| by_record.get(r).copied())
            .collect()
    };
    let marked = ids(&failure.ops);
    let path = linearization_path(&ids(&failure.prefix), ops);
    let window = match (timed, failure.window) {
        (true, window) => window,
        (false, _) => span(marked.iter().map(|&id| &ops[id])),
    };
    let window = window.map(|(start, end)| (path_start(&path, start), end));
    let events = failure
        .events
        .iter()
        .map(|(pos, event)| Marker {
            t: event.time_ns,
            node: event.node,
            pos: *pos,
            text: event.to_string().trim().to_string(),
        })
        .collect();
    FailureData {
        check: failure.check.to_string(),
        summary: failure.summary.clone(),
        explanation: failure.explanation.clone(),
        key: failure.key.clone(),
        path,
        ops: marked,
        states: failure.states.clone(),
        window,
        nodes: failure.nodes.clone(),
        term: failure.term,
        index: failure.index,
        events,
        context: window.map_or_else(Vec::new, |window| {
            super::context::cluster_during(nodes, bands, window)
        }),
    }
}

/// How many of the prefix's last operations the window shows: the
/// operations the failing one contradicts are usually among them.
const PATH_SHOWN: usize = 6;

/// The window's start, moved back to show the prefix's last points.
fn path_start(path: &[(usize, u64)], start: u64) -> u64 {
    let shown = &path[path.len().saturating_sub(PATH_SHOWN)..];
    shown.iter().map(|&(_, t)| t).fold(start, u64::min)
}

/// The time span of some bars (open bars end where they start).
fn span<'a>(bars: impl Iterator<Item = &'a OpBar>) -> Option<(u64, u64)> {
    bars.map(|bar| (bar.t0, bar.t1.unwrap_or(bar.t0)))
        .reduce(|(a0, a1), (b0, b1)| (a0.min(b0), a1.max(b1)))
}

/// A point inside each operation's bar, in linearization order and never
/// going back in time: each at its invoke or at the previous point,
/// whichever is later. A linearization respects real time, so the point
/// stays before the operation's completion.
fn linearization_path(order: &[usize], ops: &[OpBar]) -> Vec<(usize, u64)> {
    let mut previous = 0;
    order
        .iter()
        .map(|&id| {
            let bar = &ops[id];
            let mut point = bar.t0.max(previous);
            if let Some(t1) = bar.t1.filter(|_| bar.outcome != Outcome::Info) {
                point = point.min(t1);
            }
            previous = point;
            (id, point)
        })
        .collect()
}
