//! Deciding a key by order inference, before any search.
//!
//! Highly concurrent histories on one key defeat the search: with 20
//! clients, the sets of operations that may come next are too many to
//! memoize. When every value a read shows can be traced to the writes
//! behind it (`inference.rs`), the order is nearly forced and checking it
//! is a sort (`blocks.rs`), in O(n log n) whatever the concurrency. This
//! module runs that check on a key and turns its answer into a report:
//!
//! - a linearization is replayed through the model and checked against
//!   real time before the key is called valid, so a flaw in the inference
//!   can cost speed (the search then decides) but never a wrong verdict;
//! - a contradiction makes the key invalid, explained as the search
//!   explains: the first operation that cannot be linearized (found by
//!   bisecting cuts of the history, each decided the same way), the
//!   linearization of everything before it, and the contradiction in words;
//! - a key inference does not apply to (ambiguous values, a model that is
//!   not a plain register), or where a rejected cas finds no place in the
//!   order found (`rejected.rs`), returns `None`, and the search decides.

use super::blocks::{View, UNBOUNDED};
use super::contradiction::Contradiction;
use super::explain::Explanation;
use super::inference::{self, Role};
use super::model::Model;
use super::problem::KeyProblem;
use super::rejected;
use super::report::KeyReport;
use super::search::{Limits, Stuck};
use crate::Validity;

/// What order inference says about one cut of a key.
enum Status<S> {
    /// This linearization, replayed through the model, ends in this state.
    Linearizable(Vec<u32>, S),
    /// No linearization exists.
    Violated(Contradiction),
    /// The order found has no room for a rejected cas: no verdict.
    Undecided,
}

/// Order inference on the cut just after position `cut` (`None`: the
/// whole key).
fn decide<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    roles: &[Role],
    cut: Option<u64>,
) -> Status<M::State> {
    let (found, bounds) = {
        let view = View::new(&problem.ops, &problem.required, roles, cut);
        (view.decide(), view.bounds)
    };
    let order = match found {
        Ok(order) => order,
        Err(contradiction) => return Status::Violated(contradiction),
    };
    let Some(order) = rejected::place(problem, &bounds, roles, order) else {
        return Status::Undecided;
    };
    match replay(problem, &bounds, &order) {
        Some(state) => Status::Linearizable(order, state),
        None => Status::Undecided,
    }
}

/// The key's report, when order inference decides it.
pub(super) fn solve<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    label: &str,
    limits: Limits,
) -> Option<KeyReport> {
    let init = problem.model.register_init()?;
    let roles = inference::infer(&problem.ops, &init)?;
    match decide(problem, &roles, None) {
        Status::Linearizable(..) => {
            let mut report = super::valid_report(problem, 0);
            report.inferred = true;
            Some(report)
        }
        Status::Violated(found) => explain(problem, &roles, &found, label, limits),
        Status::Undecided => None,
    }
}

/// The state after `order`, when it is a linearization of the cut with
/// `bounds`: each operation of the cut at most once, every required one,
/// real time respected, every step legal in the model.
fn replay<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    order: &[u32],
) -> Option<M::State> {
    let mut used = vec![false; problem.ops.len()];
    let mut latest_invoke = 0;
    let mut state = problem.model.init();
    for &op in order {
        let op = op as usize;
        let bound = bounds[op]?;
        if std::mem::replace(&mut used[op], true) || bound < latest_invoke {
            return None;
        }
        latest_invoke = latest_invoke.max(problem.ops[op].invoke_index);
        state = problem.model.step(state, &problem.actions[op])?;
    }
    let all_required = bounds
        .iter()
        .zip(&used)
        .all(|(bound, &used)| used || matches!(bound, None | Some(UNBOUNDED)));
    all_required.then_some(state)
}

/// The invalid key's report: the first operation that cannot be
/// linearized, what fits before it, and why it does not fit. `None` when
/// something does not add up (the search then decides).
fn explain<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    roles: &[Role],
    found: &Contradiction,
    label: &str,
    limits: Limits,
) -> Option<KeyReport> {
    let completions = completions(problem);
    let first = first_failure(problem, roles, &completions, found)?;
    let completion = completions[first];
    let failed = (0..problem.ops.len())
        .find(|&op| problem.required[op] && problem.ops[op].complete_index == Some(completion))?;
    let Status::Violated(contradiction) = decide(problem, roles, Some(completion)) else {
        return None;
    };
    let reason = contradiction.describe(&problem.ops);
    let Status::Linearizable(prefix, state) =
        decide(problem, roles, Some(completion.checked_sub(1)?))
    else {
        return None;
    };
    let (stuck, all_states) = search_states(problem, completion, label, limits).unwrap_or((
        Stuck {
            op: failed,
            prefix: prefix.iter().map(|&op| op as usize).collect(),
            states: vec![state],
        },
        false,
    ));
    let explanation = Explanation {
        stuck,
        all_states,
        memo_entries: 0,
    };
    let mut counterexample = super::counterexample(problem, explanation);
    counterexample.reason = Some(reason);
    let mut report = super::valid_report(problem, 0);
    report.validity = Validity::Invalid;
    report.counterexample = Some(counterexample);
    report.inferred = true;
    Some(report)
}

/// Most operations in a cut whose states at the failing operation the
/// search is asked to list: its memo holds a bitset of the cut per entry.
const STATES_SEARCH_MAX_OPS: usize = 2_000;

/// The search's list of the states possible at the failing operation
/// (completing at `completion`), when the cut is small enough to ask.
fn search_states<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    completion: u64,
    label: &str,
    limits: Limits,
) -> Option<(Stuck<M::State>, bool)> {
    let cut_ops = problem
        .ops
        .iter()
        .filter(|op| op.invoke_index <= completion)
        .count();
    if cut_ops > STATES_SEARCH_MAX_OPS {
        return None;
    }
    super::explain::stuck_at(problem, completion, label, limits)
}

/// The completion positions of the required operations, ascending.
fn completions<M: Model>(problem: &KeyProblem<'_, M>) -> Vec<u64> {
    let mut completions: Vec<u64> = (0..problem.ops.len())
        .filter(|&op| problem.required[op])
        .filter_map(|op| problem.ops[op].complete_index)
        .collect();
    completions.sort_unstable();
    completions.dedup();
    completions
}

/// Whether the cut at `completion` has no linearization; `None` when
/// inference does not decide it.
fn fails<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    roles: &[Role],
    completion: u64,
) -> Option<bool> {
    match decide(problem, roles, Some(completion)) {
        Status::Linearizable(..) => Some(false),
        Status::Violated(_) => Some(true),
        Status::Undecided => None,
    }
}

/// The index of the first completion whose cut has no linearization.
/// Cuts are linearizable up to some completion and never after it, so a
/// search downwards from the contradiction (which usually sits right
/// there), then a bisection, finds it in a few decisions.
fn first_failure<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    roles: &[Role],
    completions: &[u64],
    found: &Contradiction,
) -> Option<usize> {
    let last = completions.len().checked_sub(1)?;
    let latest = latest_position(problem, found);
    let mut high = completions.partition_point(|&c| c < latest).min(last);
    if !fails(problem, roles, completions[high])? {
        high = last;
        if !fails(problem, roles, completions[high])? {
            return None;
        }
    }
    // The cut at `high` fails; find one at `low` that does not, galloping
    // downwards (`None`: even the first completion's cut fails).
    let mut step = 1;
    let mut low = loop {
        if high < step {
            break None;
        }
        if !fails(problem, roles, completions[high - step])? {
            break Some(high - step);
        }
        high -= step;
        step *= 2;
    };
    if low.is_none() {
        if fails(problem, roles, completions[0])? {
            return Some(0);
        }
        low = Some(0);
    }
    let mut low = low.expect("set above");
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match fails(problem, roles, completions[middle])? {
            true => high = middle,
            false => low = middle,
        }
    }
    Some(high)
}

/// The latest history position of the operations a contradiction names.
fn latest_position<M: Model>(problem: &KeyProblem<'_, M>, found: &Contradiction) -> u64 {
    found
        .ops()
        .into_iter()
        .map(|op| {
            let op = problem.ops[op as usize];
            op.complete_index.unwrap_or(op.invoke_index)
        })
        .max()
        .unwrap_or(0)
}
