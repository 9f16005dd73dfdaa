//! Differential tests: the checker against two independent judges on many
//! small random histories.
//!
//! - A brute-force checker written here from the models' definitions: it
//!   tries every order of the operations that respects real time (info
//!   operations optional), over the whole history at once (no split by key,
//!   no memo, no pruning).
//! - stateright's `LinearizabilityTester`, with a `SequentialSpec` per model,
//!   on single-key histories. Its in-flight operations (invoked, never
//!   returned) may or may not be linearized, which is our `info`.
//!
//! Each model gets `LIN_DIFF_CASES` histories (default 2000) from a seeded
//! generator; `cargo test -- --ignored` runs the long version (50,000 per
//! model). Histories come from a simulated register whose operations take
//! effect at random moments, so they are linearizable by construction, and
//! about two thirds of them then get one result corrupted so that both verdicts are
//! common.

use checker::linearizability::{check_operations, Counterexample, ModelKind, ModelSpec, Options};
use checker::Validity;
use histories::{Function, History, Op, OpType, Operation, Outcome, Process, Value};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_pcg::Pcg64;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// The models, written again from their definitions.
// ---------------------------------------------------------------------------

/// What an operation means, per the model definitions in the brief.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Skip,
    Required,
    Optional,
}

fn role(kind: ModelKind, op: &Operation) -> Role {
    let is_read = matches!(op.f, Function::Read | Function::Get);
    match op.outcome {
        Outcome::Ok => {
            let unknown_read = matches!(kind, ModelKind::Register | ModelKind::CasRegister)
                && is_read
                && op.output.is_nil();
            if unknown_read {
                Role::Skip
            } else {
                Role::Required
            }
        }
        Outcome::Info if is_read => Role::Skip,
        Outcome::Info => Role::Optional,
        Outcome::Fail => {
            let rejected_cas_happened = op.f == Function::Cas
                && match kind {
                    ModelKind::EtcdRegister => true,
                    ModelKind::Kv => op.error.as_deref() == Some("precondition-failed"),
                    _ => false,
                };
            if rejected_cas_happened {
                Role::Required
            } else {
                Role::Skip
            }
        }
    }
}

/// The register after `op` happens on `current`, or `None` if its result
/// contradicts `current`.
fn apply(op: &Operation, current: &Value) -> Option<Value> {
    match op.f {
        Function::Read | Function::Get => {
            (op.outcome != Outcome::Ok || &op.output == current).then(|| current.clone())
        }
        Function::Write | Function::Put => Some(op.input.clone()),
        Function::Append => {
            let Value::Str(suffix) = &op.input else {
                return None;
            };
            match current {
                Value::Nil => Some(op.input.clone()),
                Value::Str(s) => Some(Value::Str(format!("{s}{suffix}"))),
                _ => None,
            }
        }
        Function::Cas => {
            let (expected, new) = op.input.as_pair()?;
            match op.outcome {
                Outcome::Fail => (current != expected).then(|| current.clone()),
                _ => (current == expected).then(|| new.clone()),
            }
        }
        Function::Other(_) => None,
    }
}

// ---------------------------------------------------------------------------
// The brute-force judge.
// ---------------------------------------------------------------------------

/// True when some order of the operations respecting real time, with every
/// required operation and any subset of the optional ones, is legal.
fn brute_force(kind: ModelKind, init: &Value, ops: &[Operation]) -> bool {
    let relevant: Vec<(&Operation, bool)> = ops
        .iter()
        .filter_map(|op| match role(kind, op) {
            Role::Skip => None,
            Role::Required => Some((op, true)),
            Role::Optional => Some((op, false)),
        })
        .collect();
    linearizable(init, &relevant)
}

/// True when some order of `ops` (each with whether it is required)
/// respecting real time, with every required one and any subset of the
/// others, is legal.
fn linearizable(init: &Value, ops: &[(&Operation, bool)]) -> bool {
    let mut placed = vec![false; ops.len()];
    let mut registers: BTreeMap<Option<Value>, Value> = BTreeMap::new();
    search_orders(ops, &mut placed, &mut registers, init)
}

fn search_orders(
    ops: &[(&Operation, bool)],
    placed: &mut [bool],
    registers: &mut BTreeMap<Option<Value>, Value>,
    init: &Value,
) -> bool {
    let all_required_placed = ops
        .iter()
        .zip(placed.iter())
        .all(|((_, required), &done)| done || !required);
    if all_required_placed {
        return true;
    }
    for next in 0..ops.len() {
        if placed[next] || !may_go_next(ops, placed, next) {
            continue;
        }
        let op = ops[next].0;
        let current = registers.get(&op.key).unwrap_or(init).clone();
        let Some(after) = apply(op, &current) else {
            continue;
        };
        placed[next] = true;
        registers.insert(op.key.clone(), after);
        let found = search_orders(ops, placed, registers, init);
        registers.insert(op.key.clone(), current);
        placed[next] = false;
        if found {
            return true;
        }
    }
    false
}

/// `next` may be linearized now unless some unplaced required operation
/// completed before `next` was invoked.
fn may_go_next(ops: &[(&Operation, bool)], placed: &[bool], next: usize) -> bool {
    let invoked = ops[next].0.invoke_index;
    !ops.iter().zip(placed).any(|((op, required), &done)| {
        !done && *required && op.complete_index.is_some_and(|c| c < invoked)
    })
}

// ---------------------------------------------------------------------------
// stateright, with one spec for every model.
// ---------------------------------------------------------------------------

/// A register as stateright's `SequentialSpec`, with our models' results.
#[derive(Clone, Debug, PartialEq)]
struct Spec {
    value: Value,
}

/// What stateright sees of a completed operation.
#[derive(Clone, Debug, PartialEq)]
enum Ret {
    Read(Value),
    Done,
    CasOk,
    CasRejected,
}

impl SequentialSpec for Spec {
    type Op = (Function, Value);
    type Ret = Ret;

    fn invoke(&mut self, (f, input): &Self::Op) -> Ret {
        match f {
            Function::Read | Function::Get => Ret::Read(self.value.clone()),
            Function::Cas => {
                let (expected, new) = input.as_pair().unwrap();
                if &self.value == expected {
                    self.value = new.clone();
                    Ret::CasOk
                } else {
                    Ret::CasRejected
                }
            }
            _ => {
                let op = Operation {
                    f: f.clone(),
                    input: input.clone(),
                    ..placeholder()
                };
                // Appending to a non-string never happens in generated histories.
                self.value = apply(&op, &self.value).unwrap_or(Value::Nil);
                Ret::Done
            }
        }
    }
}

fn placeholder() -> Operation {
    Operation {
        id: 0,
        process: 0,
        f: Function::Write,
        key: None,
        input: Value::Nil,
        output: Value::Nil,
        outcome: Outcome::Ok,
        error: None,
        invoke_index: 0,
        complete_index: None,
        invoke_time_ns: 0,
        complete_time_ns: None,
    }
}

/// stateright's verdict on a single-key history: skipped operations are not
/// shown to it, optional ones stay in flight, required ones complete.
fn stateright_verdict(kind: ModelKind, init: &Value, ops: &[Operation]) -> bool {
    let mut events: Vec<(u64, bool, &Operation)> = Vec::new();
    for op in ops {
        match role(kind, op) {
            Role::Skip => {}
            Role::Optional => events.push((op.invoke_index, false, op)),
            Role::Required => {
                events.push((op.invoke_index, false, op));
                events.push((op.complete_index.unwrap(), true, op));
            }
        }
    }
    events.sort_by_key(|(position, _, _)| *position);
    let mut tester = LinearizabilityTester::new(Spec {
        value: init.clone(),
    });
    for (_, is_return, op) in events {
        if is_return {
            let ret = match (&op.f, op.outcome) {
                (Function::Read | Function::Get, _) => Ret::Read(op.output.clone()),
                (Function::Cas, Outcome::Fail) => Ret::CasRejected,
                (Function::Cas, _) => Ret::CasOk,
                _ => Ret::Done,
            };
            tester.on_return(op.process, ret).unwrap();
        } else {
            tester
                .on_invoke(op.process, (op.f.clone(), op.input.clone()))
                .unwrap();
        }
    }
    tester.is_consistent()
}

// ---------------------------------------------------------------------------
// The generator: a simulated register with random linearization points.
// ---------------------------------------------------------------------------

/// An operation in flight in the simulation.
#[derive(Clone, Debug)]
struct Flight {
    process: u64,
    f: Function,
    key: Option<Value>,
    input: Value,
    /// Set once the operation took effect: what it returned.
    result: Option<Ret>,
}

struct Generator {
    rng: Pcg64,
    kind: ModelKind,
    /// `Some(next)` when every written value is unique (the next one is
    /// numbered `next`): the histories order inference decides. A cas
    /// then expects the current value (or, one time in four, the initial
    /// one) and writes a fresh one.
    unique: Option<i64>,
}

impl Generator {
    fn functions(&self) -> &'static [Function] {
        match (self.kind, self.unique.is_some()) {
            (ModelKind::Kv, true) => {
                return &[
                    Function::Get,
                    Function::Put,
                    Function::Append,
                    Function::Cas,
                ]
            }
            (ModelKind::Register, true) => return &[Function::Read, Function::Write],
            _ => {}
        }
        match self.kind {
            ModelKind::Kv => &[
                Function::Get,
                Function::Put,
                Function::Append,
                Function::Cas,
            ],
            ModelKind::Register => &[Function::Read, Function::Write],
            ModelKind::CasRegister | ModelKind::EtcdRegister => {
                &[Function::Read, Function::Write, Function::Cas]
            }
        }
    }

    /// A value never used before, for puts (`p7.`), appends (`7,`) or
    /// register writes.
    fn fresh(&mut self, f: &Function) -> Value {
        let next = self.unique.expect("unique mode");
        self.unique = Some(next + 1);
        match (self.kind, f) {
            (ModelKind::Kv, Function::Append) => Value::Str(format!("{next},")),
            (ModelKind::Kv, _) => Value::Str(format!("p{next}.")),
            _ => Value::Int(next),
        }
    }

    fn value(&mut self) -> Value {
        match self.kind {
            ModelKind::Kv => Value::str(*["a", "b", "ax", "x"].choose(&mut self.rng).unwrap()),
            _ => Value::Int(self.rng.gen_range(0..3)),
        }
    }

    fn init(&mut self) -> Value {
        match self.kind {
            ModelKind::Kv if self.rng.gen_bool(0.5) => Value::str(""),
            ModelKind::Kv | ModelKind::EtcdRegister => Value::Nil,
            ModelKind::Register | ModelKind::CasRegister => Value::Int(0),
        }
    }

    fn input(&mut self, f: &Function) -> Value {
        if self.unique.is_some() && matches!(f, Function::Put | Function::Write | Function::Append)
        {
            return self.fresh(f);
        }
        match f {
            Function::Read | Function::Get => Value::Nil,
            Function::Append => Value::str(*["x", "y"].choose(&mut self.rng).unwrap()),
            Function::Cas => Value::List(vec![self.value(), self.value()]),
            _ => self.value(),
        }
    }

    /// A random history, its model's initial value, and whether it was
    /// corrupted.
    fn history(&mut self, keys: usize) -> (History, Value) {
        let init = self.init();
        let processes = self.rng.gen_range(2..=4u64);
        let total_ops = self.rng.gen_range(1..=8);
        let mut truth: BTreeMap<Option<Value>, Value> = BTreeMap::new();
        let mut records: Vec<Op> = Vec::new();
        let mut idle: Vec<u64> = (0..processes).collect();
        let mut next_process = processes;
        let mut flying: Vec<Flight> = Vec::new();
        let mut lost: Vec<Flight> = Vec::new();
        let mut issued = 0;
        loop {
            let mut choices = Vec::new();
            if issued < total_ops && !idle.is_empty() {
                choices.extend([0, 0]);
            }
            if flying.iter().any(|op| op.result.is_none()) {
                choices.extend([1, 1]);
            }
            if flying.iter().any(|op| op.result.is_some()) {
                choices.extend([2, 2, 2]);
            }
            if !flying.is_empty() {
                choices.push(3);
            }
            if !lost.is_empty() {
                choices.push(4);
            }
            let Some(&choice) = choices.choose(&mut self.rng) else {
                break;
            };
            match choice {
                0 => {
                    let process = idle.swap_remove(self.rng.gen_range(0..idle.len()));
                    let f = self.functions().choose(&mut self.rng).unwrap().clone();
                    let key = (keys > 1).then(|| Value::Int(self.rng.gen_range(0..keys as i64)));
                    let input = match (self.unique, &f) {
                        (Some(_), Function::Cas) => {
                            let current = truth.get(&key).unwrap_or(&init).clone();
                            let expected = match self.rng.gen_bool(0.25) {
                                true => init.clone(),
                                false => current,
                            };
                            Value::List(vec![expected, self.fresh(&Function::Put)])
                        }
                        _ => self.input(&f),
                    };
                    records.push(record(
                        records.len(),
                        OpType::Invoke,
                        process,
                        &f,
                        &key,
                        input.clone(),
                        None,
                    ));
                    flying.push(Flight {
                        process,
                        f,
                        key,
                        input,
                        result: None,
                    });
                    issued += 1;
                }
                1 => {
                    let pending: Vec<usize> = (0..flying.len())
                        .filter(|&i| flying[i].result.is_none())
                        .collect();
                    let i = *pending.choose(&mut self.rng).unwrap();
                    let result = take_effect(&mut truth, &init, &flying[i]);
                    flying[i].result = Some(result);
                }
                2 => {
                    let done: Vec<usize> = (0..flying.len())
                        .filter(|&i| flying[i].result.is_some())
                        .collect();
                    let op = flying.swap_remove(*done.choose(&mut self.rng).unwrap());
                    let (kind, value, error) = self.completion(&op);
                    records.push(record(
                        records.len(),
                        kind,
                        op.process,
                        &op.f,
                        &op.key,
                        value,
                        error,
                    ));
                    idle.push(op.process);
                }
                3 => {
                    // The client gives up: info (whether or not it took
                    // effect), or fail if it has not and failing is honest.
                    let op = flying.swap_remove(self.rng.gen_range(0..flying.len()));
                    let honest_fail = op.result.is_none()
                        && !(self.kind == ModelKind::EtcdRegister && op.f == Function::Cas);
                    if honest_fail && self.rng.gen_bool(0.4) {
                        records.push(record(
                            records.len(),
                            OpType::Fail,
                            op.process,
                            &op.f,
                            &op.key,
                            Value::Nil,
                            Some("unavailable"),
                        ));
                        idle.push(op.process);
                    } else {
                        records.push(record(
                            records.len(),
                            OpType::Info,
                            op.process,
                            &op.f,
                            &op.key,
                            Value::Nil,
                            Some("timed-out"),
                        ));
                        idle.push(next_process);
                        next_process += 1;
                        if op.result.is_none() {
                            lost.push(op);
                        }
                    }
                }
                _ => {
                    // A lost operation takes effect late, or is dropped.
                    let op = lost.swap_remove(self.rng.gen_range(0..lost.len()));
                    if self.rng.gen_bool(0.5) {
                        take_effect(&mut truth, &init, &op);
                    }
                }
            }
        }
        if self.rng.gen_bool(0.65) {
            match self.unique {
                Some(_) => self.plant(&mut records),
                None => self.corrupt(&mut records),
            }
        }
        (History::new(records), init)
    }

    /// The completion record of an operation that took effect.
    fn completion(&mut self, op: &Flight) -> (OpType, Value, Option<&'static str>) {
        match op.result.as_ref().unwrap() {
            Ret::Read(value) => (OpType::Ok, value.clone(), None),
            Ret::Done | Ret::CasOk => (OpType::Ok, op.input.clone(), None),
            Ret::CasRejected => match self.kind {
                ModelKind::EtcdRegister => (OpType::Fail, op.input.clone(), None),
                _ => (OpType::Fail, Value::Nil, Some("precondition-failed")),
            },
        }
    }

    /// Changes one completed result: a read's value, or a cas' outcome.
    fn corrupt(&mut self, records: &mut [Op]) {
        let candidates: Vec<usize> = (0..records.len())
            .filter(|&i| {
                let op = &records[i];
                op.kind != OpType::Invoke
                    && op.kind != OpType::Info
                    && (matches!(op.f, Function::Read | Function::Get) && op.kind == OpType::Ok
                        || op.f == Function::Cas && op.error.as_deref() != Some("unavailable"))
            })
            .collect();
        let Some(&i) = candidates.choose(&mut self.rng) else {
            return;
        };
        if records[i].f == Function::Cas {
            let op = &mut records[i];
            if op.kind == OpType::Ok {
                op.kind = OpType::Fail;
                op.error = (self.kind != ModelKind::EtcdRegister)
                    .then(|| "precondition-failed".to_string());
            } else {
                op.kind = OpType::Ok;
                op.error = None;
            }
        } else {
            // Another value than the one read (nil only where it means
            // "absent": in the Knossos registers it would mean "unknown").
            let nil_allowed = matches!(self.kind, ModelKind::Kv | ModelKind::EtcdRegister);
            loop {
                let value = if nil_allowed && self.rng.gen_bool(0.2) {
                    Value::Nil
                } else {
                    self.value()
                };
                if value != records[i].value {
                    records[i].value = value;
                    break;
                }
            }
        }
    }
}

impl Generator {
    /// Plants one anomaly in a unique-value history: a read returns
    /// another read's value (stale or from the future), loses one write
    /// from its string, sees two appends swapped, or sees a value never
    /// written; or a cas' outcome is flipped.
    fn plant(&mut self, records: &mut [Op]) {
        if self.rng.gen_bool(0.25) {
            return self.corrupt(records); // a cas outcome flipped, or a read's value
        }
        let reads: Vec<usize> = (0..records.len())
            .filter(|&i| {
                let op = &records[i];
                op.kind == OpType::Ok && matches!(op.f, Function::Read | Function::Get)
            })
            .collect();
        let Some(&i) = reads.choose(&mut self.rng) else {
            return;
        };
        let other = records[*reads.choose(&mut self.rng).unwrap()].value.clone();
        let tokens = match &records[i].value {
            Value::Str(text) => text
                .split_inclusive([',', '.'])
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let value = match self.rng.gen_range(0..4) {
            0 if other != records[i].value => other,
            1 if !tokens.is_empty() => {
                let mut tokens = tokens;
                tokens.remove(self.rng.gen_range(0..tokens.len()));
                Value::Str(tokens.concat())
            }
            2 if tokens.len() >= 2 => {
                let mut tokens = tokens;
                let at = self.rng.gen_range(0..tokens.len() - 1);
                tokens.swap(at, at + 1);
                Value::Str(tokens.concat())
            }
            _ => {
                let f = records[i].f.clone();
                let fresh = self.fresh(&Function::Append);
                match (self.kind, f) {
                    (ModelKind::Kv, _) => fresh,
                    _ => Value::Int(self.unique.unwrap() + 1000),
                }
            }
        };
        records[i].value = value;
    }
}

/// The operation takes effect on the simulated truth; returns its result.
fn take_effect(truth: &mut BTreeMap<Option<Value>, Value>, init: &Value, op: &Flight) -> Ret {
    let current = truth.get(&op.key).unwrap_or(init).clone();
    match op.f {
        Function::Read | Function::Get => Ret::Read(current),
        Function::Cas => {
            let (expected, new) = op.input.as_pair().unwrap();
            if &current == expected {
                truth.insert(op.key.clone(), new.clone());
                Ret::CasOk
            } else {
                Ret::CasRejected
            }
        }
        _ => {
            let probe = Operation {
                f: op.f.clone(),
                input: op.input.clone(),
                ..placeholder()
            };
            let after = apply(&probe, &current).expect("writes and appends always apply");
            truth.insert(op.key.clone(), after);
            Ret::Done
        }
    }
}

fn record(
    index: usize,
    kind: OpType,
    process: u64,
    f: &Function,
    key: &Option<Value>,
    value: Value,
    error: Option<&str>,
) -> Op {
    Op {
        index: index as u64,
        time_ns: index as u64,
        kind,
        process: Process::Client(process),
        f: f.clone(),
        key: key.clone(),
        value,
        error: error.map(str::to_string),
        node: None,
    }
}

// ---------------------------------------------------------------------------
// Counterexamples must be true statements about the history.
// ---------------------------------------------------------------------------

/// The prefix respects real time, replays legally to one of the reported
/// states, and contains every required operation of its key that completed
/// before the failed one; the failed operation is required and not in it.
fn assert_counterexample_holds(
    kind: ModelKind,
    init: &Value,
    ops: &[Operation],
    cx: &Counterexample,
) {
    let failed = &cx.failed_op;
    assert_eq!(role(kind, failed), Role::Required, "{cx}");
    assert!(cx.prefix.iter().all(|op| op.id != failed.id), "{cx}");
    let mut state = init.clone();
    for (i, op) in cx.prefix.iter().enumerate() {
        assert_eq!(op.key, cx.key, "{cx}");
        assert_ne!(role(kind, op), Role::Skip, "{cx}");
        for later in &cx.prefix[i + 1..] {
            let must_precede = later.complete_index.is_some_and(|c| c < op.invoke_index)
                && role(kind, later) == Role::Required;
            assert!(!must_precede, "prefix breaks real time: {cx}");
        }
        state = apply(op, &state).unwrap_or_else(|| panic!("prefix step {i} is illegal: {cx}"));
    }
    assert!(
        cx.states.contains(&state),
        "replayed state {state} not among the reported ones: {cx}"
    );
    let frontier = failed.complete_index.unwrap();
    for op in ops
        .iter()
        .filter(|op| op.key == cx.key && role(kind, op) == Role::Required)
    {
        if op.complete_index.unwrap() < frontier {
            assert!(
                cx.prefix.iter().any(|p| p.id == op.id),
                "op {} completed earlier but is missing: {cx}",
                op.id
            );
        }
    }
}

/// The failed operation is the first that cannot be linearized: no order
/// fits every operation that completed up to its completion, while one fits
/// every operation that completed before it. In such a cut, operations that
/// completed later are optional, with the results they eventually returned.
fn assert_first_failure(kind: ModelKind, init: &Value, ops: &[Operation], cx: &Counterexample) {
    let completion = cx.failed_op.complete_index.unwrap();
    let linearizable_through = |last: u64| {
        let cut: Vec<(&Operation, bool)> = ops
            .iter()
            .filter(|op| op.invoke_index <= last && op.key == cx.key)
            .filter_map(|op| match role(kind, op) {
                Role::Skip => None,
                Role::Optional => Some((op, false)),
                Role::Required => Some((op, op.complete_index.unwrap() <= last)),
            })
            .collect();
        linearizable(init, &cut)
    };
    assert!(
        linearizable_through(completion - 1),
        "the history cut before the failed op is linearizable: {cx}"
    );
    assert!(
        !linearizable_through(completion),
        "the history cut after the failed op is not: {cx}"
    );
}

// ---------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------

fn cases() -> usize {
    std::env::var("LIN_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

/// Runs `cases` random histories of `kind` through all three judges (and,
/// with `unique` values, through the search alone too, since the checker
/// then mostly decides by order inference).
fn differential(kind: ModelKind, seed: u64, cases: usize, unique: bool) {
    let mut generator = Generator {
        rng: Pcg64::new(
            0xcafe_f00d_d15e_a5e5 ^ seed as u128,
            0xa02b_dbf7_bb3c_0a7a_c28f_a64a_0c16_2e33,
        ),
        kind,
        unique: unique.then_some(1),
    };
    let mut inferred = 0;
    let mut verdicts = BTreeMap::new();
    let mut stateright_checked = 0;
    for case in 0..cases {
        let keys = if case % 2 == 0 {
            1
        } else {
            generator.rng.gen_range(1..=3)
        };
        let (history, init) = generator.history(keys);
        let ops = history.operations().expect("generated histories pair");
        let threads = 1 + case % 2;
        let options =
            Options::new(ModelSpec::new(kind).with_init(init.clone())).with_threads(threads);
        let report = check_operations(&ops, &options).expect("generated histories are checkable");
        let expected = brute_force(kind, &init, &ops);
        let context = || {
            format!(
                "{kind} case {case}, init {init}:\n{}\n{report}",
                show(&history)
            )
        };
        assert_eq!(
            report.validity,
            if expected {
                Validity::Valid
            } else {
                Validity::Invalid
            },
            "checker and brute force disagree on {}",
            context()
        );
        if report.keys.iter().any(|key| key.inferred) {
            inferred += 1;
        }
        let search_only = check_operations(&ops, &options.clone().with_order_inference(false))
            .expect("checkable");
        assert_eq!(
            search_only.validity,
            report.validity,
            "order inference and the search alone disagree on {}",
            context()
        );
        if keys == 1 {
            assert_eq!(
                stateright_verdict(kind, &init, &ops),
                expected,
                "stateright disagrees on {}",
                context()
            );
            stateright_checked += 1;
        }
        if let Some(cx) = report.counterexample() {
            let holds = std::panic::catch_unwind(|| {
                assert_counterexample_holds(kind, &init, &ops, cx);
                assert_first_failure(kind, &init, &ops, cx);
            });
            assert!(holds.is_ok(), "bad counterexample for {}", context());
        }
        *verdicts.entry(report.validity).or_insert(0usize) += 1;
    }
    let valid = verdicts.get(&Validity::Valid).copied().unwrap_or(0);
    let invalid = verdicts.get(&Validity::Invalid).copied().unwrap_or(0);
    println!("{kind} (unique values: {unique}): {cases} histories, {valid} valid, {invalid} invalid, {inferred} decided by order inference, {stateright_checked} also checked by stateright");
    if unique {
        assert!(
            inferred * 10 >= cases * 9,
            "order inference decided only {inferred} of {cases}"
        );
    }
    assert_eq!(valid + invalid, cases, "no unknowns without a budget");
    assert!(
        valid * 5 >= cases,
        "too few valid histories: {valid} of {cases}"
    );
    assert!(
        invalid * 5 >= cases,
        "too few invalid histories: {invalid} of {cases}"
    );
}

fn show(history: &History) -> String {
    history.ops.iter().map(|op| format!("  {op}\n")).collect()
}

#[test]
fn kv_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::Kv, 1, cases(), false);
}

#[test]
fn kv_with_unique_values_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::Kv, 11, cases(), true);
}

#[test]
fn register_with_unique_values_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::Register, 12, cases(), true);
}

#[test]
fn cas_register_with_unique_values_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::CasRegister, 13, cases(), true);
}

#[test]
fn etcd_register_with_unique_values_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::EtcdRegister, 14, cases(), true);
}

#[test]
fn register_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::Register, 2, cases(), false);
}

#[test]
fn cas_register_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::CasRegister, 3, cases(), false);
}

#[test]
fn etcd_register_agrees_with_brute_force_and_stateright() {
    differential(ModelKind::EtcdRegister, 4, cases(), false);
}

#[test]
#[ignore = "long run: cargo test --release -p checker --test linearizability_differential -- --ignored"]
fn every_model_agrees_on_many_more_histories() {
    for (seed, kind) in ModelKind::ALL.into_iter().enumerate() {
        differential(kind, 100 + seed as u64, 50_000, false);
        differential(kind, 200 + seed as u64, 50_000, true);
    }
}

// ---------------------------------------------------------------------------
// Concurrent single-key histories: order inference against the search.
// ---------------------------------------------------------------------------

/// The benchmark's generator: a seeded simulation of a linearizable kv
/// store with concurrent clients, unique values and optional timeouts,
/// and the anomalies it plants.
#[path = "../examples/concurrent_bench/generate.rs"]
#[allow(dead_code)]
mod concurrent;

#[test]
fn concurrent_single_key_histories_agree_with_the_search() {
    use checker::linearizability::Budget;
    use concurrent::{Anomaly, Shape};
    let mut counts: BTreeMap<(&str, Validity), usize> = BTreeMap::new();
    let mut undecided: BTreeMap<bool, usize> = BTreeMap::new();
    for seed in 0..(cases() / 20) as u64 {
        let shape = Shape {
            clients: 2 + (seed % 7) as usize,
            ops: 10 + (seed * 7 % 40) as usize,
            info: seed % 2 == 1,
            cas: seed % 4 >= 2,
            seed,
        };
        let anomalies = std::iter::once(None).chain(Anomaly::ALL.map(Some));
        for anomaly in anomalies {
            let mut calls = concurrent::simulate(shape);
            let truth = calls.clone();
            let planted = anomaly.map(|anomaly| concurrent::plant_at(&mut calls, anomaly, seed));
            if planted.is_some_and(|at| at.is_none()) {
                continue;
            }
            let planted = planted.flatten().map(|at| (&truth[at], &calls[at].output));
            let history = concurrent::history(&calls);
            let ops = history.operations().expect("generated histories pair");
            let options = Options::new(ModelSpec::new(ModelKind::Kv));
            let report = check_operations(&ops, &options).expect("checkable");
            let context = || {
                format!(
                    "{shape:?} {anomaly:?} {planted:?}:\n{}\n{report}",
                    show(&history)
                )
            };
            let expected = match anomaly {
                None => Validity::Valid,
                Some(_) => Validity::Invalid,
            };
            // Rejected cas may find no room in the order inference built;
            // the search then decides.
            assert!(report.keys[0].inferred || shape.cas, "{}", context());
            *undecided.entry(shape.cas).or_insert(0) += usize::from(!report.keys[0].inferred);
            let budget = Budget {
                max_states: Some(100_000),
                ..Budget::default()
            };
            let search = options.with_order_inference(false).with_budget(budget);
            let search = check_operations(&ops, &search).expect("checkable");
            let name = anomaly.map_or("valid", Anomaly::name);
            *counts.entry((name, search.validity)).or_insert(0) += 1;
            if search.validity != Validity::Unknown {
                assert_eq!(
                    search.validity,
                    report.validity,
                    "inference vs search: {}",
                    context()
                );
            }
            assert_eq!(report.validity, expected, "planted: {}", context());
            if let (Some(cx), Some(search_cx)) = (report.counterexample(), search.counterexample())
            {
                assert_eq!(cx.failed_op.id, search_cx.failed_op.id, "{}", context());
                assert_counterexample_holds(ModelKind::Kv, &Value::Nil, &ops, cx);
            }
        }
    }
    println!("concurrent histories (kind, search verdict): {counts:?}; left to the search (by with-cas): {undecided:?}");
}
