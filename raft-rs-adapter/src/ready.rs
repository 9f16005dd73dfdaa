//! Handling raft-rs's `Ready`, as raft-rs 0.7 documents it (crate docs,
//! "Processing the Ready State"), with the world's disk as the storage.
//!
//! For each `Ready`: a snapshot first (none can come: nobody compacts);
//! then the new entries and the hard state are written to the disk; then
//! the committed entries are applied; then the messages, immediate and
//! persisted, are handed to the world — which sends them only after the
//! step returned, when the writes are durable (Figure 2: respond only
//! after updating stable storage). `advance` follows, and its
//! `LightReady` is handled the same way: its commit index persisted, its
//! messages sent, its committed entries applied; then `advance_apply`.
//!
//! The writes are persisted *before* the committed entries are applied,
//! unlike the docs' listing: raft-rs only hands out entries it knows are
//! persisted, so nothing changes for raft-rs, but the commit index that
//! covers them is then on the disk (and in the trace) before they are
//! applied, which is the order the docs ask for ("persisting commit index
//! with or before applying entries").

use crate::bugs::Bug;
use crate::codec::decode_read_context;
use crate::disk::RaftRsDisk;
use crate::ids::{node_id, raft_id};
use crate::node::RaftRsNode;
use crate::observe::{entry_id, granted_vote};
use raft::eraftpb::{Entry, Message};
use raft::{ReadState, Ready};
use replica::{Actions, TraceKind};

impl RaftRsNode {
    /// Handles every pending `Ready` in full.
    pub(crate) fn handle_readies(&mut self, disk: &mut RaftRsDisk, out: &mut Actions<Message>) {
        while self.raw.has_ready() {
            let mut ready = self.raw.ready();
            assert!(
                ready.snapshot().is_empty(),
                "n{}: raft-rs sent a snapshot, but no node compacts its log",
                self.id
            );
            self.persist(disk, &ready, out);
            send_all(ready.take_messages(), out);
            self.apply_entries(&ready.take_committed_entries(), out);
            send_all(ready.take_persisted_messages(), out);
            self.note_read_states(ready.take_read_states());
            let mut light = self.raw.advance(ready);
            if let Some(commit_index) = light.commit_index() {
                self.persist_commit(disk, commit_index, out);
            }
            send_all(light.take_messages(), out);
            self.apply_entries(&light.take_committed_entries(), out);
            self.raw.advance_apply();
            self.answer_reads(out);
        }
    }

    /// Writes the `Ready`'s entries and hard state to the disk, reporting
    /// each change as it is written: a vote, then a truncation (before the
    /// appends that cause it) and the appends, then the commit index.
    fn persist(&mut self, disk: &mut RaftRsDisk, ready: &Ready, out: &mut Actions<Message>) {
        let cached = self.options.bugs.has(Bug::SendBeforePersist);
        let before = disk.hard_state();
        if let Some(hard_state) = ready.hs() {
            if let Some(vote) = granted_vote(&before, hard_state, raft_id(self.id)) {
                out.observe(vote);
            }
        }
        self.persist_entries(disk, ready.entries(), cached, out);
        if let Some(hard_state) = ready.hs() {
            disk.set_hard_state(hard_state.clone(), cached);
            if hard_state.commit > before.commit {
                out.observe(TraceKind::CommitAdvanced {
                    commit_index: hard_state.commit,
                });
            }
        }
    }

    /// Appends new entries, overwriting a conflicting suffix if raft-rs
    /// says so (its entries then start at or below the disk's last index).
    fn persist_entries(
        &mut self,
        disk: &mut RaftRsDisk,
        entries: &[Entry],
        cached: bool,
        out: &mut Actions<Message>,
    ) {
        let Some(first) = entries.first() else {
            return;
        };
        let last_on_disk = disk.last_index();
        if first.index <= last_on_disk {
            out.observe(TraceKind::LogTruncated {
                from_index: first.index,
                removed: last_on_disk - first.index + 1,
            });
        }
        disk.append(entries, cached);
        for entry in entries {
            out.observe(TraceKind::LogAppended {
                index: entry.index,
                term: entry.term,
                entry: entry_id(entry),
            });
        }
        if self.options.bugs.has(Bug::ApplyUnstableEntries) {
            self.apply_entries(entries, out);
        }
    }

    /// A `LightReady`'s commit index goes to the disk's hard state (raft-rs
    /// does not put it in a `Ready`'s `hs` after `advance`).
    fn persist_commit(
        &mut self,
        disk: &mut RaftRsDisk,
        commit_index: u64,
        out: &mut Actions<Message>,
    ) {
        let cached = self.options.bugs.has(Bug::SendBeforePersist);
        let mut hard_state = disk.hard_state();
        if commit_index <= hard_state.commit {
            return;
        }
        hard_state.commit = commit_index;
        disk.set_hard_state(hard_state, cached);
        out.observe(TraceKind::CommitAdvanced { commit_index });
    }

    /// Records which reads raft-rs confirmed, and at which index.
    fn note_read_states(&mut self, read_states: Vec<ReadState>) {
        for state in read_states {
            if let Some(request) = decode_read_context(&state.request_ctx) {
                self.pending.read_state(request, state.index);
            }
        }
    }
}

/// Hands raft-rs's messages to the world, addressed to their nodes.
fn send_all(messages: Vec<Message>, out: &mut Actions<Message>) {
    for message in messages {
        if let Some(to) = node_id(message.to) {
            out.send(to, message);
        }
    }
}
