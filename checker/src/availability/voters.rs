//! A voter waits a whole election timeout before it stands itself.
//!
//! Figure 2 (§5.2): a follower converts to candidate only when its election
//! timeout "elapses without receiving AppendEntries RPC from current leader
//! or granting vote to candidate". Granting a vote restarts the timer, so
//! the candidate it voted for has a full election timeout to win and to
//! announce itself. A voter that stands earlier does no harm to safety, but
//! it deposes the leader it has just elected (its newer term reaches that
//! leader before the leader's first AppendEntries resets its timer), and
//! elections churn where Raft promises one round.
//!
//! The rule is judged only where it is exact: on a member of a clean
//! majority (running, unskewed, connected), for a vote and a candidacy that
//! both fall inside the same clean majority, so that no crash, pause or
//! clock skew came between them. [`Bounds::voter_wait_ns`] allows for
//! systems that count the timeout in ticks.
//!
//! [`Bounds::voter_wait_ns`]: super::Bounds::voter_wait_ns

use super::{AvailabilityParams, AvailabilityProblem, MajoritySpan, MAX_OPS_LISTED};
use histories::{NodeId, Role, Trace, TraceKind};
use std::collections::BTreeMap;

/// Every candidacy that followed its node's vote sooner than the bound,
/// within one clean majority (at most [`MAX_OPS_LISTED`] reported; one is
/// proof).
pub(super) fn judge(
    trace: &Trace,
    spans: &[MajoritySpan],
    params: &AvailabilityParams,
) -> Vec<AvailabilityProblem> {
    let wait_ns = params.bounds.voter_wait_ns;
    let mut spans = spans.iter().filter(|span| span.members != 0).peekable();
    let mut current: Option<MajoritySpan> = None;
    // Per member of the current span: the time and term of its last vote.
    let mut votes: BTreeMap<NodeId, (u64, u64)> = BTreeMap::new();
    let mut problems = Vec::new();
    for event in &trace.events {
        let (time_ns, Some(node)) = (event.time_ns, event.node) else {
            continue;
        };
        while spans.peek().is_some_and(|span| span.start_ns < time_ns) {
            current = spans.next().copied();
            votes.clear();
        }
        let Some(span) = current.filter(|span| time_ns < span.end_ns) else {
            continue;
        };
        if node >= 64 || span.members & (1u64 << node) == 0 {
            continue;
        }
        match event.event {
            TraceKind::VoteGranted { term, candidate } if candidate != node => {
                votes.insert(node, (time_ns, term));
            }
            TraceKind::RoleChanged {
                role: Role::Candidate,
                term,
            } => {
                let Some((voted_ns, voted_term)) = votes.remove(&node) else {
                    continue;
                };
                if time_ns - voted_ns < wait_ns && problems.len() < MAX_OPS_LISTED {
                    problems.push(AvailabilityProblem::StoodTooSoonAfterVoting {
                        node,
                        voted_term,
                        voted_ns,
                        stood_term: term,
                        stood_ns: time_ns,
                        bound_ns: wait_ns,
                    });
                }
            }
            TraceKind::Crashed | TraceKind::Restarted { .. } | TraceKind::Paused => {
                votes.remove(&node);
            }
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn params() -> AvailabilityParams {
        crate::availability::test_params(9_000, 9_000, 10_000)
    }

    /// n1 votes for n0 in term 1 at 1,000 ms and stands for term 2 at
    /// `1_000 + stands_after_ms`; `between` happens to n1 at 1,010 ms.
    fn trace(stands_after_ms: u64, between: Option<TraceKind>) -> Trace {
        let mut trace = Trace::default();
        let vote = TraceKind::VoteGranted {
            term: 1,
            candidate: 0,
        };
        trace.record(1_000 * MS, 1, vote);
        if let Some(kind) = between {
            trace.record(1_010 * MS, 1, kind);
        }
        let stand = TraceKind::RoleChanged {
            role: Role::Candidate,
            term: 2,
        };
        trace.record((1_000 + stands_after_ms) * MS, 1, stand);
        trace
    }

    #[test]
    fn a_voter_must_wait_an_election_timeout_inside_a_clean_majority() {
        let span = |start_ms: u64, end_ms: u64, members: u64| MajoritySpan {
            start_ns: start_ms * MS,
            end_ns: end_ms * MS,
            members,
        };
        let clean = span(0, 5_000, 0b111);
        // (stands after ms, event between, spans, problems expected)
        let cases = [
            (40, None, vec![clean], 1),
            (150, None, vec![clean], 0),
            // The bound allows a quarter of the minimum timeout for ticks.
            (120, None, vec![clean], 0),
            (40, Some(TraceKind::Crashed), vec![clean], 0),
            (40, Some(TraceKind::Paused), vec![clean], 0),
            // n1 outside the majority, or no majority at all.
            (40, None, vec![span(0, 5_000, 0b101)], 0),
            (40, None, vec![], 0),
            // The majority changed between the vote and the candidacy.
            (
                40,
                None,
                vec![span(0, 1_020, 0b111), span(1_020, 5_000, 0b111)],
                0,
            ),
        ];
        for (after_ms, between, spans, expected) in cases {
            let problems = judge(&trace(after_ms, between.clone()), &spans, &params());
            assert_eq!(problems.len(), expected, "{after_ms} {between:?} {spans:?}");
        }
    }
}
