//! A trial that panics or never ends is a reported failure of its own
//! kind, with its seed and replay command; the campaign goes on.

use raft_core::{BugSet, DurableState, Message, Node};
use raftstorm::harness::{Campaign, Failure};
use rand_pcg::Pcg32;
use replica::{Actions, ClusterConfig, Input, NodeId, Replica, Status};

/// raft-core, except that node 0 panics on its 300th step: an assertion
/// failing inside a Raft under test.
struct Panicking {
    inner: Node,
    steps: u32,
}

impl Replica for Panicking {
    type Message = Message;
    type Disk = DurableState;
    type Options = ();
    const TIMERS: usize = <Node as Replica>::TIMERS;

    fn boot(
        id: NodeId,
        cluster: &ClusterConfig,
        _: &(),
        disk: &mut DurableState,
        rng: Pcg32,
        out: &mut Actions<Message>,
    ) -> Panicking {
        let inner = <Node as Replica>::boot(id, cluster, &BugSet::NONE, disk, rng, out);
        Panicking { inner, steps: 0 }
    }

    fn step(&mut self, disk: &mut DurableState, input: Input<Message>, out: &mut Actions<Message>) {
        self.steps += 1;
        assert!(
            !(self.inner.id() == 0 && self.steps == 300),
            "planted: n0 gives up at its 300th step"
        );
        Replica::step(&mut self.inner, disk, input, out);
    }

    fn status(&self) -> Status {
        self.inner.status()
    }
}

/// A node whose one timer fires at once, forever: virtual time never
/// moves on (a livelock in the system under test).
struct Spinning;

impl Replica for Spinning {
    type Message = ();
    type Disk = ();
    type Options = ();
    const TIMERS: usize = 1;

    fn boot(
        _: NodeId,
        _: &ClusterConfig,
        _: &(),
        _: &mut (),
        _: Pcg32,
        out: &mut Actions<()>,
    ) -> Spinning {
        out.set_timer(0, 0);
        Spinning
    }

    fn step(&mut self, _: &mut (), _: Input<()>, out: &mut Actions<()>) {
        out.set_timer(0, 0);
    }

    fn status(&self) -> Status {
        Status {
            role: replica::Role::Follower,
            term: 0,
            voted_for: None,
            last_log_index: 0,
        }
    }
}

fn campaign(name: &str) -> Campaign {
    let out = std::env::temp_dir().join(format!(
        "raftstorm-trial-faults-{}-{name}",
        std::process::id()
    ));
    Campaign::new()
        .trials(6)
        .threads(2)
        .out_dir(out)
        .configure(|config| config.world.max_events = 50_000)
}

#[test]
fn a_panic_and_a_livelock_each_become_a_reported_failure_of_their_own_kind() {
    let panicked = campaign("panic").run::<Panicking>(());
    let spun = campaign("spin").run::<Spinning>(());
    for (result, check, says) in [
        (panicked, "panic", "planted: n0 gives up"),
        (spun, "event-budget", "event-budget"),
    ] {
        let Err(Failure::Trial(trial)) = result else {
            panic!("{check}: expected a failed trial");
        };
        assert_eq!(
            trial.trials, 6,
            "{check}: the campaign went on after the failure"
        );
        assert!(trial.failed_trials >= 1, "{check}");
        assert!(
            trial.checks.iter().any(|c| c == check),
            "{check}: {:?}",
            trial.checks
        );
        let message = Failure::Trial(trial.clone()).to_string();
        assert!(message.contains(says), "{check}: {message}");
        assert!(
            message.contains(&format!("RAFTSTORM_SEED={}", trial.seed)),
            "{message}"
        );
        assert!(
            trial.artifact.join("trial.json").is_file(),
            "{check}: artifact"
        );
    }
}
