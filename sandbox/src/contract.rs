//! Handles on uploaded code ([`Code`]) and instantiated contracts ([`Contract`]): execute,
//! query and migrate with serde messages, through signed transactions of the Sandbox's node.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tidepool_ledger::{Address, ContractInstance, Hash};

use super::error::SandboxError;
use super::executed::Executed;
use super::{HasAddress, Sandbox, Sender, to_json};
use tidepool_node::tx::Action;

/// Uploaded code: instantiate it with [`Sandbox::instantiate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// keccak256 of the wasm.
    pub hash: Hash,
}

/// A contract of a Sandbox. Cheap to clone; every clone drives the same Sandbox.
#[derive(Clone)]
pub struct Contract {
    pub(crate) sandbox: Sandbox,
    pub(crate) address: Address,
    pub(crate) instantiation: Option<Box<Executed>>,
}

impl Contract {
    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The Sandbox it lives in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The transaction that created it, if this handle came from [`Sandbox::instantiate`]
    /// (its gas, events and trace).
    pub fn instantiation(&self) -> Option<&Executed> {
        self.instantiation.as_deref()
    }

    /// Runs the contract's `execute` entry point with `msg` (any `Serialize`, e.g. your
    /// contract's message enum or `serde_json::json!`), in a transaction signed by `sender`.
    ///
    /// # Errors
    /// [`ErrorKind::Reverted`](super::ErrorKind::Reverted) /
    /// [`OutOfGas`](super::ErrorKind::OutOfGas) if the contract failed (the transaction was
    /// mined, the nonce advanced, nothing else changed), or
    /// [`Rejected`](super::ErrorKind::Rejected) if the node refused the transaction.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde_json::json;
    /// use tidepool_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::new();
    /// let owner = sandbox.account("owner");
    /// let code = sandbox.upload(tidepool_artifacts::ORACLE).unwrap();
    /// let oracle = sandbox.instantiate(&code, &owner, &json!({}), "oracle").unwrap();
    /// let asset = sandbox.account("asset").address();
    ///
    /// let done = oracle.execute(&owner, &json!({"set_price": {"asset": asset, "price": "100"}})).unwrap();
    /// assert!(done.gas_used() > 21_000);
    /// done.assert_event("price", &json!({"asset": asset, "price": 100}));
    ///
    /// let stranger = sandbox.account("stranger");
    /// let error = oracle.execute(&stranger, &json!({"set_price": {"asset": asset, "price": "1"}})).unwrap_err();
    /// assert_eq!(error.message(), "reverted: unauthorized: only the owner can do this");
    /// ```
    pub fn execute(&self, sender: &impl Sender, msg: &impl Serialize) -> Result<Executed, SandboxError> {
        self.execute_with_funds(sender, msg, 0)
    }

    /// [`Contract::execute`], attaching `funds` of the native token to the call.
    ///
    /// # Errors
    /// As [`Contract::execute`]; a rejection if `sender` cannot pay `funds`.
    pub fn execute_with_funds(
        &self,
        sender: &impl Sender,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<Executed, SandboxError> {
        let action = Action::Execute { contract: self.address, msg: to_json(msg)?, funds };
        self.sandbox.send(sender, action)
    }

    /// Runs the contract's `query` entry point with `msg` on the latest state and decodes the
    /// answer as `T` (use `serde_json::Value` to take it as it comes).
    ///
    /// # Errors
    /// [`ErrorKind::QueryFailed`](super::ErrorKind::QueryFailed) if the contract returned an
    /// error or trapped; [`ErrorKind::Decode`](super::ErrorKind::Decode) if the answer is not
    /// a `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use tidepool_sandbox::Sandbox;
    ///
    /// #[derive(Deserialize)]
    /// struct Config { owner: String }
    ///
    /// let sandbox = Sandbox::new();
    /// let owner = sandbox.account("owner");
    /// let code = sandbox.upload(tidepool_artifacts::ORACLE).unwrap();
    /// let oracle = sandbox.instantiate(&code, &owner, &json!({}), "oracle").unwrap();
    /// let config: Config = oracle.query(&json!({"config": {}})).unwrap();
    /// assert!(config.owner.eq_ignore_ascii_case(&owner.address().to_string()));
    /// ```
    pub fn query<T: DeserializeOwned>(&self, msg: &impl Serialize) -> Result<T, SandboxError> {
        let (answer, _gas) = self.query_with_gas(msg)?;
        Ok(answer)
    }

    /// [`Contract::query`], also returning the gas the query used.
    ///
    /// # Errors
    /// As [`Contract::query`].
    pub fn query_with_gas<T: DeserializeOwned>(&self, msg: &impl Serialize) -> Result<(T, u64), SandboxError> {
        let bytes = serde_json::to_vec(&to_json(msg)?).expect("a JSON value serialises");
        let outcome = self
            .sandbox
            .node()
            .query(&self.address, &bytes)
            .map_err(|e| SandboxError::rejected(e, self.sandbox.names()))?;
        if !outcome.status.is_success() {
            return Err(SandboxError::query_failed(outcome, self.sandbox.names()));
        }
        let json = tidepool_node::receipt::json_or_hex(&outcome.return_data);
        let answer = serde_json::from_value(json.clone())
            .map_err(|e| SandboxError::decode(&json, std::any::type_name::<T>(), &e))?;
        Ok((answer, outcome.gas_used))
    }

    /// Moves the contract to `new_code` and runs its `migrate` entry point with `msg`; only
    /// the contract's admin (by default whoever instantiated it) may.
    ///
    /// # Errors
    /// As [`Contract::execute`].
    pub fn migrate(
        &self,
        sender: &impl Sender,
        new_code: &Code,
        msg: &impl Serialize,
    ) -> Result<Executed, SandboxError> {
        let action = Action::Migrate { contract: self.address, new_code_hash: new_code.hash, msg: to_json(msg)? };
        self.sandbox.send(sender, action)
    }

    /// The contract's record: code hash, admin, creator, label, creation height.
    ///
    /// # Panics
    /// If the contract no longer exists (a revert to before its creation).
    pub fn info(&self) -> ContractInstance {
        self.sandbox
            .node()
            .contract(&self.address)
            .expect("the memory ledger does not fail")
            .unwrap_or_else(|| panic!("no contract at {} (reverted away?)", self.address))
    }

    /// Writes a raw storage value of the contract (`None` removes the key), bypassing its code:
    /// a dev control for setting up states that are hard to reach.
    ///
    /// # Panics
    /// If the contract no longer exists.
    pub fn set_storage(&self, key: &[u8], value: Option<&[u8]>) {
        self.sandbox.node().set_storage(&self.address, key, value).unwrap_or_else(|e| panic!("set_storage: {e}"));
    }
}

impl HasAddress for Contract {
    fn address(&self) -> Address {
        self.address
    }
}

impl fmt::Debug for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Contract({})", self.sandbox.names().label(&self.address))
    }
}
