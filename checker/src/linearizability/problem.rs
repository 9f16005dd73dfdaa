//! From a history's operations to one search problem per key.
//!
//! Linearizability is P-compositional for objects that are products of
//! independent registers (Herlihy & Wing's locality): a history is
//! linearizable iff each key's sub-history is. So the history is split by
//! [`Operation::key`], and each key's operations are handed to a fresh model
//! instance, which decides what each one means ([`Prepared`]) before the
//! search starts.

use super::model::{Model, Prepared};
use histories::{Operation, Outcome, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Why an operation cannot be checked against the chosen model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    /// The operation's id ([`Operation::id`]).
    pub op_id: usize,
    /// History position of the operation's invoke.
    pub invoke_index: u64,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record #{} (operation {}): {}",
            self.invoke_index, self.op_id, self.message
        )
    }
}

impl std::error::Error for ModelError {}

/// One key's operations, prepared for the search.
pub(crate) struct KeyProblem<'h, M: Model> {
    /// The key, `None` for an unkeyed register.
    pub key: Option<Value>,
    /// The model instance that prepared the operations (it owns their
    /// interned values, so the search must use this very instance).
    pub model: M,
    /// The operations that take part, in invoke order; search indices refer
    /// to this order.
    pub ops: Vec<&'h Operation>,
    /// What each operation does, as the model prepared it.
    pub actions: Vec<M::Op>,
    /// True for operations that must be linearized, false for optional ones.
    pub required: Vec<bool>,
    /// Operations of this key that the model left out.
    pub skipped: usize,
}

impl<'h, M: Model> KeyProblem<'h, M> {
    /// This key's history cut just after position `cut`, in hindsight:
    /// operations invoked later are gone, and required operations that
    /// completed later become optional — they may or may not have taken
    /// effect by the cut, but if they did, it was with the result they
    /// eventually returned. The cut borrows this problem's model, whose
    /// interned values the actions refer to. Also returns, for each
    /// operation of the cut, its index in `self`.
    pub(crate) fn cut(&mut self, cut: u64) -> (KeyProblem<'h, &mut M>, Vec<usize>) {
        let mut original = Vec::new();
        let problem = self.subproblem(|index, op, required| {
            if op.invoke_index > cut {
                return None;
            }
            original.push(index);
            let completed_by_cut = op.complete_index.is_some_and(|c| c <= cut);
            Some(required && completed_by_cut)
        });
        (problem, original)
    }

    /// The operations `keep` keeps, each with the `required` flag it gives
    /// (`keep` sees each operation's index, the operation and its flag
    /// here), sharing this problem's model.
    pub(crate) fn subproblem(
        &mut self,
        mut keep: impl FnMut(usize, &Operation, bool) -> Option<bool>,
    ) -> KeyProblem<'h, &mut M> {
        let mut ops = Vec::new();
        let mut actions = Vec::new();
        let mut required = Vec::new();
        for (index, &op) in self.ops.iter().enumerate() {
            if let Some(now_required) = keep(index, op, self.required[index]) {
                ops.push(op);
                actions.push(self.actions[index]);
                required.push(now_required);
            }
        }
        KeyProblem {
            key: self.key.clone(),
            model: &mut self.model,
            ops,
            actions,
            required,
            skipped: 0,
        }
    }
}

/// Groups operations by key, keys in ascending order.
pub(crate) fn by_key(ops: &[Operation]) -> BTreeMap<Option<&Value>, Vec<&Operation>> {
    let mut keys: BTreeMap<Option<&Value>, Vec<&Operation>> = BTreeMap::new();
    for op in ops {
        keys.entry(op.key.as_ref()).or_default().push(op);
    }
    keys
}

/// Prepares one key's operations with `model`.
pub(crate) fn prepare_key<'h, M: Model>(
    key: Option<&Value>,
    mut ops: Vec<&'h Operation>,
    mut model: M,
) -> Result<KeyProblem<'h, M>, ModelError> {
    ops.sort_by_key(|op| (op.invoke_index, op.id));
    let total = ops.len();
    let mut kept = Vec::with_capacity(total);
    let mut actions = Vec::with_capacity(total);
    let mut required = Vec::with_capacity(total);
    for op in ops {
        let error = |message: String| ModelError {
            op_id: op.id,
            invoke_index: op.invoke_index,
            message,
        };
        check_positions(op).map_err(error)?;
        match model.prepare(op).map_err(error)? {
            Prepared::Skip => continue,
            Prepared::Required(action) => {
                if op.complete_index.is_none() {
                    return Err(error(
                        "the model requires this operation, but it has no completion to bound it"
                            .to_string(),
                    ));
                }
                actions.push(action);
                required.push(true);
            }
            Prepared::Optional(action) => {
                actions.push(action);
                required.push(false);
            }
        }
        kept.push(op);
    }
    Ok(KeyProblem {
        key: key.cloned(),
        model,
        skipped: total - kept.len(),
        ops: kept,
        actions,
        required,
    })
}

/// An operation must complete after it is invoked, and an ok or fail
/// operation must say where.
fn check_positions(op: &Operation) -> Result<(), String> {
    match (op.outcome, op.complete_index) {
        (_, Some(complete)) if complete < op.invoke_index => Err(format!(
            "completes at record #{complete}, before its invoke"
        )),
        (Outcome::Ok | Outcome::Fail, None) => Err(format!(
            "an {} operation needs the position of its completion",
            match op.outcome {
                Outcome::Ok => "ok",
                _ => "fail",
            }
        )),
        _ => Ok(()),
    }
}
