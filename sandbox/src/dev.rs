//! The Sandbox's anvil-grade dev controls: transactions left pending until you mine them, the
//! next block's exact time, reset, code replacement without migrate, state files, warps that
//! keep the market's prices fresh. The same controls as a `--dev` node's `/dev/*` routes.

use std::sync::Arc;

use serde::Serialize;
use tidepool_ledger::Hash;
use tidepool_node::chain::Submitted;
use tidepool_node::config::Mining;
use tidepool_node::error::{NodeError, Rejection};
use tidepool_node::state_file::StateFile;
use tidepool_node::tx::Action;

use super::{Code, Contract, Executed, HasAddress, Sandbox, SandboxError, Sender, to_json};

/// A transaction sent with [`Sandbox::submit`] or [`Contract::submit`]: with manual mining, it
/// waits in the pending block until [`Sandbox::mine`]; then [`PendingTx::result`] has its outcome.
#[derive(Clone)]
pub struct PendingTx {
    sandbox: Sandbox,
    hash: Hash,
}

impl PendingTx {
    /// The transaction's hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// Its outcome, once mined: as [`Contract::execute`] would have returned it.
    ///
    /// # Errors
    /// A [`Rejected`](super::ErrorKind::Rejected) error saying it is still pending, or the
    /// transaction's own failure.
    ///
    /// # Panics
    /// If the transaction is neither pending nor mined: a dev control's block went before it and
    /// the state then refused it (its sender's funds were taken, say), so it was dropped.
    pub fn result(&self) -> Result<Executed, SandboxError> {
        let names = self.sandbox.names();
        let found = self.sandbox.node().transaction(&self.hash).map_err(|e| match e {
            NodeError::Rejected(Rejection::PendingTransaction(hash)) => SandboxError::rejected_as(
                format!(
                    "transaction {hash} is pending: it waits for a block and has no receipt yet (sandbox.mine() \
                     mines it, as does any call that returns a result, such as execute)"
                ),
                e,
                names,
            ),
            e => SandboxError::rejected(e, names),
        })?;
        let (_, receipt) = found.unwrap_or_else(|| {
            panic!("transaction {} was dropped: the state a dev control left refused it", self.hash)
        });
        if receipt.is_success() {
            Ok(Executed::new(receipt, names.clone()))
        } else {
            Err(SandboxError::failed(receipt, names))
        }
    }
}

impl std::fmt::Debug for PendingTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PendingTx({})", self.hash)
    }
}

impl Contract {
    /// [`Contract::execute`] without waiting for the block: the transaction joins the pending
    /// block (manual mining, see [`Sandbox::set_mining`]) and its outcome is
    /// [`PendingTx::result`] once [`Sandbox::mine`] has mined it. With automine it is mined at
    /// once, like `execute`.
    ///
    /// # Errors
    /// A rejection: the node refused the transaction (nothing changed).
    pub fn submit(&self, sender: &impl Sender, msg: &impl Serialize) -> Result<PendingTx, SandboxError> {
        let action = Action::Execute { contract: self.address, msg: to_json(msg)?, funds: 0 };
        self.sandbox.submit(sender, action)
    }
}

impl Sandbox {
    /// A Sandbox whose chain starts from a state file (see [`Sandbox::dump_state`]): its first
    /// block holds the file's state, at the file's height and time, and the manual clock starts
    /// there. Accounts and contracts are whatever the file holds.
    ///
    /// # Errors
    /// The file cannot be loaded (another chain's, invalid code, a state root that does not
    /// match its state).
    pub fn from_state(file: &StateFile) -> Result<Sandbox, NodeError> {
        let config = tidepool_node::NodeConfig {
            chain_id: file.chain_id,
            clock: tidepool_node::Clock::Manual { genesis_time: file.time },
            genesis_state: Some(Arc::new(file.clone())),
            ..Sandbox::config()
        };
        Sandbox::with_config(config)
    }

    /// How blocks are made: [`Mining::Auto`] (the default: every call is mined at once) or
    /// [`Mining::Manual`] (transactions sent with [`Sandbox::submit`] or [`Contract::submit`]
    /// wait until [`Sandbox::mine`], so several can share a block). Calls that return a result
    /// ([`Contract::execute`] and the like) mine at once in either mode, taking whatever is
    /// pending into their block. Switching to automine mines what is pending.
    ///
    /// # Panics
    /// For [`Mining::Interval`]: nothing in a Sandbox happens by itself (its clock is manual), so
    /// there is no miner to run it.
    pub fn set_mining(&self, mode: Mining) {
        assert!(
            !matches!(mode, Mining::Interval(_)),
            "a Sandbox has no interval miner (nothing in it happens by itself): use Mining::Manual and Sandbox::mine"
        );
        self.node().set_mining(mode).unwrap_or_else(|e| panic!("set_mining: {e}"));
    }

    /// How blocks are made now.
    pub fn mining(&self) -> Mining {
        self.node().mining()
    }

    /// Sends `action` from `sender` at its next nonce (counting its pending transactions),
    /// without waiting for the block: see [`Contract::submit`].
    ///
    /// # Errors
    /// A rejection: the node refused the transaction (nothing changed).
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool_sandbox::{ACCOUNT_BALANCE, Action, Mining, Sandbox};
    ///
    /// let sandbox = Sandbox::new();
    /// let (alice, bob) = (sandbox.account("alice"), sandbox.account("bob"));
    /// sandbox.set_mining(Mining::Manual);
    /// let pending = sandbox.submit(&alice, Action::Transfer { to: bob.address(), amount: 5 })?;
    /// assert!(pending.result().is_err(), "not mined yet");
    /// sandbox.mine();
    /// pending.result()?;
    /// assert_eq!(sandbox.balance(&bob), ACCOUNT_BALANCE + 5);
    /// # Ok::<(), tidepool_sandbox::SandboxError>(())
    /// ```
    pub fn submit(&self, sender: &impl Sender, action: Action) -> Result<PendingTx, SandboxError> {
        let names = self.names();
        let rejected = |e| SandboxError::rejected(e, names);
        let _one_at_a_time = self.inner.send.lock();
        let tx = self.transaction(sender, action).map_err(rejected)?;
        let submitted = match sender.signing_key() {
            Some(key) => tx.sign(key).and_then(|signed| self.node().submit(&signed)),
            None => self.node().impersonate(tx),
        };
        let hash = match submitted.map_err(rejected)? {
            Submitted::Mined(receipt) => receipt.tx_hash(),
            Submitted::Pending { tx_hash } => tx_hash,
        };
        Ok(PendingTx { sandbox: self.clone(), hash })
    }

    /// Mines one block now: the pending transactions (or none). Returns its height.
    pub fn mine(&self) -> u64 {
        self.node().mine(1).unwrap_or_else(|e| panic!("mine: {e}")).height
    }

    /// Gives the next block exactly `time` (Unix seconds); the clock stays there afterwards.
    ///
    /// # Errors
    /// A rejection if `time` is before the latest block's or past
    /// [`MAX_BLOCK_TIME`](tidepool_node::MAX_BLOCK_TIME) (nothing changes).
    pub fn set_next_block_time(&self, time: u64) -> Result<(), SandboxError> {
        self.node().set_next_block_time(time).map(|_| ()).map_err(|e| SandboxError::rejected(e, self.names()))
    }

    /// [`Sandbox::warp`], and the sample market's oracle prices published again in the warp's
    /// block at the new time (unchanged, by the oracle's owner), so positions can still be valued
    /// (the pool refuses prices over an hour old). Needs a `Sandbox::with_market` chain.
    ///
    /// # Panics
    /// Without the market, or if the oracle refuses (its owner or code was changed).
    pub fn warp_and_refresh_prices(&self, seconds: u64) {
        self.node().warp_with(seconds, true).unwrap_or_else(|e| panic!("warp_and_refresh_prices: {e}"));
    }

    /// Returns the chain to its genesis (or to the state it was loaded from), in place: balances,
    /// contracts, storage, history and clock. Pending transactions are dropped and every snapshot
    /// is used up; accounts keep their names in traces, and [`Sandbox::account`] funds them again.
    pub fn reset(&self) {
        let genesis = self.node().reset().unwrap_or_else(|e| panic!("reset: {e}"));
        self.forget_accounts_after(genesis.height);
    }

    /// Makes `contract` run `code` from its next call on, without `migrate` and whoever its
    /// admin is; its storage stays.
    ///
    /// # Errors
    /// A rejection if there is no such contract or the code was never uploaded (nothing changes).
    pub fn set_code(&self, contract: &impl HasAddress, code: &Code) -> Result<(), SandboxError> {
        let result = self.node().set_code(&contract.address(), &code.hash);
        result.map(|_| ()).map_err(|e| SandboxError::rejected(e, self.names()))
    }

    /// The chain's state at its latest height, as a state file: keep it (`serde_json`) and start
    /// another Sandbox from it with [`Sandbox::from_state`], or load it with
    /// [`Sandbox::load_state`]. Pending transactions are not in it.
    pub fn dump_state(&self) -> StateFile {
        self.node().dump_state().unwrap_or_else(|e| panic!("dump_state: {e}"))
    }

    /// Replaces the chain with one that starts from `file`, in place (see
    /// [`Sandbox::from_state`]); a later [`Sandbox::reset`] returns here. [`Sandbox::account`]
    /// funds each name again if the file has no such account.
    ///
    /// # Errors
    /// A rejection if the file cannot be loaded (nothing changes).
    pub fn load_state(&self, file: &StateFile) -> Result<(), SandboxError> {
        self.node().load_state(file).map_err(|e| SandboxError::rejected(e, self.names()))?;
        self.forget_accounts();
        Ok(())
    }
}
