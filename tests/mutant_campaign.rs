//! A default campaign as a test, so that mutation testing can ask "does
//! the tester notice?" of every mutant of raft-core:
//!
//! ```text
//! cargo mutants -p raft-core --test-package raftstorm -- --test mutant_campaign -- --ignored
//! ```
//!
//! It is ignored in the ordinary suite (the smoke campaigns of `.ci/run`
//! cover the same ground); see README "Mutation testing".

use raft_core::{BugSet, Node};
use raftstorm::config_swarm::ConfigSwarm;
use raftstorm::harness::Campaign;

#[test]
#[ignore = "a 1,000-trial campaign for cargo mutants; see README"]
fn a_default_campaign_of_raft_core_is_clean() {
    let report = Campaign::new()
        .trials(1_000)
        .seed(20_261_202)
        .configure(|config| config.vary = ConfigSwarm::ALL)
        .assert_clean::<Node>(BugSet::NONE);
    assert_eq!(
        report.totals.valid, 1_000,
        "every trial was checked and passed"
    );
}
