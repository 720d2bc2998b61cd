//! Examples for path parameters and bodies that name things a fresh dev node has: the lending
//! market's pool (a contract), its token code, a query the pool answers. A reader can paste them
//! into `curl` against `make run`'s node, and the fuzzer's examples phase reaches real answers
//! with them (docs/api.md, "How the document is checked").

use serde_json::{Value, json};
use tidepool_node::genesis::market_info;

/// The lending pool's address.
pub fn pool() -> Value {
    json!(market_info().pool)
}

/// A code hash: zeros in the document's static form; [`with_node`] puts the dev market's token
/// code in its place when the node has the market.
pub fn token_code() -> Value {
    json!(tidepool_ledger::Hash::ZERO)
}

/// Fills in the examples that depend on what the node holds: the dev market's token code hash
/// (the node does not embed the sample contracts, so it is read from the chain).
pub fn with_node(document: &mut Value, node: &tidepool_node::Node) {
    let token = node.market().and_then(|market| node.contract(&market.tokens[0].address).ok().flatten());
    let Some(token) = token else { return };
    if let Some(parameter) = document.pointer_mut("/paths/~1v1~1code~1{hash}/get/parameters/0") {
        parameter["example"] = json!(token.code_hash);
    }
}

/// A query the pool answers: the USDC market.
pub fn market_query() -> Value {
    json!({ "market": { "asset": market_info().tokens[0].address } })
}
