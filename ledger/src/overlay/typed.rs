//! The overlay's typed accessors: accounts, code, contract instances and contract storage,
//! encoded as [`crate::table`] and [`crate::record`] describe. The reads are [`TypedReads`], so
//! a [`crate::StateView`] makes the same reads straight from its snapshot.
//!
//! Contract storage is the VM's hot path (one call per host call): its keys are built on the
//! stack when they are short, so a read allocates only for the value it returns.

use std::ops::Bound;

use super::Overlay;
use crate::error::LedgerError;
use crate::record::{Account, CodeMeta, CodeRecord, ContractInstance, decode, encode};
use crate::store::{Direction, Entry, KeyRange, ReadStore, prefix_successor};
use crate::table::{STORAGE_PREFIX_LEN, Table, code_meta_key, code_wasm_key};
use crate::types::{Address, Hash};

/// Longest contract key kept on the stack; typical keys (a name and an address or two) fit.
const INLINE_KEY_LEN: usize = 108;

/// A [`Table::Storage`] key, `contract ‖ key`, on the stack when it is short.
enum StorageKey {
    Inline { bytes: [u8; STORAGE_PREFIX_LEN + INLINE_KEY_LEN], len: usize },
    Heap(Vec<u8>),
}

impl StorageKey {
    fn new(contract: &Address, key: &[u8]) -> StorageKey {
        let len = STORAGE_PREFIX_LEN + key.len();
        if key.len() <= INLINE_KEY_LEN {
            let mut bytes = [0u8; STORAGE_PREFIX_LEN + INLINE_KEY_LEN];
            bytes[..STORAGE_PREFIX_LEN].copy_from_slice(&contract.0);
            bytes[STORAGE_PREFIX_LEN..len].copy_from_slice(key);
            StorageKey::Inline { bytes, len }
        } else {
            StorageKey::Heap(crate::table::storage_key(contract, key))
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            StorageKey::Inline { bytes, len } => &bytes[..*len],
            StorageKey::Heap(bytes) => bytes,
        }
    }
}

/// `bound` on a contract key, as a bound on its [`Table::Storage`] key.
fn scoped(contract: &Address, bound: &Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    bound.as_ref().map(|key| crate::table::storage_key(contract, key))
}

/// Typed reads of the state tables over raw reads: an overlay's (through its own writes) or a
/// snapshot's. A view answering one read (an account for `GET /v1/accounts/{a}`) reads its
/// snapshot directly, without an overlay's write maps and read cache to build and drop.
pub(crate) trait TypedReads {
    /// The value at `key` in the state table `table`.
    fn raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError>;

    /// An account (the default, zero account if never written).
    fn read_account(&self, address: &Address) -> Result<Account, LedgerError> {
        match self.raw(Table::Accounts, &address.0)? {
            Some(bytes) => decode(Table::Accounts, &bytes),
            None => Ok(Account::default()),
        }
    }

    /// Metadata of uploaded code, without reading the wasm bytes.
    fn read_code_meta(&self, hash: &Hash) -> Result<Option<CodeMeta>, LedgerError> {
        self.raw(Table::Code, &code_meta_key(hash))?.map(|bytes| decode(Table::Code, &bytes)).transpose()
    }

    /// A contract instance.
    fn read_instance(&self, address: &Address) -> Result<Option<ContractInstance>, LedgerError> {
        self.raw(Table::Instances, &address.0)?.map(|bytes| decode(Table::Instances, &bytes)).transpose()
    }
}

impl TypedReads for Overlay {
    fn raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(table, key)
    }
}

impl TypedReads for dyn ReadStore {
    fn raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(table, key)
    }
}

impl Overlay {
    /// An account (the default, zero account if never written).
    pub fn account(&self, address: &Address) -> Result<Account, LedgerError> {
        self.read_account(address)
    }

    /// Writes an account.
    pub fn set_account(&mut self, address: &Address, account: &Account) {
        self.put(Table::Accounts, &address.0, &encode(account));
    }

    /// Metadata of uploaded code, without reading the wasm bytes.
    pub fn code_meta(&self, hash: &Hash) -> Result<Option<CodeMeta>, LedgerError> {
        self.read_code_meta(hash)
    }

    /// Uploaded code: bytes and metadata.
    pub fn code(&self, hash: &Hash) -> Result<Option<CodeRecord>, LedgerError> {
        let Some(meta) = self.code_meta(hash)? else {
            return Ok(None);
        };
        let wasm = self.get(Table::Code, &code_wasm_key(hash))?.ok_or_else(|| LedgerError::Decode {
            table: Table::Code.name(),
            reason: format!("code {hash} has metadata but no wasm"),
        })?;
        Ok(Some(CodeRecord { wasm, meta }))
    }

    /// Stores uploaded code under `hash` (= keccak256 of the wasm).
    pub fn set_code(&mut self, hash: &Hash, code: &CodeRecord) {
        self.put(Table::Code, &code_meta_key(hash), &encode(&code.meta));
        self.put(Table::Code, &code_wasm_key(hash), &code.wasm);
    }

    /// A contract instance.
    pub fn instance(&self, address: &Address) -> Result<Option<ContractInstance>, LedgerError> {
        self.read_instance(address)
    }

    /// Writes a contract instance.
    pub fn set_instance(&mut self, address: &Address, instance: &ContractInstance) {
        self.put(Table::Instances, &address.0, &encode(instance));
    }

    /// A contract's storage value.
    pub fn storage_get(&self, contract: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(Table::Storage, StorageKey::new(contract, key).as_slice())
    }

    /// Writes a contract's storage value.
    pub fn storage_set(&mut self, contract: &Address, key: &[u8], value: &[u8]) {
        self.put(Table::Storage, StorageKey::new(contract, key).as_slice(), value);
    }

    /// Removes a contract's storage key.
    pub fn storage_remove(&mut self, contract: &Address, key: &[u8]) {
        self.delete(Table::Storage, StorageKey::new(contract, key).as_slice());
    }

    /// A contract's storage entries in `range` (keys without the contract prefix), never
    /// crossing into another contract's storage.
    pub fn storage_iter(
        &self,
        contract: &Address,
        range: &KeyRange,
        direction: Direction,
    ) -> Result<Box<dyn Iterator<Item = Result<Entry, LedgerError>> + '_>, LedgerError> {
        let start = match &range.start {
            Bound::Unbounded => Bound::Included(contract.0.to_vec()),
            bound => scoped(contract, bound),
        };
        let end = match &range.end {
            // Every key of this contract sorts below the next address; the all-`ff` address
            // sorts last, so its storage runs to the end of the table.
            Bound::Unbounded => prefix_successor(&contract.0).map_or(Bound::Unbounded, Bound::Excluded),
            bound => scoped(contract, bound),
        };
        let prefix = contract.0;
        let entries = self.iter(Table::Storage, &KeyRange { start, end }, direction)?;
        Ok(Box::new(entries.map_while(move |entry| match entry {
            // Unreachable by construction of the range; checked so that a bug here could only
            // end an iteration early, never show another contract's entry.
            Ok((key, _)) if !key.starts_with(&prefix) => None,
            Ok((mut key, value)) => {
                key.drain(..STORAGE_PREFIX_LEN);
                Some(Ok((key, value)))
            }
            Err(error) => Some(Err(error)),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_keys_are_the_contract_then_the_key_inline_or_not() {
        let contract = Address([9; 20]);
        for len in [0, 1, INLINE_KEY_LEN, INLINE_KEY_LEN + 1, 1024] {
            let key = vec![7u8; len];
            let expected = crate::table::storage_key(&contract, &key);
            assert_eq!(StorageKey::new(&contract, &key).as_slice(), expected.as_slice());
        }
    }

    #[test]
    fn code_meta_reads_without_the_wasm_and_code_needs_both() {
        let mut overlay = Overlay::default();
        let hash = Hash([1; 32]);
        let meta = CodeMeta {
            uploader: Address([2; 20]),
            uploaded_at: 3,
            size: 4,
            entry_points: vec!["execute".into()],
            reentrant: false,
        };
        overlay.set_code(&hash, &CodeRecord { wasm: vec![0, 97, 115, 109], meta: meta.clone() });
        assert_eq!(overlay.code_meta(&hash).unwrap(), Some(meta));
        overlay.delete(Table::Code, &code_wasm_key(&hash));
        assert!(overlay.code_meta(&hash).unwrap().is_some());
        assert!(matches!(overlay.code(&hash), Err(LedgerError::Decode { .. })));
        assert_eq!(overlay.code(&Hash([5; 32])).unwrap(), None);
    }

    #[test]
    fn accounts_default_to_zero() {
        let mut overlay = Overlay::default();
        let address = Address([4; 20]);
        assert_eq!(overlay.account(&address).unwrap(), Account::default());
        overlay.set_account(&address, &Account { nonce: 1, balance: 2 });
        assert_eq!(overlay.account(&address).unwrap(), Account { nonce: 1, balance: 2 });
    }
}
