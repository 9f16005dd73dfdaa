//! Liveness after the heal: a leader emerges and every client gets an
//! answer.
//!
//! Safety can be judged at any instant; liveness only once the faults stop.
//! Every trial ends with a heal and a quiet period, and this verdict asks
//! what a user of the cluster would:
//!
//! 1. Within `election_bound_ns` of the heal, is there a *recognised*
//!    leader — a running, unfrozen leader whose term no running node has
//!    passed? (A stale leader cut off in an old term does not count: the
//!    first message from a newer term deposes it.) An existing leader that
//!    is still recognised at the heal counts at once. And is there one when
//!    the trace ends?
//! 2. Has every client operation completed, one way or another, by
//!    `completion_deadline_ns`?
//! 3. Did every operation invoked at or after `heal_time_ns + settle_ns`
//!    end `ok` or `fail`? Once the cluster has settled, `info` (a timeout)
//!    means a client waited for an answer that never came.

use super::nodes::NodeTable;
use crate::verdict::Validity;
use histories::{History, NodeId, Operation, Outcome, Role, Trace, TraceEvent, TraceKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many operations a problem names; the rest are counted.
pub const MAX_OPS_LISTED: usize = 5;

/// The bounds a trial promises once its faults are healed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LivenessParams {
    /// When every fault was healed, in virtual nanoseconds.
    pub heal_time_ns: u64,
    /// How long after the heal a recognised leader may take to appear.
    pub election_bound_ns: u64,
    /// Every client operation must have completed (any way) by this time.
    pub completion_deadline_ns: u64,
    /// Operations invoked this long after the heal or later must end `ok`
    /// or `fail`, not `info`.
    pub settle_ns: u64,
}

/// A leader the cluster recognised at some moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderSighting {
    /// The leader.
    pub node: NodeId,
    /// Its term.
    pub term: u64,
    /// When it was seen recognised, in virtual nanoseconds.
    pub time_ns: u64,
}

impl fmt::Display for LeaderSighting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n{} in term {} at {}",
            self.node,
            self.term,
            Millis(self.time_ns)
        )
    }
}

/// One way liveness failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum LivenessProblem {
    /// No recognised leader at any moment from the heal to the bound.
    NoLeaderAfterHeal {
        /// When the faults were healed.
        heal_time_ns: u64,
        /// The end of the window.
        bound_end_ns: u64,
        /// The last recognised leader before the window closed, if any.
        last_leader: Option<LeaderSighting>,
    },
    /// No recognised leader once the trace ends.
    NoLeaderAtEnd {
        /// Time of the trace's last event.
        end_time_ns: u64,
        /// The last recognised leader, if there ever was one.
        last_leader: Option<LeaderSighting>,
    },
    /// Operations with no completion by the deadline.
    Unfinished {
        /// The deadline.
        deadline_ns: u64,
        /// How many operations.
        count: usize,
        /// The first [`MAX_OPS_LISTED`] of them, in invoke order.
        ops: Vec<Operation>,
    },
    /// Operations invoked after the cluster had settled that ended `info`.
    IndeterminateAfterSettle {
        /// From when on operations had to end `ok` or `fail`.
        settled_at_ns: u64,
        /// How many operations.
        count: usize,
        /// The first [`MAX_OPS_LISTED`] of them, in invoke order.
        ops: Vec<Operation>,
    },
    /// The history's records do not pair into operations, so the
    /// operations could not be judged.
    UnpairedHistory {
        /// Why.
        message: String,
    },
}

impl LivenessProblem {
    /// What the problem makes of the verdict: a proven failure, or (for a
    /// history that cannot be read as operations) no verdict.
    pub fn validity(&self) -> Validity {
        match self {
            LivenessProblem::UnpairedHistory { .. } => Validity::Unknown,
            _ => Validity::Invalid,
        }
    }
}

impl fmt::Display for LivenessProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LivenessProblem::NoLeaderAfterHeal {
                heal_time_ns,
                bound_end_ns,
                last_leader,
            } => {
                write!(
                    f,
                    "no recognised leader between the heal at {} and {}",
                    Millis(*heal_time_ns),
                    Millis(*bound_end_ns)
                )?;
                write_last_leader(f, last_leader)
            }
            LivenessProblem::NoLeaderAtEnd {
                end_time_ns,
                last_leader,
            } => {
                write!(
                    f,
                    "no recognised leader when the trace ends at {}",
                    Millis(*end_time_ns)
                )?;
                write_last_leader(f, last_leader)
            }
            LivenessProblem::Unfinished {
                deadline_ns,
                count,
                ops,
            } => {
                write!(
                    f,
                    "{count} operation(s) not completed by {}",
                    Millis(*deadline_ns)
                )?;
                write_ops(f, ops, *count)
            }
            LivenessProblem::IndeterminateAfterSettle {
                settled_at_ns,
                count,
                ops,
            } => {
                write!(
                    f,
                    "{count} operation(s) invoked after the cluster settled at {} ended info",
                    Millis(*settled_at_ns)
                )?;
                write_ops(f, ops, *count)
            }
            LivenessProblem::UnpairedHistory { message } => {
                write!(
                    f,
                    "operations not judged, the history does not pair: {message}"
                )
            }
        }
    }
}

fn write_last_leader(f: &mut fmt::Formatter<'_>, last: &Option<LeaderSighting>) -> fmt::Result {
    match last {
        Some(sighting) => write!(f, " (last recognised leader: {sighting})"),
        None => f.write_str(" (no leader was ever recognised)"),
    }
}

fn write_ops(f: &mut fmt::Formatter<'_>, ops: &[Operation], count: usize) -> fmt::Result {
    for op in ops {
        write!(
            f,
            "\n    {}: invoked at {}, ",
            histories::OpText(op),
            Millis(op.invoke_time_ns)
        )?;
        match (op.complete_time_ns, op.outcome) {
            (Some(time_ns), outcome) => {
                let outcome = match outcome {
                    Outcome::Ok => "ok",
                    Outcome::Fail => "fail",
                    Outcome::Info => "info",
                };
                write!(f, "{outcome} at {}", Millis(time_ns))?;
            }
            (None, _) => f.write_str("never completed")?,
        }
    }
    if count > ops.len() {
        write!(f, "\n    … and {} more", count - ops.len())?;
    }
    Ok(())
}

/// The liveness verdict of a trial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessReport {
    /// `Valid` with no problem; `Invalid` when a bound was missed;
    /// `Unknown` when only the history could not be judged.
    pub validity: Validity,
    /// The first recognised leader from the heal on, within the bound.
    pub leader_after_heal: Option<LeaderSighting>,
    /// What went wrong, leaders first, then operations.
    pub problems: Vec<LivenessProblem>,
}

impl fmt::Display for LivenessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "liveness: {}", self.validity)?;
        if let Some(sighting) = &self.leader_after_heal {
            write!(f, " (leader after the heal: {sighting})")?;
        }
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Judges recovery after the heal: leaders from `trace`, operations from
/// `history`, against the bounds of `params`. See the module docs for the
/// three questions asked.
pub fn check_liveness(trace: &Trace, history: &History, params: &LivenessParams) -> LivenessReport {
    let mut problems = Vec::new();
    let leaders = watch_leaders(&trace.events, params);
    let bound_end_ns = params.heal_time_ns.saturating_add(params.election_bound_ns);
    if leaders.after_heal.is_none() {
        problems.push(LivenessProblem::NoLeaderAfterHeal {
            heal_time_ns: params.heal_time_ns,
            bound_end_ns,
            last_leader: leaders.last_before_bound,
        });
    }
    if !leaders.at_end {
        problems.push(LivenessProblem::NoLeaderAtEnd {
            end_time_ns: trace.events.last().map_or(0, |event| event.time_ns),
            last_leader: leaders.last_seen,
        });
    }
    if !screen::all_answered_in_time(history, params) {
        match history.operations() {
            Ok(operations) => problems.extend(judge_operations(&operations, params)),
            Err(err) => problems.push(LivenessProblem::UnpairedHistory {
                message: err.to_string(),
            }),
        }
    }
    LivenessReport {
        validity: Validity::all(problems.iter().map(LivenessProblem::validity)),
        leader_after_heal: leaders.after_heal,
        problems,
    }
}

/// A quick look at the raw records that clears a well-behaved history
/// without pairing it into operations (which copies every value).
mod screen {
    use super::LivenessParams;
    use histories::{Function, History, OpType, Process};

    /// Processes numbered below this are tracked in a vector; a larger
    /// number sends the history to the full pairing.
    const TRACKED_PROCESSES: u64 = 1 << 16;

    #[derive(Clone, Copy)]
    enum Caller<'h> {
        Idle,
        Busy {
            invoke_time_ns: u64,
            f: &'h Function,
        },
        /// Its last operation ended `info`: it must never invoke again.
        Retired,
    }

    /// True only when every client operation has a completion by the
    /// deadline, none invoked after settling ended `info`, and the records
    /// pair by the rules of [`History::operations`]. Any doubt answers
    /// false, and the caller pairs the history properly to say what is
    /// wrong — so this screen decides nothing on its own.
    pub(super) fn all_answered_in_time(history: &History, params: &LivenessParams) -> bool {
        let settled_at_ns = params.heal_time_ns.saturating_add(params.settle_ns);
        let mut callers: Vec<Caller> = Vec::new();
        for op in &history.ops {
            let Process::Client(process) = op.process else {
                continue;
            };
            if process >= TRACKED_PROCESSES {
                return false;
            }
            let slot = process as usize;
            if callers.len() <= slot {
                callers.resize(slot + 1, Caller::Idle);
            }
            callers[slot] = match (op.kind, callers[slot]) {
                (OpType::Invoke, Caller::Idle) => Caller::Busy {
                    invoke_time_ns: op.time_ns,
                    f: &op.f,
                },
                (OpType::Invoke, _) => return false,
                (completion, Caller::Busy { invoke_time_ns, f }) => {
                    let late = op.time_ns > params.completion_deadline_ns;
                    let info = completion == OpType::Info;
                    if *f != op.f || late || (info && invoke_time_ns >= settled_at_ns) {
                        return false;
                    }
                    if info {
                        Caller::Retired
                    } else {
                        Caller::Idle
                    }
                }
                (_, _) => return false,
            };
        }
        // An invoke still open never completed.
        !callers
            .iter()
            .any(|caller| matches!(caller, Caller::Busy { .. }))
    }
}

/// Questions 2 and 3: unfinished operations, and `info` after settling.
fn judge_operations(operations: &[Operation], params: &LivenessParams) -> Vec<LivenessProblem> {
    let deadline_ns = params.completion_deadline_ns;
    let settled_at_ns = params.heal_time_ns.saturating_add(params.settle_ns);
    let unfinished = operations.iter().filter(|op| {
        op.complete_time_ns
            .is_none_or(|time_ns| time_ns > deadline_ns)
    });
    // Operations that never completed are already unfinished; an `info`
    // *completion* after settling is the separate failure.
    let indeterminate = operations.iter().filter(|op| {
        op.invoke_time_ns >= settled_at_ns
            && op.outcome == Outcome::Info
            && op.complete_time_ns.is_some()
    });
    let mut problems = Vec::new();
    let (count, ops) = first_few(unfinished);
    if count > 0 {
        problems.push(LivenessProblem::Unfinished {
            deadline_ns,
            count,
            ops,
        });
    }
    let (count, ops) = first_few(indeterminate);
    if count > 0 {
        problems.push(LivenessProblem::IndeterminateAfterSettle {
            settled_at_ns,
            count,
            ops,
        });
    }
    problems
}

/// How many operations there are, and a copy of the first few.
fn first_few<'a>(ops: impl Iterator<Item = &'a Operation>) -> (usize, Vec<Operation>) {
    let mut count = 0;
    let mut listed = Vec::new();
    for op in ops {
        if listed.len() < MAX_OPS_LISTED {
            listed.push(op.clone());
        }
        count += 1;
    }
    (count, listed)
}

/// What a node looks like from the outside, for liveness.
#[derive(Clone, Copy, Debug)]
struct NodeLife {
    up: bool,
    paused: bool,
    role: Role,
    term: u64,
}

/// Every node's [`NodeLife`], by id.
#[derive(Default)]
struct ClusterView {
    nodes: NodeTable<(NodeId, NodeLife)>,
}

impl ClusterView {
    fn apply(&mut self, node: NodeId, event: &TraceKind) {
        let slot = self.nodes.slot(node, || {
            let life = NodeLife {
                up: true,
                paused: false,
                role: Role::Follower,
                term: 0,
            };
            (node, life)
        });
        let life = &mut self.nodes.get_mut(slot).1;
        match *event {
            TraceKind::RoleChanged { role, term } => {
                life.role = role;
                life.term = term;
            }
            TraceKind::Crashed => {
                life.up = false;
                life.paused = false;
                life.role = Role::Follower;
            }
            TraceKind::Restarted { term, .. } => {
                *life = NodeLife {
                    up: true,
                    paused: false,
                    role: Role::Follower,
                    term,
                };
            }
            TraceKind::Paused => life.paused = true,
            TraceKind::Resumed => life.paused = false,
            _ => {}
        }
    }

    /// The running, unfrozen leader whose term no running node has passed,
    /// if there is one (the first seen, should a broken trace show two).
    fn recognised_leader(&self) -> Option<(NodeId, u64)> {
        let mut max_term = None;
        let mut leader = None;
        for &(node, life) in self.nodes.values().filter(|(_, life)| life.up) {
            max_term = max_term.max(Some(life.term));
            let leads = !life.paused && life.role == Role::Leader;
            if leads && leader.is_none_or(|(_, term)| life.term > term) {
                leader = Some((node, life.term));
            }
        }
        leader.filter(|&(_, term)| Some(term) == max_term)
    }
}

/// What [`watch_leaders`] saw.
struct LeaderWatch {
    /// The first recognised leader in `[heal, heal + bound]`.
    after_heal: Option<LeaderSighting>,
    /// The last recognised leader seen up to the end of that window.
    last_before_bound: Option<LeaderSighting>,
    /// The last recognised leader seen at all.
    last_seen: Option<LeaderSighting>,
    /// Whether one is recognised once every event has happened.
    at_end: bool,
}

/// Replays roles over time, looking at the cluster once at the heal and
/// then after each instant's last event (so the passing states within one
/// instant, such as a burst of restarts, are not mistaken for the cluster's
/// state at that time).
fn watch_leaders(events: &[TraceEvent], params: &LivenessParams) -> LeaderWatch {
    let heal_ns = params.heal_time_ns;
    let bound_end_ns = heal_ns.saturating_add(params.election_bound_ns);
    let mut view = ClusterView::default();
    let mut watch = LeaderWatch {
        after_heal: None,
        last_before_bound: None,
        last_seen: None,
        at_end: false,
    };
    let mut looked_at_heal = false;
    let look = |view: &ClusterView, time_ns: u64, watch: &mut LeaderWatch| {
        let Some((node, term)) = view.recognised_leader() else {
            return;
        };
        let sighting = LeaderSighting {
            node,
            term,
            time_ns,
        };
        watch.last_seen = Some(sighting);
        if time_ns <= bound_end_ns {
            watch.last_before_bound = Some(sighting);
        }
        if watch.after_heal.is_none() && (heal_ns..=bound_end_ns).contains(&time_ns) {
            watch.after_heal = Some(sighting);
        }
    };
    for (position, event) in events.iter().enumerate() {
        if !looked_at_heal && event.time_ns > heal_ns {
            look(&view, heal_ns, &mut watch);
            looked_at_heal = true;
        }
        if let Some(node) = event.node {
            view.apply(node, &event.event);
        }
        let instant_ends = events
            .get(position + 1)
            .is_none_or(|next| next.time_ns != event.time_ns);
        if instant_ends {
            look(&view, event.time_ns, &mut watch);
        }
    }
    if !looked_at_heal {
        // The trace ended by the heal: its last state holds at the heal.
        look(&view, heal_ns, &mut watch);
    }
    watch.at_end = view.recognised_leader().is_some();
    watch
}

/// Nanoseconds shown as milliseconds with three decimals, like the trace.
struct Millis(u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:03}ms",
            self.0 / 1_000_000,
            (self.0 / 1_000) % 1_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use histories::{Function, Op, OpType, Process, Value};
    use rand::{Rng, SeedableRng};
    use rand_pcg::Pcg64;

    const PARAMS: LivenessParams = LivenessParams {
        heal_time_ns: 100,
        election_bound_ns: 50,
        completion_deadline_ns: 400,
        settle_ns: 100,
    };

    /// Random records from a few processes: mostly well-formed, sometimes
    /// not (a double invoke, a stray completion, a mismatched function, an
    /// invoke after info), with times around the settle point and the
    /// deadline.
    fn random_history(rng: &mut Pcg64) -> History {
        let mut ops = Vec::new();
        let mut open = [false; 4];
        let mut time_ns = 0;
        for index in 0..rng.gen_range(0..30) {
            let process = rng.gen_range(0..4);
            time_ns += rng.gen_range(0..15);
            let well_formed = rng.gen_bool(0.95);
            let kind = match (open[process], well_formed) {
                (false, true) | (true, false) => OpType::Invoke,
                _ => match rng.gen_range(0..20) {
                    0..=11 => OpType::Ok,
                    12..=16 => OpType::Fail,
                    _ => OpType::Info,
                },
            };
            open[process] = kind == OpType::Invoke;
            let f = if rng.gen_bool(0.97) {
                Function::Put
            } else {
                Function::Get
            };
            ops.push(Op {
                index,
                time_ns,
                kind,
                process: Process::Client(process as u64),
                f,
                key: None,
                value: Value::Nil,
                error: None,
                node: None,
            });
        }
        // Usually every client hears back in the end.
        if rng.gen_bool(0.8) {
            for (process, _) in open.iter().enumerate().filter(|(_, open)| **open) {
                let invoke = ops
                    .iter()
                    .rev()
                    .find(|op| op.process == Process::Client(process as u64));
                let f = invoke.map_or(Function::Put, |op| op.f.clone());
                ops.push(Op {
                    index: ops.len() as u64,
                    time_ns,
                    kind: OpType::Ok,
                    process: Process::Client(process as u64),
                    f,
                    key: None,
                    value: Value::Nil,
                    error: None,
                    node: None,
                });
            }
        }
        History::new(ops)
    }

    #[test]
    fn the_screen_clears_exactly_the_histories_the_full_judgement_clears() {
        let mut rng = Pcg64::seed_from_u64(11);
        let (mut cleared, mut doubted) = (0, 0);
        for _ in 0..5_000 {
            let history = random_history(&mut rng);
            let full = match history.operations() {
                Ok(operations) => judge_operations(&operations, &PARAMS).is_empty(),
                Err(_) => false,
            };
            let screened = screen::all_answered_in_time(&history, &PARAMS);
            assert_eq!(screened, full, "{:#?}", history.ops);
            if screened {
                cleared += 1;
            } else {
                doubted += 1;
            }
        }
        assert!(
            cleared > 500 && doubted > 500,
            "{cleared} cleared, {doubted} doubted"
        );
    }
}
