//! A node's configuration: the cluster it belongs to (the settings every
//! system under test shares) and raft-core's planted bugs.

use crate::bugs::BugSet;
pub use replica::{ClusterConfig, ReadMode};

/// Settings shared by every node of a raft-core cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Config {
    /// Size, timing, batch bound and read mode.
    pub cluster: ClusterConfig,
    /// Planted bugs switched on (none by default).
    pub bugs: BugSet,
}

impl Config {
    /// A correct cluster of `cluster_size` nodes with the default timing.
    pub fn sized(cluster_size: u32) -> Config {
        Config {
            cluster: ClusterConfig {
                cluster_size,
                ..ClusterConfig::default()
            },
            bugs: BugSet::NONE,
        }
    }

    /// The same cluster with `bugs` planted.
    pub fn with_bugs(self, bugs: BugSet) -> Config {
        Config { bugs, ..self }
    }

    /// Checks the settings make sense for raft-core; the error says which
    /// does not.
    pub fn validate(&self) -> Result<(), String> {
        self.cluster.validate()?;
        if self.cluster.read_mode == ReadMode::Lease {
            return Err(
                "raft-core has no lease reads; use read-index or log (or another system)"
                    .to_string(),
            );
        }
        Ok(())
    }
}
