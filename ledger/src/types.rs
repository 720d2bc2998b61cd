//! Addresses and hashes: Ethereum-style 20-byte addresses shown with the EIP-55 checksum, and
//! 32-byte keccak256 hashes, both as `0x` hex.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod checksum;

/// keccak256 of `data`.
pub fn keccak256(data: &[u8]) -> Hash {
    Hash(tidepool_keccak::keccak256(data))
}

/// A 20-byte account or contract address.
///
/// Displayed as `0x` + EIP-55 mixed-case checksum hex. Parsed from `0x` hex in two ways:
/// [`FromStr`] is for people (the CLI) and refuses a mixed-case string whose checksum is wrong,
/// as wallets do; [`Address::from_hex`] and JSON decoding are for machines and take any case, as
/// Ethereum nodes' JSON-RPC does, so the API's schema (`^0x[0-9a-fA-F]{40}$`) says exactly what is
/// accepted.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

/// A 32-byte hash (code hashes, transaction hashes, block hashes, state roots).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

/// Why a string is not an address or hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHexError {
    /// Missing `0x`, wrong length, or a non-hex character.
    #[error("expected 0x followed by {expected} hex digits")]
    Malformed {
        /// Number of hex digits expected.
        expected: usize,
    },
    /// Mixed case that does not match the EIP-55 checksum.
    #[error("address checksum (EIP-55) does not match")]
    BadChecksum,
}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], ParseHexError> {
    let malformed = ParseHexError::Malformed { expected: N * 2 };
    let digits = s.strip_prefix("0x").ok_or(malformed.clone())?;
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|_| malformed)?;
    Ok(out)
}

impl Address {
    /// The zero address.
    pub const ZERO: Address = Address([0; 20]);

    /// The address of a secp256k1 public key given as 64 bytes `x‖y` (uncompressed, without the
    /// `0x04` tag): the last 20 bytes of its keccak256.
    pub fn from_public_key_xy(xy: &[u8; 64]) -> Address {
        let hash = keccak256(xy);
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash.0[12..]);
        Address(out)
    }

    /// The deterministic address of a contract created by `creator` when its nonce was `nonce`:
    /// the last 20 bytes of keccak256(`"tidepool/contract"` ‖ creator ‖ nonce as 8 bytes BE).
    pub fn contract(creator: &Address, nonce: u64) -> Address {
        let mut preimage = Vec::with_capacity(17 + 20 + 8);
        preimage.extend_from_slice(b"tidepool/contract");
        preimage.extend_from_slice(&creator.0);
        preimage.extend_from_slice(&nonce.to_be_bytes());
        let hash = keccak256(&preimage);
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash.0[12..]);
        Address(out)
    }

    /// EIP-55 checksummed hex, with `0x`.
    pub fn to_checksum(&self) -> String {
        self.checksum_str(&mut [0; 42]).to_owned()
    }

    /// EIP-55 checksummed hex, with `0x`, written into `buffer` (no allocation: receipts and
    /// JSON answers format many addresses).
    fn checksum_str<'a>(&self, buffer: &'a mut [u8; 42]) -> &'a str {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut lower = [0u8; 40];
        for (i, byte) in self.0.iter().enumerate() {
            lower[2 * i] = DIGITS[usize::from(byte >> 4)];
            lower[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
        }
        let capitals = checksum::capitals(&self.0, &lower);
        buffer[..2].copy_from_slice(b"0x");
        for (i, (out, digit)) in buffer[2..].iter_mut().zip(lower).enumerate() {
            *out = if capitals & (1 << i) != 0 { digit.to_ascii_uppercase() } else { digit };
        }
        std::str::from_utf8(buffer).expect("hex digits are ASCII")
    }
}

impl Address {
    /// Parses `0x` and 40 hex digits in any case, without checking an EIP-55 checksum (see the
    /// type's documentation; [`FromStr`] checks it).
    ///
    /// # Errors
    /// [`ParseHexError::Malformed`] without `0x`, with another length or a non-hex digit.
    pub fn from_hex(s: &str) -> Result<Address, ParseHexError> {
        parse_hex::<20>(s).map(Address)
    }
}

impl FromStr for Address {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let address = Address::from_hex(s)?;
        let digits = &s[2..];
        let mixed = digits.chars().any(|c| c.is_ascii_lowercase()) && digits.chars().any(|c| c.is_ascii_uppercase());
        if mixed && address.checksum_str(&mut [0; 42])[2..] != *digits {
            return Err(ParseHexError::BadChecksum);
        }
        Ok(address)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.checksum_str(&mut [0; 42]))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Hash {
    /// The zero hash.
    pub const ZERO: Hash = Hash([0; 32]);
}

impl FromStr for Hash {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<32>(s).map(Hash)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! serde_as_string {
    ($ty:ty, $parse:path) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.collect_str(self)
                } else {
                    serializer.serialize_bytes(&self.0)
                }
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if deserializer.is_human_readable() {
                    let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                    $parse(&s).map_err(serde::de::Error::custom)
                } else {
                    crate::bytes::byte_array(deserializer).map(Self)
                }
            }
        }
    };
}
serde_as_string!(Address, Address::from_hex);
serde_as_string!(Hash, Hash::from_str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_vectors_round_trip() {
        // Vectors from EIP-55 itself.
        for s in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let address: Address = s.parse().unwrap();
            assert_eq!(address.to_string(), s);
            assert_eq!(s.to_lowercase().parse::<Address>().unwrap(), address);
        }
    }

    #[test]
    fn bad_checksum_and_malformed_are_refused() {
        assert_eq!("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD".parse::<Address>(), Err(ParseHexError::BadChecksum));
        assert!("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed".parse::<Address>().is_err());
        assert!("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea".parse::<Address>().is_err());
        assert!("0xzzaeb6053f3e94c9b9a09f33669435e7ef1beaed".parse::<Address>().is_err());
        assert!("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed".parse::<Address>().is_err(), "0x is lowercase");
    }

    #[test]
    fn machines_may_send_any_case() {
        let wrong_checksum = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        let address = Address::from_hex(wrong_checksum).unwrap();
        assert_eq!(address, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed".parse().unwrap());
        assert_eq!(serde_json::from_str::<Address>(&format!("\"{wrong_checksum}\"")).unwrap(), address);
        assert!(Address::from_hex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").is_err());
    }
}
