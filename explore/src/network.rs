//! Messages in flight: a multiset (or, when the network duplicates, a set)
//! kept in a canonical order so that equal networks hash equally.
//!
//! Order of sending carries no information in an unordered network, so
//! the network is a bag: each distinct envelope once, with its number of
//! copies, sorted by its cached hash (equal envelopes have equal hashes;
//! the rare distinct pair with equal hashes is ordered by arrival, which
//! can only keep two equal bags apart — less reduction, never a lost
//! behaviour). Envelopes are shared (`Arc`): copying a state copies
//! pointers, not AppendEntries full of entries.

use crate::hashing::hash_of;
use histories::NodeId;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A message with its sender and receiver.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Envelope<M> {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// What it says.
    pub message: M,
}

/// One distinct envelope in flight and how many copies of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight<M> {
    hash: u64,
    /// The envelope.
    pub envelope: Arc<Envelope<M>>,
    /// Copies in flight (always 1 in a duplicating network).
    pub copies: u8,
}

impl<M> InFlight<M> {
    /// The envelope's cached hash.
    pub fn hash(&self) -> u64 {
        self.hash
    }
}

/// Every message in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network<M> {
    items: Vec<InFlight<M>>,
}

impl<M> Default for Network<M> {
    fn default() -> Network<M> {
        Network { items: Vec::new() }
    }
}

impl<M: Hash + Eq> Network<M> {
    /// The distinct envelopes in flight, in canonical order.
    pub fn items(&self) -> &[InFlight<M>] {
        &self.items
    }

    /// Puts a message on the wire. A duplicating network keeps one copy of
    /// each distinct envelope: it may deliver it any number of times.
    pub fn send(&mut self, envelope: Envelope<M>, duplicating: bool) {
        let hash = hash_of(&envelope);
        let at = self.items.partition_point(|item| item.hash < hash);
        let same = self.items[at..]
            .iter()
            .take_while(|item| item.hash == hash)
            .position(|item| *item.envelope == envelope);
        match same {
            Some(offset) if duplicating => {
                let _ = offset;
            }
            Some(offset) => {
                let item = &mut self.items[at + offset];
                item.copies = item.copies.saturating_add(1);
            }
            None => {
                let envelope = Arc::new(envelope);
                let item = InFlight {
                    hash,
                    envelope,
                    copies: 1,
                };
                self.items.insert(at, item);
            }
        }
    }

    /// Takes one copy of the envelope at `position` off the wire.
    pub fn take(&mut self, position: usize) -> Arc<Envelope<M>> {
        let item = &mut self.items[position];
        let envelope = Arc::clone(&item.envelope);
        item.copies -= 1;
        if item.copies == 0 {
            self.items.remove(position);
        }
        envelope
    }

    /// Keeps only the envelopes `keep` says to keep.
    pub fn retain(&mut self, mut keep: impl FnMut(&Envelope<M>) -> bool) {
        self.items.retain(|item| keep(&item.envelope));
    }

    /// The position of `envelope`, if it is in flight.
    pub fn position(&self, envelope: &Envelope<M>) -> Option<usize> {
        let hash = hash_of(envelope);
        let at = self.items.partition_point(|item| item.hash < hash);
        self.items[at..]
            .iter()
            .take_while(|item| item.hash == hash)
            .position(|item| *item.envelope == *envelope)
            .map(|offset| at + offset)
    }

    /// The same network with every envelope rewritten by `rename` (which
    /// renames node ids and returns the new envelope and its hash),
    /// re-sorted.
    pub fn relabeled(
        &self,
        mut rename: impl FnMut(&InFlight<M>) -> (Arc<Envelope<M>>, u64),
    ) -> Network<M> {
        let mut items: Vec<InFlight<M>> = self
            .items
            .iter()
            .map(|item| {
                let (envelope, hash) = rename(item);
                InFlight {
                    hash,
                    envelope,
                    copies: item.copies,
                }
            })
            .collect();
        items.sort_by_key(|item| item.hash);
        Network { items }
    }
}

impl<M> Hash for Network<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.items.len());
        for item in &self.items {
            state.write_u64(item.hash);
            state.write_u8(item.copies);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(from: NodeId, to: NodeId, message: &str) -> Envelope<String> {
        Envelope {
            from,
            to,
            message: message.to_string(),
        }
    }

    #[test]
    fn equal_bags_are_equal_whatever_the_order_of_sending() {
        let sends = [
            envelope(0, 1, "a"),
            envelope(1, 2, "b"),
            envelope(0, 1, "a"),
        ];
        let mut forward = Network::default();
        let mut backward = Network::default();
        for e in &sends {
            forward.send(e.clone(), false);
        }
        for e in sends.iter().rev() {
            backward.send(e.clone(), false);
        }
        assert_eq!(forward, backward);
        assert_eq!(hash_of(&forward), hash_of(&backward));
        let copies: Vec<u8> = forward.items().iter().map(|item| item.copies).collect();
        assert_eq!(copies.iter().sum::<u8>(), 3);
    }

    #[test]
    fn semantics_of_sending_and_taking() {
        // (duplicating, sends of one envelope, takes) -> copies left
        let cases: [(bool, usize, usize, Option<u8>); 4] = [
            (false, 2, 1, Some(1)),
            (false, 2, 2, None),
            (true, 3, 0, Some(1)),
            (true, 1, 1, None),
        ];
        for (duplicating, sends, takes, left) in cases {
            let mut network = Network::default();
            for _ in 0..sends {
                network.send(envelope(0, 1, "m"), duplicating);
            }
            for _ in 0..takes {
                let position = network.position(&envelope(0, 1, "m")).unwrap();
                assert_eq!(network.take(position).message, "m");
            }
            let copies = network.items().first().map(|item| item.copies);
            assert_eq!(
                copies, left,
                "duplicating {duplicating}, {sends} sends, {takes} takes"
            );
        }
    }

    #[test]
    fn relabeling_renames_and_resorts() {
        let mut network = Network::default();
        network.send(envelope(0, 1, "a"), false);
        network.send(envelope(1, 2, "b"), false);
        let swapped = network.relabeled(|item| {
            let e = &item.envelope;
            let swapped = Envelope {
                from: e.to,
                to: e.from,
                ..Envelope::clone(e)
            };
            let hash = hash_of(&swapped);
            (Arc::new(swapped), hash)
        });
        assert!(swapped.position(&envelope(1, 0, "a")).is_some());
        assert!(swapped.position(&envelope(2, 1, "b")).is_some());
        assert!(swapped.position(&envelope(0, 1, "a")).is_none());
    }
}
