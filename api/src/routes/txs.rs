//! Transactions: submit (one or a batch), look up, simulate.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tidepool_ledger::Hash;
use tidepool_node::error::Rejection;
use tidepool_node::trace::TraceFrame;
use tidepool_node::{NodeError, Receipt, Relay, Replay, SignedTransaction, StoredTx, Submitted, Transaction};
use tokio::time::Instant;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, NoBody, NoQuery, Object, Query, parse};
use crate::openapi::statuses::{
    BodyRefused, Conflict, Gone, Internal, Invalid, NotFound, TimedOut, TooLarge, Unaffordable, Unauthorized,
    Unprocessable,
};
use crate::path::Path;

/// Most transactions one batch may hold.
pub const MAX_BATCH: usize = 10_000;

/// The longest `?wait=true` waits for receipts.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// How a submission answers. Unknown parameters are refused, like unknown body fields.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmitParams {
    /// When a transaction waits for a block (a network, manual or interval mining), wait for
    /// its receipt — at most 30 s, after which the answer is its `{tx_hash}` as without `wait`.
    /// An automine node answers with the receipt either way.
    pub wait: Option<bool>,
    /// On a network validator: forward what is admitted to the other validators (default
    /// true). Validators forwarding transactions to each other set it to false.
    pub relay: Option<bool>,
}

/// `submitted`, or its receipt once its block is committed when it waits for one, until
/// `deadline`.
async fn receipt_by(state: &AppState, submitted: Submitted, deadline: Instant) -> Result<Submitted, ApiError> {
    let Submitted::Pending { tx_hash } = submitted else { return Ok(submitted) };
    let mut heads = state.heads.clone();
    loop {
        let node = state.node.clone();
        let found = blocking(move || match node.transaction(&tx_hash) {
            Err(NodeError::Rejected(Rejection::PendingTransaction(_))) => Ok(None),
            other => Ok(other?),
        })
        .await?;
        if let Some((_, receipt)) = found {
            return Ok(Submitted::Mined(Box::new(receipt.into())));
        }
        // A commit between the lookup and here still wakes this: the receiver remembers the
        // last version it saw.
        if !matches!(tokio::time::timeout_at(deadline, heads.changed()).await, Ok(Ok(()))) {
            return Ok(Submitted::Pending { tx_hash });
        }
    }
}

/// A transaction with its receipt.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TxWithReceipt {
    /// The transaction and its signature (null when impersonated).
    pub tx: StoredTx,
    /// What happened.
    pub receipt: Receipt,
}

/// `POST /v1/txs/batch`'s body: 1 to [`MAX_BATCH`] signed transactions, each a JSON object.
pub struct TransactionBatch(pub Vec<SignedTransaction>);

impl<'de> Deserialize<'de> for TransactionBatch {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<Object<SignedTransaction>>::deserialize(deserializer)?;
        Ok(TransactionBatch(entries.into_iter().map(|Object(signed)| signed).collect()))
    }
}

impl PartialSchema for TransactionBatch {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name("SignedTransaction"))
            .min_items(Some(1))
            .max_items(Some(MAX_BATCH))
            .description(Some("1 to 10,000 signed transactions, executed in order."))
            .examples([serde_json::Value::Array(vec![tidepool_node::openapi::examples::signed_transaction()])])
            .into()
    }
}

impl ToSchema for TransactionBatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((SignedTransaction::name().into(), SignedTransaction::schema()));
        SignedTransaction::schemas(schemas);
    }
}

/// One entry of a batch answer: the receipt (or pending hash), or why it was rejected.
#[derive(Serialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum BatchEntry {
    /// Accepted.
    Ok(Submitted),
    /// Rejected; nothing changed for this transaction.
    Err {
        /// Why: what the single submission would have answered, without its status.
        error: crate::error::ErrorDetail,
    },
}

/// `POST /v1/txs`: submit a signed transaction → its receipt (automine, or `?wait=true`) or
/// its hash (a network, manual and interval mining).
#[utoipa::path(post, path = "/v1/txs", request_body = SignedTransaction, params(SubmitParams),
    responses((status = 200, body = Submitted, description = "The receipt, or `{tx_hash}` when the transaction waits for a block (and `wait` is not set or ran out)."),
              BodyRefused, Unauthorized, Unaffordable, NotFound, Conflict, Unprocessable, Internal))]
pub async fn submit(
    State(state): State<AppState>,
    Query(params): Query<SubmitParams>,
    Json(Object(signed)): Json<Object<SignedTransaction>>,
) -> Result<Json<Submitted>, ApiError> {
    let deadline = Instant::now() + MAX_WAIT;
    let metrics = state.metrics.clone();
    let node = state.node.clone();
    let result = blocking(move || Ok(node.submit(&signed).map(Submitted::decoded))).await?;
    metrics.count_tx(result.is_ok());
    let submitted = result?;
    if params.wait == Some(true) {
        Ok(Json(receipt_by(&state, submitted, deadline).await?))
    } else {
        Ok(Json(submitted))
    }
}

/// `POST /v1/txs/batch`: many signed transactions, signatures checked in parallel, executed in
/// order → one entry per transaction. An entry that does not match the document (a gas limit out
/// of range, a float in a message, …) makes the whole batch a 400.
#[utoipa::path(post, path = "/v1/txs/batch", request_body = TransactionBatch, params(SubmitParams),
    responses((status = 200, body = Vec<BatchEntry>, description = "One entry per transaction, in order: its receipt (or `{tx_hash}`), or `{error}`."),
              BodyRefused, Internal))]
pub async fn submit_batch(
    State(state): State<AppState>,
    Query(params): Query<SubmitParams>,
    Json(TransactionBatch(signed)): Json<TransactionBatch>,
) -> Result<Json<Vec<BatchEntry>>, ApiError> {
    let deadline = Instant::now() + MAX_WAIT;
    if !(1..=MAX_BATCH).contains(&signed.len()) {
        return Err(ApiError::bad_request(format!(
            "a batch holds 1 to {MAX_BATCH} transactions, got {}",
            signed.len()
        )));
    }
    // A batch with an entry the document refuses is refused whole, before anything runs: only
    // what the signature and the state say is answered entry by entry.
    for (index, entry) in signed.iter().enumerate() {
        entry.check_form().map_err(|rejection| ApiError::from(rejection).in_batch(index))?;
    }
    let metrics = state.metrics.clone();
    let node = state.node.clone();
    let relay = if params.relay == Some(false) { Relay::Keep } else { Relay::Forward };
    // The receipts' client form is made here, on every core, not while writing the answer.
    let results = blocking(move || Ok(Submitted::decode_all(node.submit_batch_relayed(&signed, relay)))).await?;
    let mut entries: Vec<BatchEntry> = results
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
    if params.wait == Some(true) {
        for entry in &mut entries {
            if let BatchEntry::Ok(submitted @ Submitted::Pending { .. }) = entry {
                let pending = std::mem::replace(submitted, Submitted::Pending { tx_hash: Hash::ZERO });
                *submitted = receipt_by(&state, pending, deadline).await?;
            }
        }
    }
    Ok(Json(entries))
}

/// `GET /v1/txs/{hash}`: a committed transaction and its receipt.
#[utoipa::path(get, path = "/v1/txs/{hash}", operation_id = "get_transaction", params(("hash" = tidepool_node::openapi::Hash, Path, description = "The transaction's hash.", example = tidepool_node::openapi::examples::transaction_hash)),
    responses((status = 200, body = TxWithReceipt, description = "The transaction and its receipt."), Invalid, NotFound, Internal))]
pub async fn get(
    State(state): State<AppState>,
    _: NoQuery,
    Path(hash): Path<String>,
) -> Result<Json<TxWithReceipt>, ApiError> {
    let hash: Hash = parse("transaction hash", &hash)?;
    let (tx, receipt) = blocking(move || committed(&state, &hash)).await?;
    Ok(Json(TxWithReceipt { tx, receipt }))
}

/// The committed transaction `hash` and its receipt, or a 404 that says, on a node that has
/// pruned its history, from which height it still keeps transactions (a block below it still
/// lists the hashes of its transactions, but they are gone).
fn committed(state: &AppState, hash: &Hash) -> Result<(StoredTx, Receipt), ApiError> {
    if let Some(found) = state.node.transaction(hash)? {
        return Ok(found);
    }
    Err(ApiError::not_found(format!("no transaction {hash}{}", pruned_note(state)?)))
}

/// On a node that has pruned its history, what a transaction that is not found may be: one of a
/// pruned block. Empty on a node that has pruned nothing.
fn pruned_note(state: &AppState) -> Result<String, ApiError> {
    let oldest = state.node.view()?.state().oldest_complete_block().map_err(ApiError::internal)?;
    Ok(if oldest == 0 {
        String::new()
    } else {
        format!(
            " (this node keeps history from height {oldest}: the transactions of blocks below height {oldest} are \
             pruned, though the blocks still list their hashes)"
        )
    })
}

/// A committed transaction's call tree.
#[derive(Serialize, ToSchema)]
pub struct TxTrace {
    /// The transaction's hash.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub tx_hash: Hash,
    /// The block it is in.
    pub height: u64,
    /// The call tree; null for a transaction that called no contract (a native transfer, an
    /// upload).
    #[schema(required = true)]
    pub trace: Option<TraceFrame>,
}

/// `GET /v1/txs/{hash}/trace`: every frame of a committed transaction's call tree, with its
/// entry point, message, funds, return data, events, logs, gas and error.
#[utoipa::path(get, path = "/v1/txs/{hash}/trace", params(("hash" = tidepool_node::openapi::Hash, Path, description = "The transaction's hash.", example = tidepool_node::openapi::examples::transaction_hash)),
    responses((status = 200, body = TxTrace, description = "The call tree."), Invalid, NotFound, Internal))]
pub async fn trace(
    State(state): State<AppState>,
    _: NoQuery,
    Path(hash): Path<String>,
) -> Result<Json<TxTrace>, ApiError> {
    let hash: Hash = parse("transaction hash", &hash)?;
    let (_, receipt) = blocking(move || committed(&state, &hash)).await?;
    Ok(Json(TxTrace { tx_hash: hash, height: receipt.height, trace: receipt.trace }))
}

/// `POST /v1/txs/{hash}/replay`: re-executes a committed transaction on the state before it
/// (its parent block's state and the transactions before it in its block) and returns the
/// receipt, with its trace and state diff, and where it differs from the stored one.
#[utoipa::path(post, path = "/v1/txs/{hash}/replay", params(("hash" = tidepool_node::openapi::Hash, Path, description = "The transaction's hash.", example = tidepool_node::openapi::examples::transaction_hash)),
    responses((status = 200, body = Replay, description = "The replayed receipt and how it compares with the stored one."),
              Invalid, TimedOut, TooLarge, NotFound, Gone, Internal))]
pub async fn replay(
    State(state): State<AppState>,
    _: NoQuery,
    Path(hash): Path<String>,
    _: NoBody,
) -> Result<Json<Replay>, ApiError> {
    let hash: Hash = parse("transaction hash", &hash)?;
    Ok(Json(
        blocking(move || match state.node.replay(&hash) {
            Ok(replay) => Ok(replay),
            Err(error) => {
                let error = ApiError::from(error);
                if error.status() != StatusCode::NOT_FOUND {
                    return Err(error);
                }
                Err(error.noting(&pruned_note(&state)?))
            }
        })
        .await?,
    ))
}

/// `POST /v1/simulate`: run an unsigned transaction without committing → the receipt it would get.
#[utoipa::path(post, path = "/v1/simulate", request_body = Transaction,
    responses((status = 200, body = Receipt, description = "The receipt it would get."),
              BodyRefused, Unaffordable, NotFound, Conflict, Unprocessable, Internal))]
pub async fn simulate(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(tx)): Json<Object<Transaction>>,
) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.simulate(&tx)?)).await?))
}
