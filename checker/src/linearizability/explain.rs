//! Which operation is the first that cannot be linearized.
//!
//! The definition is Knossos', and does not depend on how a search
//! explores: cut the history just before an operation's completion and it
//! is linearizable (operations still running then may or may not have
//! taken effect); cut it just after, and it is not. Linearizability is
//! closed under such cuts, so the cuts at successive completions are
//! linearizable up to one point and never after it: that completion's
//! operation is the first that cannot be linearized.
//!
//! Without the lookahead (see `search.rs`), the search of the whole
//! history already finds it: the furthest point where the search got stuck
//! is exactly there. The lookahead abandons nodes that cannot get past some
//! later read, so it may never walk up to that point; then the point is
//! found by searching cuts — galloping up from the furthest point the
//! search did reach, then by bisection — and one more search of the cut at
//! that point, told not to abandon nodes on account of the failing
//! operation itself, collects the prefix and the states there.
//!
//! That last search may be expensive (the states there can be many). It
//! runs under a smaller budget; if it runs out, the counterexample keeps
//! the states it found, or at least one linearization of everything that
//! completed before the failing operation, and says the states are not
//! all of them.

use super::model::Model;
use super::problem::KeyProblem;
use super::search::{Limits, Outcome, Search, Stuck, Verdict};

/// The budget of the search that collects the states at the failing point.
const EXPLAIN_MAX_STATES: u64 = 1 << 14;

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
    let mut explainer = Explainer {
        problem,
        key_label,
        limits,
        memo_entries: 0,
    };
    if !full.lookahead_pruned {
        return Explanation {
            stuck,
            all_states: true,
            memo_entries: 0,
        };
    }
    let bounds = (full.reached_position, full.blamed_position);
    let Some(failing) = explainer.first_failing_completion(bounds) else {
        return explainer.finish(stuck, false);
    };
    match explainer.states_at(failing) {
        Some((found, all_states)) => explainer.finish(found, all_states),
        None => explainer.finish(stuck, false),
    }
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

    /// The completion position of the first operation that cannot be
    /// linearized, or `None` when a search of a cut ran out of budget.
    /// `reached` and `blamed` are what the search of the whole history
    /// found (see [`Outcome`]): the position lies between the first and the
    /// greater of the two.
    fn first_failing_completion(
        &mut self,
        (reached, blamed): (Option<u64>, Option<u64>),
    ) -> Option<u64> {
        let mut completions: Vec<u64> = self
            .problem
            .ops
            .iter()
            .zip(&self.problem.required)
            .filter_map(|(op, &required)| required.then_some(op.complete_index).flatten())
            .collect();
        completions.sort_unstable();
        completions.dedup();
        // Every cut before `reached` is linearizable; the cut at the larger
        // of `reached` and `blamed` (or else the whole history) is not.
        let reached = reached.unwrap_or(0);
        let mut low = completions.partition_point(|&c| c < reached);
        let upper = blamed.map_or(u64::MAX, |blamed| blamed.max(reached));
        let mut high = completions
            .partition_point(|&c| c <= upper)
            .saturating_sub(1)
            .max(low);
        let mut step = 1;
        while low < high {
            let at = (low + step - 1).min(high - 1);
            if self.cut_is_linearizable(completions[at])? {
                low = at + 1;
                step *= 2;
            } else {
                high = at;
                break;
            }
        }
        while low < high {
            let middle = low + (high - low) / 2;
            if self.cut_is_linearizable(completions[middle])? {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Some(completions[low])
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

    /// The stuck point at the completion `failing`: from a search of the
    /// cut there, or failing that, one linearization of the cut just before
    /// it. The flag says whether the states are complete.
    fn states_at(&mut self, failing: u64) -> Option<(Stuck<M::State>, bool)> {
        let (mut cut_problem, original) = self.problem.cut(failing);
        let failing_op = cut_problem
            .ops
            .iter()
            .zip(&cut_problem.required)
            .position(|(op, &required)| required && op.complete_index == Some(failing))?;
        let limits = Limits {
            max_states: Some(
                self.limits
                    .max_states
                    .map_or(EXPLAIN_MAX_STATES, |max| max.min(EXPLAIN_MAX_STATES)),
            ),
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
        match outcome.verdict {
            Verdict::NotLinearizable(stuck) if stuck.op == failing_op => {
                return Some((translate(stuck), true))
            }
            Verdict::Unknown(_) => {
                if let Some(partial) = outcome.partial.filter(|partial| partial.op == failing_op) {
                    return Some((translate(partial), false));
                }
            }
            _ => {}
        }
        drop(cut_problem);
        self.witness_before(failing, original[failing_op])
    }

    /// One linearization of the cut just before the completion `failing` of
    /// operation `op`, as a stuck point with its final state.
    fn witness_before(&mut self, failing: u64, op: usize) -> Option<(Stuck<M::State>, bool)> {
        let (mut cut_problem, original) = self.problem.cut(failing - 1);
        let outcome = Search::new(&mut cut_problem, self.key_label.to_string(), self.limits).run();
        self.memo_entries += outcome.memo_entries;
        match outcome.verdict {
            Verdict::Linearizable { order, state } => Some((
                Stuck {
                    op,
                    prefix: order.iter().map(|&i| original[i]).collect(),
                    states: vec![state],
                },
                false,
            )),
            _ => None,
        }
    }
}
