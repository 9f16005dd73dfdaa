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
    /// stale entries beyond what the leader verified (Figure 2,
    /// AppendEntries receiver rule 5).
    ///
    /// **Unreachable against raft-core's own leader**, whatever the
    /// network does (loss, duplication, reordering, crashes); its unit test
    /// hand-crafts the message no leader sends. The two bounds differ only
    /// when an *accepted* AppendEntries leaves the follower with entries
    /// past the last new one that differ from the leader's, at indexes the
    /// leader has committed. That never happens:
    /// - The follower accepts only when prevLogIndex matched, so its log
    ///   equals the leader's up to the last new entry (Log Matching).
    /// - The leader's first accepted AppendEntries of a term starts where
    ///   the logs diverge: the exact back-up of nextIndex (to the
    ///   follower's last index + 1, to the first index of the follower's
    ///   conflicting term, or past the leader's own last entry of that
    ///   term, `backed_up_next_index`) lands on a prevLogIndex whose next
    ///   follower entry is missing or of another term, so the first entry
    ///   sent conflicts and the stale suffix is truncated. The one
    ///   exception is a follower longer than the leader, matched at the
    ///   leader's last index: the message carries no entries, and
    ///   leaderCommit ≤ the leader's last index = the last new index.
    /// - After that first acceptance the follower's log is a prefix of the
    ///   leader's (the leader only appends), so every later, delayed or
    ///   duplicated AppendEntries of the term finds past its last new
    ///   entry only the leader's own entries: committing them up to
    ///   leaderCommit is what the correct rule would do a message later.
    /// - AppendEntries of an older term are rejected before the rule runs,
    ///   and a follower's log holds no entry of a term newer than its own.
    ///
    /// [`Bug::CommitOnRejectedAppend`] is the reachable form of the same
    /// mistake (trusting leaderCommit for entries the leader did not
    /// verify).
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
    /// The leader reads the fast back-up hint's first index as the last
    /// index the follower *holds* and resumes one past it, so nextIndex
    /// stops one entry short of the point of divergence (§5.3, "the leader
    /// decrements nextIndex and retries"). The retried prevLogIndex is an
    /// entry the follower lacks or holds in another term: it rejects again
    /// with the same hint, and the leader never gets further. Breaks
    /// liveness, not Log Matching (the follower's consistency check still
    /// guards its log). Exposed by a follower that missed entries (crash or
    /// partition) or holds a deposed leader's uncommitted entries, then a
    /// leader change: that follower is never repaired in the new term, and
    /// with another node down the cluster cannot commit.
    NextIndexBacksUpOneShort,
    /// After one rejected AppendEntries the leader stops sending that
    /// follower anything, heartbeats included, for the rest of its term: it
    /// waits for an answer that only a message of its own could bring
    /// (§5.3: "the leader retries AppendEntries indefinitely"). Exposed by
    /// a follower that must be backed up after a leader change (it missed
    /// entries, or holds stale ones): it never catches up, times out and
    /// disrupts the leader with elections it cannot win; with another node
    /// down the cluster cannot commit at all.
    StopSendingAfterReject,
    /// A follower takes leaderCommit from every AppendEntries, even one
    /// whose consistency check failed: commitIndex = min(leaderCommit, its
    /// last index) over entries the leader never verified (Figure 2,
    /// receiver rules 2 and 5: reply false and stop *before* touching
    /// commitIndex). Exposed by a leader cut off with a minority follower
    /// that accepts writes, then a heal: the new leader's first heartbeat
    /// is rejected but commits and applies the follower's stale entries
    /// where the cluster committed others.
    CommitOnRejectedAppend,
    /// Every election timeout is the configured minimum: the node ignores
    /// its seeded random stream (§5.2: "election timeouts are chosen
    /// randomly ... to ensure that split votes are rare"). Exposed by
    /// nodes whose timers start together — a leader crash seen by all at
    /// once, a heal, a restart of the whole cluster — and symmetric
    /// delays: they time out together, split the vote, and do it again.
    FixedElectionTimeout,
    /// Granting a vote does not reset the voter's election timer (§5.2,
    /// Figure 2: "if election timeout elapses without ... granting vote to
    /// candidate: convert to candidate"). Exposed by a vote granted late in
    /// the voter's timeout, with the new leader's first AppendEntries
    /// delayed (message delay, a slow or paused new leader, clock skew):
    /// the voter starts an election of its own and deposes the leader it
    /// just elected.
    NoTimerResetOnVote,
    /// A candidate whose election fails to finish (a split vote, lost
    /// RequestVotes) never times out again: it does not re-arm its election
    /// timer and waits for votes forever (§5.2: "the candidate times out
    /// and starts a new election"). Exposed by a split vote in which every
    /// node became a candidate, or by a candidate's requests lost to drops
    /// or a partition: with nothing of a newer term to wake them, nobody
    /// ever starts another election.
    CandidateNoRetry,
    /// A follower answers AppendEntries success before the entries are on
    /// its disk: it buffers the log writes and writes them with the next
    /// step (write-behind), breaking Figure 2's "respond to RPCs only after
    /// updating stable storage". Exposed by a follower crash right after
    /// the ack, before its next step: the leader counted the entry toward
    /// a commit, the restarted follower has lost it, and a leader change
    /// among nodes lacking it loses a committed, acknowledged write.
    AckBeforePersist,
    /// A new leader's ReadIndex uses its commitIndex as it is, without
    /// waiting for the first entry of its own term to commit (§8 of the
    /// extended paper; §6.4 of Ongaro's dissertation): that commitIndex may
    /// lag what the previous leader committed and acknowledged. Exposed by
    /// a leader change right after a commit (the new leader learned the
    /// entry but not its commit), a read at the new leader at once, and a
    /// heartbeat round confirmed by followers that cannot yet store the
    /// no-op (they are behind and reject, or get a batch that stops
    /// short): the read misses the acknowledged write.
    ReadIndexBeforeTermCommit,
    /// A retried write whose entry is still waiting in the leader's log is
    /// answered "done" at once from the session check ("it is in my log,
    /// so it will happen") instead of with the recorded result once it is
    /// applied (§8: a client request is answered after the entry is
    /// committed and applied; the session only dedups). Exposed by a write
    /// that cannot commit for a client's attempt timeout (a partitioned
    /// leader, a crashed majority), a retry that reaches the leader, and
    /// then a leader change that truncates the entry — or a cas whose
    /// precondition fails when it is applied.
    SessionReplyBeforeApply,
    /// A leader silently drops a client write whenever another write (of
    /// any client) is still waiting to be applied, instead of appending it
    /// too (§8: the leader appends every command to its log). Nothing is
    /// lost for good: the client times out, retries, and gets through once
    /// the leader is idle. An availability bug, exposed by concurrent
    /// writers and slow commits (latency, a lagging majority). No safety
    /// check can see it; an availability oracle (operations far slower than
    /// the cluster allows) sees every dropped write, and the liveness check
    /// the writes whose every retry found the leader busy until the
    /// client's deadline, after the cluster had settled.
    DropWriteWhenPending,
}

/// Static facts about a bug.
struct BugInfo {
    name: &'static str,
    description: &'static str,
}

impl Bug {
    /// Every planted bug, in a stable order.
    pub const ALL: [Bug; 22] = [
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
        Bug::NextIndexBacksUpOneShort,
        Bug::StopSendingAfterReject,
        Bug::CommitOnRejectedAppend,
        Bug::FixedElectionTimeout,
        Bug::NoTimerResetOnVote,
        Bug::CandidateNoRetry,
        Bug::AckBeforePersist,
        Bug::ReadIndexBeforeTermCommit,
        Bug::SessionReplyBeforeApply,
        Bug::DropWriteWhenPending,
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
            Bug::NextIndexBacksUpOneShort => (
                "next-index-backs-up-one-short",
                "leader backs nextIndex up to one past the conflict hint: never repairs the follower",
            ),
            Bug::StopSendingAfterReject => (
                "stop-sending-after-reject",
                "leader stops sending AppendEntries to a follower that rejected one",
            ),
            Bug::CommitOnRejectedAppend => (
                "commit-on-rejected-append",
                "follower takes leaderCommit from an AppendEntries it rejected",
            ),
            Bug::FixedElectionTimeout => (
                "fixed-election-timeout",
                "election timeouts are not randomized (split votes repeat)",
            ),
            Bug::NoTimerResetOnVote => (
                "no-timer-reset-on-vote",
                "granting a vote does not reset the election timer",
            ),
            Bug::CandidateNoRetry => (
                "candidate-no-retry",
                "a candidate never times out to start another election",
            ),
            Bug::AckBeforePersist => (
                "ack-before-persist",
                "follower acknowledges entries before writing them to disk",
            ),
            Bug::ReadIndexBeforeTermCommit => (
                "read-index-before-term-commit",
                "ReadIndex does not wait for the leader's first commit in its term",
            ),
            Bug::SessionReplyBeforeApply => (
                "session-reply-before-apply",
                "a retry of a write still in the log is answered done before it applies",
            ),
            Bug::DropWriteWhenPending => (
                "drop-write-when-pending",
                "leader silently drops writes while another write is pending",
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

    /// Why the rest of raft-core makes this bug unreachable, if it does
    /// (the full argument is on the variant).
    pub fn unreachable(self) -> Option<&'static str> {
        match self {
            Bug::CommitWithoutMin => Some(
                "with the exact back-up of nextIndex, a term's first accepted AppendEntries \
                 truncates the follower's stale suffix, so past the last new entry it only ever \
                 holds the leader's own entries: committing them is what the min rule does a \
                 message later",
            ),
            _ => None,
        }
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
                "next-index-backs-up-one-short",
                "stop-sending-after-reject",
                "commit-on-rejected-append",
                "fixed-election-timeout",
                "no-timer-reset-on-vote",
                "candidate-no-retry",
                "ack-before-persist",
                "read-index-before-term-commit",
                "session-reply-before-apply",
                "drop-write-when-pending",
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
