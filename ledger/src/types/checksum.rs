//! EIP-55 checksums, remembered per thread.
//!
//! An address's checksum is the case of its hex digits, taken from keccak256 of the lowercase
//! digits: one hash per address formatted. JSON answers, receipts and live streams format the
//! same few addresses over and over (a token contract, its holders, the sender), and the hash
//! was a third of the stream feed's CPU. Each thread keeps the case pattern of the addresses it
//! formatted last in a small direct-mapped table, so a repeated address costs a comparison.

use std::cell::RefCell;

use crate::types::keccak256;

/// Entries per thread (a power of two): 16 KiB, allocated at a thread's first address.
const SLOTS: usize = 512;

/// One remembered address and which of its 40 digits the checksum writes in capitals.
///
/// The empty slot (all zeros) is a correct entry too: the zero address's digits are all `0`,
/// which have no case, so "no capitals" is its checksum.
#[derive(Clone, Copy, Default)]
struct Slot {
    address: [u8; 20],
    capitals: u64,
}

thread_local! {
    static REMEMBERED: RefCell<Option<Box<[Slot]>>> = const { RefCell::new(None) };
}

/// Which of `address`'s 40 hex digits (`lower`, lowercase) EIP-55 writes in capitals: bit `i`
/// for digit `i`.
pub(super) fn capitals(address: &[u8; 20], lower: &[u8; 40]) -> u64 {
    let index = usize::from(u16::from_le_bytes([address[18], address[19]])) % SLOTS;
    let remembered = REMEMBERED.try_with(|table| {
        let mut table = table.borrow_mut();
        let slot = &mut table.get_or_insert_with(|| vec![Slot::default(); SLOTS].into_boxed_slice())[index];
        if slot.address != *address {
            *slot = Slot { address: *address, capitals: compute(lower) };
        }
        slot.capitals
    });
    // A thread being torn down has no table any more: hash.
    remembered.unwrap_or_else(|_| compute(lower))
}

/// EIP-55: a letter digit is a capital where the matching nibble of keccak256(lowercase hex)
/// is 8 or more.
fn compute(lower: &[u8; 40]) -> u64 {
    let hash = keccak256(lower);
    let mut capitals = 0;
    for (i, digit) in lower.iter().enumerate() {
        let nibble = (hash.0[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        if digit.is_ascii_alphabetic() && nibble >= 8 {
            capitals |= 1 << i;
        }
    }
    capitals
}

#[cfg(test)]
mod tests {
    use super::SLOTS;
    use crate::Address;

    #[test]
    fn addresses_sharing_a_slot_each_keep_their_own_checksum() {
        // Same last two bytes, so the same slot; formatted in turn, several times.
        let a: Address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".parse().unwrap();
        let mut b = a;
        b.0[0] ^= 0xff;
        let expected_b = b.to_string();
        assert_ne!(expected_b.to_lowercase(), a.to_string().to_lowercase());
        for _ in 0..3 {
            assert_eq!(a.to_string(), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
            assert_eq!(b.to_string(), expected_b);
            // Checked from scratch on another thread, which has its own empty table.
            assert_eq!(std::thread::spawn(move || b.to_string()).join().unwrap(), expected_b);
        }
    }

    #[test]
    fn remembered_checksums_equal_the_hash_for_many_addresses() {
        // EIP-55 written out again, character by character, as the oracle.
        fn reference(address: &Address) -> String {
            let lower = hex::encode(address.0);
            let hash = crate::keccak256(lower.as_bytes());
            let digits = lower.chars().enumerate().map(|(i, digit)| {
                let nibble = (hash.0[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
                if nibble >= 8 { digit.to_ascii_uppercase() } else { digit }
            });
            format!("0x{}", digits.collect::<String>())
        }
        // More addresses than slots: the first format fills (or replaces) a slot, the second
        // answers from it.
        for nonce in 0..4 * SLOTS as u64 {
            let address = Address::contract(&Address::ZERO, nonce);
            let expected = reference(&address);
            assert_eq!(address.to_string(), expected);
            assert_eq!(address.to_string(), expected);
        }
        assert_eq!(Address::ZERO.to_string(), format!("0x{}", "0".repeat(40)));
    }
}
