//! [`Address`]: a 20-byte account or contract address, `0x`-hex in JSON with the EIP-55
//! checksum, as the node writes addresses.
//!
//! The checksum capitalises each hex letter whose nibble in `keccak256(lowercase hex)` is 8 or
//! more. keccak256 is a host function (about 1 070 gas for the 40 bytes; with the checksum pass,
//! about 1 500 gas for each distinct address a call writes), and a call tends to name the same
//! few addresses many times (its caller, itself, the asset in every event and message), so on
//! wasm32 the hashes are remembered for the rest of the call.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An account or contract address: 20 bytes, Ethereum style.
///
/// In JSON and in `{}` it is `0x` and 40 hex digits with the EIP-55 checksum
/// (`0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed`), the spelling the node uses in receipts and
/// answers, so an address a contract emits reads the same as everywhere else. Parsing accepts
/// any letter case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

/// `0x` and 40 hex digits.
const HEX_LEN: usize = 42;

impl Address {
    /// The all-zero address.
    pub const ZERO: Address = Address([0; 20]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// `0x`-prefixed lowercase hex (no checksum, so no host call).
    pub fn to_hex(&self) -> String {
        String::from(as_str(&self.lowercase_hex()))
    }

    /// `0x`-prefixed hex with the EIP-55 checksum: what `{}` and JSON show.
    pub fn to_checksum_hex(&self) -> String {
        String::from(as_str(&self.checksum_hex()))
    }

    fn lowercase_hex(&self) -> [u8; HEX_LEN] {
        let mut out = [0; HEX_LEN];
        (out[0], out[1]) = (b'0', b'x');
        let (digits, _) = out[2..].as_chunks_mut::<8>();
        let (bytes, _) = self.0.as_chunks::<4>();
        for k in 0..5 {
            digits[k] = hex_digits(nibbles(bytes[k])).to_le_bytes();
        }
        out
    }

    fn checksum_hex(&self) -> [u8; HEX_LEN] {
        let mut out = self.lowercase_hex();
        let hash = checksum_hash(self, &out[2..]);
        // Digit k is upper case when nibble k of the hash is 8 or more. Eight digits at a
        // time: letters have bit 0x40 (digits 0-9 do not), and flipping bit 0x20 of a letter
        // upper-cases it.
        let (digits, _) = out[2..].as_chunks_mut::<8>();
        let (hash, _) = hash.as_chunks::<4>();
        for k in 0..5 {
            let word = u64::from_le_bytes(digits[k]);
            let letters = (word >> 1) & 0x2020_2020_2020_2020;
            let high_nibbles = (nibbles(hash[k]) & 0x0808_0808_0808_0808) << 2;
            digits[k] = (word ^ (letters & high_nibbles)).to_le_bytes();
        }
        out
    }
}

/// The eight nibbles of four bytes, in reading order (high nibble of the first byte first), one
/// per byte of the result read little-endian. A handful of word operations instead of a loop
/// per digit: every address a contract serializes goes through here, and on wasm every
/// instruction is gas.
#[inline(always)]
fn nibbles(bytes: [u8; 4]) -> u64 {
    let v = u32::from_le_bytes(bytes);
    // Swap the nibbles of each byte, so spreading puts the high one first.
    let v = u64::from(((v & 0x0f0f_0f0f) << 4) | ((v >> 4) & 0x0f0f_0f0f));
    let v = (v | (v << 16)) & 0x0000_ffff_0000_ffff;
    let v = (v | (v << 8)) & 0x00ff_00ff_00ff_00ff;
    (v | (v << 4)) & 0x0f0f_0f0f_0f0f_0f0f
}

/// Lowercase ASCII hex digits of eight nibbles (one per byte): `'0' + n`, plus `'a' − '9' − 1`
/// (0x27) for the nibbles from 10.
#[inline(always)]
fn hex_digits(nibbles: u64) -> u64 {
    let letters = ((nibbles + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    nibbles + 0x3030_3030_3030_3030 + letters * 0x27
}

/// The hex built above as a `str`, without re-validating it (a loop of gas per address).
fn as_str(hex: &[u8; HEX_LEN]) -> &str {
    // SAFETY: `lowercase_hex` writes only ASCII (`0x` and hex digits), and `checksum_hex`
    // only upper-cases ASCII letters; ASCII is UTF-8.
    unsafe { core::str::from_utf8_unchecked(hex) }
}

/// The first 20 bytes of `keccak256(lowercase)`: one nibble per hex digit.
#[cfg(not(target_arch = "wasm32"))]
fn checksum_hash(_address: &Address, lowercase: &[u8]) -> [u8; 20] {
    let hash = crate::crypto::keccak256(lowercase);
    hash[..20].try_into().expect("20 of 32 bytes")
}

/// The first 20 bytes of `keccak256(lowercase)`, remembered for the rest of the call.
#[cfg(target_arch = "wasm32")]
fn checksum_hash(address: &Address, lowercase: &[u8]) -> [u8; 20] {
    use core::cell::UnsafeCell;

    /// Distinct addresses remembered per call; a lending call names at most about six.
    const SLOTS: usize = 8;

    /// The remembered `(address, hash)` pairs, and how many were ever stored (the next slot to
    /// fill, modulo `SLOTS`).
    type Slots = ([(Address, [u8; 20]); SLOTS], usize);

    struct Memo(UnsafeCell<Slots>);
    // SAFETY: wasm32-unknown-unknown contracts are single-threaded, and every call runs in a
    // fresh instance, so the memo never outlives the call.
    unsafe impl Sync for Memo {}
    static MEMO: Memo = Memo(UnsafeCell::new(([(Address::ZERO, [0; 20]); SLOTS], 0)));

    // Three word compares rather than a byte loop: this runs for every address serialized.
    fn same(a: &Address, b: &Address) -> bool {
        let words = |a: &Address| {
            let (head, tail) = a.0.split_at(16);
            (
                u128::from_le_bytes(head.try_into().expect("16 bytes")),
                u32::from_le_bytes(tail.try_into().expect("4 bytes")),
            )
        };
        words(a) == words(b)
    }

    // SAFETY: single-threaded; the only access to the memo, and no reference escapes.
    let (slots, filled) = unsafe { &mut *MEMO.0.get() };
    if let Some((_, hash)) = slots[..(*filled).min(SLOTS)].iter().find(|(a, _)| same(a, address)) {
        return *hash;
    }
    let hash: [u8; 20] = crate::crypto::keccak256(lowercase)[..20].try_into().expect("20 of 32 bytes");
    slots[*filled % SLOTS] = (*address, hash);
    *filled += 1;
    hash
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Why a string is not an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseAddressError;

impl fmt::Display for ParseAddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an address is 0x followed by 40 hex digits")
    }
}

impl FromStr for Address {
    type Err = ParseAddressError;

    /// `0x` and 40 hex digits in any letter case (the checksum is not verified).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).ok_or(ParseAddressError)?;
        let hex = hex.as_bytes();
        if hex.len() != 40 {
            return Err(ParseAddressError);
        }
        let mut out = [0u8; 20];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(ParseAddressError)?;
            let lo = hex_value(pair[1]).ok_or(ParseAddressError)?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Address(out))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(as_str(&self.checksum_hex()))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<[u8; 20]> for Address {
    fn from(bytes: [u8; 20]) -> Self {
        Address(bytes)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(as_str(&self.checksum_hex()))
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AddressVisitor;
        impl Visitor<'_> for AddressVisitor {
            type Value = Address;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 0x-prefixed 20-byte hex address")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Address, E> {
                v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(AddressVisitor)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    /// EIP-55's own examples: mixed case, all caps, all lower.
    const EIP55: [&str; 8] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
    ];

    #[test]
    fn display_and_json_carry_the_eip55_checksum() {
        for spelled in EIP55 {
            let a: Address = spelled.to_lowercase().parse().unwrap();
            assert_eq!(a.to_checksum_hex(), spelled);
            assert_eq!(std::format!("{a}"), spelled);
            assert_eq!(std::format!("{a:?}"), spelled);
            assert_eq!(a.to_hex(), spelled.to_lowercase());
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, std::format!("\"{spelled}\""));
            assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
        }
    }

    #[test]
    fn any_case_parses() {
        let a: Address = EIP55[0].parse().unwrap();
        for spelled in [EIP55[0].to_lowercase(), EIP55[0].to_uppercase().replacen("0X", "0x", 1)] {
            assert_eq!(spelled.parse::<Address>().unwrap(), a);
            assert_eq!(serde_json::from_str::<Address>(&std::format!("\"{spelled}\"")).unwrap(), a);
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "0x",
            "52908400098527886e0f7030069857d2e4169ee7",
            "0x5290",
            "0xzz908400098527886e0f7030069857d2e4169ee7",
        ] {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
    }
}
