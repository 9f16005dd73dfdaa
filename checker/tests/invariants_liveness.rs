//! Liveness after the heal: a leader within the bound and at the end, every
//! operation answered by the deadline, and no `info` once settled.

#[path = "invariants/dsl.rs"]
mod dsl;

use checker::invariants::{
    check_liveness, LeaderSighting, LivenessParams, LivenessProblem, LivenessReport, MAX_OPS_LISTED,
};
use checker::Validity;
use dsl::trace;
use histories::{Function, History, Op, OpType, Process, Value};

const MS: u64 = 1_000_000;

/// Healed at 1 s; a leader due by 1.5 s; answers due by 5 s; operations
/// invoked from 2.5 s on must not end `info`.
const PARAMS: LivenessParams = LivenessParams {
    heal_time_ns: 1_000 * MS,
    election_bound_ns: 500 * MS,
    completion_deadline_ns: 5_000 * MS,
    settle_ns: 1_500 * MS,
};

/// A history from `process type time_ms` lines, e.g. `p1 invoke 100; p1 ok 120`.
fn history(script: &str) -> History {
    let ops = script
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(index, line)| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let process: u64 = words[0].strip_prefix('p').unwrap().parse().unwrap();
            Op {
                index: index as u64,
                time_ns: words[2].parse::<u64>().unwrap() * MS,
                kind: OpType::parse(words[1]).unwrap(),
                process: Process::Client(process),
                f: Function::Put,
                key: Some(Value::Int(1)),
                value: Value::Int(process as i64),
                error: None,
                node: None,
            }
        })
        .collect();
    History::new(ops)
}

fn check(trace_script: &str, history_script: &str) -> LivenessReport {
    check_liveness(&trace(trace_script), &history(history_script), &PARAMS)
}

/// n0 leads term 1 from before the heal to the end.
const STEADY: &str = "@100 n0 candidate 1; @101 n1 follower 1; @102 n0 leader 1
                      @1000 nemesis heal; @4000 n0 append 9 1 c1.1";
const ANSWERED: &str = "p1 invoke 200; p1 ok 220; p2 invoke 2600; p2 fail 2610
                        p3 invoke 2400; p3 info 2900";

fn sighting(node: u32, term: u64, time_ms: u64) -> Option<LeaderSighting> {
    Some(LeaderSighting {
        node,
        term,
        time_ns: time_ms * MS,
    })
}

#[test]
fn a_leader_recognised_at_the_heal_and_answered_clients_pass() {
    let report = check(STEADY, ANSWERED);
    assert_eq!(report.validity, Validity::Valid, "{report}");
    assert!(report.problems.is_empty());
    assert_eq!(report.leader_after_heal, sighting(0, 1, 1_000));
}

#[test]
fn a_leader_elected_within_the_bound_passes() {
    let report = check(
        "@100 n0 leader 1; @500 n1 candidate 2; @1000 nemesis heal
         @1200 n0 follower 2; @1300 n1 leader 2",
        ANSWERED,
    );
    assert_eq!(report.validity, Validity::Valid, "{report}");
    assert_eq!(report.leader_after_heal, sighting(1, 2, 1_300));
}

/// Trace scripts that fail the leader questions, and the problems named.
#[test]
fn leader_failures_are_named() {
    struct Case {
        name: &'static str,
        trace: &'static str,
        after_heal: bool,
        at_end: bool,
        last_leader: Option<LeaderSighting>,
    }
    let cases = [
        Case {
            name: "elected too late",
            trace: "@100 n0 leader 1; @500 n0 crash; @1000 nemesis heal
                    @1600 n1 candidate 2; @1601 n1 leader 2",
            after_heal: false,
            at_end: true,
            last_leader: sighting(0, 1, 100),
        },
        Case {
            name: "the leader crashes and nobody follows",
            trace: "@100 n0 leader 1; @1000 nemesis heal; @3000 n0 crash",
            after_heal: true,
            at_end: false,
            last_leader: sighting(0, 1, 1_000),
        },
        Case {
            name: "a stale leader behind a newer term does not count",
            trace: "@100 n0 leader 1; @200 n1 candidate 5; @1000 nemesis heal",
            after_heal: false,
            at_end: false,
            last_leader: sighting(0, 1, 100),
        },
        Case {
            name: "a frozen leader does not count",
            trace: "@100 n0 leader 1; @900 n0 pause; @1000 nemesis heal",
            after_heal: false,
            at_end: false,
            last_leader: sighting(0, 1, 100),
        },
        Case {
            name: "no leader ever",
            trace: "@100 n0 candidate 1; @1000 nemesis heal",
            after_heal: false,
            at_end: false,
            last_leader: None,
        },
        Case {
            name: "an empty trace",
            trace: "",
            after_heal: false,
            at_end: false,
            last_leader: None,
        },
    ];
    for case in cases {
        let report = check(case.trace, ANSWERED);
        let name = case.name;
        assert_eq!(report.validity, Validity::Invalid, "{name}: {report}");
        let mut expected = Vec::new();
        if !case.after_heal {
            expected.push(LivenessProblem::NoLeaderAfterHeal {
                heal_time_ns: 1_000 * MS,
                bound_end_ns: 1_500 * MS,
                last_leader: case.last_leader,
            });
        }
        if !case.at_end {
            let end_time_ns = trace(case.trace).events.last().map_or(0, |e| e.time_ns);
            expected.push(LivenessProblem::NoLeaderAtEnd {
                end_time_ns,
                last_leader: case.last_leader,
            });
        }
        assert_eq!(report.problems, expected, "{name}: {report}");
    }
}

#[test]
fn a_frozen_leader_thawed_in_time_counts_from_its_thaw() {
    let report = check(
        "@100 n0 leader 1; @900 n0 pause; @1000 nemesis heal; @1100 n0 resume",
        ANSWERED,
    );
    assert_eq!(report.validity, Validity::Valid, "{report}");
    assert_eq!(report.leader_after_heal, sighting(0, 1, 1_100));
}

#[test]
fn the_cluster_is_judged_after_each_instant_not_inside_it() {
    // At 1 s the heal restarts the leader: within that instant it still
    // leads, but once the instant is over it is a follower.
    let report = check(
        "@500 n0 leader 1; @1000 nemesis heal; @1000 n0 crash; @1000 n0 restart 1 n0 0
         @1300 n0 candidate 2; @1301 n0 leader 2",
        ANSWERED,
    );
    assert_eq!(report.validity, Validity::Valid, "{report}");
    assert_eq!(report.leader_after_heal, sighting(0, 2, 1_301));
}

#[test]
fn operations_unanswered_by_the_deadline_are_listed() {
    let report = check(
        STEADY,
        "p1 invoke 200; p1 ok 220
         p2 invoke 4000
         p3 invoke 4500; p3 ok 5200
         p4 invoke 4900; p4 ok 5000",
    );
    assert_eq!(report.validity, Validity::Invalid);
    let [LivenessProblem::Unfinished {
        deadline_ns,
        count,
        ops,
    }] = report.problems.as_slice()
    else {
        panic!("expected one unfinished problem: {report}");
    };
    assert_eq!((*deadline_ns, *count), (5_000 * MS, 2));
    let processes: Vec<u64> = ops.iter().map(|op| op.process).collect();
    assert_eq!(processes, [2, 3]);
    let text = report.to_string();
    assert!(
        text.contains("2 operation(s) not completed by 5000.000ms"),
        "{text}"
    );
    assert!(
        text.contains("invoked at 4000.000ms, never completed"),
        "{text}"
    );
    assert!(
        text.contains("invoked at 4500.000ms, ok at 5200.000ms"),
        "{text}"
    );
}

#[test]
fn info_after_settling_is_a_problem_and_before_it_is_not() {
    let report = check(
        STEADY,
        "p1 invoke 2400; p1 info 2600
         p2 invoke 2500; p2 info 2700
         p3 invoke 3000; p3 ok 3100",
    );
    let [LivenessProblem::IndeterminateAfterSettle {
        settled_at_ns,
        count,
        ops,
    }] = report.problems.as_slice()
    else {
        panic!("expected one indeterminate problem: {report}");
    };
    assert_eq!((*settled_at_ns, *count), (2_500 * MS, 1));
    assert_eq!(ops[0].process, 2);
    assert_eq!(report.validity, Validity::Invalid);
}

#[test]
fn long_lists_of_operations_are_cut_but_counted() {
    let script: String = (0..MAX_OPS_LISTED as u64 + 3)
        .map(|p| format!("p{p} invoke {}\n", 4_000 + p))
        .collect();
    let report = check(STEADY, &script);
    let [LivenessProblem::Unfinished { count, ops, .. }] = report.problems.as_slice() else {
        panic!("{report}");
    };
    assert_eq!((*count, ops.len()), (MAX_OPS_LISTED + 3, MAX_OPS_LISTED));
    assert!(report.to_string().contains("… and 3 more"));
}

#[test]
fn a_history_that_does_not_pair_makes_the_verdict_unknown() {
    let report = check(STEADY, "p1 ok 100");
    assert_eq!(report.validity, Validity::Unknown, "{report}");
    assert!(matches!(
        report.problems.as_slice(),
        [LivenessProblem::UnpairedHistory { .. }]
    ));
    // A missed bound still beats unknown.
    let report = check("@100 n0 candidate 1", "p1 ok 100");
    assert_eq!(report.validity, Validity::Invalid);
}

#[test]
fn the_report_prints_and_survives_json() {
    let report = check(
        "@100 n0 leader 1; @1000 nemesis heal; @3000 n0 crash",
        "p1 invoke 4000",
    );
    let text = report.to_string();
    assert!(
        text.starts_with("liveness: invalid (leader after the heal: n0 in term 1 at 1000.000ms)"),
        "{text}"
    );
    assert!(text.contains("no recognised leader when the trace ends at 3000.000ms (last recognised leader: n0 in term 1 at 1000.000ms)"), "{text}");
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"problem\":\"no-leader-at-end\""), "{json}");
    let back: LivenessReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}
