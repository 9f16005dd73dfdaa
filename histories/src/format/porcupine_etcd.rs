//! Porcupine's etcd test data: Jepsen's console log of a single-register
//! etcd test (`testdata/porcupine/jepsen/etcd_NNN.log`).
//!
//! # Lines
//!
//! Only operation lines matter:
//!
//! ```text
//! INFO  jepsen.util - 2   :invoke :cas    [3 0]
//! ```
//!
//! (the real logs separate the last four fields with tabs).
//!
//! `INFO`, `jepsen.util`, `-` and a process number, separated by spaces or
//! tabs, make a line an operation line; every other line (setup, nemesis,
//! stack traces) is ignored. An operation line must then be well formed —
//! type, function and value, nothing after — or it is an error at the
//! offending token: a log cut mid-line is worth knowing about.
//!
//! # Meaning
//!
//! One integer register, so `key` is `None`; `f` is `:read`, `:write` or
//! `:cas`; values are integers or `nil` (a read of `nil` means the register
//! was never written — the etcd-register model's reading, kept here as
//! `Value::Nil`), a cas carries `[expected new]`.
//!
//! - A completion whose value is a keyword (`:timed-out`) carries an error,
//!   not a result: the record gets `error = Some(name)` and `value = Nil`.
//! - A timeout is indeterminate whoever reports it, so `:fail … :timed-out`
//!   (Jepsen logs reads that way) is recorded as an `info` completion.
//!   Every `:info` stays `info`.
//! - `:fail :cas [3 0]` stays `fail`: the cas definitely did not apply,
//!   which tells the etcd-register model the value was not 3.
//! - An invoke that never completes stays open; pairing makes it `info`.
//!
//! # Processes
//!
//! Jepsen gives a process a fresh number after an indeterminate result,
//! because its next operation is not ordered after the lost one. These logs
//! do not always: a process may invoke again after `:fail :read
//! :timed-out` (which Jepsen did not count as indeterminate), and in
//! principle while an invoke of its own is still open. To keep
//! [`crate::History::operations`]' rules, the reader renumbers:
//!
//! - when a process invokes while it has an open invoke, a synthetic `info`
//!   record (error `process-reused`, value `nil`) closes the open one just
//!   before the new invoke; it has the new invoke's position;
//! - a process whose last operation ended in `info` (explicit, a timeout,
//!   or the synthetic close) continues under a fresh number: one more than
//!   the largest number in the log, then counting up, in order of need.
//!
//! Processes that never need it keep their numbers. The timing is all in
//! the record order; the log has no times, so `time_ns` is 0.

use super::edn_syntax::EdnReader;
use super::position::{excerpt, lines, Fault};
use super::Records;
use crate::op::{Function, Op, OpType, Process};
use crate::value::Value;
use std::collections::BTreeMap;
use std::ops::Range;

/// The error a synthetic close of a reused process carries.
pub const PROCESS_REUSED: &str = "process-reused";

const TYPES: &str = "`:invoke`, `:ok`, `:fail` or `:info`";
const FUNCTIONS: &str = "`:read`, `:write` or `:cas`";

/// Reads a whole console log.
pub(crate) fn read(text: &str) -> Result<Records, Fault> {
    let mut records = Records::default();
    for (line_start, line) in lines(text) {
        let Some(digits) = op_line_process(line) else {
            continue;
        };
        let op = read_op_line(text, line_start, line, digits, records.ops.len() as u64)?;
        records.push(op, line_start);
    }
    Ok(renumber(records))
}

/// True for an operation line (see the module doc); used to sniff the
/// format.
pub(crate) fn is_op_line(line: &str) -> bool {
    op_line_process(line).is_some()
}

/// When `line` starts like an operation line, the byte range of its
/// process number.
fn op_line_process(line: &str) -> Option<Range<usize>> {
    let bytes = line.as_bytes();
    let mut at = 0;
    for word in ["INFO", "jepsen.util", "-"] {
        if !line[at..].starts_with(word) {
            return None;
        }
        at += word.len();
        let blanks = bytes[at..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if blanks == 0 {
            return None;
        }
        at += blanks;
    }
    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = at + digits;
    let ends_token = matches!(bytes.get(end), None | Some(b' ' | b'\t'));
    (digits > 0 && ends_token).then_some(at..end)
}

/// Reads the operation line at `line_start` (its process number at
/// `digits` within the line) as history position `index`.
fn read_op_line(
    text: &str,
    line_start: usize,
    line: &str,
    digits: Range<usize>,
    index: u64,
) -> Result<Op, Fault> {
    let number = &line[digits.clone()];
    let process = number.parse::<u64>().map_err(|_| {
        Fault::new(
            line_start + digits.start,
            "a process number that fits in 64 bits",
            excerpt(number),
        )
    })?;
    let mut reader = EdnReader::within(text, line_start + digits.end..line_start + line.len());
    let kind = match reader.keyword()? {
        Some((name, at)) => OpType::parse(name).ok_or_else(|| reader.fault_at(at, TYPES))?,
        None => return Err(reader.fault(TYPES)),
    };
    let f = match reader.keyword()? {
        Some(("read", _)) => Function::Read,
        Some(("write", _)) => Function::Write,
        Some(("cas", _)) => Function::Cas,
        Some((_, at)) => return Err(reader.fault_at(at, FUNCTIONS)),
        None => return Err(reader.fault(FUNCTIONS)),
    };
    reader.skip_blank()?;
    if reader.at_end() {
        return Err(reader.fault(format!("the value of the {f}")));
    }
    let (value, value_at) = reader.read_value()?;
    reader.skip_blank()?;
    if !reader.at_end() {
        return Err(reader.fault("end of line after the value"));
    }
    let (kind, value, error) =
        interpret(kind, &f, value).map_err(|expected| reader.fault_at(value_at, expected))?;
    Ok(Op {
        index,
        time_ns: 0,
        kind,
        process: Process::Client(process),
        f,
        key: None,
        value,
        error,
        node: None,
    })
}

/// The record a line's type, function and value make (see the module
/// doc), or what the value should have been.
fn interpret(
    kind: OpType,
    f: &Function,
    value: Value,
) -> Result<(OpType, Value, Option<String>), &'static str> {
    if let Value::Keyword(name) = value {
        return match kind {
            OpType::Fail if name != "timed-out" => Ok((OpType::Fail, Value::Nil, Some(name))),
            OpType::Fail | OpType::Info => Ok((OpType::Info, Value::Nil, Some(name))),
            OpType::Invoke | OpType::Ok => {
                Err("a value (an error keyword may only end a `:fail` or `:info`)")
            }
        };
    }
    let fits = match f {
        Function::Read => matches!(value, Value::Nil | Value::Int(_)),
        Function::Write => matches!(value, Value::Int(_)),
        _ => matches!(value.as_pair(), Some((Value::Int(_), Value::Int(_)))),
    };
    if !fits {
        return Err(match f {
            Function::Read => "`nil` or an integer (the value read)",
            Function::Write => "an integer (the value written)",
            _ => "`[expected new]`, two integers (a cas's arguments)",
        });
    }
    Ok((kind, value, None))
}

/// What the renumbering knows about a process number of the log.
struct Slot {
    /// The number its operations currently get.
    current: u64,
    /// The function of its open invoke, if it has one.
    open: Option<Function>,
    /// Its last operation ended in `info`.
    crashed: bool,
}

/// Gives processes fresh numbers where the pairing rules need them, and
/// closes invokes a reused process left open (see the module doc).
fn renumber(raw: Records) -> Records {
    let max_process = raw
        .ops
        .iter()
        .filter_map(|op| match op.process {
            Process::Client(id) => Some(id),
            Process::Nemesis => None,
        })
        .max()
        .unwrap_or(0);
    let mut next_fresh = max_process.saturating_add(1);
    let mut slots: BTreeMap<u64, Slot> = BTreeMap::new();
    let mut records = Records::default();
    for (mut op, offset) in raw.ops.into_iter().zip(raw.offsets) {
        let Process::Client(number) = op.process else {
            records.push(op, offset);
            continue;
        };
        let slot = slots.entry(number).or_insert(Slot {
            current: number,
            open: None,
            crashed: false,
        });
        if op.kind == OpType::Invoke {
            if let Some(f) = slot.open.take() {
                let close = Op {
                    index: records.ops.len() as u64,
                    time_ns: op.time_ns,
                    kind: OpType::Info,
                    process: Process::Client(slot.current),
                    f,
                    key: None,
                    value: Value::Nil,
                    error: Some(PROCESS_REUSED.to_string()),
                    node: None,
                };
                records.push(close, offset);
                slot.crashed = true;
            }
            if slot.crashed {
                slot.current = next_fresh;
                next_fresh = next_fresh.saturating_add(1);
                slot.crashed = false;
            }
            slot.open = Some(op.f.clone());
        } else if slot.open.take().is_some() && op.kind == OpType::Info {
            slot.crashed = true;
        }
        op.process = Process::Client(slot.current);
        op.index = records.ops.len() as u64;
        records.push(op, offset);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_operation_lines_by_their_start() {
        let cases = [
            ("INFO  jepsen.util - 3\t:invoke\t:read\tnil", true),
            ("INFO jepsen.util - 17  :ok     :read   1", true),
            ("INFO  jepsen.util - 3", true),
            ("INFO  jepsen.util - :nemesis\t:info\t:start\tnil", false),
            ("INFO  jepsen.util - 3x :invoke", false),
            ("INFO  jepsen.core - 3 :invoke :read nil", false),
            ("WARN  jepsen.util - 3 :invoke :read nil", false),
            ("", false),
        ];
        for (line, expected) in cases {
            assert_eq!(is_op_line(line), expected, "{line}");
        }
    }

    fn record(kind: OpType, process: u64, f: Function) -> Op {
        Op {
            index: 0,
            time_ns: 0,
            kind,
            process: Process::Client(process),
            f,
            key: None,
            value: Value::Nil,
            error: None,
            node: None,
        }
    }

    #[test]
    fn renumbering_closes_reused_processes_and_moves_crashed_ones() {
        use OpType::*;
        let raw = [
            record(Invoke, 1, Function::Read),
            record(Invoke, 1, Function::Write), // 1 reused while open
            record(Info, 1, Function::Write),
            record(Invoke, 1, Function::Cas), // after info: fresh again
            record(Invoke, 0, Function::Read),
            record(Ok, 0, Function::Read),
            record(Invoke, 0, Function::Read), // 0 never crashed: keeps 0
        ];
        let records = renumber(Records {
            offsets: (0..raw.len()).collect(),
            ops: raw.to_vec(),
        });
        let seen: Vec<_> = records
            .ops
            .iter()
            .map(|op| (op.index, op.kind, op.process, op.error.as_deref()))
            .collect();
        let c = Process::Client;
        assert_eq!(
            seen,
            [
                (0, Invoke, c(1), None),
                (1, Info, c(1), Some(PROCESS_REUSED)),
                (2, Invoke, c(2), None),
                (3, Info, c(2), None),
                (4, Invoke, c(3), None),
                (5, Invoke, c(0), None),
                (6, Ok, c(0), None),
                (7, Invoke, c(0), None),
            ]
        );
        assert_eq!(records.offsets, [0, 1, 1, 2, 3, 4, 5, 6]);
        let history = crate::History::new(records.ops);
        assert_eq!(history.operations().unwrap().len(), 5);
    }
}
