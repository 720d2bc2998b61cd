//! [`Address`]: a 20-byte account or contract address, `0x`-hex in JSON.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An account or contract address: 20 bytes, Ethereum style.
///
/// In JSON it is a `0x`-prefixed hex string. Parsing accepts any letter case (the host shows
/// addresses with the EIP-55 checksum); output is lowercase.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The all-zero address.
    pub const ZERO: Address = Address([0; 20]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// `0x`-prefixed lowercase hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(42);
        s.push_str("0x");
        for b in self.0 {
            s.push(hex_digit(b >> 4));
            s.push(hex_digit(b & 0xf));
        }
        s
    }
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
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
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl From<[u8; 20]> for Address {
    fn from(bytes: [u8; 20]) -> Self {
        Address(bytes)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
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
    use super::*;

    #[test]
    fn hex_round_trip_any_case() {
        let a: Address = "0x52908400098527886E0F7030069857D2E4169EE7".parse().unwrap();
        assert_eq!(a.to_hex(), "0x52908400098527886e0f7030069857d2e4169ee7");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"0x52908400098527886e0f7030069857d2e4169ee7\"");
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
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
