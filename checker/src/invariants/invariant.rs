//! The safety properties the trace checker knows, by name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One safety property of Raft that a cluster trace can break.
///
/// The first five are the properties of Figure 3 of the Raft paper; the
/// next four are per-node rules whose breach is how most of those five
/// breaches begin (a node that forgets its term or its vote, a commit index
/// that moves backwards, an entry applied before it is committed); the last
/// is the rule Election Safety rests on: a leader was voted in by a
/// majority of its term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// At most one leader per term.
    ElectionSafety,
    /// A leader never overwrites or deletes entries of its own log.
    LeaderAppendOnly,
    /// Two logs holding an entry with the same index and term hold the same
    /// command there and are identical up to it.
    LogMatching,
    /// An entry committed in a term is in the log of every leader of every
    /// later term.
    LeaderCompleteness,
    /// No two different entries are ever applied at one index.
    StateMachineSafety,
    /// A node's currentTerm never decreases, restarts included.
    MonotonicTerm,
    /// A node votes for at most one candidate per term, restarts included.
    SingleVote,
    /// A node's commitIndex never decreases while it runs.
    MonotonicCommit,
    /// A node applies entries in order, without gaps, and only committed
    /// ones.
    AppliedWithinCommit,
    /// A node becomes leader of a term only once a majority of the cluster
    /// voted for it in that term. The cluster is the nodes the trace shows,
    /// which can only be fewer than the real one: the check may be too
    /// lenient, never too strict.
    ElectedByQuorum,
}

impl Invariant {
    /// Every invariant, in a stable order (the order reports use).
    pub const ALL: [Invariant; 10] = [
        Invariant::ElectionSafety,
        Invariant::LeaderAppendOnly,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::StateMachineSafety,
        Invariant::MonotonicTerm,
        Invariant::SingleVote,
        Invariant::MonotonicCommit,
        Invariant::AppliedWithinCommit,
        Invariant::ElectedByQuorum,
    ];

    /// The stable kebab-case name (`election-safety`, ...), as used in
    /// verdicts, JUnit reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "election-safety",
            Invariant::LeaderAppendOnly => "leader-append-only",
            Invariant::LogMatching => "log-matching",
            Invariant::LeaderCompleteness => "leader-completeness",
            Invariant::StateMachineSafety => "state-machine-safety",
            Invariant::MonotonicTerm => "monotonic-term",
            Invariant::SingleVote => "single-vote",
            Invariant::MonotonicCommit => "monotonic-commit",
            Invariant::AppliedWithinCommit => "applied-within-commit",
            Invariant::ElectedByQuorum => "elected-by-quorum",
        }
    }

    /// The invariant of a stable name, if there is one.
    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|inv| inv.name() == name)
    }

    /// One line saying what the invariant demands.
    pub fn description(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "at most one leader is elected in a term",
            Invariant::LeaderAppendOnly => {
                "a leader never overwrites or deletes entries of its log during its term"
            }
            Invariant::LogMatching => {
                "logs holding an entry with the same index and term are identical up to it"
            }
            Invariant::LeaderCompleteness => {
                "an entry committed in a term is in the log of every leader of a later term"
            }
            Invariant::StateMachineSafety => {
                "no two different entries are applied at the same index, on any node, ever"
            }
            Invariant::MonotonicTerm => "a node's currentTerm never decreases, across restarts too",
            Invariant::SingleVote => {
                "a node votes for at most one candidate per term, across restarts too"
            }
            Invariant::MonotonicCommit => "a node's commitIndex never decreases while it runs",
            Invariant::AppliedWithinCommit => {
                "a node applies entries 1, 2, 3… in order, never beyond its commitIndex"
            }
            Invariant::ElectedByQuorum => {
                "a node becomes leader of a term only after a majority voted for it in that term"
            }
        }
    }

    /// Position in [`Invariant::ALL`], for per-invariant tables.
    pub(crate) fn ordinal(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_unique_and_round_trip() {
        for (position, invariant) in Invariant::ALL.into_iter().enumerate() {
            assert_eq!(invariant.ordinal(), position);
            assert_eq!(Invariant::from_name(invariant.name()), Some(invariant));
            let json = serde_json::to_string(&invariant).unwrap();
            assert_eq!(json, format!("\"{}\"", invariant.name()));
            assert!(!invariant.description().is_empty());
        }
        assert_eq!(Invariant::from_name("no-such-rule"), None);
    }
}
