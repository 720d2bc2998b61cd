//! Whole numbers, however JSON writes them. In JSON, and so in JSON Schema (2020-12, which the
//! API's OpenAPI 3.1 document uses) and in RFC 8785, `5`, `5.0` and `5e0` are one number, an
//! integer. serde reads the last two as floats and refuses them where it wants an integer; this
//! module reads them as the integer they are:
//!
//! - [`deserialize`] and [`deserialize_option`], for `#[serde(deserialize_with = …)]` on integer
//!   fields of request types (a nonce, a gas limit, a block count);
//! - [`normalize`], for free-form messages: whole numbers in the 64-bit range become integers,
//!   so the contract reads `5` and the canonical encoding ([`crate::canonical`]) signs `5`, as an
//!   RFC 8785 library does for `5.0`. A number with a fraction stays what it is, and the canonical
//!   encoding refuses it.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};
use serde_json::{Number, Value};

/// 2^64 as a float: whole floats below it (and not below 0) are exact `u64`s.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
/// −2^63 as a float: whole floats above it, up to 0, are exact `i64`s.
const MINUS_TWO_POW_63: f64 = -9_223_372_036_854_775_808.0;

/// The integer a whole float in the 64-bit range is, or `None`.
///
/// serde_json reads an integer literal outside `i64`/`u64` (`-9223372036854775809`,
/// `18446744073709551616`) as the nearest float, which can be −2^63 itself; −2^63 as a float is
/// therefore refused, so that no integer out of range comes back in. (Written as an integer,
/// −2^63 is read exactly and never reaches here.)
fn as_integer(float: f64) -> Option<Number> {
    if float.fract() != 0.0 || !float.is_finite() {
        return None;
    }
    if (0.0..TWO_POW_64).contains(&float) {
        // Whole and in range, so the cast is exact.
        Some(Number::from(float as u64))
    } else if float > MINUS_TWO_POW_63 && float < 0.0 {
        Some(Number::from(float as i64))
    } else {
        None
    }
}

/// Rewrites every whole number in `value` written with a fraction or an exponent (`1.0`, `1e3`,
/// `-0.0`) as the integer it is, when it lies in `−2^63..2^64`.
///
/// # Examples
///
/// ```
/// let mut message: serde_json::Value = serde_json::from_str(r#"{"a":[1.0,1e3,-0.0,1.5,7]}"#).unwrap();
/// tidepool_node::whole_number::normalize(&mut message);
/// assert_eq!(message.to_string(), r#"{"a":[1,1000,0,1.5,7]}"#);
/// ```
pub fn normalize(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if number.is_f64()
                && let Some(integer) = number.as_f64().and_then(as_integer)
            {
                *number = integer;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Object(members) => members.values_mut().for_each(normalize),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<u64>> WholeVisitor<T> {
    fn fit<E: de::Error>(value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range for {}", std::any::type_name::<T>())))
    }
}

impl<T: TryFrom<u64>> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number that fits in {}", std::any::type_name::<T>())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        Self::fit(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        let value = u64::try_from(value).map_err(|_| E::custom(format!("{value} is negative")))?;
        Self::fit(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        match as_integer(value).and_then(|n| n.as_u64()) {
            Some(value) => Self::fit(value),
            // A float prints rounded (2^64 as 18446744073709552000): not quoted back as if sent.
            None if value.is_finite() && value.fract() == 0.0 && value > 0.0 => Err(E::custom(format!(
                "the number is above 2^64 - 1: it must be a whole number that fits in {}",
                std::any::type_name::<T>()
            ))),
            None => Err(E::custom(format!("{value} is not a whole number from 0 to 2^64 - 1"))),
        }
    }
}

/// Reads an unsigned integer written as a JSON number without a fractional part (`5`, `5.0`,
/// `5e0`). For `#[serde(deserialize_with = "whole_number::deserialize")]`.
///
/// # Errors
/// Not a number, a fraction, a negative number, or out of `T`'s range.
pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<u64>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(WholeVisitor(PhantomData))
}

/// [`deserialize`] for an optional field (`null` is `None`); use with `#[serde(default)]`.
///
/// # Errors
/// As [`deserialize`].
pub fn deserialize_option<'de, D: Deserializer<'de>, T: TryFrom<u64>>(deserializer: D) -> Result<Option<T>, D::Error> {
    struct OptionVisitor<T>(PhantomData<T>);

    impl<'de, T: TryFrom<u64>> Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "null or a whole number that fits in {}", std::any::type_name::<T>())
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
            deserialize(deserializer).map(Some)
        }
    }

    deserializer.deserialize_option(OptionVisitor(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "deserialize")]
        big: u64,
        #[serde(default, deserialize_with = "deserialize_option")]
        small: Option<u32>,
    }

    fn read(json: &str) -> Result<Fields, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integer_fields_take_whole_numbers_however_written() {
        assert_eq!(read(r#"{"big":5}"#).unwrap(), Fields { big: 5, small: None });
        assert_eq!(read(r#"{"big":5.0,"small":7e0}"#).unwrap(), Fields { big: 5, small: Some(7) });
        assert_eq!(read(r#"{"big":18446744073709551615,"small":null}"#).unwrap().big, u64::MAX);
        assert_eq!(read(r#"{"big":1e19}"#).unwrap().big, 10_000_000_000_000_000_000);
        for bad in [
            r#"{"big":5.5}"#,
            r#"{"big":-1}"#,
            r#"{"big":-1.0}"#,
            r#"{"big":18446744073709551616}"#,
            r#"{"big":1.8446744073709552e19}"#,
            r#"{"big":"5"}"#,
            r#"{"big":1,"small":4294967296}"#,
            r#"{"big":1,"small":0.5}"#,
            r#"{"small":1}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        // A number past 2^64 is not quoted back rounded, as a number the client did not send.
        let message = read(r#"{"big":18446744073709551616}"#).unwrap_err().to_string();
        assert!(message.contains("above 2^64 - 1") && !message.contains("18446744073709552000"), "{message}");
    }

    /// Whole numbers up to 2^53 written with `.0` are read as exactly themselves. serde_json's
    /// default float parser may be off by one unit in the last place, so it read these two as
    /// `…262.5` and `…247.25` and they were refused as fractions (found by the conformance
    /// check, seed 11); the workspace enables its `float_roundtrip` parser.
    #[test]
    fn large_whole_floats_are_read_exactly() {
        for (written, whole) in [
            ("3967236396972262.0", 3_967_236_396_972_262u64),
            ("2251799813685247.0", 2_251_799_813_685_247),
            ("9007199254740992.0", 9_007_199_254_740_992),
        ] {
            assert_eq!(read(&format!(r#"{{"big":{written}}}"#)).unwrap().big, whole, "{written}");
            let mut message: Value = serde_json::from_str(&format!("[{written}]")).unwrap();
            normalize(&mut message);
            assert_eq!(message[0], json!(whole), "{written}");
        }
        // Exact parsing keeps a fraction a fraction too (2^52 − 0.5 is a float exactly).
        assert!(read(r#"{"big":4503599627370495.5}"#).is_err());
    }

    #[test]
    fn messages_hold_whole_numbers_as_integers() {
        let mut message: Value =
            serde_json::from_str(r#"[1.0, -1.0, 0.5, 1e3, -9223372036854775809, 1.8446744073709552e19, -1e19, 3]"#)
                .unwrap();
        normalize(&mut message);
        assert_eq!(message[0], json!(1u64));
        assert_eq!(message[1], json!(-1i64));
        assert!(message[2].is_f64());
        assert_eq!(message[3], json!(1000u64));
        assert!(message[4].is_f64(), "below i64, read as the float -2^63: not an integer here");
        assert!(message[5].is_f64(), "2^64 is past u64");
        assert!(message[6].is_f64(), "-1e19 is past i64");
        assert_eq!(message[7], json!(3u64));
        assert!(crate::canonical::to_vec(&json!([1.0])).is_err(), "the canonical encoding itself stays strict");
        let mut whole = json!({ "a": [1.0, { "b": 2e0 }] });
        normalize(&mut whole);
        assert_eq!(crate::canonical::to_vec(&whole).unwrap(), br#"{"a":[1,{"b":2}]}"#);
    }
}
