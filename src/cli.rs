//! The command line: flags, their defaults, and how they become
//! configurations. Each subcommand's work lives in [`crate::commands`].

use crate::config_swarm::ConfigSwarm;
use crate::report::Shard;
use crate::system::{SystemConfig, SystemName};
use crate::trial::{CheckerConfig, TrialConfig};
use crate::workload::WorkloadConfig;
use checker::linearizability::ModelKind;
use clap::{Args, Parser, Subcommand};
use explore::{NetworkKind, RunConfig, Scope, Strategy, TimeoutBudget};
use histories::format::Format;
use histories::Value;
use nemesis::{ClientConfig, FaultKinds, NemesisConfig, WorldConfig};
use raft_core::{Bug, BugSet};
use replica::{ClusterConfig, ReadMode};
use std::path::PathBuf;
use std::time::Duration;

/// A Jepsen-style fault-injection tester and linearizability checker for
/// Raft.
#[derive(Debug, Parser)]
#[command(name = "raftstorm", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run randomized trials in parallel and check each one.
    Campaign(CampaignArgs),
    /// Re-run one trial exactly, from its trial.json or from a seed.
    Replay(ReplayArgs),
    /// Check histories produced by anyone (Jepsen, Porcupine, raftstorm).
    Check(CheckArgs),
    /// Combine the report.json files of the shards of one campaign.
    Merge(MergeArgs),
    /// Print the figures that matter: trials/s, events/s, checker time.
    Bench(BenchArgs),
    /// Model-check a small cluster exhaustively: every interleaving in a scope.
    Explore(ExploreArgs),
    /// Turn a failing trial into the smallest trial that still fails the
    /// same check.
    Shrink(ShrinkArgs),
    /// Plant each bug of a system in turn and measure how fast campaigns
    /// catch it, with the correct build as a control.
    Mutants(MutantsArgs),
}

/// `raftstorm mutants`.
#[derive(Debug, Clone, Args)]
pub struct MutantsArgs {
    /// The first campaign seed; each mutant runs seeds SEED..SEED+N.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Campaign seeds per mutant (and for the control).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub seeds: u64,
    /// Most trials per seed before a bug counts as not caught there (the
    /// control runs all of them).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub budget_trials: u64,
    /// Most wall seconds per seed (a campaign cut by it is marked; wall
    /// time decides nothing else).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub budget_seconds: Option<u64>,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Where the campaigns' artifacts go (`OUT/<bug>/seed-<s>/`).
    #[arg(long, default_value = "raftstorm-mutants")]
    pub out: PathBuf,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Do not shrink each bug's first detection.
    #[arg(long)]
    pub no_shrink: bool,
    /// No progress lines.
    #[arg(long)]
    pub quiet: bool,
    /// The trials' configuration; --bug NAME (repeatable) limits the run
    /// to those bugs.
    #[command(flatten)]
    pub trial: TrialArgs,
}

/// `raftstorm shrink`.
#[derive(Debug, Clone, Args)]
pub struct ShrinkArgs {
    /// The failing trial's trial.json (from a failure artifact).
    pub trial_json: PathBuf,
    /// Where the shrunk trial's artifact goes (default: a `shrunk` folder
    /// beside the trial.json). The original is never touched.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The check the shrunk trial must still fail (default: the first the
    /// trial fails).
    #[arg(long)]
    pub check: Option<String>,
    /// Stop after this long with the smallest trial found so far (the
    /// result then depends on the machine's speed).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub time_limit: Duration,
    /// Stop after running this many variants (deterministic).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_candidates: u64,
    /// Variants run at once (default: every core; the result does not
    /// depend on it).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
}

/// What every trial of a campaign (or a replay by seed) looks like.
#[derive(Debug, Clone, Args)]
pub struct TrialArgs {
    /// The Raft under test: raft-core (raftstorm's own) or raft-rs
    /// (tikv/raft-rs 0.7, through raft-rs-adapter).
    #[arg(long, default_value = "raft-core", value_parser = parse_system)]
    pub system: SystemName,
    /// Nodes in the cluster, 1 to 9 (even sizes and 1 work too: every
    /// partition shape and fault is defined for any size). Default: swarm
    /// mode draws 3, 4, 5 or 7 per trial; 5 with --no-swarm.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub nodes: Option<u32>,
    /// Concurrent clients, 1 to 1024. Default: swarm mode draws 1 to 8 per
    /// trial; 5 with --no-swarm.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub clients: Option<u32>,
    /// Most client operations per trial (0: as many as fit in the trial).
    #[arg(long, default_value_t = 500)]
    pub ops: u64,
    /// Number of keys the clients use, 1 to 100000. Default: swarm mode
    /// draws 1, 2, 4 or 8 per trial; 4 with --no-swarm.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub keys: Option<u32>,
    /// Fault kinds: a comma-separated list of partition, crash, pause,
    /// skew, drop, duplicate, delay, and the targeted strand-leader,
    /// isolate-new-leader, crash-voter, pause-leader, delay-votes,
    /// cut-catch-up; or all, or none.
    #[arg(long, default_value = "all", value_parser = parse_fault_kinds)]
    pub nemesis: FaultKinds,
    /// Use every enabled fault kind in every trial, instead of a random
    /// subset per trial (swarm testing), and the default of every setting
    /// not given, instead of drawing cluster size, clients, keys, read
    /// mode, batch size and election timing per trial.
    #[arg(long)]
    pub no_swarm: bool,
    /// Keep the election timeout (150-300 ms) and heartbeat (50 ms) of
    /// the Raft paper in every trial, even in swarm mode.
    #[arg(long)]
    pub paper_timing: bool,
    /// raft-rs only: pre-vote on or off (default: swarm mode draws it per
    /// trial; off with --no-swarm).
    #[arg(long, value_name = "on|off", value_parser = parse_switch)]
    pub pre_vote: Option<bool>,
    /// raft-rs only: check-quorum on or off (default: swarm mode draws it
    /// per trial; off with --no-swarm; always on for lease reads).
    #[arg(long, value_name = "on|off", value_parser = parse_switch)]
    pub check_quorum: Option<bool>,
    /// Switch on a planted bug of the system (repeatable), e.g. --bug
    /// vote-twice.
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
    /// How reads are made linearizable: read-index, log, or lease (where
    /// the system has lease reads). Default: swarm mode draws read-index
    /// or log per trial; read-index with --no-swarm.
    #[arg(long, value_parser = parse_read_mode)]
    pub read_mode: Option<ReadMode>,
    /// Most log entries in one AppendEntries (smaller batches make a
    /// lagging follower catch up over more rounds, which exposes the
    /// commit bugs that a whole-suffix batch hides). Default: swarm mode
    /// draws 1, 2, 4 or 64 per trial; 64 with --no-swarm.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_batch: Option<usize>,
    /// Most memo entries the linearizability search of one trial may keep
    /// before its verdict becomes unknown (about 90 bytes each).
    #[arg(long, default_value_t = crate::trial::CheckerConfig::default().max_states,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: u64,
    /// Decide linearizability with the search alone, without inferring
    /// the order of unique writes from what reads saw.
    #[arg(long)]
    pub search_only: bool,
    /// Do not judge availability (quiet-period latency and throughput,
    /// leaders and commits in clean majorities during faults).
    #[arg(long)]
    pub no_availability: bool,
    /// Simulated duration of a trial, in milliseconds (2000 to 3600000).
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(2_000..=nemesis::MAX_TRIAL_MS))]
    pub duration_ms: u64,
}

impl TrialArgs {
    /// The trial configuration these flags describe.
    pub fn config(&self) -> Result<TrialConfig, String> {
        let defaults = TrialConfig::default();
        let mut world = WorldConfig {
            cluster: ClusterConfig {
                cluster_size: self.nodes.unwrap_or(defaults.world.cluster.cluster_size),
                read_mode: self.read_mode.unwrap_or_default(),
                max_entries_per_append: self
                    .max_batch
                    .unwrap_or(defaults.world.cluster.max_entries_per_append),
                ..ClusterConfig::default()
            },
            clients: ClientConfig {
                count: self.clients.unwrap_or(defaults.world.clients.count),
                ..ClientConfig::default()
            },
            ..WorldConfig::default()
        };
        world.timeline = scaled_timeline(self.duration_ms);
        let config = TrialConfig {
            system: self.system_config()?,
            world,
            nemesis: NemesisConfig {
                kinds: self.nemesis,
                swarm: !self.no_swarm,
                ..NemesisConfig::default()
            },
            workload: WorkloadConfig {
                key_count: self.keys.unwrap_or(defaults.workload.key_count),
                ops_limit: self.ops,
                ..WorkloadConfig::default()
            },
            checker: CheckerConfig {
                max_states: self.max_states,
                infer_orders: !self.search_only,
                availability: !self.no_availability,
                ..CheckerConfig::default()
            },
            vary: self.vary(),
        };
        crate::artifact::validate_config(&config).map_err(|err| err.to_string())?;
        Ok(config)
    }
}

impl TrialArgs {
    /// The settings swarm mode draws per trial: those the flags left free.
    fn vary(&self) -> ConfigSwarm {
        if self.no_swarm {
            return ConfigSwarm::default();
        }
        ConfigSwarm {
            cluster_size: self.nodes.is_none(),
            timing: !self.paper_timing,
            batch: self.max_batch.is_none(),
            read_mode: self.read_mode.is_none(),
            clients: self.clients.is_none(),
            keys: self.keys.is_none(),
            fault_pace: true,
        }
    }

    /// The system these flags name, with its planted bugs.
    fn system_config(&self) -> Result<SystemConfig, String> {
        match self.system {
            SystemName::RaftCore => {
                let bugs = self
                    .bugs
                    .iter()
                    .map(|name| parse_bug(name))
                    .collect::<Result<BugSet, String>>()?;
                if self.pre_vote.is_some() || self.check_quorum.is_some() {
                    return Err(
                        "--pre-vote and --check-quorum are raft-rs options (add --system raft-rs)"
                            .to_string(),
                    );
                }
                Ok(SystemConfig::RaftCore { bugs })
            }
            SystemName::RaftRs => {
                let bugs = self
                    .bugs
                    .iter()
                    .map(|name| {
                        name.parse::<raft_rs_adapter::Bug>()
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Result<raft_rs_adapter::BugSet, String>>()?;
                let lease = self.read_mode == Some(ReadMode::Lease);
                let options = raft_rs_adapter::RaftRsOptions {
                    pre_vote: self.pre_vote.unwrap_or(false),
                    check_quorum: self.check_quorum.unwrap_or(lease),
                    bugs,
                };
                let vary_options =
                    !self.no_swarm && self.pre_vote.is_none() && self.check_quorum.is_none();
                Ok(SystemConfig::RaftRs {
                    options,
                    vary_options,
                })
            }
        }
    }
}

/// The default timeline, stretched or shrunk to `duration_ms`: faults
/// until 3.5 s before the end, clients until 1 s before the end.
pub fn scaled_timeline(duration_ms: u64) -> nemesis::Timeline {
    let default = nemesis::Timeline::default();
    let tail_ms = default.end_ms - default.faults.heal_at_ms;
    nemesis::Timeline {
        faults: nemesis::FaultWindow {
            start_ms: default.faults.start_ms.min(duration_ms / 4),
            heal_at_ms: duration_ms.saturating_sub(tail_ms).max(duration_ms / 4),
        },
        clients_stop_ms: duration_ms - (default.end_ms - default.clients_stop_ms),
        end_ms: duration_ms,
    }
}

/// `raftstorm campaign`.
#[derive(Debug, Clone, Args)]
pub struct CampaignArgs {
    /// The campaign's seed; trial i runs with a seed derived from it.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Trials in the whole campaign, at least 1 (default 1000; with
    /// --time-limit alone, as many as fit).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: Option<u64>,
    /// Stop starting trials after this long (e.g. 90s, 10m, 2h). With
    /// --trials, a campaign stopped before all of them ran says so and
    /// exits 4 (see the README's exit codes).
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Run only the trials whose index is I modulo N.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Where failure artifacts and report.json go.
    #[arg(long, default_value = "raftstorm-out")]
    pub out: PathBuf,
    /// Write a JUnit XML report here too (one test case per check).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// No progress display and no summary (the exit code still tells).
    #[arg(long)]
    pub quiet: bool,
    /// Print the final report as JSON on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Do not shrink failures (by default the first failure of each check
    /// is shrunk to the smallest trial that still fails it, into
    /// `OUT/failures/<seed>/shrunk/`).
    #[arg(long)]
    pub no_shrink: bool,
    /// Continue the interrupted or killed campaign whose --out this is
    /// (its report.json holds the seed, trials and configuration; the
    /// trials it finished are not run again).
    #[arg(long, value_name = "OUT")]
    pub resume: Option<PathBuf>,
    /// Write at most this many failure artifacts (0: no cap); later
    /// failures are counted exactly but not written.
    #[arg(long, default_value_t = crate::campaign::DEFAULT_MAX_FAILURES)]
    pub max_failures: u64,
    /// The trials' configuration.
    #[command(flatten)]
    pub trial: TrialArgs,
}

/// `raftstorm replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A trial.json from a failure artifact.
    #[arg(required_unless_present = "seed", conflicts_with = "seed")]
    pub trial_json: Option<PathBuf>,
    /// Replay the trial of this seed under the configuration the flags
    /// describe, instead of a trial.json.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the replay's trial.json, history, trace, verdict and report
    /// here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The configuration, with --seed.
    #[command(flatten)]
    pub trial: TrialArgs,
}

/// `raftstorm check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The model: kv, register, cas-register or etcd-register.
    #[arg(long, value_parser = parse_model)]
    pub model: ModelKind,
    /// Initial value of every key (an integer, nil, or a string).
    #[arg(long, value_parser = parse_init)]
    pub init: Option<Value>,
    /// The files' format: auto, jsonl, edn, porcupine-etcd, porcupine-kv.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    pub format: FormatChoice,
    /// Give up on a file after this long (its verdict becomes unknown).
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// Print the verdicts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Read values `[k v]` as Jepsen's independent tuples: key k, value v
    /// (jepsen.independent, Maelstrom's lin-kv), and give a verdict per
    /// key. Without it a tuple is one value of one register.
    #[arg(long)]
    pub independent: bool,
    /// Also draw each history as a self-contained HTML timeline: written to
    /// this file for one history; for several, this is a directory and each
    /// page is named after its history (`DIR/<file name>.html`).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The history files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// A format, or detection by name and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Guess per file.
    Auto,
    /// This format.
    Fixed(Format),
}

/// `raftstorm merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' report.json files.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the merged report here (default: print it on stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `raftstorm bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Trials in the throughput measurement (at least 1).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: u64,
    /// Worker threads for the throughput measurement (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Times to repeat each measurement (the median is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// Baseline checker times to compare with: a TSV of `file<TAB>ms`.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Skip the checker benchmark.
    #[arg(long)]
    pub no_checker: bool,
    /// Checks of each conformance file in the checker benchmark (the
    /// median is reported).
    #[arg(long, default_value_t = 11, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub checker_runs: u64,
    /// The conformance corpus directory (holding MANIFEST.tsv); default:
    /// this source tree's testdata/porcupine.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
}

/// `raftstorm explore`: raft-core under the stateright model checker.
#[derive(Debug, Clone, Args)]
pub struct ExploreArgs {
    /// Nodes in the cluster.
    #[arg(long, default_value_t = Scope::default().nodes, value_parser = clap::value_parser!(u32).range(1..=8))]
    pub nodes: u32,
    /// No node goes past this term.
    #[arg(long, default_value_t = Scope::default().max_term)]
    pub max_term: u64,
    /// Client requests (alternately a get and a put of one key).
    #[arg(long, default_value_t = Scope::default().requests)]
    pub requests: u32,
    /// No log grows past this many entries.
    #[arg(long, default_value_t = Scope::default().max_log)]
    pub max_log: u64,
    /// unordered (reorders), lossy (and loses) or duplicating (and repeats).
    #[arg(long, default_value_t = NetworkKind::default(), value_parser = parse_network)]
    pub network: NetworkKind,
    /// Crashes in all (nodes restart from their disks; a minority is down at most).
    #[arg(long, default_value_t = Scope::default().crashes)]
    pub crashes: u32,
    /// Heartbeats in all (each starts a new round: the state space grows fastest with these).
    #[arg(long, default_value_t = Scope::default().heartbeats)]
    pub heartbeats: u32,
    /// Election timeouts each node may take, e.g. 3,2,0 (default: no
    /// budget). A budget targets the search: only those paths are explored.
    #[arg(long, value_parser = parse_timeout_budget)]
    pub timeouts: Option<TimeoutBudget>,
    /// Most entries in one AppendEntries.
    #[arg(long, default_value_t = Scope::default().max_batch)]
    pub max_batch: usize,
    /// How reads are made linearizable: read-index or log.
    #[arg(long, default_value_t = Scope::default().read_mode, value_parser = parse_read_mode)]
    pub read_mode: ReadMode,
    /// Explore every renaming of each state (no symmetry reduction).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Breadth-first (the default: shortest counterexamples).
    #[arg(long, conflicts_with_all = ["dfs", "simulation"])]
    pub bfs: bool,
    /// Depth-first.
    #[arg(long, conflicts_with = "simulation")]
    pub dfs: bool,
    /// stateright's random simulation (never exhaustive).
    #[arg(long)]
    pub simulation: bool,
    /// The simulation's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Checker threads (default: every core; 1 guarantees shortest counterexamples).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m); the scope is then not exhausted.
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// A planted bug to explore (repeatable).
    #[arg(long = "bug", value_parser = parse_bug)]
    pub bugs: Vec<Bug>,
    /// Keep exploring after the first violation (to find the others).
    #[arg(long)]
    pub all_violations: bool,
    /// Write the report, with every counterexample's trace, to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

impl ExploreArgs {
    /// The scope the flags describe.
    pub fn scope(&self) -> Scope {
        Scope {
            nodes: self.nodes,
            max_term: self.max_term,
            requests: self.requests,
            max_log: self.max_log,
            network: self.network,
            crashes: self.crashes,
            heartbeats: self.heartbeats,
            timeouts: self.timeouts,
            max_batch: self.max_batch,
            read_mode: self.read_mode,
            symmetry: !self.no_symmetry,
        }
    }

    /// How to run the checker.
    pub fn run_config(&self) -> RunConfig {
        let strategy = if self.dfs {
            Strategy::Dfs
        } else if self.simulation {
            Strategy::Simulation { seed: self.seed }
        } else {
            Strategy::Bfs
        };
        RunConfig {
            strategy,
            threads: self.threads.map_or_else(default_threads, |t| t as usize),
            time_limit: self.time_limit,
            stop_at_violation: !self.all_violations,
            progress: !self.quiet,
        }
    }
}

fn parse_timeout_budget(text: &str) -> Result<TimeoutBudget, String> {
    text.parse()
}

fn parse_network(text: &str) -> Result<NetworkKind, String> {
    text.parse()
}

/// The number of threads to use when the user named none: every core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn parse_fault_kinds(text: &str) -> Result<FaultKinds, String> {
    text.parse()
}

fn parse_bug(text: &str) -> Result<Bug, String> {
    text.parse()
        .map_err(|err: raft_core::bugs::UnknownBug| err.to_string())
}

fn parse_switch(text: &str) -> Result<bool, String> {
    match text {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("expected on or off, found '{other}'")),
    }
}

fn parse_system(text: &str) -> Result<SystemName, String> {
    text.parse()
}

fn parse_read_mode(text: &str) -> Result<ReadMode, String> {
    text.parse()
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
}

fn parse_model(text: &str) -> Result<ModelKind, String> {
    text.parse()
        .map_err(|err: checker::linearizability::UnknownModel| err.to_string())
}

fn parse_format(text: &str) -> Result<FormatChoice, String> {
    if text == "auto" {
        return Ok(FormatChoice::Auto);
    }
    text.parse()
        .map(FormatChoice::Fixed)
        .map_err(|err: histories::format::UnknownFormat| format!("{err} (or auto)"))
}

/// Parses an initial value: `nil`, an integer, or a string (quotes
/// optional).
pub fn parse_init(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if text == "nil" {
        return Ok(Value::Nil);
    }
    if let Ok(int) = text.parse::<i64>() {
        return Ok(Value::Int(int));
    }
    let unquoted = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text);
    Ok(Value::str(unquoted))
}

/// Parses a duration: a number of seconds, or a number with a unit
/// (`ms`, `s`, `m`, `h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let malformed =
        || format!("malformed duration '{text}': expected e.g. 90, 90s, 500ms, 10m or 2h");
    let number: f64 = number.parse().map_err(|_| malformed())?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1_000.0,
        "m" => number * 60.0,
        "h" => number * 3_600.0,
        _ => return Err(malformed()),
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(malformed());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5_400)));
        for bad in ["", "s", "10 parsecs", "-3", "0"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn init_values_parse_as_nil_integers_or_strings() {
        assert_eq!(parse_init("nil"), Ok(Value::Nil));
        assert_eq!(parse_init("-4"), Ok(Value::Int(-4)));
        assert_eq!(parse_init("\"\""), Ok(Value::str("")));
        assert_eq!(parse_init("abc"), Ok(Value::str("abc")));
    }

    #[test]
    fn timelines_scale_with_the_duration() {
        assert_eq!(scaled_timeline(10_000), nemesis::Timeline::default());
        let short = scaled_timeline(4_000);
        assert!(short.validate().is_ok());
        assert_eq!(short.end_ms, 4_000);
        assert!(short.faults.heal_at_ms <= short.clients_stop_ms);
    }

    #[test]
    fn the_default_flags_describe_a_valid_default_campaign() {
        let cli = Cli::try_parse_from(["raftstorm", "campaign"]).unwrap();
        let Command::Campaign(args) = cli.command else {
            panic!("parsed as another command");
        };
        let config = args.trial.config().unwrap();
        assert_eq!(config.world.cluster.cluster_size, 5);
        assert_eq!(config.nemesis.kinds, FaultKinds::all());
        assert!(config.nemesis.swarm);
    }
}
