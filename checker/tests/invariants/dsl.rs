//! A tiny language for writing cluster traces in tests, one event a line.
//!
//! ```text
//! n0 candidate 1        # RoleChanged { Candidate, 1 }   (also: follower T, leader T)
//! n1 vote 1 n0          # VoteGranted { term 1, candidate n0 }
//! n0 append 1 1 noop    # LogAppended { index 1, term 1, noop }   (commands: c<client>.<seq>)
//! n1 truncate 2 3       # LogTruncated { from 2, removed 3 }
//! n0 commit 1           # CommitAdvanced { 1 }
//! n0 apply 1 1 noop     # Applied { index 1, term 1, noop }
//! n0 crash              # also: pause, resume
//! n0 restart 1 n0 1     # Restarted { term 1, voted_for n0 (or -), last_log_index 1 }
//! nemesis heal          # cluster-wide Nemesis { "heal" }
//! @1500 n0 leader 2     # at 1500 ms (events are 1 ms apart otherwise)
//! ```
//!
//! Lines may also be separated by `;`. A malformed line panics with its
//! number: this is a test helper.

use histories::{EntryId, NodeId, Role, Trace, TraceEvent, TraceKind};

const NS_PER_MS: u64 = 1_000_000;

/// The trace a script describes.
pub fn trace(script: &str) -> Trace {
    let mut trace = Trace::default();
    let mut now_ns = 0;
    for (number, line) in script.split(['\n', ';']).enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if let Some(at) = words[0].strip_prefix('@') {
            now_ns = at.parse::<u64>().unwrap_or_else(|_| bad(number, line)) * NS_PER_MS;
            words.remove(0);
        } else {
            now_ns += NS_PER_MS;
        }
        trace.events.push(event(now_ns, &words, number, line));
    }
    trace
}

/// A command entry: `cmd(1, 2)` is `c1.2`.
pub fn cmd(client: u64, seq: u64) -> EntryId {
    EntryId::Command { client, seq }
}

fn event(time_ns: u64, words: &[&str], number: usize, line: &str) -> TraceEvent {
    if words.first() == Some(&"nemesis") {
        return TraceEvent {
            time_ns,
            node: None,
            event: TraceKind::Nemesis {
                fault: words[1..].join(" "),
            },
        };
    }
    let node = words.first().and_then(|w| parse_node(w));
    let Some(node) = node else { bad(number, line) };
    let num = |at: usize| -> u64 {
        words
            .get(at)
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| bad(number, line))
    };
    let entry = |at: usize| -> EntryId {
        words
            .get(at)
            .and_then(|w| parse_entry(w))
            .unwrap_or_else(|| bad(number, line))
    };
    let role = |role: Role| TraceKind::RoleChanged { role, term: num(2) };
    let kind = match words.get(1).copied().unwrap_or("") {
        "follower" => role(Role::Follower),
        "candidate" => role(Role::Candidate),
        "leader" => role(Role::Leader),
        "vote" => TraceKind::VoteGranted {
            term: num(2),
            candidate: words
                .get(3)
                .and_then(|w| parse_node(w))
                .unwrap_or_else(|| bad(number, line)),
        },
        "append" => TraceKind::LogAppended {
            index: num(2),
            term: num(3),
            entry: entry(4),
        },
        "truncate" => TraceKind::LogTruncated {
            from_index: num(2),
            removed: num(3),
        },
        "commit" => TraceKind::CommitAdvanced {
            commit_index: num(2),
        },
        "apply" => TraceKind::Applied {
            index: num(2),
            term: num(3),
            entry: entry(4),
        },
        "crash" => TraceKind::Crashed,
        "restart" => TraceKind::Restarted {
            term: num(2),
            voted_for: match words.get(3) {
                Some(&"-") => None,
                Some(word) => Some(parse_node(word).unwrap_or_else(|| bad(number, line))),
                None => bad(number, line),
            },
            last_log_index: num(4),
        },
        "pause" => TraceKind::Paused,
        "resume" => TraceKind::Resumed,
        _ => bad(number, line),
    };
    TraceEvent {
        time_ns,
        node: Some(node),
        event: kind,
    }
}

fn parse_node(word: &str) -> Option<NodeId> {
    word.strip_prefix('n')?.parse().ok()
}

fn parse_entry(word: &str) -> Option<EntryId> {
    if word == "noop" {
        return Some(EntryId::Noop);
    }
    let (client, seq) = word.strip_prefix('c')?.split_once('.')?;
    Some(cmd(client.parse().ok()?, seq.parse().ok()?))
}

fn bad(number: usize, line: &str) -> ! {
    panic!("trace script line {}: cannot read `{line}`", number + 1)
}
