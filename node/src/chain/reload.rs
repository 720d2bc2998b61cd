//! Starting over (dev mode): a reset returns the chain to its genesis in place; a state file
//! ([`crate::state_file`]) is the state written out, and loading one starts a new chain from it,
//! in place. Both forget the pending transactions and every snapshot; the mining mode stays.

use tidepool_ledger::{BlockHeader, Direction, KeyRange, Table};

use super::Node;
use crate::error::{HostError, NodeError, Rejection};
use crate::state_file::StateFile;

impl Node {
    /// Returns the chain to its genesis, in place (dev mode): state, history and clock as they
    /// were right after the first block — the genesis the node built, or the state it loaded
    /// (`--load-state`, or the last [`Node::load_state`]). Pending transactions are dropped and
    /// every snapshot is used up. Returns the genesis header, now the latest.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::HistoryPruned`] if the history back to genesis is
    /// no longer kept (nothing changes); a ledger failure.
    pub fn reset(&self) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.lock_chain();
        let genesis = self.genesis_block()?;
        let oldest = self.inner.ledger.oldest_readable()?;
        if oldest > genesis.height {
            return Err(Rejection::HistoryPruned { genesis: genesis.height, oldest }.into());
        }
        self.drop_pending(&mut chain);
        self.note_replaced_from(genesis.height + 1);
        self.inner.ledger.revert_to(genesis.height)?;
        chain.use_up_snapshots(super::UsedUpBy::Reset);
        chain.clock = self.clock_at_genesis(&genesis);
        self.latest_block()
    }

    /// The state at the latest height, as a state file (dev mode). Pending transactions are not
    /// in it: only what is committed.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn dump_state(&self) -> Result<StateFile, NodeError> {
        self.require_dev()?;
        StateFile::read(&self.view()?, self.inner.config.chain_id)
    }

    /// Starts a new chain from `file`, in place of this one (dev mode): everything the ledger
    /// holds is replaced by one block at the file's height and time that writes its state (see
    /// [`crate::state_file`] for its state root). Pending transactions are dropped, every
    /// snapshot is used up, and a later [`Node::reset`] returns here. Returns that block's header.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::MalformedStateFile`],
    /// [`Rejection::WrongChainId`] (a file of another chain) and [`Rejection::InvalidStateFile`]:
    /// refused, nothing changes; a ledger failure.
    pub fn load_state(&self, file: &StateFile) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        // Validating and compiling the code takes a while: before the writer's lock.
        let block = file.genesis_block(&self.inner.vm, self.inner.config.chain_id)?;
        let mut chain = self.lock_chain();
        self.note_replaced_from(file.height);
        let header = self.inner.ledger.replace_chain(file.height, block)?;
        self.drop_pending(&mut chain);
        chain.use_up_snapshots(super::UsedUpBy::Load);
        chain.clock = self.clock_at_genesis(&header);
        Ok(header)
    }

    /// The lowest height from which blocks were replaced since this node started — by a
    /// revert, a reset or a loaded state (dev mode): a block a client read at that height or
    /// above may be gone, or another block now. `None` while the chain has only grown. Kept in
    /// memory: a restarted node knows nothing of what an earlier process replaced.
    pub fn replaced_from(&self) -> Option<u64> {
        let height = self.inner.replaced_from.load(std::sync::atomic::Ordering::Acquire);
        (height != u64::MAX).then_some(height)
    }

    /// Notes that blocks from `height` on were replaced (see [`Node::replaced_from`]).
    pub(super) fn note_replaced_from(&self, height: u64) {
        self.inner.replaced_from.fetch_min(height, std::sync::atomic::Ordering::AcqRel);
    }

    /// The height of the chain's first block: 0, or a loaded state's height.
    ///
    /// # Errors
    /// A ledger failure.
    pub fn first_height(&self) -> Result<u64, NodeError> {
        Ok(self.genesis_block()?.height)
    }

    /// The chain's first block: block 0, or the first block of a loaded state.
    pub(super) fn genesis_block(&self) -> Result<BlockHeader, NodeError> {
        let store = self.inner.ledger.store();
        let first = store.iter(Table::Blocks, &KeyRange::all(), Direction::Forward)?.next().transpose()?;
        let (key, _) = first.ok_or(HostError::NoGenesis)?;
        let height = <[u8; 8]>::try_from(key.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| HostError::CorruptRecord(format!("block key {key:02x?} is not a height")))?;
        self.inner.ledger.block(height)?.ok_or_else(|| HostError::NoGenesis.into())
    }

    /// Opening a store that holds a chain with a state file configured: the chain must have
    /// begun from that state (a node restarted with the same `--load-state`).
    pub(super) fn check_loaded_from(&self, file: &StateFile) -> Result<(), NodeError> {
        let genesis = self.genesis_block()?;
        let block = file.genesis_block(&self.inner.vm, self.inner.config.chain_id)?;
        let fresh = tidepool_ledger::Ledger::memory().replace_chain(file.height, block)?;
        if fresh == genesis {
            Ok(())
        } else {
            Err(HostError::Genesis(format!(
                "the data directory holds a chain that did not begin from this state file (its first block is {} at \
                 height {}); use an empty data directory to load the file",
                genesis.hash(),
                genesis.height
            ))
            .into())
        }
    }
}
