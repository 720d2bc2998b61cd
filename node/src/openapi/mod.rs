//! The OpenAPI schemas of the JSON forms this crate defines (feature `openapi`), named so that
//! every request and answer of the API refers to one definition of each: [`Address`], [`Hash`](struct@Hash),
//! [`Amount`], [`HexBytes`], [`Signature`], [`Label`], [`JsonValue`] and [`AnyJson`].
//!
//! Each schema says exactly what the decoder accepts, no more and no less: a string the pattern
//! admits decodes, and one it refuses does not. The unit tests below hold the patterns to the
//! parsers they describe ([`crate::tx::decimal`], the signature's recovery byte, the label rule
//! [`crate::tx::check_label`]).
//!
//! The types here are markers for `#[schema(value_type = …)]`: the values themselves are
//! `tidepool_ledger::Address`, `u128` and so on, which cannot implement utoipa's traits here.
//! [`examples`] gives the transaction schemas examples a dev node accepts.

pub mod examples;

use serde_json::json;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A regular expression (ECMA-262 and Rust `regex` alike) matching exactly the canonical
/// decimal spellings of `0..=max`: `0`, or a non-zero digit followed by digits, at most as long
/// as `max` and, at its length, not above it.
///
/// At `max`'s length, a number is at most `max` when it equals `max` or first differs from it by
/// a smaller digit: one alternative per digit of `max` that has a smaller one.
///
/// # Examples
///
/// ```
/// let pattern = tidepool_node::openapi::decimal_pattern(255);
/// assert_eq!(pattern, "^(0|[1-9][0-9]{0,1}|1[0-9]{2}|2[0-4][0-9]|25[0-4]|255)$");
/// ```
pub fn decimal_pattern(max: u128) -> String {
    let digits = max.to_string();
    let length = digits.len();
    let mut alternatives = vec!["0".to_owned()];
    if length >= 2 {
        alternatives.push(format!("[1-9][0-9]{{0,{}}}", length - 2));
    }
    for (position, digit) in digits.bytes().map(|d| d - b'0').enumerate() {
        // The first digit of a longer number cannot be 0.
        let lowest = u8::from(position == 0 && length > 1);
        if digit > lowest {
            let smaller = if digit - 1 == lowest { lowest.to_string() } else { format!("[{lowest}-{}]", digit - 1) };
            let tail = match length - position - 1 {
                0 => String::new(),
                1 => "[0-9]".to_owned(),
                rest => format!("[0-9]{{{rest}}}"),
            };
            alternatives.push(format!("{}{smaller}{tail}", &digits[..position]));
        }
    }
    if max > 0 {
        alternatives.push(digits);
    }
    format!("^({})$", alternatives.join("|"))
}

/// The pattern of a signature: 64 bytes `r‖s` and a recovery byte `v` of 0, 1, 27 or 28 (the
/// ones [`crate::signature`] accepts; another `v` is refused with `bad_recovery_id`).
pub const SIGNATURE_PATTERN: &str = "^0x[0-9a-fA-F]{128}(0[01]|1[bBcC])$";

/// The pattern of a label: printable ASCII (U+0020 to U+007E), where one character is one byte,
/// so the schema's `maxLength` (characters) and the node's limit (bytes) agree.
pub const LABEL_PATTERN: &str = "^[ -~]*$";

fn string(description: &str, pattern: &str, example: serde_json::Value) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
}

fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// A transaction's gas limit: from the base cost of any transaction to the node's maximum
/// ([`crate::apply::TX_BASE_GAS`]`..=`[`crate::apply::MAX_TX_GAS`]); for `#[schema(schema_with)]`.
pub fn gas_limit() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::UInt64)))
        .minimum(Some(crate::apply::TX_BASE_GAS))
        .maximum(Some(crate::apply::MAX_TX_GAS))
        .description(Some("The most gas the transaction may use."))
        .into()
}

/// An account or contract address: `0x` and 40 hex digits, any case; answers write the
/// EIP-55 checksum. The API does not check a mixed-case checksum, as Ethereum nodes do not.
pub struct Address;

impl PartialSchema for Address {
    fn schema() -> RefOr<Schema> {
        string(
            "A 20-byte address: 0x and 40 hex digits in any case (answers use the EIP-55 checksum).",
            "^0x[0-9a-fA-F]{40}$",
            json!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        )
        .into()
    }
}

impl ToSchema for Address {}

/// A keccak256 hash (code, transaction, block, state root): `0x` and 64 hex digits.
pub struct Hash;

impl PartialSchema for Hash {
    fn schema() -> RefOr<Schema> {
        string(
            "A 32-byte hash: 0x and 64 hex digits in any case (answers use lowercase).",
            "^0x[0-9a-fA-F]{64}$",
            json!("0x3a1b05a2ae1aa1a9ab14cc0d8e2cdb88c9fa9f16e3a1f7b5e9fa7b7e3f3c3b1d"),
        )
        .into()
    }
}

impl ToSchema for Hash {}

/// An amount of base units, `0..=2^128 − 1`, as its one decimal spelling (no sign, no leading
/// zeros): JSON numbers stop being exact at 2^53.
pub struct Amount;

impl PartialSchema for Amount {
    fn schema() -> RefOr<Schema> {
        string(
            "Base units as a decimal string: 0 to 2^128 - 1, digits only, no leading zeros.",
            &decimal_pattern(u128::MAX),
            json!("1000000"),
        )
        .into()
    }
}

impl ToSchema for Amount {}

/// Bytes as `0x` and an even number of hex digits, any case (answers use lowercase).
pub struct HexBytes;

impl PartialSchema for HexBytes {
    fn schema() -> RefOr<Schema> {
        string(
            "Bytes: 0x and two hex digits per byte, any case (answers use lowercase).",
            "^0x([0-9a-fA-F]{2})*$",
            json!("0x0061ff"),
        )
        .into()
    }
}

impl ToSchema for HexBytes {}

/// A 65-byte `r‖s‖v` signature whose recovery byte is one the node accepts.
pub struct Signature;

impl PartialSchema for Signature {
    fn schema() -> RefOr<Schema> {
        string(
            "A 65-byte EIP-191 personal_sign signature r‖s‖v: 0x and 130 hex digits; v is 1b or 1c (27, 28), or 00 or 01.",
            SIGNATURE_PATTERN,
            json!(format!("0x{}1b", "11".repeat(64))),
        )
        .into()
    }
}

impl ToSchema for Signature {}

/// A contract label as a transaction gives it: printable ASCII, at most
/// [`tidepool_abi::limits::MAX_LABEL_LEN`] characters.
pub struct Label;

impl PartialSchema for Label {
    fn schema() -> RefOr<Schema> {
        string(
            "A contract's label: printable ASCII (space to ~), at most 128 characters.",
            LABEL_PATTERN,
            json!("token"),
        )
        .max_length(Some(tidepool_abi::limits::MAX_LABEL_LEN as usize))
        .into()
    }
}

impl ToSchema for Label {}

/// A contract message: any JSON whose numbers are integers in the 64-bit range (`−2^63` to
/// `2^64 − 1`), which the canonical encoding ([`crate::canonical`]) can sign; anything else is
/// refused with `unsupported_number`. Recursive: arrays and objects hold `JsonValue`s.
pub struct JsonValue;

impl PartialSchema for JsonValue {
    fn schema() -> RefOr<Schema> {
        // No `format`: neither int64 nor uint64 covers the range, and the bounds say it exactly.
        let integer = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(i64::MIN)).maximum(Some(u64::MAX));
        AnyOfBuilder::new()
            .description(Some(
                "Any JSON whose numbers are integers from -2^63 to 2^64 - 1 (no fractions, no exponents): \
                 null, a boolean, an integer, a string, an array or an object of such values.",
            ))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(integer)
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ArrayBuilder::new().items(reference("JsonValue")))
            .item(ObjectBuilder::new().schema_type(Type::Object).additional_properties(Some(reference("JsonValue"))))
            .examples([
                json!({ "transfer": { "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "amount": "1000000" } }),
            ])
            .into()
    }
}

impl ToSchema for JsonValue {}

/// Any JSON at all (`{}`): what a contract returns or emits, or a stored value that parses as
/// JSON. Only in answers; requests take [`JsonValue`].
pub struct AnyJson;

impl PartialSchema for AnyJson {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some("Any JSON value, as the contract or the stored bytes gave it."))
            .into()
    }
}

impl ToSchema for AnyJson {}

#[cfg(test)]
mod tests;
