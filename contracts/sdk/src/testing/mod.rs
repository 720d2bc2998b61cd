//! A native test double of the host: [`MockChain`], for fast unit tests of a contract's logic
//! with `cargo test --target <your native target>` (CosmWasm's `cw-multi-test` plays the same
//! role).
//!
//! Its API reads like the Sandbox's (`tidepool_sandbox`), method for method, so a test moves
//! from one to the other by changing how the chain is made and how code is named:
//!
//! | | [`MockChain`] | `Sandbox` |
//! |---|---|---|
//! | chain | `MockChain::new()` | `Sandbox::new()` |
//! | account | `chain.account("alice")` | `sandbox.account("alice")` |
//! | deploy | `chain.deploy(my_contract::ENTRY_POINTS, &alice, &msg, "label")` | `sandbox.deploy(&wasm, &alice, &msg, "label")` |
//! | call | `contract.execute(&alice, &msg)` → [`Executed`] / [`MockError`] | `contract.execute(&alice, &msg)` → `Executed` / `SandboxError` |
//! | query | `contract.query::<T>(&msg)` | `contract.query::<T>(&msg)` |
//! | assert | `.expect_success()`, `.expect_error("…")`, `done.assert_event("ty", &json)` | the same |
//! | time | `chain.warp(seconds)`, `chain.block_time()` | the same |
//!
//! It runs each contract's handlers as plain Rust functions (the `ENTRY_POINTS` constant that
//! [`entry_points!`](crate::entry_points) defines off wasm32) over an in-memory ledger, with the
//! host's semantics where tests depend on them: nested calls with rollback of a failed callee,
//! re-entry refused unless opted in, read-only queries, native balances, events, keccak256 (so
//! addresses print with their EIP-55 checksum). It is not the VM: no gas, no wasm limits, no
//! signatures, no secp256k1 or sha256, no uploaded code (a contract cannot instantiate another).
//! A contract's behaviour tests belong in the Sandbox, which runs the real `.wasm` through the
//! real VM: the sample contracts' live in `sandbox/tests/it/contracts/`.
//!
//! One chain per thread: [`MockChain::new`] starts a fresh one for the calling thread (each
//! `#[test]` runs on its own thread), and its handles act on that thread's chain.
//!
//! # Examples
//!
//! ```
//! use tidepool_sdk::prelude::*;
//! use tidepool_sdk::testing::{MockChain, TxResultExt};
//!
//! // A contract: a counter, declared as a contract crate declares it.
//! mod counter {
//!     use tidepool_sdk::prelude::*;
//!
//!     const COUNT: Item<u64> = Item::new("count");
//!
//!     fn instantiate(_ctx: &Context, start: u64) -> Result<Response, ContractError> {
//!         COUNT.save(&start)?;
//!         Ok(Response::new())
//!     }
//!
//!     fn execute(_ctx: &Context, by: u64) -> Result<Response, ContractError> {
//!         let count = COUNT.load()?.checked_add(by).ok_or(ContractError::Overflow)?;
//!         COUNT.save(&count)?;
//!         Ok(Response::new().event("count", &count))
//!     }
//!
//!     fn query(_ctx: &Context, _msg: ()) -> Result<Binary, ContractError> {
//!         to_json_binary(&COUNT.load()?)
//!     }
//!
//!     tidepool_sdk::entry_points! {
//!         instantiate = instantiate;
//!         execute = execute;
//!         query = query;
//!     }
//! }
//!
//! let chain = MockChain::new();
//! let alice = chain.account("alice");
//! let counter = chain.deploy(counter::ENTRY_POINTS, &alice, &5u64, "counter").expect_success();
//! counter.execute(&alice, &2u64).expect_success().assert_event("count", &serde_json::json!(7));
//! assert_eq!(counter.query::<u64>(&()).unwrap(), 7);
//! counter.execute(&alice, &u64::MAX).expect_error("arithmetic overflow");
//! assert_eq!(counter.query::<u64>(&()).unwrap(), 7, "the failed call changed nothing");
//! ```

mod account;
mod contract;
mod error;
mod executed;
pub(crate) mod host;
mod keccak;

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::{Address, EntryPoints};
pub use account::{Account, HasAddress};
pub use contract::Contract;
pub use error::{ErrorKind, MockError, TxResultExt};
pub use executed::{Executed, MockEvent};
use host::{Entry, with_state};

/// Native balance [`MockChain::account`] gives a new account, as the Sandbox does: one million
/// tokens of 18 decimals.
pub const ACCOUNT_BALANCE: u128 = 1_000_000 * 1_000_000_000_000_000_000;

/// Block time of a fresh chain, the Sandbox's genesis time (2023-11-14T22:13:20Z).
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// A handle on this thread's in-memory chain. [`MockChain::new`] starts a fresh one. See the
/// [module documentation](self).
pub struct MockChain {
    _private: (),
}

impl MockChain {
    /// Starts a fresh chain on this thread: height 1, time [`GENESIS_TIME`], chain id 1337, no
    /// accounts, no contracts.
    pub fn new() -> Self {
        host::reset();
        MockChain { _private: () }
    }

    /// The account named `name`, funded with [`ACCOUNT_BALANCE`] the first time it is seen. Its
    /// address derives from the name (keccak256), so it is the same in every `MockChain`; it
    /// is not the Sandbox's address for that name, which derives from a secp256k1 key.
    pub fn account(&self, name: &str) -> Account {
        let account = Account::from_name(name);
        with_state(|s| {
            s.balances.entry(account.address()).or_insert(ACCOUNT_BALANCE);
        });
        account
    }

    /// Registers a contract's handlers (its crate's `ENTRY_POINTS`) at a fresh address and runs
    /// its `instantiate` with `msg` as `sender`. `label` names it in the handle's `{:?}`.
    ///
    /// # Errors
    /// A [`MockError`] of kind [`ErrorKind::Reverted`] with the instantiate handler's message
    /// (the contract is not created), or [`ErrorKind::Rejected`] if `msg` does not serialize.
    pub fn deploy(
        &self,
        entry_points: EntryPoints,
        sender: &impl HasAddress,
        msg: &impl Serialize,
        label: &str,
    ) -> Result<Contract, MockError> {
        let address = with_state(|s| {
            s.next_contract += 1;
            let mut bytes = [0xc0; 20];
            bytes[12..].copy_from_slice(&s.next_contract.to_be_bytes());
            let address = Address(bytes);
            s.contracts.insert(address, entry_points);
            address
        });
        let contract = Contract { address, label: label.into(), instantiation: None };
        match contract.run(Entry::Instantiate, sender.address(), msg, 0) {
            Ok(executed) => Ok(Contract { instantiation: Some(alloc::boxed::Box::new(executed)), ..contract }),
            Err(error) => {
                with_state(|s| s.contracts.remove(&address));
                Err(error)
            }
        }
    }

    /// A handle on the contract at `address` (e.g. one a test created earlier).
    pub fn contract_at(&self, address: Address) -> Contract {
        Contract { address, label: String::new(), instantiation: None }
    }

    /// `who`'s native balance.
    pub fn balance(&self, who: &impl HasAddress) -> u128 {
        with_state(|s| s.balances.get(&who.address()).copied().unwrap_or(0))
    }

    /// Sets `who`'s native balance.
    pub fn set_balance(&self, who: &impl HasAddress, amount: u128) {
        with_state(|s| s.balances.insert(who.address(), amount));
    }

    /// The latest block's height.
    pub fn block_height(&self) -> u64 {
        with_state(|s| s.height)
    }

    /// The latest block's time, Unix seconds (starts at [`GENESIS_TIME`]).
    pub fn block_time(&self) -> u64 {
        with_state(|s| s.time)
    }

    /// Moves the clock forward by `seconds` and mines a block, as the Sandbox's `warp` does:
    /// the next call runs `seconds` later, one block higher.
    pub fn warp(&self, seconds: u64) {
        with_state(|s| {
            s.time += seconds;
            s.height += 1;
        });
    }

    /// Mines `count` empty blocks (the clock does not move).
    pub fn advance_blocks(&self, count: u32) {
        with_state(|s| s.height += u64::from(count));
    }

    /// Runs `f` as if it were code of `contract` called by `caller`: storage, context and
    /// calls act as `contract`. For unit tests of storage layouts and helpers, which the
    /// Sandbox has no equivalent for. No rollback: a panic in `f` propagates.
    pub fn run_as<R>(&self, contract: &impl HasAddress, caller: &impl HasAddress, f: impl FnOnce() -> R) -> R {
        host::with_frame(contract.address(), caller.address(), f)
    }

    /// Every raw storage entry of `contract`, in key order (the mock's view of what the node's
    /// `/state` route shows).
    pub fn storage(&self, contract: &impl HasAddress) -> Vec<(Vec<u8>, Vec<u8>)> {
        with_state(|s| {
            s.storage
                .get(&contract.address())
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        })
    }
}

impl Default for MockChain {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
