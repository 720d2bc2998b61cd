//! Blocks and events.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, BlockHeader, EventFilter, EventPosition, Hash};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, blocking, page_limit};
use crate::error::ApiError;
use crate::extract::{Json, NoQuery, Query, address as parse_address, parse};
use crate::openapi::statuses::{Gone, Internal, Invalid, NotFound};
use crate::path::Path;
use crate::stream::Position;

/// A block header, as the API shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Block {
    /// Height (genesis is 0).
    pub height: u64,
    /// The header's hash.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub hash: Hash,
    /// The parent's hash.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub parent_hash: Hash,
    /// Block time, Unix seconds, at most 253402300799 (9999-12-31T23:59:59Z).
    #[schema(maximum = 253402300799u64)]
    pub time: u64,
    /// The state root after this block.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub state_root: Hash,
    /// The block's transactions.
    #[schema(value_type = Vec<tidepool_node::openapi::Hash>)]
    pub tx_hashes: Vec<Hash>,
    /// The commit certificate that decided it, on a network (null for genesis and on a single
    /// node; `GET /v1/blocks/{height}` and `/latest` fill it, streams leave it null).
    pub certificate: Option<tidepool_node::BlockCertificate>,
}

impl From<BlockHeader> for Block {
    fn from(h: BlockHeader) -> Block {
        Block {
            height: h.height,
            hash: h.hash(),
            parent_hash: h.parent_hash,
            time: h.time,
            state_root: h.state_root,
            tx_hashes: h.tx_hashes,
            certificate: None,
        }
    }
}

/// `GET /v1/blocks/latest`.
#[utoipa::path(get, path = "/v1/blocks/latest", responses((status = 200, body = Block, description = "The latest block."), Invalid, Internal))]
pub async fn latest(State(state): State<AppState>, _: NoQuery) -> Result<Json<Block>, ApiError> {
    let block = blocking(move || {
        let header = state.node.latest_block()?;
        let certificate = state.node.block_certificate(header.height)?;
        Ok(Block { certificate, ..Block::from(header) })
    })
    .await?;
    Ok(Json(block))
}

/// `GET /v1/blocks/{height}`.
#[utoipa::path(get, path = "/v1/blocks/{height}", params(("height" = u64, Path, description = "The block's height (genesis is 0).")),
    responses((status = 200, body = Block, description = "The block."), Invalid, NotFound, Internal))]
pub async fn by_height(
    State(state): State<AppState>,
    _: NoQuery,
    Path(height): Path<String>,
) -> Result<Json<Block>, ApiError> {
    let height: u64 = parse("height", &height)?;
    let block = blocking(move || {
        let Some(header) = state.node.view()?.block(height)? else { return Ok(None) };
        let certificate = state.node.block_certificate(height)?;
        Ok(Some(Block { certificate, ..Block::from(header) }))
    })
    .await?;
    Ok(Json(block.ok_or_else(|| ApiError::not_found(format!("no block at height {height}")))?))
}

/// Which events to list. Unknown parameters are refused, like unknown body fields.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Only events of this contract.
    #[param(value_type = Option<tidepool_node::openapi::Address>)]
    pub contract: Option<String>,
    /// Only events of this type (not empty: every event has one).
    #[serde(rename = "type")]
    #[param(min_length = 1)]
    pub ty: Option<String>,
    /// From this height (inclusive). Below the oldest block whose events the node keeps
    /// (`--history-blocks`): 410. Without it, the list starts at the oldest events kept.
    pub from: Option<u64>,
    /// Up to this height (inclusive).
    pub to: Option<u64>,
    /// `asc`: oldest first (the default); `desc`: newest first.
    #[param(pattern = "^(asc|desc)$", example = "desc")]
    pub order: Option<String>,
    /// Only events after this one in the page's order, `height:tx_index:event_index`
    /// (decimal): the last page's `next`, to read the page after it.
    #[param(pattern = "^[0-9]+:[0-9]+:[0-9]+$", example = "12:0:1")]
    pub after: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
}

/// Reads `order`: whether newest first.
fn newest_first(order: Option<&str>) -> Result<bool, ApiError> {
    match order {
        None | Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!("order {other:?} is not asc or desc"))),
    }
}

/// Reads an event's place, `height:tx_index:event_index`: the id the stream gives the event
/// ([`Position`]). A number too large for its field stands for the largest, so every text the
/// pattern allows is a place: past every event, or before none.
fn event_position(text: &str) -> Result<EventPosition, ApiError> {
    Position::parse(text).and_then(|position| position.event_position()).ok_or_else(|| {
        ApiError::bad_request(format!("after {text:?} is not an event's place: expected height:tx:event"))
    })
}

/// An event with where it happened.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// Block height.
    pub height: u64,
    /// Transaction hash.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub tx_hash: Hash,
    /// Index of the transaction in the block.
    pub tx_index: u32,
    /// Index of the event in the transaction.
    pub event_index: u32,
    /// The emitting contract.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub contract: Address,
    /// Event type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Event data: JSON if it parses, else `0x` hex; null when empty.
    #[schema(value_type = tidepool_node::openapi::AnyJson)]
    pub data: serde_json::Value,
}

/// A page of events, read at one height.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// The height the events were read at: `to` is capped at it.
    pub height: u64,
    /// The events, oldest first (newest first with `order=desc`).
    pub events: Vec<EventView>,
    /// When the page is full: its last event's place, to pass as `after` (with the same
    /// filters) for the next page, which may be empty. Null when the page holds every event
    /// left.
    #[schema(required = true, example = "12:0:1")]
    pub next: Option<String>,
}

/// `GET /v1/events?contract=&type=&from=&to=&order=&after=&limit=`.
#[utoipa::path(get, path = "/v1/events", params(EventParams), responses((status = 200, body = EventPage, description = "Events, oldest first (or newest first), at one height."), Invalid, Gone, Internal))]
pub async fn events(
    State(state): State<AppState>,
    Query(params): Query<EventParams>,
) -> Result<Json<EventPage>, ApiError> {
    let contract = params.contract.as_deref().map(|c| parse_address("contract", c)).transpose()?;
    let limit = page_limit(params.limit)?;
    let filter = EventFilter {
        contract,
        ty: super::event_type(params.ty)?,
        from_height: params.from,
        to_height: params.to,
        newest_first: newest_first(params.order.as_deref())?,
        after: params.after.as_deref().map(event_position).transpose()?,
        limit,
    };
    let (height, records) = blocking(move || {
        let view = state.node.view()?;
        // Events go with their blocks: below the oldest block kept whole there are none to
        // list, and an empty page would read as "no events" where they are only forgotten.
        if let Some(from) = filter.from_height {
            let oldest = view.state().oldest_complete_block().map_err(ApiError::internal)?;
            if from < oldest {
                return Err(ApiError::new(
                    StatusCode::GONE,
                    "height_pruned",
                    format!(
                        "events from height {from} are pruned: this node keeps blocks whole (transactions, receipts, \
                         events) from height {oldest}; ask from {oldest}, or leave out from to start at the oldest kept"
                    ),
                ));
            }
        }
        Ok((view.height(), view.events(&filter)?))
    })
    .await?;
    let next = match records.last() {
        Some(last) if records.len() == limit => {
            Some(Position::event(last.height, last.tx_index, last.event_index).to_string())
        }
        _ => None,
    };
    Ok(Json(EventPage {
        height,
        next,
        events: records
            .into_iter()
            .map(|r| EventView {
                height: r.height,
                tx_hash: r.tx_hash,
                tx_index: r.tx_index,
                event_index: r.event_index,
                contract: r.event.contract,
                ty: r.event.ty,
                data: tidepool_node::receipt::json_or_hex(&r.event.data),
            })
            .collect(),
    }))
}
