//! State diffs: what one transaction changed, key by key, kept in its receipt.
//!
//! [`DiffRecord::from_changes`] turns the overlay's raw changes ([`tidepool_ledger::Change`]:
//! table, key, before, after) into what a receipt's record keeps; [`StateDiff`] is the receipt's
//! form of it: contract storage entries (raw key and values, written as hex), native balance and
//! nonce changes per account, contracts created or moved to other code, code uploaded. A diff is capped ([`MAX_DIFF_ENTRIES`], [`MAX_DIFF_BYTES`]); past the cap it
//! says `truncated`.
//!
//! What can be read from the raw entries — each key along the SDK's storage layout, each value
//! as JSON — is not stored: [`StateDiff::decode`] adds it when a receipt leaves the node (a
//! read, a submission's answer), off the writer, which keeps only what it must.
//!
//! The SDK's layout (`contracts/sdk/src/storage`): an `Item` lives at its name's bytes; a `Map`
//! entry at `len(namespace) as u16 BE ‖ namespace ‖ key`, a composite key writing every part
//! but the last with a `u16` big-endian length. Values are JSON. A key that reads as one of
//! these is shown as `name` or `namespace[part][part]`; any other key is only hex.

use serde::{Deserialize, Serialize};
use tidepool_ledger::record::decode;
use tidepool_ledger::table::{STORAGE_PREFIX_LEN, Table};
use tidepool_ledger::{Account, Address, Change, ContractInstance, Hash};

/// The most entries (storage, accounts, contracts and code together) a receipt's diff lists.
pub const MAX_DIFF_ENTRIES: usize = 1000;

/// The most bytes of values (before and after) a receipt's diff carries: a transaction that
/// rewrites much storage still has a receipt of bounded size.
pub const MAX_DIFF_BYTES: usize = 256 * 1024;

/// Everything one transaction changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateDiff {
    /// Contract storage entries, by contract then key.
    pub storage: Vec<StorageChange>,
    /// Native balances and nonces, by address.
    pub accounts: Vec<AccountChange>,
    /// Contracts created, or moved to other code, by address.
    pub contracts: Vec<ContractChange>,
    /// Code uploaded (keccak256 of the wasm).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::Hash>))]
    pub code: Vec<Hash>,
    /// Whether entries were left out past [`MAX_DIFF_ENTRIES`] or [`MAX_DIFF_BYTES`].
    pub truncated: bool,
}

/// One contract storage entry that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageChange {
    /// The contract.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub contract: Address,
    /// The raw key, `0x` hex.
    #[serde(with = "crate::tx::hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::HexBytes))]
    pub key: Vec<u8>,
    /// The value before, `0x` hex; null when the key was absent.
    #[serde(with = "crate::tx::optional_hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::HexBytes>, required = true))]
    pub before: Option<Vec<u8>>,
    /// The value after, `0x` hex; null when the key was removed.
    #[serde(with = "crate::tx::optional_hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::HexBytes>, required = true))]
    pub after: Option<Vec<u8>>,
    /// The key read along the SDK's storage layout (`config`, `market[0xa8e7…]`), when it reads
    /// as one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decoded_key: Option<String>,
    /// The value before, when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::AnyJson>))]
    pub before_json: Option<serde_json::Value>,
    /// The value after, when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::AnyJson>))]
    pub after_json: Option<serde_json::Value>,
}

/// A native balance or nonce that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountChange {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: Address,
    /// Native balance before, base units.
    #[serde(with = "crate::tx::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
    pub balance_before: u128,
    /// Native balance after, base units.
    #[serde(with = "crate::tx::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
    pub balance_after: u128,
    /// Nonce before.
    pub nonce_before: u64,
    /// Nonce after.
    pub nonce_after: u64,
}

/// A contract instance created or changed (its code, by a migrate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractChange {
    /// The contract.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: Address,
    /// The code it ran before; null when it was created by this transaction.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Hash>, required = true))]
    pub code_before: Option<Hash>,
    /// The code it runs after.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Hash>, required = true))]
    pub code_after: Option<Hash>,
}

/// A state diff as a receipt's binary record keeps it ([`crate::record`]): the raw entries,
/// nothing hex-encoded, parsed or decoded. [`StateDiff::from`] gives the receipt's form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffRecord {
    /// Contract storage entries, by contract then key.
    pub storage: Vec<StorageRecord>,
    /// Native balances and nonces, by address.
    pub accounts: Vec<AccountChange>,
    /// Contracts created, or moved to other code, by address.
    pub contracts: Vec<ContractChange>,
    /// Code uploaded.
    pub code: Vec<Hash>,
    /// Whether entries were left out past the caps.
    pub truncated: bool,
}

/// A storage entry of a [`DiffRecord`]: the contract, the raw key, the raw values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageRecord {
    /// The contract.
    pub contract: Address,
    /// The raw key.
    #[serde(with = "tidepool_ledger::bytes")]
    pub key: Vec<u8>,
    /// The value before; `None` when the key was absent.
    #[serde(with = "tidepool_ledger::bytes::option")]
    pub before: Option<Vec<u8>>,
    /// The value after; `None` when the key was removed.
    #[serde(with = "tidepool_ledger::bytes::option")]
    pub after: Option<Vec<u8>>,
}

impl From<DiffRecord> for StateDiff {
    /// The receipt's form, not yet decoded ([`StateDiff::decode`]).
    fn from(record: DiffRecord) -> StateDiff {
        let storage = record
            .storage
            .into_iter()
            .map(|entry| StorageChange {
                contract: entry.contract,
                key: entry.key,
                before: entry.before,
                after: entry.after,
                decoded_key: None,
                before_json: None,
                after_json: None,
            })
            .collect();
        StateDiff {
            storage,
            accounts: record.accounts,
            contracts: record.contracts,
            code: record.code,
            truncated: record.truncated,
        }
    }
}

impl StateDiff {
    /// The diff of `changes`, not yet decoded: [`DiffRecord::from_changes`] in the receipt's
    /// form.
    pub fn from_changes(changes: Vec<Change>) -> StateDiff {
        DiffRecord::from_changes(changes).into()
    }
}

impl DiffRecord {
    /// The diff of `changes` (sorted by table then key, as [`tidepool_ledger::Overlay::diff_since`]
    /// gives them), within the caps. Values that do not decode are shown raw and never fail the
    /// transaction.
    pub fn from_changes(changes: Vec<Change>) -> DiffRecord {
        let mut diff = DiffRecord::default();
        let mut entries = 0;
        let mut bytes = 0;
        for (table, key, before, after) in changes {
            entries += 1;
            bytes += before.as_ref().map_or(0, Vec::len) + after.as_ref().map_or(0, Vec::len);
            if entries > MAX_DIFF_ENTRIES || bytes > MAX_DIFF_BYTES {
                diff.truncated = true;
                break;
            }
            match table {
                Table::Storage if key.len() >= STORAGE_PREFIX_LEN => {
                    diff.storage.push(storage_change(key, before, after));
                }
                Table::Accounts => {
                    let Ok(address) = <[u8; 20]>::try_from(key.as_slice()).map(Address) else { continue };
                    let account = |bytes: Option<Vec<u8>>| {
                        bytes.and_then(|b| decode::<Account>(Table::Accounts, &b).ok()).unwrap_or_default()
                    };
                    let (before, after) = (account(before), account(after));
                    diff.accounts.push(AccountChange {
                        address,
                        balance_before: before.balance,
                        balance_after: after.balance,
                        nonce_before: before.nonce,
                        nonce_after: after.nonce,
                    });
                }
                Table::Instances => {
                    let Ok(address) = <[u8; 20]>::try_from(key.as_slice()).map(Address) else { continue };
                    let code = |bytes: Option<Vec<u8>>| {
                        bytes.and_then(|b| decode::<ContractInstance>(Table::Instances, &b).ok()).map(|i| i.code_hash)
                    };
                    diff.contracts.push(ContractChange { address, code_before: code(before), code_after: code(after) });
                }
                // Code is stored in two entries per hash (metadata, wasm): list the hash once.
                Table::Code if before.is_none() && key.last() == Some(&0) && key.len() == 33 => {
                    let Ok(hash) = <[u8; 32]>::try_from(&key[..32]).map(Hash) else { continue };
                    diff.code.push(hash);
                }
                _ => {}
            }
        }
        diff
    }
}

impl StateDiff {
    /// Adds to each storage entry what its raw bytes say: the key along the SDK's layout and
    /// the values as JSON, where they read as such. A receipt's diff is stored raw and decoded
    /// when it leaves the node, so the writer never parses values; decoding twice changes
    /// nothing.
    pub fn decode(&mut self) {
        for change in &mut self.storage {
            change.decode();
        }
    }

    /// Whether the transaction changed nothing.
    pub fn is_empty(&self) -> bool {
        self.storage.is_empty() && self.accounts.is_empty() && self.contracts.is_empty() && self.code.is_empty()
    }

    /// The diff as readable lines: storage by contract (decoded keys and JSON values where
    /// they apply), then balances and nonces, contracts, code.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut contract = None;
        for change in &self.storage {
            if contract != Some(change.contract) {
                contract = Some(change.contract);
                out.push_str(&format!("storage of {}:\n", change.contract));
            }
            let key = change.decoded_key.clone().unwrap_or_else(|| hex0x(&change.key));
            let value = |json: &Option<serde_json::Value>, bytes: &Option<Vec<u8>>| match (json, bytes) {
                (Some(json), _) => json.to_string(),
                (None, Some(bytes)) => hex0x(bytes),
                (None, None) => "(absent)".to_owned(),
            };
            out.push_str(&format!(
                "  {key}: {} → {}\n",
                value(&change.before_json, &change.before),
                value(&change.after_json, &change.after)
            ));
        }
        for account in &self.accounts {
            out.push_str(&format!("account {}:", account.address));
            if account.balance_before != account.balance_after {
                out.push_str(&format!(" balance {} → {}", account.balance_before, account.balance_after));
            }
            if account.nonce_before != account.nonce_after {
                out.push_str(&format!(" nonce {} → {}", account.nonce_before, account.nonce_after));
            }
            out.push('\n');
        }
        for change in &self.contracts {
            match (change.code_before, change.code_after) {
                (None, Some(code)) => out.push_str(&format!("contract {} created, code {code}\n", change.address)),
                (Some(before), Some(after)) => {
                    out.push_str(&format!("contract {}: code {before} → {after}\n", change.address));
                }
                (_, None) => out.push_str(&format!("contract {} removed\n", change.address)),
            }
        }
        for code in &self.code {
            out.push_str(&format!("code uploaded {code}\n"));
        }
        if self.is_empty() {
            out.push_str("no changes\n");
        }
        if self.truncated {
            out.push_str("… truncated: the receipt keeps the first changes only\n");
        }
        out
    }
}

/// A storage entry as the writer keeps it: the bytes moved, nothing encoded or parsed.
fn storage_change(mut key: Vec<u8>, before: Option<Vec<u8>>, after: Option<Vec<u8>>) -> StorageRecord {
    let raw = key.split_off(STORAGE_PREFIX_LEN);
    StorageRecord {
        contract: Address(key.as_slice().try_into().expect("split at the prefix length")),
        key: raw,
        before,
        after,
    }
}

impl StorageChange {
    /// Fills the decoded key and the JSON values from the raw ones ([`StateDiff::decode`]).
    fn decode(&mut self) {
        let json = |bytes: &Option<Vec<u8>>| bytes.as_deref().and_then(|value| serde_json::from_slice(value).ok());
        self.decoded_key = decode_key(&self.key);
        self.before_json = json(&self.before);
        self.after_json = json(&self.after);
    }
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A storage key read along the SDK's layout, if it reads as an `Item` or a `Map` entry.
pub fn decode_key(key: &[u8]) -> Option<String> {
    // A map entry: a namespace of the stated length, then the key's parts.
    if let [hi, lo, rest @ ..] = key {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if len > 0
            && rest.len() >= len
            && let Some(namespace) = printable(&rest[..len])
        {
            return Some(format!("{namespace}{}", map_key_parts(&rest[len..])));
        }
    }
    printable(key).map(str::to_owned)
}

/// `bytes` as text, if they are non-empty printable ASCII.
fn printable(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()))
}

/// `[part][part]…` of a map key: length-prefixed parts while they fit, then the last part.
fn map_key_parts(mut key: &[u8]) -> String {
    let mut out = String::new();
    loop {
        if let [hi, lo, rest @ ..] = key {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            // A nested part is length-prefixed and leaves something for the last part.
            if len > 0 && rest.len() > len && matches!(len, 20 | 1..=16) {
                out.push_str(&format!("[{}]", key_part(&rest[..len])));
                key = &rest[len..];
                continue;
            }
        }
        if !key.is_empty() {
            out.push_str(&format!("[{}]", key_part(key)));
        }
        return out;
    }
}

/// One part of a map key: an address (EIP-55), text, or hex.
fn key_part(part: &[u8]) -> String {
    if let Ok(address) = <[u8; 20]>::try_from(part) {
        return Address(address).to_string();
    }
    match printable(part) {
        Some(text) => format!("{text:?}"),
        None => hex0x(part),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_key(namespace: &str, parts: &[&[u8]]) -> Vec<u8> {
        let mut out = (namespace.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(namespace.as_bytes());
        for (i, part) in parts.iter().enumerate() {
            if i + 1 < parts.len() {
                out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            }
            out.extend_from_slice(part);
        }
        out
    }

    #[test]
    fn keys_decode_along_the_sdk_layout() {
        let user = Address([0xa8; 20]);
        let asset = Address([0x11; 20]);
        assert_eq!(decode_key(b"config").as_deref(), Some("config"));
        assert_eq!(decode_key(&map_key("market", &[&asset.0])), Some(format!("market[{asset}]")));
        assert_eq!(
            decode_key(&map_key("positions", &[&user.0, &asset.0])),
            Some(format!("positions[{user}][{asset}]"))
        );
        assert_eq!(decode_key(&map_key("nonces", &[&7u64.to_be_bytes()])), Some("nonces[0x0000000000000007]".into()));
        assert_eq!(decode_key(&map_key("names", &[b"alice"])), Some("names[\"alice\"]".into()));
        assert_eq!(decode_key(&[0xff, 0x00, 0x01]), None, "not a layout key: hex only");
    }

    #[test]
    fn changes_become_a_diff_and_the_cap_truncates() {
        let contract = Address([1; 20]);
        let mut key = contract.0.to_vec();
        key.extend_from_slice(b"count");
        let account = |nonce, balance| tidepool_ledger::record::encode(&Account { nonce, balance });
        let who = Address([2; 20]);
        let changes = vec![
            (Table::Accounts, who.0.to_vec(), Some(account(1, 10)), Some(account(2, 7))),
            (Table::Storage, key.clone(), None, Some(b"5".to_vec())),
        ];
        let mut diff = StateDiff::from_changes(changes);
        assert_eq!(diff.storage[0].decoded_key, None, "the writer keeps the raw entries only");
        diff.decode();
        assert_eq!(
            diff.accounts,
            vec![AccountChange { address: who, balance_before: 10, balance_after: 7, nonce_before: 1, nonce_after: 2 }]
        );
        assert_eq!(diff.storage[0].decoded_key.as_deref(), Some("count"));
        assert_eq!((diff.storage[0].before.as_deref(), diff.storage[0].after.as_deref()), (None, Some(&b"5"[..])));
        assert_eq!(diff.storage[0].after_json, Some(serde_json::json!(5)));
        assert!(!diff.truncated);

        let many = (0..MAX_DIFF_ENTRIES as u32 + 5)
            .map(|i| (Table::Storage, [contract.0.to_vec(), i.to_be_bytes().to_vec()].concat(), None, Some(vec![1])))
            .collect();
        let diff = StateDiff::from_changes(many);
        assert!(diff.truncated);
        assert_eq!(diff.storage.len(), MAX_DIFF_ENTRIES);
    }
}
