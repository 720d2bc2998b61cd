//! The document's own rules, checked on the documents of a dev node and of another node. That
//! the server keeps to the document is checked from outside: api/tests/it/routes.rs and
//! scripts/conformance.sh (docs/api.md, "How the document is checked").

use serde_json::Value;

use super::document;

/// Every operation of `doc`: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), operation));
        }
    }
    operations
}

/// The schema `reference` (`#/components/schemas/Name`) points to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").expect("a schema reference");
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "{reference} points nowhere");
            target
        }
        None => schema,
    }
}

/// Every schema reachable from `schema`, each component once.
fn reachable<'a>(doc: &'a Value, schema: &'a Value, seen: &mut Vec<String>, out: &mut Vec<&'a Value>) {
    if let Some(reference) = schema["$ref"].as_str() {
        if seen.iter().any(|s| s == reference) {
            return;
        }
        seen.push(reference.to_owned());
    }
    let schema = resolve(doc, schema);
    out.push(schema);
    for keyword in ["oneOf", "anyOf", "allOf"] {
        for branch in schema[keyword].as_array().into_iter().flatten() {
            reachable(doc, branch, seen, out);
        }
    }
    for property in schema["properties"].as_object().into_iter().flat_map(|p| p.values()) {
        reachable(doc, property, seen, out);
    }
    for nested in [&schema["items"], &schema["additionalProperties"]] {
        if nested.is_object() {
            reachable(doc, nested, seen, out);
        }
    }
}

const ROUTES: [(&str, &str); 21] = [
    ("POST", "/v1/txs"),
    ("POST", "/v1/txs/batch"),
    ("GET", "/v1/txs/{hash}"),
    ("GET", "/v1/txs/{hash}/trace"),
    ("POST", "/v1/txs/{hash}/replay"),
    ("POST", "/v1/simulate"),
    ("POST", "/v1/code"),
    ("GET", "/v1/code/{hash}"),
    ("GET", "/v1/contracts/{address}"),
    ("POST", "/v1/contracts/{address}/query"),
    ("GET", "/v1/contracts/{address}/query"),
    ("GET", "/v1/contracts/{address}/state"),
    ("GET", "/v1/accounts/{address}"),
    ("GET", "/v1/accounts/{address}/balances"),
    ("GET", "/v1/blocks/latest"),
    ("GET", "/v1/blocks/{height}"),
    ("GET", "/v1/events"),
    ("GET", "/v1/stream"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

const DEV_ROUTES: [(&str, &str); 15] = [
    ("POST", "/dev/faucet"),
    ("POST", "/dev/set_balance"),
    ("POST", "/dev/set_storage"),
    ("POST", "/dev/set_code"),
    ("POST", "/dev/warp"),
    ("POST", "/dev/set_next_block_time"),
    ("POST", "/dev/mine"),
    ("GET", "/dev/mining"),
    ("POST", "/dev/mining"),
    ("POST", "/dev/snapshot"),
    ("POST", "/dev/revert"),
    ("POST", "/dev/impersonate"),
    ("POST", "/dev/reset"),
    ("POST", "/dev/dump_state"),
    ("POST", "/dev/load_state"),
];

#[test]
fn each_node_documents_exactly_the_routes_it_serves() {
    for dev in [false, true] {
        let doc = document(dev);
        let mut documented: Vec<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
        documented.sort();
        let mut expected: Vec<(String, String)> = ROUTES
            .iter()
            .chain(if dev { &DEV_ROUTES[..] } else { &[] })
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        expected.sort();
        assert_eq!(documented, expected, "dev = {dev}");
    }
}

#[test]
fn the_document_names_the_transaction_types() {
    let doc = document(true);
    for schema in [
        "SignedTransaction",
        "Transaction",
        "Action",
        "Receipt",
        "ReceiptStatus",
        "StoredTx",
        "Submitted",
        "Address",
        "Hash",
        "Amount",
        "HexBytes",
        "Signature",
        "Label",
        "JsonValue",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
    let action = doc["components"]["schemas"]["Action"].to_string();
    for ty in ["transfer", "upload_code", "instantiate", "execute", "migrate"] {
        assert!(action.contains(&format!("\"{ty}\"")), "action type {ty} missing from {action}");
    }
}

#[test]
fn every_request_object_is_closed_to_unknown_members() {
    let doc = document(true);
    for (method, path, operation) in operations(&doc) {
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        if !body.is_object() {
            continue;
        }
        let mut schemas = Vec::new();
        reachable(&doc, body, &mut Vec::new(), &mut schemas);
        for schema in schemas {
            if schema.get("properties").is_some() {
                assert_eq!(schema["additionalProperties"], false, "{method} {path}: {schema}");
            }
        }
    }
}

#[test]
fn every_operation_documents_its_errors_with_the_error_body() {
    let doc = document(true);
    for (method, path, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.contains_key("200"), "{method} {path}");
        if path != "/metrics" && path != "/openapi.json" {
            assert!(responses.contains_key("500"), "{method} {path} does not document 500");
        }
        if operation.get("requestBody").is_some() {
            assert_eq!(operation["requestBody"]["required"], true, "{method} {path}");
            for status in ["400", "413", "415"] {
                assert!(responses.contains_key(status), "{method} {path} has a body but does not document {status}");
            }
        }
        if operation["parameters"].as_array().is_some_and(|p| !p.is_empty()) {
            assert!(responses.contains_key("400"), "{method} {path} has parameters but does not document 400");
        }
        for (status, response) in responses {
            if status == "414" {
                // hyper's own answer to a URL it will not parse: no body, and the document says so.
                assert!(response.get("content").is_none(), "{method} {path} 414");
            } else if status != "200" {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
            }
        }
    }
}

#[test]
fn integers_are_bounded_by_what_the_server_accepts() {
    let doc = document(true);
    let schemas = &doc["components"]["schemas"];
    let property = |schema: &str, name: &str| schemas[schema]["properties"][name].clone();
    assert_eq!(property("Transaction", "nonce")["maximum"], u64::MAX);
    assert_eq!(property("Transaction", "chain_id")["format"], "uint64");
    assert_eq!(property("Transaction", "gas_limit")["minimum"], tidepool_node::apply::TX_BASE_GAS);
    assert_eq!(property("Transaction", "gas_limit")["maximum"], tidepool_node::apply::MAX_TX_GAS);
    assert_eq!(property("Warp", "seconds")["maximum"], tidepool_node::MAX_BLOCK_TIME);
    assert_eq!(property("SetNextBlockTime", "time")["maximum"], tidepool_node::MAX_BLOCK_TIME);
    let interval = &schemas["SetMining"]["oneOf"][1]["properties"]["interval_ms"];
    assert_eq!(interval["minimum"], crate::routes::dev::MIN_INTERVAL_MS);
    assert_eq!(interval["maximum"], crate::routes::dev::MAX_INTERVAL_MS);
    let safe = tidepool_node::state_file::MAX_SAFE_INTEGER;
    assert_eq!(property("StateFile", "height")["maximum"], safe);
    assert_eq!(property("StateFile", "time")["maximum"], tidepool_node::MAX_BLOCK_TIME);
    assert_eq!(property("AccountEntry", "nonce")["maximum"], safe);
    assert_eq!(property("Mine", "blocks")["minimum"], 1);
    assert_eq!(property("Mine", "blocks")["maximum"], crate::routes::dev::MAX_MINE_BLOCKS);
    assert_eq!(schemas["TransactionBatch"]["maxItems"], crate::routes::txs::MAX_BATCH);
    assert_eq!(schemas["TransactionBatch"]["minItems"], 1);
    for path in ["/v1/events", "/v1/contracts/{address}/state"] {
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = parameters.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["minimum"], 1, "{path}");
        assert_eq!(limit["schema"]["maximum"], crate::routes::MAX_PAGE, "{path}");
        assert_eq!(limit["schema"]["default"], crate::routes::DEFAULT_PAGE, "{path}");
    }
    let height = &doc["paths"]["/v1/blocks/{height}"]["get"]["parameters"][0]["schema"];
    assert_eq!(height["maximum"], u64::MAX);
}

#[test]
fn a_message_in_a_url_is_a_json_parameter() {
    let doc = document(false);
    let parameters = doc["paths"]["/v1/contracts/{address}/query"]["get"]["parameters"].as_array().unwrap();
    let msg = parameters.iter().find(|p| p["name"] == "msg").unwrap();
    assert_eq!(msg["in"], "query");
    assert_eq!(msg["required"], true);
    assert!(msg.get("schema").is_none(), "{msg}");
    assert_eq!(msg["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/JsonValue");
    assert!(msg["content"]["application/json"]["example"].is_object(), "{msg}");
    // Every other parameter keeps its schema.
    for (method, path, operation) in operations(&doc) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["name"] != "msg" {
                assert!(parameter["schema"].is_object(), "{method} {path}: {parameter}");
            }
        }
    }
}
