//! Dev controls of time: a warp moves the clock forward and mines a block at the new time — with
//! the dev market's oracle prices published again in it, if asked, so that positions can still be
//! valued — and [`Node::set_next_block_time`] gives the next block an exact time.

use serde_json::{Value, json};
use tidepool_ledger::{Address, BlockHeader, NewBlock};

use super::Node;
use super::block_time;
use super::submit::Prepared;
use crate::apply::MAX_TX_GAS;
use crate::error::{HostError, NodeError, Rejection};
use crate::tx::{Action, CheckedTransaction, Transaction};

/// The height and time the next block will have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextBlock {
    /// Its height.
    pub height: u64,
    /// Its time, Unix seconds.
    pub time: u64,
}

/// The dev market's oracle prices as they are, to publish again at a new time.
struct PriceRefresh {
    oracle: Address,
    /// Whoever the oracle says may set prices (dev account 0 at genesis).
    owner: Address,
    /// `{asset, price}` for every market token with a price.
    prices: Vec<Value>,
}

impl Node {
    /// Moves the clock forward by `seconds` and mines a block at the new time (dev mode):
    /// [`Node::warp_with`] without refreshing prices.
    ///
    /// # Errors
    /// As [`Node::warp_with`].
    pub fn warp(&self, seconds: u64) -> Result<BlockHeader, NodeError> {
        self.warp_with(seconds, false)
    }

    /// Moves the clock forward by `seconds` from the next block's time and mines a block at the
    /// new time (dev mode), before any pending transactions (which then run at the new time).
    ///
    /// With `refresh_prices`, that block also holds a transaction of the dev market oracle's
    /// owner, impersonated, that sets every market token's price again — unchanged, but stamped
    /// with the new time — so the pool, which refuses prices over an hour old, can still value
    /// positions after the warp.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`] if the new time would be
    /// past [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME); [`Rejection::NoDevMarket`] and
    /// [`Rejection::PriceRefreshFailed`] with `refresh_prices`; a ledger failure. Refused, nothing
    /// changes.
    pub fn warp_with(&self, seconds: u64, refresh_prices: bool) -> Result<BlockHeader, NodeError> {
        self.require_dev()?;
        let refresh = if refresh_prices { Some(self.price_refresh()?) } else { None };
        let mut chain = self.lock_chain();
        let time = block_time(self.next_block_time(&chain)?.saturating_add(seconds))?;
        let clock = chain.clock;
        chain.clock.next = Some(time);
        let committed = self.commit_before_pending(&mut chain, |context| {
            let mut overlay = self.inner.ledger.overlay();
            let mut txs = Vec::new();
            if let Some(refresh) = refresh {
                let nonce = overlay.account(&refresh.owner)?.nonce;
                let msg = json!({ "set_prices": { "prices": refresh.prices } });
                let action = Action::Execute { contract: refresh.oracle, msg, funds: 0 };
                let tx = Transaction {
                    chain_id: self.inner.config.chain_id,
                    nonce,
                    from: refresh.owner,
                    gas_limit: MAX_TX_GAS,
                    action,
                };
                let tx = Prepared::new(CheckedTransaction::impersonated(tx)?);
                let (receipt, block_tx) = self.execute_into(&mut overlay, context, tx, 0)?;
                if !receipt.is_success() {
                    let error = receipt.error.unwrap_or_else(|| format!("{:?}", receipt.status));
                    return Err(Rejection::PriceRefreshFailed(error).into());
                }
                txs.push(block_tx);
            }
            Ok(NewBlock { time: context.time, changes: overlay.into_changes(), txs })
        });
        if committed.is_err() {
            chain.clock = clock;
        }
        committed
    }

    /// Gives the next block exactly `time` (dev mode): not before the latest block's time, at
    /// most [`MAX_BLOCK_TIME`](crate::MAX_BLOCK_TIME). The block after goes on from there (a
    /// manual clock stays at `time`; the wall clock runs on from it). Pending transactions run
    /// again at `time`.
    ///
    /// # Errors
    /// [`Rejection::DevModeOnly`]; [`Rejection::BlockTimeOutOfRange`];
    /// [`Rejection::BlockTimeBeforeLatest`]. Refused, nothing changes.
    pub fn set_next_block_time(&self, time: u64) -> Result<NextBlock, NodeError> {
        self.require_dev()?;
        block_time(time)?;
        let mut chain = self.lock_chain();
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        if time < latest.time {
            return Err(Rejection::BlockTimeBeforeLatest { requested: time, latest: latest.time }.into());
        }
        chain.clock.next = Some(time);
        if let Some(pending) = chain.pending.take_if(|pending| pending.context.time != time) {
            self.reopen_pending(&mut chain, pending.checked);
        }
        Ok(NextBlock { height: latest.height + 1, time })
    }

    /// The height and time the next block will have as things stand: the pinned time, or the
    /// clock's reading (for a banner or a status line; the block itself may come later).
    ///
    /// # Errors
    /// [`HostError::NoGenesis`].
    pub fn next_block(&self) -> Result<NextBlock, NodeError> {
        let chain = self.lock_chain();
        let time = self.next_block_time(&chain)?;
        let latest = self.inner.ledger.head().ok_or(HostError::NoGenesis)?;
        Ok(NextBlock { height: latest.height.saturating_add(1), time })
    }

    /// The oracle's owner and current prices, read from the latest block.
    fn price_refresh(&self) -> Result<PriceRefresh, NodeError> {
        let view = self.view()?;
        let market = view.market().ok_or(Rejection::NoDevMarket)?;
        let query = |msg: Value| -> Result<Option<Value>, NodeError> {
            let outcome = view.query(&market.oracle, msg.to_string().as_bytes())?;
            Ok(outcome.status.is_success().then(|| serde_json::from_slice(&outcome.return_data).ok()).flatten())
        };
        let config = query(json!({ "config": {} }))?;
        let owner = config
            .and_then(|config| config["owner"].as_str().and_then(|owner| Address::from_hex(owner).ok()))
            .ok_or_else(|| Rejection::PriceRefreshFailed("the oracle does not say who its owner is".into()))?;
        let mut prices = Vec::new();
        for token in &market.tokens {
            // A token the oracle never priced stays unpriced.
            if let Some(answer) = query(json!({ "price": { "asset": token.address } }))?
                && let Some(price) = answer.get("price")
            {
                prices.push(json!({ "asset": token.address, "price": price }));
            }
        }
        Ok(PriceRefresh { oracle: market.oracle, owner, prices })
    }
}
