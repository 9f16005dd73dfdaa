//! The cluster as the availability check sees it while it replays the
//! trace: which nodes run, their roles, terms and commit indexes, and who
//! leads among a set of nodes.

use histories::{NodeId, Role, TraceKind};

/// One node, from the outside.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeView {
    pub up: bool,
    pub paused: bool,
    pub role: Role,
    pub term: u64,
    pub commit: u64,
    /// Index of its last log entry.
    pub last_index: u64,
}

impl Default for NodeView {
    fn default() -> NodeView {
        NodeView {
            up: true,
            paused: false,
            role: Role::Follower,
            term: 0,
            commit: 0,
            last_index: 0,
        }
    }
}

/// Every node's [`NodeView`], indexed by id.
#[derive(Default)]
pub(crate) struct ClusterView {
    pub nodes: Vec<NodeView>,
}

impl ClusterView {
    /// The view of `node` (nodes the trace has not named yet are running
    /// followers of term 0).
    pub fn node(&self, node: NodeId) -> NodeView {
        self.nodes.get(node as usize).copied().unwrap_or_default()
    }

    /// Applies one trace event about `node`.
    pub fn apply(&mut self, node: NodeId, event: &TraceKind) {
        let slot = node as usize;
        if self.nodes.len() <= slot {
            self.nodes.resize(slot + 1, NodeView::default());
        }
        let view = &mut self.nodes[slot];
        match *event {
            TraceKind::RoleChanged { role, term } => {
                view.role = role;
                view.term = term;
            }
            TraceKind::CommitAdvanced { commit_index } => view.commit = commit_index,
            TraceKind::LogAppended { index, .. } => view.last_index = index,
            TraceKind::LogTruncated { from_index, .. } => {
                view.last_index = view.last_index.min(from_index.saturating_sub(1));
            }
            TraceKind::Crashed => {
                *view = NodeView {
                    up: false,
                    ..NodeView::default()
                };
            }
            TraceKind::Restarted {
                term,
                last_log_index,
                ..
            } => {
                *view = NodeView {
                    term,
                    last_index: last_log_index,
                    ..NodeView::default()
                };
            }
            TraceKind::Paused => view.paused = true,
            TraceKind::Resumed => view.paused = false,
            _ => {}
        }
    }

    /// The leader the running nodes of `members` (a bit set; `u64::MAX`
    /// for everyone) recognise: a running, unfrozen leader among them
    /// whose term none of them has passed (§5.1: a newer term deposes
    /// it at the first message). The highest term's wins a broken tie.
    pub fn recognised_leader(&self, members: u64) -> Option<(NodeId, u64)> {
        let mut max_term = None;
        let mut leader: Option<(NodeId, u64)> = None;
        for (id, view) in self.nodes.iter().enumerate() {
            if id >= 64 || members & (1u64 << id) == 0 || !view.up {
                continue;
            }
            max_term = max_term.max(Some(view.term));
            let leads = !view.paused && view.role == Role::Leader;
            if leads && leader.is_none_or(|(_, term)| view.term > term) {
                leader = Some((id as NodeId, view.term));
            }
        }
        leader.filter(|&(_, term)| Some(term) == max_term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leader_is_recognised_only_by_the_nodes_it_has_not_fallen_behind() {
        let mut view = ClusterView::default();
        let leader = TraceKind::RoleChanged {
            role: Role::Leader,
            term: 2,
        };
        let newer = TraceKind::RoleChanged {
            role: Role::Candidate,
            term: 3,
        };
        view.apply(0, &leader);
        view.apply(4, &newer);
        let cases = [
            (0b00111, Some((0, 2))),
            (0b10001, None),
            (u64::MAX, None),
            (0b00110, None),
        ];
        for (members, expected) in cases {
            assert_eq!(view.recognised_leader(members), expected, "{members:b}");
        }
        view.apply(4, &TraceKind::Crashed);
        assert_eq!(view.recognised_leader(u64::MAX), Some((0, 2)));
        view.apply(0, &TraceKind::Paused);
        assert_eq!(view.recognised_leader(u64::MAX), None);
    }
}
