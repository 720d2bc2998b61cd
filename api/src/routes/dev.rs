//! `/dev/*`: controls for a dev node (mounted and documented only in dev mode): faucet,
//! balances, storage, time warp, mining, snapshot/revert, impersonation.
//!
//! Every body refuses unknown fields, and every bound a handler checks is in the body's schema;
//! integers may be written as whole numbers with a fraction (`5.0`), as JSON Schema allows.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tidepool_node::error::Rejection;
use tidepool_node::{MAX_BLOCK_TIME, Submitted, Transaction, whole_number};
use utoipa::ToSchema;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

use super::blocks::Block;
use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, Object, address as parse_address};
use crate::openapi::statuses::{BodyRefused, Conflict, Internal, NotFound, Unaffordable, Unprocessable};

/// Most blocks one `/dev/mine` mines.
pub const MAX_MINE_BLOCKS: u32 = 10_000;

/// An address and an amount (decimal string, base units).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressAmount {
    /// The address.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub address: String,
    /// Base units, decimal string.
    #[schema(value_type = tidepool_node::openapi::Amount)]
    pub amount: String,
}

fn parse_amount(raw: &str) -> Result<u128, ApiError> {
    tidepool_node::tx::decimal::parse(raw).map_err(|e| ApiError::bad_request(format!("invalid amount: {e}")))
}

/// `POST /dev/faucet {address, amount}`: adds native tokens.
#[utoipa::path(post, path = "/dev/faucet", request_body = AddressAmount,
    responses((status = 200, body = Block, description = "The block that added them."), BodyRefused, Conflict, Internal))]
pub async fn faucet(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<AddressAmount>>,
) -> Result<Json<Block>, ApiError> {
    let address = parse_address("address", &req.address)?;
    let amount = parse_amount(&req.amount)?;
    Ok(Json(blocking(move || Ok(state.node.faucet(&address, amount)?)).await?.into()))
}

/// `POST /dev/set_balance {address, amount}`: sets the native balance.
#[utoipa::path(post, path = "/dev/set_balance", request_body = AddressAmount,
    responses((status = 200, body = Block, description = "The block that set it."), BodyRefused, Conflict, Internal))]
pub async fn set_balance(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<AddressAmount>>,
) -> Result<Json<Block>, ApiError> {
    let address = parse_address("address", &req.address)?;
    let amount = parse_amount(&req.amount)?;
    Ok(Json(blocking(move || Ok(state.node.set_balance(&address, amount)?)).await?.into()))
}

/// A raw storage write.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStorage {
    /// The contract.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub contract: String,
    /// The key, `0x` hex.
    #[schema(value_type = tidepool_node::openapi::HexBytes)]
    pub key: String,
    /// The value, `0x` hex; null or absent removes the key.
    #[schema(value_type = Option<tidepool_node::openapi::HexBytes>)]
    pub value: Option<String>,
}

fn parse_hex(what: &str, raw: &str) -> Result<Vec<u8>, ApiError> {
    let digits = raw.strip_prefix("0x").ok_or_else(|| ApiError::bad_request(format!("{what} must be 0x hex")))?;
    hex::decode(digits).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

/// `POST /dev/set_storage {contract, key, value}`.
#[utoipa::path(post, path = "/dev/set_storage", request_body = SetStorage,
    responses((status = 200, body = Block, description = "The block that wrote it."), BodyRefused, NotFound, Conflict, Internal))]
pub async fn set_storage(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<SetStorage>>,
) -> Result<Json<Block>, ApiError> {
    let contract = parse_address("contract", &req.contract)?;
    let key = parse_hex("key", &req.key)?;
    let value = req.value.as_deref().map(|v| parse_hex("value", v)).transpose()?;
    Ok(Json(blocking(move || Ok(state.node.set_storage(&contract, &key, value.as_deref())?)).await?.into()))
}

/// `POST /dev/warp {seconds}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Warp {
    /// Seconds to move the clock forward, at most [`MAX_BLOCK_TIME`] (a warp whose block time
    /// would pass it is refused with 409).
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(schema_with = warp_seconds)]
    pub seconds: u64,
}

fn warp_seconds() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::UInt64)))
        .minimum(Some(0u64))
        .maximum(Some(MAX_BLOCK_TIME))
        .description(Some(
            "Seconds to move the clock forward; the new block time must stay at most 9999-12-31T23:59:59Z.",
        ))
        .into()
}

/// `POST /dev/warp {seconds}`: moves the clock forward and mines a block at the new time.
#[utoipa::path(post, path = "/dev/warp", request_body = Warp,
    responses((status = 200, body = Block, description = "The block mined at the new time."), BodyRefused, Conflict, Internal))]
pub async fn warp(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<Warp>>,
) -> Result<Json<Block>, ApiError> {
    if req.seconds > MAX_BLOCK_TIME {
        return Err(ApiError::bad_request(format!(
            "seconds {} is out of range: at most {MAX_BLOCK_TIME}",
            req.seconds
        )));
    }
    Ok(Json(blocking(move || Ok(state.node.warp(req.seconds)?)).await?.into()))
}

/// `POST /dev/mine {blocks}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mine {
    /// How many blocks: 1 to [`MAX_MINE_BLOCKS`]; 1 when absent or null.
    #[serde(default, deserialize_with = "whole_number::deserialize_option")]
    #[schema(schema_with = mine_blocks)]
    pub blocks: Option<u32>,
}

fn mine_blocks() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::UInt32)))
        .minimum(Some(1u32))
        .maximum(Some(MAX_MINE_BLOCKS))
        .description(Some("How many blocks to mine; 1 when absent or null."))
        .into()
}

/// `POST /dev/mine {blocks}`: mines blocks (the first takes any pending transactions).
#[utoipa::path(post, path = "/dev/mine", request_body = Mine,
    responses((status = 200, body = Block, description = "The last block mined."), BodyRefused, Conflict, Internal))]
pub async fn mine(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<Mine>>,
) -> Result<Json<Block>, ApiError> {
    let blocks = req.blocks.unwrap_or(1);
    if !(1..=MAX_MINE_BLOCKS).contains(&blocks) {
        return Err(ApiError::bad_request(format!(
            "blocks {blocks} is out of range: 1 to {MAX_MINE_BLOCKS} at a time"
        )));
    }
    Ok(Json(blocking(move || Ok(state.node.mine(blocks)?)).await?.into()))
}

/// A snapshot id.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotId {
    /// The id to revert to.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub id: u64,
}

/// `POST /dev/snapshot`: records the current state → `{id}`.
#[utoipa::path(post, path = "/dev/snapshot",
    responses((status = 200, body = SnapshotId, description = "The snapshot's id."), Conflict, Internal))]
pub async fn snapshot(State(state): State<AppState>) -> Result<Json<SnapshotId>, ApiError> {
    Ok(Json(SnapshotId { id: blocking(move || Ok(state.node.snapshot()?)).await? }))
}

/// `POST /dev/revert {id}`: returns to a snapshot (it and later ones are used up).
#[utoipa::path(post, path = "/dev/revert", request_body = SnapshotId,
    responses((status = 200, body = Block, description = "The block now latest."), BodyRefused, NotFound, Internal))]
pub async fn revert(
    State(state): State<AppState>,
    Json(Object(req)): Json<Object<SnapshotId>>,
) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.revert(req.id)?)).await?.into()))
}

/// `POST /dev/impersonate {tx}`: executes an unsigned transaction as its `from`.
#[utoipa::path(post, path = "/dev/impersonate", request_body = Transaction,
    responses((status = 200, body = Submitted, description = "The receipt (or `{tx_hash}` in interval mode)."),
              BodyRefused, Unaffordable, NotFound, Conflict, Unprocessable, Internal))]
pub async fn impersonate(
    State(state): State<AppState>,
    Json(Object(tx)): Json<Object<Transaction>>,
) -> Result<Json<Submitted>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.impersonate(tx)?)).await?))
}

/// Any `/dev/*` route on a node started without `--dev`: 403 `dev_mode_only`.
pub async fn disabled() -> ApiError {
    tidepool_node::NodeError::Rejected(Rejection::DevModeOnly).into()
}
