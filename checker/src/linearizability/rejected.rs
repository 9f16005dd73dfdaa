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
use super::inference::{Role, Seen};
use super::model::Model;
use super::problem::KeyProblem;

/// Most repairs of the order tried for one cut (each costs a pass over
/// it): past that, inference gives up and the search decides.
const MAX_REPAIRS: usize = 1 << 16;

/// Most gaps of a cas' window tried per candidate write in a repair.
const MAX_GAPS: usize = 64;

/// The order at each gap `g` (before `order[g]`): the latest invoke
/// before it and the earliest bound after it (both ascend with `g`), and
/// the state there.
struct Gaps<S> {
    latest_invoke: Vec<u64>,
    earliest_bound: Vec<u64>,
    states: Vec<S>,
}

impl<S: Copy> Gaps<S> {
    fn new<M: Model<State = S>>(
        problem: &mut KeyProblem<'_, M>,
        bounds: &[Option<u64>],
        order: &[u32],
    ) -> Option<Gaps<S>> {
        let mut gaps = Gaps {
            latest_invoke: vec![0; order.len() + 1],
            earliest_bound: vec![UNBOUNDED; order.len() + 1],
            states: Vec::with_capacity(order.len() + 1),
        };
        for (g, &op) in order.iter().enumerate() {
            gaps.latest_invoke[g + 1] =
                gaps.latest_invoke[g].max(problem.ops[op as usize].invoke_index);
        }
        for (g, &op) in order.iter().enumerate().rev() {
            gaps.earliest_bound[g] = gaps.earliest_bound[g + 1].min(bound(bounds, op));
        }
        gaps.states.push(problem.model.init());
        for &op in order {
            let state = problem.model.step(
                gaps.states[gaps.states.len() - 1],
                &problem.actions[op as usize],
            )?;
            gaps.states.push(state);
        }
        Some(gaps)
    }

    /// Recomputes the gaps after `order[low..=high]` changed, as far as
    /// the change carries.
    fn refresh<M: Model<State = S>>(
        &mut self,
        problem: &mut KeyProblem<'_, M>,
        bounds: &[Option<u64>],
        order: &[u32],
        low: usize,
        high: usize,
    ) -> Option<()>
    where
        S: PartialEq,
    {
        for g in low + 1..=order.len() {
            let latest =
                self.latest_invoke[g - 1].max(problem.ops[order[g - 1] as usize].invoke_index);
            let state = problem
                .model
                .step(self.states[g - 1], &problem.actions[order[g - 1] as usize])?;
            let settled =
                g > high + 1 && latest == self.latest_invoke[g] && state == self.states[g];
            self.latest_invoke[g] = latest;
            self.states[g] = state;
            if settled {
                break;
            }
        }
        for g in (0..=high.min(order.len() - 1)).rev() {
            let earliest = self.earliest_bound[g + 1].min(bound(bounds, order[g]));
            let settled = g < low && earliest == self.earliest_bound[g];
            self.earliest_bound[g] = earliest;
            if settled {
                break;
            }
        }
        Some(())
    }

    /// The gaps where real time lets `op` go.
    fn window(&self, invoke: u64, bound: u64) -> std::ops::Range<usize> {
        let first = self.earliest_bound.partition_point(|&b| b < invoke);
        let end = self.latest_invoke.partition_point(|&i| i <= bound);
        first..end.max(first)
    }
}

fn bound(bounds: &[Option<u64>], op: u32) -> u64 {
    bounds[op as usize].unwrap_or(UNBOUNDED)
}

/// `order` with every required rejected cas of the cut (`bounds`) put in
/// a place where real time and the model allow it; `None` when one has
/// no such place in this order, even after moving writes nobody saw.
pub(crate) fn place<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    roles: &[Role],
    mut order: Vec<u32>,
) -> Option<Vec<u32>> {
    let rejected: Vec<u32> = (0..roles.len() as u32)
        .filter(|&op| roles[op as usize] == Role::Rejected)
        .filter(|&op| !matches!(bounds[op as usize], None | Some(UNBOUNDED)))
        .collect();
    if rejected.is_empty() {
        return Some(order);
    }
    let mut gaps = Gaps::new(problem, bounds, &order)?;
    let mut dropped = unseen_writes(roles, bounds, &order);
    let seen = seen_writes(roles, &order);
    let mut repairs = 0;
    for &cas in &rejected {
        while find_gap(problem, bounds, &gaps, cas, 0).is_none() {
            repairs += 1;
            if repairs > MAX_REPAIRS {
                return None;
            }
            let (x, from, to) = repair(
                problem,
                bounds,
                roles,
                (&seen, &dropped),
                &order,
                &gaps,
                cas,
            )?;
            dropped.retain(|&d| d != x);
            apply_move(problem, bounds, &mut order, &mut gaps, x, from, to)?;
        }
    }
    // In invoke order, each after every earlier one that completed before
    // it began.
    let mut rejected = rejected;
    rejected.sort_unstable_by_key(|&cas| problem.ops[cas as usize].invoke_index);
    let mut completed = std::collections::BinaryHeap::new();
    let mut floor = 0;
    let mut placed = Vec::with_capacity(rejected.len());
    for cas in rejected {
        let invoke = problem.ops[cas as usize].invoke_index;
        while let Some(&std::cmp::Reverse((done, gap))) = completed.peek() {
            if done >= invoke {
                break;
            }
            floor = floor.max(gap);
            completed.pop();
        }
        let gap = find_gap(problem, bounds, &gaps, cas, floor)?;
        completed.push(std::cmp::Reverse((bound(bounds, cas), gap)));
        placed.push((gap, bound(bounds, cas), cas));
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

/// The earliest gap from `floor` on where `cas` may go: in its window, in
/// a state it accepts.
fn find_gap<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    gaps: &Gaps<M::State>,
    cas: u32,
    floor: usize,
) -> Option<usize> {
    let window = gaps.window(problem.ops[cas as usize].invoke_index, bound(bounds, cas));
    let window = window.start.max(floor)..window.end;
    let action = problem.actions[cas as usize];
    window
        .into_iter()
        .find(|&g| problem.model.step(gaps.states[g], &action).is_some())
}

/// A move of one write nobody saw — an optional one left out, or a
/// required one placed near `cas` between blocks — into `cas`' window,
/// where it changes the state `cas` would otherwise find everywhere there:
/// `(write, its position or u32::MAX, gap)`. `None` when no such move
/// keeps every step legal.
fn repair<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    roles: &[Role],
    (seen, dropped): (&[bool], &[u32]),
    order: &[u32],
    gaps: &Gaps<M::State>,
    cas: u32,
) -> Option<(u32, u32, usize)> {
    let (cas_bound, cas_action) = (bound(bounds, cas), problem.actions[cas as usize]);
    let window = gaps.window(problem.ops[cas as usize].invoke_index, cas_bound);
    let near = window.start.saturating_sub(NEAR)..(window.end + NEAR).min(order.len());
    let placed = near
        .clone()
        .map(|g| (order[g], g as u32))
        .filter(|&(op, _)| matches!(roles[op as usize], Role::Overwrite | Role::Append));
    let left_out = dropped.iter().map(|&op| (op, u32::MAX));
    for (x, from) in placed.chain(left_out).take(MAX_CANDIDATES) {
        if from != u32::MAX && seen[x as usize] {
            continue; // a write some observer saw stays in its block
        }
        let (invoke, x_bound) = (problem.ops[x as usize].invoke_index, bound(bounds, x));
        for g in window.clone().take(MAX_GAPS) {
            let fits = gaps.latest_invoke[g] <= x_bound && gaps.earliest_bound[g] >= invoke;
            // The cas goes right after `x`, in the state `x` leaves.
            let cas_fits = gaps.latest_invoke[g].max(invoke) <= cas_bound;
            if !fits || !cas_fits {
                continue;
            }
            let after = moves_legally(problem, order, gaps, from, g, x);
            if after.is_some_and(|state| problem.model.step(state, &cas_action).is_some()) {
                return Some((x, from, g));
            }
        }
    }
    None
}

/// How far from a cas' window a write nobody saw may be taken from.
const NEAR: usize = 256;
/// Most writes tried per repair.
const MAX_CANDIDATES: usize = 1024;

/// The writes some observer in `order` saw (observers never move).
fn seen_writes(roles: &[Role], order: &[u32]) -> Vec<bool> {
    let mut seen = vec![false; roles.len()];
    for &op in order {
        if let Role::Read(Seen::Chain { epoch, appends })
        | Role::Cas(Seen::Chain { epoch, appends }) = &roles[op as usize]
        {
            for &write in epoch.iter().chain(appends) {
                seen[write as usize] = true;
            }
        }
    }
    seen
}

/// The optional writes of the cut that `order` leaves out, latest invoke
/// first.
fn unseen_writes(roles: &[Role], bounds: &[Option<u64>], order: &[u32]) -> Vec<u32> {
    let mut in_order = vec![false; roles.len()];
    for &op in order {
        in_order[op as usize] = true;
    }
    (0..roles.len() as u32)
        .filter(|&op| matches!(roles[op as usize], Role::Overwrite | Role::Append))
        .filter(|&op| !in_order[op as usize] && bounds[op as usize] == Some(UNBOUNDED))
        .collect()
}

/// Moves `x` from `from` (`u32::MAX`: not in `order`) to gap `to`, and
/// brings `gaps` up to date around the change.
fn apply_move<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    bounds: &[Option<u64>],
    order: &mut Vec<u32>,
    gaps: &mut Gaps<M::State>,
    x: u32,
    from: u32,
    to: usize,
) -> Option<()> {
    let changed = std::mem::take(order);
    *order = moved(changed, from, to, x);
    let (low, high) = match from {
        u32::MAX => {
            gaps.latest_invoke.insert(to + 1, 0);
            gaps.earliest_bound.insert(to + 1, UNBOUNDED);
            let state = gaps.states[to];
            gaps.states.insert(to + 1, state);
            (to, to + 1)
        }
        from => {
            let to = if (from as usize) < to { to - 1 } else { to };
            (to.min(from as usize), to.max(from as usize))
        }
    };
    gaps.refresh(problem, bounds, order, low, high)
}

/// `order` with `x` taken from position `from` (`u32::MAX`: not in it)
/// and put at gap `to`.
fn moved(mut order: Vec<u32>, from: u32, to: usize, x: u32) -> Vec<u32> {
    let mut to = to;
    if from != u32::MAX {
        order.remove(from as usize);
        if (from as usize) < to {
            to -= 1;
        }
    }
    order.insert(to, x);
    order
}

/// Whether moving `x` from `from` to gap `to` keeps every step legal:
/// replays the changed stretch until the states agree with the old ones
/// again. The state just after `x` when it does.
fn moves_legally<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    order: &[u32],
    gaps: &Gaps<M::State>,
    from: u32,
    to: usize,
    x: u32,
) -> Option<M::State> {
    let present = from != u32::MAX;
    let (start, relative, stop) = match present {
        true => (
            to.min(from as usize),
            from - to.min(from as usize) as u32,
            to.max(from as usize + 1),
        ),
        false => (to, u32::MAX, to),
    };
    // Past old position `stop`, both changes are behind: states must agree.
    let end = (stop + MAX_GAPS + 2).min(order.len());
    let new = moved(order[start..end].to_vec(), relative, to - start, x);
    let mut state = gaps.states[start];
    let mut after_x = None;
    for (i, &op) in new.iter().enumerate() {
        state = problem.model.step(state, &problem.actions[op as usize])?;
        if op == x {
            after_x = Some(state);
        }
        let old = start + i + usize::from(present);
        if old > stop && gaps.states.get(old) == Some(&state) {
            return after_x;
        }
    }
    after_x.filter(|_| end == order.len())
}
