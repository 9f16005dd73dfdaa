//! What the safety checker says: violations with the events that prove them.

use super::invariant::Invariant;
use crate::verdict::Validity;
use histories::{NodeId, Trace, TraceEvent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How many violations of one invariant a report spells out. A broken
/// invariant usually breaks again and again after its first breach; the
/// first few say everything, the rest are only counted.
pub const MAX_VIOLATIONS_PER_INVARIANT: usize = 3;

/// One proven breach of an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The invariant broken.
    pub invariant: Invariant,
    /// What happened, in one sentence.
    pub message: String,
    /// The nodes involved, ascending.
    pub nodes: Vec<NodeId>,
    /// The term the breach is about, when there is one.
    pub term: Option<u64>,
    /// The log index the breach is about, when there is one.
    pub index: Option<u64>,
    /// The events that prove it: positions in `trace.events` (ascending)
    /// with the events themselves, so a report prints without the trace.
    pub events: Vec<(usize, TraceEvent)>,
}

impl fmt::Display for Violation {
    /// A paragraph: the invariant and the message, then what it names, then
    /// one proving event a line (with its trace position). No final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}\n  nodes:", self.invariant, self.message)?;
        for node in &self.nodes {
            write!(f, " n{node}")?;
        }
        if let Some(term) = self.term {
            write!(f, "  term: {term}")?;
        }
        if let Some(index) = self.index {
            write!(f, "  index: {index}")?;
        }
        for (position, event) in &self.events {
            write!(f, "\n    #{position:<6} {event}")?;
        }
        Ok(())
    }
}

/// The verdict of [`check_safety`](super::check_safety) over one trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyReport {
    /// `Invalid` when any invariant is broken, `Valid` otherwise.
    pub validity: Validity,
    /// The first violations found, in trace order, at most
    /// [`MAX_VIOLATIONS_PER_INVARIANT`] per invariant.
    pub violations: Vec<Violation>,
    /// How many violations of each broken invariant were found in all,
    /// spelled out or not. Empty when the trace is valid.
    pub counts: BTreeMap<Invariant, u64>,
    /// How many trace events were read.
    pub events_checked: usize,
}

impl SafetyReport {
    /// True when no invariant is broken.
    pub fn is_valid(&self) -> bool {
        self.validity == Validity::Valid
    }

    /// The broken invariants, each once, in [`Invariant::ALL`] order.
    pub fn violated_invariants(&self) -> impl Iterator<Item = Invariant> + '_ {
        self.counts.keys().copied()
    }

    /// The spelled-out violations of one invariant.
    pub fn violations_of(&self, invariant: Invariant) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(move |violation| violation.invariant == invariant)
    }
}

impl fmt::Display for SafetyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "safety: {} ({} events checked)",
            self.validity, self.events_checked
        )?;
        for (invariant, count) in &self.counts {
            let shown = self.violations_of(*invariant).count();
            write!(f, "\n  {invariant}: {count} violation(s)")?;
            if (shown as u64) < *count {
                write!(f, ", first {shown} shown")?;
            }
        }
        for violation in &self.violations {
            write!(f, "\n\n{violation}")?;
        }
        Ok(())
    }
}

/// A violation before its events are copied out of the trace.
pub(crate) struct Draft {
    pub message: String,
    pub nodes: Vec<NodeId>,
    pub term: Option<u64>,
    pub index: Option<u64>,
    /// Positions in the trace; order and repeats do not matter.
    pub events: Vec<usize>,
}

/// Collects violations, keeping the first few of each invariant.
///
/// Callers hand a closure that builds the [`Draft`], so a violation past
/// the cap costs a counter increment and no formatting.
pub(crate) struct Recorder<'t> {
    trace: &'t Trace,
    violations: Vec<Violation>,
    found: [u64; Invariant::ALL.len()],
}

impl<'t> Recorder<'t> {
    pub fn new(trace: &'t Trace) -> Recorder<'t> {
        Recorder {
            trace,
            violations: Vec::new(),
            found: [0; Invariant::ALL.len()],
        }
    }

    /// Counts a violation of `invariant`, and spells it out if the cap
    /// allows.
    pub fn report(&mut self, invariant: Invariant, draft: impl FnOnce() -> Draft) {
        let found = &mut self.found[invariant.ordinal()];
        *found += 1;
        if *found > MAX_VIOLATIONS_PER_INVARIANT as u64 {
            return;
        }
        let Draft {
            message,
            mut nodes,
            term,
            index,
            events: mut positions,
        } = draft();
        nodes.sort_unstable();
        nodes.dedup();
        positions.sort_unstable();
        positions.dedup();
        let events = positions
            .into_iter()
            .filter_map(|position| Some((position, self.trace.events.get(position)?.clone())))
            .collect();
        self.violations.push(Violation {
            invariant,
            message,
            nodes,
            term,
            index,
            events,
        });
    }

    pub fn finish(self) -> SafetyReport {
        let counts: BTreeMap<Invariant, u64> = Invariant::ALL
            .into_iter()
            .map(|invariant| (invariant, self.found[invariant.ordinal()]))
            .filter(|&(_, count)| count > 0)
            .collect();
        SafetyReport {
            validity: if counts.is_empty() {
                Validity::Valid
            } else {
                Validity::Invalid
            },
            violations: self.violations,
            counts,
            events_checked: self.trace.events.len(),
        }
    }
}
