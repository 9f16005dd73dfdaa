//! The event queue: a min-heap on (virtual time, sequence number).
//!
//! The sequence number breaks ties in insertion order, so two events at
//! the same nanosecond always run in the order they were scheduled — never
//! in an order that depends on the heap's internals.
//!
//! Events can be large (a message with its entries), and a binary heap
//! moves its elements on every push and pop. So the heap holds only
//! 16-byte keys — time, sequence number and a slot — and the events wait in
//! a slab whose slots are reused; an event is moved twice in its life, in
//! and out.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A heap key: when, in which order, and where the event waits, packed
/// into one integer so that ordering is a single comparison. From the top:
/// 64 bits of time, 32 of sequence number, 32 of slot. The sequence number
/// is unique, so the slot never decides an order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128);

impl Key {
    fn new(time_ns: u64, seq: u32, slot: u32) -> Key {
        Key((u128::from(time_ns) << 64) | (u128::from(seq) << 32) | u128::from(slot))
    }

    fn time_ns(self) -> u64 {
        (self.0 >> 64) as u64
    }

    fn seq(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn slot(self) -> usize {
        self.0 as u32 as usize
    }
}

/// Events waiting for their time.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Key>>,
    slots: Vec<Option<E>>,
    free_slots: Vec<u32>,
    next_seq: u32,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue::with_capacity(0)
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            slots: Vec::with_capacity(capacity),
            free_slots: Vec::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Takes the next sequence number: events and anything ordered with
    /// them (timers) share one counter.
    ///
    /// # Panics
    /// After 2³² of them (a trial uses a few thousand).
    pub fn next_seq(&mut self) -> u32 {
        let seq = self.next_seq;
        self.next_seq = seq.checked_add(1).expect("at most 2^32 events per trial");
        seq
    }

    /// Schedules `event` at `time_ns`.
    pub fn push(&mut self, time_ns: u64, event: E) {
        let seq = self.next_seq();
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse(Key::new(time_ns, seq, slot)));
    }

    /// The earliest event and its time.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let Reverse(key) = self.heap.pop()?;
        let event = self.slots[key.slot()]
            .take()
            .expect("every key points at a waiting event");
        self.free_slots.push(key.slot() as u32);
        Some((key.time_ns(), event))
    }

    /// The time of the earliest event.
    pub fn peek_time_ns(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(key)| key.time_ns())
    }

    /// The (time, sequence number) of the earliest event.
    pub fn peek_key(&self) -> Option<(u64, u32)> {
        self.heap
            .peek()
            .map(|Reverse(key)| (key.time_ns(), key.seq()))
    }

    /// Number of waiting events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(20, "late");
        queue.push(10, "first at 10");
        queue.push(10, "second at 10");
        queue.push(5, "early");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["early", "first at 10", "second at 10", "late"]);
        assert!(queue.is_empty());
    }

    #[test]
    fn slots_are_reused_without_disturbing_the_order() {
        let mut queue = EventQueue::default();
        for round in 0..100u64 {
            queue.push(round * 10 + 5, round * 2);
            queue.push(round * 10, round * 2 + 1);
            let (time, _) = queue.pop().unwrap();
            assert!(time <= round * 10 + 5);
        }
        assert!(
            queue.slots.len() <= 101,
            "slots reused: {}",
            queue.slots.len()
        );
        let mut last = 0;
        while let Some((time, _)) = queue.pop() {
            assert!(time >= last);
            last = time;
        }
    }
}
