//! [`StateView`]: the ledger as of one committed height, read through a snapshot of the store.

use std::sync::Arc;

use super::events;
use super::history::HistoricalStore;
use super::memo::InstanceMemo;
use super::meta::{latest_height, pruned_through};
use crate::error::LedgerError;
use crate::overlay::{Overlay, TypedReads};
use crate::record::{Account, BlockHeader, CodeMeta, ContractInstance, EventFilter, EventRecord, decode};
use crate::store::ReadStore;
use crate::table::{Table, height_key};
use crate::types::{Address, Hash};

/// The ledger at one committed height: its header and a snapshot of the store taken right
/// after that block was written. Every read through one view sees the same state, whatever
/// the node commits meanwhile, so an answer assembled from many reads (balances in several
/// tokens, a contract query that reads many keys, a page of storage) describes a state that
/// existed. Cheap to clone.
///
/// # Examples
///
/// ```
/// use tidepool_ledger::{Address, Ledger, NewBlock};
///
/// let ledger = Ledger::memory();
/// let contract = Address([7; 20]);
/// let mut overlay = ledger.overlay();
/// overlay.storage_set(&contract, b"count", &[1]);
/// ledger.commit_block(NewBlock { time: 1, changes: overlay.into_changes(), txs: vec![] })?;
/// let view = ledger.view().expect("a block was committed");
///
/// let mut overlay = ledger.overlay();
/// overlay.storage_set(&contract, b"count", &[2]);
/// ledger.commit_block(NewBlock { time: 2, changes: overlay.into_changes(), txs: vec![] })?;
///
/// // The view still reads height 0.
/// assert_eq!(view.height(), 0);
/// assert_eq!(view.overlay().storage_get(&contract, b"count")?, Some(vec![1]));
/// # Ok::<(), tidepool_ledger::LedgerError>(())
/// ```
#[derive(Clone)]
pub struct StateView {
    header: Arc<BlockHeader>,
    store: Arc<dyn ReadStore>,
}

impl StateView {
    /// The view of `header`'s block through `store`, a snapshot taken right after it was
    /// committed. Contract instances read through the view are remembered ([`InstanceMemo`]).
    pub(super) fn new(header: Arc<BlockHeader>, store: Arc<dyn ReadStore>) -> StateView {
        StateView { header, store: Arc::new(InstanceMemo::new(store)) }
    }

    /// The view of the latest block a snapshot holds (`None` if it holds no block).
    pub(super) fn latest_of(store: Arc<dyn ReadStore>) -> Result<Option<StateView>, LedgerError> {
        let Some(height) = latest_height(&*store)? else { return Ok(None) };
        let header = read_block(&*store, height)?.ok_or(LedgerError::UnknownHeight(height))?;
        Ok(Some(StateView::new(Arc::new(header), store)))
    }

    /// The same state at the end of an earlier block `height` (or this one): state tables read
    /// through the history this snapshot holds.
    ///
    /// # Errors
    /// [`LedgerError::UnknownHeight`] above this view's height; [`LedgerError::Pruned`] below
    /// the retained history.
    pub fn at(&self, height: u64) -> Result<StateView, LedgerError> {
        match height.cmp(&self.height()) {
            std::cmp::Ordering::Equal => return Ok(self.clone()),
            std::cmp::Ordering::Greater => return Err(LedgerError::UnknownHeight(height)),
            std::cmp::Ordering::Less => {}
        }
        if let Some(oldest) = pruned_through(&*self.store)?
            && height < oldest
        {
            return Err(LedgerError::Pruned { height, oldest });
        }
        let header = read_block(&*self.store, height)?.ok_or(LedgerError::UnknownHeight(height))?;
        let store = Arc::new(HistoricalStore { latest: self.store.clone(), height });
        Ok(StateView { header: Arc::new(header), store })
    }

    /// An account at this height (the zero account if never written), read from the snapshot
    /// directly: [`StateView::overlay`]`().account(…)` reads the same, through an overlay built
    /// and dropped for one read.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn account(&self, address: &Address) -> Result<Account, LedgerError> {
        self.store.read_account(address)
    }

    /// A contract instance at this height.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn instance(&self, address: &Address) -> Result<Option<ContractInstance>, LedgerError> {
        self.store.read_instance(address)
    }

    /// Metadata of code uploaded at or below this height.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn code_meta(&self, hash: &Hash) -> Result<Option<CodeMeta>, LedgerError> {
        self.store.read_code_meta(hash)
    }

    /// The height this view reads.
    pub fn height(&self) -> u64 {
        self.header.height
    }

    /// The header of the block this view reads the state after.
    pub fn header(&self) -> &Arc<BlockHeader> {
        &self.header
    }

    /// An overlay over this view's state: reads see this height; writes stay in the overlay
    /// (queries and simulations run contracts against it and throw it away).
    pub fn overlay(&self) -> Overlay {
        Overlay::new(self.store.clone())
    }

    /// The snapshot this view reads.
    pub fn store(&self) -> &Arc<dyn ReadStore> {
        &self.store
    }

    /// The block header at `height`, if it is at or below this view's height.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn block(&self, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
        if height == self.header.height {
            return Ok(Some((*self.header).clone()));
        }
        read_block(&*self.store, height)
    }

    /// A transaction's bytes, if it was committed at or below this view's height.
    ///
    /// # Errors
    /// Only store errors.
    pub fn tx(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        self.store.get(Table::Txs, &hash.0)
    }

    /// A transaction's receipt bytes, if it was committed at or below this view's height.
    ///
    /// # Errors
    /// Only store errors.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Vec<u8>>, LedgerError> {
        self.store.get(Table::Receipts, &hash.0)
    }

    /// Events matching `filter` up to this view's height, oldest first.
    ///
    /// A `limit` of 0 means as many as allowed; any limit is capped at
    /// [`MAX_EVENTS_PER_QUERY`](crate::MAX_EVENTS_PER_QUERY). `to_height` is capped at this
    /// view's height. Served from the indexes: the cost is that of the events returned, not of
    /// the blocks in the range.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, LedgerError> {
        events::query(&*self.store, self.header.height, filter)
    }

    /// Every event of block `height`, in the order the block emitted them (by transaction, then
    /// by event), however many there are: unlike [`StateView::events`], not capped, because a
    /// block bounds its own events. Empty above this view's height and for a pruned block.
    ///
    /// # Errors
    /// Only store errors and undecodable records.
    pub fn block_events(&self, height: u64) -> Result<Vec<EventRecord>, LedgerError> {
        if height > self.header.height {
            return Ok(Vec::new());
        }
        events::of_block(&*self.store, height)
    }

    /// The lowest height whose block is kept whole — its transactions, receipts and events —
    /// as of this view: 0 until pruning starts ([`crate::Ledger::set_history_blocks`]), then the
    /// height above the last pruned one (below it only headers stay; state is still readable at
    /// the last pruned height itself, see [`crate::Ledger::oldest_readable`]).
    ///
    /// # Errors
    /// Only store errors.
    pub fn oldest_complete_block(&self) -> Result<u64, LedgerError> {
        Ok(pruned_through(&*self.store)?.map_or(0, |pruned| pruned.saturating_add(1)))
    }
}

fn read_block(store: &dyn ReadStore, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
    store.get(Table::Blocks, &height_key(height))?.map(|bytes| decode(Table::Blocks, &bytes)).transpose()
}
