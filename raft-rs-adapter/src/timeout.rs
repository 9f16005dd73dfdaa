//! Taking the election timeout's randomness away from `rand::thread_rng`.
//!
//! raft-rs 0.7 draws each randomized election timeout in
//! `RaftCore::reset_randomized_election_timeout` with
//! `rand::thread_rng().gen_range(min_election_timeout..max_election_timeout)`
//! (raft.rs, its only use of randomness), called from `Raft::reset`, which
//! every `become_follower`/`become_pre_candidate`/`become_candidate`/
//! `become_leader` runs — `Raft::new` included. A thread's generator is
//! seeded from the OS, so left alone two runs of one seed would differ.
//!
//! The scheme, and why it is exact: raft-rs reads the randomized timeout
//! in one place only, `pass_election_timeout`, called at the top of
//! `tick_election` right after `election_elapsed += 1`. `reset` sets
//! `election_elapsed = 0`, and nothing raises it again in the same call:
//! the only increments are at the start of `tick_election` and
//! `tick_heartbeat`, before either steps a message that could reset. So
//! after any call into raft-rs that drew from `thread_rng`,
//! `election_elapsed == 0`. After every such call (boot, tick, step,
//! propose, read_index) the adapter therefore overwrites the timeout with
//! a draw from the node's own seeded stream whenever `election_elapsed` is
//! 0, through `set_randomized_election_timeout`; raft-rs's min/max are set
//! to the real range so the draw is accepted. Every value raft-rs ever
//! compares against is thus one of ours. (`election_elapsed` is also 0
//! after a follower hears from its leader without a reset; it then gets a
//! fresh draw too, which keeps the timeout in range and deterministic.)
//!
//! The brief's other scheme — `max = min + 1`, so `thread_rng` can only
//! yield one sentinel — cannot work with raft-rs 0.7: the setter asserts
//! `min_election_timeout <= t < max_election_timeout`, so no other value
//! could then be installed.

use raft::storage::MemStorage;
use raft::RawNode;
use rand::Rng;
use rand_pcg::Pcg32;

/// The node's own election-timeout draws, in ticks.
pub struct ElectionTimeouts {
    rng: Pcg32,
    min_ticks: usize,
    max_ticks: usize,
}

impl ElectionTimeouts {
    /// Draws from `rng` in `[min_ticks, max_ticks)`.
    pub fn new(rng: Pcg32, min_ticks: usize, max_ticks: usize) -> ElectionTimeouts {
        ElectionTimeouts {
            rng,
            min_ticks,
            max_ticks,
        }
    }

    /// Replaces whatever `thread_rng` may just have drawn (see the module
    /// doc). Call after every call into `raw`.
    pub fn take_over(&mut self, raw: &mut RawNode<MemStorage>) {
        if raw.raft.election_elapsed != 0 {
            return;
        }
        let ticks = self.rng.gen_range(self.min_ticks..self.max_ticks);
        raw.raft.set_randomized_election_timeout(ticks);
    }
}
