//! A path of the model as a trace a person can read, in the real node
//! names, with the trace checker's own verdict on it.
//!
//! stateright hands back a path as the actions taken from the initial
//! state, each in the naming of the representative state it was taken
//! from (symmetry reduction renames nodes along the way). Replaying it
//! keeps both states side by side — the representative `c` and the real
//! `s`, with `c = π(s)` — so each action is renamed back through π⁻¹, taken
//! in the real state, and π follows the renamings the representative
//! underwent. The replay also records the nodes' observations as a
//! [`Trace`], which the trace checker judges independently of the model.

use crate::action::Action;
use crate::model::ExploreModel;
use crate::network::Envelope;
use crate::state::Cluster;
use crate::symmetry::{compose, inverse, relabeled};
use crate::system::Explorable;
use checker::invariants::{check_safety, SafetyReport};
use histories::{NodeId, Trace, TraceEvent, TraceKind};
use replica::KvOp;

/// One action of a path and what the nodes reported doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The action, e.g. `deliver n0→n1 RequestVote(term 1, last 0/0)`.
    pub action: String,
    /// The observations, e.g. `n1 votes for n0 in term 1`.
    pub observations: Vec<String>,
}

/// A replayed path.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// Its observations as a cluster trace (one millisecond per step).
    pub trace: Trace,
    /// The trace checker's verdict on that trace.
    pub verdict: SafetyReport,
}

/// Replays `actions` (as stateright reports them) from the initial state.
pub fn replay<R: Explorable>(model: &ExploreModel<R>, actions: &[Action]) -> Replayed {
    let mut seen = Vec::new();
    let mut real = model.initial(Some(&mut seen));
    let (mut canon, rename) = model.representative(real.clone());
    let identity: Vec<NodeId> = (0..model.scope.nodes).collect();
    let mut to_canon = rename.unwrap_or_else(|| identity.clone());
    let (mut steps, mut trace) = (Vec::new(), Trace::default());
    for (number, &action) in actions.iter().enumerate() {
        let real_action = renamed_back(&canon, &real, action, &inverse(&to_canon));
        let line = describe_action(model, &real, real_action);
        seen.clear();
        real = model.successor(&real, real_action, Some(&mut seen));
        let (next, renaming) = model.representative(model.successor(&canon, action, None));
        if let Some(renaming) = renaming {
            to_canon = compose(&to_canon, &renaming);
        }
        canon = next;
        debug_assert!(
            to_canon == identity || relabeled(&real, &to_canon) == canon,
            "the replay lost track of the renaming"
        );
        let time_ns = (number as u64 + 1) * 1_000_000;
        let mut observations = Vec::new();
        for (node, event) in seen.drain(..) {
            observations.push(describe_observation(node, &event));
            trace.events.push(TraceEvent {
                time_ns,
                node: Some(node),
                event,
            });
        }
        steps.push(Step {
            action: line,
            observations,
        });
    }
    let verdict = check_safety(&trace);
    Replayed {
        steps,
        trace,
        verdict,
    }
}

/// `action`, taken in the representative `canon`, as the same action in
/// the real state `real` (`back` renames representative ids to real ones).
fn renamed_back<R: Explorable>(
    canon: &Cluster<R>,
    real: &Cluster<R>,
    action: Action,
    back: &[NodeId],
) -> Action {
    match action {
        Action::Deliver { message } | Action::Drop { message } => {
            let envelope = &canon.network.items()[message].envelope;
            let original = Envelope {
                from: back[envelope.from as usize],
                to: back[envelope.to as usize],
                message: R::relabel_message(&envelope.message, back),
            };
            let message = real
                .network
                .position(&original)
                .expect("the message is in flight");
            match action {
                Action::Deliver { .. } => Action::Deliver { message },
                _ => Action::Drop { message },
            }
        }
        other => other.at(back[other.node().expect("names a node") as usize]),
    }
}

/// An action in words, in the state it is taken in.
pub fn describe_action<R: Explorable>(
    model: &ExploreModel<R>,
    state: &Cluster<R>,
    action: Action,
) -> String {
    let envelope = |message: usize| {
        let envelope = &state.network.items()[message].envelope;
        let what = R::describe_message(&envelope.message);
        format!("n{}→n{} {what}", envelope.from, envelope.to)
    };
    match action {
        Action::Fire { node, timer } => format!("n{node} {}", R::timer_name(timer)),
        Action::Deliver { message } => format!("deliver {}", envelope(message)),
        Action::Drop { message } => format!("lose {}", envelope(message)),
        Action::Crash { node } => format!("crash n{node}"),
        Action::Restart { node } => format!("restart n{node}"),
        Action::Request { request, node } => {
            let request = &model.requests[request as usize];
            let op = match &request.op {
                KvOp::Put { key, value } => format!("put {key}={value}"),
                KvOp::Get { key } => format!("get {key}"),
                other => format!("{other:?}"),
            };
            format!("client c{} {op} → n{node}", request.client)
        }
    }
}

/// An observation in the trace's own words, without its timestamp.
fn describe_observation(node: NodeId, event: &TraceKind) -> String {
    let line = TraceEvent {
        time_ns: 0,
        node: Some(node),
        event: event.clone(),
    }
    .to_string();
    let text = line
        .split_once("ms ")
        .map_or(line.as_str(), |(_, rest)| rest);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
