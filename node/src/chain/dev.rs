//! Dev controls (dev mode only): balances, storage, time warps, mining on demand, snapshots and
//! reverts, impersonation. Each change is an ordinary block: durable, in the state root, undone
//! by a revert.

use tidepool_ledger::{Address, BlockHeader, NewBlock, Overlay};

use super::{Node, block_time};
use crate::error::{NodeError, Rejection};

/// A dev snapshot: the height to return to and the clock offset at the time.
#[derive(Clone, Copy, Debug)]
pub(super) struct Snapshot {
    height: u64,
    time_offset: u64,
}

impl Node {
    pub(super) fn require_dev(&self) -> Result<(), NodeError> {
        if self.inner.config.dev { Ok(()) } else { Err(Rejection::DevModeOnly.into()) }
    }

    /// Commits a block that only applies `change` to the state (dev controls use this, so their
    /// effects are ordinary blocks: durable, in the state root, undone by revert).
    fn dev_block(&self, change: impl FnOnce(&mut Overlay) -> Result<(), NodeError>) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        let context = self.next_block_context(&chain)?;
        let mut overlay = self.inner.ledger.overlay();
        change(&mut overlay)?;
        Ok(self.inner.ledger.commit_block(NewBlock {
            time: context.time,
            changes: overlay.into_changes(),
            txs: vec![],
        })?)
    }

    /// Sets an address's native balance (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn set_balance(&self, address: &Address, balance: u128) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            let mut account = overlay.account(address)?;
            account.balance = balance;
            overlay.set_account(address, &account);
            Ok(())
        })
    }

    /// Sets the native balances of many addresses in one block (dev mode): [`Node::set_balance`]
    /// for each, committed once, so a fixture or a load test can create many accounts at once.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn set_balances(&self, balances: &[(Address, u128)]) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            for (address, balance) in balances {
                let mut account = overlay.account(address)?;
                account.balance = *balance;
                overlay.set_account(address, &account);
            }
            Ok(())
        })
    }

    /// Adds native tokens to an address (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BalanceOverflow`]; a ledger failure.
    pub fn faucet(&self, address: &Address, amount: u128) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            let mut account = overlay.account(address)?;
            account.balance = account.balance.checked_add(amount).ok_or(Rejection::BalanceOverflow)?;
            overlay.set_account(address, &account);
            Ok(())
        })
    }

    /// Writes a raw storage value of a contract (dev mode); `None` removes the key.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownContract`]; a ledger failure.
    pub fn set_storage(&self, contract: &Address, key: &[u8], value: Option<&[u8]>) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            if overlay.instance(contract)?.is_none() {
                return Err(Rejection::UnknownContract(*contract).into());
            }
            match value {
                Some(v) => overlay.storage_set(contract, key, v),
                None => overlay.storage_remove(contract, key),
            }
            Ok(())
        })
    }

    /// Moves the clock forward by `seconds` and mines a block at the new time (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`] if the new time would be
    /// past [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME) (nothing changes); a ledger failure.
    pub fn warp(&self, seconds: u64) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        // Refused before anything is mined: a warp past the last representable block time
        // changes nothing.
        let offset = chain.time_offset.saturating_add(seconds);
        block_time(self.clock_base().saturating_add(offset))?;
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        chain.time_offset = offset;
        self.mine_locked(&mut chain)
    }

    /// Mines `count` blocks (dev mode; at least one); the first includes any pending
    /// transactions, the others are empty and share one block time.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`] once the clock is past
    /// [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME); a ledger failure.
    pub fn mine(&self, count: u32) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        let mut count = count.max(1);
        if chain.pending.is_some() {
            let header = self.mine_locked(&mut chain)?;
            count -= 1;
            if count == 0 {
                return Ok(header);
            }
        }
        // The rest are empty blocks at the current block time: one write for all of them, not
        // one per block (10,000 single commits take seconds).
        let time = self.next_block_context(&chain)?.time;
        let times = vec![time; count as usize];
        Ok(self.inner.ledger.commit_empty_blocks(&times)?.expect("at least one block"))
    }

    /// Records the current state; [`Node::revert`] returns to it (dev mode).
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn snapshot(&self) -> Result<u64, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        if chain.pending.is_some() {
            self.mine_locked(&mut chain)?;
        }
        let height = self.latest_block()?.height;
        let id = chain.next_snapshot_id;
        chain.next_snapshot_id += 1;
        let time_offset = chain.time_offset;
        chain.snapshots.push((id, Snapshot { height, time_offset }));
        Ok(id)
    }

    /// Returns state, history and clock to snapshot `id`; that snapshot and later ones are used
    /// up (as in anvil). Returns the header now latest.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownSnapshot`]; a ledger failure.
    pub fn revert(&self, id: u64) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.inner.chain.lock();
        let position = chain.snapshots.iter().position(|(i, _)| *i == id).ok_or(Rejection::UnknownSnapshot(id))?;
        let snapshot = chain.snapshots[position].1;
        chain.snapshots.truncate(position);
        chain.pending = None;
        self.inner.ledger.revert_to(snapshot.height)?;
        chain.time_offset = snapshot.time_offset;
        self.latest_block()
    }
}
