//! Carrying out an action: the world's job (nemesis/src/world.rs) done on a
//! state instead of a timeline.
//!
//! A node is stepped through the [`Replica`](replica::Replica) contract exactly as the
//! simulated world steps it: the step writes its disk, then its
//! observations are recorded, its messages put on the wire, its replies
//! delivered and its timers armed. Only timing is gone: an armed timer is
//! a bit, and when it fires is the model checker's choice.

use crate::action::Action;
use crate::ghost::{logs_match, Ghost};
use crate::model::ExploreModel;
use crate::network::Envelope;
use crate::properties::Safety;
use crate::scope::NetworkKind;
use crate::scratch;
use crate::slot::{LogEntry, Slot, UNBUDGETED};
use crate::state::{delivery_bit, Cluster};
use crate::system::Explorable;
use histories::{NodeId, TraceKind};
use rand_pcg::Pcg32;
use replica::{Actions, ClientResponse, Input};
use std::sync::Arc;

/// Observations of one step, by node, for a readable trace.
pub type Seen = Vec<(NodeId, TraceKind)>;

impl<R: Explorable> ExploreModel<R> {
    /// The state after `action`, before symmetry reduction. `seen`, when
    /// given, receives what the nodes reported.
    pub fn successor(
        &self,
        state: &Cluster<R>,
        action: Action,
        seen: Option<&mut Seen>,
    ) -> Cluster<R> {
        let mut next = state.clone();
        next.depth = state.depth + 1;
        match action {
            Action::Fire { node, timer } => self.fire(&mut next, node, timer, seen),
            Action::Deliver { message } => {
                let envelope = if self.scope.network == NetworkKind::Duplicating {
                    Arc::clone(&next.network.items()[message].envelope)
                } else {
                    next.network.take(message)
                };
                let input = Input::Message {
                    from: envelope.from,
                    message: envelope.message.clone(),
                };
                self.step(&mut next, envelope.to, input, seen);
            }
            Action::Drop { message } => {
                next.network.take(message);
            }
            Action::Crash { node } => {
                let slot = Arc::make_mut(&mut next.slots[node as usize]);
                slot.crash();
                slot.seal();
                next.crashes += 1;
                if let Some(seen) = seen {
                    seen.push((node, TraceKind::Crashed));
                }
            }
            Action::Restart { node } => self.boot(&mut next, node, seen),
            Action::Request { request, node } => {
                next.delivered |= delivery_bit(request, node);
                let request = self.requests[request as usize].clone();
                self.step(&mut next, node, Input::Client(request), seen);
            }
        }
        next
    }

    /// Fires `timer` of `node`, and spends the scope's budget for it. A
    /// timeout that changes nothing (a leader's election timer, which only
    /// re-arms: raft-core election.rs) spends none: the state is then the
    /// one before, and counting it would only make copies of that state
    /// that differ in a number.
    fn fire(&self, next: &mut Cluster<R>, node: NodeId, timer: u8, seen: Option<&mut Seen>) {
        let before = Arc::clone(&next.slots[node as usize]);
        let in_flight = next.network.items().len();
        Arc::make_mut(&mut next.slots[node as usize]).armed &= !(1 << timer);
        self.step(next, node, Input::Timer(timer), seen);
        if R::is_periodic(timer) {
            next.beats += 1;
        } else if before.timeouts_left != UNBUDGETED {
            let idle =
                next.network.items().len() == in_flight && *next.slots[node as usize] == *before;
            if !idle {
                let slot = Arc::make_mut(&mut next.slots[node as usize]);
                slot.timeouts_left -= 1;
                slot.seal();
            }
        }
    }

    /// Boots node `id` from its disk after a crash, as the world restarts
    /// a node, and records the restart as the world does.
    fn boot(&self, state: &mut Cluster<R>, id: NodeId, mut seen: Option<&mut Seen>) {
        let old = &state.slots[id as usize];
        let (mut slot, mut out) = self.booted(id, old.disk.clone(), old.log.clone());
        slot.timeouts_left = old.timeouts_left;
        slot.seal();
        let status = slot.replica.as_ref().map(R::status).expect("just booted");
        state.slots[id as usize] = Arc::new(slot);
        if let Some(seen) = seen.as_deref_mut() {
            let (term, voted_for) = (status.term, status.voted_for);
            let last_log_index = status.last_log_index;
            seen.push((
                id,
                TraceKind::Restarted {
                    term,
                    voted_for,
                    last_log_index,
                },
            ));
        }
        self.carry_out(state, id, &mut out, seen);
    }

    /// A node booted from `disk`, whose log was observed to be `log`, and
    /// what it asked for first.
    pub(crate) fn booted(
        &self,
        id: NodeId,
        mut disk: R::Disk,
        log: Vec<LogEntry>,
    ) -> (Slot<R>, Actions<R::Message>) {
        let mut out = Actions::default();
        let rng = Pcg32::new(0, u64::from(id)); // draws only durations: see raft-core identity.rs
        let replica = R::boot(id, &self.cluster, &self.options, &mut disk, rng, &mut out);
        let term = replica.status().term;
        (Slot::booted(replica, disk, term, log), out)
    }

    /// Feeds one input to a running node and carries out its answer.
    fn step(
        &self,
        state: &mut Cluster<R>,
        id: NodeId,
        input: Input<R::Message>,
        seen: Option<&mut Seen>,
    ) {
        scratch::with_actions(|out| {
            let slot = Arc::make_mut(&mut state.slots[id as usize]);
            let replica = slot
                .replica
                .as_mut()
                .expect("only running nodes are stepped");
            replica.step(&mut slot.disk, input, out);
            self.carry_out(state, id, out, seen);
        });
    }

    /// Records, sends, replies and arms timers, in the world's order.
    pub(crate) fn carry_out(
        &self,
        state: &mut Cluster<R>,
        id: NodeId,
        out: &mut Actions<R::Message>,
        seen: Option<&mut Seen>,
    ) {
        let log_changed = self.record(state, id, out, seen);
        let duplicating = self.scope.network == NetworkKind::Duplicating;
        for (to, message) in out.messages.drain(..) {
            state.network.send(
                Envelope {
                    from: id,
                    to,
                    message,
                },
                duplicating,
            );
        }
        for reply in out.replies.drain(..) {
            if let ClientResponse::Done(_) = reply.response {
                state.answered |= 1 << (reply.client - 1);
            }
        }
        let slot = Arc::make_mut(&mut state.slots[id as usize]);
        for (timer, after) in out.timers.drain(..) {
            match after {
                Some(_) => slot.armed |= 1 << timer,
                None => slot.armed &= !(1 << timer),
            }
        }
        if let Some(replica) = slot.replica.as_ref() {
            for timer in 0..R::TIMERS as u8 {
                if slot.armed & (1 << timer) != 0 && !replica.timer_matters(timer) {
                    slot.armed &= !(1 << timer);
                }
            }
        }
        slot.seal();
        if log_changed {
            self.check_log_matching(state, id);
        }
        drop_stale(state);
    }

    /// Takes the step's observations into the node's slot and the ghost, in
    /// order; true when the node's log changed.
    fn record(
        &self,
        state: &mut Cluster<R>,
        id: NodeId,
        out: &mut Actions<R::Message>,
        mut seen: Option<&mut Seen>,
    ) -> bool {
        let mut log_changed = false;
        let Cluster { slots, ghost, .. } = state;
        for observation in out.observations.drain(..) {
            let slot = &slots[id as usize];
            if Ghost::cares_about(&observation) {
                let ghost = Arc::make_mut(ghost);
                ghost.observe(id, slot.term, &slot.log, slot.commit, &observation);
            }
            log_changed |= matches!(
                observation,
                TraceKind::LogAppended { .. } | TraceKind::LogTruncated { .. }
            );
            Arc::make_mut(&mut slots[id as usize]).observe(&observation);
            if let Some(seen) = seen.as_deref_mut() {
                seen.push((id, observation));
            }
        }
        log_changed
    }

    /// Log Matching between node `id`'s log and every other node's.
    fn check_log_matching(&self, state: &mut Cluster<R>, id: NodeId) {
        let log = &state.slots[id as usize].log;
        let broken = state
            .slots
            .iter()
            .enumerate()
            .any(|(other, slot)| other != id as usize && !logs_match(log, &slot.log));
        if broken && !state.ghost.is_broken(Safety::LogMatching) {
            Arc::make_mut(&mut state.ghost).record_broken(Safety::LogMatching);
        }
    }
}

/// Drops every message in flight whose delivery could change nothing ever
/// again (see [`Explorable::is_stale`]).
fn drop_stale<R: Explorable>(state: &mut Cluster<R>) {
    let Cluster { slots, network, .. } = state;
    network.retain(|envelope| {
        let receiver = slots[envelope.to as usize].replica.as_ref();
        !receiver.is_some_and(|replica| replica.is_stale(&envelope.message))
    });
}
