//! Linearizability of client histories.
//!
//! A history is linearizable when every operation can be given a single
//! instant between its invoke and its completion such that, taken in that
//! order, the operations are a legal run of a sequential model. This module
//! decides it with Wing & Gong's backtracking search and Lowe's
//! memoization, as Porcupine does, plus three things that make it faster:
//!
//! - the history is split by key and the keys are checked independently
//!   (P-compositionality), in parallel when asked;
//! - before any search, a key whose reads can be traced to the writes
//!   behind them (unique values: a register read names its write, an
//!   append read spells out its appends in order) is decided by *order
//!   inference* in O(n log n) whatever its concurrency: the order is then
//!   forced up to the placement of a few blocks, and checking it is a sort
//!   (`inference.rs`, `blocks.rs`, `inferred.rs`). A linearization it finds
//!   is replayed through the model before the key is called valid; a
//!   contradiction it finds is a proof, reported with the first operation
//!   that cannot be linearized and the contradiction in words. Rejected
//!   compare-and-sets, which name no write, are left out of the reasoning
//!   and then given a place in the order found (`rejected.rs`). Keys with
//!   ambiguous values, a rejected cas that finds no place, or a model other
//!   than [`ValueRegister`] go to the search;
//! - search nodes are hashed incrementally (Zobrist) and stored in flat
//!   arrays, with model states interned to integers;
//! - pruning rules that never change a verdict ([`search`] explains and
//!   proves each): a read-only operation is linearized as soon as it can
//!   be; interchangeable `info` operations are tried in one order only; a
//!   state no one can observe before it is overwritten is forgotten; and a
//!   node whose next read cannot be reached (a string that is not a prefix
//!   of what the read returned, with only appends able to come first) is
//!   abandoned at once.
//!
//! # Counterexamples
//!
//! A history that is not linearizable comes with a [`Counterexample`] per
//! failing key: the first operation that cannot be linearized (the one with
//! the earliest completion such that nothing fits every operation that
//! completed up to it), the longest order the search found for everything
//! before it, and the model states possible at that point.
//!
//! # What the outcomes mean
//!
//! `ok` operations must be linearized. `info` operations (and invokes that
//! never completed) *may* be, at any point after their invoke, or never.
//! `fail` operations did not happen and are left out, unless the model says
//! otherwise (a failed cas asserts the value differed, in `etcd-register`,
//! and in `kv` when its error is `precondition-failed`). See [`ModelKind`]
//! for each model's rules.
//!
//! # Budget
//!
//! A search that would take too long ends as [`Validity::Unknown`] with a
//! cause, never a hang: see [`Budget`]. State and memory limits are
//! deterministic; the time limit is the only use of the clock.
//!
//! ```
//! use checker::linearizability::{check_operations, ModelKind, ModelSpec, Options};
//! use checker::Validity;
//! use histories::{Function, Operation, Outcome, Value};
//!
//! // A write of 1, then a read that still sees the initial nil: stale.
//! let op = |id: usize, f: Function, input: Value, output: Value, at: u64| Operation {
//!     id, process: id as u64, f, key: None, input, output, outcome: Outcome::Ok,
//!     error: None, invoke_index: at, complete_index: Some(at + 1),
//!     invoke_time_ns: at, complete_time_ns: Some(at + 1),
//! };
//! let ops = [
//!     op(0, Function::Write, Value::Int(1), Value::Nil, 0),
//!     op(1, Function::Read, Value::Nil, Value::Nil, 2),
//! ];
//! let options = Options::new(ModelSpec::new(ModelKind::EtcdRegister));
//! let report = check_operations(&ops, &options).unwrap();
//! assert_eq!(report.validity, Validity::Invalid);
//! assert_eq!(report.counterexample().unwrap().failed_op.id, 1);
//! ```

mod blocks;
mod contradiction;
mod explain;
mod inference;
mod inferred;
mod memo;
mod model;
mod options;
mod problem;
mod rejected;
mod report;
pub mod search;
mod unobserved;
mod values;

pub use model::{Access, Action, Model, Prepared, ValueRegister};
pub use options::{Budget, ModelKind, ModelSpec, Options, UnknownModel};
pub use problem::ModelError;
pub use report::{key_label, Counterexample, KeyReport, OpLine, Report, Stats};
pub use values::ValueId;

use crate::Validity;
use histories::{History, Operation, PairError};
use problem::KeyProblem;
use search::{Limits, Search, Verdict};
use std::cmp::Reverse;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Why a history could not be checked at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// Its records do not pair into operations.
    Pair(PairError),
    /// An operation means nothing to the model.
    Model(ModelError),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Pair(error) => error.fmt(f),
            CheckError::Model(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {}

impl From<PairError> for CheckError {
    fn from(error: PairError) -> CheckError {
        CheckError::Pair(error)
    }
}

impl From<ModelError> for CheckError {
    fn from(error: ModelError) -> CheckError {
        CheckError::Model(error)
    }
}

/// Checks a history's client operations (nemesis records are ignored).
pub fn check_history(history: &History, options: &Options) -> Result<Report, CheckError> {
    let ops = history.operations()?;
    Ok(check_operations(&ops, options)?)
}

/// Checks paired operations against the model of `options`.
///
/// Fails only when an operation means nothing to the model (an unknown
/// function, a malformed argument, a completion before its invoke); the
/// first such operation in key order, then invoke order, is reported.
pub fn check_operations(ops: &[Operation], options: &Options) -> Result<Report, ModelError> {
    let spec = &options.model;
    check_keys(
        ops,
        spec.kind.name(),
        || ValueRegister::new(spec),
        &options.budget,
        options.effective_threads(),
        options.infer_orders,
    )
}

/// Checks operations against any [`Model`]: `new_model` makes one fresh
/// instance per key; `model_name` is what the report calls it. Order
/// inference is tried first on every key whose model allows it (see
/// [`Model::register_init`]).
pub fn check_with<M, F>(
    ops: &[Operation],
    model_name: &str,
    new_model: F,
    budget: &Budget,
    threads: usize,
) -> Result<Report, ModelError>
where
    M: Model + Send,
    F: Fn() -> M,
{
    check_keys(ops, model_name, new_model, budget, threads, true)
}

/// [`check_with`], with order inference on or off.
fn check_keys<M, F>(
    ops: &[Operation],
    model_name: &str,
    new_model: F,
    budget: &Budget,
    threads: usize,
    infer_orders: bool,
) -> Result<Report, ModelError>
where
    M: Model + Send,
    F: Fn() -> M,
{
    let started = Instant::now();
    let limits = Limits {
        max_states: budget.max_states,
        max_memo_bytes: budget.max_memo_bytes,
        deadline: budget.max_time.map(|limit| (started + limit, limit)),
        infer_orders,
    };
    let problems = problem::by_key(ops)
        .into_iter()
        .map(|(key, key_ops)| problem::prepare_key(key, key_ops, new_model()))
        .collect::<Result<Vec<_>, _>>()?;
    let keys = solve_all(problems, limits, threads);
    Ok(Report {
        validity: Validity::all(keys.iter().map(|key| key.validity)),
        model: model_name.to_string(),
        unknown_cause: keys.iter().find_map(|key| key.unknown_cause.clone()),
        stats: Stats {
            ops: keys.iter().map(|key| key.ops).sum(),
            keys: keys.len(),
            memo_entries: keys
                .iter()
                .map(|key| key.memo_entries + key.explain_memo_entries)
                .sum(),
            elapsed_ns: u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
        },
        keys,
    })
}

/// Below this many operations in all, keys are checked on the calling
/// thread: starting threads would cost more than they save.
const PARALLEL_MIN_OPS: usize = 1000;

/// Solves every key's problem on up to `threads` threads; the reports come
/// back in key order whatever the thread count.
fn solve_all<M: Model + Send>(
    problems: Vec<KeyProblem<'_, M>>,
    limits: Limits,
    threads: usize,
) -> Vec<KeyReport> {
    let count = problems.len();
    let op_count: usize = problems.iter().map(|problem| problem.ops.len()).sum();
    let threads = match op_count < PARALLEL_MIN_OPS {
        true => 1,
        false => threads.clamp(1, count.max(1)),
    };
    if threads == 1 {
        return problems
            .into_iter()
            .map(|problem| solve(problem, limits))
            .collect();
    }
    // Biggest keys first, so no thread is left with a big key at the end.
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&index| Reverse(problems[index].ops.len()));
    let slots: Vec<Mutex<Option<KeyProblem<'_, M>>>> =
        problems.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let next = AtomicUsize::new(0);
    let mut reports: Vec<Option<KeyReport>> = vec![None; count];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut solved = Vec::new();
                    loop {
                        let taken = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&index) = order.get(taken) else {
                            return solved;
                        };
                        let problem = slots[index]
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .take()
                            .expect("each key is taken once");
                        solved.push((index, solve(problem, limits)));
                    }
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(solved) => {
                    for (index, report) in solved {
                        reports[index] = Some(report);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    reports
        .into_iter()
        .map(|report| report.expect("every key solved"))
        .collect()
}

/// Searches one key and reports on it.
fn solve<M: Model>(mut problem: KeyProblem<'_, M>, limits: Limits) -> KeyReport {
    let label = key_label(problem.key.as_ref());
    if limits.infer_orders {
        if let Some(report) = inferred::solve(&mut problem, &label, limits) {
            return report;
        }
    }
    if let Some(report) = solve_without_unobserved(&mut problem, &label, limits) {
        return report;
    }
    let mut outcome = Search::new(&mut problem, label.clone(), limits).run();
    let mut report = valid_report(&problem, outcome.memo_entries);
    match std::mem::replace(&mut outcome.verdict, Verdict::Unknown(String::new())) {
        Verdict::Linearizable { .. } => {}
        Verdict::Unknown(cause) => {
            report.validity = Validity::Unknown;
            report.unknown_cause = Some(cause);
        }
        Verdict::NotLinearizable(stuck) => {
            let explanation = explain::explain(&mut problem, &outcome, stuck, &label, limits);
            report.explain_memo_entries = explanation.memo_entries;
            report.validity = Validity::Invalid;
            report.counterexample = Some(counterexample(&problem, explanation));
        }
    }
    report
}

/// The first, cheaper search of a key: without the optional operations
/// nobody observed (see `unobserved.rs`). A report only when it finds a
/// linearization, which then holds for the whole key.
fn solve_without_unobserved<M: Model>(
    problem: &mut KeyProblem<'_, M>,
    label: &str,
    limits: Limits,
) -> Option<KeyReport> {
    let mut lean = problem.without_unobserved()?;
    let limits = unobserved::first_search_limits(limits);
    let outcome = Search::new(&mut lean, label.to_string(), limits).run();
    match outcome.verdict {
        Verdict::Linearizable { .. } => Some(valid_report(problem, outcome.memo_entries)),
        Verdict::NotLinearizable(_) | Verdict::Unknown(_) => None,
    }
}

/// The report of a key found linearizable after `memo_entries` entries.
fn valid_report<M: Model>(problem: &KeyProblem<'_, M>, memo_entries: u64) -> KeyReport {
    KeyReport {
        key: problem.key.clone(),
        validity: Validity::Valid,
        ops: problem.ops.len(),
        skipped_ops: problem.skipped,
        memo_entries,
        explain_memo_entries: 0,
        unknown_cause: None,
        counterexample: None,
        inferred: false,
    }
}

/// The counterexample of `explanation`, in the history's terms.
fn counterexample<M: Model>(
    problem: &KeyProblem<'_, M>,
    explanation: explain::Explanation<M::State>,
) -> Counterexample {
    let stuck = explanation.stuck;
    let mut states: Vec<_> = stuck
        .states
        .iter()
        .map(|&state| problem.model.describe(state))
        .collect();
    states.sort();
    states.dedup();
    Counterexample {
        key: problem.key.clone(),
        failed_op: problem.ops[stuck.op].clone(),
        reason: None,
        prefix: stuck
            .prefix
            .iter()
            .map(|&op| problem.ops[op].clone())
            .collect(),
        states,
        all_states: explanation.all_states,
    }
}
