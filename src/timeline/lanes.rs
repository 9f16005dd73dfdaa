//! Node lanes: what each Raft node was, over time, from the trace.
//!
//! A node is a follower, candidate or leader in some term, or crashed, or
//! paused (frozen in its role). The lane is a list of segments, one per
//! stretch in which none of that changed, so the page draws it directly and
//! anyone can see who led when, and who was down.

use histories::{NodeId, Role, Trace, TraceKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// One stretch of a node's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Start, in nanoseconds.
    pub t0: u64,
    /// End, in nanoseconds (the trace's end for the last one).
    pub t1: u64,
    /// follower, candidate, leader, crashed or paused.
    pub state: String,
    /// The node's term (its last before a crash).
    pub term: u64,
}

/// One node's lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeLane {
    /// The node.
    pub node: NodeId,
    /// Its segments, in time order, back to back.
    pub segments: Vec<Segment>,
}

/// What a node is at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Life {
    role: Role,
    term: u64,
    crashed: bool,
    paused: bool,
}

impl Life {
    fn state(&self) -> &'static str {
        match (self.crashed, self.paused, self.role) {
            (true, _, _) => "crashed",
            (_, true, _) => "paused",
            (_, _, Role::Follower) => "follower",
            (_, _, Role::Candidate) => "candidate",
            (_, _, Role::Leader) => "leader",
        }
    }

    fn after(mut self, event: &TraceKind) -> Life {
        match *event {
            TraceKind::RoleChanged { role, term } => {
                self.role = role;
                self.term = term;
            }
            TraceKind::Crashed => {
                self.crashed = true;
                self.paused = false;
                self.role = Role::Follower;
            }
            TraceKind::Restarted { term, .. } => {
                self.crashed = false;
                self.term = term;
            }
            TraceKind::Paused => self.paused = true,
            TraceKind::Resumed => self.paused = false,
            _ => {}
        }
        self
    }
}

/// The lanes of every node in `trace` (and of nodes `0..cluster_size`,
/// which may have done nothing visible), ending at `end_ns`.
pub fn node_lanes(trace: &Trace, cluster_size: u32, end_ns: u64) -> Vec<NodeLane> {
    let start = Life {
        role: Role::Follower,
        term: 0,
        crashed: false,
        paused: false,
    };
    let mut lives: BTreeMap<NodeId, (u64, Life, Vec<Segment>)> = (0..cluster_size)
        .map(|node| (node, (0, start, Vec::new())))
        .collect();
    for event in &trace.events {
        let Some(node) = event.node else { continue };
        let (since, life, segments) = lives.entry(node).or_insert((0, start, Vec::new()));
        let next = life.after(&event.event);
        if next == *life {
            continue;
        }
        if event.time_ns > *since {
            segments.push(segment(*since, event.time_ns, life));
        }
        *since = event.time_ns;
        *life = next;
    }
    lives
        .into_iter()
        .map(|(node, (since, life, mut segments))| {
            segments.push(segment(since, end_ns.max(since), &life));
            NodeLane { node, segments }
        })
        .collect()
}

fn segment(t0: u64, t1: u64, life: &Life) -> Segment {
    Segment {
        t0,
        t1,
        state: life.state().to_string(),
        term: life.term,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lane_shows_roles_terms_crashes_and_pauses() {
        let mut trace = Trace::default();
        let role = |role, term| TraceKind::RoleChanged { role, term };
        trace.record(10, 1, role(Role::Candidate, 1));
        trace.record(20, 1, role(Role::Leader, 1));
        trace.record(30, 1, TraceKind::Paused);
        trace.record(40, 1, TraceKind::Resumed);
        trace.record(50, 1, TraceKind::Crashed);
        let restarted = TraceKind::Restarted {
            term: 1,
            voted_for: Some(1),
            last_log_index: 0,
        };
        trace.record(60, 1, restarted);
        let lanes = node_lanes(&trace, 2, 100);
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[0].segments.len(), 1, "n0 did nothing: one segment");
        let got: Vec<(u64, u64, &str, u64)> = lanes[1]
            .segments
            .iter()
            .map(|s| (s.t0, s.t1, s.state.as_str(), s.term))
            .collect();
        assert_eq!(
            got,
            [
                (0, 10, "follower", 0),
                (10, 20, "candidate", 1),
                (20, 30, "leader", 1),
                (30, 40, "paused", 1),
                (40, 50, "leader", 1),
                (50, 60, "crashed", 1),
                (60, 100, "follower", 1),
            ]
        );
    }
}
