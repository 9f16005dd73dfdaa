//! A history as a list of records, and its pairing into operations.
//!
//! Checkers do not want records; they want operations with a call and a
//! return. [`History::operations`] pairs every completion with the open
//! invoke of its process and enforces the rules that make a history
//! meaningful: one open operation per process, no completion without an
//! invoke, the same function on both halves, and no new operation from a
//! process after an `info`.

use crate::op::{Function, Op, OpType, Process};
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A history: records in the order they happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The records, `ops[i].index == i`.
    pub ops: Vec<Op>,
}

/// How a client operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Took effect; the output is its result.
    Ok,
    /// Definitely did not take effect.
    Fail,
    /// May have taken effect at any time after its invoke, or never
    /// (an `info` completion, or no completion at all).
    Info,
}

/// A client operation: an invoke paired with its completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Dense number of the operation among the history's operations, in
    /// invoke order.
    pub id: usize,
    /// The client process.
    pub process: u64,
    /// The function called.
    pub f: Function,
    /// The key, for multi-key models.
    pub key: Option<Value>,
    /// The invoke's value (the argument).
    pub input: Value,
    /// The completion's value (the result); `Nil` when there is none.
    pub output: Value,
    /// ok, fail or info.
    pub outcome: Outcome,
    /// The completion's error, if any.
    pub error: Option<String>,
    /// History position of the invoke.
    pub invoke_index: u64,
    /// History position of the completion, if there was one.
    pub complete_index: Option<u64>,
    /// Virtual time of the invoke, in nanoseconds.
    pub invoke_time_ns: u64,
    /// Virtual time of the completion, in nanoseconds, if there was one.
    pub complete_time_ns: Option<u64>,
}

impl Operation {
    /// The history position by which this operation must have taken effect,
    /// or `None` when it is unbounded (`info` or never completed).
    pub fn return_index(&self) -> Option<u64> {
        match self.outcome {
            Outcome::Info => None,
            Outcome::Ok | Outcome::Fail => self.complete_index,
        }
    }
}

/// Why a history's records do not pair into operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairError {
    /// History position of the offending record.
    pub op_index: u64,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for PairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record #{}: {}", self.op_index, self.message)
    }
}

impl std::error::Error for PairError {}

/// What each process is doing while the records are paired.
enum ProcessState {
    /// Has an invoke without completion: the operation's slot.
    Busy(usize),
    /// Its last operation ended in `info`: it must never issue again.
    Crashed { info_index: u64 },
}

impl History {
    /// A history of these records (their `index` fields are trusted).
    pub fn new(ops: Vec<Op>) -> History {
        History { ops }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The client records (nemesis events left out).
    pub fn client_ops(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|op| op.is_client())
    }

    /// Pairs invokes with completions, in invoke order. Nemesis records are
    /// skipped. An invoke that never completes becomes an `info` operation.
    pub fn operations(&self) -> Result<Vec<Operation>, PairError> {
        let mut operations: Vec<Operation> = Vec::new();
        let mut processes: BTreeMap<u64, ProcessState> = BTreeMap::new();
        for op in &self.ops {
            let Process::Client(process) = op.process else {
                continue;
            };
            let error = |message: String| PairError {
                op_index: op.index,
                message,
            };
            match (op.kind, processes.get(&process)) {
                (OpType::Invoke, Some(ProcessState::Busy(slot))) => {
                    return Err(error(format!(
                        "process {process} invokes again while its invoke at record #{} is still open",
                        operations[*slot].invoke_index
                    )));
                }
                (OpType::Invoke, Some(ProcessState::Crashed { info_index })) => {
                    return Err(error(format!(
                        "process {process} invokes again after its operation ended in info at record #{info_index}; a process that saw info must never issue again"
                    )));
                }
                (OpType::Invoke, None) => {
                    processes.insert(process, ProcessState::Busy(operations.len()));
                    operations.push(Operation {
                        id: operations.len(),
                        process,
                        f: op.f.clone(),
                        key: op.key.clone(),
                        input: op.value.clone(),
                        output: Value::Nil,
                        outcome: Outcome::Info,
                        error: None,
                        invoke_index: op.index,
                        complete_index: None,
                        invoke_time_ns: op.time_ns,
                        complete_time_ns: None,
                    });
                }
                (completion, Some(ProcessState::Busy(slot))) => {
                    let slot = *slot;
                    let operation = &mut operations[slot];
                    if operation.f != op.f {
                        return Err(error(format!(
                            "completion :{} of process {process} does not match its open invoke :{} at record #{}",
                            op.f, operation.f, operation.invoke_index
                        )));
                    }
                    operation.output = op.value.clone();
                    operation.error = op.error.clone();
                    operation.complete_index = Some(op.index);
                    operation.complete_time_ns = Some(op.time_ns);
                    operation.outcome = match completion {
                        OpType::Ok => Outcome::Ok,
                        OpType::Fail => Outcome::Fail,
                        _ => Outcome::Info,
                    };
                    if completion == OpType::Info {
                        processes.insert(
                            process,
                            ProcessState::Crashed {
                                info_index: op.index,
                            },
                        );
                    } else {
                        processes.remove(&process);
                    }
                }
                (completion, _) => {
                    return Err(error(format!(
                        "{completion} from process {process}, which has no open invoke"
                    )));
                }
            }
        }
        Ok(operations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(index: u64, kind: OpType, process: u64, f: Function, value: Value) -> Op {
        Op {
            index,
            time_ns: index * 10,
            kind,
            process: Process::Client(process),
            f,
            key: None,
            value,
            error: None,
            node: None,
        }
    }

    #[test]
    fn pairs_completions_with_their_invokes() {
        let history = History::new(vec![
            record(0, OpType::Invoke, 1, Function::Write, Value::Int(3)),
            record(1, OpType::Invoke, 2, Function::Read, Value::Nil),
            record(2, OpType::Ok, 2, Function::Read, Value::Int(3)),
            record(3, OpType::Ok, 1, Function::Write, Value::Int(3)),
            record(4, OpType::Invoke, 2, Function::Read, Value::Nil),
        ]);
        let ops = history.operations().unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!((ops[0].invoke_index, ops[0].complete_index), (0, Some(3)));
        assert_eq!(ops[1].output, Value::Int(3));
        assert_eq!(ops[2].outcome, Outcome::Info);
        assert_eq!(ops[2].return_index(), None);
    }

    #[test]
    fn rejects_broken_pairings_with_their_position() {
        let cases = [
            (
                vec![record(0, OpType::Ok, 1, Function::Read, Value::Nil)],
                0,
                "no open invoke",
            ),
            (
                vec![
                    record(0, OpType::Invoke, 1, Function::Read, Value::Nil),
                    record(1, OpType::Invoke, 1, Function::Read, Value::Nil),
                ],
                1,
                "still open",
            ),
            (
                vec![
                    record(0, OpType::Invoke, 1, Function::Read, Value::Nil),
                    record(1, OpType::Ok, 1, Function::Write, Value::Nil),
                ],
                1,
                "does not match",
            ),
            (
                vec![
                    record(0, OpType::Invoke, 1, Function::Read, Value::Nil),
                    record(1, OpType::Info, 1, Function::Read, Value::Nil),
                    record(2, OpType::Invoke, 1, Function::Read, Value::Nil),
                ],
                2,
                "ended in info",
            ),
        ];
        for (ops, op_index, words) in cases {
            let err = History::new(ops).operations().unwrap_err();
            assert_eq!(err.op_index, op_index);
            assert!(err.message.contains(words), "{err}");
        }
    }
}
