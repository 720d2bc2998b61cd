//! Contracts: instance info, read-only queries, raw storage.

use std::ops::Bound;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash, KeyRange};
use tidepool_node::receipt::json_or_hex;
use tidepool_vm::Status;
use utoipa::{IntoParams, ToSchema};

use super::{AppState, AtHeight, blocking, page_limit};
use crate::error::{ApiError, unreadable_json};
use crate::extract::{Json, NoQuery, Query, address as parse_address, hex_bytes};
use crate::openapi::examples;
use crate::openapi::statuses::{BodyRefused, Gone, Internal, Invalid, NotFound, Unprocessable, UriTooLong};
use crate::path::Path;

/// A contract instance, as the API shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContractInfo {
    /// The height this answer was read at.
    pub height: u64,
    /// The contract's address.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub address: Address,
    /// The code it runs.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub code_hash: Hash,
    /// Who may migrate it; null if nobody may.
    #[schema(value_type = Option<tidepool_node::openapi::Address>, required = true)]
    pub admin: Option<Address>,
    /// Who created it.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub creator: Address,
    /// Its label (a contract that instantiates another may give any UTF-8, up to 128 bytes).
    pub label: String,
    /// Height it was created at.
    pub created_at: u64,
    /// Its native balance (decimal string).
    #[schema(value_type = tidepool_node::openapi::Amount)]
    pub balance: String,
}

/// `GET /v1/contracts/{address}`.
#[utoipa::path(get, path = "/v1/contracts/{address}", params(("address" = tidepool_node::openapi::Address, Path, description = "The contract.", example = examples::pool)),
    responses((status = 200, body = ContractInfo, description = "The contract, at the height it was read."), Invalid, NotFound, Internal))]
pub async fn instance(
    State(state): State<AppState>,
    _: NoQuery,
    Path(address): Path<String>,
) -> Result<Json<ContractInfo>, ApiError> {
    let address = parse_address("address", &address)?;
    let (height, instance, account) = blocking(move || {
        let view = state.node.view()?;
        Ok((view.height(), view.contract(&address)?, view.account(&address)?))
    })
    .await?;
    let instance = instance.ok_or_else(|| ApiError::not_found(format!("no contract at {address}")))?;
    Ok(Json(ContractInfo {
        height,
        address,
        code_hash: instance.code_hash,
        admin: instance.admin,
        creator: instance.creator,
        label: instance.label,
        created_at: instance.created_at,
        balance: account.balance.to_string(),
    }))
}

/// The answer to a query.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct QueryAnswer {
    /// The height the query read (the state after that block).
    pub height: u64,
    /// The contract's answer: JSON if it parses, else `0x` hex; null when empty.
    #[schema(value_type = tidepool_node::openapi::AnyJson)]
    pub result: serde_json::Value,
    /// Gas the query used.
    pub gas_used: u64,
}

/// `POST /v1/contracts/{address}/query`: a read-only call with a JSON message. The message
/// follows the rule of transaction messages (integers only, in the 64-bit range), so a query
/// reads the message a transaction would send.
#[utoipa::path(post, path = "/v1/contracts/{address}/query", params(("address" = tidepool_node::openapi::Address, Path, description = "The contract.", example = examples::pool), AtHeight),
    request_body(content = tidepool_node::openapi::JsonValue, description = "The contract's query message.", example = examples::market_query),
    responses((status = 200, body = QueryAnswer, description = "The contract's answer, at the height it read."),
              BodyRefused, NotFound, Gone, Unprocessable, Internal))]
pub async fn query(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(at): Query<AtHeight>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<QueryAnswer>, ApiError> {
    // Read here rather than by `Json`, so that a message that is not one reads as the `GET`
    // form's does (the body's content type is checked before: `crate::body`).
    let msg = read_message("the request body", &body?)?;
    answer_query(&state, &address, at.height, msg).await
}

/// The parameters of a query in the URL.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueryInUrl {
    /// The contract's query message: JSON text, percent-encoded, exactly what the `POST` form
    /// takes as its body (`curl -G --data-urlencode 'msg={"config":{}}'`).
    #[param(value_type = tidepool_node::openapi::JsonValue, example = examples::market_query)]
    pub msg: String,
    /// Read the state as of the end of this block (default: the latest). Above the latest: 404;
    /// below the history the node keeps (`--history-blocks`): 410.
    pub height: Option<u64>,
}

/// `GET /v1/contracts/{address}/query?msg=&height=`: the same query with its message in the URL.
/// A request without a body is answered on the connection's own worker thread from start to
/// end, so it answers sooner than the `POST` form (whose body hyper hands over through a
/// channel); and a link or a browser can make it. The answer is the `POST` form's.
#[utoipa::path(get, path = "/v1/contracts/{address}/query", params(("address" = tidepool_node::openapi::Address, Path, description = "The contract.", example = examples::pool), QueryInUrl),
    responses((status = 200, body = QueryAnswer, description = "The contract's answer, at the height it read."),
              Invalid, NotFound, UriTooLong, Gone, Unprocessable, Internal))]
pub async fn query_in_url(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(params): Query<QueryInUrl>,
) -> Result<Json<QueryAnswer>, ApiError> {
    let msg = read_message("the msg parameter", params.msg.as_bytes())?;
    answer_query(&state, &address, params.height, msg).await
}

/// A query's message, from the body or the `msg` parameter (`what`): both forms refuse a text
/// that is not JSON alike (`malformed_json`, serde_json's reason), and a number past a double's
/// range as they refuse a fraction (`unsupported_number`).
fn read_message(what: &str, text: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(text).map_err(|error| unreadable_json(what, text, &error))
}

/// A query of the contract at `address` with `msg`, at `height` (the latest if none), as both
/// forms answer it.
async fn answer_query(
    state: &AppState,
    address: &str,
    height: Option<u64>,
    mut msg: serde_json::Value,
) -> Result<Json<QueryAnswer>, ApiError> {
    let address = parse_address("address", address)?;
    // As a transaction's message: whole numbers are integers however written, and what the
    // document's JsonValue refuses (a fraction, a number past 64 bits) is `unsupported_number`.
    tidepool_node::whole_number::normalize(&mut msg);
    tidepool_node::canonical::check_numbers(&msg)?;
    let msg = serde_json::to_vec(&msg).map_err(ApiError::internal)?;
    let view = state.node.view_at(height)?;
    let height = view.height();
    // Most queries are short: answered here, on the async worker, if the VM can do it within
    // a small budget; otherwise (a long query, a module to load) on the blocking pool, where
    // nothing it does holds up other requests. Both read the same view.
    let outcome = match view.try_quick_query(&address, &msg)? {
        Some(outcome) => outcome,
        None => blocking(move || Ok(view.query(&address, &msg)?)).await?,
    };
    match outcome.status {
        Status::Success => {
            Ok(Json(QueryAnswer { height, result: json_or_hex(&outcome.return_data), gas_used: outcome.gas_used }))
        }
        status => Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "query_failed", status.to_string())),
    }
}

/// Which raw storage entries to list. Unknown parameters are refused, like unknown body fields.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StateParams {
    /// Only keys starting with these bytes: `0x` and hex digits (two per byte), or else the
    /// text itself as UTF-8 (any text that does not start with `0x`).
    #[param(pattern = "^(0x([0-9a-fA-F]{2})*|[^0][\\s\\S]*|0|0[^x][\\s\\S]*)?$")]
    pub prefix: Option<String>,
    /// Only keys after this one, `0x` and hex digits: the last page's `next`, to read the page
    /// after it.
    #[param(pattern = "^0x([0-9a-fA-F]{2})*$")]
    pub after: Option<String>,
    /// At most this many entries (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
    /// Read the storage as of the end of this block (default: the latest). Above the latest:
    /// 404; below the history the node keeps: 410.
    pub height: Option<u64>,
}

/// The key prefix a `prefix` parameter names: `0x` and hex digits are bytes, anything else is
/// its own UTF-8.
fn key_prefix(prefix: &str) -> Result<Vec<u8>, ApiError> {
    match prefix.strip_prefix("0x") {
        Some(digits) => hex::decode(digits).map_err(|e| ApiError::bad_request(format!("invalid hex prefix: {e}"))),
        None => Ok(prefix.as_bytes().to_vec()),
    }
}

/// One raw storage entry.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StateEntry {
    /// The key, `0x` hex.
    #[schema(value_type = tidepool_node::openapi::HexBytes)]
    pub key: String,
    /// The key as text, when it is UTF-8 (else null).
    #[schema(required = true)]
    pub key_text: Option<String>,
    /// The value, `0x` hex.
    #[schema(value_type = tidepool_node::openapi::HexBytes)]
    pub value: String,
    /// The value as JSON, when it parses as JSON (else null).
    #[schema(value_type = tidepool_node::openapi::AnyJson)]
    pub value_json: Option<serde_json::Value>,
}

/// A page of raw storage, read at one height.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatePage {
    /// The height the entries were read at.
    pub height: u64,
    /// The entries, in key order.
    pub entries: Vec<StateEntry>,
    /// When the page is full: its last key, to pass as `after` (with the same `prefix` and
    /// `height`) for the next page, which may be empty. Null when the page holds every entry
    /// left.
    #[schema(required = true, value_type = Option<tidepool_node::openapi::HexBytes>)]
    pub next: Option<String>,
}

/// `GET /v1/contracts/{address}/state?prefix=&after=&limit=&height=`: raw storage entries.
#[utoipa::path(get, path = "/v1/contracts/{address}/state", params(("address" = tidepool_node::openapi::Address, Path, description = "The contract.", example = examples::pool), StateParams),
    responses((status = 200, body = StatePage, description = "Entries in key order, at one height."), Invalid, NotFound, Gone, Internal))]
pub async fn state(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(params): Query<StateParams>,
) -> Result<Json<StatePage>, ApiError> {
    let address = parse_address("address", &address)?;
    let prefix = key_prefix(params.prefix.as_deref().unwrap_or(""))?;
    let mut range = KeyRange::prefix(&prefix);
    if let Some(after) = params.after.as_deref() {
        let after = hex_bytes("after", after)?;
        // A key before the prefix's first leaves the prefix in charge.
        if after.as_slice() >= prefix.as_slice() {
            range.start = Bound::Excluded(after);
        }
    }
    let limit = page_limit(params.limit)?;
    let page = blocking(move || {
        let view = state.node.view_at(params.height)?;
        let entries = view.storage(&address, &range, limit)?;
        let next = match entries.last() {
            Some((key, _)) if entries.len() == limit => Some(format!("0x{}", hex::encode(key))),
            _ => None,
        };
        let entries = entries
            .into_iter()
            .map(|(key, value)| StateEntry {
                key: format!("0x{}", hex::encode(&key)),
                key_text: String::from_utf8(key).ok(),
                value: format!("0x{}", hex::encode(&value)),
                value_json: serde_json::from_slice(&value).ok(),
            })
            .collect();
        Ok(StatePage { height: view.height(), entries, next })
    })
    .await?;
    Ok(Json(page))
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::key_prefix;

    #[test]
    fn the_prefix_pattern_admits_exactly_the_prefixes_the_handler_reads() {
        let doc = crate::openapi::document(false);
        let parameters = doc["paths"]["/v1/contracts/{address}/state"]["get"]["parameters"].as_array().unwrap();
        let prefix = parameters.iter().find(|p| p["name"] == "prefix").unwrap();
        let pattern = Regex::new(prefix["schema"]["pattern"].as_str().unwrap()).unwrap();
        // Every string of up to four characters over an alphabet that has each character the
        // pattern distinguishes, and a few longer ones.
        let alphabet = ['0', 'x', 'X', 'a', 'F', 'g', ' ', '\n', 'é'];
        let mut cases = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                cases.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            cases.extend(longer);
        }
        cases.extend(["0x00ff", "0xABCDEF", "0x00f", "0x00\n", "balance:0x", "0x0x"].map(str::to_owned));
        for case in &cases {
            assert_eq!(pattern.is_match(case), key_prefix(case).is_ok(), "{case:?}");
        }
    }
}
