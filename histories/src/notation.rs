//! The one way raftstorm writes an operation for people: `p8 get k3 → nil`,
//! `p3 put k3 v289 → ok`, `p2 cas k1 v4→v9 → fail`, `p5 append k2 v7 → info`.
//!
//! Every report — `report.txt`, the linearizability and liveness
//! explanations, the HTML timeline — uses this notation, so an operation
//! read in one place is recognised in another. The process comes first
//! (`p8`), then the function, the key (omitted for a single register), the
//! argument, and after the arrow what came back: a read's value, `ok` for
//! a write that took effect, `fail` or `info`. Strings are written bare
//! when that is unambiguous (`v289`) and in EDN quotes otherwise (`""`,
//! `"nil"`, `"a b"`), so `nil` always means "no value".

use crate::history::{Operation, Outcome};
use crate::op::{Function, Op, OpType, Process};
use crate::value::Value;
use std::fmt;

/// A value as the notation writes it: bare when unambiguous.
pub struct Bare<'a>(pub &'a Value);

impl fmt::Display for Bare<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Str(text) if is_bare(text) => f.write_str(text),
            other => write!(f, "{other}"),
        }
    }
}

/// True when `text` can be written without quotes and still read as a
/// string: non-empty, no blanks, quotes, brackets, arrows or commas, and not
/// a word that would read as another value.
fn is_bare(text: &str) -> bool {
    let awkward = |c: char| c.is_whitespace() || "\"\\()[]{},;→:#".contains(c) || c.is_control();
    !text.is_empty()
        && !text.chars().any(awkward)
        && !matches!(text, "nil" | "true" | "false" | "ok" | "fail" | "info")
        && text.parse::<i64>().is_err()
}

/// The call half: `p2 cas k1 v4→v9` (no outcome).
pub struct Call<'a> {
    /// The client process.
    pub process: u64,
    /// The function.
    pub f: &'a Function,
    /// The key, for multi-key models.
    pub key: Option<&'a Value>,
    /// The argument.
    pub input: &'a Value,
}

impl fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{} {}", self.process, self.f)?;
        if let Some(key) = self.key {
            write!(f, " {}", Bare(key))?;
        }
        match (self.f, self.input) {
            (Function::Cas, Value::List(pair)) if pair.len() == 2 => {
                write!(f, " {}→{}", Bare(&pair[0]), Bare(&pair[1]))
            }
            (Function::Get | Function::Read, Value::Nil) => Ok(()),
            (_, input) => write!(f, " {}", Bare(input)),
        }
    }
}

/// What came back, after the arrow: a read's value, or `ok`, `fail`,
/// `info`.
fn write_result(
    f: &mut fmt::Formatter<'_>,
    func: &Function,
    kind: OpType,
    output: &Value,
) -> fmt::Result {
    match kind {
        OpType::Invoke => Ok(()),
        OpType::Ok if returns_value(func) => write!(f, " → {}", Bare(output)),
        OpType::Ok => f.write_str(" → ok"),
        OpType::Fail => f.write_str(" → fail"),
        OpType::Info => f.write_str(" → info"),
    }
}

/// Functions whose `ok` result is a value worth showing (reads, and
/// functions we do not know, whose result may matter).
fn returns_value(func: &Function) -> bool {
    matches!(func, Function::Get | Function::Read | Function::Other(_))
}

/// A paired operation in the notation: `p8 get k3 → nil`.
pub struct OpText<'a>(pub &'a Operation);

impl fmt::Display for OpText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.0;
        let call = Call {
            process: op.process,
            f: &op.f,
            key: op.key.as_ref(),
            input: &op.input,
        };
        write!(f, "{call}")?;
        let kind = match op.outcome {
            Outcome::Ok => OpType::Ok,
            Outcome::Fail => OpType::Fail,
            Outcome::Info => OpType::Info,
        };
        write_result(f, &op.f, kind, &op.output)
    }
}

/// One history record in the notation: an invoke is its call
/// (`p8 get k3`), a completion its call and result (`p8 get k3 → nil`; a
/// completion's value stands for the argument too, except a read's).
/// Nemesis records are `nemesis <f> <value>`.
pub struct RecordText<'a>(pub &'a Op);

impl fmt::Display for RecordText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.0;
        let Process::Client(process) = op.process else {
            return write!(f, "nemesis {} {}", op.f, Bare(&op.value));
        };
        let input = match (op.kind, returns_value(&op.f)) {
            (OpType::Ok, true) => &Value::Nil,
            _ => &op.value,
        };
        let call = Call {
            process,
            f: &op.f,
            key: op.key.as_ref(),
            input,
        };
        write!(f, "{call}")?;
        write_result(f, &op.f, op.kind, &op.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(f: Function, input: Value, output: Value, outcome: Outcome) -> Operation {
        Operation {
            id: 0,
            process: 8,
            f,
            key: Some(Value::str("k3")),
            input,
            output,
            outcome,
            error: None,
            invoke_index: 0,
            complete_index: Some(1),
            invoke_time_ns: 0,
            complete_time_ns: Some(1),
        }
    }

    #[test]
    fn every_kind_of_operation_reads_the_same_way() {
        let s = Value::str;
        let cas = Value::List(vec![s("v4"), s("v9")]);
        let cases = [
            (
                Function::Get,
                Value::Nil,
                Value::Nil,
                Outcome::Ok,
                "p8 get k3 → nil",
            ),
            (
                Function::Get,
                Value::Nil,
                s("v1"),
                Outcome::Ok,
                "p8 get k3 → v1",
            ),
            (
                Function::Get,
                Value::Nil,
                s("nil"),
                Outcome::Ok,
                "p8 get k3 → \"nil\"",
            ),
            (
                Function::Get,
                Value::Nil,
                s(""),
                Outcome::Ok,
                "p8 get k3 → \"\"",
            ),
            (
                Function::Put,
                s("v289"),
                s("v289"),
                Outcome::Ok,
                "p8 put k3 v289 → ok",
            ),
            (
                Function::Cas,
                cas.clone(),
                cas,
                Outcome::Fail,
                "p8 cas k3 v4→v9 → fail",
            ),
            (
                Function::Append,
                s("x 1"),
                Value::Nil,
                Outcome::Info,
                "p8 append k3 \"x 1\" → info",
            ),
            (
                Function::Read,
                Value::Nil,
                Value::Int(3),
                Outcome::Ok,
                "p8 read k3 → 3",
            ),
            (
                Function::Write,
                Value::Int(3),
                Value::Int(3),
                Outcome::Ok,
                "p8 write k3 3 → ok",
            ),
        ];
        for (f, input, output, outcome, expected) in cases {
            let op = operation(f, input, output, outcome);
            assert_eq!(OpText(&op).to_string(), expected);
        }
    }

    #[test]
    fn records_read_like_their_operations() {
        let record = |kind, f, value| Op {
            index: 0,
            time_ns: 0,
            kind,
            process: Process::Client(5),
            f,
            key: Some(Value::str("k2")),
            value,
            error: None,
            node: None,
        };
        let cases = [
            (OpType::Invoke, Function::Get, Value::Nil, "p5 get k2"),
            (
                OpType::Ok,
                Function::Get,
                Value::str("v7"),
                "p5 get k2 → v7",
            ),
            (
                OpType::Invoke,
                Function::Append,
                Value::str("v7"),
                "p5 append k2 v7",
            ),
            (
                OpType::Info,
                Function::Append,
                Value::str("v7"),
                "p5 append k2 v7 → info",
            ),
        ];
        for (kind, f, value, expected) in cases {
            assert_eq!(RecordText(&record(kind, f, value)).to_string(), expected);
        }
    }
}
