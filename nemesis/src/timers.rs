//! Timers, kept apart from the event queue.
//!
//! Each node has the timers its system asks for (raft-core: election and
//! heartbeat; a tick-based Raft: one tick) and each client one wake-up; re-arming a timer replaces its previous deadline. Kept in the
//! event queue, every replaced deadline would linger there as a stale event
//! to pop and discard (a client re-arms on every operation). Here a timer
//! is one slot; the earliest is found by a scan over a few dozen slots,
//! which is cheaper than the heap traffic it saves. Deadlines carry a
//! sequence number from the event queue's counter, so timers and events
//! at the same instant still run in the order they were scheduled.

use replica::{NodeId, TimerSlot};

/// Which timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerId {
    /// One of a node's own timers.
    Node {
        /// Whose.
        node: NodeId,
        /// Which of its timers.
        timer: TimerSlot,
    },
    /// A client slot's wake-up.
    Client(usize),
}

/// A deadline packed for single-comparison ordering: time in the high 64
/// bits, the sequence number below it.
type Deadline = u128;

const UNARMED: Deadline = Deadline::MAX;

fn deadline(time_ns: u64, seq: u32) -> Deadline {
    (Deadline::from(time_ns) << 64) | Deadline::from(seq)
}

/// The (time, sequence number) a deadline was packed from.
fn unpack(due: Deadline) -> (u64, u32) {
    ((due >> 64) as u64, due as u32)
}

/// Every timer's deadline, as (time, sequence number).
pub(crate) struct Timers {
    nodes: usize,
    per_node: usize,
    due: Vec<Deadline>,
    /// The slot with the earliest deadline, if any is armed.
    earliest: Option<usize>,
}

impl Timers {
    pub fn new(nodes: usize, per_node: usize, clients: usize) -> Timers {
        Timers {
            nodes,
            per_node,
            due: vec![UNARMED; per_node * nodes + clients],
            earliest: None,
        }
    }

    fn slot(&self, id: TimerId) -> usize {
        match id {
            TimerId::Node { node, timer } => {
                debug_assert!(
                    usize::from(timer) < self.per_node,
                    "timer {timer} out of range"
                );
                self.per_node * node as usize + usize::from(timer)
            }
            TimerId::Client(client) => self.per_node * self.nodes + client,
        }
    }

    fn id(&self, slot: usize) -> TimerId {
        let node_slots = self.per_node * self.nodes;
        if slot >= node_slots {
            TimerId::Client(slot - node_slots)
        } else {
            TimerId::Node {
                node: (slot / self.per_node) as NodeId,
                timer: (slot % self.per_node) as TimerSlot,
            }
        }
    }

    /// Sets (or replaces) the deadline of `id`.
    pub fn arm(&mut self, id: TimerId, time_ns: u64, seq: u32) {
        let slot = self.slot(id);
        let due = deadline(time_ns, seq);
        self.due[slot] = due;
        match self.earliest {
            Some(earliest) if earliest == slot => self.rescan(),
            Some(earliest) if self.due[earliest] <= due => {}
            _ => self.earliest = Some(slot),
        }
    }

    /// The deadline of `id` as (time, sequence number), if it is armed.
    pub fn deadline_of(&self, id: TimerId) -> Option<(u64, u32)> {
        let due = self.due[self.slot(id)];
        (due != UNARMED).then(|| unpack(due))
    }

    /// Cancels `id`.
    pub fn disarm(&mut self, id: TimerId) {
        let slot = self.slot(id);
        self.due[slot] = UNARMED;
        if self.earliest == Some(slot) {
            self.rescan();
        }
    }

    fn rescan(&mut self) {
        // Unarmed slots hold the largest key, so a plain minimum finds the
        // earliest armed one.
        let mut earliest = 0;
        for slot in 1..self.due.len() {
            if self.due[slot] < self.due[earliest] {
                earliest = slot;
            }
        }
        self.earliest =
            (self.due.get(earliest) != Some(&UNARMED) && !self.due.is_empty()).then_some(earliest);
    }

    /// The earliest deadline as (time, sequence number).
    pub fn peek(&self) -> Option<(u64, u32)> {
        self.earliest.map(|slot| unpack(self.due[slot]))
    }

    /// Removes the earliest timer and says which it was.
    pub fn pop(&mut self) -> Option<TimerId> {
        let slot = self.earliest?;
        self.due[slot] = UNARMED;
        self.rescan();
        Some(self.id(slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_deadline_fires_first_and_rearming_replaces() {
        let election = |node| TimerId::Node { node, timer: 0 };
        let heartbeat = |node| TimerId::Node { node, timer: 1 };
        let mut timers = Timers::new(2, 2, 1);
        timers.arm(election(1), 50, 0);
        timers.arm(TimerId::Client(0), 30, 1);
        timers.arm(heartbeat(0), 30, 2);
        timers.arm(election(1), 10, 3); // replaces its 50
        assert_eq!(timers.peek(), Some((10, 3)));
        assert_eq!(timers.pop(), Some(election(1)));
        assert_eq!(
            timers.pop(),
            Some(TimerId::Client(0)),
            "ties go to the lower sequence number"
        );
        timers.disarm(heartbeat(0));
        assert_eq!(timers.pop(), None);
    }
}
