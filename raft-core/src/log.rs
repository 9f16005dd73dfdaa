//! The replicated log: entries indexed from 1, with the queries the protocol
//! asks of it.

use crate::kv::ClientCommand;
use crate::types::{LogIndex, Term};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a log entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Command {
    /// The empty entry a new leader appends in its term, so that it can
    /// commit (and thereby commit everything before it) without waiting for
    /// a client (§5.4.2, §8).
    Noop,
    /// A client request. Shared, because the same command travels in many
    /// messages and lives in every node's log.
    Client(Arc<ClientCommand>),
}

/// One log entry: a command and the term of the leader that created it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term in which a leader created this entry.
    pub term: Term,
    /// What to apply.
    pub command: Command,
}

impl Entry {
    /// A no-op entry of `term`.
    pub fn noop(term: Term) -> Entry {
        Entry {
            term,
            command: Command::Noop,
        }
    }
}

/// A node's log. Index 0 is the empty prefix (term 0); entries start at 1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RaftLog {
    entries: Vec<Entry>,
}

impl RaftLog {
    /// A log holding `entries` at indexes 1, 2, ...
    pub fn from_entries(entries: Vec<Entry>) -> RaftLog {
        RaftLog { entries }
    }

    /// The entries, in index order (entry `i` is at `entries()[i - 1]`).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Index of the last entry, 0 when empty.
    pub fn last_index(&self) -> LogIndex {
        self.entries.len() as LogIndex
    }

    /// Term of the last entry, 0 when empty.
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |entry| entry.term)
    }

    /// The entry at `index`, if the log reaches it (`None` for index 0).
    pub fn get(&self, index: LogIndex) -> Option<&Entry> {
        if index == 0 {
            return None;
        }
        self.entries.get(index as usize - 1)
    }

    /// The term at `index`: 0 for index 0, `None` past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            Some(0)
        } else {
            self.get(index).map(|entry| entry.term)
        }
    }

    /// True when the log holds an entry of `term` at `index` (always true
    /// for the empty prefix at index 0, term 0): the AppendEntries
    /// consistency check.
    pub fn matches(&self, index: LogIndex, term: Term) -> bool {
        self.term_at(index) == Some(term)
    }

    /// The entries from `from` on, at most `max` of them.
    pub fn slice_from(&self, from: LogIndex, max: usize) -> &[Entry] {
        let start = (from.max(1) as usize - 1).min(self.entries.len());
        let end = start.saturating_add(max).min(self.entries.len());
        &self.entries[start..end]
    }

    /// The first index holding an entry of `term`, searching back from
    /// `index` (which holds that term): the follower's conflict hint.
    pub fn first_index_of_term_at(&self, index: LogIndex) -> LogIndex {
        let term = self.term_at(index);
        let mut first = index;
        while first > 1 && self.term_at(first - 1) == term {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if any: lets a leader jump
    /// its nextIndex over a whole conflicting term at once.
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        self.entries
            .iter()
            .rposition(|entry| entry.term == term)
            .map(|position| position as LogIndex + 1)
    }

    /// Appends one entry and returns its index.
    pub fn push(&mut self, entry: Entry) -> LogIndex {
        self.entries.push(entry);
        self.last_index()
    }

    /// Removes every entry at `from` and above; returns how many went.
    pub fn truncate_from(&mut self, from: LogIndex) -> u64 {
        let keep = (from.max(1) - 1) as usize;
        let removed = self.entries.len().saturating_sub(keep);
        self.entries.truncate(keep);
        removed as u64
    }

    /// §5.4.1: is a log ending at (`last_index`, `last_term`) at least as
    /// up-to-date as this one? The later last term wins; with equal last
    /// terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of_terms(terms: &[Term]) -> RaftLog {
        RaftLog::from_entries(terms.iter().map(|&term| Entry::noop(term)).collect())
    }

    #[test]
    fn index_zero_is_the_empty_prefix() {
        let log = log_of_terms(&[1, 1, 2]);
        assert_eq!(log.term_at(0), Some(0));
        assert!(log.matches(0, 0));
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.term_at(4), None);
        assert_eq!((log.last_index(), log.last_term()), (3, 2));
        assert_eq!(RaftLog::default().last_term(), 0);
    }

    #[test]
    fn term_boundaries_for_fast_backup() {
        let log = log_of_terms(&[1, 1, 4, 4, 4, 5]);
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.first_index_of_term_at(2), 1);
        assert_eq!(log.last_index_of_term(4), Some(5));
        assert_eq!(log.last_index_of_term(3), None);
    }

    #[test]
    fn slices_and_truncation_stay_in_bounds() {
        let mut log = log_of_terms(&[1, 2, 3]);
        assert_eq!(log.slice_from(2, 10).len(), 2);
        assert_eq!(log.slice_from(2, 1).len(), 1);
        assert!(log.slice_from(9, 10).is_empty());
        assert_eq!(log.truncate_from(2), 2);
        assert_eq!(log.truncate_from(5), 0);
        assert_eq!(log.last_index(), 1);
    }

    #[test]
    fn up_to_date_compares_last_term_then_length() {
        let log = log_of_terms(&[1, 3]);
        assert!(
            log.is_up_to_date(1, 4),
            "a later last term wins even if shorter"
        );
        assert!(
            !log.is_up_to_date(5, 2),
            "an earlier last term loses even if longer"
        );
        assert!(log.is_up_to_date(2, 3), "equal logs are up to date");
        assert!(!log.is_up_to_date(1, 3), "same term, shorter loses");
    }
}
