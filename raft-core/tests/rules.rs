//! One test per rule of the protocol, each driving real nodes through the
//! hand-cranked network in `common`.

mod common;

use common::*;
use raft_core::*;

fn message(from: NodeId, to: NodeId, term: Term, body: MessageBody) -> Input {
    Input::Message(Message {
        from,
        to,
        term,
        body,
    })
}

fn heartbeat_body(
    prev_log_index: LogIndex,
    prev_log_term: Term,
    entries: Vec<Entry>,
) -> MessageBody {
    MessageBody::AppendEntries {
        prev_log_index,
        prev_log_term,
        entries,
        leader_commit: 0,
        round: 1,
    }
}

fn response_of(ready: &Ready) -> &MessageBody {
    assert_eq!(ready.messages.len(), 1, "expected exactly one response");
    &ready.messages[0].body
}

// ---- Terms and roles -------------------------------------------------------

#[test]
fn a_newer_term_in_any_message_makes_the_receiver_a_follower_and_clears_its_vote() {
    let bodies = [
        MessageBody::RequestVote {
            last_log_index: 9,
            last_log_term: 9,
        },
        MessageBody::RequestVoteResponse {
            vote_granted: false,
        },
        heartbeat_body(0, 0, vec![]),
        MessageBody::AppendEntriesResponse {
            success: false,
            match_index: 0,
            conflict: None,
            request_term: 1,
            round: 0,
        },
    ];
    for body in bodies {
        let mut cluster = Cluster::new(3);
        cluster.elect(0);
        assert_eq!(cluster.node(0).voted_for(), Some(0));
        let leader = &mut cluster.nodes[0];
        let ready = leader.step(message(2, 0, 5, body.clone()));
        assert_eq!(leader.role(), Role::Follower, "{body:?}");
        assert_eq!(leader.current_term(), 5);
        let voted_now = matches!(body, MessageBody::RequestVote { .. });
        assert_eq!(
            leader.voted_for(),
            voted_now.then_some(2),
            "vote reset for the new term"
        );
        assert_eq!(
            ready.hard_state.map(|h| h.current_term),
            Some(5),
            "the new term is persisted"
        );
    }
}

#[test]
fn stale_term_requests_are_rejected_with_the_receivers_term() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.elect(1); // term 2 now
    let follower = &mut cluster.nodes[2];
    assert_eq!(follower.current_term(), 2);

    let ready = follower.step(message(0, 2, 1, heartbeat_body(0, 0, vec![])));
    assert_eq!(ready.messages[0].term, 2);
    assert!(matches!(
        response_of(&ready),
        MessageBody::AppendEntriesResponse { success: false, .. }
    ));
    assert_eq!(
        follower.leader_hint(),
        Some(1),
        "a stale leader is not followed"
    );

    let ready = follower.step(message(
        0,
        2,
        1,
        MessageBody::RequestVote {
            last_log_index: 9,
            last_log_term: 9,
        },
    ));
    assert_eq!(ready.messages[0].term, 2);
    assert_eq!(
        response_of(&ready),
        &MessageBody::RequestVoteResponse {
            vote_granted: false
        }
    );
}

#[test]
fn a_candidate_steps_down_on_append_entries_of_its_own_term() {
    let mut cluster = Cluster::new(3);
    cluster.call(1, Node::become_candidate);
    cluster.drop_inflight();
    let candidate = &mut cluster.nodes[1];
    assert_eq!(candidate.role(), Role::Candidate);
    let ready = candidate.step(message(0, 1, 1, heartbeat_body(0, 0, vec![])));
    assert_eq!(candidate.role(), Role::Follower);
    assert_eq!(candidate.current_term(), 1, "same term: no new term");
    assert_eq!(candidate.voted_for(), Some(1), "its vote for itself stands");
    assert_eq!(candidate.leader_hint(), Some(0));
    assert!(matches!(
        response_of(&ready),
        MessageBody::AppendEntriesResponse { success: true, .. }
    ));
}

#[test]
fn a_leader_steps_down_when_a_response_carries_a_newer_term() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let leader = &mut cluster.nodes[0];
    leader.step(message(
        1,
        0,
        7,
        MessageBody::AppendEntriesResponse {
            success: false,
            match_index: 0,
            conflict: None,
            request_term: 1,
            round: 1,
        },
    ));
    assert_eq!((leader.role(), leader.current_term()), (Role::Follower, 7));
}

// ---- Votes -----------------------------------------------------------------

fn vote_request(
    candidate: NodeId,
    term: Term,
    last_log_index: LogIndex,
    last_log_term: Term,
) -> Input {
    message(
        candidate,
        0,
        term,
        MessageBody::RequestVote {
            last_log_index,
            last_log_term,
        },
    )
}

fn granted(ready: &Ready) -> bool {
    matches!(
        response_of(ready),
        MessageBody::RequestVoteResponse { vote_granted: true }
    )
}

#[test]
fn one_vote_per_term_first_come_first_served() {
    let mut voter = Node::new(0, Config::default(), rng_for(0));
    assert!(granted(&voter.step(vote_request(1, 1, 0, 0))));
    assert!(
        !granted(&voter.step(vote_request(2, 1, 0, 0))),
        "second candidate, same term"
    );
    assert!(
        granted(&voter.step(vote_request(1, 1, 0, 0))),
        "a retransmission gets the same answer"
    );
    assert!(
        granted(&voter.step(vote_request(2, 2, 0, 0))),
        "a new term, a new vote"
    );
}

#[test]
fn votes_go_only_to_candidates_whose_log_is_at_least_as_up_to_date() {
    // The voter's log ends at index 3 with term 2.
    let cases = [
        (3, 2, true, "identical last entry"),
        (5, 2, true, "same last term, longer"),
        (2, 2, false, "same last term, shorter"),
        (1, 3, true, "later last term, even if shorter"),
        (9, 1, false, "earlier last term, even if longer"),
    ];
    for (last_log_index, last_log_term, expected, case) in cases {
        let mut voter = Node::restart(0, Config::default(), disk(2, &[1, 1, 2]), rng_for(0));
        let ready = voter.step(vote_request(1, 3, last_log_index, last_log_term));
        assert_eq!(granted(&ready), expected, "{case}");
        assert_eq!(
            voter.current_term(),
            3,
            "{case}: the term is adopted either way"
        );
    }
}

#[test]
fn a_vote_is_persisted_in_the_same_step_that_sends_it() {
    let mut voter = Node::new(0, Config::default(), rng_for(0));
    let ready = voter.step(vote_request(2, 4, 0, 0));
    assert!(granted(&ready));
    assert_eq!(
        ready.hard_state,
        Some(HardState {
            current_term: 4,
            voted_for: Some(2)
        })
    );
    assert!(ready.events.contains(&NodeEvent::VoteGranted {
        term: 4,
        candidate: 2
    }));
}

#[test]
fn a_candidate_with_a_majority_of_votes_becomes_leader_and_appends_a_noop() {
    let mut cluster = Cluster::new(5);
    cluster.call(3, Node::become_candidate);
    // Only two peers answer: with its own vote that is 3 of 5.
    cluster.deliver_where(|_, m| m.to == 3 || m.to == 0 || m.to == 1);
    let leader = cluster.node(3);
    assert_eq!(leader.role(), Role::Leader);
    assert_eq!(leader.log().entries(), &[Entry::noop(1)]);
}

#[test]
fn a_candidate_without_a_majority_stays_candidate() {
    let mut cluster = Cluster::new(5);
    cluster.call(3, Node::become_candidate);
    cluster.deliver_where(|_, m| m.to == 3 || m.to == 0);
    assert_eq!(cluster.node(3).role(), Role::Candidate);
}

// ---- Election timeouts -----------------------------------------------------

#[test]
fn election_timeouts_are_random_within_the_configured_range_and_seeded() {
    let draws = |seed_node: NodeId| {
        let mut node = Node::new(0, Config::default(), rng_for(seed_node));
        (0..50)
            .map(|_| node.step(Input::ElectionTimeout).election_timer_us.unwrap())
            .collect::<Vec<u64>>()
    };
    let a = draws(1);
    assert!(a.iter().all(|&us| (150_000..300_000).contains(&us)));
    assert!(a.iter().any(|&us| us != a[0]), "timeouts vary");
    assert_eq!(a, draws(1), "the same seed gives the same timeouts");
    assert_ne!(a, draws(2), "another seed gives others");
}

#[test]
fn a_follower_that_heard_from_its_leader_does_not_start_an_election() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.election_timeout(2); // clears the flag set by the vote
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.election_timeout(2);
    assert_eq!(cluster.node(2).role(), Role::Follower);
    cluster.election_timeout(2);
    assert_eq!(
        cluster.node(2).role(),
        Role::Candidate,
        "silence since the last timeout"
    );
}

#[test]
fn a_leader_ignores_election_timeouts_but_keeps_its_timer_running() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let ready = cluster.nodes[0].step(Input::ElectionTimeout);
    assert_eq!(cluster.node(0).role(), Role::Leader);
    assert!(ready.messages.is_empty());
    assert!(ready.election_timer_us.is_some());
}

// ---- Replication -----------------------------------------------------------

#[test]
fn client_appends_wait_for_the_next_heartbeat_and_travel_together() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let sent_before = cluster.sent.len();
    for seq in 1..=3 {
        cluster.request(0, 9, seq, append("k", &seq.to_string()));
    }
    assert_eq!(
        cluster.sent.len(),
        sent_before,
        "appends alone send nothing"
    );
    cluster.heartbeat(0);
    let batches: Vec<usize> = cluster.sent[sent_before..]
        .iter()
        .map(|m| match &m.body {
            MessageBody::AppendEntries { entries, .. } => entries.len(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        batches,
        [3, 3],
        "one AppendEntries per follower, all three entries"
    );
    cluster.deliver_all();
    assert_eq!(cluster.node(0).commit_index(), 4);
    assert_eq!(cluster.node(0).kv().value("k"), Some("123"));
}

#[test]
fn the_consistency_check_rejects_with_a_conflict_hint() {
    let cases = [
        // (follower log terms, prevLogIndex, prevLogTerm, expected hint)
        (
            vec![1, 1],
            4,
            1,
            ConflictHint {
                term: None,
                first_index: 3,
            },
        ),
        (
            vec![1, 2, 2, 2],
            4,
            3,
            ConflictHint {
                term: Some(2),
                first_index: 2,
            },
        ),
        (
            vec![1, 1, 1],
            2,
            3,
            ConflictHint {
                term: Some(1),
                first_index: 1,
            },
        ),
    ];
    for (terms, prev_log_index, prev_log_term, hint) in cases {
        let mut follower = Node::restart(1, Config::default(), disk(3, &terms), rng_for(1));
        let ready = follower.step(message(
            0,
            1,
            3,
            heartbeat_body(prev_log_index, prev_log_term, vec![]),
        ));
        assert_eq!(
            response_of(&ready),
            &MessageBody::AppendEntriesResponse {
                success: false,
                match_index: 0,
                conflict: Some(hint),
                request_term: 3,
                round: 1
            }
        );
        assert_eq!(
            follower.log().last_index(),
            terms.len() as u64,
            "nothing changed"
        );
    }
}

#[test]
fn a_delayed_shorter_append_never_truncates_matching_entries() {
    let mut follower = Node::new(1, Config::default(), rng_for(1));
    let entries = log_of_terms(&[1, 1, 1]).entries().to_vec();
    follower.step(message(0, 1, 1, heartbeat_body(0, 0, entries.clone())));
    // The first AppendEntries (one entry) arrives late, after the second.
    let ready = follower.step(message(
        0,
        1,
        1,
        heartbeat_body(0, 0, entries[..1].to_vec()),
    ));
    assert_eq!(follower.log().last_index(), 3, "entries 2 and 3 survive");
    assert!(ready.log_writes.is_empty());
    assert!(matches!(
        response_of(&ready),
        MessageBody::AppendEntriesResponse {
            success: true,
            match_index: 1,
            ..
        }
    ));
}

#[test]
fn a_conflicting_entry_and_everything_after_it_are_replaced() {
    let mut follower = Node::restart(1, Config::default(), disk(3, &[1, 2, 2, 2]), rng_for(1));
    let replacement = log_of_terms(&[1, 3]).entries()[1].clone();
    let ready = follower.step(message(
        0,
        1,
        3,
        heartbeat_body(1, 1, vec![replacement.clone()]),
    ));
    assert_eq!(follower.log().entries()[1], replacement);
    assert_eq!(follower.log().last_index(), 2);
    assert_eq!(
        ready.log_writes,
        [
            LogWrite::Truncate { from_index: 2 },
            LogWrite::Append {
                index: 2,
                entry: replacement
            }
        ]
    );
}

#[test]
fn the_leader_backs_up_a_whole_term_per_round_trip() {
    // Figure 7 (f): eight conflicting entries of terms 2–3 cost the leader
    // two extra round trips, not eight.
    let config = Config::sized(3);
    let leader_log = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let disks = vec![
        disk(7, &leader_log),
        disk(7, &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
        disk(7, &leader_log),
    ];
    let mut cluster = Cluster::from_disks(config, disks);
    cluster.elect(0);
    let failures = cluster.count_sent(|m| {
        m.from == 1
            && matches!(
                m.body,
                MessageBody::AppendEntriesResponse { success: false, .. }
            )
    });
    assert_eq!(failures, 2, "one rejection for term 3, one for term 2");
    assert_eq!(cluster.node(1).log(), cluster.node(0).log());
}

#[test]
fn a_far_behind_follower_is_caught_up_in_bounded_batches_without_waiting_for_heartbeats() {
    let mut config = Config::sized(3);
    config.cluster.max_entries_per_append = 4;
    let mut cluster = Cluster::with_config(config);
    cluster.elect(0);
    cluster.isolated.insert(2);
    for seq in 1..=17 {
        cluster.request(0, 1, seq, put("k", &seq.to_string()));
        cluster.heartbeat(0);
        cluster.deliver_all();
    }
    cluster.isolated.clear();
    cluster.heartbeat(0); // one heartbeat starts the catch-up
    cluster.deliver_all();
    assert_eq!(cluster.node(2).log(), cluster.node(0).log());
    let batch_sizes: Vec<usize> = cluster
        .sent
        .iter()
        .filter(|m| m.to == 2)
        .filter_map(|m| match &m.body {
            MessageBody::AppendEntries { entries, .. } => Some(entries.len()),
            _ => None,
        })
        .collect();
    assert!(batch_sizes.iter().all(|&n| n <= 4), "{batch_sizes:?}");
}

#[test]
fn lost_appends_are_retried_until_every_follower_catches_up() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "1"));
    cluster.heartbeat(0);
    cluster.deliver_where(|_, m| m.to != 2); // n2 loses its copy
    assert_eq!(cluster.node(2).log().last_index(), 1);
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert_eq!(cluster.node(2).log(), cluster.node(0).log());
    assert_eq!(cluster.node(2).commit_index(), 2);
}

// ---- Commit and apply -------------------------------------------------------

#[test]
fn an_entry_commits_once_a_majority_stores_it() {
    let mut cluster = Cluster::new(5);
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "1"));
    cluster.heartbeat(0);
    cluster.deliver_where(|_, m| m.to == 0 || m.to == 1);
    assert_eq!(
        cluster.node(0).commit_index(),
        1,
        "2 of 5 is not a majority"
    );
    cluster.heartbeat(0);
    cluster.deliver_where(|_, m| m.to == 0 || m.to == 2);
    assert_eq!(cluster.node(0).commit_index(), 2, "3 of 5 is");
}

#[test]
fn a_follower_commits_up_to_the_leaders_commit_but_not_past_its_last_new_entry() {
    // The follower holds stale entries 2..=4 of term 1; the leader (term 2)
    // has committed index 5 and sends only entry 2.
    let mut follower = Node::restart(1, Config::default(), disk(2, &[1, 1, 1, 1]), rng_for(1));
    let entry = log_of_terms(&[1, 2]).entries()[1].clone();
    follower.step(message(
        0,
        1,
        2,
        MessageBody::AppendEntries {
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![entry],
            leader_commit: 5,
            round: 1,
        },
    ));
    assert_eq!(
        follower.commit_index(),
        2,
        "min(leaderCommit 5, last new entry 2)"
    );
    assert_eq!(follower.last_applied(), 2);
}

#[test]
fn entries_are_applied_in_order_exactly_once_on_every_node() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for seq in 1..=5 {
        cluster.request(0, 1, seq, append("k", &seq.to_string()));
        if seq % 2 == 0 {
            cluster.heartbeat(0);
            cluster.deliver_all();
        }
    }
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.heartbeat(0);
    cluster.deliver_all();
    for node in 0..3 {
        let applied: Vec<LogIndex> = cluster
            .events
            .iter()
            .filter(|(id, _)| *id == node)
            .filter_map(|(_, event)| match event {
                NodeEvent::Applied { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(applied, (1..=6).collect::<Vec<_>>(), "n{node}");
        assert_eq!(cluster.node(node).kv().value("k"), Some("12345"));
    }
}

// ---- Clients ---------------------------------------------------------------

#[test]
fn followers_redirect_clients_to_the_leader_they_know() {
    let mut cluster = Cluster::new(3);
    cluster.request(1, 5, 1, get("a"));
    cluster.elect(0);
    cluster.request(1, 5, 2, get("a"));
    assert_eq!(
        cluster
            .replies_to(5)
            .iter()
            .map(|r| r.response.clone())
            .collect::<Vec<_>>(),
        [
            ClientResponse::Redirect { leader_hint: None },
            ClientResponse::Redirect {
                leader_hint: Some(0)
            }
        ]
    );
}

#[test]
fn the_leader_answers_a_write_only_once_it_is_committed_and_applied() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 5, 1, put("a", "x"));
    cluster.heartbeat(0);
    assert!(cluster.replies_to(5).is_empty(), "not committed yet");
    cluster.deliver_all();
    let replies = cluster.replies_to(5);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].response, done(KvResult::Done));
    assert_eq!(cluster.node(0).last_applied(), 2);
}

#[test]
fn a_retried_request_is_applied_once_and_answered_with_its_original_result() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 5, 1, append("a", "x"));
    cluster.heartbeat(0);
    // Followers store it, but the acknowledgements are lost: no commit yet.
    cluster.deliver_where(|_, m| m.to != 0);
    // n0 dies; the client retries at the new leader, which has the entry
    // already and appends the retry as a second copy.
    cluster.crash(0);
    cluster.elect(1);
    cluster.request(1, 5, 1, append("a", "x"));
    cluster.heartbeat(1);
    cluster.deliver_all();
    cluster.heartbeat(1);
    cluster.deliver_all();
    assert_eq!(cluster.node(1).kv().value("a"), Some("x"), "applied once");
    let appends_in_log = cluster
        .node(1)
        .log()
        .entries()
        .iter()
        .filter(|e| matches!(&e.command, Command::Client(c) if c.seq == 1 && c.client == 5))
        .count();
    assert!(appends_in_log >= 1);
    assert_eq!(
        cluster.replies_to(5).last().unwrap().response,
        done(KvResult::Done)
    );
}

#[test]
fn a_leader_that_steps_down_redirects_its_waiting_clients() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 5, 1, put("a", "x"));
    cluster.drop_inflight();
    cluster.step(
        0,
        message(
            1,
            0,
            9,
            MessageBody::RequestVote {
                last_log_index: 0,
                last_log_term: 0,
            },
        ),
    );
    assert_eq!(
        cluster.replies_to(5)[0].response,
        ClientResponse::Redirect { leader_hint: None }
    );
}

// ---- Reads -------------------------------------------------------------------

#[test]
fn a_read_index_read_waits_for_a_heartbeat_round_started_after_it_arrived() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "1"));
    cluster.heartbeat(0);
    // The read arrives while that round is in flight: acknowledgements of
    // a round started before it arrived do not count.
    cluster.request(0, 2, 1, get("a"));
    cluster.deliver_all();
    assert!(
        cluster.replies_to(2).is_empty(),
        "an older round proves nothing"
    );
    cluster.heartbeat(0);
    assert!(cluster.replies_to(2).is_empty());
    cluster.deliver_all();
    assert_eq!(
        cluster.replies_to(2)[0].response,
        done(KvResult::Value { value: "1".into() })
    );
    assert_eq!(
        cluster.node(0).log().last_index(),
        2,
        "no log entry for the read"
    );
}

#[test]
fn a_read_index_read_waits_for_the_leaders_first_commit_of_its_term() {
    let mut cluster = Cluster::new(3);
    cluster.call(0, Node::become_candidate);
    cluster.deliver_where(|_, m| !is_append_entries(m)); // the no-op stays unreplicated
    assert_eq!(cluster.node(0).role(), Role::Leader);
    cluster.request(0, 2, 1, get("a"));
    cluster.heartbeat(0);
    cluster.drop_inflight();
    // Both followers acknowledge round 1, but with failed consistency
    // checks: leadership is confirmed, the no-op is not committed.
    for follower in [1, 2] {
        let nack = MessageBody::AppendEntriesResponse {
            success: false,
            match_index: 0,
            conflict: Some(ConflictHint {
                term: None,
                first_index: 1,
            }),
            request_term: 1,
            round: 1,
        };
        cluster.step(0, message(follower, 0, 1, nack));
    }
    assert_eq!(cluster.node(0).commit_index(), 0);
    assert!(
        cluster.replies_to(2).is_empty(),
        "commit index may lag: wait"
    );
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert_eq!(cluster.replies_to(2)[0].response, done(KvResult::NotFound));
    assert_eq!(cluster.node(0).commit_index(), 1);
}

#[test]
fn a_leader_cut_off_from_its_majority_does_not_answer_reads() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "old"));
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.isolated.insert(0);
    // The majority side elects n1 and writes a new value.
    cluster.election_timeout(1);
    cluster.election_timeout(1);
    cluster.deliver_all();
    assert_eq!(cluster.node(1).role(), Role::Leader);
    cluster.request(1, 1, 2, put("a", "new"));
    cluster.heartbeat(1);
    cluster.deliver_all();
    // The old leader still believes it leads; asked for a read, it waits.
    cluster.request(0, 2, 1, get("a"));
    for _ in 0..5 {
        cluster.heartbeat(0);
        cluster.deliver_all();
    }
    assert_eq!(cluster.node(0).role(), Role::Leader);
    assert!(cluster.replies_to(2).is_empty(), "no stale read");
    assert_eq!(cluster.node(0).pending_reads(), 1);
    // Healed, it learns of term 2, steps down and redirects the reader.
    cluster.isolated.clear();
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert_eq!(
        cluster.replies_to(2)[0].response,
        ClientResponse::Redirect { leader_hint: None }
    );
}

#[test]
fn a_rejection_of_an_older_terms_append_confirms_no_read() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for _ in 0..5 {
        cluster.heartbeat(0);
        cluster.deliver_all();
    }
    // A term-1 round that is still on the wire when n0 wins term 2.
    cluster.heartbeat(0);
    let stale: Vec<Message> = cluster.inflight.drain(..).collect();
    cluster.call(0, Node::become_candidate);
    cluster.deliver_all();
    assert_eq!(
        (cluster.node(0).role(), cluster.node(0).current_term()),
        (Role::Leader, 2)
    );
    // The followers, now in term 2, reject the late term-1 appends; their
    // answers carry term 2, n0's own term by now.
    cluster.inflight.extend(stale);
    cluster.deliver_all();
    assert_eq!(cluster.node(0).role(), Role::Leader);
    // Cut off, n0 has confirmed no round of term 2: a read must wait.
    cluster.isolated.insert(0);
    cluster.request(0, 2, 1, get("a"));
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert!(
        cluster.replies_to(2).is_empty(),
        "an old term's round vouched for this term's read"
    );
}

#[test]
fn in_log_read_mode_reads_go_through_the_log() {
    let mut config = Config::default();
    config.cluster.read_mode = ReadMode::Log;
    let mut cluster = Cluster::with_config(config);
    cluster.elect(0);
    cluster.request(0, 2, 1, get("a"));
    assert_eq!(cluster.node(0).log().last_index(), 2);
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert_eq!(cluster.replies_to(2)[0].response, done(KvResult::NotFound));
}

#[test]
fn a_single_node_cluster_serves_everything_alone() {
    let mut cluster = Cluster::new(1);
    cluster.election_timeout(0);
    assert_eq!(cluster.node(0).role(), Role::Leader);
    cluster.request(0, 1, 1, put("a", "1"));
    cluster.request(0, 1, 2, get("a"));
    assert_eq!(
        cluster
            .replies_to(1)
            .iter()
            .map(|r| r.response.clone())
            .collect::<Vec<_>>(),
        [
            done(KvResult::Done),
            done(KvResult::Value { value: "1".into() })
        ]
    );
}

// ---- Restart ---------------------------------------------------------------

#[test]
fn a_restarted_node_keeps_term_vote_and_log_and_forgets_the_rest() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.request(0, 1, 1, put("a", "1"));
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.heartbeat(0);
    cluster.deliver_all();
    let before = cluster.node(1).durable_state();
    assert_eq!(cluster.node(1).kv().value("a"), Some("1"));
    cluster.crash(1);
    cluster.restart(1);
    let node = cluster.node(1);
    assert_eq!(node.durable_state(), before);
    assert_eq!(
        (node.role(), node.commit_index(), node.last_applied()),
        (Role::Follower, 0, 0)
    );
    assert_eq!(
        node.kv().value("a"),
        None,
        "the state machine is rebuilt from the log"
    );
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert_eq!(cluster.node(1).kv().value("a"), Some("1"));
}
