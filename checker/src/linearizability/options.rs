//! What a check is asked to do: which model, from which initial value, with
//! how much time and memory, on how many threads.

use histories::Value;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The sequential specifications the checker knows.
///
/// Every model is a register per key (histories are split by
/// [`histories::Operation::key`] and each key is checked on its own); they
/// differ in the functions they accept and in what `nil` and `fail` mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// raftstorm's key-value store, also Porcupine's kv corpus: `get`, `put`,
    /// `append`, `cas`. An ok `get` of nil asserts the key is absent; a cas
    /// that fails with `precondition-failed` asserts the value differed.
    Kv,
    /// Knossos' register: `read`, `write`. An ok read of nil means "value
    /// unknown" and constrains nothing.
    Register,
    /// Knossos' cas-register: a register plus `cas [expected new]`. Failed
    /// operations did not happen.
    CasRegister,
    /// The register of Porcupine's etcd corpus: `read`, `write`, `cas`. A
    /// read of nil asserts "absent"; a failed cas asserts the value differed.
    EtcdRegister,
}

impl ModelKind {
    /// Every model, in the order the documentation lists them.
    pub const ALL: [ModelKind; 4] = [
        ModelKind::Kv,
        ModelKind::Register,
        ModelKind::CasRegister,
        ModelKind::EtcdRegister,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Kv => "kv",
            ModelKind::Register => "register",
            ModelKind::CasRegister => "cas-register",
            ModelKind::EtcdRegister => "etcd-register",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A model name that is not one of [`ModelKind::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected a model (kv, register, cas-register or etcd-register), found \"{}\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownModel {}

impl FromStr for ModelKind {
    type Err = UnknownModel;

    fn from_str(name: &str) -> Result<ModelKind, UnknownModel> {
        ModelKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownModel(name.to_string()))
    }
}

/// A model and the value every key starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Which sequential specification.
    pub kind: ModelKind,
    /// The initial value of every key: `Nil` (absent) for raftstorm's own
    /// histories, `""` for Porcupine's kv files.
    pub init: Value,
}

impl ModelSpec {
    /// A model whose keys start absent (`nil`).
    pub fn new(kind: ModelKind) -> ModelSpec {
        ModelSpec {
            kind,
            init: Value::Nil,
        }
    }

    /// The same model with another initial value.
    pub fn with_init(self, init: Value) -> ModelSpec {
        ModelSpec { init, ..self }
    }
}

/// How much a check may spend before it answers `Unknown`.
///
/// The state and byte limits are deterministic: the same history and limits
/// give the same verdict on any machine and at any thread count, which is why
/// campaigns use them. The time limit is the checker's only use of the wall
/// clock and is off unless asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Wall-clock limit for the whole check, over all keys.
    pub max_time: Option<Duration>,
    /// Most memo entries (visited search states) one key's search may record.
    pub max_states: Option<u64>,
    /// Most bytes one key's memo may occupy. With `threads` searches running
    /// at once, the peak is `threads` times this.
    pub max_memo_bytes: Option<u64>,
}

impl Budget {
    /// The default memory guard: 512 MiB of memo per key search.
    pub const DEFAULT_MAX_MEMO_BYTES: u64 = 512 << 20;

    /// No limit at all, not even on memory: only for tests and benchmarks
    /// over inputs known to be small.
    pub fn unlimited() -> Budget {
        Budget {
            max_time: None,
            max_states: None,
            max_memo_bytes: None,
        }
    }
}

/// No time or state limit, but a memory guard so a check can never exhaust
/// the machine.
impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_time: None,
            max_states: None,
            max_memo_bytes: Some(Budget::DEFAULT_MAX_MEMO_BYTES),
        }
    }
}

/// Everything a linearizability check needs besides the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// The model and its initial value.
    pub model: ModelSpec,
    /// Limits that turn a search that cannot finish into `Unknown`.
    pub budget: Budget,
    /// Threads checking keys in parallel: 1 checks them one after another,
    /// 0 uses one per available core. Results never depend on it. Histories
    /// of fewer than 1,000 operations are checked on the calling thread
    /// whatever this says: starting threads would cost more than it saves.
    pub threads: usize,
    /// Decide keys by inferring the order of writes from what reads saw
    /// before searching (on by default; off only to compare with the
    /// search alone). Verdicts never depend on it, only the cost.
    #[serde(default = "yes")]
    pub infer_orders: bool,
}

fn yes() -> bool {
    true
}

impl Options {
    /// A sequential check of `model` with the default budget.
    pub fn new(model: ModelSpec) -> Options {
        Options {
            model,
            budget: Budget::default(),
            threads: 1,
            infer_orders: true,
        }
    }

    /// The same options with another budget.
    pub fn with_budget(self, budget: Budget) -> Options {
        Options { budget, ..self }
    }

    /// The same options with another thread count (0 = one per core).
    pub fn with_threads(self, threads: usize) -> Options {
        Options { threads, ..self }
    }

    /// The same options with order inference on or off (see
    /// [`Options::infer_orders`]).
    pub fn with_order_inference(self, infer_orders: bool) -> Options {
        Options {
            infer_orders,
            ..self
        }
    }

    /// The number of threads to run, resolving 0 to the core count.
    pub(crate) fn effective_threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_round_trip() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.to_string().parse::<ModelKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        let err = "cas_register".parse::<ModelKind>().unwrap_err();
        assert!(err.to_string().contains("found \"cas_register\""), "{err}");
    }

    #[test]
    fn default_budget_guards_memory_only() {
        let budget = Budget::default();
        assert_eq!(budget.max_time, None);
        assert_eq!(budget.max_states, None);
        assert_eq!(budget.max_memo_bytes, Some(512 << 20));
    }
}
