//! Jepsen's `independent` tuples, split into key and value.
//!
//! Jepsen tests many registers at once by wrapping each operation's value
//! in a tuple: `{:f :cas, :value [k [1 2]]}` is a cas of `[1 2]` on key `k`.
//! The readers keep such a value as it is (a two-element list); nothing in
//! the file says whether `[1 2]` is a tuple or a cas argument, so splitting
//! is the caller's choice, made with [`split_independent`].

use crate::history::History;
use crate::value::Value;

/// Turns every client record whose `key` is `None` and whose value is a
/// two-element list `[k v]` into `key = Some(k)`, `value = v`. Records that
/// already have a key, nemesis records and other values are left alone
/// (an `info` completion often carries no tuple; pairing takes the key from
/// the invoke). Returns the number of records split.
pub fn split_independent(history: &mut History) -> usize {
    let mut split = 0;
    for op in history
        .ops
        .iter_mut()
        .filter(|op| op.is_client() && op.key.is_none())
    {
        let Value::List(items) = &mut op.value else {
            continue;
        };
        if let [key, value] = items.as_mut_slice() {
            op.key = Some(std::mem::take(key));
            op.value = std::mem::take(value);
            split += 1;
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Function, Op, OpType, Process};

    fn record(process: Process, key: Option<Value>, value: Value) -> Op {
        Op {
            index: 0,
            time_ns: 0,
            kind: OpType::Invoke,
            process,
            f: Function::Cas,
            key,
            value,
            error: None,
            node: None,
        }
    }

    #[test]
    fn splits_tuples_and_nothing_else() {
        let pair = |a: Value, b: Value| Value::List(vec![a, b]);
        let tuple = pair(Value::Int(7), pair(Value::Int(1), Value::Int(2)));
        let mut history = History::new(vec![
            record(Process::Client(0), None, tuple.clone()),
            record(Process::Client(0), Some(Value::Int(1)), tuple.clone()),
            record(Process::Nemesis, None, tuple.clone()),
            record(Process::Client(1), None, Value::Nil),
            record(Process::Client(1), None, Value::List(vec![Value::Int(1)])),
        ]);
        let before = history.clone();
        assert_eq!(split_independent(&mut history), 1);
        assert_eq!(history.ops[0].key, Some(Value::Int(7)));
        assert_eq!(history.ops[0].value, pair(Value::Int(1), Value::Int(2)));
        assert_eq!(history.ops[1..], before.ops[1..]);
    }
}
