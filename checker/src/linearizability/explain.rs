//! Which operation is the first that cannot be linearized, and what the
//! search saw there.
//!
//! The definition (see `search.rs`) is about cuts of the history: the cut
//! at a completion asks for every operation completed by then, with the
//! operations completed later optional. Cuts are linearizable up to one
//! completion and never after it; that completion's operation is the first
//! that cannot be linearized.
//!
//! Without the lookahead the search of the whole history finds it by
//! itself: the furthest point where it got stuck is exactly there. The
//! lookahead abandons nodes that cannot get past some later read, so the
//! search may never walk up to that point; it then reports two bounds: the
//! furthest completion some node reached (everything before it fits) and
//! the furthest completion of an operation it blamed for abandoning a node
//! (no abandoned node could have got past it). The point is almost always
//! the upper bound, so that is tried first:
//!
//! 1. Search the cut at the upper bound, told not to abandon nodes on
//!    account of the operation completing there unless it is their
//!    frontier. If it gets stuck there, that is the point (something
//!    reached it, and nothing gets past it), and the states it reached
//!    there are the answer.
//! 2. Otherwise search the cut just before: if it is linearizable, the point
//!    is the upper bound still, and its linearization is the prefix.
//! 3. If not, the point is earlier: bisect between the bounds, and start
//!    again from 1 with the point found.
//!
//! The search of step 1 may be expensive (the states there can be many), so
//! it runs under a smaller budget; when it runs out, the counterexample
//! keeps the states it did reach, or the single state of step 2's
//! linearization, and says the states are not all of them.

use super::model::Model;
use super::problem::KeyProblem;
use super::search::{Limits, Outcome, Search, Stuck, Verdict};

/// The budget of the search that collects the states at the failing point.
const EXPLAIN_MAX_STATES: u64 = 1 << 12;

/// What the counterexample says, in the problem's operation indices.
pub(crate) struct Explanation<S> {
    pub stuck: Stuck<S>,
    /// True when `stuck.states` are all the states possible there.
    pub all_states: bool,
    /// Memo entries used by the searches of cuts.
    pub memo_entries: u64,
}

/// Explains why the search of the whole history (`full`, stuck at
/// `stuck`) failed.
pub(crate) fn explain<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    full: &Outcome<M::State>,
    stuck: Stuck<M::State>,
    key_label: &str,
    limits: Limits,
) -> Explanation<M::State> {
    if !full.lookahead_pruned {
        return Explanation {
            stuck,
            all_states: true,
            memo_entries: 0,
        };
    }
    let mut explainer = Explainer {
        problem,
        key_label,
        limits,
        memo_entries: 0,
    };
    match explainer.first_failure(full.reached_position, full.blamed_position) {
        Some((found, all_states)) => explainer.finish(found, all_states),
        None => explainer.finish(stuck, false),
    }
}

/// The stuck point at `completion`, known (by order inference) to be the
/// first failing one, with whether its states are all of them: the
/// search's own account of what it reached there, under the explanation
/// budget. `None` when that budget does not get there.
pub(crate) fn stuck_at<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    completion: u64,
    key_label: &str,
    limits: Limits,
) -> Option<(Stuck<M::State>, bool)> {
    let mut explainer = Explainer {
        problem,
        key_label,
        limits,
        memo_entries: 0,
    };
    match explainer.states_at(completion)? {
        AtCompletion::Stuck(stuck, all_states) => Some((stuck, all_states)),
        AtCompletion::NotReached => None,
    }
}

/// How a search of the cut at a completion ended.
enum AtCompletion<S> {
    /// It got stuck there: that completion is the first failing one.
    Stuck(Stuck<S>, bool),
    /// It did not get there.
    NotReached,
}

struct Explainer<'a, 'h, M: Model> {
    problem: &'a mut KeyProblem<'h, M>,
    key_label: &'a str,
    limits: Limits,
    memo_entries: u64,
}

impl<M: Model> Explainer<'_, '_, M> {
    fn finish(self, stuck: Stuck<M::State>, all_states: bool) -> Explanation<M::State> {
        Explanation {
            stuck,
            all_states,
            memo_entries: self.memo_entries,
        }
    }

    /// The stuck point at the first failing completion, and whether its
    /// states are complete; `None` when a search ran out of budget.
    fn first_failure(
        &mut self,
        reached: Option<u64>,
        blamed: Option<u64>,
    ) -> Option<(Stuck<M::State>, bool)> {
        let completions = self.completions();
        let reached = reached.unwrap_or(0);
        let upper = blamed.map_or(u64::MAX, |blamed| blamed.max(reached));
        // Cuts before `low` are linearizable; the cut at `high` is not.
        let low = completions.partition_point(|&c| c < reached);
        let mut high = completions
            .partition_point(|&c| c <= upper)
            .saturating_sub(1)
            .max(low);
        loop {
            if let AtCompletion::Stuck(stuck, all_states) = self.states_at(completions[high])? {
                return Some((stuck, all_states));
            }
            let op = self.op_completing_at(completions[high])?;
            if let Some(witness) = self.witness_before(completions[high], op)? {
                return Some((witness, false));
            }
            high = self.bisect(&completions, low, high - 1)?;
        }
    }

    /// The completion positions of the required operations, ascending.
    fn completions(&self) -> Vec<u64> {
        let mut completions: Vec<u64> = self
            .problem
            .ops
            .iter()
            .zip(&self.problem.required)
            .filter_map(|(op, &required)| required.then_some(op.complete_index).flatten())
            .collect();
        completions.sort_unstable();
        completions.dedup();
        completions
    }

    fn op_completing_at(&self, completion: u64) -> Option<usize> {
        self.problem
            .ops
            .iter()
            .zip(&self.problem.required)
            .position(|(op, &required)| required && op.complete_index == Some(completion))
    }

    /// The index of the first failing completion in `completions[low..=high]`,
    /// knowing the cut at `high` is not linearizable and those before `low`
    /// are.
    fn bisect(&mut self, completions: &[u64], mut low: usize, mut high: usize) -> Option<usize> {
        while low < high {
            let middle = low + (high - low) / 2;
            if self.cut_is_linearizable(completions[middle])? {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Some(high)
    }

    fn cut_is_linearizable(&mut self, cut: u64) -> Option<bool> {
        let (mut cut_problem, _) = self.problem.cut(cut);
        let outcome = Search::new(&mut cut_problem, self.key_label.to_string(), self.limits).run();
        self.memo_entries += outcome.memo_entries;
        match outcome.verdict {
            Verdict::Linearizable { .. } => Some(true),
            Verdict::NotLinearizable(_) => Some(false),
            Verdict::Unknown(_) => None,
        }
    }

    /// Searches the cut at `completion`, not abandoning nodes because of the
    /// operation completing there unless it is their frontier, under the
    /// explanation budget. `None` when the user's budget ran out.
    fn states_at(&mut self, completion: u64) -> Option<AtCompletion<M::State>> {
        let (mut cut_problem, original) = self.problem.cut(completion);
        let Some(failing_op) = cut_problem
            .ops
            .iter()
            .zip(&cut_problem.required)
            .position(|(op, &required)| required && op.complete_index == Some(completion))
        else {
            return Some(AtCompletion::NotReached);
        };
        let explain_limit = self
            .limits
            .max_states
            .map_or(EXPLAIN_MAX_STATES, |max| max.min(EXPLAIN_MAX_STATES));
        let limits = Limits {
            max_states: Some(explain_limit),
            ..self.limits
        };
        let outcome = Search::new(&mut cut_problem, self.key_label.to_string(), limits)
            .exempt_from_lookahead(failing_op)
            .run();
        self.memo_entries += outcome.memo_entries;
        let translate = |stuck: Stuck<M::State>| Stuck {
            op: original[stuck.op],
            prefix: stuck.prefix.iter().map(|&op| original[op]).collect(),
            states: stuck.states,
        };
        Some(match outcome.verdict {
            Verdict::NotLinearizable(stuck) if stuck.op == failing_op => {
                AtCompletion::Stuck(translate(stuck), true)
            }
            Verdict::Unknown(_) => match outcome.partial {
                Some(partial) if partial.op == failing_op => {
                    AtCompletion::Stuck(translate(partial), false)
                }
                // The explanation budget ran out before getting there; the
                // user's own budget is another matter.
                _ if self
                    .limits
                    .max_states
                    .is_some_and(|max| max <= explain_limit) =>
                {
                    return None
                }
                _ => AtCompletion::NotReached,
            },
            _ => AtCompletion::NotReached,
        })
    }

    /// A linearization of the cut just before the completion `completion`
    /// of operation `op`, as a stuck point at `op` with its final state;
    /// `Some(None)` when that cut is not linearizable, `None` when the
    /// budget ran out.
    fn witness_before(&mut self, completion: u64, op: usize) -> Option<Option<Stuck<M::State>>> {
        let (mut cut_problem, original) = self.problem.cut(completion - 1);
        let outcome = Search::new(&mut cut_problem, self.key_label.to_string(), self.limits).run();
        self.memo_entries += outcome.memo_entries;
        match outcome.verdict {
            Verdict::Linearizable { order, state } => Some(Some(Stuck {
                op,
                prefix: order.iter().map(|&i| original[i]).collect(),
                states: vec![state],
            })),
            Verdict::NotLinearizable(_) => Some(None),
            Verdict::Unknown(_) => None,
        }
    }
}
