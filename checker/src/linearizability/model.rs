//! Sequential specifications: what a correct single-copy object would have
//! answered.
//!
//! The search asks a model three things: the initial state, whether an
//! operation can take effect in a state (and the state after it), and how to
//! show a state in a report. Before the search, the model also decides what
//! each operation of the history *means* ([`Model::prepare`]): whether it
//! must be linearized, may be, or can be left out — this is where `nil`
//! reads and `fail` completions get their model-specific meaning.
//!
//! States are small `Copy` values so that the memo can hash and compare them
//! cheaply: [`ValueRegister`] interns every value it meets into a `u32`, so
//! its state is one integer even when the value is a long string (see
//! `values.rs` for how appends avoid copying strings).

use super::memo::FastHash;
use super::options::{ModelKind, ModelSpec};
use super::values::{ValueId, ValueTable};
use histories::{Function, Operation, Outcome, Value};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

/// What one operation means to a model, decided once before the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepared<Op> {
    /// The operation constrains nothing (it did not happen, or it is a read
    /// whose answer is unknown): leave it out of the search.
    Skip,
    /// The operation happened: it must take effect between its invoke and
    /// its completion.
    Required(Op),
    /// The operation may have taken effect at any point after its invoke,
    /// or never (`info`, or an invoke that never completed).
    Optional(Op),
}

/// A sequential specification, instantiated for the operations of one key.
///
/// Implementations must be deterministic: `step` gives at most one next
/// state, and the same answer every time it is asked the same question. The
/// search relies on this to prune (an operation that leaves the state
/// unchanged is linearized at once, without trying alternatives).
pub trait Model {
    /// A model state. Keep it small: the memo stores one per visited node.
    type State: Copy + Eq + Hash + Debug + Send;
    /// An operation as the model prepared it. Two prepared operations that
    /// compare equal must have the same effect in every state.
    type Op: Copy + Eq + Hash + Debug + Send;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// What `op` means to this model, or why the model cannot check it
    /// (a function it does not know, a malformed argument).
    fn prepare(&mut self, op: &Operation) -> Result<Prepared<Self::Op>, String>;

    /// The state after `op` takes effect in `state`, or `None` when `op`
    /// cannot take effect there (its result contradicts the state).
    fn step(&mut self, state: Self::State, op: &Self::Op) -> Option<Self::State>;

    /// True when `op` leaves the state unchanged in *every* state where it
    /// can take effect (a read, a rejected cas). The search linearizes such
    /// an operation as soon as it can, without trying alternatives; saying
    /// false is always safe, only slower.
    fn is_read_only(&self, op: &Self::Op) -> bool;

    /// The state as a value, for reports.
    fn describe(&self, state: Self::State) -> Value;

    /// How `op` depends on the state; see [`Access`]. Saying `Observes` is
    /// always safe, only slower.
    fn access(&self, op: &Self::Op) -> Access {
        let _ = op;
        Access::Observes
    }

    /// A stand-in for `state` to use when no operation can observe it before
    /// a required `Overwrites` operation replaces it, or `None` when this
    /// state cannot be forgotten. The stand-in must be one state for all
    /// the states it replaces, every `Transforms` operation must be legal in
    /// each of them and map the stand-in to itself, and `Overwrites`
    /// operations must give the same state from the stand-in as from them.
    fn forget(&mut self, state: Self::State) -> Option<Self::State> {
        let _ = state;
        None
    }

    /// False when no sequence of `Transforms` operations can turn `state`
    /// into one where the read-only operation `op` can take effect (an
    /// append-only string that is not a prefix of what a read returned).
    /// The search then abandons a node whose next observation is `op`
    /// with only transforming operations able to come before it. Saying
    /// true is always safe, only slower.
    fn may_lead_to(&mut self, state: Self::State, op: &Self::Op) -> bool {
        let _ = (state, op);
        true
    }

    /// The initial value, when this model is a register whose operations
    /// mean what their names say — put and write replace the value, append
    /// concatenates a string to it (to nil: gives the string), get and read
    /// return it — as [`ValueRegister`] is. The checker may then decide a
    /// key by inferring the order of writes from what reads returned
    /// instead of searching (it still replays what it found through
    /// [`Model::step`]). `None`, the default, leaves the search alone.
    fn register_init(&self) -> Option<Value> {
        None
    }
}

/// A model borrowed mutably is a model: the search can run again over a
/// cut of a history with the model instance that prepared it.
impl<M: Model> Model for &mut M {
    type State = M::State;
    type Op = M::Op;

    fn init(&self) -> Self::State {
        (**self).init()
    }

    fn prepare(&mut self, op: &Operation) -> Result<Prepared<Self::Op>, String> {
        (**self).prepare(op)
    }

    fn step(&mut self, state: Self::State, op: &Self::Op) -> Option<Self::State> {
        (**self).step(state, op)
    }

    fn is_read_only(&self, op: &Self::Op) -> bool {
        (**self).is_read_only(op)
    }

    fn describe(&self, state: Self::State) -> Value {
        (**self).describe(state)
    }

    fn access(&self, op: &Self::Op) -> Access {
        (**self).access(op)
    }

    fn forget(&mut self, state: Self::State) -> Option<Self::State> {
        (**self).forget(state)
    }

    fn may_lead_to(&mut self, state: Self::State, op: &Self::Op) -> bool {
        (**self).may_lead_to(state, op)
    }

    fn register_init(&self) -> Option<Value> {
        (**self).register_init()
    }
}

/// How an operation depends on the state it runs in.
///
/// This lets the search forget states nobody can observe: in a stretch of
/// appends that ends in a put, with no read that could come in between,
/// the order of the appends produces many distinct strings that all end up
/// overwritten. Replacing them by one stand-in state ([`Model::forget`])
/// lets the memo see that those nodes share one future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Its legality or effect depends on the state (a read, a cas).
    Observes,
    /// It replaces the state, whatever it was, and is always legal (a
    /// write).
    Overwrites,
    /// It changes the state without its legality depending on it, within
    /// the states the model can forget (an append to a string).
    Transforms,
}

/// What a prepared operation does to a register, with interned values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Asserts the register holds this value.
    Read(ValueId),
    /// Sets the register.
    Write(ValueId),
    /// Concatenates this string to the register (absent counts as empty).
    Append(ValueId),
    /// Asserts the register holds `expected`, then sets `new`.
    Cas {
        /// The value the cas compared against.
        expected: ValueId,
        /// The value it wrote.
        new: ValueId,
    },
    /// Asserts the register does *not* hold `expected`; changes nothing.
    CasRejected {
        /// The value the cas compared against.
        expected: ValueId,
    },
}

/// Every [`ModelKind`]: a register of [`Value`]s per key, with the rules of
/// its kind for which operations count and what they assert.
#[derive(Debug)]
pub struct ValueRegister {
    kind: ModelKind,
    init: ValueId,
    values: ValueTable,
    /// `(state, suffix) -> state after appending`: each append is worked out
    /// once per check rather than once per step.
    appends: HashMap<(ValueId, ValueId), Option<ValueId>, FastHash>,
}

impl ValueRegister {
    /// A fresh instance of `spec` for one key.
    pub fn new(spec: &ModelSpec) -> ValueRegister {
        let mut values = ValueTable::default();
        let init = values.intern(&spec.init);
        ValueRegister {
            kind: spec.kind,
            init,
            values,
            appends: HashMap::default(),
        }
    }

    fn append(&mut self, state: ValueId, suffix: ValueId) -> Option<ValueId> {
        if let Some(&next) = self.appends.get(&(state, suffix)) {
            return next;
        }
        let next = if self.values.is_nil(state) {
            Some(suffix)
        } else if self.values.is_unobserved(state) {
            Some(state)
        } else {
            self.values.concat(state, suffix)
        };
        self.appends.insert((state, suffix), next);
        next
    }

    fn unsupported(&self, op: &Operation) -> String {
        let known = match self.kind {
            ModelKind::Kv => "get, put, append and cas",
            ModelKind::Register => "read and write",
            ModelKind::CasRegister | ModelKind::EtcdRegister => "read, write and cas",
        };
        format!(
            "the {} model has no function :{}; it knows {known}",
            self.kind, op.f
        )
    }

    fn cas_pair(&mut self, op: &Operation) -> Result<(ValueId, ValueId), String> {
        let (expected, new) = op
            .input
            .as_pair()
            .ok_or_else(|| format!("expected a cas argument [expected new], found {}", op.input))?;
        Ok((self.values.intern(expected), self.values.intern(new)))
    }

    /// Read-like operations: they matter only when they completed `ok`.
    fn read(&mut self, op: &Operation, nil_is_unknown: bool) -> Prepared<Action> {
        match op.outcome {
            Outcome::Ok if nil_is_unknown && op.output.is_nil() => Prepared::Skip,
            Outcome::Ok => Prepared::Required(Action::Read(self.values.intern(&op.output))),
            Outcome::Fail | Outcome::Info => Prepared::Skip,
        }
    }

    /// Effects: required when ok, optional when info, absent when failed.
    fn effect(op: &Operation, action: Action) -> Prepared<Action> {
        match op.outcome {
            Outcome::Ok => Prepared::Required(action),
            Outcome::Info => Prepared::Optional(action),
            Outcome::Fail => Prepared::Skip,
        }
    }

    fn cas(&mut self, op: &Operation) -> Result<Prepared<Action>, String> {
        let (expected, new) = self.cas_pair(op)?;
        let rejected_happened = match self.kind {
            ModelKind::Kv => op.error.as_deref() == Some("precondition-failed"),
            ModelKind::EtcdRegister => true,
            ModelKind::Register | ModelKind::CasRegister => false,
        };
        Ok(match op.outcome {
            Outcome::Fail if rejected_happened => {
                Prepared::Required(Action::CasRejected { expected })
            }
            _ => Self::effect(op, Action::Cas { expected, new }),
        })
    }
}

impl Model for ValueRegister {
    type State = ValueId;
    type Op = Action;

    fn init(&self) -> ValueId {
        self.init
    }

    fn prepare(&mut self, op: &Operation) -> Result<Prepared<Action>, String> {
        use ModelKind::*;
        match (self.kind, &op.f) {
            (Kv, Function::Get) => Ok(self.read(op, false)),
            (Register | CasRegister, Function::Read) => Ok(self.read(op, true)),
            (EtcdRegister, Function::Read) => Ok(self.read(op, false)),
            (Kv, Function::Put) | (Register | CasRegister | EtcdRegister, Function::Write) => {
                let value = self.values.intern(&op.input);
                Ok(Self::effect(op, Action::Write(value)))
            }
            (Kv, Function::Append) => match &op.input {
                Value::Str(_) => {
                    let suffix = self.values.intern(&op.input);
                    Ok(Self::effect(op, Action::Append(suffix)))
                }
                other => Err(format!("expected a string to append, found {other}")),
            },
            (Kv | CasRegister | EtcdRegister, Function::Cas) => self.cas(op),
            _ => Err(self.unsupported(op)),
        }
    }

    #[inline]
    fn step(&mut self, state: ValueId, op: &Action) -> Option<ValueId> {
        debug_assert!(
            !self.values.is_unobserved(state) || self.access(op) != Access::Observes,
            "the search never lets an operation observe a forgotten state"
        );
        match *op {
            Action::Read(value) => (state == value).then_some(state),
            Action::Write(value) => Some(value),
            Action::Append(suffix) => self.append(state, suffix),
            Action::Cas { expected, new } => (state == expected).then_some(new),
            Action::CasRejected { expected } => (state != expected).then_some(state),
        }
    }

    fn is_read_only(&self, op: &Action) -> bool {
        match *op {
            Action::Read(_) | Action::CasRejected { .. } => true,
            Action::Cas { expected, new } => expected == new,
            Action::Write(_) | Action::Append(_) => false,
        }
    }

    fn describe(&self, state: ValueId) -> Value {
        self.values.value(state)
    }

    fn register_init(&self) -> Option<Value> {
        Some(self.values.value(self.init))
    }

    fn access(&self, op: &Action) -> Access {
        match op {
            Action::Write(_) => Access::Overwrites,
            Action::Append(_) => Access::Transforms,
            Action::Read(_) | Action::Cas { .. } | Action::CasRejected { .. } => Access::Observes,
        }
    }

    /// Strings and nil, the states an append accepts, are forgotten as the
    /// stand-in `:unobserved`, which appends leave as it is.
    fn forget(&mut self, state: ValueId) -> Option<ValueId> {
        let appendable = self.values.is_string(state) || self.values.is_nil(state);
        appendable.then(|| self.values.unobserved())
    }

    /// Appends only lengthen a string: a read of `v` is reachable only from
    /// a prefix of `v` (or from nil, which the first append replaces).
    fn may_lead_to(&mut self, state: ValueId, op: &Action) -> bool {
        match *op {
            Action::Read(value) => self.values.may_extend_to(state, value),
            _ => true,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use histories::Outcome::{Fail, Info, Ok};

    /// A completed operation at positions 0 and 1, for unit tests.
    pub(crate) fn op(
        f: Function,
        input: Value,
        outcome: Outcome,
        output: Value,
        error: Option<&str>,
    ) -> Operation {
        Operation {
            id: 0,
            process: 0,
            f,
            key: None,
            input,
            output,
            outcome,
            error: error.map(str::to_string),
            invoke_index: 0,
            complete_index: Some(1),
            invoke_time_ns: 0,
            complete_time_ns: Some(1),
        }
    }

    fn pair(a: Value, b: Value) -> Value {
        Value::List(vec![a, b])
    }

    /// What happens when `op` is offered to a model in `state`.
    #[derive(Debug, PartialEq)]
    enum Expect {
        /// Left out of the search.
        Skip,
        /// Must be linearized; stepping from `state` gives this (None =
        /// impossible).
        Required(Option<Value>),
        /// May be linearized; stepping gives this.
        Optional(Option<Value>),
        /// The model rejects the operation with a message containing this.
        Error(&'static str),
    }

    fn run(kind: ModelKind, state: Value, operation: &Operation) -> Expect {
        let mut model = ValueRegister::new(&ModelSpec::new(kind).with_init(state));
        let init = model.init();
        let after = |model: &mut ValueRegister, action: Action| {
            model.step(init, &action).map(|s| model.describe(s))
        };
        match model.prepare(operation) {
            Result::Ok(Prepared::Skip) => Expect::Skip,
            Result::Ok(Prepared::Required(action)) => Expect::Required(after(&mut model, action)),
            Result::Ok(Prepared::Optional(action)) => Expect::Optional(after(&mut model, action)),
            Err(message) => {
                for needle in [
                    "has no function",
                    "expected a cas argument",
                    "expected a string",
                ] {
                    if message.contains(needle) {
                        return Expect::Error(needle);
                    }
                }
                panic!("unexpected message {message}")
            }
        }
    }

    #[test]
    fn step_rules_of_every_model() {
        use Expect::*;
        use Function::*;
        use ModelKind::*;
        let s = Value::str;
        let i = Value::Int;
        let nil = Value::Nil;
        #[rustfmt::skip]
        let cases: Vec<(ModelKind, Value, Operation, Expect)> = vec![
            // kv: get asserts the value, nil meaning absent.
            (Kv, s("ab"), op(Get, nil.clone(), Ok, s("ab"), None), Required(Some(s("ab")))),
            (Kv, s("ab"), op(Get, nil.clone(), Ok, s("a"), None), Required(None)),
            (Kv, nil.clone(), op(Get, nil.clone(), Ok, nil.clone(), None), Required(Some(nil.clone()))),
            (Kv, s(""), op(Get, nil.clone(), Ok, nil.clone(), None), Required(None)),
            (Kv, s("x"), op(Get, nil.clone(), Info, nil.clone(), None), Skip),
            (Kv, s("x"), op(Get, nil.clone(), Fail, nil.clone(), None), Skip),
            // kv: put and append.
            (Kv, s("x"), op(Put, s("y"), Ok, nil.clone(), None), Required(Some(s("y")))),
            (Kv, s("x"), op(Put, s("y"), Info, nil.clone(), None), Optional(Some(s("y")))),
            (Kv, s("x"), op(Put, s("y"), Fail, nil.clone(), None), Skip),
            (Kv, s("x"), op(Append, s("y"), Ok, nil.clone(), None), Required(Some(s("xy")))),
            (Kv, nil.clone(), op(Append, s("y"), Ok, nil.clone(), None), Required(Some(s("y")))),
            (Kv, i(3), op(Append, s("y"), Ok, nil.clone(), None), Required(None)),
            (Kv, s("x"), op(Append, s("y"), Info, nil.clone(), None), Optional(Some(s("xy")))),
            (Kv, s("x"), op(Append, i(1), Ok, nil.clone(), None), Error("expected a string")),
            // kv: cas, and the fail that happened.
            (Kv, i(1), op(Cas, pair(i(1), i(2)), Ok, nil.clone(), None), Required(Some(i(2)))),
            (Kv, i(3), op(Cas, pair(i(1), i(2)), Ok, nil.clone(), None), Required(None)),
            (Kv, i(3), op(Cas, pair(i(1), i(2)), Fail, nil.clone(), Some("precondition-failed")), Required(Some(i(3)))),
            (Kv, i(1), op(Cas, pair(i(1), i(2)), Fail, nil.clone(), Some("precondition-failed")), Required(None)),
            (Kv, i(1), op(Cas, pair(i(1), i(2)), Fail, nil.clone(), Some("timed-out")), Skip),
            (Kv, i(1), op(Cas, pair(i(1), i(2)), Info, nil.clone(), None), Optional(Some(i(2)))),
            (Kv, i(3), op(Cas, pair(i(1), i(2)), Info, nil.clone(), None), Optional(None)),
            (Kv, i(1), op(Cas, i(1), Ok, nil.clone(), None), Error("expected a cas argument")),
            (Kv, i(1), op(Read, nil.clone(), Ok, i(1), None), Error("has no function")),
            // register: a nil read is unknown.
            (Register, i(1), op(Read, nil.clone(), Ok, i(1), None), Required(Some(i(1)))),
            (Register, i(1), op(Read, nil.clone(), Ok, i(2), None), Required(None)),
            (Register, i(1), op(Read, nil.clone(), Ok, nil.clone(), None), Skip),
            (Register, i(1), op(Read, nil.clone(), Info, nil.clone(), None), Skip),
            (Register, i(1), op(Write, i(5), Ok, nil.clone(), None), Required(Some(i(5)))),
            (Register, i(1), op(Write, i(5), Info, nil.clone(), None), Optional(Some(i(5)))),
            (Register, i(1), op(Write, i(5), Fail, nil.clone(), None), Skip),
            (Register, i(1), op(Cas, pair(i(1), i(2)), Ok, nil.clone(), None), Error("has no function")),
            (Register, i(1), op(Get, nil.clone(), Ok, i(1), None), Error("has no function")),
            // cas-register: fails did not happen.
            (CasRegister, i(1), op(Cas, pair(i(1), i(2)), Ok, nil.clone(), None), Required(Some(i(2)))),
            (CasRegister, i(3), op(Cas, pair(i(1), i(2)), Ok, nil.clone(), None), Required(None)),
            (CasRegister, i(3), op(Cas, pair(i(1), i(2)), Fail, nil.clone(), None), Skip),
            (CasRegister, i(1), op(Cas, pair(i(1), i(2)), Info, nil.clone(), None), Optional(Some(i(2)))),
            (CasRegister, i(1), op(Read, nil.clone(), Ok, nil.clone(), None), Skip),
            (CasRegister, i(1), op(Append, s("x"), Ok, nil.clone(), None), Error("has no function")),
            // etcd-register: nil is absent, a failed cas happened.
            (EtcdRegister, nil.clone(), op(Read, nil.clone(), Ok, nil.clone(), None), Required(Some(nil.clone()))),
            (EtcdRegister, i(0), op(Read, nil.clone(), Ok, nil.clone(), None), Required(None)),
            (EtcdRegister, i(0), op(Read, nil.clone(), Ok, i(0), None), Required(Some(i(0)))),
            (EtcdRegister, i(0), op(Read, nil.clone(), Fail, Value::Keyword("timed-out".into()), Some("timed-out")), Skip),
            (EtcdRegister, i(0), op(Read, nil.clone(), Info, nil.clone(), None), Skip),
            (EtcdRegister, i(0), op(Write, i(4), Ok, nil.clone(), None), Required(Some(i(4)))),
            (EtcdRegister, i(0), op(Write, i(4), Info, nil.clone(), None), Optional(Some(i(4)))),
            (EtcdRegister, i(3), op(Cas, pair(i(3), i(0)), Ok, nil.clone(), None), Required(Some(i(0)))),
            (EtcdRegister, i(2), op(Cas, pair(i(3), i(0)), Ok, nil.clone(), None), Required(None)),
            (EtcdRegister, i(2), op(Cas, pair(i(3), i(0)), Fail, nil.clone(), None), Required(Some(i(2)))),
            (EtcdRegister, i(3), op(Cas, pair(i(3), i(0)), Fail, nil.clone(), None), Required(None)),
            (EtcdRegister, nil.clone(), op(Cas, pair(i(3), i(0)), Fail, nil.clone(), None), Required(Some(nil.clone()))),
            (EtcdRegister, i(3), op(Cas, pair(i(3), i(0)), Info, nil.clone(), None), Optional(Some(i(0)))),
            (EtcdRegister, i(3), op(Put, i(1), Ok, nil.clone(), None), Error("has no function")),
        ];
        for (index, (kind, state, operation, expected)) in cases.into_iter().enumerate() {
            let got = run(kind, state.clone(), &operation);
            assert_eq!(
                got, expected,
                "case {index}: {kind} in state {state}: {:?} {} {} -> {}",
                operation.outcome, operation.f, operation.input, operation.output
            );
        }
    }

    #[test]
    fn appends_build_each_string_once() {
        let mut model =
            ValueRegister::new(&ModelSpec::new(ModelKind::Kv).with_init(Value::str("")));
        let op = op(Function::Append, Value::str("ab"), Ok, Value::Nil, None);
        let Result::Ok(Prepared::Required(action)) = model.prepare(&op) else {
            panic!("an ok append is required")
        };
        let mut state = model.init();
        for _ in 0..3 {
            state = model.step(state, &action).unwrap();
        }
        assert_eq!(model.describe(state), Value::str("ababab"));
        let again = model.step(model.init(), &action).unwrap();
        assert_eq!(model.describe(again), Value::str("ab"));
        assert_eq!(
            model.appends.len(),
            3,
            "three distinct (state, suffix) pairs"
        );
    }
}
