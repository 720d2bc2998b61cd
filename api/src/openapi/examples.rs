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

/// The token contract's code hash.
pub fn token_code() -> Value {
    json!(tidepool_ledger::keccak256(tidepool_artifacts::TOKEN))
}

/// A query the pool answers: the USDC market.
pub fn market_query() -> Value {
    json!({ "market": { "asset": market_info().tokens[0].address } })
}
