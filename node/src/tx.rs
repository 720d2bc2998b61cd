//! Transactions: what they say ([`Transaction`], [`Action`]), the bytes that are signed and
//! hashed ([`Transaction::canonical_bytes`]), and the signed envelope ([`SignedTransaction`])
//! that checks into a [`CheckedTransaction`] for execution.
//!
//! # JSON
//!
//! ```json
//! {"chain_id":1337,"nonce":0,"from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","gas_limit":1000000,
//!  "action":{"type":"transfer","to":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","amount":"5000"}}
//! ```
//!
//! - `action.type` is one of `transfer`, `upload_code`, `instantiate`, `execute`, `migrate`;
//!   the other members of `action` are the variant's fields. Unknown fields are refused.
//! - `chain_id`, `nonce`, `gas_limit` are JSON integers (a whole number may be written `5.0`,
//!   see [`crate::whole_number`]); amounts (`amount`, `funds`) are `u128`
//!   as decimal strings (`"5000"`, no leading zeros); `wasm` is `0x` + hex; addresses are `0x`
//!   + 40 hex digits (any case in, EIP-55 checksum out); code hashes are `0x` + 64 hex digits.
//! - `msg` is any JSON the contract accepts, except that numbers must be integers (see
//!   [`crate::canonical`]; `1.0` is read as `1`), and must be present; `admin` is an address, `null` or absent.
//! - `label` is printable ASCII, at most 128 bytes ([`check_label`]).
//! - [`Transaction::check_form`] holds the rules that need no state (gas limit range, label,
//!   message numbers); every way into the node checks them first.
//!
//! # What is signed, and the transaction hash
//!
//! The signed message is the transaction's canonical JSON ([`Transaction::canonical_bytes`]):
//! the transaction as the node re-encodes it from its decoded fields (EIP-55 addresses,
//! lowercase hex, `admin` present as `null` when unset), then written with the rules of
//! [`crate::canonical`] (sorted keys, no whitespace). A client reproduces it by building that
//! JSON object and canonicalising it with any RFC 8785 (JCS) library, and signs it with EIP-191
//! `personal_sign` ([`crate::signature`]).
//!
//! The transaction hash is `keccak256(canonical_bytes)`: the signature is **not** included.
//! Ethereum hashes the signed envelope because its transactions carry no sender: the signature
//! is what names the sender, so two senders' otherwise-equal transactions must differ by it.
//! Here `from` is inside the signed body, so the body alone identifies the transaction; leaving
//! the signature out also lets a client know the hash before signing, gives impersonated (dev
//! mode, unsigned) transactions a hash of the same form, and means no re-encoding of a signature
//! can make one transaction appear under two hashes.

mod fields;
mod signed;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tidepool_ledger::{Address, Hash, keccak256};

use crate::error::{NodeError, Rejection};
use crate::{canonical, whole_number};
pub use fields::{decimal, hex_bytes, object, optional_hex_bytes};
pub use signed::{CheckedTransaction, SignedTransaction};

/// A transaction: who sends it, on which chain, in which order, with how much gas, to do what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(crate::openapi::examples::transaction)))]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// The chain this transaction is for; a node refuses other chains' transactions, so a
    /// signature cannot be replayed elsewhere.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub chain_id: u64,
    /// The sender's transaction count before this one: each nonce is used exactly once, in order.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub nonce: u64,
    /// The sender, who must have signed the transaction.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub from: Address,
    /// The most gas the transaction may use: at least the base cost of any transaction, at most
    /// the node's maximum ([`crate::apply::TX_BASE_GAS`], [`crate::apply::MAX_TX_GAS`]).
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::gas_limit))]
    pub gas_limit: u64,
    /// What the transaction does.
    #[serde(deserialize_with = "object::deserialize")]
    pub action: Action,
}

/// What a transaction does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Moves native tokens from the sender to `to`.
    Transfer {
        /// The recipient.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
        to: Address,
        /// How much, in the native token's smallest unit.
        #[serde(with = "decimal")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
        amount: u128,
    },
    /// Stores a WASM module; contracts are later instantiated from its code hash.
    UploadCode {
        /// The module's bytes (`0x` + hex in JSON).
        #[serde(with = "hex_bytes")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::HexBytes))]
        wasm: Vec<u8>,
    },
    /// Creates a contract from uploaded code and runs its `instantiate` entry point.
    Instantiate {
        /// keccak256 of the uploaded module.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
        code_hash: Hash,
        /// The instantiate message.
        #[serde(deserialize_with = "required_message")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::JsonValue))]
        msg: Value,
        /// Native tokens sent to the new contract.
        #[serde(with = "decimal")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
        funds: u128,
        /// A human-readable label: printable ASCII, at most
        /// [`tidepool_abi::limits::MAX_LABEL_LEN`] bytes ([`check_label`]).
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Label))]
        label: String,
        /// Who may migrate the contract; `None` (null or absent) makes it immutable.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Address>))]
        admin: Option<Address>,
    },
    /// Runs a contract's `execute` entry point.
    Execute {
        /// The contract.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
        contract: Address,
        /// The execute message.
        #[serde(deserialize_with = "required_message")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::JsonValue))]
        msg: Value,
        /// Native tokens sent to the contract with the call.
        #[serde(with = "decimal")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
        funds: u128,
    },
    /// Moves a contract to new code and runs the new code's `migrate` entry point; only the
    /// contract's admin may.
    Migrate {
        /// The contract.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
        contract: Address,
        /// keccak256 of the uploaded module to switch to.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
        new_code_hash: Hash,
        /// The migrate message.
        #[serde(deserialize_with = "required_message")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::JsonValue))]
        msg: Value,
    },
}

/// Whether `label` may name a new contract: printable ASCII (U+0020 to U+007E), at most
/// [`tidepool_abi::limits::MAX_LABEL_LEN`] bytes. ASCII only, so that a limit in bytes (the VM's)
/// and one in characters (the OpenAPI schema's `maxLength`) are the same limit.
///
/// # Errors
/// What is wrong with it, for [`Rejection::InvalidTransaction`].
pub fn check_label(label: &str) -> Result<(), String> {
    let limit = tidepool_abi::limits::MAX_LABEL_LEN as usize;
    if let Some(c) = label.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!("label holds {c:?}: a label is printable ASCII (space to ~)"));
    }
    if label.len() > limit {
        return Err(format!("label is {} bytes; the limit is {limit}", label.len()));
    }
    Ok(())
}

/// Reads a `msg`, its whole numbers as integers ([`whole_number::normalize`]). Named rather than
/// left to serde's default also because that reads an absent `Value` field as `null`: a message
/// must be given (`null` itself is a message).
fn required_message<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    let mut message = Value::deserialize(deserializer)?;
    whole_number::normalize(&mut message);
    Ok(message)
}

impl Transaction {
    /// Decodes a transaction from JSON.
    ///
    /// # Errors
    ///
    /// [`Rejection::MalformedTransaction`] with serde's description of what is wrong.
    pub fn from_json(json: &[u8]) -> Result<Self, NodeError> {
        serde_json::from_slice(json).map_err(|e| NodeError::Rejected(Rejection::MalformedTransaction(e.to_string())))
    }

    /// The canonical JSON of this transaction: the exact message that is signed, and whose
    /// keccak256 is the transaction hash. See the module documentation and [`crate::canonical`].
    ///
    /// # Errors
    ///
    /// [`Rejection::UnsupportedNumber`] if a `msg` holds a non-integer number.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool_node::tx::{Action, Transaction};
    ///
    /// let from = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23".parse()?;
    /// let to = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266".parse()?;
    /// let tx = Transaction { chain_id: 1337, nonce: 0, from, gas_limit: 100_000,
    ///                        action: Action::Transfer { to, amount: 5000 } };
    /// assert_eq!(
    ///     String::from_utf8(tx.canonical_bytes()?)?,
    ///     r#"{"action":{"amount":"5000","to":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","type":"transfer"},"#.to_owned()
    ///         + r#""chain_id":1337,"from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","gas_limit":100000,"nonce":0}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, NodeError> {
        // The members in canonical (sorted) order, each written as its serde form would be:
        // the same bytes as `canonical::to_vec(&serde_json::to_value(self)?)` (a property test
        // holds the two equal), without building the `Value` tree, which was most of this
        // function's time on every signature check.
        let mut out = Vec::with_capacity(256);
        let mut tx = canonical::ObjectWriter::begin(&mut out);
        let mut action = canonical::ObjectWriter::begin(tx.key("action"));
        match &self.action {
            Action::Transfer { to, amount } => {
                action.display("amount", amount);
                action.display("to", to);
                action.string("type", "transfer");
            }
            Action::UploadCode { wasm } => {
                action.string("type", "upload_code");
                let out = action.key("wasm");
                out.extend_from_slice(b"\"0x");
                let start = out.len();
                out.resize(start + 2 * wasm.len(), 0);
                hex::encode_to_slice(wasm, &mut out[start..]).expect("the buffer is twice the bytes");
                out.push(b'"');
            }
            Action::Instantiate { code_hash, msg, funds, label, admin } => {
                match admin {
                    Some(admin) => action.display("admin", admin),
                    None => action.key("admin").extend_from_slice(b"null"),
                }
                action.display("code_hash", code_hash);
                action.display("funds", funds);
                action.string("label", label);
                action.value("msg", msg)?;
                action.string("type", "instantiate");
            }
            Action::Execute { contract, msg, funds } => {
                action.display("contract", contract);
                action.display("funds", funds);
                action.value("msg", msg)?;
                action.string("type", "execute");
            }
            Action::Migrate { contract, new_code_hash, msg } => {
                action.display("contract", contract);
                action.value("msg", msg)?;
                action.display("new_code_hash", new_code_hash);
                action.string("type", "migrate");
            }
        }
        action.end();
        tx.integer("chain_id", self.chain_id);
        tx.display("from", self.from);
        tx.integer("gas_limit", self.gas_limit);
        tx.integer("nonce", self.nonce);
        tx.end();
        Ok(out)
    }

    /// The transaction hash: keccak256 of [`Transaction::canonical_bytes`] (no signature).
    ///
    /// # Errors
    ///
    /// As [`Transaction::canonical_bytes`].
    pub fn hash(&self) -> Result<Hash, NodeError> {
        Ok(keccak256(&self.canonical_bytes()?))
    }

    /// The checks that need no state and no signature: the gas limit's range
    /// ([`crate::apply::TX_BASE_GAS`]`..=`[`crate::apply::MAX_TX_GAS`]), the label
    /// ([`check_label`]) and the message's numbers (integers in the 64-bit range, see
    /// [`crate::canonical`]). They are what the API's schema says about a transaction beyond its
    /// JSON shape, so the node checks them first ([`crate::Node::submit`], `submit_batch`,
    /// `simulate`, `impersonate`), before the signature and the state; [`crate::apply`] checks
    /// them again for callers that come another way.
    ///
    /// # Errors
    ///
    /// [`Rejection::GasLimitOutOfRange`], [`Rejection::InvalidTransaction`] (the label), or
    /// [`Rejection::UnsupportedNumber`].
    pub fn check_form(&self) -> Result<(), Rejection> {
        use crate::apply::{MAX_TX_GAS, TX_BASE_GAS};
        if !(TX_BASE_GAS..=MAX_TX_GAS).contains(&self.gas_limit) {
            return Err(Rejection::GasLimitOutOfRange { got: self.gas_limit, min: TX_BASE_GAS, max: MAX_TX_GAS });
        }
        let message = match &self.action {
            Action::Instantiate { label, msg, .. } => {
                check_label(label).map_err(Rejection::InvalidTransaction)?;
                msg
            }
            Action::Execute { msg, .. } | Action::Migrate { msg, .. } => msg,
            Action::Transfer { .. } | Action::UploadCode { .. } => return Ok(()),
        };
        canonical::check_numbers(message)
    }

    /// Signs the transaction with `key` (EIP-191 `personal_sign` over the canonical JSON,
    /// RFC 6979 deterministic, low-s, `v` ∈ {27, 28}). The key should be `from`'s: signing with
    /// another key produces a transaction that [`SignedTransaction::check`] refuses.
    ///
    /// # Errors
    ///
    /// As [`Transaction::canonical_bytes`].
    pub fn sign(self, key: &k256::ecdsa::SigningKey) -> Result<SignedTransaction, NodeError> {
        let signature = crate::signature::sign_message(&self.canonical_bytes()?, key);
        Ok(SignedTransaction { tx: self, signature })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn address(byte: u8) -> Address {
        Address([byte; 20])
    }

    fn every_action() -> Vec<Action> {
        vec![
            Action::Transfer { to: address(2), amount: u128::MAX },
            Action::UploadCode { wasm: b"\0asm\x01\0\0\0".to_vec() },
            Action::Instantiate {
                code_hash: Hash([7; 32]),
                msg: json!({ "name": "Token", "decimals": 6 }),
                funds: 0,
                label: "token".into(),
                admin: Some(address(1)),
            },
            Action::Instantiate {
                code_hash: Hash([7; 32]),
                msg: json!({}),
                funds: 1,
                label: String::new(),
                admin: None,
            },
            Action::Execute {
                contract: address(3),
                msg: json!({ "transfer": { "to": "x", "amount": "1" } }),
                funds: 10,
            },
            Action::Migrate { contract: address(3), new_code_hash: Hash([8; 32]), msg: json!(null) },
        ]
    }

    fn tx(action: Action) -> Transaction {
        Transaction { chain_id: 1337, nonce: 4, from: address(1), gas_limit: 1_000_000, action }
    }

    #[test]
    fn every_action_round_trips_through_json_and_canonical_json() {
        for action in every_action() {
            let tx = tx(action);
            let json = serde_json::to_vec(&tx).unwrap();
            assert_eq!(Transaction::from_json(&json).unwrap(), tx);
            let canonical = tx.canonical_bytes().unwrap();
            assert_eq!(Transaction::from_json(&canonical).unwrap(), tx);
            assert_eq!(tx.hash().unwrap(), keccak256(&canonical));
        }
    }

    #[test]
    fn json_shape_is_readable() {
        let upload = serde_json::to_value(tx(Action::UploadCode { wasm: vec![0, 0x61, 0xff] })).unwrap();
        assert_eq!(upload["action"], json!({ "type": "upload_code", "wasm": "0x0061ff" }));
        let instantiate = serde_json::to_value(tx(every_action().swap_remove(3))).unwrap();
        assert_eq!(instantiate["action"]["admin"], Value::Null);
        assert_eq!(instantiate["action"]["funds"], json!("1"));
        assert_eq!(instantiate["from"], json!("0x0101010101010101010101010101010101010101"));
    }

    #[test]
    fn decoding_refuses_what_it_cannot_sign_unambiguously() {
        let good = json!({ "chain_id": 1, "nonce": 0, "from": "0x0101010101010101010101010101010101010101",
                           "gas_limit": 10, "action": { "type": "transfer", "to": "0x0202020202020202020202020202020202020202", "amount": "5" } });
        assert!(Transaction::from_json(good.to_string().as_bytes()).is_ok());
        let mutations: [(&str, Value); 8] = [
            ("/action/amount", json!(5)),
            ("/action/amount", json!("05")),
            ("/action/type", json!("Transfer")),
            ("/action/type", json!("burn")),
            ("/nonce", json!(-1)),
            ("/nonce", json!("0")),
            ("/gas_limit", json!(1.5)),
            ("/from", json!("0x0101")),
        ];
        for (pointer, replacement) in mutations {
            let mut bad = good.clone();
            *bad.pointer_mut(pointer).unwrap() = replacement.clone();
            let err = Transaction::from_json(bad.to_string().as_bytes()).unwrap_err();
            assert!(
                matches!(err, NodeError::Rejected(Rejection::MalformedTransaction(_))),
                "{pointer} = {replacement}: {err}"
            );
        }
        let execute = json!({ "chain_id": 1, "nonce": 0, "from": "0x0101010101010101010101010101010101010101",
                              "gas_limit": 21000, "action": { "type": "execute", "contract": "0x0202020202020202020202020202020202020202",
                                                              "funds": "0", "msg": null } });
        assert!(Transaction::from_json(execute.to_string().as_bytes()).is_ok(), "a null message");
        let mut no_message = execute;
        no_message["action"].as_object_mut().unwrap().remove("msg");
        assert!(Transaction::from_json(no_message.to_string().as_bytes()).is_err(), "no message");
        let mut extra = good.clone();
        extra["action"]["memo"] = json!("hi");
        assert!(Transaction::from_json(extra.to_string().as_bytes()).is_err(), "unknown action field");
        let mut extra = good;
        extra["fee"] = json!(1);
        assert!(Transaction::from_json(extra.to_string().as_bytes()).is_err(), "unknown transaction field");
        assert!(Transaction::from_json(b"{").is_err());
        assert!(Transaction::from_json(b"").is_err());
    }

    #[test]
    fn floats_in_messages_cannot_be_signed() {
        let tx = tx(Action::Execute { contract: address(3), msg: json!({ "ratio": 0.5 }), funds: 0 });
        assert!(
            matches!(tx.canonical_bytes(), Err(NodeError::Rejected(Rejection::UnsupportedNumber(n))) if n == "0.5")
        );
        assert!(tx.hash().is_err());
    }

    #[test]
    fn the_hash_changes_with_every_field() {
        let base = tx(every_action().swap_remove(2));
        let mut variants = vec![base.clone()];
        variants.push(Transaction { chain_id: 1, ..base.clone() });
        variants.push(Transaction { nonce: 5, ..base.clone() });
        variants.push(Transaction { from: address(9), ..base.clone() });
        variants.push(Transaction { gas_limit: 1, ..base.clone() });
        variants.extend(every_action().into_iter().map(tx));
        let hashes: std::collections::BTreeSet<Hash> = variants.iter().map(|t| t.hash().unwrap()).collect();
        // `base` also appears among `every_action`, so one fewer distinct hash.
        assert_eq!(hashes.len(), variants.len() - 1);
    }
}
