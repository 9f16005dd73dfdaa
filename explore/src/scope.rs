//! The scope: how small a world the explorer exhausts.
//!
//! A model checker proves things only about the scope it was given, so the
//! scope is explicit and printed with every result: how many nodes, how
//! high terms go, how many client requests, how long logs grow, what the
//! network may do, how many crashes, how many heartbeats a leader sends per
//! term. States past a bound are outside the scope (not explored further),
//! never silently wrong.

use crate::budget::TimeoutBudget;
use replica::{ClientRequest, ClusterConfig, KvOp, ReadMode};
use std::fmt;
use std::str::FromStr;

/// What the network may do with a message in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NetworkKind {
    /// Any message in flight may arrive next (reordering), exactly once.
    #[default]
    Unordered,
    /// As unordered, and any message in flight may also be lost.
    Lossy,
    /// Messages stay in flight once sent: any may arrive next, any number
    /// of times, or never (so loss is included).
    Duplicating,
}

impl NetworkKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Unordered => "unordered",
            NetworkKind::Lossy => "lossy",
            NetworkKind::Duplicating => "duplicating",
        }
    }
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NetworkKind {
    type Err = String;

    fn from_str(name: &str) -> Result<NetworkKind, String> {
        match name {
            "unordered" => Ok(NetworkKind::Unordered),
            "lossy" => Ok(NetworkKind::Lossy),
            "duplicating" => Ok(NetworkKind::Duplicating),
            other => Err(format!(
                "unknown network '{other}'; expected unordered, lossy or duplicating"
            )),
        }
    }
}

/// The bounds of one exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Nodes in the cluster.
    pub nodes: u32,
    /// No node goes past this term.
    pub max_term: u64,
    /// Client requests: request `k` is client `k + 1`'s only one, a `get`
    /// for even `k` (a ReadIndex read, which writes no log entry), a `put`
    /// for odd `k`; any may reach any leader at any moment until it is
    /// answered.
    pub requests: u32,
    /// No log grows past this many entries.
    pub max_log: u64,
    /// What the network may do.
    pub network: NetworkKind,
    /// Crashes in all (each crashed node may restart from its disk); at
    /// most a minority is down at once.
    pub crashes: u32,
    /// Firings of periodic timers (heartbeats) in all, by any node. Each
    /// heartbeat starts a new numbered round whose messages can be
    /// delivered in any order with everything else: heartbeats are what
    /// the state space grows fastest with.
    pub heartbeats: u32,
    /// Election timeouts each node may take (see [`TimeoutBudget`]), or
    /// `None` for no budget (terms still bound them).
    pub timeouts: Option<TimeoutBudget>,
    /// Most entries in one AppendEntries.
    pub max_batch: usize,
    /// How reads are made linearizable: ReadIndex (a heartbeat round
    /// confirms leadership) or through the log (a read is an entry).
    pub read_mode: ReadMode,
    /// Explore one state of each class of states equal up to renaming nodes.
    pub symmetry: bool,
}

impl Default for Scope {
    /// The largest three-node scope that is exhausted in seconds: two
    /// terms (so leaders are replaced), logs of one entry, no heartbeat
    /// and no client (each multiplies the state space several times: see
    /// the README's figures for larger scopes).
    fn default() -> Scope {
        Scope {
            nodes: 3,
            max_term: 2,
            requests: 0,
            max_log: 1,
            network: NetworkKind::Unordered,
            crashes: 0,
            heartbeats: 0,
            timeouts: None,
            max_batch: 64,
            read_mode: ReadMode::ReadIndex,
            symmetry: true,
        }
    }
}

impl Scope {
    /// Checks the bounds are ones the model can represent.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=8).contains(&self.nodes) {
            return Err(format!("--nodes must be 1..=8, found {}", self.nodes));
        }
        if !(1..=16).contains(&self.max_term) {
            return Err(format!(
                "--max-term must be 1..=16, found {}",
                self.max_term
            ));
        }
        if self.requests > 16 {
            return Err(format!(
                "--requests must be at most 16, found {}",
                self.requests
            ));
        }
        if !(1..=32).contains(&self.max_log) {
            return Err(format!("--max-log must be 1..=32, found {}", self.max_log));
        }
        if self.crashes > 255 || self.heartbeats > 255 {
            return Err("--crashes and --heartbeats must be at most 255".to_string());
        }
        if let Some(budget) = self.timeouts.filter(|b| b.nodes() != self.nodes) {
            return Err(format!(
                "--timeouts {budget} names {} nodes, the cluster has {}",
                budget.nodes(),
                self.nodes
            ));
        }
        if self.max_batch == 0 {
            return Err("--max-batch must be at least 1".to_string());
        }
        Ok(())
    }

    /// Nodes that may be down at once: a minority, so a majority can
    /// always still make progress.
    pub fn max_down(&self) -> u32 {
        (self.nodes - 1) / 2
    }

    /// The cluster the replicas are told they are (timing is irrelevant:
    /// every armed timer may fire at any moment).
    pub fn cluster(&self) -> ClusterConfig {
        ClusterConfig {
            cluster_size: self.nodes,
            max_entries_per_append: self.max_batch,
            read_mode: self.read_mode,
            ..ClusterConfig::default()
        }
    }

    /// The client requests of the scope, by number.
    pub fn client_requests(&self) -> Vec<ClientRequest> {
        (0..self.requests)
            .map(|k| {
                let key = "x".to_string();
                let op = if k % 2 == 0 {
                    KvOp::Get { key }
                } else {
                    KvOp::Put {
                        key,
                        value: format!("v{k}"),
                    }
                };
                ClientRequest {
                    client: u64::from(k) + 1,
                    seq: 1,
                    op,
                }
            })
            .collect()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timeouts = match self.timeouts {
            Some(budget) => format!("timeouts {budget} per node"),
            None => "any timeouts".to_string(),
        };
        write!(
            f,
            "{} nodes, terms <= {}, {} requests, logs <= {}, {} network, {} crashes, \
             {} heartbeats, {timeouts}, batch {}, {} reads, symmetry {}",
            self.nodes,
            self.max_term,
            self.requests,
            self.max_log,
            self.network,
            self.crashes,
            self.heartbeats,
            self.max_batch,
            self.read_mode,
            if self.symmetry { "on" } else { "off" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_back_and_bad_scopes_say_why() {
        for kind in [
            NetworkKind::Unordered,
            NetworkKind::Lossy,
            NetworkKind::Duplicating,
        ] {
            assert_eq!(kind.name().parse::<NetworkKind>(), Ok(kind));
        }
        assert!("fifo"
            .parse::<NetworkKind>()
            .unwrap_err()
            .contains("unordered"));
        let cases: [(Scope, Option<&str>); 4] = [
            (Scope::default(), None),
            (
                Scope {
                    nodes: 0,
                    ..Scope::default()
                },
                Some("--nodes"),
            ),
            (
                Scope {
                    max_term: 0,
                    ..Scope::default()
                },
                Some("--max-term"),
            ),
            (
                Scope {
                    max_batch: 0,
                    ..Scope::default()
                },
                Some("--max-batch"),
            ),
        ];
        for (scope, problem) in cases {
            match problem {
                None => assert_eq!(scope.validate(), Ok(())),
                Some(flag) => assert!(scope.validate().unwrap_err().contains(flag)),
            }
        }
    }

    #[test]
    fn requests_alternate_gets_and_puts_of_one_key() {
        let requests = Scope {
            requests: 3,
            ..Scope::default()
        }
        .client_requests();
        let reads: Vec<bool> = requests.iter().map(|r| r.op.is_read()).collect();
        assert_eq!(reads, [true, false, true]);
        assert_eq!(requests[2].client, 3);
        assert_eq!(
            Scope {
                nodes: 5,
                ..Scope::default()
            }
            .max_down(),
            2
        );
    }
}
