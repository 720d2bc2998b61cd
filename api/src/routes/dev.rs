//! `/dev/*`: controls for a dev node (mounted and documented only in dev mode): faucet,
//! balances, storage, code, time (warp, the next block's time), mining (on demand, and the mode),
//! snapshot/revert, impersonation. Reset and state files are in [`super::dev_state`].
//!
//! Every body refuses unknown fields, and every bound a handler checks is in the body's schema;
//! integers may be written as whole numbers with a fraction (`5.0`), as JSON Schema allows.

use std::time::Duration;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tidepool_ledger::Hash;
use tidepool_node::error::Rejection;
use tidepool_node::{MAX_BLOCK_TIME, Mining, MiningStatus, Submitted, Transaction, whole_number};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use super::blocks::Block;
use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, NoBody, NoQuery, Object, address as parse_address, hex_bytes};
use crate::openapi::statuses::{
    BodyRefused, Conflict, Gone, Internal, Invalid, NotFound, TimedOut, TooLarge, Unaffordable, Unprocessable,
};

/// Most blocks one `/dev/mine` mines.
pub const MAX_MINE_BLOCKS: u32 = 10_000;

/// The shortest interval of interval mining, milliseconds: a block every 10 ms is already more
/// than any client can follow.
pub const MIN_INTERVAL_MS: u64 = 10;

/// The longest interval of interval mining, milliseconds: a day (use manual mining to wait
/// longer).
pub const MAX_INTERVAL_MS: u64 = 86_400_000;

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
    _: NoQuery,
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
    _: NoQuery,
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

/// `POST /dev/set_storage {contract, key, value}`.
#[utoipa::path(post, path = "/dev/set_storage", request_body = SetStorage,
    responses((status = 200, body = Block, description = "The block that wrote it."), BodyRefused, NotFound, Conflict, Internal))]
pub async fn set_storage(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<SetStorage>>,
) -> Result<Json<Block>, ApiError> {
    let contract = parse_address("contract", &req.contract)?;
    let key = hex_bytes("key", &req.key)?;
    let value = req.value.as_deref().map(|v| hex_bytes("value", v)).transpose()?;
    Ok(Json(blocking(move || Ok(state.node.set_storage(&contract, &key, value.as_deref())?)).await?.into()))
}

/// `POST /dev/warp {seconds, refresh_prices}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Warp {
    /// Seconds to move the clock forward, at most [`MAX_BLOCK_TIME`] (a warp whose block time
    /// would pass it is refused with 409).
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(schema_with = warp_seconds)]
    pub seconds: u64,
    /// Publish the dev market oracle's prices again in the warp's block, stamped with the new
    /// time, so positions can still be valued (the pool refuses prices over an hour old): a
    /// transaction of the oracle's owner, impersonated. False when absent or null; 404 on a chain
    /// without the market.
    #[serde(default)]
    pub refresh_prices: Option<bool>,
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

/// `POST /dev/warp {seconds, refresh_prices}`: moves the clock forward and mines a block at the
/// new time, before any pending transactions (which then run at the new time).
#[utoipa::path(post, path = "/dev/warp", request_body = Warp,
    responses((status = 200, body = Block, description = "The block mined at the new time (with the price refresh, if asked)."),
              BodyRefused, NotFound, Conflict, Internal))]
pub async fn warp(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<Warp>>,
) -> Result<Json<Block>, ApiError> {
    if req.seconds > MAX_BLOCK_TIME {
        return Err(ApiError::bad_request(format!(
            "seconds {} is out of range: at most {MAX_BLOCK_TIME}",
            req.seconds
        )));
    }
    let refresh = req.refresh_prices.unwrap_or(false);
    Ok(Json(blocking(move || Ok(state.node.warp_with(req.seconds, refresh)?)).await?.into()))
}

/// `POST /dev/set_next_block_time {time}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetNextBlockTime {
    /// The next block's time, Unix seconds: not before the latest block's (409), at most
    /// [`MAX_BLOCK_TIME`].
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(schema_with = block_time)]
    pub time: u64,
}

fn block_time() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::UInt64)))
        .minimum(Some(0u64))
        .maximum(Some(MAX_BLOCK_TIME))
        .description(Some("Unix seconds, at most 9999-12-31T23:59:59Z."))
        .into()
}

/// The block the next one will be.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextBlock {
    /// Its height.
    pub height: u64,
    /// Its time, Unix seconds.
    #[schema(maximum = 253402300799u64)]
    pub time: u64,
}

/// `POST /dev/set_next_block_time {time}`: the next block gets exactly `time`; the clock goes
/// on from there. Pending transactions run again at it. Nothing is mined.
#[utoipa::path(post, path = "/dev/set_next_block_time", request_body = SetNextBlockTime,
    responses((status = 200, body = NextBlock, description = "The next block's height and time."), BodyRefused, Conflict, Internal))]
pub async fn set_next_block_time(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<SetNextBlockTime>>,
) -> Result<Json<NextBlock>, ApiError> {
    if req.time > MAX_BLOCK_TIME {
        return Err(ApiError::bad_request(format!("time {} is out of range: at most {MAX_BLOCK_TIME}", req.time)));
    }
    let next = blocking(move || Ok(state.node.set_next_block_time(req.time)?)).await?;
    Ok(Json(NextBlock { height: next.height, time: next.time }))
}

/// `POST /dev/set_code {contract, code_hash}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCode {
    /// The contract.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub contract: String,
    /// The uploaded code it runs from now on.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub code_hash: String,
}

/// `POST /dev/set_code {contract, code_hash}`: the contract runs other uploaded code from the next
/// call on, without `migrate` and whoever its admin is; its storage stays.
#[utoipa::path(post, path = "/dev/set_code", request_body = SetCode,
    responses((status = 200, body = Block, description = "The block that set it."), BodyRefused, NotFound, Conflict, Internal))]
pub async fn set_code(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<SetCode>>,
) -> Result<Json<Block>, ApiError> {
    let contract = parse_address("contract", &req.contract)?;
    let code_hash: Hash = crate::extract::parse("code hash", &req.code_hash)?;
    Ok(Json(blocking(move || Ok(state.node.set_code(&contract, &code_hash)?)).await?.into()))
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

/// `POST /dev/mine {blocks}`: mines blocks (the first takes any pending transactions; the others
/// are empty, at the same time).
#[utoipa::path(post, path = "/dev/mine", request_body = Mine,
    responses((status = 200, body = Block, description = "The last block mined."), BodyRefused, Conflict, Internal))]
pub async fn mine(
    State(state): State<AppState>,
    _: NoQuery,
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

/// How blocks are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MiningMode {
    /// A block per submission (or batch); the answer is the receipt.
    Auto,
    /// Transactions wait in the pending block until `/dev/mine` (or a switch to `auto`); the
    /// answer is `{tx_hash}`.
    Manual,
    /// Transactions wait in the pending block, mined every `interval_ms`; the answer is
    /// `{tx_hash}`.
    Interval,
}

/// `POST /dev/mining`'s body: `{"mode": "auto" | "manual"}` or `{"mode": "interval",
/// "interval_ms": n}` ([`MIN_INTERVAL_MS`] to [`MAX_INTERVAL_MS`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMining {
    /// The mode.
    pub mode: MiningMode,
    /// The interval, with `interval`; absent (or null) otherwise.
    #[serde(default, deserialize_with = "whole_number::deserialize_option")]
    pub interval_ms: Option<u64>,
}

impl SetMining {
    /// The node's mode, if the request names one.
    fn mode(&self) -> Result<Mining, ApiError> {
        match (self.mode, self.interval_ms) {
            (MiningMode::Auto, None) => Ok(Mining::Auto),
            (MiningMode::Manual, None) => Ok(Mining::Manual),
            (MiningMode::Interval, Some(ms @ MIN_INTERVAL_MS..=MAX_INTERVAL_MS)) => {
                Ok(Mining::Interval(Duration::from_millis(ms)))
            }
            (MiningMode::Interval, Some(ms)) => Err(ApiError::bad_request(format!(
                "interval_ms {ms} is out of range: {MIN_INTERVAL_MS} to {MAX_INTERVAL_MS}"
            ))),
            (MiningMode::Interval, None) => Err(ApiError::bad_request("mode interval needs interval_ms")),
            (_, Some(_)) => Err(ApiError::bad_request("interval_ms goes with mode interval only")),
        }
    }
}

impl PartialSchema for SetMining {
    fn schema() -> RefOr<Schema> {
        let mode =
            |modes: &[&str]| ObjectBuilder::new().schema_type(Type::String).enum_values(Some(modes.iter().copied()));
        let untimed = ObjectBuilder::new()
            .property("mode", mode(&["auto", "manual"]))
            .property("interval_ms", ObjectBuilder::new().schema_type(Type::Null))
            .required("mode");
        let interval_ms = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::UInt64)))
            .minimum(Some(MIN_INTERVAL_MS))
            .maximum(Some(MAX_INTERVAL_MS))
            .description(Some("Milliseconds between blocks."));
        let interval = ObjectBuilder::new()
            .property("mode", mode(&["interval"]))
            .property("interval_ms", interval_ms)
            .required("mode")
            .required("interval_ms");
        OneOfBuilder::new()
            .item(untimed.schema_type(Type::Object))
            .item(interval.schema_type(Type::Object))
            .description(Some(
                "`auto`: a block per submission; `manual`: transactions wait until /dev/mine; `interval`: a \
                 block every `interval_ms` milliseconds.",
            ))
            .examples([serde_json::json!({ "mode": "manual" })])
            .into()
    }
}

impl ToSchema for SetMining {}

/// The mining mode and what waits to be mined.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MiningState {
    /// How blocks are made now.
    pub mode: MiningMode,
    /// Milliseconds between blocks in interval mining; null otherwise.
    pub interval_ms: Option<u64>,
    /// The hashes of the transactions in the pending block, in order (none in automine).
    #[schema(value_type = Vec<tidepool_node::openapi::Hash>)]
    pub pending: Vec<Hash>,
}

impl From<MiningStatus> for MiningState {
    fn from(status: MiningStatus) -> MiningState {
        let (mode, interval_ms) = match status.mode {
            Mining::Auto => (MiningMode::Auto, None),
            Mining::Manual => (MiningMode::Manual, None),
            Mining::Interval(every) => {
                (MiningMode::Interval, Some(u64::try_from(every.as_millis()).unwrap_or(u64::MAX)))
            }
            // `Node::open` refuses a dev node in network mode, and only dev nodes serve /dev/*.
            Mining::Network => unreachable!("a network validator has no dev routes"),
        };
        MiningState { mode, interval_ms, pending: status.pending }
    }
}

/// `GET /dev/mining`: the mining mode and the pending transactions.
#[utoipa::path(get, path = "/dev/mining",
    responses((status = 200, body = MiningState, description = "The mode and the pending transactions."), Invalid, Internal))]
pub async fn mining(State(state): State<AppState>, _: NoQuery) -> Result<Json<MiningState>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.mining_status()?)).await?.into()))
}

/// `POST /dev/mining {mode, interval_ms}`: switches the mining mode. To `auto`, whatever is
/// pending is mined first; to `manual` or `interval`, it stays pending.
#[utoipa::path(post, path = "/dev/mining", request_body = SetMining,
    responses((status = 200, body = MiningState, description = "The mode now, and what is pending."), BodyRefused, Conflict, Internal))]
pub async fn set_mining(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<SetMining>>,
) -> Result<Json<MiningState>, ApiError> {
    let mode = req.mode()?;
    Ok(Json(blocking(move || Ok(state.node.set_mining(mode)?)).await?.into()))
}

/// A snapshot id.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotId {
    /// The id to revert to.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub id: u64,
}

/// `POST /dev/snapshot`: records the current state, clock and pending transactions → `{id}`.
#[utoipa::path(post, path = "/dev/snapshot",
    responses((status = 200, body = SnapshotId, description = "The snapshot's id."), Invalid, TimedOut, TooLarge, Internal))]
pub async fn snapshot(State(state): State<AppState>, _: NoQuery, _: NoBody) -> Result<Json<SnapshotId>, ApiError> {
    Ok(Json(SnapshotId { id: blocking(move || Ok(state.node.snapshot()?)).await? }))
}

/// `POST /dev/revert {id}`: returns to a snapshot, pending transactions included (it and later
/// ones are used up).
#[utoipa::path(post, path = "/dev/revert", request_body = SnapshotId,
    responses((status = 200, body = Block, description = "The block now latest."), BodyRefused, NotFound, Gone, Internal))]
pub async fn revert(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(req)): Json<Object<SnapshotId>>,
) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.revert(req.id)?)).await?.into()))
}

/// `POST /dev/impersonate {tx}`: executes an unsigned transaction as its `from`.
#[utoipa::path(post, path = "/dev/impersonate", request_body = Transaction,
    responses((status = 200, body = Submitted, description = "The receipt (automine), or `{tx_hash}` (manual and interval mining)."),
              BodyRefused, Unaffordable, NotFound, Conflict, Unprocessable, Internal))]
pub async fn impersonate(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(tx)): Json<Object<Transaction>>,
) -> Result<Json<Submitted>, ApiError> {
    let node = state.node.clone();
    let result = blocking(move || Ok(node.impersonate(tx).map(Submitted::decoded))).await?;
    state.metrics.count_tx(result.is_ok());
    Ok(Json(result?))
}

/// Any `/dev/*` route on a node started without `--dev`: 403 `dev_mode_only`, or
/// `network_node` on a network validator.
pub async fn disabled(State(state): State<AppState>) -> ApiError {
    match state.node.require_dev() {
        Err(error) => error.into(),
        Ok(()) => tidepool_node::NodeError::Rejected(Rejection::DevModeOnly).into(),
    }
}
