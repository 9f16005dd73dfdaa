//! Each planted bug changes exactly the behaviour it names. Every test runs
//! the same scenario twice, without and with the bug, and asserts both
//! outcomes.

mod common;

use common::*;
use raft_core::*;

fn config(size: u32, bug: Option<Bug>) -> Config {
    Config::sized(size).with_bugs(bug.map_or(BugSet::NONE, BugSet::only))
}

fn vote_request(
    candidate: NodeId,
    term: Term,
    last_log_index: LogIndex,
    last_log_term: Term,
) -> Input {
    Input::Message(Message {
        from: candidate,
        to: 0,
        term,
        body: MessageBody::RequestVote {
            last_log_index,
            last_log_term,
        },
    })
}

fn granted(ready: &Ready) -> bool {
    matches!(
        ready.messages[0].body,
        MessageBody::RequestVoteResponse { vote_granted: true }
    )
}

/// Runs `scenario` without and with `bug`, returning both observations.
fn both<T>(bug: Bug, scenario: impl Fn(Option<Bug>) -> T) -> (T, T) {
    (scenario(None), scenario(Some(bug)))
}

#[test]
fn vote_without_log_check_elects_candidates_with_stale_logs() {
    let outcome = both(Bug::VoteWithoutLogCheck, |bug| {
        let mut voter = Node::restart(0, config(3, bug), disk(2, &[1, 2]), rng_for(0));
        granted(&voter.step(vote_request(1, 3, 1, 1)))
    });
    assert_eq!(outcome, (false, true));
}

#[test]
fn vote_twice_grants_two_candidates_in_one_term() {
    let outcome = both(Bug::VoteTwice, |bug| {
        let mut voter = Node::new(0, config(3, bug), rng_for(0));
        let first = granted(&voter.step(vote_request(1, 1, 0, 0)));
        let second = granted(&voter.step(vote_request(2, 1, 0, 0)));
        (first, second)
    });
    assert_eq!(outcome, ((true, false), (true, true)));
}

#[test]
fn commit_previous_term_commits_figure_8s_old_entry_by_counting() {
    let outcome = both(Bug::CommitPreviousTerm, |bug| {
        let mut config = config(5, bug);
        config.cluster.max_entries_per_append = 1;
        let mut cluster = Cluster::from_disks(config, figure_8_disks());
        cluster.crash(4);
        cluster.call(0, Node::become_candidate);
        cluster.deliver_where(|cluster, m| match &m.body {
            MessageBody::AppendEntries {
                prev_log_index,
                entries,
                ..
            } => {
                cluster.node(m.to).log().last_index() < *prev_log_index
                    || entries.iter().all(|e| e.term == 2)
            }
            _ => true,
        });
        cluster.node(0).commit_index()
    });
    assert_eq!(outcome, (0, 2));
}

/// An old leader isolated from the majority, while the majority writes a
/// new value, is asked for a read.
fn stale_leader_read(bug: Option<Bug>) -> Vec<ClientResponse> {
    let mut cluster = Cluster::with_config(config(3, bug));
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "old"));
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.isolated.insert(0);
    cluster.elect(1);
    cluster.request(1, 1, 2, put("a", "new"));
    cluster.heartbeat(1);
    cluster.deliver_all();
    cluster.request(0, 2, 1, get("a"));
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster
        .replies_to(2)
        .into_iter()
        .map(|r| r.response)
        .collect()
}

#[test]
fn read_without_quorum_serves_stale_reads_from_a_deposed_leader() {
    let outcome = both(Bug::ReadWithoutQuorum, stale_leader_read);
    assert_eq!(
        outcome,
        (
            vec![],
            vec![done(KvResult::Value {
                value: "old".into()
            })]
        )
    );
}

#[test]
fn forget_vote_on_restart_votes_again_in_the_same_term() {
    let outcome = both(Bug::ForgetVoteOnRestart, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.nodes[0].step(vote_request(1, 1, 0, 0));
        cluster.disks[0] = cluster.node(0).durable_state();
        cluster.restart(0);
        let node = &mut cluster.nodes[0];
        (
            node.voted_for(),
            granted(&node.step(vote_request(2, 1, 0, 0))),
        )
    });
    assert_eq!(outcome, ((Some(1), false), (None, true)));
}

#[test]
fn forget_term_on_restart_sends_the_term_backwards() {
    let outcome = both(Bug::ForgetTermOnRestart, |bug| {
        let node = Node::restart(0, config(3, bug), disk(5, &[1, 5]), rng_for(0));
        (node.current_term(), node.log().last_index())
    });
    assert_eq!(
        outcome,
        ((5, 2), (0, 2)),
        "the log itself survives either way"
    );
}

#[test]
fn truncate_without_conflict_lets_a_delayed_append_erase_entries() {
    let outcome = both(Bug::TruncateWithoutConflict, |bug| {
        let mut follower = Node::new(1, config(3, bug), rng_for(1));
        let entries = log_of_terms(&[1, 1, 1]).entries().to_vec();
        for batch in [&entries[..], &entries[..1]] {
            follower.step(Input::Message(Message {
                from: 0,
                to: 1,
                term: 1,
                body: MessageBody::AppendEntries {
                    prev_log_index: 0,
                    prev_log_term: 0,
                    entries: batch.to_vec(),
                    leader_commit: 0,
                    round: 1,
                },
            }));
        }
        follower.log().last_index()
    });
    assert_eq!(outcome, (3, 1));
}

#[test]
fn commit_without_min_commits_unverified_stale_entries() {
    let outcome = both(Bug::CommitWithoutMin, |bug| {
        let mut follower = Node::restart(1, config(3, bug), disk(2, &[1, 1, 1, 1]), rng_for(1));
        let entry = log_of_terms(&[1, 2]).entries()[1].clone();
        follower.step(Input::Message(Message {
            from: 0,
            to: 1,
            term: 2,
            body: MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![log_of_terms(&[1]).entries()[0].clone()],
                leader_commit: 5,
                round: 1,
            },
        }));
        let after_heartbeat = follower.commit_index();
        follower.step(Input::Message(Message {
            from: 0,
            to: 1,
            term: 2,
            body: MessageBody::AppendEntries {
                prev_log_index: 1,
                prev_log_term: 1,
                entries: vec![entry],
                leader_commit: 5,
                round: 2,
            },
        }));
        (after_heartbeat, follower.commit_index())
    });
    // Correct: only the verified prefix. Buggy: stale entries 2..=4 as well
    // (before the conflict at 2 is even repaired).
    assert_eq!(outcome, ((1, 2), (4, 4)));
}

#[test]
fn count_stale_votes_wins_an_election_nobody_voted_in() {
    let outcome = both(Bug::CountStaleVotes, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.call(0, Node::become_candidate); // term 1
                                                 // Deliver the requests; hold the granted responses.
        cluster.deliver_where(|_, m| m.to != 0);
        let held: Vec<Message> = cluster.sent.iter().filter(|m| m.to == 0).cloned().collect();
        assert_eq!(held.len(), 2);
        cluster.call(0, Node::become_candidate); // term 2, requests lost
        cluster.drop_inflight();
        for response in held {
            cluster.step(0, Input::Message(response));
        }
        (cluster.node(0).role(), cluster.node(0).current_term())
    });
    assert_eq!(outcome, ((Role::Candidate, 2), (Role::Leader, 2)));
}

#[test]
fn no_session_dedup_applies_a_retried_append_twice() {
    let outcome = both(Bug::NoSessionDedup, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.elect(0);
        cluster.request(0, 5, 1, append("a", "x"));
        cluster.heartbeat(0);
        cluster.deliver_where(|_, m| m.to != 0); // acks lost
        cluster.crash(0);
        cluster.elect(1);
        cluster.request(1, 5, 1, append("a", "x")); // the client retries
        cluster.heartbeat(1);
        cluster.deliver_all();
        cluster.heartbeat(1);
        cluster.deliver_all();
        cluster.node(1).kv().value("a").map(str::to_string)
    });
    assert_eq!(outcome, (Some("x".into()), Some("xx".into())));
}

#[test]
fn ignore_newer_term_in_response_keeps_a_deposed_leader_leading() {
    let outcome = both(Bug::IgnoreNewerTermInResponse, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.elect(0);
        cluster.step(
            0,
            Input::Message(Message {
                from: 1,
                to: 0,
                term: 7,
                body: MessageBody::AppendEntriesResponse {
                    success: false,
                    match_index: 0,
                    conflict: None,
                    request_term: 1,
                    round: 1,
                },
            }),
        );
        (cluster.node(0).role(), cluster.node(0).current_term())
    });
    assert_eq!(outcome, ((Role::Follower, 7), (Role::Leader, 1)));
}

#[test]
fn apply_before_commit_answers_clients_before_anyone_else_has_the_entry() {
    let outcome = both(Bug::ApplyBeforeCommit, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.elect(0);
        cluster.request(0, 5, 1, put("a", "x"));
        let replies = cluster.replies_to(5).len();
        (
            replies,
            cluster.node(0).kv().value("a").map(str::to_string),
            cluster.node(0).commit_index(),
        )
    });
    assert_eq!(outcome, ((0, None, 1), (1, Some("x".into()), 1)));
}

#[test]
fn every_bug_has_a_test_here() {
    let source = include_str!("bugs.rs");
    for bug in Bug::ALL {
        let variant = format!("Bug::{bug:?}");
        assert!(source.contains(&variant), "{variant} has no scenario test");
    }
}
