//! Client requests a leader accepted and has not answered yet.
//!
//! A write (or a log read) waits for its entry to be applied. A ReadIndex
//! or lease read waits first for raft-rs to take it (a leader drops
//! `read_index` calls until it has committed an entry of its own term —
//! `Raft::step_leader`, "Reject read only request when this leader has not
//! committed any log entry in its term" — so the adapter defers them until
//! then instead of losing them), then for its `ReadState`, then for the
//! applied index to reach the state's index (raft-rs docs of
//! `RawNode::read_index`). All of it belongs to one term of leadership:
//! when that ends, every waiting request is answered with a redirect.

use std::collections::BTreeMap;

/// A request's session and sequence number.
pub type RequestId = (u64, u64);

/// Where a read stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStage {
    /// Waiting for the leader to commit an entry of its term.
    Deferred,
    /// Handed to `read_index`; waiting for its `ReadState`.
    Requested,
    /// Its `ReadState` came: answer once applied reaches this index.
    ReadableAt(u64),
}

/// A read waiting for its turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRead {
    /// The key to read.
    pub key: String,
    /// Its progress.
    pub stage: ReadStage,
}

/// The leader's unanswered requests.
#[derive(Clone, Debug, Default)]
pub struct PendingRequests {
    /// Requests proposed as log entries, answered when applied.
    proposed: BTreeMap<RequestId, ()>,
    /// Reads served by ReadIndex or lease.
    reads: BTreeMap<RequestId, PendingRead>,
}

impl PendingRequests {
    /// True when the request's entry is proposed already (a retry).
    pub fn is_proposed(&self, request: RequestId) -> bool {
        self.proposed.contains_key(&request)
    }

    /// Waits for the entry of `request` to be applied.
    pub fn propose(&mut self, request: RequestId) {
        self.proposed.insert(request, ());
    }

    /// Takes the request whose entry was just applied, if it waits here.
    pub fn take_proposed(&mut self, request: RequestId) -> bool {
        self.proposed.remove(&request).is_some()
    }

    /// The read waiting as `request`, if any.
    pub fn read(&self, request: RequestId) -> Option<&PendingRead> {
        self.reads.get(&request)
    }

    /// Records a read at `stage`.
    pub fn add_read(&mut self, request: RequestId, key: String, stage: ReadStage) {
        self.reads.insert(request, PendingRead { key, stage });
    }

    /// A `ReadState` came for `request`: it may be answered once applied
    /// reaches `index`. Ignored for reads not waiting for one.
    pub fn read_state(&mut self, request: RequestId, index: u64) {
        if let Some(read) = self.reads.get_mut(&request) {
            if read.stage == ReadStage::Requested {
                read.stage = ReadStage::ReadableAt(index);
            }
        }
    }

    /// The deferred reads, now to be requested; they are marked so.
    pub fn take_deferred(&mut self) -> Vec<RequestId> {
        let mut ready = Vec::new();
        for (request, read) in &mut self.reads {
            if read.stage == ReadStage::Deferred {
                read.stage = ReadStage::Requested;
                ready.push(*request);
            }
        }
        ready
    }

    /// True when some read waits for the leader's first commit.
    pub fn has_deferred(&self) -> bool {
        self.reads
            .values()
            .any(|read| read.stage == ReadStage::Deferred)
    }

    /// Removes and returns the reads whose index `applied` reached.
    pub fn take_readable(&mut self, applied: u64) -> Vec<(RequestId, String)> {
        let readable: Vec<RequestId> = self
            .reads
            .iter()
            .filter(|(_, read)| matches!(read.stage, ReadStage::ReadableAt(at) if at <= applied))
            .map(|(request, _)| *request)
            .collect();
        readable
            .into_iter()
            .filter_map(|request| Some((request, self.reads.remove(&request)?.key)))
            .collect()
    }

    /// Removes and returns every waiting request (leadership ended).
    pub fn drain(&mut self) -> Vec<RequestId> {
        let mut all: Vec<RequestId> = std::mem::take(&mut self.proposed).into_keys().collect();
        all.extend(std::mem::take(&mut self.reads).into_keys());
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_move_through_their_stages() {
        let mut pending = PendingRequests::default();
        pending.add_read((1, 1), "a".into(), ReadStage::Deferred);
        pending.add_read((2, 1), "b".into(), ReadStage::Requested);
        pending.read_state((2, 1), 5);
        pending.read_state((1, 1), 3); // not requested yet: ignored
        assert!(pending.has_deferred());
        assert_eq!(pending.take_deferred(), [(1, 1)]);
        pending.read_state((1, 1), 7);
        assert_eq!(pending.take_readable(4), []);
        assert_eq!(pending.take_readable(6), [((2, 1), "b".to_string())]);
        pending.propose((3, 9));
        assert!(pending.is_proposed((3, 9)));
        assert_eq!(pending.drain(), [(3, 9), (1, 1)]);
        assert_eq!(pending.take_readable(100), []);
    }
}
