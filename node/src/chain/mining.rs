//! The mining mode, switched at runtime (dev mode): automine, manual (transactions wait in the
//! pending block until a dev control mines it) or interval. The node keeps the mode; whoever
//! serves it runs the interval miner, and learns of a switch through [`Node::watch_mining`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tidepool_ledger::{Account, Address, BlockHeader, Hash};

use super::Node;
use crate::config::Mining;
use crate::error::NodeError;

/// Callbacks of [`Node::watch_mining`], by id.
pub(super) type Watchers = Vec<(u64, Arc<dyn Fn() + Send + Sync>)>;

/// The mining mode and what waits to be mined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiningStatus {
    /// How blocks are made now.
    pub mode: Mining,
    /// The hashes of the transactions in the pending block, in order (none in automine).
    pub pending: Vec<Hash>,
}

/// Keeps a [`Node::watch_mining`] callback registered; dropping it unregisters it.
#[must_use = "the callback is unregistered when the watch is dropped"]
pub struct MiningWatch {
    node: Node,
    id: u64,
}

impl Drop for MiningWatch {
    fn drop(&mut self) {
        self.node.inner.mining_watchers.lock().retain(|(id, _)| *id != self.id);
    }
}

impl std::fmt::Debug for MiningWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MiningWatch({})", self.id)
    }
}

impl Node {
    /// How blocks are made now: the configuration's mode until [`Node::set_mining`] changes it.
    pub fn mining(&self) -> Mining {
        // The mode does not depend on the ledger: no need to wait for a block being committed
        // (`lock_chain`), which the interval miner would do on an async worker.
        self.inner.chain.lock().mining
    }

    /// The mining mode and the pending transactions (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`](crate::error::Rejection::DevModeOnly).
    pub fn mining_status(&self) -> Result<MiningStatus, NodeError> {
        self.require_dev()?;
        let mode = self.mining();
        Ok(MiningStatus { mode, pending: self.pending_transactions() })
    }

    /// The hashes of the transactions waiting in the pending block, in order.
    pub fn pending_transactions(&self) -> Vec<Hash> {
        self.inner.pending_index.read().hashes.clone()
    }

    /// Switches the mining mode (dev mode). To automine, whatever is pending is mined first, in
    /// one block; to manual or interval mining, pending transactions stay pending. Every
    /// [`Node::watch_mining`] callback is called after the switch.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`](crate::error::Rejection::DevModeOnly); a ledger failure while
    /// mining the pending block (the mode is then unchanged).
    pub fn set_mining(&self, mode: Mining) -> Result<MiningStatus, NodeError> {
        self.require_dev()?;
        if mode == Mining::Network {
            return Err(crate::error::Rejection::InvalidConfig(
                "a dev node cannot switch to network mode: start a validator from a genesis document".into(),
            )
            .into());
        }
        {
            let mut chain = self.lock_chain();
            if mode == Mining::Auto && chain.pending.is_some() {
                self.mine_locked(&mut chain)?;
            }
            chain.mining = mode;
        }
        let watchers: Vec<_> = self.inner.mining_watchers.lock().iter().map(|(_, wake)| wake.clone()).collect();
        for wake in watchers {
            wake();
        }
        self.mining_status()
    }

    /// An account as the pending block leaves it (as the latest block does when nothing is
    /// pending): its nonce is the one the sender's next transaction must carry, counting those
    /// still waiting to be mined.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn pending_account(&self, address: &Address) -> Result<Account, NodeError> {
        let chain = self.lock_chain();
        match &chain.pending {
            Some(pending) => pending.account(address),
            None => self.account(address),
        }
    }

    /// What an interval miner does at each tick: mines the pending block (or an empty block) if
    /// the mode is still interval mining, under the writer's lock, so that no interval block
    /// follows a switch away from it. `None`: another mode, nothing mined.
    ///
    /// # Errors
    /// As [`Node::mine_block`].
    pub fn mine_interval_block(&self) -> Result<Option<BlockHeader>, NodeError> {
        let mut chain = self.lock_chain();
        if matches!(chain.mining, Mining::Interval(_)) { self.mine_locked(&mut chain).map(Some) } else { Ok(None) }
    }

    /// Calls `wake` after every switch of the mining mode until the returned watch is dropped.
    /// `wake` runs on the switching thread and should only signal (an interval miner re-reads
    /// [`Node::mining`] when woken).
    pub fn watch_mining(&self, wake: impl Fn() + Send + Sync + 'static) -> MiningWatch {
        let id = self.inner.next_watcher.fetch_add(1, Ordering::Relaxed);
        self.inner.mining_watchers.lock().push((id, Arc::new(wake)));
        MiningWatch { node: self.clone(), id }
    }
}
