//! The ways availability fails, and how each reads in a report.

use crate::verdict::Validity;
use histories::{NodeId, Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One way availability failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum AvailabilityProblem {
    /// After the heal, with a stable leader known to every node,
    /// operations took longer than the bound (or never completed).
    SlowAfterHeal {
        /// From when on operations were judged.
        stable_since_ns: u64,
        /// The bound each had.
        bound_ns: u64,
        /// How many missed it.
        count: usize,
        /// The first few of them, in invoke order.
        ops: Vec<Operation>,
    },
    /// The quiet period completed far fewer operations than its clients
    /// could have run.
    ThroughputCollapsed {
        /// The judged stretch of the quiet period.
        from_ns: u64,
        /// Its end.
        to_ns: u64,
        /// Operations invoked in it that completed.
        completed: u64,
        /// The fewest the clients should have completed.
        minimum: u64,
    },
    /// A clean majority elected no leader among itself in time.
    NoLeaderInMajority {
        /// The majority.
        members: Vec<NodeId>,
        /// When it formed.
        start_ns: u64,
        /// The end of the time it had.
        bound_end_ns: u64,
    },
    /// A leader of a clean majority did not commit an entry it appended.
    UncommittedInMajority {
        /// The majority.
        members: Vec<NodeId>,
        /// The leader.
        leader: NodeId,
        /// Its term.
        term: u64,
        /// The entry's index.
        index: u64,
        /// When it was appended.
        appended_ns: u64,
        /// The time it had.
        bound_ns: u64,
    },
    /// Reads were asked of a clean majority, and it answered none.
    NoReadInMajority {
        /// The majority.
        members: Vec<NodeId>,
        /// From when on reads were judged.
        from_ns: u64,
        /// The end of the majority.
        end_ns: u64,
        /// `get`s invoked with their whole lifetime inside.
        gets: usize,
    },
    /// A member of a clean majority stood for election sooner after
    /// granting a vote than an election timeout allows (Figure 2).
    StoodTooSoonAfterVoting {
        /// The voter.
        node: NodeId,
        /// The term it voted in.
        voted_term: u64,
        /// When it voted.
        voted_ns: u64,
        /// The term it then stood for.
        stood_term: u64,
        /// When it became a candidate.
        stood_ns: u64,
        /// The least it had to wait.
        bound_ns: u64,
    },
}

impl AvailabilityProblem {
    /// Every problem is a proven failure.
    pub fn validity(&self) -> Validity {
        Validity::Invalid
    }
}

/// Nanoseconds as milliseconds with three decimals, like the trace.
pub(crate) struct Millis(pub u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ms, us) = (self.0 / 1_000_000, (self.0 / 1_000) % 1_000);
        write!(f, "{ms}.{us:03}ms")
    }
}

struct Nodes<'a>(&'a [NodeId]);

impl fmt::Display for Nodes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(|n| format!("n{n}")).collect();
        write!(f, "[{}]", names.join(" "))
    }
}

impl fmt::Display for AvailabilityProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AvailabilityProblem::SlowAfterHeal {
                stable_since_ns,
                bound_ns,
                count,
                ops,
            } => {
                write!(
                    f,
                    "{count} operation(s) invoked after the heal, with a stable leader from {}, took longer than {}",
                    Millis(*stable_since_ns),
                    Millis(*bound_ns)
                )?;
                write_ops(f, ops, *count)
            }
            AvailabilityProblem::ThroughputCollapsed {
                from_ns,
                to_ns,
                completed,
                minimum,
            } => write!(
                f,
                "throughput collapsed after the heal: {completed} operation(s) completed between {} and {}, at least {minimum} expected",
                Millis(*from_ns),
                Millis(*to_ns)
            ),
            AvailabilityProblem::NoLeaderInMajority {
                members,
                start_ns,
                bound_end_ns,
            } => write!(
                f,
                "the clean majority {} from {} elected no leader by {}",
                Nodes(members),
                Millis(*start_ns),
                Millis(*bound_end_ns)
            ),
            AvailabilityProblem::UncommittedInMajority {
                members,
                leader,
                term,
                index,
                appended_ns,
                bound_ns,
            } => write!(
                f,
                "leader n{leader} (term {term}) of the clean majority {} did not commit index {index}, appended at {}, within {}",
                Nodes(members),
                Millis(*appended_ns),
                Millis(*bound_ns)
            ),
            AvailabilityProblem::NoReadInMajority {
                members,
                from_ns,
                end_ns,
                gets,
            } => write!(
                f,
                "the clean majority {} served no read between {} and {} ({gets} get(s) asked)",
                Nodes(members),
                Millis(*from_ns),
                Millis(*end_ns)
            ),
            AvailabilityProblem::StoodTooSoonAfterVoting {
                node,
                voted_term,
                voted_ns,
                stood_term,
                stood_ns,
                bound_ns,
            } => write!(
                f,
                "n{node} granted its vote in term {voted_term} at {} and stood for term {stood_term} at {}, {} later: granting a vote restarts the election timer, so it must wait at least {} (Figure 2)",
                Millis(*voted_ns),
                Millis(*stood_ns),
                Millis(stood_ns - voted_ns),
                Millis(*bound_ns)
            ),
        }
    }
}

fn write_ops(f: &mut fmt::Formatter<'_>, ops: &[Operation], count: usize) -> fmt::Result {
    for op in ops {
        let text = histories::OpText(op);
        write!(
            f,
            "\n    {text}: invoked at {}, ",
            Millis(op.invoke_time_ns)
        )?;
        match (op.complete_time_ns, op.outcome) {
            (Some(done), Outcome::Info) => write!(f, "info at {}", Millis(done))?,
            (Some(done), _) => write!(
                f,
                "done at {} ({})",
                Millis(done),
                Millis(done - op.invoke_time_ns)
            )?,
            (None, _) => f.write_str("never completed")?,
        }
    }
    if count > ops.len() {
        write!(f, "\n    … and {} more", count - ops.len())?;
    }
    Ok(())
}
