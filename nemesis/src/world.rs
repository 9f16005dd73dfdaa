//! The simulated world: virtual time, nodes, the network, the nemesis.
//!
//! One trial is one single-threaded discrete-event simulation. Everything
//! that happens is an event in a queue ordered by (virtual time, sequence
//! number); every random choice comes from a stream derived from the trial
//! seed (see [`crate::seeds`]). Nothing reads a clock, iterates a hash map
//! or depends on threads, so a seed and a configuration determine the
//! history and the trace byte for byte.
//!
//! The world drives real `raft-core` nodes: it feeds them inputs, persists
//! what each step asks to persist *before* sending the step's messages,
//! arms their timers (scaled by clock skew), and records every observable
//! change in the cluster trace. Clients live here too (see
//! [`crate::client`]).

use crate::client::{Client, ClientConfig, Workload};
use crate::network::{Fate, Network, NetworkConfig};
use crate::queue::EventQueue;
use crate::schedule::{Fault, FaultSchedule, FaultWindow};
use crate::seeds::{stream, Concern};
use crate::timers::{TimerId, Timers};
use histories::{EntryId, Function, History, OpType, Process, Recorder, Trace, TraceKind, Value};
use raft_core::{
    ClientReply, ClientRequest, ClusterConfig, Command, DurableState, Input, Message, Node,
    NodeEvent, NodeId, Ready, Role,
};
use rand_pcg::Pcg32;
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
    /// The Raft cluster: size, timing, read mode, planted bugs.
    pub cluster: ClusterConfig,
    /// Link latency.
    pub network: NetworkConfig,
    /// Client behaviour.
    pub clients: ClientConfig,
    /// Trial phases.
    pub timeline: Timeline,
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
}

/// Which of a node's two timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerKind {
    Election,
    Heartbeat,
}

/// Something that happens at a point of virtual time.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// A message reaches its receiver.
    Deliver { message: Message, sent_ns: u64 },
    /// A node's timer fired while it was paused (held in its inbox).
    Timer { node: NodeId, kind: TimerKind },
    /// A client request reaches a node.
    RequestArrives {
        node: NodeId,
        request: ClientRequest,
    },
    /// A node's reply reaches a client.
    ReplyArrives { slot: usize, reply: ClientReply },
    /// The schedule's fault number `index` happens.
    Fault { index: usize },
}

impl Event {
    /// The node the event is addressed to, if any: a paused node holds
    /// these until it resumes.
    fn target_node(&self) -> Option<NodeId> {
        match self {
            Event::Deliver { message, .. } => Some(message.to),
            Event::Timer { node, .. } | Event::RequestArrives { node, .. } => Some(*node),
            _ => None,
        }
    }
}

/// A node's place in the world: the process (absent while crashed), its
/// disk, and the machine around it.
pub(crate) struct NodeSlot {
    pub node: Option<Node>,
    pub disk: DurableState,
    pub paused: bool,
    /// Events that arrived while paused, in arrival order.
    pub inbox: Vec<Event>,
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

/// The simulated world of one trial.
pub struct World<W: Workload> {
    pub(crate) config: WorldConfig,
    pub(crate) seed: u64,
    pub(crate) now_ns: u64,
    pub(crate) queue: EventQueue<Event>,
    pub(crate) timers: Timers,
    pub(crate) nodes: Vec<NodeSlot>,
    pub(crate) network: Network,
    pub(crate) network_rng: Pcg32,
    pub(crate) clients: Vec<Client>,
    pub(crate) client_rng: Pcg32,
    pub(crate) workload: W,
    pub(crate) schedule: FaultSchedule,
    pub(crate) history: Recorder,
    pub(crate) trace: Trace,
    pub(crate) stats: WorldStats,
    pub(crate) delivery_log: Option<Vec<Delivery>>,
}

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;

impl<W: Workload> World<W> {
    /// A world at time 0 with every node booted as a follower, every client
    /// about to start, and the schedule's faults queued.
    ///
    /// # Panics
    /// If the configuration is invalid (validate it first with
    /// [`WorldConfig::validate`]).
    pub fn new(config: WorldConfig, schedule: FaultSchedule, workload: W, seed: u64) -> World<W> {
        if let Err(problem) = config.validate() {
            panic!("invalid world config: {problem}");
        }
        let size = config.cluster.cluster_size;
        let mut world = World {
            config,
            seed,
            now_ns: 0,
            queue: EventQueue::with_capacity(1024),
            timers: Timers::new(size as usize, config.clients.count as usize),
            nodes: Vec::with_capacity(size as usize),
            network: Network::new(config.network, size),
            network_rng: stream(seed, Concern::Network),
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
        };
        for index in 0..world.schedule.faults.len() {
            let at_ns = world.schedule.faults[index].at_ms * NS_PER_MS;
            world.queue.push(at_ns, Event::Fault { index });
        }
        for id in 0..size {
            let node = Node::new(id, config.cluster, world.timer_stream(id, 0));
            world.nodes.push(NodeSlot {
                node: Some(node),
                disk: DurableState::default(),
                paused: false,
                inbox: Vec::new(),
                skew_permille: 1000,
                incarnation: 0,
                messages_received: 0,
            });
            world.boot(id);
        }
        world.start_clients();
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
            TimerId::Election(node) => self.dispatch(Event::Timer {
                node,
                kind: TimerKind::Election,
            }),
            TimerId::Heartbeat(node) => self.dispatch(Event::Timer {
                node,
                kind: TimerKind::Heartbeat,
            }),
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
        }
    }

    fn dispatch(&mut self, event: Event) {
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
            Event::Deliver { message, sent_ns } => self.deliver(message, sent_ns),
            Event::Timer { node, kind } => {
                let input = match kind {
                    TimerKind::Election => Input::ElectionTimeout,
                    TimerKind::Heartbeat => Input::HeartbeatDue,
                };
                self.step(node, input);
            }
            Event::RequestArrives { node, request } => self.step(node, Input::Client(request)),
            Event::ReplyArrives { slot, reply } => self.client_reply(slot, reply),
            Event::Fault { index } => {
                let fault = self.schedule.faults[index].fault.clone();
                self.inject(&fault);
            }
        }
    }

    fn deliver(&mut self, message: Message, sent_ns: u64) {
        // A partition cuts messages already on the wire, too.
        if !self.network.reachable(message.from, message.to) {
            self.stats.messages_lost += 1;
            return;
        }
        self.nodes[message.to as usize].messages_received += 1;
        if let Some(log) = self.delivery_log.as_mut() {
            log.push(Delivery {
                from: message.from,
                to: message.to,
                sent_ns,
                delivered_ns: self.now_ns,
            });
        }
        self.step(message.to, Input::Message(message));
    }

    /// Feeds one input to a live node and carries out its `Ready`.
    pub(crate) fn step(&mut self, id: NodeId, input: Input) {
        let node = self.nodes[id as usize]
            .node
            .as_mut()
            .expect("only live nodes are stepped");
        let ready = node.step(input);
        self.carry_out(id, ready);
    }

    fn boot(&mut self, id: NodeId) {
        let node = self.nodes[id as usize]
            .node
            .as_mut()
            .expect("booting a live node");
        let ready = node.start();
        self.carry_out(id, ready);
    }

    /// Persists, records, sends, replies and arms timers, in that order:
    /// nothing leaves a node before its disk holds what it depends on.
    fn carry_out(&mut self, id: NodeId, mut ready: Ready) {
        let slot = &mut self.nodes[id as usize];
        slot.disk.persist(&ready);
        debug_assert!(
            slot.node.as_ref().is_some_and(|node| {
                let term_matches = node.current_term() == slot.disk.hard_state.current_term;
                // A node planted to forget its term on restart disagrees
                // with its disk until it next persists.
                node.log().last_index() == slot.disk.log.last_index()
                    && (term_matches || !node.config().bugs.is_empty())
            }),
            "n{id}'s disk must match what it persisted"
        );
        for event in ready.events.drain(..) {
            self.record_node_event(id, event);
        }
        for message in ready.messages.drain(..) {
            self.send(message);
        }
        for reply in ready.replies.drain(..) {
            self.route_reply(reply);
        }
        if let Some(after_us) = ready.election_timer_us {
            self.arm_timer(id, TimerKind::Election, after_us);
        }
        if let Some(after_us) = ready.heartbeat_timer_us {
            self.arm_timer(id, TimerKind::Heartbeat, after_us);
        }
        if let Some(node) = self.nodes[id as usize].node.as_mut() {
            node.recycle(ready);
        }
    }

    fn arm_timer(&mut self, node: NodeId, kind: TimerKind, after_us: u64) {
        let skew_permille = u64::from(self.nodes[node as usize].skew_permille);
        let scaled_ns = after_us * NS_PER_US * skew_permille / 1000;
        let id = match kind {
            TimerKind::Election => TimerId::Election(node),
            TimerKind::Heartbeat => TimerId::Heartbeat(node),
        };
        let seq = self.queue.next_seq();
        self.timers.arm(id, self.now_ns + scaled_ns, seq);
    }

    fn send(&mut self, message: Message) {
        self.stats.messages_sent += 1;
        match self
            .network
            .fate(message.from, message.to, &mut self.network_rng)
        {
            Fate::Lost => self.stats.messages_lost += 1,
            Fate::Delivered { delay_us } => self.put_on_wire(message, delay_us),
            Fate::Duplicated {
                first_us,
                second_us,
            } => {
                self.stats.messages_duplicated += 1;
                self.put_on_wire(message.clone(), first_us);
                self.put_on_wire(message, second_us);
            }
        }
    }

    fn put_on_wire(&mut self, message: Message, delay_us: u64) {
        let sent_ns = self.now_ns;
        self.queue.push(
            sent_ns + delay_us * NS_PER_US,
            Event::Deliver { message, sent_ns },
        );
    }

    /// A one-way delay between a client and a node: clients sit outside the
    /// partitioned network, but not outside physics.
    pub(crate) fn client_latency_ns(&mut self) -> u64 {
        use rand::Rng;
        let latency = self.config.network;
        self.network_rng
            .gen_range(latency.latency_min_us..=latency.latency_max_us)
            * NS_PER_US
    }

    fn record_node_event(&mut self, id: NodeId, event: NodeEvent) {
        let kind = match event {
            NodeEvent::RoleChanged { role, term } => TraceKind::RoleChanged {
                role: trace_role(role),
                term,
            },
            NodeEvent::VoteGranted { term, candidate } => {
                TraceKind::VoteGranted { term, candidate }
            }
            NodeEvent::LogAppended {
                index,
                term,
                command,
            } => TraceKind::LogAppended {
                index,
                term,
                entry: entry_id(&command),
            },
            NodeEvent::LogTruncated {
                from_index,
                removed,
            } => TraceKind::LogTruncated {
                from_index,
                removed,
            },
            NodeEvent::CommitAdvanced { commit_index } => {
                TraceKind::CommitAdvanced { commit_index }
            }
            NodeEvent::Applied {
                index,
                term,
                command,
            } => TraceKind::Applied {
                index,
                term,
                entry: entry_id(&command),
            },
        };
        self.trace.record(self.now_ns, id, kind);
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
            } => self.nodes[*node as usize].skew_permille = (*rate_permille).max(1),
            Fault::Drop { permille } => self.network.set_drop(*permille),
            Fault::Duplicate { permille } => self.network.set_duplicate(*permille),
            Fault::Delay { max_extra_ms } => self.network.set_extra_delay(max_extra_ms * 1_000),
            Fault::HealAll => self.heal_all(),
        }
    }

    /// The live node that believes it leads the highest term, if any.
    pub fn current_leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(id, slot)| Some((id as NodeId, slot.node.as_ref()?)))
            .filter(|(_, node)| node.role() == Role::Leader)
            .max_by_key(|(id, node)| (node.current_term(), std::cmp::Reverse(*id)))
            .map(|(id, _)| id)
    }

    fn crash(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if slot.node.take().is_none() {
            return;
        }
        slot.paused = false;
        slot.inbox.clear();
        self.timers.disarm(TimerId::Election(id));
        self.timers.disarm(TimerId::Heartbeat(id));
        self.trace.record(self.now_ns, id, TraceKind::Crashed);
    }

    fn restart(&mut self, id: NodeId) {
        if self.nodes[id as usize].node.is_some() {
            return;
        }
        let incarnation = self.nodes[id as usize].incarnation + 1;
        let rng = self.timer_stream(id, incarnation);
        let slot = &mut self.nodes[id as usize];
        slot.incarnation = incarnation;
        let node = Node::restart(id, self.config.cluster, slot.disk.clone(), rng);
        let restarted = TraceKind::Restarted {
            term: node.current_term(),
            voted_for: node.voted_for(),
            last_log_index: node.log().last_index(),
        };
        slot.node = Some(node);
        self.trace.record(self.now_ns, id, restarted);
        self.boot(id);
    }

    fn pause(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if slot.node.is_none() || slot.paused {
            return;
        }
        slot.paused = true;
        self.trace.record(self.now_ns, id, TraceKind::Paused);
    }

    /// Thaws a node: everything that reached it while frozen is handed to
    /// it now, in arrival order, overdue timers included.
    fn resume(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize];
        if !slot.paused {
            return;
        }
        slot.paused = false;
        let inbox = std::mem::take(&mut slot.inbox);
        self.trace.record(self.now_ns, id, TraceKind::Resumed);
        for event in inbox {
            self.queue.push(self.now_ns, event);
        }
    }

    fn heal_all(&mut self) {
        self.network.heal_partition();
        self.network.clear_link_faults();
        for id in 0..self.config.cluster.cluster_size {
            self.nodes[id as usize].skew_permille = 1000;
            self.resume(id);
            self.restart(id);
        }
    }

    // ---- Inspection (tests and tools) ---------------------------------------

    /// The node, unless crashed.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes[id as usize].node.as_ref()
    }

    /// What the node's disk holds.
    pub fn disk(&self, id: NodeId) -> &DurableState {
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

fn trace_role(role: Role) -> histories::Role {
    match role {
        Role::Follower => histories::Role::Follower,
        Role::Candidate => histories::Role::Candidate,
        Role::Leader => histories::Role::Leader,
    }
}

/// The compact identity of a log entry's command, for the trace.
pub fn entry_id(command: &Command) -> EntryId {
    match command {
        Command::Noop => EntryId::Noop,
        Command::Client(command) => EntryId::Command {
            client: command.client,
            seq: command.seq,
        },
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
        Fault::HealAll => "heal-all",
    }
}
