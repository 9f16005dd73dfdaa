//! Property tests: random schedules of timeouts, heartbeats, client
//! requests, deliveries in any order, drops, duplicates, crashes and
//! restarts, with Raft's safety properties checked after every step.
//! The correct Raft never breaks one; planted bugs do, which shows the
//! properties have teeth.

mod common;

use common::*;
use raft_core::*;
use rand::Rng;
use rand::SeedableRng;
use rand_pcg::Pcg64;
use std::collections::BTreeMap;

/// What a random schedule has seen so far, to check properties against.
#[derive(Default)]
struct Observed {
    leaders: BTreeMap<Term, NodeId>,
    /// (index) -> (term of entry, term in which it was committed)
    committed: BTreeMap<LogIndex, (Term, Term)>,
    applied: BTreeMap<LogIndex, Entry>,
}

/// Checks the safety properties; returns the first broken one.
fn check(
    cluster: &Cluster,
    observed: &mut Observed,
    events_seen: &mut usize,
) -> Result<(), String> {
    let live: Vec<&Node> = (0..cluster.config.cluster.cluster_size)
        .filter(|id| !cluster.crashed.contains(id))
        .map(|id| cluster.node(id))
        .collect();
    for node in &live {
        if node.role() == Role::Leader {
            let leader = *observed
                .leaders
                .entry(node.current_term())
                .or_insert(node.id());
            if leader != node.id() {
                return Err(format!(
                    "election safety: n{leader} and n{} lead term {}",
                    node.id(),
                    node.current_term()
                ));
            }
        }
    }
    // Log matching, pairwise.
    for a in &live {
        for b in &live {
            let (la, lb) = (a.log().entries(), b.log().entries());
            for i in (0..la.len().min(lb.len())).rev() {
                if la[i].term == lb[i].term {
                    if la[..=i] != lb[..=i] {
                        return Err(format!(
                            "log matching: n{} and n{} at index {}",
                            a.id(),
                            b.id(),
                            i + 1
                        ));
                    }
                    break;
                }
            }
        }
    }
    // Commitment and application, from the events since the last check.
    for (id, event) in &cluster.events[*events_seen..] {
        let node = cluster.node(*id);
        match event {
            NodeEvent::CommitAdvanced { commit_index } => {
                for index in 1..=*commit_index {
                    let Some(term) = node.log().term_at(index) else {
                        break;
                    };
                    let first = *observed
                        .committed
                        .entry(index)
                        .or_insert((term, node.current_term()));
                    if first.0 != term {
                        return Err(format!(
                            "commit agreement: two entries committed at {index}"
                        ));
                    }
                }
            }
            NodeEvent::Applied {
                index,
                term,
                command,
            } => {
                let entry = Entry {
                    term: *term,
                    command: command.clone(),
                };
                let first = observed
                    .applied
                    .entry(*index)
                    .or_insert_with(|| entry.clone());
                if *first != entry {
                    return Err(format!(
                        "state machine safety: two entries applied at {index}"
                    ));
                }
            }
            _ => {}
        }
    }
    *events_seen = cluster.events.len();
    // Leader completeness: a leader holds everything committed before its term.
    for node in live.iter().filter(|n| n.role() == Role::Leader) {
        for (&index, &(term, in_term)) in &observed.committed {
            if in_term < node.current_term() && node.log().term_at(index) != Some(term) {
                return Err(format!(
                    "leader completeness: n{} leads term {} without index {index} (term {term})",
                    node.id(),
                    node.current_term()
                ));
            }
        }
    }
    Ok(())
}

/// Runs one random schedule of `steps` steps; returns the first broken
/// property, if any, or how many terms had a leader and how many entries
/// were committed (so a test can see the schedules did something).
fn random_schedule(
    seed: u64,
    size: u32,
    bugs: BugSet,
    steps: usize,
) -> Result<(usize, usize), String> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut cluster = Cluster::with_config(Config::sized(size).with_bugs(bugs));
    let mut observed = Observed::default();
    let mut events_seen = 0;
    let mut seq = 0;
    for _ in 0..steps {
        let node = rng.gen_range(0..size);
        let alive = !cluster.crashed.contains(&node);
        match rng.gen_range(0..100) {
            0..=5 if alive => cluster.election_timeout(node),
            6..=15 if alive => cluster.heartbeat(node),
            16..=25 if alive => {
                seq += 1;
                let op = if rng.gen_bool(0.3) {
                    get("k")
                } else {
                    append("k", &seq.to_string())
                };
                cluster.request(node, 1, seq, op);
            }
            26..=29 if !cluster.inflight.is_empty() => {
                let victim = rng.gen_range(0..cluster.inflight.len());
                cluster.inflight.remove(victim);
            }
            30..=32 if !cluster.inflight.is_empty() => {
                let copy = cluster.inflight[rng.gen_range(0..cluster.inflight.len())].clone();
                cluster.inflight.push_back(copy);
            }
            33 if alive && cluster.crashed.len() + 1 < size as usize => cluster.crash(node),
            34..=35 if !alive => cluster.restart(node),
            _ if !cluster.inflight.is_empty() => {
                // Deliver a random message: any order is possible.
                let pick = rng.gen_range(0..cluster.inflight.len());
                let message = cluster.inflight.remove(pick).expect("in range");
                if !cluster.crashed.contains(&message.to) {
                    cluster.step(message.to, Input::Message(message));
                }
            }
            _ => {}
        }
        check(&cluster, &mut observed, &mut events_seen)?;
    }
    Ok((observed.leaders.len(), observed.committed.len()))
}

#[test]
fn the_correct_raft_keeps_every_safety_property_under_random_schedules() {
    let (mut leaders, mut committed) = (0, 0);
    for seed in 0..300 {
        let size = [3, 5][seed as usize % 2];
        match random_schedule(seed, size, BugSet::NONE, 1_000) {
            Ok((terms_led, entries)) => {
                leaders += terms_led;
                committed += entries;
            }
            Err(broken) => panic!("seed {seed}: {broken}"),
        }
    }
    // The schedules exercise the protocol: many terms, many commits.
    assert!(leaders > 1_000, "only {leaders} terms had a leader");
    assert!(committed > 3_000, "only {committed} entries committed");
}

#[test]
fn planted_bugs_break_the_properties_they_name() {
    let cases = [
        (Bug::VoteTwice, "election safety"),
        (Bug::VoteWithoutLogCheck, "leader completeness"),
        (Bug::TruncateWithoutConflict, ""),
        (Bug::ApplyBeforeCommit, "state machine safety"),
    ];
    for (bug, property) in cases {
        let broken =
            (0..400).find_map(|seed| random_schedule(seed, 3, BugSet::only(bug), 600).err());
        let broken = broken.unwrap_or_else(|| panic!("{bug} broke nothing in 400 schedules"));
        assert!(broken.contains(property), "{bug}: {broken}");
    }
}
