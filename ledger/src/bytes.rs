//! Byte strings through serde as bytes rather than as sequences of numbers.
//!
//! serde sees a `Vec<u8>` as a sequence and writes it a number at a time. postcard encodes both
//! the same way (a length, then the bytes), so `#[serde(with = "tidepool_ledger::bytes")]` changes
//! no stored byte and copies each field in one go instead. Human-readable formats keep the
//! sequence form (JSON: an array of numbers), exactly as without it.
//!
//! [`byte_array`] reads a fixed-size byte string (an address, a hash) the same way, straight into an
//! array.

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Writes `bytes` as bytes (a sequence in a human-readable format).
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() { serializer.collect_seq(bytes) } else { serializer.serialize_bytes(bytes) }
}

/// Reads bytes (or a sequence of numbers).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    if deserializer.is_human_readable() {
        Vec::<u8>::deserialize(deserializer)
    } else {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

/// Reads exactly `N` bytes (or a sequence of `N` numbers) from a binary format into an array.
///
/// Addresses and hashes are written with `serialize_bytes`. Read back as a `Vec<u8>`, serde
/// visits them as a sequence: an allocation and a call per byte, then a copy — 4 % of a bare
/// `Vm::call`, which decodes its contract's instance record (a hash and two addresses) on every
/// call, and every transaction hash of a block header. The stored bytes are the same either way.
///
/// # Errors
/// The format's error, or a byte string of another length.
pub fn byte_array<'de, D: Deserializer<'de>, const N: usize>(deserializer: D) -> Result<[u8; N], D::Error> {
    deserializer.deserialize_bytes(ArrayVisitor::<N>)
}

struct ArrayVisitor<const N: usize>;

impl<'de, const N: usize> Visitor<'de> for ArrayVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{N} bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<[u8; N], E> {
        bytes.try_into().map_err(|_| E::invalid_length(bytes.len(), &self))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; N], A::Error> {
        let mut array = [0u8; N];
        for (read, byte) in array.iter_mut().enumerate() {
            *byte = seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(read, &self))?;
        }
        if seq.next_element::<u8>()?.is_some() {
            return Err(serde::de::Error::invalid_length(N + 1, &self));
        }
        Ok(array)
    }
}

/// `Option<Vec<u8>>` the same way: `#[serde(with = "tidepool_ledger::bytes::option")]`.
pub mod option {
    use super::*;

    struct AsBytes<'a>(&'a [u8]);

    impl Serialize for AsBytes<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            super::serialize(self.0, serializer)
        }
    }

    struct ByteBuf(Vec<u8>);

    impl<'de> Deserialize<'de> for ByteBuf {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            super::deserialize(deserializer).map(ByteBuf)
        }
    }

    /// Writes `None`, or the bytes as bytes.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_some(&AsBytes(bytes)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `None`, or bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        Ok(Option::<ByteBuf>::deserialize(deserializer)?.map(|ByteBuf(bytes)| bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Plain {
        data: Vec<u8>,
        maybe: Option<Vec<u8>>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct AsBytes {
        #[serde(with = "crate::bytes")]
        data: Vec<u8>,
        #[serde(with = "crate::bytes::option")]
        maybe: Option<Vec<u8>>,
    }

    #[test]
    fn postcard_and_json_encode_the_same_as_a_plain_vec() {
        for (data, maybe) in [(vec![], None), (vec![0, 1, 255], Some(vec![7; 300])), (vec![9; 200], Some(vec![]))] {
            let plain = Plain { data: data.clone(), maybe: maybe.clone() };
            let bytes = AsBytes { data, maybe };
            let encoded = postcard::to_stdvec(&bytes).unwrap();
            assert_eq!(encoded, postcard::to_stdvec(&plain).unwrap());
            assert_eq!(postcard::from_bytes::<AsBytes>(&encoded).unwrap(), bytes);
            let json = serde_json::to_string(&bytes).unwrap();
            assert_eq!(json, serde_json::to_string(&plain).unwrap());
            assert_eq!(serde_json::from_str::<AsBytes>(&json).unwrap(), bytes);
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Fixed(#[serde(with = "crate::bytes")] Vec<u8>);

    #[derive(Debug, PartialEq, Deserialize)]
    struct Array(#[serde(deserialize_with = "byte_array")] [u8; 4]);

    #[test]
    fn an_array_reads_what_a_byte_string_wrote_and_only_its_length() {
        let encoded = postcard::to_stdvec(&Fixed(vec![1, 2, 3, 4])).unwrap();
        assert_eq!(postcard::from_bytes::<Array>(&encoded).unwrap(), Array([1, 2, 3, 4]));
        // serde's plain sequence of numbers is the same postcard encoding, and is also read.
        assert_eq!(encoded, postcard::to_stdvec(&vec![1u8, 2, 3, 4]).unwrap());
        for other in [vec![], vec![1, 2, 3], vec![1, 2, 3, 4, 5]] {
            let encoded = postcard::to_stdvec(&Fixed(other)).unwrap();
            assert!(postcard::from_bytes::<Array>(&encoded).is_err());
        }
        // Truncated input is an error, not a panic.
        assert!(postcard::from_bytes::<Array>(&encoded[..3]).is_err());
    }

    #[test]
    fn an_array_reads_a_format_that_gives_bytes_as_a_sequence() {
        use serde::de::value::{Error, SeqDeserializer};
        let sequence = |bytes: Vec<u8>| SeqDeserializer::<_, Error>::new(bytes.into_iter());
        assert_eq!(byte_array::<_, 4>(sequence(vec![1, 2, 3, 4])).unwrap(), [1, 2, 3, 4]);
        assert!(byte_array::<_, 4>(sequence(vec![1, 2, 3])).is_err());
        assert!(byte_array::<_, 4>(sequence(vec![1, 2, 3, 4, 5])).is_err());
    }
}
