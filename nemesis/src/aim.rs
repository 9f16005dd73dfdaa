//! How the world carries out a targeted fault (see [`crate::targeted`]):
//! it watches what nodes report and strikes when the target's moment comes.
//!
//! The watch reads only the observations a step reported and the nodes'
//! [`Replica::status`], so it works for every system under test and stays
//! a function of simulated state: the same seed strikes at the same event.

use crate::client::Workload;
use crate::schedule::PartitionShape;
use crate::targeted::Target;
use crate::world::{Event, World};
use histories::{Function, OpType, Process, TraceKind, Value};
use replica::{NodeId, Replica, Role};

/// The armed targeted fault of a world.
#[derive(Clone, Debug)]
pub(crate) struct Aimed {
    pub target: Target,
    /// What striking did, to be undone when the window ends.
    pub undo: Option<Undo>,
    /// The newest entry of the leader's own term, and who holds it
    /// ([`Target::StrandLeader`]): (leader, index, term, holders).
    pub watched: Option<(NodeId, u64, u64, u32)>,
}

/// What a strike left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Undo {
    Restart(NodeId),
    Heal,
    Resume(NodeId),
    /// Nothing to undo; the target has struck and does not strike again.
    Spent,
}

/// A strike decided while a step's observations are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strike {
    /// Crash before the step's messages leave.
    CrashNow(NodeId),
    /// Crash once the step's messages have left, restart after `ms`.
    CrashAfterSending {
        node: NodeId,
        restart_after_ms: u64,
    },
    Isolate(NodeId),
}

impl<W: Workload, R: Replica> World<W, R> {
    /// Arms `target` (a [`crate::Fault::Aim`]); a pause of the leader
    /// strikes at once if there is a leader.
    pub(crate) fn arm(&mut self, target: &Target) {
        self.aim = Some(Aimed {
            target: target.clone(),
            undo: None,
            watched: None,
        });
        if *target == Target::PauseLeader {
            if let Some(leader) = self.current_leader() {
                self.pause_aimed(leader);
            }
        }
    }

    /// Disarms the aimed fault and undoes what it did.
    pub(crate) fn disarm(&mut self) {
        let Some(aimed) = self.aim.take() else { return };
        match aimed.undo {
            Some(Undo::Restart(node)) => self.revive(node),
            Some(Undo::Heal) => self.network.heal_partition(),
            Some(Undo::Resume(node)) => self.resume(node),
            Some(Undo::Spent) | None => {}
        }
    }

    /// Reads one observation of node `id` against the armed target.
    pub(crate) fn watch(&mut self, id: NodeId, observation: &TraceKind) -> Option<Strike> {
        let aimed = self.aim.as_ref().filter(|aimed| aimed.undo.is_none())?;
        match (aimed.target.clone(), observation) {
            (
                Target::StrandLeader { holders, isolate },
                TraceKind::LogAppended { index, term, .. },
            ) => {
                let leader = self.watch_entry(id, *index, *term)?;
                let strike = match isolate {
                    true => Strike::Isolate(leader),
                    false => Strike::CrashNow(leader),
                };
                (self.aim.as_ref()?.watched?.3 == holders).then_some(strike)
            }
            (
                Target::IsolateNewLeader,
                TraceKind::RoleChanged {
                    role: Role::Leader, ..
                },
            ) => Some(Strike::Isolate(id)),
            (Target::CrashVoter { restart_after_ms }, TraceKind::VoteGranted { .. }) => {
                Some(Strike::CrashAfterSending {
                    node: id,
                    restart_after_ms,
                })
            }
            (
                Target::PauseLeader,
                TraceKind::RoleChanged {
                    role: Role::Leader, ..
                },
            ) => {
                self.pause_aimed(id);
                None
            }
            (Target::CutCatchUp { behind }, TraceKind::LogAppended { .. }) => {
                let leader = self.current_leader().filter(|&leader| leader != id)?;
                let leader_last = self.nodes[leader as usize]
                    .node
                    .as_ref()?
                    .status()
                    .last_log_index;
                let own_last = self.nodes[id as usize]
                    .node
                    .as_ref()?
                    .status()
                    .last_log_index;
                (own_last + behind <= leader_last).then_some(Strike::Isolate(id))
            }
            _ => None,
        }
    }

    /// Follows the newest entry of a leader's own term: a leader's append
    /// starts the count, other nodes' appends of the same entry add to it.
    /// Returns the leader whose entry is watched.
    fn watch_entry(&mut self, id: NodeId, index: u64, term: u64) -> Option<NodeId> {
        let status = self.nodes[id as usize].node.as_ref()?.status();
        let aimed = self.aim.as_mut()?;
        if status.role == Role::Leader && status.term == term {
            aimed.watched = Some((id, index, term, 1));
        } else {
            let watched = aimed.watched.as_mut()?;
            if (watched.1, watched.2) != (index, term) || watched.0 == id {
                return None;
            }
            watched.3 += 1;
        }
        aimed.watched.map(|(leader, ..)| leader)
    }

    /// Carries out a strike; returns true when node `id`, whose step is
    /// being carried out, is gone and must send nothing more.
    pub(crate) fn strike(&mut self, id: NodeId, strike: Strike) -> bool {
        let undo = match strike {
            Strike::CrashNow(node) => {
                self.record_aim(format!("aimed: crash n{node}"), "kill");
                self.crash(node);
                Undo::Restart(node)
            }
            Strike::Isolate(node) => {
                self.record_aim(format!("aimed: isolate n{node}"), "start-partition");
                let leader = self.current_leader();
                self.network
                    .partition(&PartitionShape::Isolate { node }, leader);
                Undo::Heal
            }
            Strike::CrashAfterSending { .. } => Undo::Spent,
        };
        if let Some(aimed) = self.aim.as_mut() {
            aimed.undo = Some(undo);
        }
        matches!(strike, Strike::CrashNow(node) if node == id)
    }

    /// The crash that waits until the voter's reply has left.
    pub(crate) fn strike_after_sending(&mut self, strike: Strike) {
        if let Strike::CrashAfterSending {
            node,
            restart_after_ms,
        } = strike
        {
            self.record_aim(format!("aimed: crash n{node}"), "kill");
            self.crash(node);
            let at_ns = self.now_ns + restart_after_ms * 1_000_000;
            self.queue.push(at_ns, Event::Revive { node });
        }
    }

    /// Restarts a node the aimed fault crashed (no-op if it is up).
    pub(crate) fn revive(&mut self, node: NodeId) {
        if self.nodes[node as usize].node.is_none() {
            self.record_aim(format!("aimed: restart n{node}"), "start");
            self.restart(node);
        }
    }

    fn pause_aimed(&mut self, node: NodeId) {
        self.record_aim(format!("aimed: pause n{node}"), "pause");
        self.pause(node);
        if let Some(aimed) = self.aim.as_mut() {
            aimed.undo = Some(Undo::Resume(node));
        }
    }

    /// The extra delay of a message to `to` while votes are delayed.
    pub(crate) fn aimed_delay_us(&self, to: NodeId) -> u64 {
        let Some(Aimed {
            target: Target::DelayVotes { extra_ms },
            ..
        }) = self.aim
        else {
            return 0;
        };
        let candidate = self.nodes[to as usize]
            .node
            .as_ref()
            .is_some_and(|node| node.status().role == Role::Candidate);
        if candidate {
            extra_ms * 1_000
        } else {
            0
        }
    }

    /// Records a strike in the trace and the history, as faults are.
    fn record_aim(&mut self, text: String, function: &str) {
        self.trace.record_nemesis(self.now_ns, text.clone());
        self.history.record(
            self.now_ns,
            OpType::Info,
            Process::Nemesis,
            Function::Other(function.to_string()),
            None,
            Value::Str(text),
            None,
        );
    }
}
