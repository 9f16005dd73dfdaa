//! Planted embedder bugs: the mistakes people make when they embed raft-rs,
//! not bugs of raft-rs itself.
//!
//! raft-rs leaves durability, applying and reading to the application that
//! drives its `RawNode` through `Ready`; each bug here breaks one rule of
//! that contract. All are off by default, and each is a single guarded
//! branch (`if self.options.bugs.has(Bug::...)`, or `if bugs.has(...)` in
//! the disk), so grepping for a variant finds exactly the code it changes.
//! Names, descriptions and serialization follow raft-core's `BugSet`.
//!
//! Why there is no `apply-before-persist`: in raft-rs 0.7 it cannot be
//! reached. `Ready::committed_entries` (and `LightReady`'s) come from
//! `RaftLog::next_entries_since`, which stops at `min(committed,
//! persisted)`: only entries this node already persisted (acknowledged
//! through `on_persist_ready`/`advance`) are ever handed out as committed,
//! and a leader counts its own match index only once persisted
//! (`Raft::on_persist_entries`). So applying `committed_entries` before
//! writing the *current* Ready's entries and hard state applies nothing
//! that is not durable already; the one thing not yet durable is the new
//! commit index, and applying past a persisted commit index only matters
//! to a durable state machine (raft-rs's docs warn it panics on restart),
//! while ours is volatile and rebuilt from the log. The nearest reachable
//! mistake is [`Bug::ApplyUnstableEntries`]: applying the Ready's
//! `entries` — new, unpersisted, uncommitted — as if they were committed.

pub use replica::UnknownBug;

/// One planted embedder bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Bug {
    /// Send a Ready's messages before its hard state and entries are
    /// durable. Breaks Figure 2's "respond to RPCs only after updating
    /// stable storage" (§5.1; raft-rs: `persisted_messages` go out only
    /// after persisting). Modelled as writes that reach the disk's cache
    /// during the step but are synced only at the node's next step, so a
    /// crash in between loses a vote or an acknowledged append. Exposed by
    /// crash faults: double votes (two leaders in a term) and lost
    /// committed entries.
    SendBeforePersist,
    /// Forget the hard state (term, vote, commit) on restart: boot as if
    /// the node had never voted. Breaks Figure 2's persistent state
    /// (currentTerm and votedFor must survive restarts, §5.1–5.2). Exposed
    /// by crash-and-restart: the term goes backwards and the node can vote
    /// twice in a term.
    ForgetHardStateOnRestart,
    /// Apply the Ready's `entries` (raft-rs's unstable entries: just
    /// appended, neither persisted nor committed) to the state machine at
    /// once, and answer clients from them. Breaks §5.3 ("a log entry is
    /// committed once the leader ... has replicated it on a majority";
    /// only committed entries may be applied) and State Machine Safety
    /// (§5.4.3). Exposed by any leader change that truncates uncommitted
    /// entries, i.e. by partitions and crashes of the leader.
    ApplyUnstableEntries,
    /// Answer a read from the leader's local state at once, without
    /// waiting for its `ReadState` (and for the applied index to reach it).
    /// Breaks §8 ("a leader must check whether it has been deposed before
    /// processing a read-only request"). Exposed by partitions that
    /// isolate the leader (a deposed leader serves stale values) and by
    /// new leaders that have not applied their predecessor's commits.
    ReadWithoutReadState,
}

/// Static facts about a bug.
struct BugInfo {
    name: &'static str,
    description: &'static str,
}

impl Bug {
    /// Every planted bug, in a stable order.
    pub const ALL: [Bug; 4] = [
        Bug::SendBeforePersist,
        Bug::ForgetHardStateOnRestart,
        Bug::ApplyUnstableEntries,
        Bug::ReadWithoutReadState,
    ];

    fn info(self) -> BugInfo {
        let (name, description) = match self {
            Bug::SendBeforePersist => (
                "send-before-persist",
                "send a Ready's messages before its hard state and entries are durable",
            ),
            Bug::ForgetHardStateOnRestart => (
                "forget-hard-state-on-restart",
                "lose term, vote and commit index across a restart",
            ),
            Bug::ApplyUnstableEntries => (
                "apply-unstable-entries",
                "apply a Ready's new entries before they are committed",
            ),
            Bug::ReadWithoutReadState => (
                "read-without-read-state",
                "answer reads from local state without waiting for a ReadState",
            ),
        };
        BugInfo { name, description }
    }

    /// The stable kebab-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// One line saying what rule the bug breaks.
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// None of the adapter's bugs is unreachable.
    pub fn unreachable(self) -> Option<&'static str> {
        None
    }
}

replica::planted_bugs!(Bug, "raft-rs adapter");

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
                "send-before-persist",
                "forget-hard-state-on-restart",
                "apply-unstable-entries",
                "read-without-read-state",
            ]
        );
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            assert!(!bug.description().is_empty());
        }
        let err = "vote-twice".parse::<Bug>().unwrap_err().to_string();
        assert!(err.contains("unknown raft-rs adapter bug 'vote-twice'"));
        assert!(err.contains("send-before-persist"));
    }

    #[test]
    fn bug_sets_serialize_as_name_lists_and_parse_from_commas() {
        let set: BugSet = [Bug::ReadWithoutReadState, Bug::SendBeforePersist]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["send-before-persist","read-without-read-state"]"#);
        assert_eq!(serde_json::from_str::<BugSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<BugSet>(r#"["nope"]"#).is_err());
        assert_eq!(
            "send-before-persist, read-without-read-state".parse::<BugSet>(),
            Ok(set)
        );
        assert_eq!("none".parse::<BugSet>(), Ok(BugSet::NONE));
    }
}
