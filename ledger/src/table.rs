//! The ledger's tables and how their keys are encoded.
//!
//! Each table is a RocksDB column family (or a key prefix in the memory store). State tables
//! ([`Table::is_state`]) feed the state root; history tables record blocks, transactions,
//! receipts and events.

/// A table of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Ledger metadata: schema version, latest height.
    Meta,
    /// address (20) → [`crate::Account`].
    Accounts,
    /// code hash (32) → [`crate::CodeRecord`].
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
    /// Secondary event indexes: by contract and by type, pointing at [`Table::Events`] keys.
    EventIndex,
    /// height (8) → the undo record that reverts that block.
    Undo,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Table; 11] = [
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
    ];

    /// The column family / prefix name.
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
        }
    }

    /// Whether the table is contract-visible state that the state root covers.
    pub fn is_state(self) -> bool {
        matches!(self, Table::Accounts | Table::Code | Table::Instances | Table::Storage)
    }
}
