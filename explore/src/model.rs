//! The stateright model: the cluster's initial state, the actions enabled
//! in a state, the successor an action leads to, the scope's boundary and
//! the properties.

use crate::action::Action;
use crate::ghost::Ghost;
use crate::network::Network;
use crate::properties;
use crate::scope::{NetworkKind, Scope};
use crate::slot::Slot;
use crate::state::{delivery_bit, Cluster, Slots};
use crate::step::Seen;
use crate::system::Explorable;
use histories::NodeId;
use replica::{ClientRequest, ClusterConfig};
use stateright::{Model, Property};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A small cluster of `R` in a scope, as a model for stateright.
pub struct ExploreModel<R: Explorable> {
    /// The bounds.
    pub scope: Scope,
    /// What the replicas are told the cluster is.
    pub cluster: ClusterConfig,
    /// The system's options (raft-core: planted bugs).
    pub options: R::Options,
    /// The clients' requests, by number.
    pub requests: Vec<ClientRequest>,
    deadline: Option<Instant>,
    /// Set at the deadline: no new state is inside the scope, no action is
    /// enabled (so the checker drains at once).
    closed: AtomicBool,
    /// Set at the deadline, for good: the scope was not exhausted.
    timed_out: AtomicBool,
    /// By property: the depth of the shortest path found to a discovery.
    shortest: Vec<AtomicU32>,
}

impl<R: Explorable> ExploreModel<R> {
    /// A model of `scope` with these options, if the system can be that
    /// cluster.
    pub fn new(scope: Scope, options: R::Options) -> Result<ExploreModel<R>, String> {
        scope.validate()?;
        let cluster = scope.cluster();
        R::validate(&cluster, &options)?;
        Ok(ExploreModel {
            scope,
            cluster,
            options,
            requests: scope.client_requests(),
            deadline: None,
            closed: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
            shortest: (0..properties::all::<R>().len())
                .map(|_| AtomicU32::new(u32::MAX))
                .collect(),
        })
    }

    /// Stops exploring (every new state falls outside the boundary) at
    /// `deadline`; [`ExploreModel::timed_out`] then says so.
    pub fn with_deadline(self, deadline: Instant) -> ExploreModel<R> {
        ExploreModel {
            deadline: Some(deadline),
            ..self
        }
    }

    /// True when the deadline cut the exploration short.
    pub fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }

    /// Lifts the deadline's closure, so that paths can be replayed after
    /// the checker stopped (stateright rebuilds them through `actions`).
    pub fn reopen(&self) {
        self.closed.store(false, Ordering::Relaxed);
    }

    /// The requests that are reads, one bit each.
    pub fn read_requests(&self) -> u32 {
        self.requests
            .iter()
            .enumerate()
            .filter(|(_, request)| request.op.is_read())
            .fold(0, |mask, (k, _)| mask | 1 << k)
    }

    /// Records a discovery of property `index` at `depth`; true when no
    /// shorter one is known. stateright keeps the last discovery a property
    /// reports, so a property reports only its shortest: breadth-first, the
    /// first found.
    pub(crate) fn shortest_so_far(&self, index: usize, depth: u32) -> bool {
        depth <= self.shortest[index].fetch_min(depth, Ordering::Relaxed)
    }

    /// The depth of the shortest discovery of the property `name`, if any.
    pub fn shortest_depth(&self, name: &str) -> Option<u32> {
        let index = properties::all::<R>().iter().position(|p| p.name == name)?;
        let depth = self.shortest[index].load(Ordering::Relaxed);
        (depth != u32::MAX).then_some(depth)
    }

    /// The initial state, before symmetry reduction: every node booted
    /// from an empty disk.
    pub fn initial(&self, seen: Option<&mut Seen>) -> Cluster<R> {
        let mut outs = Vec::new();
        let mut slots = Slots::new();
        for id in 0..self.scope.nodes {
            let (mut slot, out) = self.booted(id, R::Disk::default(), Vec::new());
            if let Some(budget) = self.scope.timeouts {
                slot.timeouts_left = budget.of(id);
                slot.seal();
            }
            slots.push(Arc::new(slot));
            outs.push(out);
        }
        let mut state = Cluster {
            slots,
            network: Network::default(),
            ghost: Arc::new(Ghost::default()),
            answered: 0,
            delivered: 0,
            crashes: 0,
            beats: 0,
            depth: 0,
        };
        let mut seen = seen;
        for (id, mut out) in outs.into_iter().enumerate() {
            self.carry_out(&mut state, id as NodeId, &mut out, seen.as_deref_mut());
        }
        state
    }

    /// Every action enabled in `state`, in a fixed order.
    pub fn enabled(&self, state: &Cluster<R>, actions: &mut Vec<Action>) {
        if state.ghost.broken != 0 || self.closed.load(Ordering::Relaxed) {
            return; // a violation ends its path; a deadline ends them all
        }
        for (id, slot) in state.slots.iter().enumerate() {
            let node = id as NodeId;
            for timer in (0..R::TIMERS as u8).filter(|&t| slot.is_armed(t)) {
                if self.may_fire(state, slot, timer) {
                    actions.push(Action::Fire { node, timer });
                }
            }
        }
        for (message, item) in state.network.items().iter().enumerate() {
            if state.slots[item.envelope.to as usize].is_up() {
                actions.push(Action::Deliver { message });
            }
            if self.scope.network == NetworkKind::Lossy {
                actions.push(Action::Drop { message });
            }
        }
        self.faults(state, actions);
        self.client_requests(state, actions);
    }

    /// True when the scope's budget allows one more firing of `timer`.
    fn may_fire(&self, state: &Cluster<R>, slot: &Slot<R>, timer: u8) -> bool {
        if R::is_periodic(timer) {
            u32::from(state.beats) < self.scope.heartbeats
        } else {
            slot.timeouts_left > 0
        }
    }

    fn faults(&self, state: &Cluster<R>, actions: &mut Vec<Action>) {
        let can_crash =
            u32::from(state.crashes) < self.scope.crashes && state.down() < self.scope.max_down();
        for (id, slot) in state.slots.iter().enumerate() {
            let node = id as NodeId;
            match slot.is_up() {
                true if can_crash => actions.push(Action::Crash { node }),
                false => actions.push(Action::Restart { node }),
                true => {}
            }
        }
    }

    fn client_requests(&self, state: &Cluster<R>, actions: &mut Vec<Action>) {
        for request in 0..self.requests.len() as u32 {
            if state.answered & (1 << request) != 0 {
                continue;
            }
            for (id, slot) in state.slots.iter().enumerate() {
                let node = id as NodeId;
                let fresh = state.delivered & delivery_bit(request, node) == 0;
                if fresh
                    && slot
                        .replica
                        .as_ref()
                        .is_some_and(|replica| !replica.ignores_clients())
                {
                    actions.push(Action::Request { request, node });
                }
            }
        }
    }
}

impl<R: Explorable> Model for ExploreModel<R> {
    type State = Cluster<R>;
    type Action = Action;

    fn init_states(&self) -> Vec<Cluster<R>> {
        vec![self.representative(self.initial(None)).0]
    }

    fn actions(&self, state: &Cluster<R>, actions: &mut Vec<Action>) {
        self.enabled(state, actions);
    }

    fn next_state(&self, state: &Cluster<R>, action: Action) -> Option<Cluster<R>> {
        Some(self.representative(self.successor(state, action, None)).0)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all()
    }

    /// Inside the scope: no term past the bound, no log past the bound,
    /// and the deadline not passed.
    fn within_boundary(&self, state: &Cluster<R>) -> bool {
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            self.closed.store(true, Ordering::Relaxed);
            self.timed_out.store(true, Ordering::Relaxed);
            return false;
        }
        state.slots.iter().all(|slot| {
            slot.term <= self.scope.max_term && slot.log.len() as u64 <= self.scope.max_log
        })
    }
}
