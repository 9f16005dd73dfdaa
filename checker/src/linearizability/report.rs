//! What a linearizability check answers, per key and overall, and how a
//! violation explains itself.

use crate::Validity;
use histories::{OpText, Operation, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The result of checking a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// All keys combined: invalid beats unknown beats valid.
    pub validity: Validity,
    /// The model the history was checked against (`kv`, ...).
    pub model: String,
    /// One report per key, in ascending key order.
    pub keys: Vec<KeyReport>,
    /// Why the verdict is unknown: the cause of the first unknown key.
    pub unknown_cause: Option<String>,
    /// What the check cost.
    pub stats: Stats,
}

impl Report {
    /// The counterexample of the first invalid key, if any key is invalid.
    pub fn counterexample(&self) -> Option<&Counterexample> {
        self.keys.iter().find_map(|key| key.counterexample.as_ref())
    }

    /// The keys that are not valid.
    pub fn failed_keys(&self) -> impl Iterator<Item = &KeyReport> {
        self.keys
            .iter()
            .filter(|key| key.validity != Validity::Valid)
    }
}

/// The result of checking one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyReport {
    /// The key; `None` for an unkeyed register.
    pub key: Option<Value>,
    /// This key's verdict.
    pub validity: Validity,
    /// Operations of this key that took part in the search.
    pub ops: usize,
    /// Operations of this key the model left out (failed operations, reads
    /// whose result is unknown).
    pub skipped_ops: usize,
    /// Search nodes recorded in the memo while deciding.
    pub memo_entries: u64,
    /// Search nodes recorded while explaining an invalid verdict (finding
    /// the first operation that cannot be linearized and the states there).
    pub explain_memo_entries: u64,
    /// Why the verdict is unknown.
    pub unknown_cause: Option<String>,
    /// Why the verdict is invalid.
    pub counterexample: Option<Counterexample>,
    /// True when order inference decided this key, without a search (see
    /// [`crate::linearizability::Options::infer_orders`]).
    #[serde(default)]
    pub inferred: bool,
}

/// Why a key's history is not linearizable.
///
/// `failed_op` is the first operation that cannot be linearized: the
/// operation with the earliest completion such that no order respecting
/// real time and the model fits every operation that completed up to its
/// completion. Every operation that completed before it fits — `prefix` is
/// one such order, the longest the search found — and it does not: its
/// result contradicts every state it could run in there (`states`), or
/// running it there leads only to dead ends. Operations that completed
/// later may appear in the prefix, with the results they eventually
/// returned, as may `info` operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The key; `None` for an unkeyed register.
    pub key: Option<Value>,
    /// The first operation that cannot be linearized.
    pub failed_op: Operation,
    /// The longest linearizable prefix the search found at that point: the
    /// operations in linearization order.
    pub prefix: Vec<Operation>,
    /// The model states the search reached at that point (with every
    /// operation that completed before `failed_op` linearized, and
    /// `failed_op` not), ascending.
    pub states: Vec<Value>,
    /// What rules out every linearization, in words, when order inference
    /// found it (the search says it with `states` instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// True when `states` are all the states possible at that point; false
    /// when finding them all was too expensive and these are the ones the
    /// search reached (at least one).
    pub all_states: bool,
}

/// What a check cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Operations that took part in a search, over all keys.
    pub ops: usize,
    /// Keys checked.
    pub keys: usize,
    /// Memo entries over all keys, deciding and explaining.
    pub memo_entries: u64,
    /// Wall-clock time of the check, in nanoseconds. Measured, never used to
    /// decide anything; the one field that differs between identical runs.
    pub elapsed_ns: u64,
}

/// How a key appears in messages: as raftstorm's operation notation
/// writes it (bare when unambiguous, `k3`; quoted otherwise, `"0"`), or
/// `nil` when unkeyed.
pub fn key_label(key: Option<&Value>) -> String {
    key.map_or_else(
        || "nil".to_string(),
        |key| histories::notation::Bare(key).to_string(),
    )
}

/// One operation on one line, in raftstorm's one notation (see
/// [`histories::notation`]) with where it is in the history:
/// `p3 cas k1 1→2 → ok  [op 12, records #40..#47]`.
pub struct OpLine<'a>(pub &'a Operation);

impl fmt::Display for OpLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.0;
        write!(f, "{}  [op {}, ", OpText(op), op.id)?;
        match op.complete_index {
            Some(complete) => write!(f, "records #{}..#{complete}]", op.invoke_index),
            None => write!(f, "record #{}.., never completed]", op.invoke_index),
        }
    }
}

/// The longest prefix shown in text; the full one is in the JSON.
const PREFIX_LINES: usize = 20;
/// The most states shown in text.
const STATE_ITEMS: usize = 16;

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "key {} is not linearizable.",
            key_label(self.key.as_ref())
        )?;
        writeln!(f, "  first operation that cannot be linearized:")?;
        writeln!(f, "    {}", OpLine(&self.failed_op))?;
        if self.prefix.is_empty() {
            writeln!(
                f,
                "  it cannot be linearized even first, from the initial state."
            )?;
        } else {
            writeln!(
                f,
                "  longest linearizable prefix ({} operations, in linearization order):",
                self.prefix.len()
            )?;
            let skipped = self.prefix.len().saturating_sub(PREFIX_LINES);
            if skipped > 0 {
                writeln!(f, "    ... {skipped} earlier operations")?;
            }
            for op in &self.prefix[skipped..] {
                writeln!(f, "    {}", OpLine(op))?;
            }
        }
        if let Some(reason) = &self.reason {
            writeln!(f, "  contradiction: {reason}")?;
        }
        match self.all_states {
            true => write!(f, "  possible states at that point: ")?,
            false => write!(f, "  some of the possible states at that point: ")?,
        }
        for (i, state) in self.states.iter().take(STATE_ITEMS).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{state}")?;
        }
        if self.states.len() > STATE_ITEMS {
            write!(f, ", ... ({} in all)", self.states.len())?;
        }
        writeln!(f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "linearizability ({} model): {} - {} keys, {} operations, {} memo entries, {:.3} ms",
            self.model,
            self.validity,
            self.stats.keys,
            self.stats.ops,
            self.stats.memo_entries,
            self.stats.elapsed_ns as f64 / 1e6
        )?;
        for key in self.failed_keys() {
            write!(f, "  key {}: {}", key_label(key.key.as_ref()), key.validity)?;
            match &key.unknown_cause {
                Some(cause) => writeln!(f, " ({cause})")?,
                None => writeln!(f)?,
            }
        }
        if let Some(counterexample) = self.counterexample() {
            write!(f, "{counterexample}")?;
        }
        Ok(())
    }
}
