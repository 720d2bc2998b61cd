//! [`Key`]: how a typed map key becomes bytes and back. Encodings preserve order where it
//! matters: unsigned integers are big-endian, so ascending iteration is numeric order.

use alloc::string::String;
use alloc::vec::Vec;

use crate::{Address, ContractError};

/// A type usable as a [`Map`](super::Map) key.
pub trait Key: Sized {
    /// Appends the key's bytes, as the last part of a storage key.
    fn write_key(&self, out: &mut Vec<u8>);

    /// Parses the key from the bytes [`Key::write_key`] produced.
    ///
    /// # Errors
    /// If the bytes are not a valid key of this type.
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError>;

    /// Appends the key as a non-last part of a composite key: length-prefixed, so the parts
    /// can be told apart and a prefix of parts is a prefix of bytes.
    fn write_nested(&self, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.write_key(out);
        let len = (out.len() - at - 2) as u16;
        out[at..at + 2].copy_from_slice(&len.to_be_bytes());
    }
}

fn bad_key(what: &str) -> ContractError {
    ContractError::msg(alloc::format!("corrupt storage key: not a {what}"))
}

impl Key for Address {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
        Ok(Address(bytes.try_into().map_err(|_| bad_key("address"))?))
    }
}

impl Key for String {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| bad_key("string"))
    }
}

impl Key for Vec<u8> {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
        Ok(bytes.to_vec())
    }
}

macro_rules! uint_key {
    ($($t:ty),*) => {$(
        impl Key for $t {
            fn write_key(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
            fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
                Ok(<$t>::from_be_bytes(bytes.try_into().map_err(|_| bad_key(stringify!($t)))?))
            }
        }
    )*};
}
uint_key!(u8, u16, u32, u64, u128);

/// Splits a length-prefixed part off the front of `bytes`.
fn split_nested(bytes: &[u8]) -> Result<(&[u8], &[u8]), ContractError> {
    let corrupt = || bad_key("composite key");
    let len = u16::from_be_bytes(bytes.get(..2).ok_or_else(corrupt)?.try_into().map_err(|_| corrupt())?) as usize;
    let rest = &bytes[2..];
    if rest.len() < len {
        return Err(corrupt());
    }
    Ok(rest.split_at(len))
}

impl<A: Key, B: Key> Key for (A, B) {
    fn write_key(&self, out: &mut Vec<u8>) {
        self.0.write_nested(out);
        self.1.write_key(out);
    }
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
        let (a, rest) = split_nested(bytes)?;
        Ok((A::read_key(a)?, B::read_key(rest)?))
    }
}

impl<A: Key, B: Key, C: Key> Key for (A, B, C) {
    fn write_key(&self, out: &mut Vec<u8>) {
        self.0.write_nested(out);
        self.1.write_nested(out);
        self.2.write_key(out);
    }
    fn read_key(bytes: &[u8]) -> Result<Self, ContractError> {
        let (a, rest) = split_nested(bytes)?;
        let (b, rest) = split_nested(rest)?;
        Ok((A::read_key(a)?, B::read_key(b)?, C::read_key(rest)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<K: Key + PartialEq + core::fmt::Debug>(k: K) -> Vec<u8> {
        let mut out = Vec::new();
        k.write_key(&mut out);
        assert_eq!(K::read_key(&out).unwrap(), k);
        out
    }

    #[test]
    fn encodings() {
        assert_eq!(round_trip(258u16), [1, 2]);
        assert_eq!(round_trip((String::from("ab"), 7u8)), [0, 2, b'a', b'b', 7]);
        round_trip((Address([9; 20]), String::from("x"), 5u64));
        assert!(<(String, u8)>::read_key(&[0, 5, b'a']).is_err());
        assert!(u32::read_key(&[1, 2]).is_err());
    }
}
