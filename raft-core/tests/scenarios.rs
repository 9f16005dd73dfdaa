//! Scenarios from the course material and the Raft paper's figures.

mod common;

use common::*;
use raft_core::*;

/// Project 8: one node becomes candidate; all pending messages are
/// delivered; it is leader and the others followers.
#[test]
fn a_candidate_with_every_message_delivered_becomes_leader() {
    let mut cluster = Cluster::new(3);
    cluster.call(0, Node::become_candidate);
    assert_eq!(cluster.node(0).role(), Role::Candidate);
    assert_eq!(cluster.node(0).current_term(), 1);
    cluster.deliver_all();
    assert_eq!(
        cluster.roles(),
        [Role::Leader, Role::Follower, Role::Follower]
    );
    for id in 1..3 {
        assert_eq!(cluster.node(id).current_term(), 1);
        assert_eq!(cluster.node(id).voted_for(), Some(0));
        assert_eq!(cluster.node(id).leader_hint(), Some(0));
    }
}

/// Project 9: an election timeout promotes a follower that heard nothing;
/// after a heartbeat, followers' timeouts do not start elections.
#[test]
fn election_timeouts_with_and_without_a_heartbeat_in_between() {
    let mut cluster = Cluster::new(3);
    cluster.election_timeout(0);
    assert_eq!(cluster.node(0).role(), Role::Candidate);
    cluster.deliver_all();
    assert_eq!(cluster.node(0).role(), Role::Leader);

    // The voters granted a vote since their last timeout: that counts as
    // hearing from a leader, so their first timeout passes quietly and
    // clears the flag.
    cluster.election_timeout(1);
    cluster.election_timeout(2);
    assert_eq!(
        cluster.roles(),
        [Role::Leader, Role::Follower, Role::Follower]
    );

    // With a heartbeat in between, the next timeout passes quietly too.
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.election_timeout(1);
    cluster.election_timeout(2);
    assert_eq!(
        cluster.roles(),
        [Role::Leader, Role::Follower, Role::Follower]
    );

    // Without one, a follower calls an election in a new term and wins
    // (its log is as up-to-date as everyone's).
    cluster.election_timeout(1);
    assert_eq!(cluster.node(1).role(), Role::Candidate);
    assert_eq!(cluster.node(1).current_term(), 2);
    cluster.deliver_all();
    assert_eq!(
        cluster.roles(),
        [Role::Follower, Role::Leader, Role::Follower]
    );
}

/// Figure 6: logs of entries (term, command) per index. The leader holds
/// eight entries, entries 1–7 are on a majority; after the leader (here
/// re-elected for term 4) repairs every follower, every state machine has
/// applied the same commands in the same order: x = 4, y = 7.
#[test]
fn figure_6_logs_converge_and_every_state_machine_applies_the_same_commands() {
    let commands = [
        ("x", "3"),
        ("y", "1"),
        ("y", "9"),
        ("x", "2"),
        ("x", "0"),
        ("y", "7"),
        ("x", "5"),
        ("x", "4"),
    ];
    let terms = [1, 1, 1, 2, 3, 3, 3, 3];
    let log_of = |len: usize| {
        RaftLog::from_entries(
            (0..len)
                .map(|i| Entry {
                    term: terms[i],
                    command: Command::Client(std::sync::Arc::new(ClientCommand {
                        client: 1,
                        seq: i as u64 + 1,
                        op: put(commands[i].0, commands[i].1),
                    })),
                })
                .collect(),
        )
    };
    let disks = [8, 5, 8, 2, 7]
        .into_iter()
        .map(|len| DurableState {
            hard_state: HardState {
                current_term: 3,
                voted_for: None,
            },
            log: log_of(len),
        })
        .collect();
    let config = Config::sized(5);
    let mut cluster = Cluster::from_disks(config, disks);
    cluster.call(0, Node::become_candidate);
    cluster.deliver_all();
    assert_eq!(cluster.node(0).role(), Role::Leader);
    cluster.heartbeat(0);
    cluster.deliver_all();
    for node in 0..5 {
        let state = cluster.node(node);
        assert_eq!(
            cluster.log_terms(node),
            [1, 1, 1, 2, 3, 3, 3, 3, 4],
            "n{node}"
        );
        assert_eq!(state.last_applied(), 9, "n{node}");
        assert_eq!(
            (state.kv().value("x"), state.kv().value("y")),
            (Some("4"), Some("7"))
        );
    }
}

/// Figure 7: a leader of term 8 and followers (a)–(f) with missing,
/// extra and conflicting entries. The leader brings every log to match its
/// own, keeping the matching prefixes.
#[test]
fn figure_7_the_leader_repairs_every_follower_log() {
    let leader_log = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let followers: [&[Term]; 6] = [
        &[1, 1, 1, 4, 4, 5, 5, 6, 6],          // (a) missing one entry
        &[1, 1, 1, 4],                         // (b) missing many
        &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],    // (c) one extra uncommitted entry
        &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra entries of a later term
        &[1, 1, 1, 4, 4, 4, 4],                // (e) missing and conflicting
        &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],    // (f) a leader of terms 2–3 that never committed
    ];
    let mut disks = vec![disk(7, &leader_log)];
    disks.extend(followers.iter().map(|log| disk(7, log)));
    let config = Config::sized(7);
    let mut cluster = Cluster::from_disks(config, disks);

    // It wins term 8 with the votes of (a), (b), (e), (f): (c) and (d) have
    // more up-to-date logs and refuse.
    cluster.call(0, Node::become_candidate);
    cluster.deliver_all();
    assert_eq!(cluster.node(0).role(), Role::Leader);
    assert_eq!(cluster.node(0).current_term(), 8);
    for (refuser, voter) in [(3, false), (4, false), (1, true), (6, true)] {
        assert_eq!(cluster.node(refuser).voted_for() == Some(0), voter);
    }
    cluster.heartbeat(0);
    cluster.deliver_all();

    let mut expected = leader_log.to_vec();
    expected.push(8); // the leader's no-op
    for follower in 1..7 {
        assert_eq!(cluster.log_terms(follower), expected, "follower {follower}");
        assert_eq!(cluster.node(follower).log(), cluster.node(0).log());
    }
    assert_eq!(cluster.node(0).commit_index(), 11);
}

/// Figure 7 again, watching the disks: each follower's log was truncated at
/// most once, exactly at its first conflict.
#[test]
fn figure_7_truncates_only_at_the_first_conflict() {
    let cases: [(&[Term], Option<LogIndex>); 4] = [
        (&[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], Some(11)),
        (&[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], Some(11)),
        (&[1, 1, 1, 4, 4, 4, 4], Some(6)),
        (&[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], Some(4)),
    ];
    for (follower_log, first_conflict) in cases {
        let leader_log = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
        let config = Config::sized(3);
        // The third node has the leader's log so the leader can win.
        let disks = vec![
            disk(7, &leader_log),
            disk(7, follower_log),
            disk(7, &leader_log),
        ];
        let mut cluster = Cluster::from_disks(config, disks);
        let mut truncations = Vec::new();
        cluster.call(0, Node::become_candidate);
        while let Some(message) = cluster.inflight.pop_front() {
            let to = message.to;
            let ready = cluster.nodes[to as usize].step(Input::Message(message));
            if to == 1 {
                truncations.extend(ready.log_writes.iter().filter_map(|write| match write {
                    LogWrite::Truncate { from_index } => Some(*from_index),
                    LogWrite::Append { .. } => None,
                }));
            }
            cluster.absorb(to, ready);
        }
        assert_eq!(cluster.node(0).role(), Role::Leader);
        assert_eq!(truncations, first_conflict.into_iter().collect::<Vec<_>>());
        assert_eq!(cluster.node(1).log(), cluster.node(0).log());
    }
}

/// Figure 8: an entry from an older term is not committed by counting
/// replicas — a later leader could still overwrite it — and is committed
/// once an entry of the new term is.
#[test]
fn figure_8_old_term_entries_commit_only_through_a_current_term_entry() {
    let mut config = Config::sized(5);
    config.cluster.max_entries_per_append = 1; // one entry per message, to stop in between
                                               // (a)–(c) of the figure, already happened: S1 (node 0) led term 2 and
                                               // put its entry at index 2 on S2; S5 (node 4) led term 3 and wrote its
                                               // own index 2 locally. Now S1 comes back for term 4.
    let mut cluster = Cluster::from_disks(config, figure_8_disks());
    cluster.crash(4);
    cluster.call(0, Node::become_candidate);
    assert_eq!(cluster.node(0).current_term(), 4);
    // Votes arrive; the no-op AppendEntries fail their check on S3 and S4
    // and are retried one entry at a time. Deliver those failures and index
    // 2 (term 2), but no entry of term 4.
    cluster.deliver_where(|cluster, m| match &m.body {
        MessageBody::AppendEntries {
            prev_log_index,
            entries,
            ..
        } => {
            let will_fail = cluster.node(m.to).log().last_index() < *prev_log_index;
            will_fail || entries.iter().all(|e| e.term == 2)
        }
        _ => true,
    });
    assert_eq!(cluster.node(0).role(), Role::Leader);
    let replicas = (0..5)
        .filter(|&n| cluster.log_terms(n).get(1) == Some(&2))
        .count();
    assert!(replicas >= 3, "index 2 (term 2) is on a majority");
    assert_eq!(
        cluster.node(0).commit_index(),
        0,
        "…but a term-2 entry is not committed by counting replicas in term 4"
    );

    // (d) shows why: if S1 crashed now, S5 could win term 5 (its last term 3
    // beats their 2) and overwrite index 2 everywhere.
    let mut what_if = Cluster::from_disks(config, cluster.disks.clone());
    what_if.crash(0);
    what_if.call(4, Node::become_candidate); // term 4: everyone already voted
    what_if.deliver_all();
    assert_eq!(what_if.node(4).role(), Role::Candidate);
    what_if.call(4, Node::become_candidate); // term 5
    what_if.deliver_all();
    assert_eq!(what_if.node(4).role(), Role::Leader);
    what_if.heartbeat(4);
    what_if.deliver_all();
    what_if.heartbeat(4);
    what_if.deliver_all();
    for node in 1..5 {
        assert_eq!(
            what_if.log_terms(node)[1],
            3,
            "index 2 overwritten on n{node}"
        );
    }

    // (e): instead S1 replicates an entry of its own term to a majority;
    // that commits index 3 and, with it, index 2.
    cluster.heartbeat(0);
    cluster.deliver_all();
    cluster.heartbeat(0);
    cluster.deliver_all();
    assert!(cluster.node(0).commit_index() >= 3);
    assert_eq!(cluster.log_terms(0)[..3], [1, 2, 4]);
}
