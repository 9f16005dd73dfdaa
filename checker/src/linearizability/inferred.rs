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
//! - a key inference does not apply to (a rejected cas the model counts,
//!   ambiguous values, a model that is not a plain register) returns
//!   `None`, and the search decides.

use super::blocks::{View, UNBOUNDED};
use super::contradiction::Contradiction;
use super::explain::Explanation;
use super::inference::{self, Role};
use super::model::Model;
use super::problem::KeyProblem;
use super::report::KeyReport;
use super::search::{Limits, Stuck};
use crate::Validity;

/// The key's report, when order inference decides it.
pub(super) fn solve<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    label: &str,
    limits: Limits,
) -> Option<KeyReport> {
    let init = problem.model.register_init()?;
    let roles = inference::infer(&problem.ops, &init)?;
    let whole = View::new(&problem.ops, &problem.required, &roles, None);
    match whole.decide() {
        Ok(order) => {
            replay(problem, &whole.bounds, &order)?;
            let mut report = super::valid_report(problem, 0);
            report.inferred = true;
            Some(report)
        }
        Err(found) => explain(problem, &roles, &found, label, limits),
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
    let at = View::new(&problem.ops, &problem.required, roles, Some(completion));
    let reason = at.decide().err()?.describe(&problem.ops);
    let before = View::new(
        &problem.ops,
        &problem.required,
        roles,
        Some(completion.checked_sub(1)?),
    );
    let prefix = before.decide().ok()?;
    let state = replay(problem, &before.bounds, &prefix)?;
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

/// The index of the first completion whose cut has no linearization.
/// Cuts are linearizable up to some completion and never after it, so a
/// search downwards from the contradiction (which usually sits right
/// there), then a bisection, finds it in a few decisions.
fn first_failure<M: Model>(
    problem: &KeyProblem<'_, M>,
    roles: &[Role],
    completions: &[u64],
    found: &Contradiction,
) -> Option<usize> {
    let fails = |index: usize| {
        View::new(
            &problem.ops,
            &problem.required,
            roles,
            Some(completions[index]),
        )
        .decide()
        .is_err()
    };
    let last = completions.len().checked_sub(1)?;
    let latest = latest_position(problem, found);
    let mut high = completions.partition_point(|&c| c < latest).min(last);
    if !fails(high) {
        high = last;
        if !fails(high) {
            return None;
        }
    }
    // `fails(high)`; find `low` with `!fails(low)`, galloping downwards.
    let mut step = 1;
    let low = loop {
        if high < step {
            break None;
        }
        if !fails(high - step) {
            break Some(high - step);
        }
        high -= step;
        step *= 2;
    };
    let mut low = match low {
        Some(low) => low,
        None if !fails(0) => 0,
        None => return Some(0),
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match fails(middle) {
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
