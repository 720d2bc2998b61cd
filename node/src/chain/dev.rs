//! Dev controls (dev mode only) of state — balances, storage, code — and of blocks: mining on
//! demand, snapshots and reverts. Each change is an ordinary block: durable, in the state root,
//! undone by a revert. With manual or interval mining, a control's block goes before the pending
//! transactions, which stay pending and run again on top of it.

use tidepool_ledger::{Address, BlockHeader, Hash, NewBlock, Overlay};

use super::Node;
use super::clock::BlockClock;
use crate::error::{NodeError, Rejection};
use crate::tx::CheckedTransaction;

/// A dev snapshot: the height to return to, the clock, and the transactions then pending.
#[derive(Clone, Debug)]
pub(super) struct Snapshot {
    height: u64,
    clock: BlockClock,
    pending: Vec<CheckedTransaction>,
}

/// What used up every snapshot at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UsedUpBy {
    Reset,
    Load,
}

impl UsedUpBy {
    fn describe(self) -> &'static str {
        match self {
            UsedUpBy::Reset => "a reset",
            UsedUpBy::Load => "a state load",
        }
    }
}

impl super::ChainState {
    /// Uses up every snapshot (a reset, a load), remembering which did.
    pub(super) fn use_up_snapshots(&mut self, by: UsedUpBy) {
        for (id, _) in self.snapshots.drain(..) {
            self.used_up.insert(id, by);
        }
    }
}

impl Node {
    /// `Ok` on a dev node; otherwise why dev controls are refused here
    /// ([`Rejection::NetworkNode`] on a network validator, [`Rejection::DevModeOnly`] elsewhere).
    ///
    /// # Errors
    /// As above.
    pub fn require_dev(&self) -> Result<(), NodeError> {
        match (self.inner.config.dev, self.inner.config.mining) {
            (_, crate::Mining::Network) => Err(Rejection::NetworkNode.into()),
            (true, _) => Ok(()),
            (false, _) => Err(Rejection::DevModeOnly.into()),
        }
    }

    /// Commits a block that only applies `change` to the state (dev controls use this, so their
    /// effects are ordinary blocks: durable, in the state root, undone by revert), before any
    /// pending transactions. If `change` fails, nothing changes.
    fn dev_block(&self, change: impl FnOnce(&mut Overlay) -> Result<(), NodeError>) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.lock_chain();
        self.commit_before_pending(&mut chain, |context| {
            let mut overlay = self.inner.ledger.overlay();
            change(&mut overlay)?;
            Ok(NewBlock { time: context.time, changes: overlay.into_changes(), txs: vec![] })
        })
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

    /// Makes `contract` run the uploaded code `code_hash` from the next call on, without running
    /// any entry point (dev mode): no `migrate`, whoever the admin is. Storage stays as it is.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownContract`]; [`Rejection::UnknownCode`]
    /// (the code must be uploaded first); a ledger failure.
    pub fn set_code(&self, contract: &Address, code_hash: &Hash) -> Result<BlockHeader, NodeError> {
        self.dev_block(|overlay| {
            let mut instance = overlay.instance(contract)?.ok_or(Rejection::UnknownContract(*contract))?;
            if overlay.code_meta(code_hash)?.is_none() {
                return Err(Rejection::UnknownCode(*code_hash).into());
            }
            instance.code_hash = *code_hash;
            overlay.set_instance(contract, &instance);
            Ok(())
        })
    }

    /// Mines `count` blocks (dev mode; at least one); the first includes any pending
    /// transactions, the others are empty and share one block time.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::HeightOutOfRange`] if the last would pass
    /// 2^53 − 1 (nothing is mined); a ledger failure.
    pub fn mine(&self, count: u32) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.lock_chain();
        let mut count = count.max(1);
        // All of them or none: refused before the first if the last would pass the last height.
        let latest = self.inner.ledger.head().ok_or(crate::error::HostError::NoGenesis)?;
        super::height_above(latest.height, u64::from(count))?;
        if chain.pending.is_some() {
            let header = self.mine_locked(&mut chain)?;
            count -= 1;
            if count == 0 {
                return Ok(header);
            }
        }
        // The rest are empty blocks at the next block time: one write for all of them, not one
        // per block (10,000 single commits take seconds).
        let time = self.next_block_time(&chain)?;
        let times = vec![time; count as usize];
        let header = self.inner.ledger.commit_empty_blocks(&times)?.expect("at least one block");
        self.clock_after_block(&mut chain, time);
        Ok(header)
    }

    /// Records the current state, clock and pending transactions; [`Node::revert`] returns to
    /// them (dev mode). Nothing is mined.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; a ledger failure.
    pub fn snapshot(&self) -> Result<u64, NodeError> {
        self.require_dev()?;
        let mut chain = self.lock_chain();
        let height = self.latest_block()?.height;
        let id = chain.next_snapshot_id;
        chain.next_snapshot_id += 1;
        let pending = chain.pending.as_ref().map(|p| p.checked.clone()).unwrap_or_default();
        let clock = chain.clock;
        chain.snapshots.push((id, Snapshot { height, clock, pending }));
        Ok(id)
    }

    /// Returns state, history, clock and pending transactions to snapshot `id`; that snapshot
    /// and later ones are used up (as in anvil). Returns the header now latest.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::UnknownSnapshot`] ([`Rejection::SnapshotUsedUp`]
    /// if a reset or a load used it up); [`Rejection::HeightPruned`]
    /// if the history back to the snapshot was pruned (nothing changes, the snapshot stays); a
    /// ledger failure.
    pub fn revert(&self, id: u64) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let mut chain = self.lock_chain();
        let Some(position) = chain.snapshots.iter().position(|(i, _)| *i == id) else {
            return Err(match chain.used_up.get(&id) {
                Some(by) => Rejection::SnapshotUsedUp { id, by: by.describe() },
                None => Rejection::UnknownSnapshot(id),
            }
            .into());
        };
        let snapshot = chain.snapshots[position].1.clone();
        // The undo records back to the snapshot may be pruned (`--history-blocks`).
        let oldest = self.inner.ledger.oldest_readable()?;
        if snapshot.height < oldest {
            return Err(Rejection::HeightPruned { height: snapshot.height, oldest }.into());
        }
        chain.snapshots.truncate(position);
        self.drop_pending(&mut chain);
        // Noted first: a stream that reads the new chain must already see it (noting early is
        // only conservative, if the revert then fails).
        self.note_replaced_from(snapshot.height + 1);
        self.inner.ledger.revert_to(snapshot.height)?;
        chain.clock = snapshot.clock;
        self.reopen_pending(&mut chain, snapshot.pending);
        self.latest_block()
    }
}
