//! Canonical JSON: the exact bytes a transaction signature covers.
//!
//! The rules, applied to a [`serde_json::Value`]:
//!
//! - **Objects**: members sorted by key, comparing keys as sequences of UTF-16 code units (for
//!   keys without characters above U+FFFF this is plain code-point order); written as
//!   `{"key":value,"key":value}`.
//! - **Arrays**: elements in their order, written as `[a,b]`.
//! - **No insignificant whitespace** anywhere.
//! - **Strings**: UTF-8, enclosed in `"`. Escaped: `"` as `\"`, `\` as `\\`, U+0008 `\b`,
//!   U+0009 `\t`, U+000A `\n`, U+000C `\f`, U+000D `\r`, other characters below U+0020 as
//!   `\u00xx` with lowercase hex. Every other character (including `/`, DEL and all non-ASCII)
//!   is written as itself.
//! - **Numbers**: integers only, in decimal, with a `-` sign when negative, no leading zeros,
//!   no fraction, no exponent. A number with a fraction or exponent (`1.5`, `1.0`, `1e3`) is
//!   refused with [`Rejection::UnsupportedNumber`]: float formatting differs between languages,
//!   so a signature over one could not be reproduced everywhere. A transaction decoded from JSON
//!   has its whole numbers (`1.0`, `1e3`) read as integers first ([`crate::whole_number`]), as
//!   an RFC 8785 library writes them, so only numbers with a fraction (or past 64 bits) reach
//!   this refusal.
//! - **Literals**: `true`, `false`, `null`.
//!
//! This is RFC 8785 (JSON Canonicalization Scheme, "JCS") restricted to integer numbers: for
//! any value whose integers lie within ±(2^53 − 1) the output is byte-for-byte what a JCS
//! library produces (e.g. the `canonicalize` npm package). Larger 64-bit integers are written
//! exactly, where JCS would round them through a double. In JavaScript, `JSON.stringify` over
//! recursively key-sorted objects gives the same bytes *except* for integer-like keys (`"1"`),
//! which JavaScript objects always enumerate first: use a JCS library when messages may have
//! such keys (transactions themselves have none).

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::{NodeError, Rejection};

/// The canonical encoding of `value` (see the module documentation for the rules).
///
/// # Errors
///
/// [`Rejection::UnsupportedNumber`] if `value` contains a number that is not an integer in the
/// `i64`/`u64` range.
///
/// # Examples
///
/// ```
/// let value = serde_json::json!({ "b": [1, "two"], "a": { "y": null, "x": true } });
/// let bytes = tidepool_node::canonical::to_vec(&value).unwrap();
/// assert_eq!(bytes, br#"{"a":{"x":true,"y":null},"b":[1,"two"]}"#);
/// ```
pub fn to_vec(value: &Value) -> Result<Vec<u8>, NodeError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Writes one object's members in canonical form, for a type that knows its members' order
/// ([`crate::Transaction::canonical_bytes`]): without building a [`Value`] tree first. The
/// caller gives the keys already sorted (checked in debug builds).
pub(crate) struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    last_key: Option<&'static str>,
}

impl<'a> ObjectWriter<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn begin(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter { out, last_key: None }
    }

    /// Writes `"key":` and returns the buffer for the member's value.
    pub(crate) fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        debug_assert!(
            self.last_key.is_none_or(|last| utf16_cmp(last, key) == Ordering::Less),
            "canonical members in order: {:?} before {key:?}",
            self.last_key
        );
        if self.last_key.is_some() {
            self.out.push(b',');
        }
        self.last_key = Some(key);
        write_string(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// A string member.
    pub(crate) fn string(&mut self, key: &'static str, value: &str) {
        let out = self.key(key);
        write_string(out, value);
    }

    /// A string member written by `value`'s `Display`, which must need no escaping (hex, digits).
    pub(crate) fn display(&mut self, key: &'static str, value: impl std::fmt::Display) {
        use std::io::Write as _;
        let out = self.key(key);
        let start = out.len();
        write!(out, "\"{value}\"").expect("writing to a Vec cannot fail");
        debug_assert!(!out[start + 1..out.len() - 1].iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20));
    }

    /// An integer member.
    pub(crate) fn integer(&mut self, key: &'static str, value: u64) {
        use std::io::Write as _;
        let out = self.key(key);
        write!(out, "{value}").expect("writing to a Vec cannot fail");
    }

    /// A JSON value member, written canonically.
    ///
    /// # Errors
    /// As [`to_vec`].
    pub(crate) fn value(&mut self, key: &'static str, value: &Value) -> Result<(), NodeError> {
        let out = self.key(key);
        write_value(out, value)
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Whether every number in `value` can be written: an integer in the `i64`/`u64` range. The check
/// [`to_vec`] makes, without writing anything.
///
/// # Errors
///
/// [`Rejection::UnsupportedNumber`] for the first number that cannot.
pub fn check_numbers(value: &Value) -> Result<(), Rejection> {
    match value {
        Value::Number(number) if number.as_u64().is_none() && number.as_i64().is_none() => Err(unsupported(number)),
        Value::Array(items) => items.iter().try_for_each(check_numbers),
        Value::Object(members) => members.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

/// The refusal of `number`, which is not an integer of the 64-bit range. A whole number past that
/// range was read as a float, which prints rounded (2^64 as 18446744073709552000): it is quoted
/// in exponent form as a magnitude, not as digits the client never sent.
fn unsupported(number: &serde_json::Number) -> Rejection {
    match number.as_f64() {
        // 2^64 and up, or -2^63 and down: -2^63 itself reads as an integer, so a float there
        // came from further down.
        Some(float)
            if float.fract() == 0.0
                && (float >= 18_446_744_073_709_551_616.0 || float <= -9_223_372_036_854_775_808.0) =>
        {
            Rejection::UnsupportedNumber(format!("≈ {float:e} (a whole number past the 64-bit range)"))
        }
        _ => Rejection::UnsupportedNumber(number.to_string()),
    }
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), NodeError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            // `as_u64`/`as_i64` succeed only for numbers parsed or built as integers, so `1.0`
            // and `1e3` (which serde_json holds as floats) are refused here.
            if let Some(n) = number.as_u64() {
                out.extend_from_slice(n.to_string().as_bytes());
            } else if let Some(n) = number.as_i64() {
                out.extend_from_slice(n.to_string().as_bytes());
            } else {
                return Err(unsupported(number).into());
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly rather than rely on serde_json's map order: with the
            // `preserve_order` feature (which any crate in the build could switch on) the map
            // keeps insertion order, and its default BTreeMap order is by UTF-8 bytes, not UTF-16.
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.3: keys compare as arrays of UTF-16 code units.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => &[b'\\', b'u', b'0', b'0', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]],
            // Multi-byte UTF-8 sequences never contain bytes below 0x80, so copying them
            // through byte by byte keeps them intact.
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn canonical(value: &Value) -> String {
        String::from_utf8(to_vec(value).unwrap()).unwrap()
    }

    #[test]
    fn nested_objects_are_sorted_and_compact() {
        let value = json!({ "z": { "b": 1, "a": [ { "d": 0, "c": -1 } ] }, "a": "x", "m": null });
        assert_eq!(canonical(&value), r#"{"a":"x","m":null,"z":{"a":[{"c":-1,"d":0}],"b":1}}"#);
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 §3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33 in UTF-16 order,
        // although it comes after it in code-point (and UTF-8 byte) order.
        let value: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",
                "1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control",
                "\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        assert_eq!(
            canonical(&value),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
             \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
             \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    #[test]
    fn rfc8785_string_escaping_example() {
        // RFC 8785 §3.2.2.2.
        let value: Value = serde_json::from_str(r#""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#).unwrap();
        assert_eq!(canonical(&value), "\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
    }

    #[test]
    fn every_control_character_is_escaped_and_nothing_else() {
        let s: String = (0u8..0x20).map(char::from).chain(['\u{7f}', '/', 'é', '\u{2028}']).collect();
        let out = canonical(&Value::String(s));
        assert_eq!(
            out,
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\
             \\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\
             \\u001e\\u001f\u{7f}/é\u{2028}\""
        );
    }

    #[test]
    fn integers_are_exact_and_floats_refused() {
        assert_eq!(canonical(&json!([0, -1, u64::MAX, i64::MIN])), "[0,-1,18446744073709551615,-9223372036854775808]");
        for text in ["1.5", "1.0", "1e3", "-0.0", "100000000000000000000"] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(matches!(to_vec(&value), Err(NodeError::Rejected(Rejection::UnsupportedNumber(_)))), "{text}");
        }
        // A whole number past the range is read as a float, which prints rounded: quoted as a
        // magnitude, never as digits the client did not send.
        for (text, quoted) in [
            ("18446744073709551616", "≈ 1.8446744073709552e19 (a whole number past the 64-bit range)"),
            ("-9223372036854775809", "≈ -9.223372036854776e18 (a whole number past the 64-bit range)"),
            ("1.5", "1.5"),
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                check_numbers(&value).unwrap_err().to_string().split(':').next().unwrap(),
                format!("unsupported JSON number {quoted}")
            );
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    fn arbitrary_transaction() -> impl Strategy<Value = crate::Transaction> {
        use tidepool_ledger::{Address, Hash};

        use crate::Action;
        let address = || any::<[u8; 20]>().prop_map(Address);
        let hash = || any::<[u8; 32]>().prop_map(Hash);
        let action = prop_oneof![
            (address(), any::<u128>()).prop_map(|(to, amount)| Action::Transfer { to, amount }),
            prop::collection::vec(any::<u8>(), 0..64).prop_map(|wasm| Action::UploadCode { wasm }),
            (hash(), arbitrary_json(), any::<u128>(), any::<String>(), prop::option::of(address())).prop_map(
                |(code_hash, msg, funds, label, admin)| Action::Instantiate { code_hash, msg, funds, label, admin }
            ),
            (address(), arbitrary_json(), any::<u128>()).prop_map(|(contract, msg, funds)| Action::Execute {
                contract,
                msg,
                funds
            }),
            (address(), hash(), arbitrary_json()).prop_map(|(contract, new_code_hash, msg)| Action::Migrate {
                contract,
                new_code_hash,
                msg
            }),
        ];
        (any::<u64>(), any::<u64>(), address(), any::<u64>(), action).prop_map(
            |(chain_id, nonce, from, gas_limit, action)| crate::Transaction {
                chain_id,
                nonce,
                from,
                gas_limit,
                action,
            },
        )
    }

    proptest! {
        /// `Transaction::canonical_bytes` writes its members by hand, in order; it must stay the
        /// canonical form of the transaction's JSON, which is what clients sign.
        #[test]
        fn a_transaction_is_written_as_the_canonical_form_of_its_json(tx in arbitrary_transaction()) {
            let reference = to_vec(&serde_json::to_value(&tx).unwrap()).unwrap();
            prop_assert_eq!(tx.canonical_bytes().unwrap(), reference);
        }

        #[test]
        fn canonical_output_parses_back_to_the_same_value(value in arbitrary_json()) {
            let bytes = to_vec(&value).unwrap();
            let back: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(&back, &value);
            // Idempotent: canonicalising the parsed output gives the same bytes.
            prop_assert_eq!(to_vec(&back).unwrap(), bytes);
        }

        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(s in any::<String>()) {
            // serde_json's writer follows the same minimal-escaping rules, so it is a reference.
            prop_assert_eq!(canonical(&Value::String(s.clone())), serde_json::to_string(&s).unwrap());
        }
    }
}
