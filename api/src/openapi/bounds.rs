//! Integer ranges written out. utoipa gives every Rust integer a `format` (`uint64` for `u64`,
//! `uint32` for `u32`, …), but in JSON Schema a format is only an annotation: without
//! `minimum`/`maximum`, a client or a fuzzer may send 2^70 as a `u64` and be refused. This pass
//! gives every integer schema the range its format names, wherever the schema does not bound
//! itself more tightly (a gas limit, a page size).
//!
//! utoipa 5 spells its unsigned formats `u-int64` and so on (a kebab-case rename of its
//! `UInt64`); the pass writes the usual `uint64`.

use serde_json::{Value, json};

/// The usual spelling of an integer format and the range it names, for the formats utoipa
/// writes.
fn range(format: &str) -> Option<(&'static str, Value, Value)> {
    let (spelling, min, max) = match format {
        "uint8" | "u-int8" => ("uint8", json!(0), json!(u8::MAX)),
        "uint16" | "u-int16" => ("uint16", json!(0), json!(u16::MAX)),
        "uint32" | "u-int32" => ("uint32", json!(0), json!(u32::MAX)),
        "uint64" | "u-int64" => ("uint64", json!(0), json!(u64::MAX)),
        "int8" => ("int8", json!(i8::MIN), json!(i8::MAX)),
        "int16" => ("int16", json!(i16::MIN), json!(i16::MAX)),
        "int32" => ("int32", json!(i32::MIN), json!(i32::MAX)),
        "int64" => ("int64", json!(i64::MIN), json!(i64::MAX)),
        _ => return None,
    };
    Some((spelling, min, max))
}

fn is_integer(schema: &serde_json::Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::String(ty)) => ty == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    }
}

/// Adds `minimum` and `maximum` to every integer schema in `document` that has a known format
/// and lacks them, and spells the format the usual way.
pub fn bound_integers(document: &mut Value) {
    match document {
        Value::Object(object) => {
            if is_integer(object)
                && let Some((spelling, min, max)) = object.get("format").and_then(Value::as_str).and_then(range)
            {
                object.insert("format".into(), json!(spelling));
                object.entry("minimum").or_insert(min);
                object.entry("maximum").or_insert(max);
            }
            object.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::bound_integers;

    #[test]
    fn integers_get_the_range_of_their_format_unless_they_have_one() {
        let mut document = json!({
            "height": { "type": "integer", "format": "u-int64", "minimum": 0 },
            "index": { "type": ["integer", "null"], "format": "uint32" },
            "gas": { "type": "integer", "format": "uint64", "minimum": 21000, "maximum": 1000000000u64 },
            "name": { "type": "string", "format": "uint64" },
            "nested": [{ "type": "integer", "format": "uint8" }],
        });
        bound_integers(&mut document);
        assert_eq!(
            document["height"],
            json!({ "type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX })
        );
        assert_eq!(document["index"]["maximum"], json!(u32::MAX));
        assert_eq!(document["gas"]["minimum"], json!(21000));
        assert_eq!(document["gas"]["maximum"], json!(1_000_000_000u64));
        assert!(document["name"].get("maximum").is_none());
        assert_eq!(document["nested"][0]["maximum"], json!(255));
    }
}
