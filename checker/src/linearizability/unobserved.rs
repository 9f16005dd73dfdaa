//! The simplest explanation first: indeterminate operations nobody saw
//! did not happen.
//!
//! An `info` operation may have taken effect at any point after its invoke,
//! or never. Each one the search must place doubles, in the worst case, the
//! linearized sets it remembers, and a history with dozens of timed-out
//! writes on one key can exhaust any budget even when it is plainly
//! linearizable. Most of those writes left no trace: no read returned
//! their value and no compare-and-set expected it.
//!
//! So before the full search, a key is searched once without its optional
//! operations whose written value appears in no observation. Dropping them
//! chooses "never took effect" for each, which their semantics allow, so a
//! linearization found without them is one of the whole key: the verdict
//! valid is sound. Nothing else is concluded from this first search; if it
//! finds no linearization (an unseen write may still have mattered, say by
//! making a failed compare-and-set fail), or runs out of its share of the
//! budget, the full search decides.

use super::model::Model;
use super::problem::KeyProblem;
use super::search::Limits;
use histories::{Function, Operation, Outcome, Value};

/// The share of the memo budget the first search may use: it must leave
/// the full search room to decide.
const BUDGET_SHARE_DIVISOR: u64 = 4;

/// Most (optional operation, observation) pairs compared to decide what to
/// leave out. The comparisons run outside the search's time limit, so a
/// huge key skips the first search rather than stall before it.
const MAX_COMPARISONS: usize = 10_000_000;

impl<'h, M: Model> KeyProblem<'h, M> {
    /// This key without its unobserved optional operations, or `None` when
    /// every optional operation was observed (the full search is the only
    /// one worth running).
    pub(crate) fn without_unobserved(&mut self) -> Option<KeyProblem<'h, &mut M>> {
        let observations = observations(&self.ops);
        let optional = self.required.iter().filter(|&&required| !required).count();
        if optional == 0 || optional.saturating_mul(observations.len()) > MAX_COMPARISONS {
            return None; // nothing to drop, or too costly to find out
        }
        let dropped =
            |op: &Operation, required: bool| !required && !was_observed(op, &observations);
        let any_dropped = self
            .ops
            .iter()
            .zip(&self.required)
            .any(|(op, &required)| dropped(op, required));
        if !any_dropped {
            return None;
        }
        Some(self.subproblem(|_, op, required| (!dropped(op, required)).then_some(required)))
    }
}

/// The limits of the first search: the same deadline, a quarter of the
/// memo budget.
pub(crate) fn first_search_limits(limits: Limits) -> Limits {
    Limits {
        max_states: limits
            .max_states
            .map(|states| (states / BUDGET_SHARE_DIVISOR).max(1)),
        max_memo_bytes: limits
            .max_memo_bytes
            .map(|bytes| (bytes / BUDGET_SHARE_DIVISOR).max(1)),
        deadline: limits.deadline,
        infer_orders: limits.infer_orders,
    }
}

/// Every value some completed operation of the key saw: what ok reads
/// returned, and what compare-and-sets (ok or failed) compared against.
fn observations<'h>(ops: &[&'h Operation]) -> Vec<&'h Value> {
    let mut seen = Vec::new();
    for op in ops {
        match (&op.f, op.outcome) {
            (Function::Get | Function::Read, Outcome::Ok) => seen.push(&op.output),
            (Function::Cas, Outcome::Ok | Outcome::Fail) => {
                if let Value::List(pair) = &op.input {
                    seen.extend(pair.first());
                }
            }
            _ => {}
        }
    }
    seen
}

/// The value an operation would leave behind if it took effect; `None`
/// for reads, which leave nothing, and for functions this module does not
/// know (those are never dropped).
fn written_value(op: &Operation) -> Option<&Value> {
    match &op.f {
        Function::Put | Function::Write | Function::Append => Some(&op.input),
        Function::Cas => match &op.input {
            Value::List(pair) => pair.get(1),
            _ => None,
        },
        Function::Get | Function::Read | Function::Other(_) => None,
    }
}

/// True when some observation may show `op`'s effect. Strings count as
/// seen when they occur inside an observed string (an appended suffix, or
/// a value later appended to); other values when equal to one. Reads and
/// unknown functions count as seen, so they are never dropped.
fn was_observed(op: &Operation, observations: &[&Value]) -> bool {
    let Some(written) = written_value(op) else {
        return !matches!(op.f, Function::Get | Function::Read);
    };
    observations.iter().any(|&seen| match (written, seen) {
        (Value::Str(written), Value::Str(seen)) => seen.contains(written.as_str()),
        _ => written == seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(f: Function, input: Value, output: Value, outcome: Outcome) -> Operation {
        crate::linearizability::model::tests::op(f, input, outcome, output, None)
    }

    fn text(s: &str) -> Value {
        Value::Str(s.to_string())
    }

    #[test]
    fn writes_count_as_seen_when_a_read_or_a_cas_shows_them() {
        let read = op(Function::Get, Value::Nil, text("v1a2 a3 "), Outcome::Ok);
        let cas = op(
            Function::Cas,
            Value::List(vec![text("v7"), text("c8")]),
            Value::Nil,
            Outcome::Fail,
        );
        let ops = [&read, &cas];
        let seen = observations(&ops);
        let info = |f, input| op(f, input, Value::Nil, Outcome::Info);
        assert!(was_observed(&info(Function::Append, text("a2 ")), &seen));
        assert!(was_observed(&info(Function::Put, text("v1")), &seen));
        assert!(was_observed(&info(Function::Put, text("v7")), &seen));
        assert!(!was_observed(&info(Function::Append, text("a9 ")), &seen));
        assert!(!was_observed(&info(Function::Put, text("v9")), &seen));
        let unseen_cas = info(Function::Cas, Value::List(vec![text("v1"), text("c9")]));
        assert!(!was_observed(&unseen_cas, &seen));
        assert!(
            was_observed(&info(Function::Other("x".into()), text("v9")), &seen),
            "unknown functions are kept"
        );
    }

    #[test]
    fn integers_count_as_seen_only_when_equal() {
        let read = op(Function::Read, Value::Nil, Value::Int(3), Outcome::Ok);
        let ops = [&read];
        let seen = observations(&ops);
        let write = |v| op(Function::Write, Value::Int(v), Value::Nil, Outcome::Info);
        assert!(was_observed(&write(3), &seen));
        assert!(!was_observed(&write(33), &seen));
    }
}
