//! Reads at the latest committed height, each through a [`View`] (see `crate::view`).

use tidepool_ledger::{Account, Address, BlockHeader, ContractInstance, EventFilter, EventRecord, Hash, LedgerError};
use tidepool_vm::Outcome;

use super::Node;
use super::submit::StoredTx;
use crate::admission::Admission;
use crate::error::{HostError, NodeError, Rejection};
use crate::receipt::Receipt;
use crate::view::View;

/// Gas a read-only query may use.
pub const QUERY_GAS_LIMIT: u64 = 100_000_000;

/// Gas a quick query ([`View::try_quick_query`]) may use: by the gas schedule's calibration
/// (one unit bounds about 1 ns of CPU) at most ~0.25 ms, in practice a tenth of that. A token
/// balance query uses ~22,000 and the lending pool's `position` ~59,000; its `markets` (~290,000) and
/// `positions` pages (~600,000) take the blocking pool.
pub const QUICK_QUERY_GAS: u64 = 250_000;

/// A new latest block, as [`Node::on_new_head`] tells of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewHead {
    /// Its height.
    pub height: u64,
    /// `Some(height)` when blocks from `height` on were replaced to get here (a dev revert,
    /// reset or state load; 0 for a load, which replaces every block): a block read earlier at
    /// that height or above may be gone, or another block now. `None` when the chain only grew.
    pub replaced_from: Option<u64>,
}

impl Node {
    /// Calls `hook` with the new latest block each time one is published: after every block
    /// (once for the blocks of one `/dev/mine`), revert, reset and load. It runs on the writer's
    /// thread with its lock held, so it must only wake something (a feed of new blocks), never
    /// read or wait; a hook that returns `false` is dropped. The cost to the writer is one call
    /// per block, however many listen behind the hook.
    pub fn on_new_head(&self, hook: impl Fn(NewHead) -> bool + Send + Sync + 'static) {
        self.inner.ledger.on_publish(move |published| {
            hook(NewHead { height: published.view.height(), replaced_from: published.replaced_from })
        });
    }

    /// The latest committed state, for reads that must agree with each other: every read
    /// through one [`View`] sees one height, whatever is committed meanwhile.
    ///
    /// # Errors
    /// [`HostError::NoGenesis`] before genesis.
    pub fn view(&self) -> Result<View, NodeError> {
        let state = self.inner.ledger.view().ok_or(HostError::NoGenesis)?;
        Ok(View::new(self.clone(), state))
    }

    /// The committed state at the end of block `height` (the latest when `None`), for reads at
    /// a past height.
    ///
    /// # Errors
    /// [`Rejection::UnknownHeight`] above the latest block, or below the chain's first (a chain
    /// loaded from a state file begins at its height); [`Rejection::HeightPruned`] below the
    /// history this node keeps.
    pub fn view_at(&self, height: Option<u64>) -> Result<View, NodeError> {
        let latest = self.inner.ledger.view().ok_or(HostError::NoGenesis)?;
        let Some(height) = height else { return Ok(View::new(self.clone(), latest)) };
        let unknown = || NodeError::from(Rejection::UnknownHeight { height, latest: latest.height() });
        let state = latest.at(height).map_err(|error| match error {
            LedgerError::UnknownHeight(_) => unknown(),
            // Below the chain's first block (a loaded state's) the height never was: not pruned.
            LedgerError::Pruned { .. } if self.first_height().is_ok_and(|first| height < first) => unknown(),
            LedgerError::Pruned { height, oldest } => Rejection::HeightPruned { height, oldest }.into(),
            error => error.into(),
        })?;
        Ok(View::new(self.clone(), state))
    }

    /// Runs a contract's `query` entry point on the latest committed state.
    ///
    /// # Errors
    /// [`Rejection::UnknownContract`]; a VM failure. A contract error is a `Reverted` outcome.
    pub fn query(&self, contract: &Address, msg: &[u8]) -> Result<Outcome, NodeError> {
        self.view()?.query(contract, msg)
    }

    /// An account's nonce and native balance (zero for an address never seen).
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn account(&self, address: &Address) -> Result<Account, NodeError> {
        self.view()?.account(address)
    }

    /// A contract instance.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractInstance>, NodeError> {
        self.view()?.contract(address)
    }

    /// The latest block header.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn latest_block(&self) -> Result<BlockHeader, NodeError> {
        self.inner.ledger.latest()?.ok_or(NodeError::Host(HostError::NoGenesis))
    }

    /// A committed transaction and its receipt (`None`: no such transaction).
    ///
    /// # Errors
    /// [`Rejection::PendingTransaction`] for one
    /// that waits in the pending block (manual or interval mining), which has no receipt yet;
    /// the ledger fails or holds undecodable bytes.
    pub fn transaction(&self, hash: &Hash) -> Result<Option<(StoredTx, Receipt)>, NodeError> {
        let found = self.view()?.transaction(hash)?;
        // Committed first, pending after: a transaction mined in between may read as pending
        // this once; the next read finds it committed.
        if found.is_none() && self.is_pending(hash) {
            return Err(crate::error::Rejection::PendingTransaction(*hash).into());
        }
        Ok(found)
    }

    /// The nonce `address`'s next transaction should carry: past its transactions waiting in
    /// the pending block (manual and interval mining) or, consecutively, in the mempool (a
    /// network); its committed nonce when none waits. `committed` reads that committed nonce
    /// (and whatever else the caller wants from the same view); it is called after the pending
    /// block is looked at, and on a network again if a block landed meanwhile, so a block mined
    /// in between cannot leave the answer behind. Read without the writer's lock.
    ///
    /// # Errors
    /// Those of `committed`.
    pub fn next_nonce<E>(&self, address: &Address, mut committed: impl FnMut() -> Result<u64, E>) -> Result<u64, E> {
        if self.inner.config.mining != crate::config::Mining::Network {
            let pending = self.inner.pending_index.read().next_nonces.get(address).copied();
            let committed = committed()?;
            return Ok(pending.map_or(committed, |next| next.max(committed)));
        }
        // Blocks land a second or so apart: a second try finds the committed nonce still.
        let mut nonce = committed()?;
        for _ in 0..3 {
            let next = self.inner.mempool.next_nonce(address, nonce);
            let again = committed()?;
            if again == nonce {
                return Ok(next);
            }
            nonce = again;
        }
        Ok(self.inner.mempool.next_nonce(address, nonce))
    }

    /// Whether `hash` waits in the pending block (manual or interval mining) or the mempool
    /// (network mode).
    pub(super) fn is_pending(&self, hash: &Hash) -> bool {
        self.inner.pending_index.read().hashes.contains(hash) || self.inner.mempool.contains(hash)
    }

    /// Events matching `filter`, oldest first.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, NodeError> {
        self.view()?.events(filter)
    }

    /// The VM's admission: bounds concurrent calls (queries run in parallel with the writer).
    pub(crate) fn admission(&self) -> &Admission {
        &self.inner.admission
    }
}
