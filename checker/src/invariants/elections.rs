//! Leaders, terms and votes: Election Safety, Monotonic Term, Single Vote,
//! Elected by Quorum.

use super::invariant::Invariant;
use super::leaders::Leadership;
use super::nodes::Vote;
use super::report::Draft;
use super::safety::Pass;
use histories::{NodeId, Role};

impl Pass<'_> {
    /// A node took `role` in `term`.
    pub(crate) fn on_role_changed(&mut self, position: usize, slot: usize, role: Role, term: u64) {
        self.check_term_not_lower(position, slot, term, "moves to");
        let state = self.nodes.get_mut(slot);
        let id = state.id;
        let was_leading_this_term = state.role == Role::Leader && state.term == term;
        state.set_term(term, position);
        state.role = role;
        match role {
            Role::Follower => state.leadership = None,
            Role::Candidate => {
                state.leadership = None;
                // A candidate votes for itself: that is its vote of the term.
                self.record_vote(position, slot, term, id);
            }
            Role::Leader if was_leading_this_term => {}
            Role::Leader => self.on_elected(position, slot, term),
        }
    }

    /// A node became leader of `term`: one leader per term, and its log
    /// must hold everything committed before.
    fn on_elected(&mut self, position: usize, slot: usize, term: u64) {
        let state = self.nodes.get(slot);
        let leadership = Leadership {
            node: state.id,
            term,
            last_index: state.last_index(),
            last_term: state.last_term(),
            event: position,
        };
        if let Some(first) = self.leaders.first_of_term(term).copied() {
            if first.node != leadership.node {
                self.report.report(Invariant::ElectionSafety, || Draft {
                    message: format!(
                        "n{} and n{} are both leaders of term {term}",
                        first.node, leadership.node
                    ),
                    nodes: vec![first.node, leadership.node],
                    term: Some(term),
                    index: None,
                    events: vec![first.event, position],
                });
            }
        }
        self.check_completeness_at_election(&leadership, slot);
        self.check_elected_by_quorum(&leadership);
        let number = self.leaders.add(leadership);
        self.nodes.get_mut(slot).leadership = Some(number);
    }

    /// The new leader must hold votes of its term from a majority of the
    /// cluster, its own included.
    fn check_elected_by_quorum(&mut self, leadership: &Leadership) {
        let (leader, term) = (leadership.node, leadership.term);
        let voters: Vec<(NodeId, usize)> = self
            .nodes
            .values()
            .filter_map(|state| {
                let vote = state.votes.in_term(term)?;
                (vote.candidate == leader).then_some((state.id, vote.event))
            })
            .collect();
        let majority = self.cluster_size / 2 + 1;
        if voters.len() >= majority {
            return;
        }
        let cluster_size = self.cluster_size;
        let uncounted = self.uncounted_votes(leader, term);
        self.report.report(Invariant::ElectedByQuorum, || {
            let names: Vec<String> = voters.iter().map(|(id, _)| format!("n{id}")).collect();
            let mut uncounted_text = String::new();
            if !uncounted.is_empty() {
                let reasons: Vec<&str> = uncounted.iter().map(|(_, r, _)| r.as_str()).collect();
                uncounted_text = format!("; not counted: {}", reasons.join(", "));
            }
            // The second votes prove why the count fell short: show them.
            let second_votes: Vec<(NodeId, usize)> = uncounted
                .iter()
                .filter_map(|&(id, _, event)| Some((id, event?)))
                .collect();
            Draft {
                message: format!(
                    "n{leader} leads term {term} with {} of the {majority} votes a {cluster_size}-node \
                     cluster needs (from: {}){uncounted_text}",
                    voters.len(),
                    if names.is_empty() {
                        "nobody".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
                nodes: std::iter::once(leader)
                    .chain(voters.iter().chain(&second_votes).map(|&(id, _)| id))
                    .collect(),
                term: Some(term),
                index: None,
                events: voters
                    .iter()
                    .chain(&second_votes)
                    .map(|&(_, event)| event)
                    .chain([leadership.event])
                    .collect(),
            }
        });
    }

    /// Why each node whose vote did not count for `leader` in `term` is
    /// missing, in node order: a second vote (the node had voted for
    /// another candidate first, so only that vote stands), a vote for
    /// someone else, or no vote in the trace at all. With each, the node
    /// and the trace position of its vote for `leader`, if it gave one.
    fn uncounted_votes(&self, leader: NodeId, term: u64) -> Vec<(NodeId, String, Option<usize>)> {
        let mut reasons = Vec::new();
        for state in self.nodes.values() {
            let id = state.id;
            let first = state.votes.in_term(term);
            if first.is_some_and(|vote| vote.candidate == leader) {
                continue;
            }
            let second = state
                .second_votes
                .iter()
                .find(|vote| vote.term == term && vote.candidate == leader);
            let name = |candidate: NodeId| match candidate == id {
                true => "itself".to_string(),
                false => format!("n{candidate}"),
            };
            let reason = match (first, second) {
                (Some(first), Some(_)) => format!(
                    "n{id}'s vote for n{leader} in term {term} was a second vote (it had voted \
                     for {} first)",
                    name(first.candidate)
                ),
                (Some(first), None) => format!("n{id} voted for {}", name(first.candidate)),
                (None, _) => format!("n{id} cast no vote in term {term} that the trace shows"),
            };
            reasons.push((id, reason, second.map(|vote| vote.event)));
        }
        reasons.sort();
        reasons
    }

    /// A node's term may only grow; `doing` says how it changed
    /// ("moves to", "restarts in").
    pub(crate) fn check_term_not_lower(
        &mut self,
        position: usize,
        slot: usize,
        term: u64,
        doing: &str,
    ) {
        let state = self.nodes.get(slot);
        if term >= state.term {
            return;
        }
        let (id, before, before_event) = (state.id, state.term, state.term_event);
        self.report.report(Invariant::MonotonicTerm, || Draft {
            message: format!("n{id} {doing} term {term} after being in term {before}"),
            nodes: vec![id],
            term: Some(term),
            index: None,
            events: before_event.into_iter().chain([position]).collect(),
        });
    }

    /// A node voted for `candidate` in `term` (itself, when it stood).
    pub(crate) fn record_vote(
        &mut self,
        position: usize,
        slot: usize,
        term: u64,
        candidate: NodeId,
    ) {
        let state = self.nodes.get_mut(slot);
        let id = state.id;
        match state.votes.in_term(term) {
            None => state.votes.record(Vote {
                term,
                candidate,
                event: position,
            }),
            Some(earlier) if earlier.candidate == candidate => {}
            Some(earlier) => {
                state.second_votes.push(Vote {
                    term,
                    candidate,
                    event: position,
                });
                self.report_second_vote(position, id, candidate, earlier);
            }
        }
    }

    fn report_second_vote(
        &mut self,
        position: usize,
        id: NodeId,
        candidate: NodeId,
        earlier: Vote,
    ) {
        let term = earlier.term;
        self.report.report(Invariant::SingleVote, || Draft {
            message: format!(
                "n{id} votes for n{candidate} in term {term} after voting for n{} in it",
                earlier.candidate
            ),
            nodes: vec![id, candidate, earlier.candidate],
            term: Some(term),
            index: None,
            events: vec![earlier.event, position],
        });
    }

    /// A restarted node must come back with the term it had and the vote it
    /// gave in that term: both were on disk.
    pub(crate) fn check_restored_term(
        &mut self,
        position: usize,
        slot: usize,
        term: u64,
        voted_for: Option<NodeId>,
    ) {
        self.check_term_not_lower(position, slot, term, "restarts in");
        let state = self.nodes.get(slot);
        let id = state.id;
        let earlier = state.votes.in_term(term);
        match (earlier, voted_for) {
            (None, Some(candidate)) => self.record_vote(position, slot, term, candidate),
            (Some(earlier), restored) if restored != Some(earlier.candidate) => {
                let restored_text = match restored {
                    Some(candidate) => format!("believing it voted for n{candidate}"),
                    None => "having voted for nobody".to_string(),
                };
                self.report.report(Invariant::SingleVote, || Draft {
                    message: format!(
                        "n{id} restarts in term {term} {restored_text}, but it voted for n{} \
                         in that term: it may vote twice",
                        earlier.candidate
                    ),
                    nodes: vec![id, earlier.candidate],
                    term: Some(term),
                    index: None,
                    events: vec![earlier.event, position],
                });
            }
            _ => {}
        }
    }
}
