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

/// One armed targeted fault of a world. Several of different kinds may be
/// armed at once, so that one strike can follow another (the Figure 8
/// history needs a stranded leader, then a stranded successor).
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
    /// Heal the partition that cut a frozen node off, then thaw it.
    HealAndResume(NodeId),
    /// Nothing to undo; the target has struck and does not strike again.
    Spent,
}

/// A strike decided while a step's observations are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strike {
    /// Crash before the step's messages leave.
    CrashNow(NodeId),
    /// The same, and restart after `down_ms`; the target stays armed.
    CrashFor {
        node: NodeId,
        down_ms: u64,
    },
    /// Crash once the step's messages have left, restart after `ms`.
    CrashAfterSending {
        node: NodeId,
        restart_after_ms: u64,
    },
    Isolate(NodeId),
}

impl<W: Workload, R: Replica> World<W, R> {
    /// Arms `target` (a [`crate::Fault::Aim`]), in place of an armed
    /// target of its kind; a pause of the leader strikes at once if there
    /// is a leader.
    pub(crate) fn arm(&mut self, target: &Target) {
        self.disarm(target);
        self.aims.push(Aimed {
            target: target.clone(),
            undo: None,
            watched: None,
        });
        if matches!(target, Target::PauseLeader { .. }) {
            if let Some(leader) = self.current_leader() {
                self.pause_aimed(self.aims.len() - 1, leader);
            }
        }
    }

    /// Disarms the armed target of `target`'s kind and undoes what it did.
    pub(crate) fn disarm(&mut self, target: &Target) {
        let kind = target.kind();
        let Some(i) = self.aims.iter().position(|a| a.target.kind() == kind) else {
            return;
        };
        match self.aims.remove(i).undo {
            Some(Undo::Restart(node)) => self.revive(node),
            Some(Undo::Heal) => self.network.heal_partition(),
            Some(Undo::Resume(node)) => self.resume(node),
            Some(Undo::HealAndResume(node)) => {
                self.network.heal_partition();
                self.resume(node);
            }
            Some(Undo::Spent) | None => {}
        }
    }

    /// Reads one observation of node `id` against the armed targets: the
    /// first that strikes, with its place among them.
    pub(crate) fn watch(&mut self, id: NodeId, seen: &TraceKind) -> Option<(usize, Strike)> {
        for i in 0..self.aims.len() {
            if self.aims[i].undo.is_none() {
                if let Some(strike) = self.watch_one(i, id, seen) {
                    return Some((i, strike));
                }
            }
        }
        None
    }

    fn watch_one(&mut self, i: usize, id: NodeId, seen: &TraceKind) -> Option<Strike> {
        let became_leader = matches!(
            seen,
            TraceKind::RoleChanged {
                role: Role::Leader,
                ..
            }
        );
        match self.aims[i].target.clone() {
            Target::StrandLeader {
                holders,
                isolate,
                at_commit,
                down_ms,
            } => {
                let leader = self.watch_entry(i, id, seen, at_commit)?;
                let on = self.aims[i].watched?.3;
                let strike = match (isolate, down_ms) {
                    (true, _) => Strike::Isolate(leader),
                    (false, 0) => Strike::CrashNow(leader),
                    (false, down_ms) => Strike::CrashFor {
                        node: leader,
                        down_ms,
                    },
                };
                (on == holders || (at_commit && on <= holders)).then_some(strike)
            }
            Target::IsolateNewLeader if became_leader => Some(Strike::Isolate(id)),
            Target::CrashVoter { restart_after_ms }
                if matches!(seen, TraceKind::VoteGranted { .. }) =>
            {
                Some(Strike::CrashAfterSending {
                    node: id,
                    restart_after_ms,
                })
            }
            Target::PauseLeader { .. } if became_leader => {
                self.pause_aimed(i, id);
                None
            }
            Target::CutCatchUp { behind } if matches!(seen, TraceKind::LogAppended { .. }) => {
                let leader = self.current_leader().filter(|&leader| leader != id)?;
                let last = |node: NodeId| Some(self.node(node)?.status().last_log_index);
                (last(id)? + behind <= last(leader)?).then_some(Strike::Isolate(id))
            }
            _ => None,
        }
    }

    /// Follows the newest entry of a leader's own term: a leader's append
    /// starts the count, other nodes' appends of the same entry add to it.
    /// Returns the leader whose entry is watched when the observation is
    /// the moment to judge: an append, or (`at_commit`) the leader's
    /// commit index moving while that entry may still be on a minority.
    fn watch_entry(
        &mut self,
        i: usize,
        id: NodeId,
        seen: &TraceKind,
        at_commit: bool,
    ) -> Option<NodeId> {
        let status = self.node(id)?.status();
        let watched = &mut self.aims[i].watched;
        match *seen {
            TraceKind::LogAppended { index, term, .. } => {
                if status.role == Role::Leader && status.term == term {
                    *watched = Some((id, index, term, 1));
                } else {
                    let entry = watched.as_mut()?;
                    if (entry.1, entry.2) != (index, term) || entry.0 == id {
                        return None;
                    }
                    entry.3 += 1;
                }
                let leader = watched.map(|(leader, ..)| leader);
                leader.filter(|_| !at_commit)
            }
            TraceKind::CommitAdvanced { .. } if at_commit => watched
                .map(|(leader, ..)| leader)
                .filter(|&leader| leader == id),
            _ => None,
        }
    }

    /// Carries out a strike; returns true when node `id`, whose step is
    /// being carried out, is gone and must send nothing more.
    pub(crate) fn strike(&mut self, id: NodeId, i: usize, strike: Strike) -> bool {
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
            Strike::CrashFor { node, down_ms } => {
                self.record_aim(format!("aimed: crash n{node}"), "kill");
                self.crash(node);
                let at_ns = self.now_ns + down_ms * 1_000_000;
                self.queue.push(at_ns, Event::Revive { node });
                self.aims[i].watched = None;
                self.note_majority();
                return node == id;
            }
            Strike::CrashAfterSending { .. } => Undo::Spent,
        };
        self.aims[i].undo = Some(undo);
        self.note_majority();
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
            self.note_majority();
            let at_ns = self.now_ns + restart_after_ms * 1_000_000;
            self.queue.push(at_ns, Event::Revive { node });
        }
    }

    /// Restarts a node the aimed fault crashed (no-op if it is up).
    pub(crate) fn revive(&mut self, node: NodeId) {
        if self.nodes[node as usize].node.is_none() {
            self.record_aim(format!("aimed: restart n{node}"), "start");
            self.restart(node);
            self.note_majority();
        }
    }

    fn pause_aimed(&mut self, i: usize, node: NodeId) {
        self.record_aim(format!("aimed: pause n{node}"), "pause");
        self.pause(node);
        self.aims[i].undo = Some(Undo::Resume(node));
        self.note_majority();
        if let Target::PauseLeader { cut_after_ms } = self.aims[i].target {
            if cut_after_ms > 0 {
                let at_ns = self.now_ns + cut_after_ms * 1_000_000;
                self.queue.push(at_ns, Event::CutOff { node });
            }
        }
    }

    /// Cuts off a node the armed pause of the leader froze, if it is still
    /// frozen by it ([`Target::PauseLeader`] with `cut_after_ms`).
    pub(crate) fn cut_off(&mut self, node: NodeId) {
        let frozen = |aimed: &Aimed| {
            matches!(aimed.target, Target::PauseLeader { .. })
                && aimed.undo == Some(Undo::Resume(node))
        };
        let Some(i) = self.aims.iter().position(frozen) else {
            return;
        };
        self.record_aim(format!("aimed: isolate n{node}"), "start-partition");
        let leader = self.current_leader();
        self.network
            .partition(&PartitionShape::Isolate { node }, leader);
        self.aims[i].undo = Some(Undo::HealAndResume(node));
        self.note_majority();
    }

    /// The extra delay of a message to `to` while votes are delayed.
    pub(crate) fn aimed_delay_us(&self, to: NodeId) -> u64 {
        let delay = self.aims.iter().find_map(|aimed| match aimed.target {
            Target::DelayVotes { extra_ms } => Some(extra_ms),
            _ => None,
        });
        let Some(extra_ms) = delay else { return 0 };
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
