//! Availability of each clean majority the world recorded.
//!
//! A clean majority that lasts longer than [`Bounds::election_ns`] must:
//!
//! 1. have a leader among itself that all of its members recognise at
//!    some instant within that bound of its start (§5.2);
//! 2. commit every entry a leader of it appends, within
//!    [`Bounds::commit_ns`] of the append, while that leader keeps office
//!    and the majority lasts (§5.3: an entry is committed once a majority
//!    stores it, and the majority is right there);
//! 3. serve at least one read (a `read_served` by a member) once its
//!    leader has settled ([`Bounds::read_from_ns`]: the leader's first
//!    commit and [`Bounds::read_settle_ns`] after every member recognised
//!    it, and never later than the election bound), when some `get` was
//!    invoked after that with its whole lifetime ([`Bounds::read_ns`])
//!    inside the majority (§8).

use super::cluster::ClusterView;
use super::{
    AvailabilityParams, AvailabilityProblem, MajoritySpan, Measured, Timed, MAX_OPS_LISTED,
};
use histories::{NodeId, Role, Trace, TraceKind};

/// An entry a leader of the majority must commit.
struct Obligation {
    leader: NodeId,
    term: u64,
    index: u64,
    appended_ns: u64,
    deadline_ns: u64,
}

/// What the check learns about one clean majority while it reads on.
struct Judging<'a> {
    span: MajoritySpan,
    params: &'a AvailabilityParams,
    leader_at_ns: Option<u64>,
    /// The longest member log when the leader was recognised.
    last_index_at_leader: u64,
    obligations: Vec<Obligation>,
    /// When a member last served a read.
    last_read_ns: Option<u64>,
    slowest_commit_permille: u64,
    /// Entries it failed to commit in time.
    uncommitted: usize,
    problems: Vec<AvailabilityProblem>,
}

fn members_of(bits: u64) -> Vec<NodeId> {
    (0..64).filter(|node| bits & (1u64 << node) != 0).collect()
}

impl<'a> Judging<'a> {
    fn new(span: MajoritySpan, params: &'a AvailabilityParams) -> Judging<'a> {
        Judging {
            span,
            params,
            leader_at_ns: None,
            last_index_at_leader: 0,
            obligations: Vec::new(),
            last_read_ns: None,
            slowest_commit_permille: 0,
            uncommitted: 0,
            problems: Vec::new(),
        }
    }

    fn member(&self, node: NodeId) -> bool {
        node < 64 && self.span.members & (1u64 << node) != 0
    }

    fn election_end_ns(&self) -> u64 {
        self.span.start_ns + self.params.bounds.election_ns
    }

    /// Fails the obligations whose deadline passed before `now_ns` (the
    /// first [`MAX_OPS_LISTED`] of a majority are reported; one is proof).
    fn expire(&mut self, now_ns: u64) {
        let members = self.span.members;
        let bounds = self.params.bounds;
        for missed in self.obligations.extract_if(.., |o| o.deadline_ns < now_ns) {
            self.uncommitted += 1;
            if self.uncommitted > MAX_OPS_LISTED {
                continue;
            }
            self.problems
                .push(AvailabilityProblem::UncommittedInMajority {
                    members: members_of(members),
                    leader: missed.leader,
                    term: missed.term,
                    index: missed.index,
                    appended_ns: missed.appended_ns,
                    bound_ns: bounds.commit_ns(missed.index),
                });
        }
    }

    /// Takes one event (after `view` has applied it).
    fn event(&mut self, time_ns: u64, node: NodeId, kind: &TraceKind, view: &ClusterView) {
        if !self.member(node) {
            return;
        }
        let now = view.node(node);
        match *kind {
            TraceKind::LogAppended { index, term, .. }
                if now.role == Role::Leader && term == now.term =>
            {
                let deadline_ns = time_ns + self.params.bounds.commit_ns(index);
                if deadline_ns <= self.span.end_ns && index > now.commit {
                    self.obligations.push(Obligation {
                        leader: node,
                        term,
                        index,
                        appended_ns: time_ns,
                        deadline_ns,
                    });
                }
            }
            TraceKind::CommitAdvanced { commit_index } => {
                let bounds = self.params.bounds;
                let met = |o: &mut Obligation| o.leader == node && o.index <= commit_index;
                for kept in self.obligations.extract_if(.., met) {
                    let took = (time_ns - kept.appended_ns) * 1000;
                    let permille = took / bounds.commit_ns(kept.index).max(1);
                    self.slowest_commit_permille = self.slowest_commit_permille.max(permille);
                }
            }
            TraceKind::RoleChanged { .. } | TraceKind::Crashed | TraceKind::Restarted { .. } => {
                self.obligations.retain(|o| {
                    o.leader != node || (now.role == Role::Leader && now.term == o.term)
                });
            }
            TraceKind::ReadServed { .. } => self.last_read_ns = Some(time_ns),
            _ => {}
        }
    }

    /// Looks at the cluster after an instant's last event.
    fn look(&mut self, time_ns: u64, view: &ClusterView) {
        let in_time = (self.span.start_ns..=self.election_end_ns()).contains(&time_ns);
        if self.leader_at_ns.is_none()
            && in_time
            && view.recognised_leader(self.span.members).is_some()
        {
            self.leader_at_ns = Some(time_ns);
            self.last_index_at_leader = members_of(self.span.members)
                .into_iter()
                .map(|member| view.node(member).last_index)
                .max()
                .unwrap_or(0);
        }
    }

    /// The majority ended: the verdict on it.
    fn finish(mut self, gets: &[u64], measured: &mut Measured) -> Vec<AvailabilityProblem> {
        let span = self.span;
        self.expire(span.end_ns);
        measured.spans_judged += 1;
        measured.slowest_commit_permille = measured
            .slowest_commit_permille
            .max(self.slowest_commit_permille);
        let members = members_of(span.members);
        match self.leader_at_ns {
            Some(at) => {
                measured.slowest_election_ns = measured.slowest_election_ns.max(at - span.start_ns)
            }
            // A majority shorter than the election bound owes no election,
            // only what a leader it has owes: commits and reads.
            None if span.end_ns - span.start_ns <= self.params.bounds.election_ns => {}
            None => self.problems.insert(
                0,
                AvailabilityProblem::NoLeaderInMajority {
                    members: members.clone(),
                    start_ns: span.start_ns,
                    bound_end_ns: self.election_end_ns(),
                },
            ),
        }
        let bounds = self.params.bounds;
        let from_ns =
            bounds.read_from_ns(span.start_ns, self.leader_at_ns, self.last_index_at_leader);
        let read_ns = bounds.read_ns;
        let asked = gets
            .iter()
            .filter(|&&at| at >= from_ns && at + read_ns <= span.end_ns)
            .count();
        let served = self.last_read_ns.is_some_and(|at| at >= from_ns);
        if asked > 0 && !served {
            self.problems.push(AvailabilityProblem::NoReadInMajority {
                members,
                from_ns,
                end_ns: span.end_ns,
                gets: asked,
            });
        }
        self.problems
    }
}

/// The problems of every clean majority in `spans` long enough to judge.
pub(super) fn judge(
    trace: &Trace,
    ops: &[Timed],
    spans: &[MajoritySpan],
    params: &AvailabilityParams,
    measured: &mut Measured,
) -> Vec<AvailabilityProblem> {
    let gets: Vec<u64> = ops
        .iter()
        .filter(|op| op.is_get)
        .map(|op| op.invoke_ns)
        .collect();
    let mut judged = spans.iter().filter(|span| span.members != 0).peekable();
    let mut current: Option<Judging> = None;
    let mut problems = Vec::new();
    let mut view = ClusterView::default();
    let events = &trace.events;
    for (position, event) in events.iter().enumerate() {
        let time_ns = event.time_ns;
        if let Some(judging) = current.as_mut() {
            judging.expire(time_ns);
        }
        if current.as_ref().is_some_and(|j| time_ns >= j.span.end_ns) {
            problems.extend(current.take().expect("some").finish(&gets, measured));
        }
        while current.is_none() && judged.peek().is_some_and(|span| span.end_ns <= time_ns) {
            let span = *judged.next().expect("peeked");
            problems.extend(Judging::new(span, params).finish(&gets, measured));
        }
        if current.is_none() && judged.peek().is_some_and(|span| span.start_ns <= time_ns) {
            current = Some(Judging::new(*judged.next().expect("peeked"), params));
        }
        if let Some(node) = event.node {
            view.apply(node, &event.event);
            if let Some(judging) = current.as_mut() {
                judging.event(time_ns, node, &event.event, &view);
            }
        }
        let instant_ends = events
            .get(position + 1)
            .is_none_or(|next| next.time_ns != time_ns);
        if let (true, Some(judging)) = (instant_ends, current.as_mut()) {
            judging.look(time_ns, &view);
        }
    }
    problems.extend(current.into_iter().flat_map(|j| j.finish(&gets, measured)));
    for &span in judged {
        problems.extend(Judging::new(span, params).finish(&gets, measured));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::problem_kinds;
    use histories::EntryId;

    const MS: u64 = 1_000_000;

    fn params() -> AvailabilityParams {
        crate::availability::test_params(9_000, 9_000, 10_000)
    }

    /// n0 leads term 1 from `elected_ms` (if ever), appends index 1 100 ms
    /// later and commits it at `commit_ms` (if ever).
    fn trace(elected_ms: Option<u64>, commit_ms: Option<u64>) -> Trace {
        let mut trace = Trace::default();
        trace.record_nemesis(0, "start".to_string());
        if let Some(at) = elected_ms {
            let leader = TraceKind::RoleChanged {
                role: Role::Leader,
                term: 1,
            };
            trace.record(at * MS, 0, leader);
            let entry = TraceKind::LogAppended {
                index: 1,
                term: 1,
                entry: EntryId::Noop,
            };
            trace.record((at + 100) * MS, 0, entry);
        }
        if let Some(at) = commit_ms {
            trace.record(at * MS, 0, TraceKind::CommitAdvanced { commit_index: 1 });
        }
        trace.record_nemesis(8_000 * MS, "end".to_string());
        trace
    }

    #[test]
    fn clean_majorities_must_elect_and_commit() {
        let long = MajoritySpan {
            start_ns: 0,
            end_ns: 8_000 * MS,
            members: 0b011,
        };
        let short = MajoritySpan {
            end_ns: 1_500 * MS,
            ..long
        };
        // (span, elected, committed, problems expected)
        let cases = [
            (long, Some(500), Some(700), vec![]),
            (long, None, None, vec!["no-leader-in-majority"]),
            (long, Some(500), None, vec!["uncommitted-in-majority"]),
            (
                long,
                Some(3_000),
                Some(3_200),
                vec!["no-leader-in-majority"],
            ),
            (short, None, None, vec![]),
        ];
        for (span, elected, committed, expected) in cases {
            let mut measured = Measured::default();
            let problems = judge(
                &trace(elected, committed),
                &[],
                &[span],
                &params(),
                &mut measured,
            );
            let kinds = problem_kinds(&problems);
            assert_eq!(kinds, expected, "{span:?} {elected:?} {committed:?}");
        }
    }

    #[test]
    fn reads_are_owed_once_the_leader_has_settled() {
        // A majority of 2.2 s, shorter than the election bound (2,220 ms),
        // whose leader n0 is recognised at 500 ms with an empty log: it owes
        // reads from 500 + commit_ns(1) (240) + ET + R (360) = 1,100 ms.
        let span = MajoritySpan {
            start_ns: 0,
            end_ns: 2_200 * MS,
            members: 0b011,
        };
        let get = |invoke_ms: u64| Timed {
            invoke_index: 0,
            invoke_ns: invoke_ms * MS,
            complete_ns: None,
            info: true,
            is_get: true,
        };
        let no_read: &[&str] = &["no-read-in-majority"];
        // (elected, read served at, get invoked at, problems expected)
        type Case<'a> = (Option<u64>, Option<u64>, u64, &'a [&'a str]);
        let cases: [Case; 5] = [
            (Some(500), None, 1_150, no_read),
            (Some(500), Some(1_300), 1_150, &[]),
            (Some(500), Some(900), 1_150, no_read),
            (Some(500), None, 1_050, &[]),
            (None, None, 1_150, &[]),
        ];
        for (elected, served, invoked, expected) in cases {
            let mut trace = trace(elected, elected.map(|_| 700));
            if let Some(at) = served {
                let read = TraceKind::ReadServed { client: 1, seq: 1 };
                trace.record(at * MS, 0, read);
            }
            trace.events.sort_by_key(|event| event.time_ns);
            let problems = judge(
                &trace,
                &[get(invoked)],
                &[span],
                &params(),
                &mut Measured::default(),
            );
            let found = problem_kinds(&problems);
            assert_eq!(found, expected, "{elected:?} {served:?} {invoked}");
        }
    }
}
