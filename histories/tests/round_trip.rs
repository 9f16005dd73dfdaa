//! Writing a history and reading it back gives the same history, in both
//! formats we write; and the EDN reader reads what Jepsen writes.

use histories::format::{self, Format};
use histories::{Function, History, Op, OpType, Process, Value};

fn op(kind: OpType, process: Process, f: Function, value: Value) -> Op {
    Op {
        index: 0,
        time_ns: 0,
        kind,
        process,
        f,
        key: None,
        value,
        error: None,
        node: None,
    }
}

/// A history with every shape the writers must keep: nemesis records,
/// string and integer keys, nil, booleans, keywords (namespaced too),
/// nested lists, awkward strings, errors as keywords and as free text,
/// functions that are not keywords.
fn sample() -> History {
    let c = Process::Client;
    let kw = |name: &str| Value::Keyword(name.to_string());
    let list = Value::List;
    let mut ops = vec![
        op(OpType::Invoke, c(0), Function::Read, Value::Nil),
        op(
            OpType::Invoke,
            c(1),
            Function::Cas,
            list(vec![1.into(), 2.into()]),
        ),
        Op {
            key: Some(Value::str("k\"ey")),
            ..op(
                OpType::Invoke,
                c(2),
                Function::Put,
                Value::str("x 0 0 y\n\ttab\\"),
            )
        },
        op(
            OpType::Info,
            Process::Nemesis,
            Function::Other("start-partition".into()),
            kw("majority"),
        ),
        Op {
            key: Some(Value::Int(-7)),
            ..op(
                OpType::Invoke,
                c(3),
                Function::Append,
                Value::str("é😀\u{1}"),
            )
        },
        Op {
            node: Some(2),
            ..op(OpType::Ok, c(0), Function::Read, Value::Nil)
        },
        Op {
            error: Some("timed-out".into()),
            ..op(OpType::Info, c(1), Function::Cas, Value::Nil)
        },
        Op {
            key: Some(Value::str("k\"ey")),
            error: Some("precondition failed: [1 2]".into()),
            ..op(OpType::Fail, c(2), Function::Put, Value::str(""))
        },
        op(
            OpType::Info,
            Process::Nemesis,
            Function::Other("stop partition".into()),
            Value::Nil,
        ),
        Op {
            key: Some(Value::Int(-7)),
            ..op(
                OpType::Ok,
                c(3),
                Function::Append,
                list(vec![
                    kw("jepsen/ok"),
                    Value::Bool(false),
                    list(vec![Value::Nil, list(vec![])]),
                ]),
            )
        },
        op(
            OpType::Invoke,
            c(u64::MAX),
            Function::Write,
            Value::Int(i64::MIN),
        ),
    ];
    for (i, op) in ops.iter_mut().enumerate() {
        op.index = i as u64;
        op.time_ns = i as u64 * 1_000_017;
    }
    History::new(ops)
}

#[test]
fn jsonl_round_trips() {
    let history = sample();
    let mut out = Vec::new();
    format::write_jsonl(&history, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), history.len());
    let parsed = format::parse(&text, "h.jsonl", Format::Jsonl).unwrap();
    assert_eq!(parsed.history, history);
    assert_eq!(format::detect("out", &text), Format::Jsonl);
}

#[test]
fn edn_round_trips() {
    let history = sample();
    let mut out = Vec::new();
    format::write_edn(&history, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), history.len());
    let parsed = format::parse(&text, "h.edn", Format::Edn).unwrap();
    assert_eq!(parsed.history, history);
    // One map per line, so record i starts at line i + 1, column 1.
    for (i, position) in parsed.positions.iter().enumerate() {
        assert_eq!((position.line, position.col), (i as u32 + 1, 1));
    }
    assert_eq!(format::detect("history", &text), Format::Edn);
}

#[test]
fn edn_writer_uses_jepsen_layout() {
    let history = sample();
    let mut out = Vec::new();
    format::write_edn(&history, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1],
        "{:index 1, :time 1000017, :type :invoke, :process 1, :f :cas, :value [1 2]}"
    );
    assert_eq!(
        lines[6],
        "{:index 6, :time 6000102, :type :info, :process 1, :f :cas, :value nil, :error :timed-out}"
    );
    assert_eq!(
        lines[8],
        "{:index 8, :time 8000136, :type :info, :process :nemesis, :f \"stop partition\", :value nil}"
    );
    assert!(
        lines[7].ends_with(":error \"precondition failed: [1 2]\"}"),
        "{}",
        lines[7]
    );
}

#[test]
fn edn_writer_refuses_keywords_edn_cannot_spell() {
    let mut history = sample();
    history.ops[0].value = Value::Keyword("two words".into());
    let err = format::write_edn(&history, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("record #0"), "{err}");
}

#[test]
fn empty_histories_round_trip_to_empty_files() {
    for format in [Format::Jsonl, Format::Edn] {
        let mut out = Vec::new();
        match format {
            Format::Jsonl => format::write_jsonl(&History::default(), &mut out).unwrap(),
            _ => format::write_edn(&History::default(), &mut out).unwrap(),
        }
        assert!(out.is_empty());
        // An empty file is an empty history, in every format.
        for format in Format::ALL {
            let parsed = format::parse("", "empty", format).unwrap();
            assert!(parsed.history.is_empty() && parsed.positions.is_empty());
        }
    }
}

/// A Jepsen-style history.edn: a top-level vector spanning lines, keys in
/// any order, tagged records, unknown keys holding any EDN (floats, maps,
/// sets, symbols), comments, namespaced keywords, maps as errors.
#[test]
fn edn_reader_reads_jepsen_histories() {
    let text = r#"; a Jepsen history
[{:type :invoke, :f :write, :value 3, :process 0, :time 10, :index 0}
 #jepsen.history.Op{:index 1, :time 25, :type :invoke, :process 1, :f :read, :value nil
                    :extra {:float 1.5, :set #{a b}, :sym foo, "str-key" [1 2.0]}}
 {:index 2 :time 30 :type :ok :process 1 :f :read :value 3, :jepsen/node "n1"}
 {:index 3, :time 40, :type :info, :process :nemesis, :f :start, :value [:isolate #{"n1"}]}
 {:index 4, :time 50, :type :info, :process 0, :f :write, :value 3,
  :error {:cause :timeout, :after-ms 1.5}}
 #_{:index 99 :this :is-discarded}
]
"#;
    let parsed = format::parse(text, "history.edn", Format::Edn).unwrap();
    let ops = &parsed.history.ops;
    assert_eq!(ops.len(), 5);
    assert_eq!(
        (ops[0].kind, ops[0].process, ops[0].time_ns),
        (OpType::Invoke, Process::Client(0), 10)
    );
    assert_eq!(ops[2].value, Value::Int(3));
    assert_eq!(ops[3].process, Process::Nemesis);
    assert_eq!(
        ops[3].value,
        Value::List(vec![
            Value::Keyword("isolate".into()),
            Value::List(vec![Value::str("n1")])
        ])
    );
    assert_eq!(
        ops[4].error.as_deref(),
        Some("{:cause :timeout, :after-ms 1.5}")
    );
    let lines: Vec<u32> = parsed.positions.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7]);
    assert_eq!((parsed.positions[1].col, parsed.positions[2].col), (2, 2));
    let operations = parsed.operations().unwrap();
    assert_eq!(operations.len(), 2);
}

#[test]
fn independent_tuples_split_on_request() {
    let text = "\
{:index 0, :type :invoke, :process 0, :f :cas, :value [7 [1 2]]}
{:index 1, :type :invoke, :process 1, :f :read, :value [8 nil]}
{:index 2, :type :fail, :process 0, :f :cas, :value [7 [1 2]]}
{:index 3, :type :info, :process 1, :f :read, :value nil, :error :timeout}
";
    let mut parsed = format::parse(text, "independent.edn", Format::Edn).unwrap();
    // As read, the tuple is the value.
    assert_eq!(parsed.history.ops[0].key, None);
    assert_eq!(format::split_independent(&mut parsed.history), 3);
    let operations = parsed.operations().unwrap();
    assert_eq!(operations[0].key, Some(Value::Int(7)));
    assert_eq!(
        operations[0].input,
        Value::List(vec![Value::Int(1), Value::Int(2)])
    );
    // The info completion carried no tuple; the key comes from the invoke.
    assert_eq!(
        (operations[1].key.clone(), operations[1].input.clone()),
        (Some(Value::Int(8)), Value::Nil)
    );
}
