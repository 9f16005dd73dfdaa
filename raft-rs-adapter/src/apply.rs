//! Applying committed entries to the key-value store, and answering the
//! clients that wait for them.

use crate::bugs::Bug;
use crate::codec::decode_command;
use crate::node::RaftRsNode;
use crate::observe::entry_id;
use raft::eraftpb::{Entry, EntryType, Message};
use replica::{Actions, ClientReply, ClientResponse, TraceKind};

impl RaftRsNode {
    /// Applies `entries` in log order, skipping those applied already (a
    /// restart re-applies from 1; under `apply-unstable-entries` entries
    /// come again once committed). A leader answers the request an entry
    /// carries, if it waits for it; a duplicate is answered with the
    /// result its session recorded, a stale one not at all.
    pub(crate) fn apply_entries(&mut self, entries: &[Entry], out: &mut Actions<Message>) {
        for entry in entries {
            if entry.index <= self.applied {
                continue;
            }
            if entry.index != self.applied + 1 {
                // Only under `apply-unstable-entries`: new entries beyond
                // committed ones not applied yet (after a restart).
                debug_assert!(
                    self.options.bugs.has(Bug::ApplyUnstableEntries),
                    "n{} applies in order: {} after {}",
                    self.id,
                    entry.index,
                    self.applied
                );
                continue;
            }
            self.applied = entry.index;
            out.observe(TraceKind::Applied {
                index: entry.index,
                term: entry.term,
                entry: entry_id(entry),
            });
            if entry.get_entry_type() != EntryType::EntryNormal || entry.data.is_empty() {
                continue; // a leader's no-op (the adapter changes no configuration)
            }
            let command = decode_command(&entry.data).unwrap_or_else(|err| {
                panic!("n{}: entry {} is not ours: {err}", self.id, entry.index)
            });
            let result = self.store.apply(&command, true).result();
            let waiting = self.pending.take_proposed((command.client, command.seq));
            if let (true, Some(result)) = (waiting, result) {
                out.reply(ClientReply {
                    client: command.client,
                    seq: command.seq,
                    response: ClientResponse::Done(result),
                });
            }
        }
    }

    /// Answers the reads whose `ReadState` index the store has reached:
    /// from then on the store reflects every write that completed before
    /// the read arrived (raft-rs docs of `RawNode::read_index`).
    pub(crate) fn answer_reads(&mut self, out: &mut Actions<Message>) {
        for ((client, seq), key) in self.pending.take_readable(self.applied) {
            out.reply(ClientReply {
                client,
                seq,
                response: ClientResponse::Done(self.store.read(&key)),
            });
        }
    }
}
