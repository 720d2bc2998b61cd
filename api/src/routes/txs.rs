//! Transactions: submit (one or a batch), look up, simulate.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use tidepool_ledger::Hash;
use tidepool_node::{Receipt, SignedTransaction, StoredTx, Submitted, Transaction};
use utoipa::ToSchema;

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, parse};

/// A transaction with its receipt.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TxWithReceipt {
    /// The transaction and its signature (null when impersonated).
    pub tx: StoredTx,
    /// What happened.
    pub receipt: Receipt,
}

/// One entry of a batch answer: the receipt (or pending hash), or why it was rejected.
#[derive(Serialize)]
#[serde(untagged)]
pub enum BatchEntry {
    /// Accepted.
    Ok(Submitted),
    /// Rejected; nothing changed for this transaction.
    Err {
        /// Why.
        error: crate::error::ErrorDetail,
    },
}

/// `POST /v1/txs`: submit a signed transaction → its receipt (automine) or hash (interval).
#[utoipa::path(post, path = "/v1/txs", request_body = SignedTransaction,
    responses((status = 200, body = Submitted, description = "the receipt, or {tx_hash} in interval mode"), (status = "4XX", body = crate::error::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Json(signed): Json<SignedTransaction>,
) -> Result<Json<Submitted>, ApiError> {
    let metrics = state.metrics.clone();
    let result = blocking(move || Ok(state.node.submit(&signed))).await?;
    metrics.count_tx(result.is_ok());
    Ok(Json(result?))
}

/// `POST /v1/txs/batch`: many signed transactions, signatures checked in parallel, executed in
/// order → one entry per transaction.
#[utoipa::path(post, path = "/v1/txs/batch", request_body = Vec<SignedTransaction>, responses((status = 200, description = "one entry per transaction: its receipt, or {error}")))]
pub async fn submit_batch(
    State(state): State<AppState>,
    Json(signed): Json<Vec<SignedTransaction>>,
) -> Result<Json<Vec<BatchEntry>>, ApiError> {
    if signed.len() > 10_000 {
        return Err(ApiError::bad_request(format!("a batch holds at most 10000 transactions, got {}", signed.len())));
    }
    let metrics = state.metrics.clone();
    let results = blocking(move || Ok(state.node.submit_batch(&signed))).await?;
    let entries = results
        .into_iter()
        .map(|r| {
            metrics.count_tx(r.is_ok());
            match r {
                Ok(s) => Ok(BatchEntry::Ok(s)),
                Err(e) => {
                    let e = ApiError::from(e);
                    if e.status().is_server_error() { Err(e) } else { Ok(BatchEntry::Err { error: e.detail() }) }
                }
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Json(entries))
}

/// `GET /v1/txs/{hash}`: a committed transaction and its receipt.
#[utoipa::path(get, path = "/v1/txs/{hash}", params(("hash" = String, Path)), responses((status = 200, body = TxWithReceipt), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(hash): Path<String>) -> Result<Json<TxWithReceipt>, ApiError> {
    let hash: Hash = parse("transaction hash", &hash)?;
    let found = blocking(move || Ok(state.node.transaction(&hash)?)).await?;
    let (tx, receipt) = found.ok_or_else(|| ApiError::not_found(format!("no transaction {hash}")))?;
    Ok(Json(TxWithReceipt { tx, receipt }))
}

/// `POST /v1/simulate`: run an unsigned transaction without committing → the receipt it would get.
#[utoipa::path(post, path = "/v1/simulate", request_body = Transaction, responses((status = 200, body = Receipt, description = "the receipt it would get")))]
pub async fn simulate(State(state): State<AppState>, Json(tx): Json<Transaction>) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.simulate(&tx)?)).await?))
}
