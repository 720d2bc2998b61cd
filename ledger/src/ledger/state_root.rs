//! The state root: a hash chain over each block's state write set.
//!
//! ```text
//! root(h)  = keccak256(root(h-1) ‖ keccak256(W(h)))      root(-1) = 32 zero bytes
//! ```
//!
//! where `W(h)` is block `h`'s effective state write set in the encoding of the `write_set`
//! module: every write to a state table ([`crate::Table::is_state`]) that changed the stored
//! value, one per key (the last the block made), sorted by table id then key bytes. The same
//! history gives the same root on any machine and either backend.

use tidepool_keccak::Keccak256;

use super::write_set::{Write, encode_write};
use crate::types::Hash;

/// The root after a block whose sorted, effective state write set is `writes`, on top of
/// `parent` (the previous block's root, or [`Hash::ZERO`] for genesis).
pub(crate) fn next(parent: &Hash, writes: &[Write]) -> Hash {
    let mut write_set = Keccak256::new();
    for (table, key, value) in writes {
        encode_write(&mut write_set, *table, key, value.as_deref());
    }
    let mut chain = Keccak256::new();
    chain.update(&parent.0);
    chain.update(&write_set.finalize());
    Hash(chain.finalize())
}

/// The state root of a first block (a genesis: parent root zero) that writes exactly `state`:
/// `keccak256(0³² ‖ keccak256(W))`, with `W` every entry as a put. `state` must be sorted by
/// table id then key, one entry per key, every table a state table — as iterating the state
/// tables of a store in [`Table::ALL`](crate::Table::ALL) order yields them. A state file's root
/// is this, so that loading it ([`Ledger::replace_chain`](crate::Ledger::replace_chain)) gives a
/// block with the same root.
pub fn genesis_root<K: AsRef<[u8]>, V: AsRef<[u8]>>(state: impl IntoIterator<Item = (crate::Table, K, V)>) -> Hash {
    let mut write_set = Keccak256::new();
    for (table, key, value) in state {
        encode_write(&mut write_set, table, key.as_ref(), Some(value.as_ref()));
    }
    let mut chain = Keccak256::new();
    chain.update(&Hash::ZERO.0);
    chain.update(&write_set.finalize());
    Hash(chain.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;
    use crate::types::keccak256;

    #[test]
    fn the_root_is_the_documented_hash_chain() {
        let parent = Hash([0xab; 32]);
        let writes = vec![(Table::Accounts, vec![1; 20], Some(vec![5])), (Table::Storage, vec![2; 21], None)];
        let mut preimage = vec![Table::Accounts.id()];
        preimage.extend_from_slice(&20u64.to_be_bytes());
        preimage.extend_from_slice(&[1; 20]);
        preimage.push(1);
        preimage.extend_from_slice(&1u64.to_be_bytes());
        preimage.push(5);
        preimage.push(Table::Storage.id());
        preimage.extend_from_slice(&21u64.to_be_bytes());
        preimage.extend_from_slice(&[2; 21]);
        preimage.push(0);
        let mut chained = parent.0.to_vec();
        chained.extend_from_slice(&keccak256(&preimage).0);
        assert_eq!(next(&parent, &writes), keccak256(&chained));
    }

    #[test]
    fn the_genesis_root_is_the_root_of_a_first_block_writing_the_state() {
        let state = vec![(Table::Accounts, vec![1; 20], vec![5]), (Table::Storage, vec![2; 21], vec![])];
        let writes: Vec<Write> = state.iter().map(|(t, k, v)| (*t, k.clone(), Some(v.clone()))).collect();
        assert_eq!(genesis_root(state), next(&Hash::ZERO, &writes));
    }

    #[test]
    fn an_empty_block_still_moves_the_root() {
        let genesis = next(&Hash::ZERO, &[]);
        assert_eq!(genesis, keccak256(&[Hash::ZERO.0, keccak256(&[]).0].concat()));
        assert_ne!(next(&genesis, &[]), genesis);
    }
}
