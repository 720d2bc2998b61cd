//! The ledger's tables and how their keys are encoded.
//!
//! Each table is a RocksDB column family (or its own ordered map in the memory store). State
//! tables ([`Table::is_state`]) feed the state root; history tables record blocks, transactions,
//! receipts and events. The key encodings of the state tables are the functions below; the
//! history tables' keys are described on each variant.

use crate::types::{Address, Hash};

/// A table of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Ledger metadata: schema version, latest height.
    Meta,
    /// address (20) → [`crate::Account`].
    Accounts,
    /// Uploaded code, in two entries per hash so that reading the metadata never reads the
    /// wasm: [`code_meta_key`] → [`crate::CodeMeta`] and [`code_wasm_key`] → the wasm bytes.
    Code,
    /// contract address (20) → [`crate::ContractInstance`].
    Instances,
    /// contract address (20) ‖ key → value. The address prefix namespaces every contract.
    Storage,
    /// height (8, BE) → [`crate::BlockHeader`].
    Blocks,
    /// tx hash (32) → transaction bytes (opaque to the ledger).
    Txs,
    /// tx hash (32) → receipt bytes (opaque to the ledger).
    Receipts,
    /// height (8) ‖ tx index (4) ‖ event index (4) → [`crate::EventRecord`].
    Events,
    /// Secondary event indexes: by contract, by type, and by both, each key ending in the
    /// [`Table::Events`] key it points at (values are empty).
    EventIndex,
    /// height (8) → the undo record that reverts that block.
    Undo,
    /// State history: for every state key a block changed, its value before that block, under
    /// `table id ‖ escaped key ‖ 0x00 0x00 ‖ height (8, BE)` (see the `history` module of
    /// [`crate::ledger`]). Reads at past heights go through it.
    History,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Table; 12] = [
        Table::Meta,
        Table::Accounts,
        Table::Code,
        Table::Instances,
        Table::Storage,
        Table::Blocks,
        Table::Txs,
        Table::Receipts,
        Table::Events,
        Table::EventIndex,
        Table::Undo,
        Table::History,
    ];

    /// The table's position in [`Table::ALL`]. Part of the on-disk format (undo records) and of
    /// the state root's encoding: never reorder [`Table::ALL`].
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The table with [`Table::id`] `id`.
    pub fn from_id(id: u8) -> Option<Table> {
        Table::ALL.get(usize::from(id)).copied()
    }

    /// [`Table::id`] as an array index.
    pub(crate) fn index(self) -> usize {
        usize::from(self.id())
    }

    /// The column family / map name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Accounts => "accounts",
            Table::Code => "code",
            Table::Instances => "instances",
            Table::Storage => "storage",
            Table::Blocks => "blocks",
            Table::Txs => "txs",
            Table::Receipts => "receipts",
            Table::Events => "events",
            Table::EventIndex => "event_index",
            Table::Undo => "undo",
            Table::History => "history",
        }
    }

    /// Whether the table is contract-visible state that the state root covers.
    pub fn is_state(self) -> bool {
        matches!(self, Table::Accounts | Table::Code | Table::Instances | Table::Storage)
    }
}

/// Length of the contract-address prefix of every [`Table::Storage`] key.
pub const STORAGE_PREFIX_LEN: usize = 20;

/// The [`Table::Storage`] key of `key` in `contract`'s storage: `contract (20) ‖ key`.
pub fn storage_key(contract: &Address, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(STORAGE_PREFIX_LEN + key.len());
    out.extend_from_slice(&contract.0);
    out.extend_from_slice(key);
    out
}

/// The [`Table::Code`] key of a code hash's metadata: `hash (32) ‖ 0x00`.
pub fn code_meta_key(hash: &Hash) -> [u8; 33] {
    code_key(hash, 0)
}

/// The [`Table::Code`] key of a code hash's wasm bytes: `hash (32) ‖ 0x01`.
pub fn code_wasm_key(hash: &Hash) -> [u8; 33] {
    code_key(hash, 1)
}

fn code_key(hash: &Hash, part: u8) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[..32].copy_from_slice(&hash.0);
    out[32] = part;
    out
}

/// The key of a height in [`Table::Blocks`] and [`Table::Undo`]: 8 bytes big-endian, so that
/// heights sort numerically.
pub fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_follow_all() {
        for (position, table) in Table::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(table.id()), position);
            assert_eq!(Table::from_id(table.id()), Some(table));
        }
        assert_eq!(Table::from_id(Table::ALL.len() as u8), None);
    }

    #[test]
    fn code_meta_and_wasm_keys_differ_only_in_the_last_byte() {
        let hash = Hash([7; 32]);
        assert_eq!(code_meta_key(&hash)[..32], code_wasm_key(&hash)[..32]);
        assert_ne!(code_meta_key(&hash), code_wasm_key(&hash));
    }

    #[test]
    fn height_keys_sort_numerically() {
        assert!(height_key(255) < height_key(256));
        assert!(height_key(1) < height_key(u64::MAX));
    }
}
