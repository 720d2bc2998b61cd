//! Code and contracts: upload, code metadata, instance info, read-only queries, raw storage.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash, KeyRange};
use tidepool_node::{SignedTransaction, Submitted, receipt::json_or_hex};
use tidepool_vm::Status;
use utoipa::{IntoParams, ToSchema};

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, Query, parse};

/// `POST /v1/code`: the convenience form of submitting a signed `upload_code` transaction.
#[utoipa::path(post, path = "/v1/code", request_body = SignedTransaction, responses((status = 200, body = Submitted, description = "receipt with code_hash")))]
pub async fn upload(
    State(state): State<AppState>,
    Json(signed): Json<SignedTransaction>,
) -> Result<Json<Submitted>, ApiError> {
    if !matches!(signed.tx.action, tidepool_node::Action::UploadCode { .. }) {
        return Err(ApiError::bad_request("POST /v1/code takes an upload_code transaction; use /v1/txs for others"));
    }
    Ok(Json(blocking(move || Ok(state.node.submit(&signed)?)).await?))
}

/// Uploaded code, as the API shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CodeInfo {
    /// The height this answer was read at.
    pub height: u64,
    /// keccak256 of the wasm.
    #[schema(value_type = String)]
    pub code_hash: Hash,
    /// Who uploaded it.
    #[schema(value_type = String)]
    pub uploader: Address,
    /// Height it was stored at.
    pub uploaded_at: u64,
    /// Size in bytes.
    pub size: u32,
    /// Exported entry points.
    pub entry_points: Vec<String>,
    /// Whether it accepts re-entrant calls.
    pub reentrant: bool,
}

/// `GET /v1/code/{hash}`.
#[utoipa::path(get, path = "/v1/code/{hash}", params(("hash" = String, Path)), responses((status = 200, body = CodeInfo), (status = 404, body = crate::error::ErrorBody)))]
pub async fn code(State(state): State<AppState>, Path(hash): Path<String>) -> Result<Json<CodeInfo>, ApiError> {
    let hash: Hash = parse("code hash", &hash)?;
    let (height, meta) = blocking(move || {
        let view = state.node.view()?;
        Ok((view.height(), view.code_meta(&hash)?))
    })
    .await?;
    let meta = meta.ok_or_else(|| ApiError::not_found(format!("no code {hash}")))?;
    Ok(Json(CodeInfo {
        height,
        code_hash: hash,
        uploader: meta.uploader,
        uploaded_at: meta.uploaded_at,
        size: meta.size,
        entry_points: meta.entry_points,
        reentrant: meta.reentrant,
    }))
}

/// A contract instance, as the API shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContractInfo {
    /// The height this answer was read at.
    pub height: u64,
    /// The contract's address.
    #[schema(value_type = String)]
    pub address: Address,
    /// The code it runs.
    #[schema(value_type = String)]
    pub code_hash: Hash,
    /// Who may migrate it.
    #[schema(value_type = Option<String>)]
    pub admin: Option<Address>,
    /// Who created it.
    #[schema(value_type = String)]
    pub creator: Address,
    /// Its label.
    pub label: String,
    /// Height it was created at.
    pub created_at: u64,
    /// Its native balance (decimal string).
    pub balance: String,
}

/// `GET /v1/contracts/{address}`.
#[utoipa::path(get, path = "/v1/contracts/{address}", params(("address" = String, Path)), responses((status = 200, body = ContractInfo), (status = 404, body = crate::error::ErrorBody)))]
pub async fn instance(
    State(state): State<AppState>,
    Path(address): Path<String>,
) -> Result<Json<ContractInfo>, ApiError> {
    let address: Address = parse("address", &address)?;
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
    /// The contract's answer (JSON if it returned JSON).
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    /// Gas the query used.
    pub gas_used: u64,
}

/// `POST /v1/contracts/{address}/query`: a read-only call with any JSON message.
#[utoipa::path(post, path = "/v1/contracts/{address}/query", params(("address" = String, Path)), request_body(content = Object, description = "the contract's query message"),
    responses((status = 200, body = QueryAnswer), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn query(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Json(msg): Json<serde_json::Value>,
) -> Result<Json<QueryAnswer>, ApiError> {
    let address: Address = parse("address", &address)?;
    let (height, outcome) = blocking(move || {
        let msg = serde_json::to_vec(&msg).map_err(ApiError::internal)?;
        let view = state.node.view()?;
        Ok((view.height(), view.query(&address, &msg)?))
    })
    .await?;
    match outcome.status {
        Status::Success => {
            Ok(Json(QueryAnswer { height, result: json_or_hex(&outcome.return_data), gas_used: outcome.gas_used }))
        }
        status => Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, "query_failed", status.to_string())),
    }
}

/// Which raw storage entries to list.
#[derive(Deserialize, IntoParams)]
pub struct StateParams {
    /// Only keys starting with these bytes (`0x` hex, or plain UTF-8 text).
    pub prefix: Option<String>,
    /// At most this many entries (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// One raw storage entry.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StateEntry {
    /// The key, `0x` hex.
    pub key: String,
    /// The key as text, when it is UTF-8.
    pub key_text: Option<String>,
    /// The value, `0x` hex.
    pub value: String,
    /// The value as JSON, when it is JSON.
    #[schema(value_type = Option<Object>)]
    pub value_json: Option<serde_json::Value>,
}

/// A page of raw storage, read at one height.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatePage {
    /// The height the entries were read at.
    pub height: u64,
    /// The entries, in key order.
    pub entries: Vec<StateEntry>,
}

/// `GET /v1/contracts/{address}/state?prefix=&limit=`: raw storage entries.
#[utoipa::path(get, path = "/v1/contracts/{address}/state", params(("address" = String, Path), StateParams), responses((status = 200, body = StatePage)))]
pub async fn state(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(params): Query<StateParams>,
) -> Result<Json<StatePage>, ApiError> {
    let address: Address = parse("address", &address)?;
    let prefix = match params.prefix.as_deref() {
        None => Vec::new(),
        Some(p) => match p.strip_prefix("0x") {
            Some(h) => hex::decode(h).map_err(|e| ApiError::bad_request(format!("invalid hex prefix: {e}")))?,
            None => p.as_bytes().to_vec(),
        },
    };
    let limit = params.limit.unwrap_or(100).min(1000);
    let page = blocking(move || {
        let view = state.node.view()?;
        let entries = view.storage(&address, &KeyRange::prefix(&prefix), limit)?;
        let entries = entries
            .into_iter()
            .map(|(key, value)| StateEntry {
                key: format!("0x{}", hex::encode(&key)),
                key_text: String::from_utf8(key).ok(),
                value: format!("0x{}", hex::encode(&value)),
                value_json: serde_json::from_slice(&value).ok(),
            })
            .collect();
        Ok(StatePage { height: view.height(), entries })
    })
    .await?;
    Ok(Json(page))
}
