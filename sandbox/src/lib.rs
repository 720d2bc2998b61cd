//! The Sandbox: a Tidepool node in your process, for contract tests.
//!
//! A [`Sandbox`] wraps a real [`Node`] over the in-memory ledger. Every call is a real
//! transaction, signed with the sending account's own key and submitted through
//! [`Node::submit`]: signatures, nonces, gas metering, limits and receipts are exactly the
//! server's, with the production gas schedule and limits. Nothing is mocked, and nothing needs
//! RocksDB or a network.
//!
//! Where to start:
//! - [`Sandbox::new`] (empty chain) or `Sandbox::with_market` (cargo feature `market`: the sample
//!   lending market deployed at genesis, as `tidepool node --dev --market` has it);
//! - [`Sandbox::account`]: a funded account whose key derives from its name;
//! - [`Sandbox::upload`] + [`Sandbox::instantiate`] → a [`Contract`], or [`Sandbox::deploy`];
//!   wasm comes from [`build_contract`] (your crate, built and cached) or any bytes;
//! - [`Contract::execute`] → [`Executed`] (result, gas, events, call tree) or a
//!   [`SandboxError`] (message, kind, trace); [`Contract::query`] decodes into your types;
//! - block control ([`Sandbox::warp`], [`Sandbox::advance_blocks`]), [`Sandbox::snapshot`] /
//!   [`Sandbox::revert`], [`Sandbox::impersonate`]; the anvil-grade controls of a dev node —
//!   manual mining ([`Sandbox::set_mining`], [`Contract::submit`], [`Sandbox::mine`]), the next
//!   block's time, [`Sandbox::reset`], [`Sandbox::set_code`], state files
//!   ([`Sandbox::dump_state`], [`Sandbox::from_state`]), [`Sandbox::warp_and_refresh_prices`];
//! - assertions: [`TxResultExt::expect_success`] / [`TxResultExt::expect_error`],
//!   [`Executed::assert_event`], [`Sandbox::assert_balance`]; failures print the readable
//!   [`trace`];
//! - [`GasSnapshot`]: gas per named scenario in a file (lines, or a markdown report such as
//!   `contracts/GAS.md`), checked in CI.
//!
//! # Examples
//!
//! ```
//! use serde::Deserialize;
//! use serde_json::json;
//! use tidepool_sandbox::{Sandbox, TxResultExt};
//!
//! #[derive(Deserialize)]
//! struct Balance { balance: String }
//!
//! let sandbox = Sandbox::new();
//! let alice = sandbox.account("alice");
//! let bob = sandbox.account("bob");
//!
//! // Your contract: `build_contract(env!("CARGO_MANIFEST_DIR"))?`; here the sample token.
//! let token = sandbox
//!     .deploy(tidepool_artifacts::TOKEN, &alice, &json!({
//!         "name": "Coin", "symbol": "COIN", "decimals": 6,
//!         "initial_balances": [{"address": alice.address(), "amount": "1000"}],
//!     }), "coin")
//!     .expect_success();
//!
//! let sent = token.execute(&alice, &json!({"transfer": {"to": bob.address(), "amount": "400"}})).expect_success();
//! sent.assert_event("transfer", &json!({"from": alice.address(), "to": bob.address(), "amount": "400"}));
//! println!("transfer used {} gas\n{sent:?}", sent.gas_used());
//!
//! let bob_has: Balance = token.query(&json!({"balance": {"address": bob.address()}})).unwrap();
//! assert_eq!(bob_has.balance, "400");
//!
//! token.execute(&bob, &json!({"transfer": {"to": alice.address(), "amount": "401"}}))
//!     .expect_error("insufficient balance");
//! ```

mod account;
mod assert;
pub mod build;
mod contract;
mod dev;
mod error;
mod executed;
pub mod gas_snapshot;
pub mod trace;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use tidepool_vm::VmConfig;

use tidepool_node::apply::MAX_TX_GAS;
use tidepool_node::chain::{Node, Submitted};
use tidepool_node::config::{Clock, NodeConfig, ONE_TOKEN, StoreConfig};
use tidepool_node::error::{NodeError, Rejection};
use tidepool_node::genesis::MarketInfo;
use tidepool_node::tx::Transaction;
use trace::Names;

pub use account::{Account, HasAddress, Impersonated, Sender};
pub use assert::TxResultExt;
pub use build::{BuildError, ContractBuild, build_contract};
pub use contract::{Code, Contract};
pub use dev::PendingTx;
pub use error::{ErrorKind, SandboxError};
pub use executed::Executed;
pub use gas_snapshot::{GasChange, GasFigure, GasMode, GasSnapshot, GasSnapshotError};
pub use tidepool_ledger::{Address, Hash};
pub use tidepool_node::diff::StateDiff;
pub use tidepool_node::trace::TraceFrame;

pub use tidepool_node::config::Mining;
pub use tidepool_node::receipt::ReceiptEvent;
pub use tidepool_node::state_file::StateFile;
/// What a transaction does, for [`Sandbox::submit`]: the node's own type. Its fields are an
/// [`Address`], a [`Hash`](struct@Hash) (a [`Code`]'s `hash`), a `serde_json::Value` message,
/// `u128` amounts, the wasm bytes and a label.
pub use tidepool_node::tx::Action;

/// Native balance [`Sandbox::account`] gives a new account: one million tokens.
pub const ACCOUNT_BALANCE: u128 = 1_000_000 * ONE_TOKEN;

/// Block time of a Sandbox's genesis (2023-11-14T22:13:20Z). The clock is manual: it moves only
/// by [`Sandbox::warp`], so every run produces the same blocks, results and gas figures.
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// The account [`Sandbox::upload`] uploads from.
pub const DEPLOYER: &str = "deployer";

/// Everything a test needs in one `use tidepool_sandbox::prelude::*;`.
pub mod prelude {
    pub use super::{
        Account, Action, Address, Code, Contract, ErrorKind, Executed, GasFigure, GasSnapshot, HasAddress, Sandbox,
        SandboxError, TxResultExt, build_contract,
    };
    pub use tidepool_node::config::ONE_TOKEN;
}

/// A Tidepool node in this process, over the memory ledger, driven by signed transactions.
/// Cheap to clone: clones (and every [`Contract`] handle) share one chain. See the
/// [module documentation](self) for a tour.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    /// In an `Arc` so [`Names`] can hold it weakly, for the labels the chain stores.
    node: Arc<Node>,
    names: Names,
    /// Every name [`Sandbox::account`] was asked for, with the height of the chain just after
    /// (its funding block, if it funded the account): a name is funded at most once. A revert or
    /// reset to below that height forgets it, as it undid the funding; a state load forgets all.
    accounts: Mutex<HashMap<String, u64>>,
    gas_limit: AtomicU64,
    /// Held from reading a sender's nonce to the end of the submission, so concurrent calls
    /// through clones of one Sandbox never race for a nonce.
    send: Mutex<()>,
}

/// An id returned by [`Sandbox::snapshot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot(pub u64);

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new()
    }
}

impl Sandbox {
    /// An empty chain: no accounts, no contracts; production gas schedule and limits; a
    /// manual clock starting at [`GENESIS_TIME`]; automine (one block per transaction).
    ///
    /// # Panics
    /// If the VM cannot be built (wasmtime could not reserve its address space).
    pub fn new() -> Sandbox {
        Sandbox::with_config(Sandbox::config()).unwrap_or_else(|e| panic!("the Sandbox could not start: {e}"))
    }

    /// A chain with the sample lending market deployed at genesis, as on a `--dev` node (cargo
    /// feature `market`, which embeds the sample contracts): three
    /// tokens (USDC, WETH, WBTC), the oracle with prices and the pool with every market
    /// listed and supplied. [`Sandbox::market`] has the addresses; [`Sandbox::dev_account`]
    /// gives the ten funded dev accounts, which hold every token.
    ///
    /// # Panics
    /// As [`Sandbox::new`].
    #[cfg(feature = "market")]
    pub fn with_market() -> Sandbox {
        let market = tidepool_node::MarketCode::new(
            tidepool_artifacts::TOKEN,
            tidepool_artifacts::ORACLE,
            tidepool_artifacts::LENDING_POOL,
        );
        let config = NodeConfig { market: Some(market), dev_accounts: 10, ..Sandbox::config() };
        let sandbox = Sandbox::with_config(config).unwrap_or_else(|e| panic!("the Sandbox could not start: {e}"));
        if let Some(market) = sandbox.market() {
            for token in &market.tokens {
                sandbox.inner.names.insert(token.address, &token.symbol);
            }
            sandbox.inner.names.insert(market.oracle, "oracle");
            sandbox.inner.names.insert(market.pool, "pool");
        }
        sandbox
    }

    /// The configuration [`Sandbox::new`] uses, to adjust and pass to [`Sandbox::with_config`]
    /// (e.g. other VM limits, to see how a contract fares under them).
    ///
    /// Every limit a contract can observe and the gas schedule are the production values. The
    /// one difference from a server is a host resource: the VM keeps 16 instance slots ready
    /// instead of 128 (each reserves 4 GiB of address space, and a test binary may run many
    /// Sandboxes at once; one Sandbox runs one call at a time).
    ///
    /// Compiled contracts are kept on disk under `<target>/tidepool-modules` (the cargo target
    /// directory of the running test binary), so a test run after one that compiled the same
    /// code compiles nothing: a module is loaded only if its code hash, wasmtime's compilation
    /// settings and the gas schedule all match, and recompiled otherwise.
    pub fn config() -> NodeConfig {
        NodeConfig {
            store: StoreConfig::Memory,
            clock: Clock::Manual { genesis_time: GENESIS_TIME },
            dev: true,
            dev_accounts: 0,
            market: None,
            vm: VmConfig::for_tests(),
            module_cache_dir: NodeConfig::target_module_cache(),
            ..NodeConfig::dev()
        }
    }

    /// A Sandbox over a node with this configuration. Dev mode is forced on (the Sandbox's
    /// controls need it).
    ///
    /// # Errors
    /// If the node cannot open (the VM cannot be built, genesis fails).
    pub fn with_config(config: NodeConfig) -> Result<Sandbox, NodeError> {
        let node = Arc::new(Node::open(NodeConfig { dev: true, ..config })?);
        Ok(Sandbox {
            inner: Arc::new(Inner {
                names: Names::of_chain(&node),
                node,
                accounts: Mutex::new(HashMap::new()),
                gas_limit: AtomicU64::new(MAX_TX_GAS),
                send: Mutex::new(()),
            }),
        })
    }

    /// The node underneath, for anything the Sandbox does not wrap (blocks, stored
    /// transactions, event history, the ledger). Go back through the Sandbox's own
    /// [`Sandbox::revert`], [`Sandbox::reset`] and [`Sandbox::load_state`], not the node's: they
    /// also forget the [`Sandbox::account`] names whose funding they undo.
    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    pub(crate) fn names(&self) -> &Names {
        &self.inner.names
    }

    // --- accounts ------------------------------------------------------------------------------

    /// The account named `name`. The first time this Sandbox is asked for the name, the account
    /// is funded with [`ACCOUNT_BALANCE`] if it is new on the chain (no balance, no
    /// transactions; an account a state file or genesis already funded is left as it is). Later
    /// calls only return it: an account you emptied (`set_balance(&a, 0)`, or by spending) stays
    /// empty. Its key derives from the name: the same name is the same address in every Sandbox.
    ///
    /// The Sandbox remembers a name with the chain's height after that first call, so a
    /// [`Sandbox::revert`] to a snapshot taken before it, a [`Sandbox::reset`] or a
    /// [`Sandbox::load_state`] — which undo the funding — forget the name too, and the next call
    /// funds the account again. A name is never funded twice on one chain history.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool_sandbox::{ACCOUNT_BALANCE, Sandbox};
    ///
    /// let sandbox = Sandbox::new();
    /// let alice = sandbox.account("alice");
    /// assert_eq!(sandbox.balance(&alice), ACCOUNT_BALANCE);
    /// assert_eq!(sandbox.account("alice").address(), alice.address());
    ///
    /// sandbox.set_balance(&alice, 0);
    /// sandbox.account("alice");
    /// assert_eq!(sandbox.balance(&alice), 0, "funded once only");
    /// ```
    pub fn account(&self, name: &str) -> Account {
        let account = Account::from_name(name);
        let mut accounts = self.inner.accounts.lock();
        if !accounts.contains_key(name) {
            let state = self.node().account(&account.address()).expect("the memory ledger does not fail");
            let height = if state.nonce == 0 && state.balance == 0 {
                let block = self
                    .node()
                    .faucet(&account.address(), ACCOUNT_BALANCE)
                    .unwrap_or_else(|e| panic!("funding account {name}: {e}"));
                block.height
            } else {
                self.block_height()
            };
            accounts.insert(name.to_owned(), height);
        }
        self.inner.names.insert(account.address(), name);
        account
    }

    /// Forgets the names [`Sandbox::account`] was asked for after `height`, once the chain went
    /// back to it (a revert or reset): the funding they got is undone.
    pub(crate) fn forget_accounts_after(&self, height: u64) {
        self.inner.accounts.lock().retain(|_, asked_at| *asked_at <= height);
    }

    /// Forgets every name [`Sandbox::account`] was asked for (the chain was replaced).
    pub(crate) fn forget_accounts(&self) {
        self.inner.accounts.lock().clear();
    }

    /// Dev account `index` of a `Sandbox::with_market` chain (named `dev<index>`): the
    /// anvil/Hardhat keys, funded at genesis with native tokens and every market token. Dev
    /// account 0 owns the market's contracts; the last one supplied the genesis liquidity. (A
    /// chain from [`Sandbox::with_config`] has `config.dev_accounts` of them.)
    ///
    /// # Panics
    /// If the chain has no such dev account.
    pub fn dev_account(&self, index: u32) -> Account {
        let count = self.node().config().dev_accounts;
        assert!(index < count, "no dev account {index}: this chain has {count} (see Sandbox::with_market)");
        let dev = tidepool_node::keys::dev_accounts(index + 1).pop().expect("index + 1 accounts");
        let name = format!("dev{index}");
        self.inner.names.insert(dev.address, &name);
        Account::from_key(&name, dev.key)
    }

    /// Acts as `address` without its key: transactions from the returned [`Impersonated`]
    /// are executed unsigned, as if `address` had signed them (dev-mode impersonation). Any
    /// address works, a contract's too — e.g. to call a token as the pool would.
    pub fn impersonate(&self, who: &impl HasAddress) -> Impersonated {
        Impersonated(who.address())
    }

    /// Gives `who` a name in traces. Accounts go by their names already, and contracts by
    /// their labels (the one given to [`Sandbox::instantiate`], or the one the chain stores for
    /// a contract from a state file or instantiated by another contract); this name replaces it.
    pub fn set_name(&self, who: &impl HasAddress, name: &str) {
        self.inner.names.insert(who.address(), name);
    }

    // --- native token ----------------------------------------------------------------------

    /// `who`'s native balance.
    pub fn balance(&self, who: &impl HasAddress) -> u128 {
        self.node().account(&who.address()).expect("the memory ledger does not fail").balance
    }

    /// `who`'s next nonce (its number of transactions so far).
    pub fn nonce(&self, who: &impl HasAddress) -> u64 {
        self.node().account(&who.address()).expect("the memory ledger does not fail").nonce
    }

    /// Adds `amount` of the native token to `who` (a dev block).
    ///
    /// # Panics
    /// If the balance would overflow `u128`.
    pub fn faucet(&self, who: &impl HasAddress, amount: u128) {
        self.node().faucet(&who.address(), amount).unwrap_or_else(|e| panic!("faucet: {e}"));
    }

    /// Sets `who`'s native balance (a dev block).
    pub fn set_balance(&self, who: &impl HasAddress, amount: u128) {
        self.node().set_balance(&who.address(), amount).unwrap_or_else(|e| panic!("set_balance: {e}"));
    }

    /// Sends `amount` of the native token from `from` to `to` in a signed transaction.
    ///
    /// # Errors
    /// A rejection if `from` cannot pay.
    pub fn transfer(&self, from: &impl Sender, to: &impl HasAddress, amount: u128) -> Result<Executed, SandboxError> {
        self.send(from, Action::Transfer { to: to.address(), amount })
    }

    // --- code and contracts ----------------------------------------------------------------

    /// Uploads `wasm` (from the [`DEPLOYER`] account); validation and compilation happen
    /// here, with the production limits.
    ///
    /// # Errors
    /// A rejection whose message says why the code is invalid.
    pub fn upload(&self, wasm: &[u8]) -> Result<Code, SandboxError> {
        let deployer = self.account(DEPLOYER);
        self.upload_as(&deployer, wasm)
    }

    /// Uploads `wasm` in a transaction from `sender`.
    ///
    /// # Errors
    /// As [`Sandbox::upload`].
    pub fn upload_as(&self, sender: &impl Sender, wasm: &[u8]) -> Result<Code, SandboxError> {
        let executed = self.send(sender, Action::UploadCode { wasm: wasm.to_vec() })?;
        Ok(Code { hash: executed.code_hash().expect("a successful upload has a code hash") })
    }

    /// Creates a contract from `code`, running its `instantiate` entry point with `msg` in a
    /// transaction from `sender`, who becomes its admin (may migrate it). `label` names it in
    /// traces.
    ///
    /// # Errors
    /// As [`Contract::execute`].
    pub fn instantiate(
        &self,
        code: &Code,
        sender: &impl Sender,
        msg: &impl Serialize,
        label: &str,
    ) -> Result<Contract, SandboxError> {
        self.instantiate_with(code, sender, msg, label, 0, Some(sender.address()))
    }

    /// [`Sandbox::instantiate`] with native `funds` sent to the new contract and a chosen
    /// `admin` (`None`: nobody can migrate it).
    ///
    /// # Errors
    /// As [`Contract::execute`].
    pub fn instantiate_with(
        &self,
        code: &Code,
        sender: &impl Sender,
        msg: &impl Serialize,
        label: &str,
        funds: u128,
        admin: Option<Address>,
    ) -> Result<Contract, SandboxError> {
        let action =
            Action::Instantiate { code_hash: code.hash, msg: to_json(msg)?, funds, label: label.to_owned(), admin };
        let executed = self.send(sender, action)?;
        let address = executed.contract_address().expect("a successful instantiation has an address");
        self.inner.names.insert(address, label);
        Ok(Contract { sandbox: self.clone(), address, instantiation: Some(Box::new(executed)) })
    }

    /// [`Sandbox::upload`] then [`Sandbox::instantiate`].
    ///
    /// # Errors
    /// As either.
    pub fn deploy(
        &self,
        wasm: &[u8],
        sender: &impl Sender,
        msg: &impl Serialize,
        label: &str,
    ) -> Result<Contract, SandboxError> {
        let code = self.upload(wasm)?;
        self.instantiate(&code, sender, msg, label)
    }

    /// A handle on the contract at `address` (e.g. one of [`Sandbox::market`]'s, or one that
    /// a contract instantiated).
    pub fn contract_at(&self, address: Address) -> Contract {
        Contract { sandbox: self.clone(), address, instantiation: None }
    }

    /// The sample market's addresses, on a `Sandbox::with_market` chain.
    pub fn market(&self) -> Option<MarketInfo> {
        self.node().market()
    }

    // --- gas -------------------------------------------------------------------------------

    /// The gas limit of every transaction the Sandbox sends (default: the node's maximum,
    /// 10^9). Lower it to test out-of-gas behaviour.
    pub fn set_gas_limit(&self, gas_limit: u64) {
        self.inner.gas_limit.store(gas_limit, Ordering::Relaxed);
    }

    /// The gas limit of the Sandbox's transactions.
    pub fn gas_limit(&self) -> u64 {
        self.inner.gas_limit.load(Ordering::Relaxed)
    }

    // --- blocks, time, snapshots -----------------------------------------------------------

    /// The latest block's height.
    pub fn block_height(&self) -> u64 {
        self.node().latest_block().expect("the memory ledger does not fail").height
    }

    /// The latest block's time, Unix seconds (starts at [`GENESIS_TIME`]).
    pub fn block_time(&self) -> u64 {
        self.node().latest_block().expect("the memory ledger does not fail").time
    }

    /// Moves the clock forward by `seconds` and mines a block at the new time: the next
    /// transaction runs `seconds` later than the previous one (interest accrues, prices go
    /// stale, locks expire).
    pub fn warp(&self, seconds: u64) {
        self.node().warp(seconds).unwrap_or_else(|e| panic!("warp: {e}"));
    }

    /// Mines `count` empty blocks (the clock does not move; see [`Sandbox::warp`]).
    pub fn advance_blocks(&self, count: u32) {
        if count > 0 {
            self.node().mine(count).unwrap_or_else(|e| panic!("advance_blocks: {e}"));
        }
    }

    /// Records the current state (balances, contracts, storage, nonces, clock) to return to
    /// with [`Sandbox::revert`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.node().snapshot().unwrap_or_else(|e| panic!("snapshot: {e}")))
    }

    /// Returns state, history and clock to `snapshot`. That snapshot and every later one are
    /// used up (as in anvil): take a new one to revert again.
    ///
    /// # Errors
    /// A rejection if the snapshot was used up.
    pub fn revert(&self, snapshot: Snapshot) -> Result<(), SandboxError> {
        let block = self.node().revert(snapshot.0).map_err(|e| SandboxError::rejected(e, &self.inner.names))?;
        self.forget_accounts_after(block.height);
        Ok(())
    }

    // --- transactions ----------------------------------------------------------------------

    /// Sends one transaction from `sender` (signed with its key, or impersonated) at its next
    /// nonce, and returns its receipt as a result.
    pub(crate) fn send(&self, sender: &impl Sender, action: Action) -> Result<Executed, SandboxError> {
        let names = &self.inner.names;
        let rejected = |e| SandboxError::rejected(e, names);
        let _one_at_a_time = self.inner.send.lock();
        let node = self.node();
        let tx = self.transaction(sender, action).map_err(rejected)?;
        let submitted = match sender.signing_key() {
            Some(key) => tx.sign(key).and_then(|signed| node.submit(&signed)),
            None => node.impersonate(tx),
        };
        let receipt = match submitted.map_err(rejected)? {
            Submitted::Mined(receipt) => receipt.into_receipt(),
            // Manual mining (or a node configured for interval mining): mine now, so tests read
            // receipts at once; whatever else is pending shares the block.
            Submitted::Pending { tx_hash } => {
                node.flush().map_err(rejected)?;
                let (_, receipt) = node
                    .transaction(&tx_hash)
                    .map_err(rejected)?
                    .unwrap_or_else(|| panic!("transaction {tx_hash} was not in the block just mined"));
                receipt
            }
        };
        if receipt.is_success() {
            Ok(Executed::new(receipt, names.clone()))
        } else {
            Err(SandboxError::failed(receipt, names))
        }
    }
}

impl Sandbox {
    /// `action` from `sender` at its next nonce, counting its transactions still pending.
    pub(crate) fn transaction(&self, sender: &impl Sender, action: Action) -> Result<Transaction, NodeError> {
        let node = self.node();
        let from = sender.address();
        let nonce = node.pending_account(&from)?.nonce;
        Ok(Transaction { chain_id: node.config().chain_id, nonce, from, gas_limit: self.gas_limit(), action })
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sandbox(height {})", self.block_height())
    }
}

/// `msg` as a JSON value; a message that does not serialise is a rejection.
pub(crate) fn to_json(msg: &impl Serialize) -> Result<serde_json::Value, SandboxError> {
    serde_json::to_value(msg).map_err(|e| {
        SandboxError::rejected(NodeError::Rejected(Rejection::MalformedTransaction(e.to_string())), &Names::default())
    })
}
