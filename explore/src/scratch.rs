//! A per-thread step buffer, reused from step to step.
//!
//! Every successor steps one node, and the node hands its messages,
//! replies, observations and timers over in an [`Actions`]. Made afresh,
//! those four vectors grow from nothing at every step — an allocation per
//! vector per successor, millions per second. Kept per thread and emptied
//! by the step that used it (`carry_out` drains them all), they keep their
//! capacity and allocate only while a step is larger than any before it.
//!
//! The buffer holds nothing between steps, so reusing it changes no state
//! and no order.

use replica::Actions;
use std::any::Any;
use std::cell::RefCell;

thread_local! {
    /// The spare buffer, type-erased because a `thread_local` cannot be
    /// generic (one explorer runs one system per thread at a time).
    static SPARE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Runs `f` with an empty step buffer, then keeps the buffer for the next
/// step. A nested call (there is none today) would get a fresh one.
pub fn with_actions<M: 'static, T>(f: impl FnOnce(&mut Actions<M>) -> T) -> T {
    let spare = SPARE.with(|cell| cell.borrow_mut().take());
    let mut out = spare
        .and_then(|boxed| boxed.downcast::<Actions<M>>().ok())
        .unwrap_or_default();
    let result = f(&mut out);
    out.messages.clear();
    out.replies.clear();
    out.observations.clear();
    out.timers.clear();
    SPARE.with(|cell| *cell.borrow_mut() = Some(out));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_comes_back_empty_with_its_capacity() {
        with_actions::<u32, _>(|out| {
            out.messages.extend((0..100).map(|n| (n, n)));
        });
        with_actions::<u32, _>(|out| {
            assert!(out.messages.is_empty(), "emptied after use");
            assert!(out.messages.capacity() >= 100, "capacity kept");
        });
        with_actions::<String, _>(|out| {
            assert!(out.messages.is_empty(), "another type gets a fresh buffer");
        });
    }
}
