//! Closed objects: every object schema with properties gets `additionalProperties: false`.
//!
//! For requests this states what the server does: every request type refuses unknown fields
//! (serde's `deny_unknown_fields`, which utoipa carries to structs but not to the variants of
//! an enum such as `Action`). For answers it states that the server sends no member the document
//! does not name, and it keeps the branches of an untagged `oneOf` apart (a receipt has a
//! `tx_hash` too, but is not `{tx_hash}`). Objects without properties (maps, any JSON) are left
//! open.

use serde_json::{Value, json};

/// Closes every object schema in `document` that lists properties.
pub fn close_objects(document: &mut Value) {
    match document {
        Value::Object(object) => {
            if object.get("properties").is_some_and(Value::is_object) {
                object.insert("additionalProperties".into(), json!(false));
            }
            for (key, child) in object.iter_mut() {
                match (key.as_str(), child) {
                    // A map from property names to schemas: its members are schemas, the map
                    // itself is not (a property may be called `properties`).
                    ("properties", Value::Object(properties)) => properties.values_mut().for_each(close_objects),
                    (_, child) => close_objects(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::close_objects;

    #[test]
    fn objects_with_properties_are_closed_and_maps_stay_open() {
        let mut document = json!({
            "Pending": { "type": "object", "properties": { "tx_hash": { "type": "string" } } },
            "Map": { "type": "object", "additionalProperties": { "$ref": "#/components/schemas/JsonValue" } },
            "Variants": { "oneOf": [{ "type": "object", "properties": { "type": { "enum": ["a"] } } }] },
            // A member named `properties` is a property, not a schema keyword.
            "Named": { "type": "object", "properties": { "properties": { "type": "string" } } },
        });
        close_objects(&mut document);
        assert_eq!(document["Pending"]["additionalProperties"], json!(false));
        assert_eq!(document["Map"]["additionalProperties"], json!({ "$ref": "#/components/schemas/JsonValue" }));
        assert_eq!(document["Variants"]["oneOf"][0]["additionalProperties"], json!(false));
        assert_eq!(document["Named"]["additionalProperties"], json!(false));
        assert!(document["Named"]["properties"].get("additionalProperties").is_none());
    }
}
