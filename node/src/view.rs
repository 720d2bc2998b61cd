//! Reads at one committed height: [`View`].
//!
//! Every read the node serves — an account, balances in several tokens, a contract query that
//! reads many keys, a page of storage, events — goes through one [`View`], which reads one
//! snapshot of the ledger ([`tidepool_ledger::StateView`]). A block committed meanwhile is not
//! seen, so an answer never mixes two heights, and [`View::height`] says which one it read.

use tidepool_ledger::store::Entry;
use tidepool_ledger::{
    Account, Address, BlockHeader, CodeMeta, ContractInstance, Direction, EventFilter, EventRecord, Hash, KeyRange,
    Overlay, StateView,
};
use tidepool_vm::{Call, CallKind, Env, Outcome};

use crate::chain::{Node, QUERY_GAS_LIMIT, QUICK_QUERY_GAS, StoredTx};
use crate::error::{HostError, NodeError, Rejection};
use crate::genesis::{MarketInfo, TokenBalance, market_info};
use crate::receipt::Receipt;
use crate::record::decode_receipt;

/// The node's committed state at one height. Cheap to make and to clone; holds a snapshot of
/// the ledger until dropped, so keep it for one request, not for long.
#[derive(Clone)]
pub struct View {
    node: Node,
    state: StateView,
}

impl View {
    pub(crate) fn new(node: Node, state: StateView) -> View {
        View { node, state }
    }

    /// The height this view reads (every answer built from it is as of the end of this block).
    pub fn height(&self) -> u64 {
        self.state.height()
    }

    /// The header of the block this view reads.
    pub fn header(&self) -> &BlockHeader {
        self.state.header()
    }

    /// The ledger view underneath.
    pub fn state(&self) -> &StateView {
        &self.state
    }

    /// An account's nonce and native balance (zero for an address never seen).
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn account(&self, address: &Address) -> Result<Account, NodeError> {
        Ok(self.state.account(address)?)
    }

    /// A contract instance.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractInstance>, NodeError> {
        Ok(self.state.instance(address)?)
    }

    /// Uploaded code's metadata.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn code_meta(&self, hash: &Hash) -> Result<Option<CodeMeta>, NodeError> {
        Ok(self.state.code_meta(hash)?)
    }

    /// Runs a contract's `query` entry point on this view's state.
    ///
    /// # Errors
    /// [`Rejection::UnknownContract`]; a VM failure. A contract error is a `Reverted` outcome.
    pub fn query(&self, contract: &Address, msg: &[u8]) -> Result<Outcome, NodeError> {
        let mut overlay = self.state.overlay();
        let (env, call) = self.query_call(&overlay, contract, msg)?;
        let _slot = self.node.admission().enter();
        Ok(self.node.vm().call(&mut overlay, &env, call)?)
    }

    /// [`View::query`] if it can be answered quickly: within [`QUICK_QUERY_GAS`], by modules
    /// already compiled in memory, with a VM slot free now ([`tidepool_vm::Vm::try_quick_call`]).
    /// It never waits, loads or compiles, so an async worker may run it; `Ok(None)` means
    /// "run [`View::query`] on a blocking thread", whose answer may differ.
    ///
    /// # Errors
    /// As [`View::query`].
    pub fn try_quick_query(&self, contract: &Address, msg: &[u8]) -> Result<Option<Outcome>, NodeError> {
        let mut overlay = self.state.overlay();
        let (env, call) = self.query_call(&overlay, contract, msg)?;
        let Some(_slot) = self.node.admission().try_enter() else {
            return Ok(None);
        };
        Ok(self.node.vm().try_quick_call(&mut overlay, &env, call, QUICK_QUERY_GAS)?)
    }

    /// The call a query of `contract` makes, in this view's block.
    fn query_call(&self, overlay: &Overlay, contract: &Address, msg: &[u8]) -> Result<(Env, Call), NodeError> {
        if overlay.instance(contract)?.is_none() {
            return Err(Rejection::UnknownContract(*contract).into());
        }
        let header = self.state.header();
        let env = Env {
            chain_id: self.node.config().chain_id,
            height: header.height,
            time: header.time,
            origin: Address::ZERO,
        };
        let call = Call {
            sender: Address::ZERO,
            contract: *contract,
            kind: CallKind::Query,
            msg: msg.to_vec(),
            funds: 0,
            gas_limit: QUERY_GAS_LIMIT,
        };
        Ok((env, call))
    }

    /// Up to `limit` raw storage entries of `contract` in `range`, in key order.
    ///
    /// # Errors
    /// [`Rejection::UnknownContract`]; a ledger failure.
    pub fn storage(&self, contract: &Address, range: &KeyRange, limit: usize) -> Result<Vec<Entry>, NodeError> {
        let overlay = self.state.overlay();
        if overlay.instance(contract)?.is_none() {
            return Err(Rejection::UnknownContract(*contract).into());
        }
        let entries = overlay.storage_iter(contract, range, Direction::Forward)?.take(limit);
        Ok(entries.collect::<Result<_, _>>()?)
    }

    /// The dev market's contracts, if this state has them.
    pub fn market(&self) -> Option<MarketInfo> {
        let market = market_info();
        match self.contract(&market.pool) {
            Ok(Some(_)) => Some(market),
            _ => None,
        }
    }

    /// The balances of `owner` in the tokens the node indexes (the dev market's tokens).
    ///
    /// # Errors
    /// [`Rejection::TokenUnreadable`] for a token whose `balance` query fails or answers
    /// something else (only dev controls can make a market token do that); a host failure.
    pub fn token_balances(&self, owner: &Address) -> Result<Vec<TokenBalance>, NodeError> {
        let Some(market) = self.market() else { return Ok(Vec::new()) };
        let mut out = Vec::with_capacity(market.tokens.len());
        for token in market.tokens {
            let msg = serde_json::json!({"balance": {"address": owner}}).to_string();
            let outcome = self.query(&token.address, msg.as_bytes())?;
            let unreadable = |what: String| {
                Rejection::TokenUnreadable(format!(
                    "{} ({}) cannot tell a balance: {what}",
                    token.symbol, token.address
                ))
            };
            if !outcome.status.is_success() {
                return Err(unreadable(format!("its balance query failed: {}", outcome.status)).into());
            }
            let answer = crate::receipt::json_or_hex(&outcome.return_data);
            let balance = answer["balance"].as_str().and_then(|b| b.parse().ok());
            let balance = balance.ok_or_else(|| {
                let shown: String = answer.to_string().chars().take(200).collect();
                unreadable(format!("its balance query answered {shown}"))
            })?;
            out.push(TokenBalance { token: token.address, symbol: token.symbol, decimals: token.decimals, balance });
        }
        Ok(out)
    }

    /// The block header at `height`, if it is at or below this view's height.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn block(&self, height: u64) -> Result<Option<BlockHeader>, NodeError> {
        Ok(self.state.block(height)?)
    }

    /// A committed transaction and its receipt.
    ///
    /// # Errors
    /// Only if the ledger fails or holds undecodable bytes.
    pub fn transaction(&self, hash: &Hash) -> Result<Option<(StoredTx, Receipt)>, NodeError> {
        let (Some(tx), Some(receipt)) = (self.stored_tx(hash)?, self.state.receipt(hash)?) else {
            return Ok(None);
        };
        let receipt = decode_receipt(&receipt).map_err(|e| HostError::CorruptRecord(format!("receipt {hash}: {e}")))?;
        Ok(Some((tx, receipt)))
    }

    /// A committed transaction without its receipt (a replay needs only the transactions).
    ///
    /// # Errors
    /// Only if the ledger fails or holds undecodable bytes.
    pub fn stored_tx(&self, hash: &Hash) -> Result<Option<StoredTx>, NodeError> {
        let Some(tx) = self.state.tx(hash)? else { return Ok(None) };
        let tx =
            serde_json::from_slice(&tx).map_err(|e| HostError::CorruptRecord(format!("transaction {hash}: {e}")))?;
        Ok(Some(tx))
    }

    /// Events matching `filter` up to this view's height, oldest first.
    ///
    /// # Errors
    /// Only if the ledger fails.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, NodeError> {
        Ok(self.state.events(filter)?)
    }
}
