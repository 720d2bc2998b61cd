//! JSON forms for the transaction fields JSON has no type for: `u128` amounts as decimal strings
//! (JavaScript numbers stop being exact at 2^53) and byte strings as `0x` + lowercase hex; and
//! [`object`], for struct fields that must be JSON objects.
//!
//! Decoding is strict: an amount is ASCII digits without sign, spaces or leading zeros, so every
//! amount has exactly one spelling and a client that signs what it sends signs the canonical form.
//! Hex is accepted in either case but always written lowercase.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// `u128` as a decimal string, e.g. `"1000000"`. Use with `#[serde(with = "decimal")]`. In a
/// binary format (the node's own records) it stays a `u128`.
pub mod decimal {
    use super::*;

    /// Writes the decimal string (a `u128` in a binary format).
    pub fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() { serializer.collect_str(value) } else { serializer.serialize_u128(*value) }
    }

    /// Reads a decimal string of digits without leading zeros (a `u128` in a binary format).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(DecimalVisitor)
        } else {
            <u128 as serde::Deserialize>::deserialize(deserializer)
        }
    }

    struct DecimalVisitor;

    impl Visitor<'_> for DecimalVisitor {
        type Value = u128;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an amount as a decimal string, e.g. \"1000000\"")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<u128, E> {
            parse(s).map_err(E::custom)
        }
    }

    /// Parses a canonical decimal amount.
    pub fn parse(s: &str) -> Result<u128, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("amount {s:?} is not a decimal string of digits, e.g. \"1000000\""));
        }
        if s.len() > 1 && s.starts_with('0') {
            return Err(format!("amount {s:?} has leading zeros"));
        }
        s.parse().map_err(|_| format!("amount {s} does not fit in 128 bits"))
    }
}

/// `Vec<u8>` as `0x` + hex. Use with `#[serde(with = "hex_bytes")]`.
pub mod hex_bytes {
    use super::*;

    /// Writes `0x` + lowercase hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = String::with_capacity(2 + bytes.len() * 2);
        s.push_str("0x");
        s.push_str(&hex::encode(bytes));
        serializer.serialize_str(&s)
    }

    /// Reads `0x` + an even number of hex digits, either case.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_str(HexVisitor)
    }

    struct HexVisitor;

    impl Visitor<'_> for HexVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bytes as 0x followed by hex digits")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<u8>, E> {
            let digits = s.strip_prefix("0x").ok_or_else(|| E::custom("bytes must be 0x followed by hex digits"))?;
            hex::decode(digits).map_err(|e| E::custom(format!("bytes are not valid hex: {e}")))
        }
    }
}

/// `Option<Vec<u8>>` as [`hex_bytes`], or `null`. Use with `#[serde(with = "optional_hex_bytes")]`.
pub mod optional_hex_bytes {
    use super::*;

    /// Writes `0x` + lowercase hex, or `null`.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => hex_bytes::serialize(bytes, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null`, or bytes as [`hex_bytes`] reads them.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Hex(#[serde(with = "hex_bytes")] Vec<u8>);
        Ok(<Option<Hex> as serde::Deserialize>::deserialize(deserializer)?.map(|Hex(bytes)| bytes))
    }
}

/// A struct read only from a JSON object. serde also reads a struct from an array, its fields by
/// position (`[1337, 0, "0x…", 21000, {…}]` for a transaction); the API's schemas say object, so
/// request types read their struct fields with `#[serde(deserialize_with = "object::deserialize")]`.
pub mod object {
    use std::marker::PhantomData;

    use serde::Deserialize;
    use serde::de::MapAccess;
    use serde::de::value::MapAccessDeserializer;

    use super::*;

    /// Reads a `T` from a JSON object; anything else is an error.
    ///
    /// # Errors
    /// Not an object, or `T`'s own errors.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }

    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decimal::parse;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Point {
        x: u8,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Holder {
        #[serde(deserialize_with = "super::object::deserialize")]
        point: Point,
    }

    #[test]
    fn object_fields_are_objects_not_arrays() {
        assert_eq!(serde_json::from_str::<Holder>(r#"{"point":{"x":1}}"#).unwrap().point, Point { x: 1 });
        assert!(serde_json::from_str::<Point>("[1]").is_ok(), "serde alone reads a struct from an array");
        for bad in [r#"{"point":[1]}"#, r#"{"point":null}"#, r#"{"point":"x"}"#, r#"{}"#] {
            assert!(serde_json::from_str::<Holder>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_have_one_spelling() {
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("1000000"), Ok(1_000_000));
        assert_eq!(parse(&u128::MAX.to_string()), Ok(u128::MAX));
        for bad in
            ["", "01", "00", "+1", "-1", " 1", "1 ", "1e6", "1.0", "0x10", "340282366920938463463374607431768211456"]
        {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
