//! `/dev/*`: controls for a dev node (mounted only in dev mode): faucet, balances, storage,
//! time warp, mining, snapshot/revert, impersonation.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tidepool_ledger::Address;
use tidepool_node::error::Rejection;
use tidepool_node::{Submitted, Transaction};
use utoipa::ToSchema;

use super::blocks::Block;
use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, parse};

/// An address and an amount (decimal string, base units).
#[derive(Deserialize, ToSchema)]
pub struct AddressAmount {
    /// The address.
    pub address: String,
    /// Base units, decimal string.
    pub amount: String,
}

fn parse_amount(raw: &str) -> Result<u128, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request(format!("invalid amount {raw:?}: expected a decimal integer")))
}

/// `POST /dev/faucet {address, amount}`: adds native tokens.
#[utoipa::path(post, path = "/dev/faucet", request_body = AddressAmount, responses((status = 200, body = Block)))]
pub async fn faucet(State(state): State<AppState>, Json(req): Json<AddressAmount>) -> Result<Json<Block>, ApiError> {
    let address: Address = parse("address", &req.address)?;
    let amount = parse_amount(&req.amount)?;
    Ok(Json(blocking(move || Ok(state.node.faucet(&address, amount)?)).await?.into()))
}

/// `POST /dev/set_balance {address, amount}`: sets the native balance.
#[utoipa::path(post, path = "/dev/set_balance", request_body = AddressAmount, responses((status = 200, body = Block)))]
pub async fn set_balance(
    State(state): State<AppState>,
    Json(req): Json<AddressAmount>,
) -> Result<Json<Block>, ApiError> {
    let address: Address = parse("address", &req.address)?;
    let amount = parse_amount(&req.amount)?;
    Ok(Json(blocking(move || Ok(state.node.set_balance(&address, amount)?)).await?.into()))
}

/// A raw storage write.
#[derive(Deserialize, ToSchema)]
pub struct SetStorage {
    /// The contract.
    pub contract: String,
    /// The key, `0x` hex.
    pub key: String,
    /// The value, `0x` hex; null removes the key.
    pub value: Option<String>,
}

fn parse_hex(what: &str, raw: &str) -> Result<Vec<u8>, ApiError> {
    let digits = raw.strip_prefix("0x").ok_or_else(|| ApiError::bad_request(format!("{what} must be 0x hex")))?;
    hex::decode(digits).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

/// `POST /dev/set_storage {contract, key, value}`.
#[utoipa::path(post, path = "/dev/set_storage", request_body = SetStorage, responses((status = 200, body = Block)))]
pub async fn set_storage(State(state): State<AppState>, Json(req): Json<SetStorage>) -> Result<Json<Block>, ApiError> {
    let contract: Address = parse("contract", &req.contract)?;
    let key = parse_hex("key", &req.key)?;
    let value = req.value.as_deref().map(|v| parse_hex("value", v)).transpose()?;
    Ok(Json(blocking(move || Ok(state.node.set_storage(&contract, &key, value.as_deref())?)).await?.into()))
}

/// `POST /dev/warp {seconds}`.
#[derive(Deserialize, ToSchema)]
pub struct Warp {
    /// Seconds to move the clock forward.
    pub seconds: u64,
}

/// `POST /dev/warp {seconds}`: moves the clock forward and mines a block at the new time.
#[utoipa::path(post, path = "/dev/warp", request_body = Warp, responses((status = 200, body = Block)))]
pub async fn warp(State(state): State<AppState>, Json(req): Json<Warp>) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.warp(req.seconds)?)).await?.into()))
}

/// `POST /dev/mine {blocks}`.
#[derive(Deserialize, ToSchema)]
pub struct Mine {
    /// How many blocks (default 1, at most 10000).
    pub blocks: Option<u32>,
}

/// `POST /dev/mine {blocks}`: mines blocks (the first takes any pending transactions).
#[utoipa::path(post, path = "/dev/mine", request_body = Mine, responses((status = 200, body = Block)))]
pub async fn mine(State(state): State<AppState>, Json(req): Json<Mine>) -> Result<Json<Block>, ApiError> {
    let blocks = req.blocks.unwrap_or(1);
    if blocks > 10_000 {
        return Err(ApiError::bad_request("at most 10000 blocks at a time"));
    }
    Ok(Json(blocking(move || Ok(state.node.mine(blocks)?)).await?.into()))
}

/// A snapshot id.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SnapshotId {
    /// The id to revert to.
    pub id: u64,
}

/// `POST /dev/snapshot`: records the current state → `{id}`.
#[utoipa::path(post, path = "/dev/snapshot", responses((status = 200, body = SnapshotId)))]
pub async fn snapshot(State(state): State<AppState>) -> Result<Json<SnapshotId>, ApiError> {
    Ok(Json(SnapshotId { id: blocking(move || Ok(state.node.snapshot()?)).await? }))
}

/// `POST /dev/revert {id}`: returns to a snapshot (it and later ones are used up).
#[utoipa::path(post, path = "/dev/revert", request_body = SnapshotId, responses((status = 200, body = Block), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revert(State(state): State<AppState>, Json(req): Json<SnapshotId>) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.revert(req.id)?)).await?.into()))
}

/// `POST /dev/impersonate {tx}`: executes an unsigned transaction as its `from`.
#[utoipa::path(post, path = "/dev/impersonate", request_body = Transaction, responses((status = 200, body = Submitted, description = "the receipt")))]
pub async fn impersonate(
    State(state): State<AppState>,
    Json(tx): Json<Transaction>,
) -> Result<Json<Submitted>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.impersonate(tx)?)).await?))
}

/// Any `/dev/*` route on a node started without `--dev`: 403 `dev_mode_only`.
pub async fn disabled() -> ApiError {
    tidepool_node::NodeError::Rejected(Rejection::DevModeOnly).into()
}
