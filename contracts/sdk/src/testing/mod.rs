//! A native test double of the host, for fast unit tests of contract logic with `cargo test
//! --target <your native target>` (CosmWasm's `cw-multi-test` plays the same role).
//!
//! It runs each contract's handlers as plain Rust functions (the `ENTRY_POINTS` constant that
//! [`entry_points!`](crate::entry_points) defines off wasm32) over an in-memory ledger, with the
//! host's semantics where tests depend on them: nested calls with rollback of a failed callee,
//! re-entry refused unless opted in, read-only queries, native balances, events. It is not the
//! VM: no gas, no wasm limits, no crypto. Behaviour tests that matter belong in the node's
//! `Sandbox`, which runs the real `.wasm` through the real VM.

pub(crate) mod host;
mod keccak;

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Address, EntryPoints};
use host::{Entry, with_state};

/// An event recorded by the test double.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockEvent {
    /// The contract that emitted it.
    pub contract: Address,
    /// The event type.
    pub ty: String,
    /// The JSON data, parsed.
    pub data: serde_json::Value,
}

/// A handle on this thread's in-memory chain. [`MockChain::new`] starts a fresh one.
pub struct MockChain {
    _private: (),
}

impl MockChain {
    /// Starts a fresh chain on this thread (height 1, time 1_700_000_000, chain id 1337).
    pub fn new() -> Self {
        host::reset();
        MockChain { _private: () }
    }

    /// Registers a contract's handlers at a fresh address and runs its `instantiate` as
    /// `sender`.
    ///
    /// # Errors
    /// The instantiate handler's abort message.
    pub fn deploy(&self, entry: EntryPoints, sender: Address, msg: &impl Serialize) -> Result<Address, String> {
        let address = with_state(|s| {
            s.next_contract += 1;
            let mut bytes = [0xc0; 20];
            bytes[12..].copy_from_slice(&s.next_contract.to_be_bytes());
            let address = Address(bytes);
            s.contracts.insert(address, entry);
            address
        });
        self.run(Entry::Instantiate, sender, address, msg, 0)?;
        Ok(address)
    }

    /// Runs `execute` on `contract` as a transaction signed by `sender`, attaching `funds`.
    ///
    /// # Errors
    /// The contract's abort message (its state changes are reverted).
    pub fn execute(
        &self,
        sender: Address,
        contract: Address,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<Vec<u8>, String> {
        self.run(Entry::Execute, sender, contract, msg, funds)
    }

    /// Runs `query` on `contract` and parses the answer.
    ///
    /// # Errors
    /// The contract's abort message, or a parse error.
    pub fn query<R: DeserializeOwned>(&self, contract: Address, msg: &impl Serialize) -> Result<R, String> {
        let data = self.run(Entry::Query, Address::ZERO, contract, msg, 0)?;
        serde_json::from_slice(&data).map_err(|e| alloc::format!("bad answer: {e}"))
    }

    fn run(
        &self,
        entry: Entry,
        sender: Address,
        contract: Address,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<Vec<u8>, String> {
        let msg = serde_json::to_vec(msg).map_err(|e| alloc::format!("bad message: {e}"))?;
        with_state(|s| s.origin = sender);
        host::run_frame(entry, sender, contract, msg, funds).map_err(|(_, message)| message)
    }

    /// Runs `f` as if it were code of `contract` called by `caller`: storage, context and
    /// calls act as `contract`. Handy for unit tests of storage layouts and helpers. No
    /// rollback: a panic in `f` propagates.
    pub fn run_as<R>(&self, contract: Address, caller: Address, f: impl FnOnce() -> R) -> R {
        host::with_frame(contract, caller, f)
    }

    /// Sets the block time (Unix seconds).
    pub fn set_time(&self, time: u64) {
        with_state(|s| s.time = time);
    }

    /// Moves the block time forward by `seconds` and the height by one.
    pub fn advance_time(&self, seconds: u64) {
        with_state(|s| {
            s.time += seconds;
            s.height += 1;
        });
    }

    /// The block time.
    pub fn time(&self) -> u64 {
        with_state(|s| s.time)
    }

    /// Sets a native balance.
    pub fn set_balance(&self, address: Address, amount: u128) {
        with_state(|s| s.balances.insert(address, amount));
    }

    /// A native balance.
    pub fn balance(&self, address: Address) -> u128 {
        with_state(|s| s.balances.get(&address).copied().unwrap_or(0))
    }

    /// Takes the events recorded so far.
    pub fn take_events(&self) -> Vec<MockEvent> {
        with_state(|s| core::mem::take(&mut s.events))
    }

    /// Takes the debug lines logged so far.
    pub fn take_logs(&self) -> Vec<String> {
        with_state(|s| core::mem::take(&mut s.logs))
    }

    /// Writes a raw storage entry of `contract` (e.g. to simulate a corrupt or migrated state).
    pub fn set_storage(&self, contract: Address, key: &[u8], value: &[u8]) {
        with_state(|s| s.storage.entry(contract).or_default().insert(key.to_vec(), value.to_vec()));
    }

    /// Every raw storage entry of `contract`, in key order.
    pub fn storage(&self, contract: Address) -> Vec<(Vec<u8>, Vec<u8>)> {
        with_state(|s| {
            s.storage
                .get(&contract)
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
