//! The state file: a chain's state at one height — accounts, uploaded code, contracts and their
//! storage, with the chain id, height and time — as one JSON document that a dev node writes
//! (`POST /dev/dump_state`, [`Node::dump_state`](crate::Node::dump_state)) and starts from
//! (`POST /dev/load_state`, `tidepool node --load-state FILE`,
//! [`Node::load_state`](crate::Node::load_state)). docs/state-file.md is the format's reference;
//! [`FORMAT`] and [`VERSION`] name it.
//!
//! History (blocks, transactions, receipts, events) does not travel: a loaded chain is a new chain
//! whose first block, at the file's height and time, writes the whole state — a genesis, with the
//! state root [`tidepool_ledger::genesis_root`] gives. [`StateFile::state_root`] is that root, so
//! a node loading the file ends with exactly it, and a file edited by hand says so (leave the root
//! out to load it anyway).
//!
//! Start with [`StateFile`]: [`StateFile::read`] takes a [`View`] apart into one, and
//! [`StateFile::genesis_block`] checks one and puts it back together as the block that loads it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tidepool_ledger::table::STORAGE_PREFIX_LEN;
use tidepool_ledger::{
    Account, Address, ContractInstance, Direction, Hash, KeyRange, MemoryStore, NewBlock, Overlay, Table, genesis_root,
    keccak256,
};
use tidepool_vm::Vm;

use crate::error::{HostError, NodeError, Rejection};
use crate::tx::{check_label, decimal, hex_bytes, object};
use crate::view::View;
use crate::{MAX_BLOCK_TIME, whole_number};

/// The value of every state file's `format` member.
pub const FORMAT: &str = "tidepool-state";

/// The version of the format this build writes and reads. A change to what a file holds or how
/// it is written is a new version.
pub const VERSION: u32 = 1;

/// The largest height and nonce a state file holds: 2^53 − 1, the largest integer every JSON
/// reader (JavaScript's included) reads exactly. No chain gets near it; the bound keeps a loaded
/// chain from starting where a height or a nonce could overflow.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A chain's state at one height. Every list is in ascending order of its key (address, hash,
/// storage key) when the node writes it; a file read back may list entries in any order, but
/// each at most once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// Always `"tidepool-state"`.
    #[cfg_attr(feature = "openapi", schema(schema_with = format_schema))]
    pub format: Format,
    /// The format's version, [`VERSION`].
    #[cfg_attr(feature = "openapi", schema(schema_with = version_schema))]
    pub version: Version,
    /// The chain the state belongs to: a node loads only its own chain's state.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub chain_id: u64,
    /// The height whose state this is; a loaded chain's first block has it.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_007_199_254_740_991u64))]
    pub height: u64,
    /// That block's time, Unix seconds; a loaded chain's first block has it.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[cfg_attr(feature = "openapi", schema(maximum = 253_402_300_799u64))]
    pub time: u64,
    /// The state root of a first block that writes exactly this state (see the module
    /// documentation): a loaded chain's first block has it. Null or absent: not checked.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Hash>))]
    pub state_root: Option<Hash>,
    /// Every account with a stored balance or nonce (contracts' native balances included).
    #[serde(deserialize_with = "objects")]
    pub accounts: Vec<AccountEntry>,
    /// Every uploaded module.
    #[serde(deserialize_with = "objects")]
    pub code: Vec<CodeEntry>,
    /// Every contract, with its storage.
    #[serde(deserialize_with = "objects")]
    pub contracts: Vec<ContractEntry>,
}

/// An account's nonce and native balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: Address,
    /// Transactions sent (contracts: contracts created).
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_007_199_254_740_991u64))]
    pub nonce: u64,
    /// Native balance, base units.
    #[serde(with = "decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Amount))]
    pub balance: u128,
}

/// An uploaded module. What the VM learns from the wasm (entry points, size) is not in the file:
/// the loading node validates the wasm again and finds it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    /// keccak256 of the wasm.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
    pub hash: Hash,
    /// Who uploaded it.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub uploader: Address,
    /// The height of the block that uploaded it.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub uploaded_at: u64,
    /// The module.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::HexBytes))]
    pub wasm: Vec<u8>,
}

/// A contract instance and its storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContractEntry {
    /// The contract.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: Address,
    /// The code it runs: one of the file's `code` entries.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Hash))]
    pub code_hash: Hash,
    /// Who may migrate it; null or absent: nobody.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Address>))]
    pub admin: Option<Address>,
    /// Who created it.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub creator: Address,
    /// Its label.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Label))]
    pub label: String,
    /// The height of the block that created it.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub created_at: u64,
    /// Its storage: raw keys and values, as the contract wrote them.
    #[serde(deserialize_with = "objects")]
    pub storage: Vec<StorageEntry>,
}

/// One storage entry of a contract. Any length: a contract writes keys and values within the
/// ABI's limits, but `/dev/set_storage` may write longer ones, and a state file holds whatever the
/// state holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StorageEntry {
    /// The key, without the contract's address.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::HexBytes))]
    pub key: Vec<u8>,
    /// The value.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::HexBytes))]
    pub value: Vec<u8>,
}

/// The `format` member: only ever [`FORMAT`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Format;

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(FORMAT)
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Format, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if name == FORMAT {
            Ok(Format)
        } else {
            Err(serde::de::Error::custom(format!("format {name:?} is not a Tidepool state file ({FORMAT:?})")))
        }
    }
}

/// The `version` member: only ever [`VERSION`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version;

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(VERSION)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
        let version: u64 = whole_number::deserialize(deserializer)?;
        if version == u64::from(VERSION) {
            Ok(Version)
        } else {
            Err(serde::de::Error::custom(format!("state file version {version}: this node reads version {VERSION}")))
        }
    }
}

#[cfg(feature = "openapi")]
fn format_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([FORMAT]))
        .description(Some("Always \"tidepool-state\"."))
        .into()
}

#[cfg(feature = "openapi")]
fn version_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .enum_values(Some([VERSION]))
        .description(Some("The format's version: 1."))
        .into()
}

/// A list of structs, each read only from a JSON object (see [`object`]).
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    struct Entry<T>(T);
    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entry<T> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            object::deserialize(deserializer).map(Entry)
        }
    }
    Ok(Vec::<Entry<T>>::deserialize(deserializer)?.into_iter().map(|Entry(entry)| entry).collect())
}

impl StateFile {
    /// The state `view` reads, at its height, as a state file of chain `chain_id`, with its
    /// [`StateFile::state_root`].
    ///
    /// # Errors
    /// Only if the ledger fails or holds records that do not decode.
    pub fn read(view: &View, chain_id: u64) -> Result<StateFile, NodeError> {
        let store = view.state().store();
        let state = view.state().overlay();
        let entries = |table| store.iter(table, &KeyRange::all(), Direction::Forward);
        let corrupt = |what: String| NodeError::Host(HostError::CorruptRecord(what));
        let address = |key: &[u8]| {
            <[u8; 20]>::try_from(key).map(Address).map_err(|_| corrupt(format!("a 20-byte key of {key:02x?}")))
        };

        let mut raw = Vec::new();
        let mut accounts = Vec::new();
        for entry in entries(Table::Accounts)? {
            let (key, value) = entry?;
            let Account { nonce, balance } = state.account(&address(&key)?)?;
            accounts.push(AccountEntry { address: address(&key)?, nonce, balance });
            raw.push((Table::Accounts, key, value));
        }
        let mut code = Vec::new();
        for entry in entries(Table::Code)? {
            let (key, value) = entry?;
            // Each module is two entries: its metadata (hash ‖ 0) and its wasm (hash ‖ 1).
            if key.len() == 33 && key[32] == 0 {
                let hash = Hash(key[..32].try_into().expect("32 bytes"));
                let record = state.code(&hash)?.ok_or_else(|| corrupt(format!("code {hash}")))?;
                code.push(CodeEntry {
                    hash,
                    uploader: record.meta.uploader,
                    uploaded_at: record.meta.uploaded_at,
                    wasm: record.wasm,
                });
            }
            raw.push((Table::Code, key, value));
        }
        let mut contracts = Vec::new();
        for entry in entries(Table::Instances)? {
            let (key, value) = entry?;
            let contract = address(&key)?;
            let instance = state.instance(&contract)?.ok_or_else(|| corrupt(format!("instance {contract}")))?;
            let mut storage = Vec::new();
            for entry in store.iter(Table::Storage, &KeyRange::prefix(&contract.0), Direction::Forward)? {
                let (key, value) = entry?;
                storage.push(StorageEntry { key: key[STORAGE_PREFIX_LEN..].to_vec(), value });
            }
            contracts.push(ContractEntry {
                address: contract,
                code_hash: instance.code_hash,
                admin: instance.admin,
                creator: instance.creator,
                label: instance.label,
                created_at: instance.created_at,
                storage,
            });
            raw.push((Table::Instances, key, value));
        }
        let mut stored = 0;
        for entry in entries(Table::Storage)? {
            let (key, value) = entry?;
            raw.push((Table::Storage, key, value));
            stored += 1;
        }
        // Storage belongs to a contract: storage without one would be missing from the file.
        if stored != contracts.iter().map(|c| c.storage.len()).sum::<usize>() {
            return Err(corrupt("storage of an address that holds no contract".into()));
        }
        Ok(StateFile {
            format: Format,
            version: Version,
            chain_id,
            height: view.height(),
            time: view.header().time,
            state_root: Some(genesis_root(raw)),
            accounts,
            code,
            contracts,
        })
    }

    /// The checks that need neither state nor code: the ranges the format gives heights, times,
    /// nonces and labels. The API's schema says the same.
    ///
    /// # Errors
    /// [`Rejection::MalformedStateFile`], saying which entry.
    pub fn check_form(&self) -> Result<(), Rejection> {
        let malformed = |what: String| Err(Rejection::MalformedStateFile(what));
        if self.height > MAX_SAFE_INTEGER {
            return malformed(format!("height {} is above {MAX_SAFE_INTEGER}", self.height));
        }
        if self.time > MAX_BLOCK_TIME {
            return malformed(format!("time {} is above {MAX_BLOCK_TIME} (9999-12-31T23:59:59Z)", self.time));
        }
        if let Some(account) = self.accounts.iter().find(|a| a.nonce > MAX_SAFE_INTEGER) {
            return malformed(format!("the nonce of {} is above {MAX_SAFE_INTEGER}", account.address));
        }
        for contract in &self.contracts {
            if let Err(e) = check_label(&contract.label) {
                return malformed(format!("contract {}: {e}", contract.address));
            }
        }
        Ok(())
    }

    /// The block that loads this state into an empty ledger (its time is the file's; commit it
    /// at [`StateFile::height`] with [`tidepool_ledger::Ledger::replace_chain`]), after checking
    /// the file: its form, its chain id against `chain_id`, every module (validated and compiled
    /// by `vm`, whose hash must be its wasm's), every contract's code, each entry at most once,
    /// and the state root if the file gives one.
    ///
    /// # Errors
    /// [`Rejection::MalformedStateFile`], [`Rejection::WrongChainId`],
    /// [`Rejection::InvalidStateFile`]; a VM failure.
    pub fn genesis_block(&self, vm: &Vm, chain_id: u64) -> Result<NewBlock, NodeError> {
        self.check_form()?;
        if self.chain_id != chain_id {
            return Err(Rejection::WrongChainId { expected: chain_id, got: self.chain_id }.into());
        }
        let invalid = |what: String| NodeError::Rejected(Rejection::InvalidStateFile(what));
        let mut overlay = Overlay::new(Arc::new(MemoryStore::default()));
        let mut seen = BTreeSet::new();
        for account in &self.accounts {
            if !seen.insert(account.address) {
                return Err(invalid(format!("account {} is listed twice", account.address)));
            }
            overlay.set_account(&account.address, &Account { nonce: account.nonce, balance: account.balance });
        }
        let mut uploaded = BTreeSet::new();
        for code in &self.code {
            let hash = keccak256(&code.wasm);
            if hash != code.hash {
                return Err(invalid(format!("code {} is not keccak256 of its wasm, which is {hash}", code.hash)));
            }
            if !uploaded.insert(hash) {
                return Err(invalid(format!("code {hash} is listed twice")));
            }
            vm.upload(&mut overlay, code.uploader, code.uploaded_at, &code.wasm)?
                .map_err(|e| invalid(format!("code {hash}: {e}")))?;
        }
        let mut contracts = BTreeSet::new();
        for contract in &self.contracts {
            if !contracts.insert(contract.address) {
                return Err(invalid(format!("contract {} is listed twice", contract.address)));
            }
            if !uploaded.contains(&contract.code_hash) {
                return Err(invalid(format!(
                    "contract {} runs code {}, which the file does not hold",
                    contract.address, contract.code_hash
                )));
            }
            let instance = ContractInstance {
                code_hash: contract.code_hash,
                admin: contract.admin,
                creator: contract.creator,
                label: contract.label.clone(),
                created_at: contract.created_at,
            };
            overlay.set_instance(&contract.address, &instance);
            let mut keys = BTreeSet::new();
            for entry in &contract.storage {
                if !keys.insert(entry.key.as_slice()) {
                    return Err(invalid(format!(
                        "contract {}: storage key 0x{} is listed twice",
                        contract.address,
                        hex::encode(&entry.key)
                    )));
                }
                overlay.storage_set(&contract.address, &entry.key, &entry.value);
            }
        }
        let changes = overlay.into_changes();
        if let Some(expected) = self.state_root {
            // The root the block will have: its writes, one per key, in table-then-key order.
            let state: BTreeMap<_, _> = changes
                .writes
                .iter()
                .filter_map(|(table, key, value)| Some(((*table, key.as_slice()), value.as_deref()?)))
                .collect();
            let root = genesis_root(state.into_iter().map(|((table, key), value)| (table, key, value)));
            if root != expected {
                return Err(invalid(format!(
                    "its state root is {expected}, but its state's is {root} (was it edited? Remove state_root \
                     to load it as it is)"
                )));
            }
        }
        Ok(NewBlock { time: self.time, changes, txs: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "format": "tidepool-state", "version": 1, "chain_id": 31337, "height": 5, "time": 1_700_000_000,
            "accounts": [{"address": "0x0000000000000000000000000000000000000001", "nonce": 2, "balance": "7"}],
            "code": [], "contracts": [],
        })
    }

    #[test]
    fn a_file_reads_back_as_written() {
        let file: StateFile = serde_json::from_value(minimal()).unwrap();
        assert_eq!(file.state_root, None);
        assert_eq!(file.accounts[0].balance, 7);
        let written = serde_json::to_value(&file).unwrap();
        assert_eq!(written["format"], FORMAT);
        assert_eq!(written["version"], VERSION);
        assert_eq!(serde_json::from_value::<StateFile>(written).unwrap(), file);
    }

    #[test]
    fn another_format_version_or_shape_does_not_read() {
        for (member, value) in [
            ("format", serde_json::json!("anvil")),
            ("version", serde_json::json!(2)),
            ("accounts", serde_json::json!([["0x0000000000000000000000000000000000000001", 2, "7"]])),
            ("unknown", serde_json::json!(1)),
        ] {
            let mut file = minimal();
            file[member] = value;
            assert!(serde_json::from_value::<StateFile>(file).is_err(), "{member}");
        }
        let mut whole = minimal();
        whole["height"] = serde_json::json!(5.0);
        assert_eq!(serde_json::from_value::<StateFile>(whole).unwrap().height, 5);
    }

    #[test]
    fn the_form_is_checked_entry_by_entry() {
        let file: StateFile = serde_json::from_value(minimal()).unwrap();
        file.check_form().unwrap();
        let mut high = file.clone();
        high.height = MAX_SAFE_INTEGER + 1;
        let mut late = file.clone();
        late.time = MAX_BLOCK_TIME + 1;
        let mut busy = file.clone();
        busy.accounts[0].nonce = MAX_SAFE_INTEGER + 1;
        let mut bad_label = file.clone();
        bad_label.contracts.push(ContractEntry {
            address: Address([1; 20]),
            code_hash: Hash::ZERO,
            admin: None,
            creator: Address([2; 20]),
            label: "tab\there".into(),
            created_at: 0,
            storage: vec![],
        });
        for file in [high, late, busy, bad_label] {
            assert!(matches!(file.check_form(), Err(Rejection::MalformedStateFile(_))), "{file:?}");
        }
    }
}
