//! The simulated world: virtual time, nodes, the network, the nemesis.
//!
//! One trial is one single-threaded discrete-event simulation. Everything
//! that happens is an event in a queue ordered by (virtual time, sequence
//! number); every random choice comes from a stream derived from the trial
//! seed (see [`crate::seeds`]). Nothing reads a clock, iterates a hash map
//! or depends on threads, so a seed and a configuration determine the
//! history and the trace byte for byte.
//!
//! The world drives the nodes of any Raft through the [`Replica`] trait and
//! knows nothing else of them: it hands each step the node's disk, sends
//! the step's messages only once the step has returned (its writes are
//! durable by then), arms the timers it asks for (scaled by clock skew),
//! and records what it observes in the cluster trace. Clients live here
//! too (see [`crate::client`]).

use crate::aim::Aimed;
use crate::client::{Client, ClientConfig, Workload};
use crate::majority::{clean_majority, MajorityChange};
use crate::network::{Fate, Network, NetworkConfig};
use crate::queue::EventQueue;
use crate::schedule::{Fault, FaultSchedule, FaultWindow};
use crate::seeds::{stream, Concern};
use crate::timers::{TimerId, Timers};
use histories::{Function, History, OpType, Process, Recorder, Trace, TraceKind, Value};
use rand::Rng;
use rand_pcg::Pcg32;
use replica::{
    Actions, ClientReply, ClientRequest, ClusterConfig, Input, NodeId, Replica, Role, TimerSlot,
};
use serde::{Deserialize, Serialize};

/// The phases of a trial in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timeline {
    /// When faults may start and when they are all healed.
    pub faults: FaultWindow,
    /// Clients invoke no new operation after this.
    pub clients_stop_ms: u64,
    /// The trial ends.
    pub end_ms: u64,
}

impl Default for Timeline {
    /// Ten simulated seconds: faults from 0.5 s to 6.5 s, then a quiet
    /// period in which the cluster must recover; clients stop invoking at
    /// 9 s so that every operation (op timeout 1 s) is settled by the end.
    fn default() -> Timeline {
        Timeline {
            faults: FaultWindow {
                start_ms: 500,
                heal_at_ms: 6_500,
            },
            clients_stop_ms: 9_000,
            end_ms: 10_000,
        }
    }
}

impl Timeline {
    /// Checks the phases are in order.
    pub fn validate(&self) -> Result<(), String> {
        let FaultWindow {
            start_ms,
            heal_at_ms,
        } = self.faults;
        if !(start_ms <= heal_at_ms
            && heal_at_ms <= self.end_ms
            && self.clients_stop_ms <= self.end_ms)
        {
            return Err(format!(
                "timeline out of order: faults {start_ms}..{heal_at_ms} ms, clients stop {} ms, end {} ms",
                self.clients_stop_ms, self.end_ms
            ));
        }
        Ok(())
    }
}

/// Everything that shapes a world, apart from the seed and the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorldConfig {
    /// The Raft cluster: size, timing, read mode.
    pub cluster: ClusterConfig,
    /// Link latency.
    pub network: NetworkConfig,
    /// Client behaviour.
    pub clients: ClientConfig,
    /// Trial phases.
    pub timeline: Timeline,
    /// Most events a trial may process before the world stops it: a
    /// system that floods itself (a timer re-armed at zero delay, messages
    /// that beget more messages) would otherwise never reach the end of
    /// virtual time. 0 means the default of
    /// [`WorldConfig::DEFAULT_EVENTS_PER_SIMULATED_MS`] per simulated ms.
    #[serde(default)]
    pub max_events: u64,
}

impl Default for WorldConfig {
    fn default() -> WorldConfig {
        WorldConfig {
            cluster: ClusterConfig {
                cluster_size: 5,
                ..ClusterConfig::default()
            },
            network: NetworkConfig::default(),
            clients: ClientConfig::default(),
            timeline: Timeline::default(),
            max_events: 0,
        }
    }
}

/// Counters of what happened in a trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorldStats {
    /// Events processed.
    pub events: u64,
    /// Messages nodes sent.
    pub messages_sent: u64,
    /// Messages lost to partitions, drops or dead receivers.
    pub messages_lost: u64,
    /// Messages delivered twice.
    pub messages_duplicated: u64,
    /// Client operations invoked.
    pub ops_invoked: u64,
    /// Virtual time simulated, in nanoseconds.
    pub simulated_ns: u64,
    /// The trial was stopped at its event budget before its end.
    #[serde(default)]
    pub event_budget_exhausted: bool,
}

/// What a trial produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialOutput {
    /// The client history, nemesis events included.
    pub history: History,
    /// The cluster trace.
    pub trace: Trace,
    /// Counters.
    pub stats: WorldStats,
    /// When a clean majority existed (see [`crate::majority`]), in time
    /// order, from time 0.
    pub majorities: Vec<MajorityChange>,
}

/// Something that happens at a point of virtual time.
#[derive(Clone, Debug)]
pub(crate) enum Event<M> {
    /// A message reaches its receiver.
    Deliver {
        from: NodeId,
        to: NodeId,
        message: M,
        sent_ns: u64,
    },
    /// A node's timer fired (held in its inbox while it is paused).
    Timer { node: NodeId, timer: TimerSlot },
    /// A client request reaches a node.
    RequestArrives {
        node: NodeId,
        request: ClientRequest,
    },
    /// A node's reply reaches a client; `node` is the node that sent it.
    ReplyArrives {
        slot: usize,
        reply: ClientReply,
        node: NodeId,
    },
    /// The schedule's fault number `index` happens.
    Fault { index: usize },
    /// A node an aimed fault crashed comes back.
    Revive { node: NodeId },
    /// A node an aimed pause froze is cut off from the others.
    CutOff { node: NodeId },
}

impl<M> Event<M> {
    /// The node the event is addressed to, if any: a paused node holds
    /// these until it resumes.
    fn target_node(&self) -> Option<NodeId> {
        match self {
            Event::Deliver { to, .. } => Some(*to),
            Event::Timer { node, .. } | Event::RequestArrives { node, .. } => Some(*node),
            _ => None,
        }
    }
}

/// A node's place in the world: the process (absent while crashed), its
/// disk, and the machine around it.
pub(crate) struct NodeSlot<R: Replica> {
    pub node: Option<R>,
    pub disk: R::Disk,
    pub paused: bool,
    /// Events that arrived while paused, in arrival order.
    pub inbox: Vec<Event<R::Message>>,
    /// Timer durations are multiplied by this, in thousandths.
    pub skew_permille: u32,
    pub incarnation: u32,
    /// Messages delivered to this node (for tests and statistics).
    pub messages_received: u64,
}

/// One delivered message, as the optional delivery log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When it was sent.
    pub sent_ns: u64,
    /// When it arrived.
    pub delivered_ns: u64,
}

/// Room for the trace of a trial, so that recording never copies it while
/// it grows: about eight events per node per heartbeat interval (the
/// commit advances, appends and applies of a busy default trial), within
/// sane bounds.
fn expected_trace_events(config: &WorldConfig) -> usize {
    let heartbeats = config.timeline.end_ms / config.cluster.heartbeat_interval_ms.max(1);
    let events = heartbeats * u64::from(config.cluster.cluster_size) * 8;
    events.clamp(1 << 10, 1 << 16) as usize
}

/// Room for the history of a trial: an invoke and a completion for each
/// operation a client can fit in (one per 10 ms of its active time is
/// generous, as each takes at least a client round trip), within bounds.
fn expected_history_records(config: &WorldConfig) -> usize {
    let per_client = config.timeline.clients_stop_ms / 10;
    let records = 2 * per_client * u64::from(config.clients.count);
    records.clamp(1 << 8, 1 << 14) as usize
}

/// The simulated world of one trial, driving nodes of the system `R`.
pub struct World<W: Workload, R: Replica> {
    pub(crate) config: WorldConfig,
    pub(crate) options: R::Options,
    pub(crate) seed: u64,
    pub(crate) now_ns: u64,
    pub(crate) queue: EventQueue<Event<R::Message>>,
    pub(crate) timers: Timers,
    pub(crate) nodes: Vec<NodeSlot<R>>,
    /// The buffer every step writes its answer into, reused.
    pub(crate) actions: Actions<R::Message>,
    /// Events processed before the world stops the trial.
    pub(crate) event_budget: u64,
    pub(crate) network: Network,
    pub(crate) network_rng: Pcg32,
    /// Draws the order in which a thawed node takes its inbox.
    wakeup_rng: Pcg32,
    pub(crate) clients: Vec<Client>,
    pub(crate) client_rng: Pcg32,
    pub(crate) workload: W,
    pub(crate) schedule: FaultSchedule,
    pub(crate) history: Recorder,
    pub(crate) trace: Trace,
    pub(crate) stats: WorldStats,
    pub(crate) delivery_log: Option<Vec<Delivery>>,
    /// The armed targeted faults, at most one of each kind.
    pub(crate) aims: Vec<Aimed>,
    pub(crate) majorities: Vec<MajorityChange>,
}

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;

impl<W: Workload, R: Replica> World<W, R> {
    /// A world at time 0 with every node of system `R` booted from an
    /// empty disk, every client about to start, and the schedule's faults
    /// queued.
    ///
    /// # Panics
    /// If the configuration is invalid or the system cannot be that
    /// cluster (check first with [`WorldConfig::validate`] and
    /// [`Replica::validate`]).
    pub fn new(
        config: WorldConfig,
        options: R::Options,
        schedule: FaultSchedule,
        workload: W,
        seed: u64,
    ) -> World<W, R> {
        if let Err(problem) = config
            .validate()
            .and_then(|()| R::validate(&config.cluster, &options))
        {
            panic!("invalid world config: {problem}");
        }
        let size = config.cluster.cluster_size;
        let mut world = World {
            config,
            options,
            seed,
            now_ns: 0,
            queue: EventQueue::with_capacity(1024),
            timers: Timers::new(size as usize, R::TIMERS, config.clients.count as usize),
            nodes: Vec::with_capacity(size as usize),
            actions: Actions::default(),
            event_budget: config.event_budget(),
            network: Network::new(config.network, size),
            network_rng: stream(seed, Concern::Network),
            wakeup_rng: stream(seed, Concern::Wakeups),
            clients: Vec::new(),
            client_rng: stream(seed, Concern::Clients),
            workload,
            schedule,
            history: Recorder::with_capacity(expected_history_records(&config)),
            trace: Trace {
                events: Vec::with_capacity(expected_trace_events(&config)),
            },
            stats: WorldStats::default(),
            delivery_log: None,
            aims: Vec::new(),
            majorities: Vec::new(),
        };
        for index in 0..world.schedule.faults.len() {
            let at_ns = world.schedule.faults[index].at_ms * NS_PER_MS;
            world.queue.push(at_ns, Event::Fault { index });
        }
        for id in 0..size {
            world.nodes.push(NodeSlot {
                node: None,
                disk: R::Disk::default(),
                paused: false,
                inbox: Vec::new(),
                skew_permille: 1000,
                incarnation: 0,
                messages_received: 0,
            });
            world.boot(id, 0);
        }
        world.start_clients();
        world.note_majority();
        world
    }

    fn timer_stream(&self, node: NodeId, incarnation: u32) -> Pcg32 {
        stream(self.seed, Concern::NodeTimers { node, incarnation })
    }

    /// Runs until virtual time `until_ms` (or the end of the trial).
    pub fn run_until(&mut self, until_ms: u64) {
        let until_ns = until_ms.min(self.config.timeline.end_ms) * NS_PER_MS;
        loop {
            let event = self.queue.peek_key();
            let timer = self.timers.peek();
            let next = match (event, timer) {
                (Some(event), Some(timer)) => event.min(timer),
                (Some(only), None) | (None, Some(only)) => only,
                (None, None) => break,
            };
            if next.0 > until_ns {
                break;
            }
            if self.stats.events >= self.event_budget {
                self.stats.event_budget_exhausted = true;
                self.now_ns = next.0;
                return;
            }
            debug_assert!(next.0 >= self.now_ns, "time never goes backwards");
            self.now_ns = next.0;
            self.stats.events += 1;
            if timer == Some(next) {
                let timer = self.timers.pop().expect("peeked");
                self.fire(timer);
            } else {
                let (_, event) = self.queue.pop().expect("peeked");
                self.dispatch(event);
            }
        }
        self.now_ns = self.now_ns.max(until_ns);
    }

    fn fire(&mut self, timer: TimerId) {
        match timer {
            TimerId::Node { node, timer } => self.dispatch(Event::Timer { node, timer }),
            TimerId::Client(slot) => self.client_wake(slot),
        }
    }

    /// Runs the whole trial and returns what it produced.
    pub fn run(mut self) -> TrialOutput {
        self.run_until(self.config.timeline.end_ms);
        self.finish()
    }

    /// Ends the trial where it stands.
    pub fn finish(mut self) -> TrialOutput {
        self.stats.simulated_ns = self.now_ns;
        TrialOutput {
            history: self
                .history
                .finish()
                .expect("an in-memory recorder cannot fail"),
            trace: self.trace,
            stats: self.stats,
            majorities: self.majorities,
        }
    }

    fn dispatch(&mut self, event: Event<R::Message>) {
        if let Some(node) = event.target_node() {
            let slot = &mut self.nodes[node as usize];
            if slot.node.is_none() {
                if matches!(event, Event::Deliver { .. }) {
                    self.stats.messages_lost += 1;
                }
                return; // a crashed node hears nothing
            }
            if slot.paused {
                slot.inbox.push(event);
                return;
            }
        }
        match event {
            Event::Deliver {
                from,
                to,
                message,
                sent_ns,
            } => self.deliver(from, to, message, sent_ns),
            Event::Timer { node, timer } => self.step(node, Input::Timer(timer)),
            Event::RequestArrives { node, request } => self.step(node, Input::Client(request)),
            Event::ReplyArrives { slot, reply, node } => self.client_reply(slot, reply, node),
            Event::Fault { index } => {
                let fault = self.schedule.faults[index].fault.clone();
                self.inject(&fault);
            }
            Event::Revive { node } => self.revive(node),
            Event::CutOff { node } => self.cut_off(node),
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, message: R::Message, sent_ns: u64) {
        // A partition cuts messages already on the wire, too.
        if !self.network.reachable(from, to) {
            self.stats.messages_lost += 1;
            return;
        }
        self.nodes[to as usize].messages_received += 1;
        if let Some(log) = self.delivery_log.as_mut() {
            log.push(Delivery {
                from,
                to,
                sent_ns,
                delivered_ns: self.now_ns,
            });
        }
        self.step(to, Input::Message { from, message });
    }

    /// Feeds one input to a live node and carries out what it asks for.
    pub(crate) fn step(&mut self, id: NodeId, input: Input<R::Message>) {
        let slot = &mut self.nodes[id as usize];
        let node = slot.node.as_mut().expect("only live nodes are stepped");
        node.step(&mut slot.disk, input, &mut self.actions);
        self.carry_out(id);
    }

    /// Boots incarnation `incarnation` of node `id` from its disk, records
    /// a restart (after a crash), and carries out what booting asked for.
    fn boot(&mut self, id: NodeId, incarnation: u32) {
        let rng = self.timer_stream(id, incarnation);
        let slot = &mut self.nodes[id as usize];
        debug_assert!(slot.node.is_none(), "booting a live node");
        slot.incarnation = incarnation;
        let node = R::boot(
            id,
            &self.config.cluster,
            &self.options,
            &mut slot.disk,
            rng,
            &mut self.actions,
        );
        let status = node.status();
        slot.node = Some(node);
        if incarnation > 0 {
            let restarted = TraceKind::Restarted {
                term: status.term,
                voted_for: status.voted_for,
                last_log_index: status.last_log_index,
            };
            self.trace.record(self.now_ns, id, restarted);
        }
        self.carry_out(id);
    }

    /// Records, sends, replies and arms timers, in that order. The step
    /// that asked for them has returned, so its writes are on its disk:
    /// nothing leaves a node before its disk holds what it depends on.
    /// An armed targeted fault reads the observations and may strike
    /// between the write and the send (a crash there loses the messages).
    fn carry_out(&mut self, id: NodeId) {
        let mut actions = std::mem::take(&mut self.actions);
        let mut strike = None;
        for observation in actions.observations.drain(..) {
            if strike.is_none() && !self.aims.is_empty() {
                strike = self.watch(id, &observation);
            }
            self.record_observation(id, observation);
        }
        if let Some((aim, strike)) = strike {
            if self.strike(id, aim, strike) {
                actions.messages.clear();
                actions.replies.clear();
                actions.timers.clear();
                self.actions = actions;
                return;
            }
        }
        for (to, message) in actions.messages.drain(..) {
            self.send(id, to, message);
        }
        for reply in actions.replies.drain(..) {
            self.route_reply(id, reply);
        }
        for (timer, after_us) in actions.timers.drain(..) {
            self.set_timer(id, timer, after_us);
        }
        self.actions = actions;
        if let Some((_, strike)) = strike {
            self.strike_after_sending(strike);
        }
    }

    fn set_timer(&mut self, node: NodeId, timer: TimerSlot, after_us: Option<u64>) {
        assert!(
            usize::from(timer) < R::TIMERS,
            "n{node} asked for timer {timer}, but its system declares {} timers",
            R::TIMERS
        );
        let id = TimerId::Node { node, timer };
        let Some(after_us) = after_us else {
            self.timers.disarm(id);
            return;
        };
        let skew_permille = u64::from(self.nodes[node as usize].skew_permille);
        let scaled_ns = after_us * NS_PER_US * skew_permille / 1000;
        let seq = self.queue.next_seq();
        self.timers.arm(id, self.now_ns + scaled_ns, seq);
    }

    /// Changes the rate of `node`'s clock. Its armed timers keep the local
    /// time they still have to run, so their remaining real time scales by
    /// the ratio of the rates: a heartbeat armed under a clock five times
    /// slow fires on time once the clock is healed, instead of long after
    /// the heal (which would make the quiet period after it look slow).
    fn set_skew(&mut self, node: NodeId, rate_permille: u32) {
        let rate_permille = rate_permille.max(1);
        let old_permille =
            std::mem::replace(&mut self.nodes[node as usize].skew_permille, rate_permille);
        if old_permille == rate_permille {
            return;
        }
        for timer in 0..R::TIMERS {
            let id = TimerId::Node {
                node,
                timer: timer as TimerSlot,
            };
            let Some((due_ns, seq)) = self.timers.deadline_of(id) else {
                continue;
            };
            let remaining_ns = u128::from(due_ns.saturating_sub(self.now_ns));
            let rescaled_ns = remaining_ns * u128::from(rate_permille) / u128::from(old_permille);
            let rescaled_ns = u64::try_from(rescaled_ns).unwrap_or(u64::MAX - self.now_ns);
            self.timers.arm(id, self.now_ns + rescaled_ns, seq);
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, message: R::Message) {
        assert!(
            to < self.config.cluster.cluster_size && to != from,
            "n{from} sent a message to n{to}, which is not one of its peers"
        );
        self.stats.messages_sent += 1;
        match self.network.fate(from, to, &mut self.network_rng) {
            Fate::Lost => self.stats.messages_lost += 1,
            Fate::Delivered { delay_us } => {
                let delay_us = delay_us + self.aimed_delay_us(to);
                self.put_on_wire(from, to, message, delay_us);
            }
            Fate::Duplicated {
                first_us,
                second_us,
            } => {
                self.stats.messages_duplicated += 1;
                let aimed_us = self.aimed_delay_us(to);
                self.put_on_wire(from, to, message.clone(), first_us + aimed_us);
                self.put_on_wire(from, to, message, second_us + aimed_us);
            }
        }
    }

    fn put_on_wire(&mut self, from: NodeId, to: NodeId, message: R::Message, delay_us: u64) {
        let sent_ns = self.now_ns;
        let event = Event::Deliver {
            from,
            to,
            message,
            sent_ns,
        };
        self.queue.push(sent_ns + delay_us * NS_PER_US, event);
    }

    /// Puts a client request or a reply on the client link, where link
    /// faults apply (see [`Network::client_fate`]): it may arrive late,
    /// twice, or not at all.
    pub(crate) fn send_on_client_link(&mut self, event: Event<R::Message>) {
        match self.network.client_fate(&mut self.network_rng) {
            Fate::Lost => {}
            Fate::Delivered { delay_us } => {
                self.queue.push(self.now_ns + delay_us * NS_PER_US, event)
            }
            Fate::Duplicated {
                first_us,
                second_us,
            } => {
                self.queue
                    .push(self.now_ns + first_us * NS_PER_US, event.clone());
                self.queue.push(self.now_ns + second_us * NS_PER_US, event);
            }
        }
    }

    /// Records what a node reported. Crashes, restarts, pauses, faults and
    /// served reads are the world's to record: a system that reports one is broken.
    fn record_observation(&mut self, id: NodeId, observation: TraceKind) {
        match observation {
            TraceKind::Crashed
            | TraceKind::Restarted { .. }
            | TraceKind::Paused
            | TraceKind::Resumed
            | TraceKind::Nemesis { .. }
            | TraceKind::ReadServed { .. } => {
                panic!("n{id} reported {observation:?}, which only the world records")
            }
            _ => self.trace.record(self.now_ns, id, observation),
        }
    }

    // ---- The nemesis ------------------------------------------------------

    /// Carries out one fault and records it in the trace and the history.
    pub fn inject(&mut self, fault: &Fault) {
        self.trace.record_nemesis(self.now_ns, fault.to_string());
        self.history.record(
            self.now_ns,
            OpType::Info,
            Process::Nemesis,
            Function::Other(fault_function(fault).to_string()),
            None,
            Value::Str(fault.to_string()),
            None,
        );
        match fault {
            Fault::Partition(shape) => {
                let leader = self.current_leader();
                self.network.partition(shape, leader);
            }
            Fault::HealPartition => self.network.heal_partition(),
            Fault::Crash { node } => self.crash(*node),
            Fault::Restart { node } => self.restart(*node),
            Fault::Pause { node } => self.pause(*node),
            Fault::Resume { node } => self.resume(*node),
            Fault::Skew {
                node,
                rate_permille,
            } => self.set_skew(*node, *rate_permille),
            Fault::Drop { permille } => self.network.set_drop(*permille),
            Fault::Duplicate { permille } => self.network.set_duplicate(*permille),
            Fault::Delay { max_extra_ms } => self.network.set_extra_delay(max_extra_ms * 1_000),
            Fault::Aim(target) => self.arm(target),
            Fault::EndAim(target) => self.disarm(target),
            Fault::HealAll => self.heal_all(),
        }
        self.note_majority();
    }

    /// Records the clean majority when it changed (see [`crate::majority`]).
    pub(crate) fn note_majority(&mut self) {
        let bits = |keep: &dyn Fn(&NodeSlot<R>) -> bool| {
            (self.nodes.iter().enumerate())
                .filter(|(_, slot)| keep(slot))
                .fold(0u64, |bits, (id, _)| bits | 1 << id)
        };
        let running = bits(&|slot| slot.node.is_some() && !slot.paused);
        let skewed = bits(&|slot| slot.skew_permille != 1000);
        let size = self.config.cluster.cluster_size;
        // An armed targeted fault is a fault under way: it may strike the
        // majority's leader at any moment, so no span it covers is clean.
        let members = match self.aims.is_empty() {
            true => clean_majority(&self.network, size, running, skewed),
            false => 0,
        };
        if self.majorities.last().map(|last| last.members) != Some(members) {
            let time_ns = self.now_ns;
            self.majorities.push(MajorityChange { time_ns, members });
        }
    }

    /// The live node that believes it leads the highest term, if any.
    pub fn current_leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(id, slot)| Some((id as NodeId, slot.node.as_ref()?.status())))
            .filter(|(_, status)| status.role == Role::Leader)
            .max_by_key(|(id, status)| (status.term, std::cmp::Reverse(*id)))
            .map(|(id, _)| id)
    }

    pub(crate) fn crash(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if slot.node.take().is_none() {
            return;
        }
        slot.paused = false;
        slot.inbox.clear();
        for timer in 0..R::TIMERS {
            let timer = timer as TimerSlot;
            self.timers.disarm(TimerId::Node { node: id, timer });
        }
        self.trace.record(self.now_ns, id, TraceKind::Crashed);
    }

    pub(crate) fn restart(&mut self, id: NodeId) {
        if self.nodes[id as usize].node.is_some() {
            return;
        }
        let incarnation = self.nodes[id as usize].incarnation + 1;
        self.boot(id, incarnation);
    }

    pub(crate) fn pause(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if slot.node.is_none() || slot.paused {
            return;
        }
        slot.paused = true;
        self.trace.record(self.now_ns, id, TraceKind::Paused);
    }

    /// Thaws a node: everything that reached it while frozen is handed to
    /// it now. A real process woken from SIGSTOP finds its socket backlog
    /// and its overdue timers at once, and which its event loop takes first
    /// is up to the loop: each thaw draws (from the seed) either arrival
    /// order, overdue timers included, or every message first and the
    /// timers after. The second order is the one that exposes a leader
    /// acting on acknowledgements it got before a timer would have moved
    /// it on (a read confirmed by a heartbeat round older than the read).
    pub(crate) fn resume(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if !slot.paused {
            return;
        }
        slot.paused = false;
        let mut inbox = std::mem::take(&mut slot.inbox);
        self.trace.record(self.now_ns, id, TraceKind::Resumed);
        if !inbox.is_empty() && self.wakeup_rng.gen_bool(0.5) {
            // A stable sort: messages in arrival order, then timers.
            inbox.sort_by_key(|event| matches!(event, Event::Timer { .. }));
        }
        for event in inbox {
            self.queue.push(self.now_ns, event);
        }
    }

    fn heal_all(&mut self) {
        self.aims.clear();
        self.network.heal_partition();
        self.network.clear_link_faults();
        for id in 0..self.config.cluster.cluster_size {
            self.set_skew(id, 1000);
            self.resume(id);
            self.restart(id);
        }
    }

    // ---- Inspection (tests and tools) ---------------------------------------

    /// The node, unless crashed.
    pub fn node(&self, id: NodeId) -> Option<&R> {
        self.nodes[id as usize].node.as_ref()
    }

    /// What the node's disk holds.
    pub fn disk(&self, id: NodeId) -> &R::Disk {
        &self.nodes[id as usize].disk
    }

    /// True while the node is paused.
    pub fn is_paused(&self, id: NodeId) -> bool {
        self.nodes[id as usize].paused
    }

    /// Current virtual time.
    pub fn now_ms(&self) -> u64 {
        self.now_ns / NS_PER_MS
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        self.history.history()
    }

    /// Counters so far.
    pub fn stats(&self) -> WorldStats {
        self.stats
    }

    /// Messages delivered to `id` so far.
    pub fn messages_received(&self, id: NodeId) -> u64 {
        self.nodes[id as usize].messages_received
    }

    /// Starts recording every delivered message (costs memory; for tests).
    pub fn record_deliveries(&mut self) {
        self.delivery_log.get_or_insert_with(Vec::new);
    }

    /// The deliveries recorded since [`World::record_deliveries`].
    pub fn deliveries(&self) -> &[Delivery] {
        self.delivery_log.as_deref().unwrap_or(&[])
    }

    /// The network (to inspect reachability).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }
}

impl WorldConfig {
    /// The event budget when none is set: a default trial processes about
    /// 0.5 events per simulated millisecond, so this leaves three orders of
    /// magnitude of room and still ends a flood in seconds.
    pub const DEFAULT_EVENTS_PER_SIMULATED_MS: u64 = 1_000;

    /// The events a trial may process (see [`WorldConfig::max_events`]).
    pub fn event_budget(&self) -> u64 {
        match self.max_events {
            0 => self.timeline.end_ms.max(1) * Self::DEFAULT_EVENTS_PER_SIMULATED_MS,
            budget => budget,
        }
    }

    /// Checks every part of the configuration.
    pub fn validate(&self) -> Result<(), String> {
        self.cluster.validate()?;
        self.timeline.validate()?;
        self.clients.validate()?;
        if self.network.latency_min_us > self.network.latency_max_us {
            return Err(format!(
                "network latency range is empty: {}..{} us",
                self.network.latency_min_us, self.network.latency_max_us
            ));
        }
        Ok(())
    }
}

/// The `:f` of a nemesis event in the history, in Jepsen's style.
fn fault_function(fault: &Fault) -> &'static str {
    match fault {
        Fault::Partition(_) => "start-partition",
        Fault::HealPartition => "stop-partition",
        Fault::Crash { .. } => "kill",
        Fault::Restart { .. } => "start",
        Fault::Pause { .. } => "pause",
        Fault::Resume { .. } => "resume",
        Fault::Skew { .. } => "clock-skew",
        Fault::Drop { .. } => "drop",
        Fault::Duplicate { .. } => "duplicate",
        Fault::Delay { .. } => "delay",
        Fault::Aim(_) => "aim",
        Fault::EndAim(_) => "end-aim",
        Fault::HealAll => "heal-all",
    }
}

#[cfg(test)]
mod thaw_order {
    use super::*;
    use crate::client::NoClients;
    use replica::KvOp;

    /// The kinds of node 0's events the thaw queued, in queue order.
    fn thawed_order(seed: u64) -> Vec<&'static str> {
        let config = WorldConfig::default();
        let schedule = FaultSchedule::quiet(config.timeline.faults);
        let mut world = World::<NoClients, raft_core::Node>::new(
            config,
            raft_core::BugSet::NONE,
            schedule,
            NoClients,
            seed,
        );
        world.pause(0);
        let request = |seq| Event::RequestArrives {
            node: 0,
            request: ClientRequest {
                client: 1,
                seq,
                op: KvOp::Get { key: "k".into() },
            },
        };
        let timer = Event::Timer { node: 0, timer: 0 };
        world.nodes[0].inbox = vec![timer.clone(), request(1), timer, request(2)];
        world.resume(0);
        let mut order = Vec::new();
        while let Some((_, event)) = world.queue.pop() {
            match event {
                Event::Timer { node: 0, .. } => order.push("timer"),
                Event::RequestArrives { node: 0, .. } => order.push("message"),
                _ => {}
            }
        }
        order
    }

    #[test]
    fn a_thaw_takes_its_backlog_in_arrival_order_or_messages_first_by_seed() {
        let arrival = ["timer", "message", "timer", "message"];
        let messages_first = ["message", "message", "timer", "timer"];
        let orders: Vec<Vec<&str>> = (0..32).map(thawed_order).collect();
        assert!(
            orders
                .iter()
                .all(|o| o[..] == arrival || o[..] == messages_first),
            "{orders:?}"
        );
        assert!(
            orders.iter().any(|o| o[..] == arrival),
            "arrival order is drawn"
        );
        assert!(
            orders.iter().any(|o| o[..] == messages_first),
            "messages first is drawn"
        );
        assert_eq!(thawed_order(7), thawed_order(7), "the seed decides");
    }
}
