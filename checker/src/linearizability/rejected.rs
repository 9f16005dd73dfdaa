//! Rejected compare-and-sets, placed after the fact.
//!
//! A rejected cas that the model counts (etcd's, and kv's with error
//! `precondition-failed`) asserts that at some instant of its call the
//! value differed from the one it expected. That names no write, so order
//! inference leaves these out of its reasoning — which can only make a
//! contradiction easier to miss, never invent one, so its contradictions
//! stay proofs — and then gives each one a place in the order it found:
//! the earliest that real time allows where the state differs from what
//! the cas expected. With unique values that is almost anywhere. When the
//! order found has no such place (another order might), inference does
//! not decide the key and the search does.

use super::blocks::UNBOUNDED;
use super::inference::Role;
use super::model::Model;
use super::problem::KeyProblem;

/// `order` with every required rejected cas of the cut (`bounds`) put in
/// a place where real time and the model allow it; `None` when one has
/// no such place in this order.
pub(crate) fn place<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    roles: &[Role],
    order: Vec<u32>,
) -> Option<Vec<u32>> {
    let rejected: Vec<u32> = (0..roles.len() as u32)
        .filter(|&op| roles[op as usize] == Role::Rejected)
        .filter(|&op| !matches!(bounds[op as usize], None | Some(UNBOUNDED)))
        .collect();
    if rejected.is_empty() {
        return Some(order);
    }
    let bound = |op: u32| bounds[op as usize].unwrap_or(UNBOUNDED);
    let invoke = |op: u32| problem.ops[op as usize].invoke_index;
    // At gap `g` (before `order[g]`): the latest invoke before it, the
    // earliest bound after it (both ascend with `g`), and the state.
    let mut latest_invoke = vec![0u64; order.len() + 1];
    let mut earliest_bound = vec![UNBOUNDED; order.len() + 1];
    for (g, &op) in order.iter().enumerate() {
        latest_invoke[g + 1] = latest_invoke[g].max(invoke(op));
    }
    for (g, &op) in order.iter().enumerate().rev() {
        earliest_bound[g] = earliest_bound[g + 1].min(bound(op));
    }
    let mut states = Vec::with_capacity(order.len() + 1);
    states.push(problem.model.init());
    for &op in &order {
        let state = problem
            .model
            .step(states[states.len() - 1], &problem.actions[op as usize])?;
        states.push(state);
    }
    let mut placed: Vec<(usize, u64, u32)> = Vec::with_capacity(rejected.len());
    for cas in rejected {
        let first = earliest_bound.partition_point(|&b| b < invoke(cas));
        let end = latest_invoke.partition_point(|&i| i <= bound(cas));
        let action = problem.actions[cas as usize];
        let gap = (first..end).find(|&g| problem.model.step(states[g], &action).is_some())?;
        placed.push((gap, bound(cas), cas));
    }
    placed.sort_unstable();
    let mut merged = Vec::with_capacity(order.len() + placed.len());
    let mut next = placed.into_iter().peekable();
    for (g, op) in order.into_iter().enumerate() {
        while let Some((_, _, cas)) = next.next_if(|&(gap, _, _)| gap == g) {
            merged.push(cas);
        }
        merged.push(op);
    }
    merged.extend(next.map(|(_, _, cas)| cas));
    Some(merged)
}
