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

fn append_entries(
    to: NodeId,
    term: Term,
    prev: (LogIndex, Term),
    entries: Vec<Entry>,
    leader_commit: LogIndex,
) -> Input {
    Input::Message(Message {
        from: 0,
        to,
        term,
        body: MessageBody::AppendEntries {
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries,
            leader_commit,
            round: 1,
        },
    })
}

/// The `(success, match_index)` of the one AppendEntries response in
/// `ready`.
fn append_answer(ready: &Ready) -> (bool, LogIndex) {
    match ready.messages[..] {
        [Message {
            body:
                MessageBody::AppendEntriesResponse {
                    success,
                    match_index,
                    ..
                },
            ..
        }] => (success, match_index),
        _ => panic!("expected one AppendEntries response: {:?}", ready.messages),
    }
}

/// What became of a follower that missed entries, after a leader change:
/// its last log index after three more heartbeats, the AppendEntries the
/// new leader sent it during them, and whether a write made with the old
/// leader down was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Repair {
    follower_last_index: LogIndex,
    appends_to_follower: usize,
    write_answered: bool,
}

/// n2 misses three writes, n0 (the leader) crashes, n1 wins with n2's
/// vote and must back n2 up from index 5 to index 2 to repair it; with n0
/// down it needs n2 to commit anything.
fn lagging_follower_after_leader_change(bug: Option<Bug>) -> Repair {
    let mut cluster = Cluster::with_config(config(3, bug));
    cluster.elect(0);
    cluster.isolated.insert(2);
    for seq in 1..=3 {
        cluster.request(0, 1, seq, put("a", &seq.to_string()));
    }
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.isolated.clear();
    cluster.crash(0);
    cluster.elect(1);
    cluster.request(1, 2, 1, put("b", "1"));
    let sent_before = cluster.sent.len();
    for _ in 0..3 {
        cluster.heartbeat(1);
        cluster.deliver_all();
    }
    Repair {
        follower_last_index: cluster.node(2).log().last_index(),
        appends_to_follower: cluster.sent[sent_before..]
            .iter()
            .filter(|m| m.from == 1 && m.to == 2 && is_append_entries(m))
            .count(),
        write_answered: !cluster.replies_to(2).is_empty(),
    }
}

#[test]
fn next_index_bugs_leave_a_lagging_follower_unrepaired_and_the_cluster_stuck() {
    let repaired = Repair {
        follower_last_index: 6,
        appends_to_follower: 3,
        write_answered: true,
    };
    let cases = [
        // Retries from prevLogIndex 2, which n2 lacks, every heartbeat.
        (
            Bug::NextIndexBacksUpOneShort,
            Repair {
                follower_last_index: 1,
                appends_to_follower: 3,
                write_answered: false,
            },
        ),
        // Sends n2 nothing at all once it rejected.
        (
            Bug::StopSendingAfterReject,
            Repair {
                follower_last_index: 1,
                appends_to_follower: 0,
                write_answered: false,
            },
        ),
    ];
    for (bug, broken) in cases {
        let outcome = both(bug, lagging_follower_after_leader_change);
        assert_eq!(outcome, (repaired.clone(), broken), "{bug}");
    }
}

#[test]
fn commit_on_rejected_append_commits_a_deposed_leaders_entries() {
    let outcome = both(Bug::CommitOnRejectedAppend, |bug| {
        // Indexes 2-3 hold term-2 entries the new leader of term 3 never
        // had; its log (and commit index) reaches 3 with its own.
        let mut follower = Node::restart(1, config(3, bug), disk(2, &[1, 2, 2]), rng_for(1));
        let answer = append_answer(&follower.step(append_entries(1, 3, (3, 3), vec![], 3)));
        (
            answer,
            follower.commit_index(),
            follower.kv().value("x").map(str::to_string),
        )
    });
    assert_eq!(
        outcome,
        (((false, 0), 0, None), ((false, 0), 3, Some("t2i3".into())),)
    );
}

/// Three nodes started together; whenever timers fire, every node whose
/// deadline it is times out at that instant, then every message is
/// delivered at once. Returns the leader elected within ten timeouts, if
/// any, and the highest term reached.
fn race_to_elect(bug: Option<Bug>) -> (Option<NodeId>, Term) {
    let config = config(3, bug);
    let mut nodes: Vec<Node> = (0..3)
        .map(|id| Node::new(id, config, rng_for(id)))
        .collect();
    let mut deadline: Vec<u64> = nodes
        .iter_mut()
        .map(|node| node.start().election_timer_us.unwrap())
        .collect();
    let mut inflight = std::collections::VecDeque::new();
    for _ in 0..10 {
        let now = *deadline.iter().min().unwrap();
        for id in 0..3 {
            if deadline[id] == now {
                let ready = nodes[id].step(Input::ElectionTimeout);
                deadline[id] = now + ready.election_timer_us.unwrap_or(u64::MAX / 2);
                inflight.extend(ready.messages);
            }
        }
        while let Some(message) = inflight.pop_front() {
            let to = message.to as usize;
            let ready = nodes[to].step(Input::Message(message));
            if let Some(after) = ready.election_timer_us {
                deadline[to] = now + after;
            }
            inflight.extend(ready.messages);
        }
        if let Some(leader) = nodes.iter().find(|node| node.role() == Role::Leader) {
            return (Some(leader.id()), leader.current_term());
        }
    }
    (None, nodes.iter().map(Node::current_term).max().unwrap())
}

#[test]
fn fixed_election_timeout_splits_the_vote_every_time() {
    let (correct, buggy) = both(Bug::FixedElectionTimeout, race_to_elect);
    assert_eq!(correct.1, 1, "one election suffices: {correct:?}");
    assert!(correct.0.is_some());
    assert_eq!(buggy, (None, 10), "ten split votes in a row");
}

#[test]
fn no_timer_reset_on_vote_lets_the_voter_depose_its_candidate() {
    let outcome = both(Bug::NoTimerResetOnVote, |bug| {
        let mut voter = Node::new(0, config(3, bug), rng_for(0));
        let vote = granted(&voter.step(vote_request(1, 1, 0, 0)));
        // The voter's timer fires before the new leader's first heartbeat.
        voter.step(Input::ElectionTimeout);
        (vote, voter.role(), voter.current_term())
    });
    assert_eq!(
        outcome,
        ((true, Role::Follower, 1), (true, Role::Candidate, 2))
    );
}

#[test]
fn candidate_no_retry_never_recovers_from_a_split_vote() {
    let outcome = both(Bug::CandidateNoRetry, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        for id in 0..3 {
            cluster.call(id, Node::become_candidate); // all in term 1
        }
        cluster.deliver_all();
        assert_eq!(cluster.roles(), vec![Role::Candidate; 3], "a split vote");
        let ready = cluster.nodes[0].step(Input::ElectionTimeout);
        let rearmed = ready.election_timer_us.is_some();
        cluster.absorb(0, ready);
        cluster.deliver_all();
        (
            rearmed,
            cluster.node(0).role(),
            cluster.node(0).current_term(),
        )
    });
    assert_eq!(
        outcome,
        ((true, Role::Leader, 2), (false, Role::Candidate, 1))
    );
}

#[test]
fn ack_before_persist_acknowledges_an_entry_a_crash_then_loses() {
    let outcome = both(Bug::AckBeforePersist, |bug| {
        let config = config(3, bug);
        let mut follower = Node::new(1, config, rng_for(1));
        let mut on_disk = DurableState::default();
        let entries = log_of_terms(&[1]).entries().to_vec();
        let ready = follower.step(append_entries(1, 1, (0, 0), entries, 0));
        on_disk.persist(&ready);
        let acked = append_answer(&ready);
        // A crash now, before the follower's next step:
        let restarted = Node::restart(1, config, on_disk.clone(), rng_for(101));
        let after_crash = restarted.log().last_index();
        // Without the crash, the next step writes it after all.
        let ready = follower.step(append_entries(1, 1, (1, 1), vec![], 1));
        on_disk.persist(&ready);
        (acked, after_crash, on_disk.log.last_index())
    });
    assert_eq!(outcome, (((true, 1), 1, 1), ((true, 1), 0, 1)));
}

#[test]
fn read_index_before_term_commit_serves_a_new_leader_stale_read() {
    let outcome = both(Bug::ReadIndexBeforeTermCommit, |bug| {
        let mut config = config(3, bug);
        config.cluster.read_mode = ReadMode::ReadIndex;
        let mut cluster = Cluster::with_config(config);
        cluster.elect(0);
        cluster.request(0, 1, 1, put("a", "old"));
        for _ in 0..2 {
            cluster.heartbeat(0);
            cluster.deliver_all();
        }
        // "new" reaches n1 only; n0 commits it and answers, then crashes
        // before n1 learns the commit.
        cluster.request(0, 1, 2, put("a", "new"));
        cluster.heartbeat(0);
        cluster.deliver_where(|_, m| m.to != 2);
        assert_eq!(cluster.replies_to(1).len(), 2, "both writes acknowledged");
        cluster.crash(0);
        cluster.call(1, Node::become_candidate);
        cluster.deliver_where(|_, m| !is_append_entries(m)); // its first round is lost
        assert_eq!(cluster.node(1).role(), Role::Leader);
        assert_eq!(cluster.node(1).commit_index(), 2, "stale: 3 was committed");
        cluster.request(1, 2, 1, get("a"));
        cluster.heartbeat(1);
        // n2 confirms the round by rejecting it (it lacks index 3); the
        // retry that would repair it is held back.
        cluster.deliver_where(|_, m| match m.body {
            MessageBody::AppendEntries { prev_log_index, .. } => prev_log_index == 3,
            _ => true,
        });
        let at_once = cluster.replies_to(2);
        cluster.heartbeat(1);
        cluster.deliver_all();
        let eventually = cluster.replies_to(2);
        (at_once.len(), eventually[0].response.clone())
    });
    let value = |v: &str| done(KvResult::Value { value: v.into() });
    assert_eq!(outcome, ((0, value("new")), (1, value("old"))));
}

#[test]
fn session_reply_before_apply_acknowledges_a_write_that_is_then_lost() {
    let outcome = both(Bug::SessionReplyBeforeApply, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.elect(0);
        cluster.request(0, 5, 1, put("a", "x"));
        cluster.request(0, 5, 1, put("a", "x")); // the client's retry
        let answered = cluster.replies_to(5);
        // The leader is cut off before the entry leaves it; the others
        // elect n1, which commits a write of its own over index 2.
        cluster.isolated.insert(0);
        cluster.elect(1);
        cluster.request(1, 6, 1, put("b", "y"));
        cluster.isolated.clear();
        for _ in 0..2 {
            cluster.heartbeat(1);
            cluster.deliver_all();
        }
        let value = |id| cluster.node(id).kv().value("a").map(str::to_string);
        (answered, value(0), value(1))
    });
    let lied = vec![ClientReply {
        client: 5,
        seq: 1,
        response: done(KvResult::Done),
    }];
    assert_eq!(outcome, ((vec![], None, None), (lied, None, None)));
}

#[test]
fn drop_write_when_pending_drops_a_concurrent_write_until_its_retry() {
    let outcome = both(Bug::DropWriteWhenPending, |bug| {
        let mut cluster = Cluster::with_config(config(3, bug));
        cluster.elect(0);
        cluster.request(0, 5, 1, put("a", "x"));
        cluster.request(0, 6, 1, put("b", "y")); // while a's entry waits
        let logged = cluster.node(0).log().last_index();
        cluster.heartbeat(0);
        cluster.deliver_all();
        let answered = cluster.replies_to(6).len();
        cluster.request(0, 6, 1, put("b", "y")); // the client's retry
        for _ in 0..2 {
            cluster.heartbeat(0);
            cluster.deliver_all();
        }
        let value = cluster.node(0).kv().value("b").map(str::to_string);
        (logged, answered, value)
    });
    assert_eq!(
        outcome,
        ((3, 1, Some("y".into())), (2, 0, Some("y".into())))
    );
}

#[test]
fn every_bug_has_a_test_here() {
    let source = include_str!("bugs.rs");
    for bug in Bug::ALL {
        let variant = format!("Bug::{bug:?}");
        assert!(source.contains(&variant), "{variant} has no scenario test");
    }
}
