//! Safety invariants, one hand-written trace at a time: each rule broken is
//! caught and named precisely, and the tricky legal runs pass.

#[path = "invariants/dsl.rs"]
mod dsl;

use checker::invariants::{check_safety, Invariant, SafetyReport, MAX_VIOLATIONS_PER_INVARIANT};
use checker::Validity;
use dsl::trace;
use histories::NodeId;

/// n0 wins term 1 with the votes of n1 and n2 and commits its no-op
/// everywhere. Most scripts start here.
const ELECTED_N0: &str = "
    n0 candidate 1
    n1 follower 1; n1 vote 1 n0
    n2 follower 1; n2 vote 1 n0
    n0 leader 1
    n0 append 1 1 noop; n1 append 1 1 noop; n2 append 1 1 noop
    n0 commit 1; n0 apply 1 1 noop
    n1 commit 1; n1 apply 1 1 noop
    n2 commit 1; n2 apply 1 1 noop
";

fn check(script: &str) -> SafetyReport {
    check_safety(&trace(script))
}

/// A trace that breaks a rule, and what the report must say about it.
struct Broken {
    name: &'static str,
    script: String,
    /// Every invariant the report must name, first the one under test.
    violated: &'static [Invariant],
    /// What the first violation of `violated[0]` must name.
    nodes: &'static [NodeId],
    term: Option<u64>,
    index: Option<u64>,
}

fn broken(
    name: &'static str,
    script: impl Into<String>,
    violated: &'static [Invariant],
    nodes: &'static [NodeId],
    term: Option<u64>,
    index: Option<u64>,
) -> Broken {
    Broken {
        name,
        script: script.into(),
        violated,
        nodes,
        term,
        index,
    }
}

fn after_election(rest: &str) -> String {
    format!("{ELECTED_N0}\n{rest}")
}

fn broken_cases() -> Vec<Broken> {
    use Invariant::*;
    vec![
        broken(
            "two leaders in one term",
            "n0 candidate 1; n1 candidate 1; n2 follower 1; n2 vote 1 n0
             n0 leader 1; n1 leader 1",
            &[ElectionSafety, ElectedByQuorum],
            &[0, 1],
            Some(1),
            None,
        ),
        broken(
            "a leader truncates its own log",
            after_election("n0 append 2 1 c1.1; n0 truncate 2 1"),
            &[LeaderAppendOnly],
            &[0],
            Some(1),
            Some(2),
        ),
        broken(
            "a leader overwrites an entry in place",
            after_election("n0 append 2 1 c1.1; n0 append 2 1 c1.2"),
            &[LeaderAppendOnly, LogMatching],
            &[0],
            Some(1),
            Some(2),
        ),
        broken(
            "two logs hold different commands at one index and term",
            "n0 append 1 1 c1.1; n1 append 1 1 c1.2",
            &[LogMatching],
            &[0, 1],
            Some(1),
            Some(1),
        ),
        broken(
            "one entry on two different prefixes",
            "n0 append 1 1 c1.1; n0 append 2 2 c2.1
             n1 append 1 2 c2.0; n1 append 2 2 c2.1",
            &[LogMatching],
            &[0, 1],
            Some(2),
            Some(2),
        ),
        broken(
            "an append leaves a hole",
            "n0 append 1 1 noop; n0 append 3 1 c1.1",
            &[LogMatching],
            &[0],
            Some(1),
            Some(3),
        ),
        broken(
            "a restart loses entries of the log",
            "n0 append 1 1 noop; n0 append 2 1 c1.1; n0 crash; n0 restart 0 - 1",
            &[LogMatching],
            &[0],
            None,
            Some(2),
        ),
        broken(
            "a new leader lacks a committed entry",
            after_election(
                "n2 candidate 2; n1 follower 2; n1 vote 2 n2; n2 truncate 1 1; n2 leader 2",
            ),
            &[LeaderCompleteness],
            &[0, 2],
            Some(2),
            Some(1),
        ),
        broken(
            "a stale leader commits what an already elected later leader lacks",
            "n0 candidate 1; n1 follower 1; n1 vote 1 n0; n0 leader 1
             n0 append 1 1 noop; n1 append 1 1 noop
             n2 candidate 2; n1 follower 2; n1 vote 2 n2; n2 leader 2
             n0 commit 1",
            &[LeaderCompleteness],
            &[0, 2],
            Some(2),
            Some(1),
        ),
        broken(
            "two nodes apply different entries at one index",
            "n0 commit 1; n0 apply 1 1 c1.1; n1 commit 1; n1 apply 1 2 c1.2",
            &[StateMachineSafety],
            &[0, 1],
            Some(2),
            Some(1),
        ),
        broken(
            "a node applies another entry at an index after restarting",
            "n0 commit 1; n0 apply 1 1 c1.1; n0 crash; n0 restart 0 - 0
             n0 commit 1; n0 apply 1 2 c1.2",
            &[StateMachineSafety],
            &[0],
            Some(2),
            Some(1),
        ),
        broken(
            "a term goes back",
            "n0 follower 3; n0 candidate 2",
            &[MonotonicTerm],
            &[0],
            Some(2),
            None,
        ),
        broken(
            "a restart forgets the term",
            "n0 candidate 3; n0 crash; n0 restart 0 - 0",
            &[MonotonicTerm],
            &[0],
            Some(0),
            None,
        ),
        broken(
            "two votes in one term",
            "n0 follower 2; n0 vote 2 n1; n0 vote 2 n2",
            &[SingleVote],
            &[0, 1, 2],
            Some(2),
            None,
        ),
        broken(
            "a candidate votes for another in its own term",
            "n0 candidate 2; n0 vote 2 n1",
            &[SingleVote],
            &[0, 1],
            Some(2),
            None,
        ),
        broken(
            "a restart forgets the vote of the term",
            "n0 follower 2; n0 vote 2 n1; n0 crash; n0 restart 2 - 0",
            &[SingleVote],
            &[0, 1],
            Some(2),
            None,
        ),
        broken(
            "a commit index goes back",
            "n0 commit 3; n0 commit 2",
            &[MonotonicCommit],
            &[0],
            None,
            Some(2),
        ),
        broken(
            "an entry applied beyond the commit index",
            "n0 commit 1; n0 apply 1 1 noop; n0 apply 2 1 c1.1",
            &[AppliedWithinCommit],
            &[0],
            None,
            Some(2),
        ),
        broken(
            "entries applied with a gap",
            "n0 commit 3; n0 apply 1 1 noop; n0 apply 3 1 c1.2",
            &[AppliedWithinCommit],
            &[0],
            None,
            Some(3),
        ),
        broken(
            "an index applied twice in one run",
            "n0 commit 1; n0 apply 1 1 noop; n0 apply 1 1 noop",
            &[AppliedWithinCommit],
            &[0],
            None,
            Some(1),
        ),
        broken(
            "a leader with only its own vote",
            "n0 candidate 1; n1 follower 1; n2 follower 1; n0 leader 1",
            &[ElectedByQuorum],
            &[0],
            Some(1),
            None,
        ),
        broken(
            "a leader counting a vote of an earlier term",
            "n0 candidate 1; n1 follower 1; n1 vote 1 n0; n2 follower 1
             n0 candidate 2; n0 leader 2",
            &[ElectedByQuorum],
            &[0],
            Some(2),
            None,
        ),
    ]
}

#[test]
fn every_broken_rule_is_caught_and_named() {
    for case in broken_cases() {
        let report = check(&case.script);
        let name = case.name;
        assert_eq!(report.validity, Validity::Invalid, "{name}");
        let mut expected = case.violated.to_vec();
        expected.sort();
        assert_eq!(
            report.violated_invariants().collect::<Vec<_>>(),
            expected,
            "{name}: {report}"
        );
        let first = report
            .violations_of(case.violated[0])
            .next()
            .unwrap_or_else(|| panic!("{name}: no {} violation spelled out", case.violated[0]));
        assert_eq!(first.nodes, case.nodes, "{name}: {first}");
        assert_eq!(first.term, case.term, "{name}: {first}");
        assert_eq!(first.index, case.index, "{name}: {first}");
        assert!(!first.events.is_empty(), "{name}: no proving events");
        let trace = trace(&case.script);
        for (position, event) in &first.events {
            assert_eq!(&trace.events[*position], event, "{name}: event #{position}");
        }
    }
}

/// Legal runs, the tricky ones included.
fn legal_cases() -> Vec<(&'static str, String)> {
    vec![
        (
            "an election, replication, commit and apply everywhere",
            after_election(""),
        ),
        (
            "re-applying the same entries after a restart",
            after_election("n1 crash; n1 restart 1 n0 1; n1 commit 1; n1 apply 1 1 noop"),
        ),
        (
            "a follower truncates conflicting uncommitted entries",
            after_election(
                "n0 append 2 1 c1.1
                 n0 crash
                 n1 candidate 2; n2 follower 2; n2 vote 2 n1; n1 leader 2
                 n1 append 2 2 noop; n2 append 2 2 noop; n1 commit 2; n2 commit 2
                 n0 restart 1 n0 2
                 n0 follower 2; n0 truncate 2 1; n0 append 2 2 noop; n0 commit 2
                 n0 apply 1 1 noop; n0 apply 2 2 noop",
            ),
        ),
        (
            "a stale leader keeps taking commands beside a newer leader",
            after_election(
                "n0 append 2 1 c1.1
                 n1 candidate 2; n2 follower 2; n2 vote 2 n1; n1 leader 2
                 n1 append 2 2 noop; n2 append 2 2 noop; n1 commit 2
                 n0 append 3 1 c1.2
                 n0 follower 2; n0 truncate 2 2; n0 append 2 2 noop; n0 commit 2",
            ),
        ),
        (
            "a stale leader commits late what the newer leader holds",
            "n0 candidate 1; n1 follower 1; n1 vote 1 n0; n0 leader 1
             n0 append 1 1 noop; n1 append 1 1 noop; n2 follower 1; n2 append 1 1 noop
             n2 candidate 2; n1 follower 2; n1 vote 2 n2; n2 leader 2
             n0 commit 1; n0 apply 1 1 noop
             n2 append 2 2 noop; n1 append 2 2 noop; n2 commit 2"
                .to_string(),
        ),
        (
            "a node re-elected leader in a later term",
            after_election(
                "n1 candidate 2; n0 follower 2; n2 follower 2
                 n0 candidate 3; n1 follower 3; n1 vote 3 n0; n0 leader 3
                 n0 append 2 3 noop; n1 append 2 3 noop; n0 commit 2",
            ),
        ),
        (
            "a leader crashes and restarts as a follower",
            after_election(
                "n0 append 2 1 c1.1; n1 append 2 1 c1.1; n0 commit 2; n0 apply 2 1 c1.1
                 n0 crash; n0 restart 1 n0 2
                 n1 candidate 2; n0 follower 2; n0 vote 2 n1; n1 leader 2
                 n1 append 3 2 noop; n0 append 3 2 noop; n1 commit 3
                 n0 commit 3; n0 apply 1 1 noop; n0 apply 2 1 c1.1; n0 apply 3 2 noop",
            ),
        ),
        (
            "a retransmitted vote, kept across a restart",
            "n0 follower 2; n0 vote 2 n1; n0 vote 2 n1; n0 crash; n0 restart 2 n1 0; n0 vote 2 n1"
                .to_string(),
        ),
        (
            "pauses, resumes and faults change nothing",
            after_election("nemesis isolate n0; n0 pause; n0 resume; nemesis heal"),
        ),
        ("an empty trace", String::new()),
    ]
}

#[test]
fn legal_runs_pass() {
    for (name, script) in legal_cases() {
        let report = check(&script);
        assert_eq!(report.validity, Validity::Valid, "{name}: {report}");
        assert!(
            report.violations.is_empty() && report.counts.is_empty(),
            "{name}"
        );
        assert_eq!(report.events_checked, trace(&script).events.len(), "{name}");
    }
}

/// For each invariant, a legal trace that comes as close as Raft allows to
/// breaking it.
fn near_misses() -> Vec<(Invariant, &'static str, String)> {
    use Invariant::*;
    vec![
        (
            ElectionSafety,
            "leaders of two terms at once",
            after_election("n1 candidate 2; n2 follower 2; n2 vote 2 n1; n1 leader 2"),
        ),
        (
            LeaderAppendOnly,
            "a deposed leader truncates once it follows",
            after_election(
                "n0 append 2 1 c1.1
                 n1 candidate 2; n2 follower 2; n2 vote 2 n1; n1 leader 2
                 n0 follower 2; n0 truncate 2 1",
            ),
        ),
        (
            LogMatching,
            "different commands at one index, in different terms",
            "n0 append 1 1 c1.1; n1 append 1 2 c1.2".to_string(),
        ),
        (
            LeaderCompleteness,
            "a new leader lacks an entry that was never committed",
            after_election(
                "n0 append 2 1 c1.1
                 n2 candidate 2; n1 follower 2; n1 vote 2 n2; n2 leader 2",
            ),
        ),
        (
            StateMachineSafety,
            "the same entry applied again after a restart, and by another node",
            after_election("n1 crash; n1 restart 1 n0 1; n1 commit 1; n1 apply 1 1 noop"),
        ),
        (
            MonotonicTerm,
            "a restart in the same term, then a newer one",
            "n0 candidate 3; n0 crash; n0 restart 3 n0 0; n0 follower 4".to_string(),
        ),
        (
            SingleVote,
            "one vote per term, repeated to the same candidate",
            "n0 follower 2; n0 vote 2 n1; n0 vote 2 n1; n0 follower 3; n0 vote 3 n2".to_string(),
        ),
        (
            MonotonicCommit,
            "a commit index lower than before the crash",
            after_election(
                "n0 append 2 1 c1.1; n1 append 2 1 c1.1; n0 commit 2; n0 apply 2 1 c1.1
                 n0 crash; n0 restart 1 n0 2; n0 commit 1; n0 apply 1 1 noop",
            ),
        ),
        (
            AppliedWithinCommit,
            "applying from index 1 again after a restart, up to the commit index",
            "n0 commit 2; n0 apply 1 1 noop; n0 apply 2 1 c1.1
             n0 crash; n0 restart 0 - 0; n0 commit 1; n0 apply 1 1 noop"
                .to_string(),
        ),
        (
            ElectedByQuorum,
            "a bare majority, one vote of it given before the voter restarted",
            "n0 candidate 1; n1 follower 1; n1 vote 1 n0; n2 follower 1
             n1 crash; n1 restart 1 n0 0; n0 leader 1"
                .to_string(),
        ),
    ]
}

#[test]
fn near_misses_keep_every_invariant() {
    for (invariant, name, script) in near_misses() {
        let report = check(&script);
        assert_eq!(
            report.validity,
            Validity::Valid,
            "{invariant}, {name}: {report}"
        );
    }
    let covered: Vec<Invariant> = near_misses().iter().map(|(i, _, _)| *i).collect();
    assert_eq!(covered, Invariant::ALL);
}

#[test]
fn a_violation_prints_as_a_paragraph_with_its_events_and_survives_json() {
    let script =
        after_election("n2 candidate 2; n1 follower 2; n1 vote 2 n2; n2 truncate 1 1; n2 leader 2");
    let report = check(&script);
    let text = report.to_string();
    assert!(text.starts_with("safety: invalid"), "{text}");
    assert!(text.contains("[leader-completeness] n2 becomes leader of term 2 without noop (term 1) at index 1, committed in term 1 by n0"), "{text}");
    let violation = &report.violations[0];
    let event_lines: Vec<String> = violation
        .events
        .iter()
        .map(|(position, event)| format!("    #{position:<6} {event}"))
        .collect();
    for line in &event_lines {
        assert!(text.contains(line.as_str()), "missing `{line}` in {text}");
    }
    // The proof: n0's append, n0's commit, n2's election.
    let kinds: Vec<String> = violation
        .events
        .iter()
        .map(|(_, e)| e.to_string())
        .collect();
    assert!(
        kinds[0].ends_with("n0  appends noop at 1 (term 1)"),
        "{kinds:?}"
    );
    assert!(kinds[1].ends_with("n0  commits up to 1"), "{kinds:?}");
    assert!(kinds[2].ends_with("n2  leader in term 2"), "{kinds:?}");
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.contains("\"invariant\":\"leader-completeness\""),
        "{json}"
    );
    let back: SafetyReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn repeated_violations_are_counted_but_only_the_first_few_spelled_out() {
    let script: String = (1..=10)
        .map(|term| format!("n0 follower {term}; n0 vote {term} n1; n0 vote {term} n2\n"))
        .collect();
    let report = check(&script);
    assert_eq!(report.counts[&Invariant::SingleVote], 10);
    let shown: Vec<_> = report.violations_of(Invariant::SingleVote).collect();
    assert_eq!(shown.len(), MAX_VIOLATIONS_PER_INVARIANT);
    // First ones first.
    let terms: Vec<_> = shown.iter().map(|v| v.term).collect();
    assert_eq!(terms, [Some(1), Some(2), Some(3)]);
    assert!(report
        .to_string()
        .contains("single-vote: 10 violation(s), first 3 shown"));
}

#[test]
fn each_invariant_has_a_case_that_breaks_it_alone_or_first() {
    let covered: Vec<Invariant> = broken_cases().iter().map(|c| c.violated[0]).collect();
    for invariant in Invariant::ALL {
        assert!(covered.contains(&invariant), "no case breaks {invariant}");
    }
}

#[test]
fn strange_ids_and_indexes_do_not_panic_or_allocate_without_bound() {
    let report = check(&format!(
        "n{max} leader 1; n{max} append 1 1 noop
         n0 append {huge} 1 noop
         n0 commit {huge}; n0 apply {huge} 1 noop
         n1 apply {huge} 2 c1.1; n1 truncate 0 0; n1 truncate {huge} 0
         n0 restart {huge} n{max} {huge}",
        max = u32::MAX,
        huge = u64::MAX
    ));
    assert_eq!(report.validity, Validity::Invalid);
    assert!(report
        .violated_invariants()
        .any(|i| i == Invariant::LogMatching));
    assert!(report
        .violated_invariants()
        .any(|i| i == Invariant::StateMachineSafety));
}
