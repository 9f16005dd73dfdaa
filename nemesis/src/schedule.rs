//! Fault schedules: what the nemesis does and when, as plain data.
//!
//! A schedule is generated from the trial seed and a [`NemesisConfig`],
//! but once generated it is just a list of timed [`Fault`]s: it serializes
//! into `trial.json`, prints as a timeline, and replays exactly as given —
//! so a shrinker can delete or shorten faults and re-run. Random choices
//! (which nodes form each half of a partition, which node crashes) are made
//! at generation time and stored; only "isolate the leader" is resolved when
//! it happens, because who leads is the run's business.

use crate::targeted::Target;
use rand::seq::SliceRandom;
use rand::Rng;
use replica::NodeId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A family of faults the nemesis can inject (Jepsen's vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Network partitions: random halves, isolate one node, isolate the
    /// leader, majorities ring, bridge.
    Partition,
    /// Crash a node (volatile state lost) and restart it later.
    Crash,
    /// Freeze a node (SIGSTOP) and thaw it later.
    Pause,
    /// Make a node's timers run fast or slow.
    Skew,
    /// Drop a fraction of messages.
    Drop,
    /// Deliver a fraction of messages twice.
    Duplicate,
    /// Add large random delays, which reorders messages.
    Delay,
    /// Targeted: crash or isolate the leader once its newest entry is on a
    /// minority only (see [`Target::StrandLeader`]).
    StrandLeader,
    /// Targeted: crash the leader at a commit while its newest entry is on
    /// a minority only, again and again while armed.
    StrandCommitter,
    /// Targeted: cut off a new leader before its term's first entry commits.
    IsolateNewLeader,
    /// Targeted: crash a voter right after it granted its vote, restart it.
    CrashVoter,
    /// Targeted: pause the leader past the election timeout.
    PauseLeader,
    /// Targeted: delay vote replies past the candidate's next timeout.
    DelayVotes,
    /// Targeted: cut a lagging follower off mid catch-up.
    CutCatchUp,
}

impl FaultKind {
    /// Every kind, in a stable order.
    pub const ALL: [FaultKind; 14] = [
        FaultKind::Partition,
        FaultKind::Crash,
        FaultKind::Pause,
        FaultKind::Skew,
        FaultKind::Drop,
        FaultKind::Duplicate,
        FaultKind::Delay,
        FaultKind::StrandLeader,
        FaultKind::StrandCommitter,
        FaultKind::IsolateNewLeader,
        FaultKind::CrashVoter,
        FaultKind::PauseLeader,
        FaultKind::DelayVotes,
        FaultKind::CutCatchUp,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
            FaultKind::Skew => "skew",
            FaultKind::Drop => "drop",
            FaultKind::Duplicate => "duplicate",
            FaultKind::Delay => "delay",
            FaultKind::StrandLeader => "strand-leader",
            FaultKind::StrandCommitter => "strand-committer",
            FaultKind::IsolateNewLeader => "isolate-new-leader",
            FaultKind::CrashVoter => "crash-voter",
            FaultKind::PauseLeader => "pause-leader",
            FaultKind::DelayVotes => "delay-votes",
            FaultKind::CutCatchUp => "cut-catch-up",
        }
    }

    /// True for the kinds whose faults strike at a moment of the protocol
    /// (see [`crate::targeted`]) rather than at a drawn time.
    pub fn is_targeted(self) -> bool {
        self >= FaultKind::StrandLeader
    }

    fn bit(self) -> u16 {
        1 << FaultKind::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(name: &str) -> Result<FaultKind, String> {
        FaultKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown fault kind '{name}'; expected one of {}, all, none",
                    names.join(", ")
                )
            })
    }
}

/// A set of fault kinds. Parses from `all`, `none` or a comma-separated
/// list; serializes as the list of names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultKinds(u16);

impl FaultKinds {
    /// No faults at all.
    pub const NONE: FaultKinds = FaultKinds(0);

    /// Every fault kind.
    pub fn all() -> FaultKinds {
        FaultKind::ALL.into_iter().collect()
    }

    /// True when `kind` is in the set.
    pub fn contains(self, kind: FaultKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Adds `kind`.
    pub fn insert(&mut self, kind: FaultKind) {
        self.0 |= kind.bit();
    }

    /// True when empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`FaultKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = FaultKind> {
        FaultKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

impl FromIterator<FaultKind> for FaultKinds {
    fn from_iter<I: IntoIterator<Item = FaultKind>>(kinds: I) -> FaultKinds {
        let mut set = FaultKinds::NONE;
        for kind in kinds {
            set.insert(kind);
        }
        set
    }
}

impl FromStr for FaultKinds {
    type Err = String;

    fn from_str(list: &str) -> Result<FaultKinds, String> {
        match list.trim() {
            "all" => Ok(FaultKinds::all()),
            "none" | "" => Ok(FaultKinds::NONE),
            list => list.split(',').map(|name| name.trim().parse()).collect(),
        }
    }
}

impl fmt::Display for FaultKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(FaultKind::name).collect();
        f.write_str(&names.join(","))
    }
}

impl Serialize for FaultKinds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(FaultKind::name))
    }
}

impl<'de> Deserialize<'de> for FaultKinds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FaultKinds, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|name| name.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// How the nemesis behaves during a trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NemesisConfig {
    /// The fault kinds it may use.
    pub kinds: FaultKinds,
    /// Swarm testing: each trial uses a random non-empty subset of `kinds`
    /// (each kind in with probability ½). Trials that leave some faults out
    /// reach states that the full mix keeps disturbing, and find more bugs.
    pub swarm: bool,
    /// Mean time between the starts of two faults.
    pub interval_ms: u64,
    /// Mean duration of a fault.
    pub duration_ms: u64,
}

impl Default for NemesisConfig {
    fn default() -> NemesisConfig {
        NemesisConfig {
            kinds: FaultKinds::all(),
            swarm: true,
            interval_ms: 700,
            duration_ms: 1_200,
        }
    }
}

/// The shape of a network partition, with its random choices made.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "shape")]
pub enum PartitionShape {
    /// Two halves that cannot talk: `minority` (⌊n/2⌋ nodes) and the rest.
    Halves {
        /// The smaller side.
        minority: Vec<NodeId>,
    },
    /// One node cut off from all others.
    Isolate {
        /// The node.
        node: NodeId,
    },
    /// Whoever leads when the fault starts is cut off from all others.
    IsolateLeader,
    /// Nodes on a ring; each hears only from the majority that starts at
    /// itself, so every node sees a majority but no two see the same one.
    MajoritiesRing {
        /// The ring order.
        ring: Vec<NodeId>,
    },
    /// Two halves joined only through one bridge node that talks to both.
    Bridge {
        /// The node in both halves.
        bridge: NodeId,
        /// One half (without the bridge); the other is everyone else.
        left: Vec<NodeId>,
    },
}

/// One thing the nemesis does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "fault")]
pub enum Fault {
    /// Replace the network's reachability with this partition.
    Partition(PartitionShape),
    /// Restore full connectivity.
    HealPartition,
    /// Kill a node: volatile state is lost, the disk stays.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// Start a crashed node again from its disk.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// Freeze a node: it processes nothing until resumed, then wakes up
    /// with stale state and overdue timers.
    Pause {
        /// The node.
        node: NodeId,
    },
    /// Thaw a paused node.
    Resume {
        /// The node.
        node: NodeId,
    },
    /// Make a node's timers run at `rate_permille`/1000 of real duration
    /// (500: twice as fast; 2000: half as fast; 1000: normal again).
    Skew {
        /// The node.
        node: NodeId,
        /// Timer duration factor, in thousandths.
        rate_permille: u32,
    },
    /// Drop this fraction of messages (0 stops dropping).
    Drop {
        /// Thousandths of messages dropped.
        permille: u32,
    },
    /// Deliver this fraction of messages twice (0 stops).
    Duplicate {
        /// Thousandths of messages duplicated.
        permille: u32,
    },
    /// Add up to this much random delay to every message (0 stops).
    Delay {
        /// Largest extra delay, in milliseconds.
        max_extra_ms: u64,
    },
    /// Arm a targeted fault: the world strikes when its moment comes.
    Aim(Target),
    /// Disarm the armed targeted fault of this target's kind and undo
    /// what it did (restart, heal, resume).
    EndAim(Target),
    /// The end of the fault period: heal the network, clear link faults and
    /// clock skew, resume paused nodes and restart crashed ones.
    HealAll,
}

fn node_list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| format!("n{n}")).collect();
    format!("[{}]", names.join(" "))
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Partition(PartitionShape::Halves { minority }) => {
                write!(f, "partition halves: {} | rest", node_list(minority))
            }
            Fault::Partition(PartitionShape::Isolate { node }) => write!(f, "isolate n{node}"),
            Fault::Partition(PartitionShape::IsolateLeader) => f.write_str("isolate the leader"),
            Fault::Partition(PartitionShape::MajoritiesRing { ring }) => {
                write!(f, "majorities ring {}", node_list(ring))
            }
            Fault::Partition(PartitionShape::Bridge { bridge, left }) => {
                write!(
                    f,
                    "bridge n{bridge} between {} and the rest",
                    node_list(left)
                )
            }
            Fault::HealPartition => f.write_str("heal partition"),
            Fault::Crash { node } => write!(f, "crash n{node}"),
            Fault::Restart { node } => write!(f, "restart n{node}"),
            Fault::Pause { node } => write!(f, "pause n{node}"),
            Fault::Resume { node } => write!(f, "resume n{node}"),
            Fault::Skew {
                node,
                rate_permille,
            } if *rate_permille == 1000 => {
                write!(f, "clock of n{node} back to normal")
            }
            Fault::Skew {
                node,
                rate_permille,
            } => write!(
                f,
                "clock of n{node}: timers take x{}.{:03}",
                rate_permille / 1000,
                rate_permille % 1000
            ),
            Fault::Drop { permille: 0 } => f.write_str("stop dropping messages"),
            Fault::Drop { permille } => {
                write!(f, "drop {}.{}% of messages", permille / 10, permille % 10)
            }
            Fault::Duplicate { permille: 0 } => f.write_str("stop duplicating messages"),
            Fault::Duplicate { permille } => {
                write!(
                    f,
                    "duplicate {}.{}% of messages",
                    permille / 10,
                    permille % 10
                )
            }
            Fault::Delay { max_extra_ms: 0 } => f.write_str("stop delaying messages"),
            Fault::Delay { max_extra_ms } => write!(f, "delay messages by up to +{max_extra_ms}ms"),
            Fault::Aim(target) => write!(f, "aim: {target}"),
            Fault::EndAim(target) => write!(f, "end aim: {target}"),
            Fault::HealAll => f.write_str("heal all faults"),
        }
    }
}

/// A fault at a point of virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduledFault {
    /// When, in milliseconds since the trial began.
    pub at_ms: u64,
    /// What.
    pub fault: Fault,
}

/// When faults may happen within a trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultWindow {
    /// No fault starts before this time (the cluster first elects a leader).
    pub start_ms: u64,
    /// Every fault is healed at this time; the quiet period follows.
    pub heal_at_ms: u64,
}

/// The faults of one trial, in time order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultSchedule {
    /// The kinds this trial drew (in swarm mode, a subset of the enabled).
    pub kinds: FaultKinds,
    /// The faults, sorted by time (ties keep their order).
    pub faults: Vec<ScheduledFault>,
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "fault kinds: {}", self.kinds)?;
        for scheduled in &self.faults {
            writeln!(f, "{:>7}ms  {}", scheduled.at_ms, scheduled.fault)?;
        }
        Ok(())
    }
}

/// Which faults are under way while a schedule is generated, so that two
/// faults never fight over the same thing (two partitions at once, a crash
/// of a node already crashed).
struct Occupancy {
    partition_until_ms: u64,
    aim_until_ms: [u64; 7],
    link_until_ms: [u64; 3],
    process_until_ms: Vec<u64>,
    clock_until_ms: Vec<u64>,
}

impl FaultSchedule {
    /// A schedule with no faults: just the final heal.
    pub fn quiet(window: FaultWindow) -> FaultSchedule {
        FaultSchedule {
            kinds: FaultKinds::NONE,
            faults: vec![ScheduledFault {
                at_ms: window.heal_at_ms,
                fault: Fault::HealAll,
            }],
        }
    }

    /// Draws a schedule for a cluster of `cluster_size` nodes.
    pub fn generate(
        config: &NemesisConfig,
        cluster_size: u32,
        window: FaultWindow,
        rng: &mut impl Rng,
    ) -> FaultSchedule {
        let kinds = draw_kinds(config, rng);
        let mut schedule = FaultSchedule {
            kinds,
            ..FaultSchedule::quiet(window)
        };
        schedule.faults.clear();
        let available: Vec<FaultKind> = kinds.iter().collect();
        let mut occupancy = Occupancy {
            partition_until_ms: 0,
            aim_until_ms: [0; 7],
            link_until_ms: [0; 3],
            process_until_ms: vec![0; cluster_size as usize],
            clock_until_ms: vec![0; cluster_size as usize],
        };
        let mut now_ms = window.start_ms;
        while !available.is_empty() {
            now_ms += rng.gen_range(config.interval_ms / 2..=config.interval_ms * 3 / 2);
            if now_ms >= window.heal_at_ms {
                break;
            }
            let kind = *available.choose(rng).expect("not empty");
            let duration_ms = rng.gen_range(config.duration_ms / 2..=config.duration_ms * 3 / 2);
            let end_ms = (now_ms + duration_ms.max(1)).min(window.heal_at_ms);
            if let Some((start, end)) =
                draw_fault(kind, cluster_size, now_ms, end_ms, &mut occupancy, rng)
            {
                schedule.faults.push(ScheduledFault {
                    at_ms: now_ms,
                    fault: start,
                });
                schedule.faults.push(ScheduledFault {
                    at_ms: end_ms,
                    fault: end,
                });
            }
        }
        schedule.faults.push(ScheduledFault {
            at_ms: window.heal_at_ms,
            fault: Fault::HealAll,
        });
        schedule.faults.sort_by_key(|scheduled| scheduled.at_ms);
        schedule
    }
}

/// The longest trial a stored schedule or configuration may describe, in
/// milliseconds of virtual time (one hour). Times are turned into
/// nanoseconds by multiplying, so a bound keeps that exact; and an hour of
/// simulation is already minutes of wall time.
pub const MAX_TRIAL_MS: u64 = 3_600_000;

/// The largest extra message delay a schedule may ask for (a minute):
/// far beyond any timeout, so it only has to keep the arithmetic exact.
pub const MAX_EXTRA_DELAY_MS: u64 = 60_000;

/// Where in a serialized value something is wrong, and what: `path` is the
/// JSON path from the value's root (`faults[3].fault.node`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON path of the offending field.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, one level deeper in a document: `prefix.path` (or
    /// `prefix` for an error about the whole value).
    pub fn under(self, prefix: &str) -> FieldError {
        let path = match self.path.is_empty() {
            true => prefix.to_string(),
            false => format!("{prefix}.{}", self.path),
        };
        FieldError { path, ..self }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.is_empty() {
            true => f.write_str(&self.message),
            false => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for FieldError {}

impl FaultSchedule {
    /// Checks that the world can carry out every fault as written, for a
    /// cluster of `cluster_size` nodes whose trial ends at `end_ms`. A
    /// schedule read from a file (hand-edited, shrunk, or written for
    /// another cluster) must be refused here with the field at fault, not
    /// discovered as an index out of bounds in the middle of a run.
    pub fn validate(&self, cluster_size: u32, end_ms: u64) -> Result<(), FieldError> {
        let mut previous_ms = 0;
        for (i, scheduled) in self.faults.iter().enumerate() {
            let at = |field: &str| format!("faults[{i}].{field}");
            if scheduled.at_ms > end_ms {
                return Err(FieldError::new(
                    at("at_ms"),
                    format!(
                        "{} ms is after the trial's end at {end_ms} ms",
                        scheduled.at_ms
                    ),
                ));
            }
            if scheduled.at_ms < previous_ms {
                return Err(FieldError::new(
                    at("at_ms"),
                    format!(
                        "{} ms is before the previous fault's {previous_ms} ms; faults must be in time order",
                        scheduled.at_ms
                    ),
                ));
            }
            previous_ms = scheduled.at_ms;
            validate_fault(&scheduled.fault, cluster_size)
                .map_err(|err| err.under(&format!("faults[{i}].fault")))?;
        }
        Ok(())
    }
}

/// Checks one fault's nodes and amounts; paths are relative to the fault.
fn validate_fault(fault: &Fault, cluster_size: u32) -> Result<(), FieldError> {
    let nodes = Nodes(cluster_size);
    let permille = |field: &str, value: u32| {
        if value > 1000 {
            return Err(FieldError::new(
                field,
                format!("{value} is not a fraction in thousandths (0..=1000)"),
            ));
        }
        Ok(())
    };
    match fault {
        Fault::Partition(shape) => validate_shape(shape, nodes),
        Fault::Crash { node }
        | Fault::Restart { node }
        | Fault::Pause { node }
        | Fault::Resume { node } => nodes.check("node", *node),
        Fault::Skew {
            node,
            rate_permille,
        } => {
            nodes.check("node", *node)?;
            if !(1..=100_000).contains(rate_permille) {
                return Err(FieldError::new(
                    "rate_permille",
                    format!("{rate_permille} is not a timer rate in thousandths (1..=100000)"),
                ));
            }
            Ok(())
        }
        Fault::Drop { permille: value } | Fault::Duplicate { permille: value } => {
            permille("permille", *value)
        }
        Fault::Delay { max_extra_ms } if *max_extra_ms > MAX_EXTRA_DELAY_MS => {
            Err(FieldError::new(
                "max_extra_ms",
                format!("{max_extra_ms} ms is more than the {MAX_EXTRA_DELAY_MS} ms allowed"),
            ))
        }
        Fault::Aim(target) | Fault::EndAim(target) => target.validate(cluster_size),
        Fault::Delay { .. } | Fault::HealPartition | Fault::HealAll => Ok(()),
    }
}

/// The node ids of a cluster, for validation messages.
#[derive(Clone, Copy)]
struct Nodes(u32);

impl Nodes {
    fn check(self, path: &str, node: NodeId) -> Result<(), FieldError> {
        if node >= self.0 {
            return Err(FieldError::new(
                path,
                format!(
                    "node {node} is not in a {}-node cluster (nodes are 0..={})",
                    self.0,
                    self.0.saturating_sub(1)
                ),
            ));
        }
        Ok(())
    }

    /// Every id in the cluster, none twice.
    fn check_distinct(self, path: &str, list: &[NodeId]) -> Result<(), FieldError> {
        let mut seen = vec![false; self.0 as usize];
        for (i, &node) in list.iter().enumerate() {
            let here = format!("{path}[{i}]");
            self.check(&here, node)?;
            if std::mem::replace(&mut seen[node as usize], true) {
                return Err(FieldError::new(here, format!("node {node} appears twice")));
            }
        }
        Ok(())
    }
}

/// Checks that a partition names only the cluster's nodes, each once, and
/// that a ring holds every node (a node left off a ring would hear
/// everyone, which is not the shape it claims to be).
fn validate_shape(shape: &PartitionShape, nodes: Nodes) -> Result<(), FieldError> {
    match shape {
        PartitionShape::Halves { minority } => nodes.check_distinct("minority", minority),
        PartitionShape::Isolate { node } => nodes.check("node", *node),
        PartitionShape::IsolateLeader => Ok(()),
        PartitionShape::MajoritiesRing { ring } => {
            nodes.check_distinct("ring", ring)?;
            if ring.len() != nodes.0 as usize {
                return Err(FieldError::new(
                    "ring",
                    format!(
                        "a ring must hold each of the {} nodes once, found {} nodes",
                        nodes.0,
                        ring.len()
                    ),
                ));
            }
            Ok(())
        }
        PartitionShape::Bridge { bridge, left } => {
            nodes.check("bridge", *bridge)?;
            nodes.check_distinct("left", left)?;
            if let Some(i) = left.iter().position(|node| node == bridge) {
                return Err(FieldError::new(
                    format!("left[{i}]"),
                    format!("the bridge node {bridge} cannot also be in a half"),
                ));
            }
            Ok(())
        }
    }
}

fn draw_kinds(config: &NemesisConfig, rng: &mut impl Rng) -> FaultKinds {
    let enabled: Vec<FaultKind> = config.kinds.iter().collect();
    if !config.swarm || enabled.is_empty() {
        return config.kinds;
    }
    loop {
        let drawn: FaultKinds = enabled
            .iter()
            .copied()
            .filter(|_| rng.gen_bool(0.5))
            .collect();
        if !drawn.is_empty() {
            return drawn;
        }
    }
}

/// Draws one fault of `kind` starting at `start_ms` and its healing at
/// `end_ms`, or nothing if what it would disturb is already disturbed.
fn draw_fault(
    kind: FaultKind,
    cluster_size: u32,
    start_ms: u64,
    end_ms: u64,
    occupancy: &mut Occupancy,
    rng: &mut impl Rng,
) -> Option<(Fault, Fault)> {
    let free_node = |busy_until: &[u64], rng: &mut dyn rand::RngCore| -> Option<NodeId> {
        let free: Vec<NodeId> = (0..cluster_size)
            .filter(|&n| busy_until[n as usize] <= start_ms)
            .collect();
        free.choose(rng).copied()
    };
    let claim = |until: &mut u64| -> bool {
        if *until > start_ms {
            return false;
        }
        *until = end_ms;
        true
    };
    if let Some(target) = Target::draw(kind, cluster_size, rng) {
        // One aimed fault of each kind at a time; one that partitions
        // also takes the partition slot, so that no scheduled heal (nor
        // another aimed isolation) undoes it early.
        let slot = kind as usize - FaultKind::StrandLeader as usize;
        if occupancy.aim_until_ms[slot] > start_ms
            || (target.partitions() && occupancy.partition_until_ms > start_ms)
        {
            return None;
        }
        occupancy.aim_until_ms[slot] = end_ms;
        if target.partitions() {
            occupancy.partition_until_ms = end_ms;
        }
        return Some((Fault::Aim(target.clone()), Fault::EndAim(target)));
    }
    match kind {
        FaultKind::Partition => {
            if !claim(&mut occupancy.partition_until_ms) {
                return None;
            }
            let shape = draw_partition(cluster_size, rng);
            Some((Fault::Partition(shape), Fault::HealPartition))
        }
        FaultKind::Crash | FaultKind::Pause => {
            let node = free_node(&occupancy.process_until_ms, rng)?;
            occupancy.process_until_ms[node as usize] = end_ms;
            Some(if kind == FaultKind::Crash {
                (Fault::Crash { node }, Fault::Restart { node })
            } else {
                (Fault::Pause { node }, Fault::Resume { node })
            })
        }
        FaultKind::Skew => {
            let node = free_node(&occupancy.clock_until_ms, rng)?;
            occupancy.clock_until_ms[node as usize] = end_ms;
            // From five times faster to five times slower (integers, so
            // every platform draws the same).
            const RATES_PERMILLE: [u32; 8] = [200, 333, 500, 750, 1_500, 2_000, 3_000, 5_000];
            let rate_permille = *RATES_PERMILLE.choose(rng).expect("not empty");
            Some((
                Fault::Skew {
                    node,
                    rate_permille,
                },
                Fault::Skew {
                    node,
                    rate_permille: 1000,
                },
            ))
        }
        FaultKind::Drop => {
            if !claim(&mut occupancy.link_until_ms[0]) {
                return None;
            }
            let permille = rng.gen_range(20..=300);
            Some((Fault::Drop { permille }, Fault::Drop { permille: 0 }))
        }
        FaultKind::Duplicate => {
            if !claim(&mut occupancy.link_until_ms[1]) {
                return None;
            }
            let permille = rng.gen_range(20..=300);
            Some((
                Fault::Duplicate { permille },
                Fault::Duplicate { permille: 0 },
            ))
        }
        FaultKind::Delay => {
            if !claim(&mut occupancy.link_until_ms[2]) {
                return None;
            }
            let max_extra_ms = rng.gen_range(10..=200);
            Some((
                Fault::Delay { max_extra_ms },
                Fault::Delay { max_extra_ms: 0 },
            ))
        }
        // Targeted kinds were drawn as targets above.
        _ => None,
    }
}

fn draw_partition(cluster_size: u32, rng: &mut impl Rng) -> PartitionShape {
    let mut nodes: Vec<NodeId> = (0..cluster_size).collect();
    nodes.shuffle(rng);
    match rng.gen_range(0..5) {
        0 => {
            let mut minority = nodes[..cluster_size as usize / 2].to_vec();
            minority.sort_unstable();
            PartitionShape::Halves { minority }
        }
        1 => PartitionShape::Isolate { node: nodes[0] },
        2 => PartitionShape::IsolateLeader,
        3 => PartitionShape::MajoritiesRing { ring: nodes },
        _ => {
            let bridge = nodes[0];
            let mut left = nodes[1..1 + (cluster_size as usize - 1) / 2].to_vec();
            left.sort_unstable();
            PartitionShape::Bridge { bridge, left }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::seeded;

    const WINDOW: FaultWindow = FaultWindow {
        start_ms: 500,
        heal_at_ms: 7_000,
    };

    #[test]
    fn fault_kind_lists_parse_and_print() {
        assert_eq!("all".parse::<FaultKinds>().unwrap(), FaultKinds::all());
        assert_eq!("none".parse::<FaultKinds>().unwrap(), FaultKinds::NONE);
        let kinds: FaultKinds = "crash, partition".parse().unwrap();
        assert_eq!(kinds.to_string(), "partition,crash");
        let err = "crash,meteor".parse::<FaultKinds>().unwrap_err();
        assert!(err.contains("unknown fault kind 'meteor'"), "{err}");
        let json = serde_json::to_string(&kinds).unwrap();
        assert_eq!(json, r#"["partition","crash"]"#);
        assert_eq!(serde_json::from_str::<FaultKinds>(&json).unwrap(), kinds);
    }

    #[test]
    fn schedules_are_sorted_paired_and_end_with_heal_all() {
        for seed in 0..200 {
            let schedule =
                FaultSchedule::generate(&NemesisConfig::default(), 5, WINDOW, &mut seeded(seed));
            let times: Vec<u64> = schedule.faults.iter().map(|f| f.at_ms).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "sorted");
            assert!(times
                .iter()
                .all(|&t| (WINDOW.start_ms..=WINDOW.heal_at_ms).contains(&t)));
            assert_eq!(schedule.faults.last().unwrap().fault, Fault::HealAll);
            assert!(!schedule.kinds.is_empty());
            // Only drawn kinds appear.
            for scheduled in &schedule.faults {
                let kind = match scheduled.fault {
                    Fault::Partition(_) | Fault::HealPartition => FaultKind::Partition,
                    Fault::Crash { .. } | Fault::Restart { .. } => FaultKind::Crash,
                    Fault::Pause { .. } | Fault::Resume { .. } => FaultKind::Pause,
                    Fault::Skew { .. } => FaultKind::Skew,
                    Fault::Drop { .. } => FaultKind::Drop,
                    Fault::Duplicate { .. } => FaultKind::Duplicate,
                    Fault::Delay { .. } => FaultKind::Delay,
                    Fault::Aim(ref target) => target.kind(),
                    Fault::HealAll | Fault::EndAim(_) => continue,
                };
                assert!(
                    schedule.kinds.contains(kind),
                    "{kind} not drawn in seed {seed}"
                );
            }
        }
    }

    #[test]
    fn a_node_is_never_crashed_or_paused_twice_at_once() {
        for seed in 0..200 {
            let config = NemesisConfig {
                kinds: "crash,pause".parse().unwrap(),
                swarm: false,
                interval_ms: 100,
                duration_ms: 2_000,
            };
            let schedule = FaultSchedule::generate(&config, 3, WINDOW, &mut seeded(seed));
            let mut down = [false; 3];
            for scheduled in &schedule.faults {
                match scheduled.fault {
                    Fault::Crash { node } | Fault::Pause { node } => {
                        assert!(!down[node as usize], "seed {seed}: n{node} already down");
                        down[node as usize] = true;
                    }
                    Fault::Restart { node } | Fault::Resume { node } => down[node as usize] = false,
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn swarm_mode_draws_varied_subsets_and_plain_mode_uses_all() {
        let swarm = NemesisConfig::default();
        let subsets: std::collections::BTreeSet<u16> = (0..100)
            .map(|seed| {
                FaultSchedule::generate(&swarm, 5, WINDOW, &mut seeded(seed))
                    .kinds
                    .0
            })
            .collect();
        assert!(
            subsets.len() > 20,
            "only {} distinct subsets",
            subsets.len()
        );
        let plain = NemesisConfig {
            swarm: false,
            ..swarm
        };
        let schedule = FaultSchedule::generate(&plain, 5, WINDOW, &mut seeded(1));
        assert_eq!(schedule.kinds, FaultKinds::all());
    }

    #[test]
    fn no_faults_means_only_the_final_heal() {
        let config = NemesisConfig {
            kinds: FaultKinds::NONE,
            ..NemesisConfig::default()
        };
        let schedule = FaultSchedule::generate(&config, 5, WINDOW, &mut seeded(3));
        assert_eq!(schedule, FaultSchedule::quiet(WINDOW));
    }

    #[test]
    fn generated_schedules_validate_for_every_cluster_size() {
        for size in 1..=9 {
            for seed in 0..50 {
                let schedule = FaultSchedule::generate(
                    &NemesisConfig::default(),
                    size,
                    WINDOW,
                    &mut seeded(seed),
                );
                assert_eq!(
                    schedule.validate(size, 10_000),
                    Ok(()),
                    "size {size} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn invalid_faults_are_refused_with_their_path() {
        let at = |at_ms, fault| ScheduledFault { at_ms, fault };
        let ring = |ring: Vec<NodeId>| Fault::Partition(PartitionShape::MajoritiesRing { ring });
        let cases: Vec<(Vec<ScheduledFault>, &str, &str)> = vec![
            (
                vec![at(5, Fault::Crash { node: 42 })],
                "faults[0].fault.node",
                "node 42 is not in a 5-node cluster",
            ),
            (
                vec![at(5, Fault::HealAll), at(6, Fault::Resume { node: 5 })],
                "faults[1].fault.node",
                "node 5",
            ),
            (
                vec![at(
                    5,
                    Fault::Partition(PartitionShape::Halves {
                        minority: vec![1, 99],
                    }),
                )],
                "faults[0].fault.minority[1]",
                "node 99",
            ),
            (
                vec![at(
                    5,
                    Fault::Partition(PartitionShape::Halves {
                        minority: vec![1, 1],
                    }),
                )],
                "faults[0].fault.minority[1]",
                "appears twice",
            ),
            (
                vec![at(5, ring(vec![0, 1, 2]))],
                "faults[0].fault.ring",
                "each of the 5 nodes",
            ),
            (
                vec![at(
                    5,
                    Fault::Partition(PartitionShape::Bridge {
                        bridge: 2,
                        left: vec![2],
                    }),
                )],
                "faults[0].fault.left[0]",
                "bridge node 2",
            ),
            (
                vec![at(5, Fault::Drop { permille: 1001 })],
                "faults[0].fault.permille",
                "thousandths",
            ),
            (
                vec![at(
                    5,
                    Fault::Skew {
                        node: 0,
                        rate_permille: 0,
                    },
                )],
                "faults[0].fault.rate_permille",
                "timer rate",
            ),
            (
                vec![at(
                    5,
                    Fault::Delay {
                        max_extra_ms: u64::MAX,
                    },
                )],
                "faults[0].fault.max_extra_ms",
                "allowed",
            ),
            (
                vec![at(10_001, Fault::HealAll)],
                "faults[0].at_ms",
                "after the trial's end",
            ),
            (
                vec![at(9, Fault::HealAll), at(8, Fault::HealAll)],
                "faults[1].at_ms",
                "time order",
            ),
        ];
        for (faults, path, message) in cases {
            let schedule = FaultSchedule {
                kinds: FaultKinds::all(),
                faults,
            };
            let err = schedule.validate(5, 10_000).unwrap_err();
            assert_eq!(err.path, path, "{err}");
            assert!(err.message.contains(message), "{err}");
        }
    }

    #[test]
    fn schedules_round_trip_through_json_and_print_as_a_timeline() {
        let schedule =
            FaultSchedule::generate(&NemesisConfig::default(), 5, WINDOW, &mut seeded(9));
        let json = serde_json::to_string(&schedule).unwrap();
        assert_eq!(
            serde_json::from_str::<FaultSchedule>(&json).unwrap(),
            schedule
        );
        let text = schedule.to_string();
        assert!(text.contains("heal all faults"));
        assert_eq!(text.lines().count(), schedule.faults.len() + 1);
    }
}
