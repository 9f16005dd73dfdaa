//! What can happen next in a state: the nondeterministic choices the model
//! checker branches on.

use histories::NodeId;
use replica::TimerSlot;

/// One nondeterministic event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// An armed timer of a running node fires. Timeouts are events, not
    /// durations: any armed timer may fire before anything else happens,
    /// which covers every timing the real timers could produce.
    Fire {
        /// The node.
        node: NodeId,
        /// Its timer.
        timer: TimerSlot,
    },
    /// The message at this position of the network arrives.
    Deliver {
        /// Position in [`Network::items`](crate::network::Network::items).
        message: usize,
    },
    /// The message at this position is lost (lossy network only).
    Drop {
        /// Position in the network.
        message: usize,
    },
    /// A running node crashes.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// A crashed node restarts from its disk.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// A client request (by number) reaches a node.
    Request {
        /// The request.
        request: u32,
        /// The node.
        node: NodeId,
    },
}

impl Action {
    /// The node this action happens at, if it names one.
    pub fn node(&self) -> Option<NodeId> {
        match *self {
            Action::Fire { node, .. }
            | Action::Crash { node }
            | Action::Restart { node }
            | Action::Request { node, .. } => Some(node),
            Action::Deliver { .. } | Action::Drop { .. } => None,
        }
    }

    /// The same action at node `node` instead (messages keep their
    /// position: renaming them is the state's business).
    pub fn at(self, node: NodeId) -> Action {
        match self {
            Action::Fire { timer, .. } => Action::Fire { node, timer },
            Action::Crash { .. } => Action::Crash { node },
            Action::Restart { .. } => Action::Restart { node },
            Action::Request { request, .. } => Action::Request { request, node },
            message => message,
        }
    }
}
