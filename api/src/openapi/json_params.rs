//! Query parameters that carry a message: a parameter whose schema is `JsonValue` is JSON text in
//! the URL (`?msg={"config":{}}`, percent-encoded), which OpenAPI states with `content:
//! application/json` in place of `schema`, so that a client or a test generator serialises the
//! value as JSON. utoipa's parameters have no `content`; the document is rewritten here.

use serde_json::{Value, json};

/// The schema of a message.
const JSON_VALUE: &str = "#/components/schemas/JsonValue";

/// Moves every query parameter whose schema is a message (and its example) under `content`.
pub fn json_in_query(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths.values_mut().filter_map(Value::as_object_mut).flat_map(|path| path.values_mut());
    let parameters = operations.filter_map(|operation| operation.get_mut("parameters")?.as_array_mut());
    for parameter in parameters.flatten().filter_map(Value::as_object_mut) {
        if parameter.get("in").is_some_and(|at| at == "query")
            && parameter.get("schema").is_some_and(|schema| schema["$ref"] == JSON_VALUE)
        {
            let mut media = json!({ "schema": parameter.remove("schema") });
            if let Some(example) = parameter.remove("example") {
                media["example"] = example;
            }
            parameter.insert("content".into(), json!({ "application/json": media }));
        }
    }
}
