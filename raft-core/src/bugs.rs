//! Planted bugs: named switches that break one rule of the protocol each.
//!
//! They exist so the checker can prove it catches every class of Raft bug,
//! and so users can see what a failure looks like before they meet one in
//! their own implementation. All are off by default. Each one is a single
//! guarded branch (`if self.config.bugs.has(Bug::...)`) at the place its rule
//! lives, so grepping for a variant finds exactly the code it changes.
//!
//! Adding a bug costs three lines here (variant, entry in [`Bug::ALL`], name
//! and description in `Bug::info`) plus its branch and a unit test.

pub use replica::UnknownBug;

/// One planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Bug {
    /// Grant a vote without the §5.4.1 check that the candidate's log is at
    /// least as up-to-date as the voter's: a leader can be elected without
    /// committed entries, and then overwrite them.
    VoteWithoutLogCheck,
    /// Grant a vote to every candidate that asks, even after voting for
    /// another in the same term: two leaders in one term.
    VoteTwice,
    /// Commit an entry of a previous term as soon as it is on a majority
    /// (the Figure 8 mistake, §5.4.2): a later leader may overwrite it.
    CommitPreviousTerm,
    /// Answer a read from the leader's local state at once, without first
    /// confirming with a majority that it is still the leader: a deposed
    /// leader serves stale reads.
    ReadWithoutQuorum,
    /// Lose votedFor across a restart: the node can vote twice in a term.
    ForgetVoteOnRestart,
    /// Lose currentTerm (and votedFor) across a restart: the term goes
    /// backwards and old-term votes and leaders reappear.
    ForgetTermOnRestart,
    /// On AppendEntries, drop every entry after prevLogIndex before
    /// appending, even when they match: a delayed message erases entries the
    /// leader already counted as replicated.
    TruncateWithoutConflict,
    /// Follower sets commitIndex = min(leaderCommit, its own last index)
    /// instead of min(leaderCommit, index of the last new entry): it commits
    /// stale entries beyond what the leader verified.
    CommitWithoutMin,
    /// A candidate counts granted votes from responses of an older term
    /// (from an earlier election it ran).
    CountStaleVotes,
    /// The state machine applies a retried request again instead of
    /// answering with the result recorded in the client's session.
    NoSessionDedup,
    /// A leader (or candidate) that sees a newer term in a response neither
    /// steps down nor discards the response: it keeps acting on it as if it
    /// were of its own term.
    IgnoreNewerTermInResponse,
    /// Apply entries to the state machine as soon as they are in the log,
    /// before they are committed.
    ApplyBeforeCommit,
}

/// Static facts about a bug.
struct BugInfo {
    name: &'static str,
    description: &'static str,
}

impl Bug {
    /// Every planted bug, in a stable order.
    pub const ALL: [Bug; 12] = [
        Bug::VoteWithoutLogCheck,
        Bug::VoteTwice,
        Bug::CommitPreviousTerm,
        Bug::ReadWithoutQuorum,
        Bug::ForgetVoteOnRestart,
        Bug::ForgetTermOnRestart,
        Bug::TruncateWithoutConflict,
        Bug::CommitWithoutMin,
        Bug::CountStaleVotes,
        Bug::NoSessionDedup,
        Bug::IgnoreNewerTermInResponse,
        Bug::ApplyBeforeCommit,
    ];

    fn info(self) -> BugInfo {
        let (name, description) = match self {
            Bug::VoteWithoutLogCheck => (
                "vote-without-log-check",
                "grant votes without the 5.4.1 up-to-date log check",
            ),
            Bug::VoteTwice => ("vote-twice", "grant more than one vote in a term"),
            Bug::CommitPreviousTerm => (
                "commit-previous-term",
                "commit previous-term entries by counting replicas (Figure 8)",
            ),
            Bug::ReadWithoutQuorum => (
                "read-without-quorum",
                "serve reads from local state without confirming leadership",
            ),
            Bug::ForgetVoteOnRestart => {
                ("forget-vote-on-restart", "lose votedFor across a restart")
            }
            Bug::ForgetTermOnRestart => (
                "forget-term-on-restart",
                "lose currentTerm across a restart",
            ),
            Bug::TruncateWithoutConflict => (
                "truncate-without-conflict",
                "truncate the log on AppendEntries even without a conflict",
            ),
            Bug::CommitWithoutMin => (
                "commit-without-min",
                "follower commitIndex = leaderCommit, without min(index of last new entry)",
            ),
            Bug::CountStaleVotes => (
                "count-stale-votes",
                "candidate counts votes granted in older terms",
            ),
            Bug::NoSessionDedup => (
                "no-session-dedup",
                "apply retried client requests again (no session dedup)",
            ),
            Bug::IgnoreNewerTermInResponse => (
                "ignore-newer-term-in-response",
                "leader does not step down on a newer term in a response",
            ),
            Bug::ApplyBeforeCommit => (
                "apply-before-commit",
                "apply entries before they are committed",
            ),
        };
        BugInfo { name, description }
    }

    /// The stable kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// One line saying what rule the bug breaks.
    pub fn description(self) -> &'static str {
        self.info().description
    }
}

replica::planted_bugs!(Bug, "raft-core");

/// A set of planted bugs; empty by default. In JSON it is the list of
/// names, in [`Bug::ALL`] order.
pub type BugSet = replica::BugSet<Bug>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_unique_and_parse_back() {
        let names: Vec<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
        assert_eq!(
            names,
            [
                "vote-without-log-check",
                "vote-twice",
                "commit-previous-term",
                "read-without-quorum",
                "forget-vote-on-restart",
                "forget-term-on-restart",
                "truncate-without-conflict",
                "commit-without-min",
                "count-stale-votes",
                "no-session-dedup",
                "ignore-newer-term-in-response",
                "apply-before-commit",
            ]
        );
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            assert!(!bug.description().is_empty());
        }
        let err = "vote-thrice".parse::<Bug>().unwrap_err().to_string();
        assert!(err.contains("unknown raft-core bug 'vote-thrice'") && err.contains("vote-twice"));
    }

    #[test]
    fn bug_sets_serialize_as_name_lists() {
        let set: BugSet = [Bug::ApplyBeforeCommit, Bug::VoteTwice]
            .into_iter()
            .collect();
        assert!(set.has(Bug::VoteTwice) && !set.has(Bug::CommitPreviousTerm));
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["vote-twice","apply-before-commit"]"#);
        assert_eq!(serde_json::from_str::<BugSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<BugSet>(r#"["nope"]"#).is_err());
    }
}
