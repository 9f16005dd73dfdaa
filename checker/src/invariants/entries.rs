//! One table of every log entry any node ever wrote, keyed by index and term.
//!
//! # Why one table proves Log Matching
//!
//! Log Matching says: if two logs hold an entry with the same index and
//! term, they hold the same command there and are identical at every index
//! before it. Comparing whole logs at every append would cost the log's
//! length each time. Instead, every append of `(index, term, command)` to a
//! node whose log holds term `p` at `index − 1` (0 at index 1) is checked
//! against this table: the first append of `(index, term)` anywhere records
//! `(command, p)`, and every later append of the same key must bring the
//! same pair. If all appends agree, the property holds by induction on the
//! index:
//!
//! - at index 1 two entries with one term carry the same command, and
//!   there is nothing before them;
//! - at index `i > 1`, two entries `(i, t)` carry the same command and sit
//!   on the same term `p` at `i − 1`; by the induction hypothesis the two
//!   entries `(i − 1, p)` are identical with identical prefixes, hence so
//!   are the two logs up to `i`.
//!
//! The step needs the entry at `i − 1` to still be the one the append saw
//! — it is, because logs only lose *suffixes*: whatever removes the entry
//! at `i − 1` removes the one at `i` too. So checking each append once, in
//! O(1), proves the property for every pair of logs at every moment.
//!
//! # Why it also remembers term runs
//!
//! Under Log Matching a log is determined by its last entry. The table
//! keeps, for each entry, where the run of entries of its term began and
//! which term came before that run, so "which term does the log ending at
//! `(i, t)` hold at index `j`?" is answered by hopping from run to run:
//! O(number of terms in the log), with no copy of any log. Leader
//! Completeness uses this to ask what a past leader's log held when it was
//! elected.

use histories::{EntryId, NodeId};

/// What every log holding the entry at some `(index, term)` agrees on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryFacts {
    /// The command.
    pub entry: EntryId,
    /// The term at `index − 1` (0 at index 1).
    pub prev_term: u64,
    /// First index of the run of entries of this term that ends here.
    pub run_start: u64,
    /// Term of the entry just before that run (0 when it starts at 1).
    pub run_prev_term: u64,
    /// Trace position of the first append of this entry.
    pub event: usize,
    /// The node of that append.
    pub node: NodeId,
}

/// The answer to an append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Agreement {
    /// First time this `(index, term)` is seen.
    New,
    /// Same command on the same prefix as before.
    Same,
    /// Another command was appended at this `(index, term)` before.
    OtherCommand(EntryFacts),
    /// Same command, but the term before it differs from the first time.
    OtherPrefix(EntryFacts),
}

/// Every `(index, term)` ever appended, with its [`EntryFacts`].
///
/// Each index heads a short chain of the terms seen there (nearly always
/// one, a few under churn), newest first, in one arena: no hashing, no
/// tree, one allocation that grows with the number of distinct entries.
#[derive(Debug, Default)]
pub(crate) struct EntryIndex {
    /// By index − 1: 1 + arena position of the newest term seen there, or
    /// 0 when none was.
    heads: Vec<u32>,
    arena: Vec<Link>,
}

/// One `(index, term)` of a chain.
#[derive(Clone, Copy, Debug)]
struct Link {
    term: u64,
    facts: EntryFacts,
    /// 1 + arena position of the next older term at the same index, or 0.
    next: u32,
}

impl EntryIndex {
    /// The facts of `(index, term)`, if any node appended it.
    pub fn get(&self, index: u64, term: u64) -> Option<&EntryFacts> {
        let slot = usize::try_from(index.checked_sub(1)?).ok()?;
        let mut link = *self.heads.get(slot)?;
        while link != 0 {
            let at = &self.arena[link as usize - 1];
            if at.term == term {
                return Some(&at.facts);
            }
            link = at.next;
        }
        None
    }

    /// Checks an append of `entry` at `(index, term)` on a log whose term at
    /// `index − 1` is `prev_term`, and records it when it is new.
    ///
    /// `index` must be at most one past the longest log seen so far (the
    /// caller rejects appends that leave a hole), which bounds the table by
    /// the number of appends (and so below `u32::MAX` entries).
    pub fn observe(
        &mut self,
        index: u64,
        term: u64,
        entry: EntryId,
        prev_term: u64,
        event: usize,
        node: NodeId,
    ) -> Agreement {
        if let Some(known) = self.get(index, term) {
            return if known.entry != entry {
                Agreement::OtherCommand(*known)
            } else if known.prev_term != prev_term {
                Agreement::OtherPrefix(*known)
            } else {
                Agreement::Same
            };
        }
        let (run_start, run_prev_term) = match self.get(index - 1, term) {
            Some(before) if prev_term == term => (before.run_start, before.run_prev_term),
            _ => (index, prev_term),
        };
        let facts = EntryFacts {
            entry,
            prev_term,
            run_start,
            run_prev_term,
            event,
            node,
        };
        let slot = (index - 1) as usize;
        if self.heads.len() <= slot {
            self.heads.resize(slot + 1, 0);
        }
        self.arena.push(Link {
            term,
            facts,
            next: self.heads[slot],
        });
        self.heads[slot] = self.arena.len() as u32;
        Agreement::New
    }

    /// The term and facts at `index` of the log whose last entry is
    /// `(last_index, last_term)`, or `None` when that log does not reach
    /// `index`. Exact while Log Matching holds (see the module docs).
    pub fn entry_in_log(
        &self,
        last_index: u64,
        last_term: u64,
        index: u64,
    ) -> Option<(u64, EntryFacts)> {
        if index == 0 || index > last_index {
            return None;
        }
        let (mut at, mut term) = (last_index, last_term);
        loop {
            let facts = self.get(at, term)?;
            if index >= facts.run_start {
                return Some((term, *self.get(index, term)?));
            }
            // run_start > index >= 1: hop to the end of the previous run.
            at = facts.run_start - 1;
            term = facts.run_prev_term;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(seq: u64) -> EntryId {
        EntryId::Command { client: 1, seq }
    }

    /// Appends a whole log given as its terms, commands numbered by index.
    fn append_log(table: &mut EntryIndex, terms: &[u64]) {
        let mut prev = 0;
        for (slot, &term) in terms.iter().enumerate() {
            let index = slot as u64 + 1;
            table.observe(index, term, cmd(index * 100 + term), prev, 0, 0);
            prev = term;
        }
    }

    #[test]
    fn agreement_compares_command_then_prefix() {
        let mut table = EntryIndex::default();
        assert_eq!(table.observe(1, 1, cmd(1), 0, 0, 0), Agreement::New);
        assert_eq!(table.observe(2, 1, cmd(2), 1, 1, 0), Agreement::New);
        assert_eq!(table.observe(2, 1, cmd(2), 1, 2, 1), Agreement::Same);
        assert!(matches!(
            table.observe(2, 1, cmd(9), 1, 3, 1),
            Agreement::OtherCommand(facts) if facts.entry == cmd(2) && facts.event == 1
        ));
        assert!(matches!(
            table.observe(2, 1, cmd(2), 0, 4, 2),
            Agreement::OtherPrefix(_)
        ));
        // Another term at the same index is a different entry, not a clash.
        assert_eq!(table.observe(2, 3, cmd(7), 1, 5, 2), Agreement::New);
        assert_eq!(table.get(2, 3).map(|f| f.entry), Some(cmd(7)));
        assert_eq!(table.get(2, 1).map(|f| f.entry), Some(cmd(2)));
        assert_eq!(table.get(3, 1), None);
    }

    #[test]
    fn entry_in_log_hops_term_runs_back_to_any_index() {
        let mut table = EntryIndex::default();
        let a = [1, 1, 2, 2, 2, 4, 4];
        let b = [1, 1, 3, 3];
        append_log(&mut table, &a);
        append_log(&mut table, &b);
        for (log, last_term) in [(&a[..], 4), (&b[..], 3)] {
            let last_index = log.len() as u64;
            for (slot, &term) in log.iter().enumerate() {
                let index = slot as u64 + 1;
                let (found, facts) = table.entry_in_log(last_index, last_term, index).unwrap();
                assert_eq!(found, term, "index {index} of {log:?}");
                assert_eq!(facts.entry, cmd(index * 100 + term));
            }
            assert_eq!(
                table.entry_in_log(last_index, last_term, last_index + 1),
                None
            );
            assert_eq!(table.entry_in_log(last_index, last_term, 0), None);
        }
        // A log that only reaches index 4 of `a`.
        assert_eq!(table.entry_in_log(4, 2, 2).map(|(t, _)| t), Some(1));
        assert_eq!(table.entry_in_log(0, 0, 1), None);
    }
}
