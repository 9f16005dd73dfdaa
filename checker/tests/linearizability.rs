//! The linearizability checker on hand-built histories: the meaning of
//! `info` and `fail`, counterexamples, budgets, keys and threads.

use checker::linearizability::{
    check_history, check_operations, Budget, CheckError, ModelKind, ModelSpec, Options, Report,
};
use checker::Validity;
use histories::format::Format;
use histories::{Function, History, Op, OpType, Operation, Process, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Writes histories record by record: `invoke` opens an operation of a
/// process, the completions close it with the same function and key.
#[derive(Default)]
struct Script {
    ops: Vec<Op>,
    open: BTreeMap<u64, (Function, Option<Value>)>,
}

impl Script {
    fn new() -> Script {
        Script::default()
    }

    fn record(
        &mut self,
        kind: OpType,
        process: u64,
        f: Function,
        key: Option<Value>,
        value: Value,
        error: Option<&str>,
    ) {
        let index = self.ops.len() as u64;
        self.ops.push(Op {
            index,
            time_ns: index,
            kind,
            process: Process::Client(process),
            f,
            key,
            value,
            error: error.map(str::to_string),
            node: None,
        });
    }

    fn invoke(mut self, process: u64, f: &str, value: impl Into<Value>) -> Script {
        self.invoke_key(process, f, None, value.into());
        self
    }

    fn invoke_on(mut self, process: u64, key: &str, f: &str, value: impl Into<Value>) -> Script {
        self.invoke_key(process, f, Some(Value::str(key)), value.into());
        self
    }

    fn invoke_key(&mut self, process: u64, f: &str, key: Option<Value>, value: Value) {
        let f = Function::parse(f);
        self.open.insert(process, (f.clone(), key.clone()));
        self.record(OpType::Invoke, process, f, key, value, None);
    }

    fn complete(mut self, kind: OpType, process: u64, value: Value, error: Option<&str>) -> Script {
        let (f, key) = self.open.remove(&process).expect("an open invoke");
        self.record(kind, process, f, key, value, error);
        self
    }

    fn ok(self, process: u64, value: impl Into<Value>) -> Script {
        self.complete(OpType::Ok, process, value.into(), None)
    }

    fn fail(self, process: u64, error: &str) -> Script {
        self.complete(OpType::Fail, process, Value::Nil, Some(error))
    }

    fn info(self, process: u64) -> Script {
        self.complete(OpType::Info, process, Value::Nil, Some("timed-out"))
    }

    fn history(&self) -> History {
        History::new(self.ops.clone())
    }

    fn check(&self, kind: ModelKind) -> Report {
        self.check_with(Options::new(ModelSpec::new(kind)))
    }

    fn check_with(&self, options: Options) -> Report {
        check_history(&self.history(), &options).expect("a checkable history")
    }
}

fn nil() -> Value {
    Value::Nil
}

fn cas(expected: i64, new: i64) -> Value {
    Value::List(vec![Value::Int(expected), Value::Int(new)])
}

/// The verdict of each history, table-driven.
#[test]
fn verdicts_of_small_histories() {
    use ModelKind::*;
    use Validity::*;
    let cases: Vec<(&str, ModelKind, Script, Validity)> = vec![
        ("empty history", Register, Script::new(), Valid),
        (
            "sequential write then read",
            Register,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(1, "read", nil())
                .ok(1, 1),
            Valid,
        ),
        (
            "stale read after a completed write",
            Register,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "read", nil())
                .ok(2, 0),
            Invalid,
        ),
        (
            "concurrent read may see either value",
            Register,
            Script::new()
                .invoke(1, "write", 1)
                .invoke(2, "read", nil())
                .ok(2, 1)
                .ok(1, 1),
            Valid,
        ),
        (
            "a read of nil is unknown in Knossos' register",
            Register,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "read", nil())
                .ok(2, nil()),
            Valid,
        ),
        (
            "a read of nil means absent in etcd's register",
            EtcdRegister,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "read", nil())
                .ok(2, nil()),
            Invalid,
        ),
        (
            "a failed write did not happen",
            Register,
            Script::new()
                .invoke(1, "write", 5)
                .fail(1, "refused")
                .invoke(2, "read", nil())
                .ok(2, 5),
            Invalid,
        ),
        (
            "an info write may have happened",
            Register,
            Script::new()
                .invoke(1, "write", 5)
                .info(1)
                .invoke(2, "read", nil())
                .ok(2, 5),
            Valid,
        ),
        (
            "an info write may not have happened",
            EtcdRegister,
            Script::new()
                .invoke(1, "write", 5)
                .info(1)
                .invoke(2, "read", nil())
                .ok(2, nil()),
            Valid,
        ),
        (
            "an info write happens at most once",
            EtcdRegister,
            Script::new()
                .invoke(1, "write", 5)
                .info(1)
                .invoke(2, "read", nil())
                .ok(2, 5)
                .invoke(2, "write", 6)
                .ok(2, 6)
                .invoke(2, "read", nil())
                .ok(2, 5),
            Invalid,
        ),
        (
            "an info write cannot take effect before its invoke",
            Register,
            Script::new()
                .invoke(2, "read", nil())
                .ok(2, 5)
                .invoke(1, "write", 5)
                .info(1),
            Invalid,
        ),
        (
            "an invoke that never completes counts as info",
            Register,
            Script::new()
                .invoke(1, "write", 5)
                .invoke(2, "read", nil())
                .ok(2, 5),
            Valid,
        ),
        (
            "an info op may take effect long after its process gave up",
            Register,
            Script::new()
                .invoke(1, "write", 5)
                .info(1)
                .invoke(2, "write", 6)
                .ok(2, 6)
                .invoke(2, "read", nil())
                .ok(2, 6)
                .invoke(2, "read", nil())
                .ok(2, 5),
            Valid,
        ),
        (
            "an info cas that would fail is simply not applied",
            CasRegister,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "cas", cas(7, 8))
                .info(2)
                .invoke(1, "read", nil())
                .ok(1, 1),
            Valid,
        ),
        (
            "a failed cas did not happen in the cas-register",
            CasRegister,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "cas", cas(1, 2))
                .fail(2, "whatever")
                .invoke(1, "read", nil())
                .ok(1, 1),
            Valid,
        ),
        (
            "a failed cas asserts inequality in etcd's register",
            EtcdRegister,
            Script::new()
                .invoke(1, "write", 1)
                .ok(1, 1)
                .invoke(2, "cas", cas(1, 2))
                .fail(2, "compare-failed"),
            Invalid,
        ),
        (
            "kv: precondition-failed asserts inequality",
            Kv,
            Script::new()
                .invoke_on(1, "a", "put", "x")
                .ok(1, nil())
                .invoke_on(
                    2,
                    "a",
                    "cas",
                    Value::List(vec![Value::str("x"), Value::str("y")]),
                )
                .fail(2, "precondition-failed"),
            Invalid,
        ),
        (
            "kv: other cas failures did not happen",
            Kv,
            Script::new()
                .invoke_on(1, "a", "put", "x")
                .ok(1, nil())
                .invoke_on(
                    2,
                    "a",
                    "cas",
                    Value::List(vec![Value::str("x"), Value::str("y")]),
                )
                .fail(2, "not-leader")
                .invoke_on(1, "a", "get", nil())
                .ok(1, "x"),
            Valid,
        ),
        (
            "kv: appends concatenate in linearization order",
            Kv,
            Script::new()
                .invoke_on(1, "a", "append", "x")
                .invoke_on(2, "a", "append", "y")
                .ok(1, nil())
                .ok(2, nil())
                .invoke_on(1, "a", "get", nil())
                .ok(1, "yx"),
            Valid,
        ),
        (
            "kv: a get cannot see an append twice",
            Kv,
            Script::new()
                .invoke_on(1, "a", "append", "x")
                .ok(1, nil())
                .invoke_on(1, "a", "get", nil())
                .ok(1, "xx"),
            Invalid,
        ),
        (
            "kv: keys are independent registers",
            Kv,
            Script::new()
                .invoke_on(1, "a", "put", "1")
                .ok(1, nil())
                .invoke_on(1, "b", "get", nil())
                .ok(1, nil())
                .invoke_on(1, "a", "get", nil())
                .ok(1, "1"),
            Valid,
        ),
    ];
    for (name, kind, script, expected) in cases {
        let report = script.check(kind);
        assert_eq!(report.validity, expected, "{name}:\n{report}");
        assert_eq!(
            report.counterexample().is_some(),
            expected == Invalid,
            "{name}: a counterexample exactly when invalid"
        );
    }
}

#[test]
fn initial_value_is_a_parameter() {
    let script = Script::new().invoke_on(1, "k", "get", nil()).ok(1, "");
    let absent = script.check(ModelKind::Kv);
    assert_eq!(absent.validity, Validity::Invalid);
    let empty = script.check_with(Options::new(
        ModelSpec::new(ModelKind::Kv).with_init(Value::str("")),
    ));
    assert_eq!(empty.validity, Validity::Valid);
}

#[test]
fn counterexample_names_the_op_the_prefix_and_the_states() {
    // write 1; write 2 ‖ read 1 (concurrent, fine); then read 3: nobody
    // wrote 3, so the last read is the first op that cannot be linearized.
    let report = Script::new()
        .invoke(1, "write", 1)
        .ok(1, nil())
        .invoke(1, "write", 2)
        .invoke(2, "read", nil())
        .ok(2, 1)
        .ok(1, nil())
        .invoke(2, "read", nil())
        .ok(2, 3)
        .check(ModelKind::Register);
    assert_eq!(report.validity, Validity::Invalid);
    let counterexample = report.counterexample().expect("invalid");
    assert_eq!(counterexample.key, None);
    assert_eq!(counterexample.failed_op.id, 3);
    assert_eq!(counterexample.failed_op.output, Value::Int(3));
    let prefix: Vec<usize> = counterexample.prefix.iter().map(|op| op.id).collect();
    assert_eq!(prefix, vec![0, 2, 1], "write 1, read 1, write 2");
    assert_eq!(counterexample.states, vec![Value::Int(2)]);
    let text = counterexample.to_string();
    assert!(
        text.contains("first operation that cannot be linearized"),
        "{text}"
    );
    assert!(text.contains("p2 read → 3  [op 3, records"), "{text}");
    assert!(text.contains("possible states at that point: 2"), "{text}");
    let json = serde_json::to_string(&report).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn counterexample_when_the_very_first_op_fails() {
    let report = Script::new()
        .invoke(1, "read", nil())
        .ok(1, 4)
        .invoke(1, "write", 4)
        .ok(1, nil())
        .check(ModelKind::EtcdRegister);
    let counterexample = report.counterexample().expect("invalid");
    assert_eq!(counterexample.failed_op.id, 0);
    assert!(counterexample.prefix.is_empty());
    assert_eq!(
        counterexample.states,
        vec![Value::Nil],
        "only the initial state"
    );
    assert!(counterexample
        .to_string()
        .contains("cannot be linearized even first"));
}

#[test]
fn counterexample_lists_every_state_reached_at_the_frontier() {
    // Two concurrent writes, then a read of a value neither wrote: either
    // write may be the last, so both values are possible states.
    let report = Script::new()
        .invoke(1, "write", 1)
        .invoke(2, "write", 2)
        .ok(1, nil())
        .ok(2, nil())
        .invoke(1, "read", nil())
        .ok(1, 9)
        .check(ModelKind::Register);
    let counterexample = report.counterexample().expect("invalid");
    assert_eq!(counterexample.failed_op.id, 2);
    assert_eq!(counterexample.prefix.len(), 2);
    assert_eq!(counterexample.states, vec![Value::Int(1), Value::Int(2)]);
}

/// A history whose search needs many memo entries: `n` concurrent writes
/// of distinct values, then a read of a value nobody wrote.
fn wide_history(n: u64) -> Script {
    let mut script = Script::new();
    for p in 0..n {
        script = script.invoke(p, "write", p as i64);
    }
    for p in 0..n {
        script = script.ok(p, nil());
    }
    script.invoke(n, "read", nil()).ok(n, 1000)
}

#[test]
fn budgets_turn_long_searches_into_unknown() {
    // Order inference would see at once that nobody wrote the value read:
    // this test is about the search's budget, so it is left to the search.
    let script = wide_history(10);
    let search_only = Options::new(ModelSpec::new(ModelKind::Register)).with_order_inference(false);
    let unlimited = script.check_with(search_only.clone());
    assert_eq!(unlimited.validity, Validity::Invalid);
    assert!(
        unlimited.stats.memo_entries > 100,
        "{}",
        unlimited.stats.memo_entries
    );

    let options = |budget: Budget| search_only.clone().with_budget(budget);
    let by_states = script.check_with(options(Budget {
        max_states: Some(50),
        ..Budget::unlimited()
    }));
    assert_eq!(by_states.validity, Validity::Unknown);
    assert_eq!(
        by_states.unknown_cause.as_deref(),
        Some("state limit of 50 memo entries reached on key nil")
    );
    assert!(by_states.counterexample().is_none());

    let by_bytes = script.check_with(options(Budget {
        max_memo_bytes: Some(8 << 10),
        ..Budget::unlimited()
    }));
    assert_eq!(by_bytes.validity, Validity::Unknown);
    let cause = by_bytes.unknown_cause.unwrap();
    assert!(
        cause.starts_with("memory limit of 8192 bytes of memo"),
        "{cause}"
    );

    let by_time = script.check_with(options(Budget {
        max_time: Some(Duration::ZERO),
        ..Budget::unlimited()
    }));
    assert_eq!(by_time.validity, Validity::Unknown);
    assert_eq!(
        by_time.unknown_cause.as_deref(),
        Some("time limit 0ns reached on key nil")
    );

    let roomy = script.check_with(options(Budget {
        max_states: Some(unlimited.stats.memo_entries),
        ..Budget::default()
    }));
    assert_eq!(
        roomy.validity,
        Validity::Invalid,
        "a limit that suffices changes nothing"
    );
}

#[test]
fn timed_out_writes_nobody_saw_do_not_exhaust_the_budget() {
    // A real campaign history (see testdata/raftstorm/README.md): on its
    // own, the search runs out of 512 MiB of memo on it.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/raftstorm/one-key-12-clients.jsonl"
    );
    let parsed = histories::format::read_path(std::path::Path::new(path), Some(Format::Jsonl))
        .expect("the fixture parses");
    let options = Options::new(ModelSpec::new(ModelKind::Kv).with_init(Value::str("")))
        .with_budget(Budget {
            max_states: Some(200_000),
            ..Budget::unlimited()
        });
    let report = check_history(&parsed.history, &options).expect("checkable");
    assert_eq!(report.validity, Validity::Valid, "{report}");
    assert!(
        report.keys.iter().all(|key| key.inferred),
        "order inference decides it"
    );
    let search_only =
        check_history(&parsed.history, &options.with_order_inference(false)).expect("checkable");
    assert_eq!(search_only.validity, Validity::Valid, "{search_only}");
}

#[test]
fn a_timed_out_write_that_only_a_failed_cas_implies_is_still_found() {
    // etcd's failed cas asserts the value differed: only the timed-out
    // write of 7, which no read saw, can explain it.
    let script = Script::new()
        .invoke(0, "write", 0)
        .ok(0, nil())
        .invoke(1, "write", 7)
        .invoke(2, "cas", cas(0, 1))
        .fail(2, "precondition")
        .info(1);
    assert_eq!(
        script.check(ModelKind::EtcdRegister).validity,
        Validity::Valid
    );
    // Without the timed-out write the same failure is impossible.
    let without = Script::new()
        .invoke(0, "write", 0)
        .ok(0, nil())
        .invoke(2, "cas", cas(0, 1))
        .fail(2, "precondition");
    assert_eq!(
        without.check(ModelKind::EtcdRegister).validity,
        Validity::Invalid
    );
}

#[test]
fn invalid_beats_unknown_beats_valid_across_keys() {
    // Key "a" is invalid, "b" needs a big search, "c" is fine.
    let mut script = Script::new()
        .invoke_on(0, "a", "put", "1")
        .ok(0, nil())
        .invoke_on(0, "a", "get", nil())
        .ok(0, "2");
    for p in 1..=8 {
        script = script.invoke_on(p, "b", "put", format!("{p}"));
    }
    for p in 1..=8 {
        script = script.ok(p, nil());
    }
    script = script
        .invoke_on(0, "b", "get", nil())
        .ok(0, "x")
        .invoke_on(0, "c", "get", nil())
        .ok(0, nil());
    let budget = Budget {
        max_states: Some(20),
        ..Budget::default()
    };
    // Order inference decides key "b" at once; the search alone runs out.
    let options = Options::new(ModelSpec::new(ModelKind::Kv))
        .with_budget(budget)
        .with_order_inference(false);
    let report = script.check_with(options.clone());
    let verdicts: Vec<(String, Validity)> = report
        .keys
        .iter()
        .map(|key| (key.key.as_ref().unwrap().to_string(), key.validity))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("\"a\"".to_string(), Validity::Invalid),
            ("\"b\"".to_string(), Validity::Unknown),
            ("\"c\"".to_string(), Validity::Valid),
        ]
    );
    assert_eq!(report.validity, Validity::Invalid);
    assert_eq!(report.counterexample().unwrap().key, Some(Value::str("a")));
    assert!(report
        .unknown_cause
        .as_deref()
        .unwrap()
        .ends_with("on key b"));

    let without_a: Vec<Op> = script
        .ops
        .iter()
        .filter(|op| op.key != Some(Value::str("a")))
        .cloned()
        .collect();
    let renumbered = History::new(
        without_a
            .into_iter()
            .enumerate()
            .map(|(i, op)| Op {
                index: i as u64,
                ..op
            })
            .collect(),
    );
    let report = check_history(&renumbered, &options).unwrap();
    assert_eq!(report.validity, Validity::Unknown);
    assert_eq!(report.stats.keys, 2);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    // Six keys, 1,200 operations: big enough that the checker uses threads.
    // Each round, four processes append to a key, then one reads it; on
    // key k3 the last read is wrong, on k5 one in the middle is.
    let mut script = Script::new();
    for key in 0..6 {
        let key = format!("k{key}");
        let mut value = String::new();
        for round in 0..40 {
            for p in 0..4u64 {
                script = script.invoke_on(p, &key, "append", format!("{p}"));
            }
            for p in (0..4u64).rev() {
                script = script.ok(p, nil());
            }
            value.push_str("3210");
            let wrong = (key == "k3" && round == 39) || (key == "k5" && round == 20);
            let seen = if wrong {
                format!("{value}x")
            } else {
                value.clone()
            };
            script = script.invoke_on(9, &key, "get", nil()).ok(9, seen);
        }
    }
    assert_eq!(script.history().operations().unwrap().len(), 1200);
    let run = |threads: usize| {
        let mut report =
            script.check_with(Options::new(ModelSpec::new(ModelKind::Kv)).with_threads(threads));
        report.stats.elapsed_ns = 0;
        report
    };
    let sequential = run(1);
    assert_eq!(sequential.validity, Validity::Invalid);
    let invalid: Vec<String> = sequential
        .failed_keys()
        .map(|key| key.key.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(invalid, ["\"k3\"", "\"k5\""]);
    assert_eq!(
        sequential.counterexample().unwrap().key,
        Some(Value::str("k3"))
    );
    for threads in [0, 2, 3, 8] {
        assert_eq!(run(threads), sequential, "threads = {threads}");
    }
}

#[test]
fn operations_the_model_cannot_check_are_errors_with_positions() {
    let script = Script::new()
        .invoke(1, "write", 1)
        .ok(1, nil())
        .invoke(1, "get", nil())
        .ok(1, 1);
    let err = check_history(
        &script.history(),
        &Options::new(ModelSpec::new(ModelKind::Register)),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "record #2 (operation 1): the register model has no function :get; it knows read and write"
    );
    let broken = History::new(vec![Op {
        index: 0,
        time_ns: 0,
        kind: OpType::Ok,
        process: Process::Client(1),
        f: Function::Read,
        key: None,
        value: Value::Nil,
        error: None,
        node: None,
    }]);
    let err =
        check_history(&broken, &Options::new(ModelSpec::new(ModelKind::Register))).unwrap_err();
    assert!(matches!(err, CheckError::Pair(_)), "{err}");
}

#[test]
fn hand_built_operations_with_impossible_positions_are_errors() {
    let op = Operation {
        id: 7,
        process: 1,
        f: Function::Write,
        key: None,
        input: Value::Int(1),
        output: Value::Nil,
        outcome: histories::Outcome::Ok,
        error: None,
        invoke_index: 10,
        complete_index: Some(4),
        invoke_time_ns: 0,
        complete_time_ns: None,
    };
    let options = Options::new(ModelSpec::new(ModelKind::Register));
    let err = check_operations(std::slice::from_ref(&op), &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record #10 (operation 7): completes at record #4, before its invoke"
    );
    let unbounded = Operation {
        complete_index: None,
        ..op
    };
    let err = check_operations(&[unbounded], &options).unwrap_err();
    assert!(
        err.message.contains("needs the position of its completion"),
        "{err}"
    );
}

#[test]
fn report_text_summarises_and_explains() {
    let report = Script::new()
        .invoke_on(1, "x", "put", "1")
        .ok(1, nil())
        .invoke_on(1, "x", "get", nil())
        .ok(1, "2")
        .check(ModelKind::Kv);
    let text = report.to_string();
    assert!(
        text.starts_with("linearizability (kv model): invalid - 1 keys, 2 operations"),
        "{text}"
    );
    assert!(text.contains("  key x: invalid\n"), "{text}");
    assert!(text.contains("key x is not linearizable."), "{text}");
    assert!(
        text.contains("possible states at that point: \"1\""),
        "{text}"
    );
}

/// `n` appends of "a0".."a{n-1}" by processes 0..n, all concurrent.
fn concurrent_appends(mut script: Script, key: &str, n: u64) -> Script {
    for p in 0..n {
        script = script.invoke_on(p, key, "append", format!("a{p}"));
    }
    for p in 0..n {
        script = script.ok(p, nil());
    }
    script
}

#[test]
fn appends_overwritten_unseen_are_not_told_apart() {
    // Eight concurrent appends and a put; a later read sees the put's value
    // and a suffix nobody appended. Every order of the appends before the
    // put gives another string, but no read can see any of them: the search
    // must not try them one by one (8! orders) to find that out.
    let mut script = Script::new().invoke_on(99, "k", "put", "P");
    script = concurrent_appends(script, "k", 8).ok(99, nil());
    let report = script
        .invoke_on(100, "k", "get", nil())
        .ok(100, "Pzz")
        .check(ModelKind::Kv);
    assert_eq!(report.validity, Validity::Invalid);
    let key = &report.keys[0];
    assert!(
        key.memo_entries < 1_000,
        "{} memo entries",
        key.memo_entries
    );
    let counterexample = report.counterexample().unwrap();
    assert_eq!(counterexample.failed_op.output, Value::str("Pzz"));
    assert_eq!(counterexample.prefix.len(), 9, "all appends and the put");
    // At the failing read, any subset of the appends may follow the put, in
    // any order: 109,601 strings, too many to list; some are.
    assert!(!counterexample.all_states);
    assert!(!counterexample.states.is_empty());
    assert!(counterexample
        .states
        .iter()
        .all(|state| state.as_str().unwrap().starts_with('P')));
    assert!(counterexample
        .to_string()
        .contains("some of the possible states"));
}

#[test]
fn reads_cut_off_orders_of_appends_they_cannot_see() {
    // Eight concurrent appends, a read that fixes their order, then a read
    // of a value nobody wrote. Without looking ahead to the first read, the
    // search would try all 8! orders of the appends.
    let script = concurrent_appends(Script::new(), "k", 8);
    let in_order: String = (0..8).map(|p| format!("a{p}")).collect();
    let report = script
        .invoke_on(100, "k", "get", nil())
        .ok(100, in_order.as_str())
        .invoke_on(100, "k", "get", nil())
        .ok(100, "nobody wrote this")
        .check(ModelKind::Kv);
    assert_eq!(report.validity, Validity::Invalid);
    assert!(
        report.stats.memo_entries < 1_000,
        "{} memo entries",
        report.stats.memo_entries
    );
    let counterexample = report.counterexample().unwrap();
    assert_eq!(
        counterexample.failed_op.output,
        Value::str("nobody wrote this")
    );
    let prefix: Vec<u64> = counterexample.prefix.iter().map(|op| op.process).collect();
    assert_eq!(
        prefix,
        vec![0, 1, 2, 3, 4, 5, 6, 7, 100],
        "the appends in the order the read saw"
    );
    assert_eq!(counterexample.states, vec![Value::str(in_order)]);
    assert!(counterexample.all_states);
}

#[test]
fn order_inference_explains_each_contradiction() {
    // (name, model, history, id of the first operation that cannot be
    // linearized, words the contradiction must contain).
    let s = Value::str;
    #[rustfmt::skip]
    let cases: Vec<(&str, ModelKind, Script, usize, &str)> = vec![
        ("stale read", ModelKind::Register,
            Script::new().invoke(1, "write", 17).ok(1, nil()).invoke(2, "write", 21).ok(2, nil())
                .invoke(3, "read", nil()).ok(3, 17),
            2, "must all come before"),
        ("read of a value never written", ModelKind::Kv,
            Script::new().invoke(1, "put", s("p1.")).ok(1, nil()).invoke(2, "get", nil()).ok(2, s("p9.")),
            1, "no sequence of this key's writes produces"),
        ("reordered appends", ModelKind::Kv,
            Script::new().invoke(1, "append", s("1,")).ok(1, nil()).invoke(2, "append", s("2,")).ok(2, nil())
                .invoke(3, "get", nil()).ok(3, s("2,1,")),
            2, "must follow"),
        ("an append seen twice", ModelKind::Kv,
            Script::new().invoke(1, "append", s("1,")).ok(1, nil()).invoke(2, "get", nil()).ok(2, s("1,1,")),
            1, "take effect twice"),
        ("reads that disagree on the order of appends", ModelKind::Kv,
            Script::new().invoke(1, "append", s("1,")).invoke(2, "append", s("2,"))
                .invoke(3, "get", nil()).invoke(4, "get", nil()).ok(3, s("1,2,")).ok(4, s("2,1,"))
                .ok(1, nil()).ok(2, nil()),
            3, "do not extend each other"),
        ("an info write observed before its invoke", ModelKind::EtcdRegister,
            Script::new().invoke(1, "read", nil()).ok(1, 5).invoke(2, "write", 5).info(2),
            0, "completed before that began"),
        ("two compare-and-sets of one value", ModelKind::CasRegister,
            Script::new().invoke(1, "write", 1).ok(1, nil()).invoke(1, "cas", cas(1, 2)).ok(1, nil())
                .invoke(2, "cas", cas(1, 3)).ok(2, nil()),
            2, "both replaced the same value"),
        ("appends seen after a cas replaced their value", ModelKind::Kv,
            Script::new().invoke(1, "put", s("p1.")).ok(1, nil())
                .invoke(1, "cas", Value::List(vec![s("p1."), s("p2.")])).ok(1, nil())
                .invoke(1, "append", s("1,")).ok(1, nil()).invoke(1, "get", nil()).ok(1, s("p1.1,")),
            3, "saw appends after the value"),
        ("a write lost before the initial value was read", ModelKind::Kv,
            Script::new().invoke(1, "append", s("1,")).ok(1, nil()).invoke(2, "get", nil()).ok(2, nil()),
            1, "precedes every write"),
    ];
    for (name, kind, script, failed, words) in cases {
        let report = script.check(kind);
        assert_eq!(report.validity, Validity::Invalid, "{name}: {report}");
        assert!(report.keys[0].inferred, "{name}: decided by inference");
        let counterexample = report.counterexample().unwrap();
        assert_eq!(counterexample.failed_op.id, failed, "{name}: {report}");
        let reason = counterexample.reason.as_deref().unwrap_or_default();
        assert!(reason.contains(words), "{name}: {reason}");
        assert!(report.to_string().contains("contradiction: "), "{name}");
        let search =
            script.check_with(Options::new(ModelSpec::new(kind)).with_order_inference(false));
        assert_eq!(
            search.validity,
            Validity::Invalid,
            "{name}: the search agrees"
        );
        assert_eq!(
            search.counterexample().unwrap().failed_op.id,
            failed,
            "{name}"
        );
    }
}
