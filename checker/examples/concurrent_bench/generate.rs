//! Concurrent single-key histories, linearizable by construction, with an
//! optional planted anomaly.
//!
//! A deterministic simulation of a linearizable kv store: `clients`
//! clients each call get (50%), append (35%) or put (15%) on one key, one
//! call at a time, with random think times and latencies; each call takes
//! effect at a random instant between its invoke and its completion, and
//! results are worked out by applying the calls in the order of those
//! instants. Every written value is unique (puts write `p17.`, appends
//! append `17,`). With `info`, 5% of calls time out: the client gives up
//! (an `info` completion, and a fresh process, as Jepsen does), and the
//! call takes effect later — up to three latencies after its invoke — or
//! never, even odds.

use histories::{Function, History, Op, OpType, Process, Value};
use rand::Rng;
use rand_pcg::Pcg64;

/// What the generator is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub clients: usize,
    pub ops: usize,
    pub info: bool,
    /// Whether 10% of calls are compare-and-sets (expecting the value last
    /// written when they are issued, so some are rejected).
    pub cas: bool,
    pub seed: u64,
}

/// The anomalies that can be planted, one per history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// A read returns the value a put, completed before the read began,
    /// had overwritten.
    StaleRead,
    /// A read misses an append that completed before it began (and after
    /// the put its value starts with completed).
    LostWrite,
    /// A read sees two appends swapped, the second of which began only
    /// after the first completed.
    ReorderedAppends,
    /// A read returns a value nobody wrote.
    NeverWritten,
    /// A read returns the value of a timed-out put invoked only after the
    /// read completed.
    InfoObservedEarly,
}

impl Anomaly {
    pub const ALL: [Anomaly; 5] = [
        Anomaly::StaleRead,
        Anomaly::LostWrite,
        Anomaly::ReorderedAppends,
        Anomaly::NeverWritten,
        Anomaly::InfoObservedEarly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Anomaly::StaleRead => "stale-read",
            Anomaly::LostWrite => "lost-write",
            Anomaly::ReorderedAppends => "reordered-appends",
            Anomaly::NeverWritten => "never-written",
            Anomaly::InfoObservedEarly => "info-observed-early",
        }
    }

    pub fn parse(name: &str) -> Option<Anomaly> {
        Anomaly::ALL
            .into_iter()
            .find(|anomaly| anomaly.name() == name)
    }
}

/// One simulated call.
#[derive(Clone, Debug)]
pub struct Call {
    pub process: u64,
    pub f: Function,
    pub input: Value,
    pub output: Value,
    pub invoke: u64,
    pub complete: u64,
    /// When it took effect, if it did.
    pub effect: Option<u64>,
    pub timed_out: bool,
    /// A cas whose expected value was not there when it took effect.
    pub rejected: bool,
    /// For reads: the calls whose effects the value shows (its put, if
    /// any, then its appends); for puts: those of the value they
    /// overwrote.
    pub seen: Vec<usize>,
}

/// The calls of a linearizable history of `shape`, in invoke order.
pub fn simulate(shape: Shape) -> Vec<Call> {
    let mut rng = Pcg64::new(0x5eed_0000 ^ u128::from(shape.seed), 0xa02b_dbf7_bb3c_0a7a);
    let mut free_at: Vec<u64> = (0..shape.clients)
        .map(|_| rng.gen_range(0..1_000_000))
        .collect();
    let mut process: Vec<u64> = (0..shape.clients as u64).collect();
    let mut next_process = shape.clients as u64;
    let mut calls = Vec::with_capacity(shape.ops);
    let mut last_written = Value::Nil;
    for n in 0..shape.ops {
        let client = (0..shape.clients).min_by_key(|&c| (free_at[c], c)).unwrap();
        let invoke = free_at[client] + rng.gen_range(0..2_000_000);
        let latency = rng.gen_range(200_000..20_000_000u64);
        let timed_out = shape.info && rng.gen_bool(0.05);
        let (f, input) = match (rng.gen_range(0..100), shape.cas) {
            (0..=49, false) | (0..=44, true) => (Function::Get, Value::Nil),
            (50..=84, false) | (45..=74, true) => (Function::Append, Value::Str(format!("{n},"))),
            (_, false) | (75..=89, true) => (Function::Put, Value::Str(format!("p{n}."))),
            (_, true) => {
                let new = Value::Str(format!("c{n}."));
                let expected = std::mem::replace(&mut last_written, new.clone());
                (Function::Cas, Value::List(vec![expected, new]))
            }
        };
        if f == Function::Put {
            last_written = input.clone();
        }
        let effect = match timed_out {
            false => Some(invoke + rng.gen_range(0..=latency)),
            true if rng.gen_bool(0.5) => Some(invoke + rng.gen_range(0..=3 * latency)),
            true => None,
        };
        calls.push(Call {
            process: process[client],
            f,
            input,
            output: Value::Nil,
            invoke,
            complete: invoke + latency,
            effect,
            timed_out,
            rejected: false,
            seen: Vec::new(),
        });
        free_at[client] = invoke + latency;
        if timed_out {
            process[client] = next_process;
            next_process += 1;
        }
    }
    apply_in_effect_order(&mut calls);
    calls
}

/// Works out every result by applying the calls in the order they took
/// effect.
fn apply_in_effect_order(calls: &mut [Call]) {
    let mut order: Vec<usize> = (0..calls.len())
        .filter(|&i| calls[i].effect.is_some())
        .collect();
    order.sort_by_key(|&i| (calls[i].effect, i));
    let mut value = Value::Nil;
    let mut seen: Vec<usize> = Vec::new();
    for i in order {
        let call = &mut calls[i];
        match call.f {
            Function::Get => {
                call.output = value.clone();
                call.seen = seen.clone();
            }
            Function::Put => {
                value = call.input.clone();
                call.seen = std::mem::replace(&mut seen, vec![i]);
            }
            Function::Cas => {
                let (expected, new) = call.input.as_pair().expect("a pair");
                call.rejected = *expected != value;
                if !call.rejected {
                    value = new.clone();
                    call.seen = std::mem::replace(&mut seen, vec![i]);
                }
            }
            _ => {
                let (Value::Str(suffix), Value::Str(text)) = (&call.input, &mut value) else {
                    value = call.input.clone();
                    seen.push(i);
                    continue;
                };
                text.push_str(suffix);
                seen.push(i);
            }
        }
    }
}

/// Plants `anomaly` in one read; false when the history offers no place
/// for it.
pub fn plant(calls: &mut [Call], anomaly: Anomaly, seed: u64) -> bool {
    plant_at(calls, anomaly, seed).is_some()
}

/// Plants `anomaly` in one read and returns which, or `None` when the
/// history offers no place for it.
pub fn plant_at(calls: &mut [Call], anomaly: Anomaly, seed: u64) -> Option<usize> {
    let mut rng = Pcg64::new(0xbad ^ u128::from(seed), 0x5851_f42d_4c95_7f2d);
    let reads: Vec<usize> = (0..calls.len())
        .filter(|&i| calls[i].f == Function::Get && !calls[i].timed_out)
        .collect();
    // Start from a random read in the middle half and take the first fit.
    let start = calls.len() / 4 + rng.gen_range(0..calls.len() / 2 + 1);
    let mut candidates = reads
        .iter()
        .copied()
        .filter(|&r| r >= start)
        .chain(reads.iter().copied());
    let planted = |r: usize, calls: &mut [Call]| match anomaly {
        Anomaly::NeverWritten => {
            calls[r].output = Value::str("nobody wrote this.");
            Some(())
        }
        Anomaly::StaleRead => stale(calls, r),
        Anomaly::LostWrite => lost(calls, r),
        Anomaly::ReorderedAppends => reorder(calls, r),
        Anomaly::InfoObservedEarly => early(calls, r),
    };
    candidates.find(|&r| planted(r, calls).is_some())
}

/// The value made by the calls `seen` (a put, if first, then appends).
fn spell(calls: &[Call], seen: &[usize]) -> Value {
    let mut value = Value::Nil;
    for &i in seen {
        value = match (&calls[i].f, value) {
            (Function::Append, Value::Str(text)) => Value::Str(text + text_of(&calls[i].input)),
            (Function::Cas, _) => calls[i].input.as_pair().expect("a pair").1.clone(),
            _ => calls[i].input.clone(),
        };
    }
    value
}

/// The read returns what a put, completed before it began, overwrote —
/// a value all of whose writes completed before that put began.
fn stale(calls: &mut [Call], read: usize) -> Option<()> {
    let put = (0..read).rev().find(|&w| {
        let settled = calls[w]
            .seen
            .iter()
            .all(|&s| !calls[s].timed_out && calls[s].complete < calls[w].invoke);
        calls[w].f == Function::Put
            && !calls[w].timed_out
            && calls[w].complete < calls[read].invoke
            && settled
            && spell(calls, &calls[w].seen) != calls[read].output
    })?;
    calls[read].output = spell(calls, &calls[put].seen);
    Some(())
}

/// The read misses one append of its value that began after the value's
/// put completed (a put that did not time out, so it certainly took
/// effect by then) and completed before the read began.
fn lost(calls: &mut [Call], read: usize) -> Option<()> {
    let seen = &calls[read].seen;
    let put = seen
        .first()
        .filter(|&&w| matches!(calls[w].f, Function::Put | Function::Cas));
    if put.is_some_and(|&w| calls[w].timed_out) {
        return None; // it may have taken effect after the append
    }
    let opened = put.map(|&w| calls[w].complete);
    let missing = *seen.iter().find(|&&a| {
        calls[a].f == Function::Append
            && !calls[a].timed_out
            && calls[a].complete < calls[read].invoke
            && opened.is_none_or(|done| done < calls[a].invoke)
    })?;
    let kept: Vec<usize> = seen.iter().copied().filter(|&s| s != missing).collect();
    calls[read].output = spell(calls, &kept);
    Some(())
}

/// The read sees two adjacent appends swapped, the later of which began
/// after the earlier completed.
fn reorder(calls: &mut [Call], read: usize) -> Option<()> {
    let seen = &calls[read].seen;
    let at = (1..seen.len()).find(|&k| {
        let (first, second) = (&calls[seen[k - 1]], &calls[seen[k]]);
        first.f == Function::Append && !first.timed_out && first.complete < second.invoke
    })?;
    let mut swapped = seen.clone();
    swapped.swap(at - 1, at);
    calls[read].output = spell(calls, &swapped);
    Some(())
}

/// The read returns the value of a timed-out put invoked after it
/// completed.
fn early(calls: &mut [Call], read: usize) -> Option<()> {
    let put = (read..calls.len()).find(|&w| {
        calls[w].f == Function::Put && calls[w].timed_out && calls[w].invoke > calls[read].complete
    })?;
    calls[read].output = calls[put].input.clone();
    Some(())
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// The calls as a history: an invoke and a completion record each, in
/// time order.
pub fn history(calls: &[Call]) -> History {
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(calls.len() * 2);
    for (i, call) in calls.iter().enumerate() {
        events.push((call.invoke, i, false));
        events.push((call.complete, i, true));
    }
    events.sort_unstable();
    let mut records = Vec::with_capacity(events.len());
    for (index, (time_ns, i, done)) in events.into_iter().enumerate() {
        let call = &calls[i];
        let (kind, value, error) = match (done, call.timed_out, &call.f) {
            (false, _, _) => (OpType::Invoke, call.input.clone(), None),
            (true, true, _) => (OpType::Info, Value::Nil, Some("timed-out".to_string())),
            (true, false, Function::Get) => (OpType::Ok, call.output.clone(), None),
            (true, false, Function::Cas) if call.rejected => (
                OpType::Fail,
                call.input.clone(),
                Some("precondition-failed".to_string()),
            ),
            (true, false, _) => (OpType::Ok, call.input.clone(), None),
        };
        records.push(Op {
            index: index as u64,
            time_ns,
            kind,
            process: Process::Client(call.process),
            f: call.f.clone(),
            key: None,
            value,
            error,
            node: None,
        });
    }
    History::new(records)
}
