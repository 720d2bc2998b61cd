//! [`Uint128`]: a `u128` that is a decimal string in JSON, so JavaScript clients (whose numbers
//! are doubles) never lose precision. Accepts a JSON number too, for hand-written messages.

use alloc::string::ToString;
use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `u128` amount, serialized as a decimal string (`"1000000"`), like CosmWasm's `Uint128`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uint128(pub u128);

impl Uint128 {
    /// Zero.
    pub const ZERO: Uint128 = Uint128(0);

    /// Wraps a value.
    pub const fn new(v: u128) -> Self {
        Uint128(v)
    }

    /// The value.
    pub const fn u128(self) -> u128 {
        self.0
    }

    /// Whether the value is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl From<u128> for Uint128 {
    fn from(v: u128) -> Self {
        Uint128(v)
    }
}

impl From<Uint128> for u128 {
    fn from(v: Uint128) -> Self {
        v.0
    }
}

impl fmt::Display for Uint128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Uint128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Uint128 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Uint128 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct UintVisitor;
        impl Visitor<'_> for UintVisitor {
            type Value = Uint128;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer as a decimal string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Uint128, E> {
                // `u128::from_str` accepts a leading '+'; a canonical amount does not have one.
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                v.parse().map(Uint128).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uint128, E> {
                Ok(Uint128(v.into()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Uint128, E> {
                Ok(Uint128(v))
            }
        }
        d.deserialize_any(UintVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_in_json_number_accepted() {
        let max = Uint128(u128::MAX);
        let json = serde_json::to_string(&max).unwrap();
        assert_eq!(json, "\"340282366920938463463374607431768211455\"");
        assert_eq!(serde_json::from_str::<Uint128>(&json).unwrap(), max);
        assert_eq!(serde_json::from_str::<Uint128>("42").unwrap(), Uint128(42));
        for bad in ["\"\"", "\"-1\"", "\"+1\"", "\"1.5\"", "\"340282366920938463463374607431768211456\"", "-1"] {
            assert!(serde_json::from_str::<Uint128>(bad).is_err(), "{bad}");
        }
    }
}
