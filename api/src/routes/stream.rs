//! `GET /v1/stream`: blocks, transactions and events as Server-Sent Events — history from
//! `from_height` (or after `Last-Event-ID`), then live; [`crate::stream`] does the work.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tidepool_ledger::Hash;
use tidepool_node::Node;
use utoipa::openapi::RefOr;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Query, address as parse_address};
use crate::negotiation::accepts;
use crate::openapi::statuses::{Gone, Internal, Invalid, NotFound};
use crate::stream::{BlockTag, Filter, Start, StreamClose, StreamId, Subscription, Topics};

/// `topics`: one to three of `blocks`, `txs`, `events`, comma-separated.
pub const TOPICS_PATTERN: &str = "^(blocks|txs|events)(,(blocks|txs|events))*$";

/// A message id: `h` (a block), `h:i` (its transaction `i`), `h:i:j` (that transaction's event
/// `j`), then `@` and the block's tag (the first 8 hex digits of its hash).
pub const ID_PATTERN: &str = "^[0-9]+(:[0-9]+){0,2}@[0-9a-f]{8}$";

/// A `Last-Event-ID`: an id as the stream writes it, or without its block tag (as ids were
/// written before tags).
pub const LAST_EVENT_ID_PATTERN: &str = "^[0-9]+(:[0-9]+){0,2}(@[0-9a-f]{8})?$";

/// What to stream. Unknown parameters are refused, like unknown body fields.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Which messages, comma-separated: `blocks`, `txs`, `events` (default: all three).
    #[param(pattern = "^(blocks|txs|events)(,(blocks|txs|events))*$", example = "blocks,txs,events")]
    pub topics: Option<String>,
    /// Only events of this contract, and only transactions addressed to it (execute, migrate,
    /// the contract an instantiate created, a transfer to it) or that emitted one of its events.
    /// Blocks are not filtered.
    #[param(value_type = Option<tidepool_node::openapi::Address>)]
    pub contract: Option<String>,
    /// Only events of this type, and only transactions that emitted an event of this type (of
    /// `contract`, when given; not empty: every event has one). Blocks are not filtered.
    #[serde(rename = "type")]
    #[param(min_length = 1)]
    pub ty: Option<String>,
    /// Start with block N: committed blocks from N are sent first, then new ones live. At most
    /// the latest height + 1, and not below the chain's first block (404); absent, the stream
    /// starts after the latest block (live only).
    pub from_height: Option<u64>,
    /// End after block N (inclusive) with a `close` message; absent, the stream does not end
    /// by itself. Below the start, the stream is only the `close` message.
    pub until_height: Option<u64>,
}

/// The request headers the stream reads: where to resume (an EventSource sends it by itself when
/// it reconnects), and whether the client takes the stream gzip-compressed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct StreamHeaders {
    /// With `gzip` (and no `q=0` for it), the stream is sent gzip-compressed
    /// (`Content-Encoding: gzip`), each chunk decodable as it arrives: ~6–9× fewer bytes. Browsers'
    /// EventSource and `fetch` ask for it by themselves. Otherwise it is sent as is.
    #[serde(rename = "Accept-Encoding")]
    #[param(example = "gzip, deflate, br", nullable = false)]
    pub accept_encoding: Option<String>,
    /// Resume right after the message with this id (an EventSource sends the last id it saw
    /// when it reconnects). Wins over `from_height`. If its block tag names a block this chain
    /// no longer holds at that height (a dev revert, reset or state load since), the stream is
    /// only a `close` with reason `reverted`, saying where to start again.
    #[serde(rename = "Last-Event-ID")]
    #[param(pattern = "^[0-9]+(:[0-9]+){0,2}(@[0-9a-f]{8})?$", example = "12:0:1@1a2b3c4d", nullable = false)]
    pub last_event_id: Option<String>,
}

/// One message of the stream, as an SSE client reads it: its `event` name, its `id` (absent on
/// `close`) and its `data`, a JSON document.
pub struct StreamMessage;

/// `data`: a string holding JSON of the schema `name`.
fn json_data(name: &str) -> ObjectBuilder {
    let content_schema =
        Extensions::from_iter([("contentSchema", json!({ "$ref": format!("#/components/schemas/{name}") }))]);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        .extensions(Some(content_schema))
        .description(Some(format!("A `{name}`, as JSON.")))
}

fn message(event: &str, id: &str, data: &str, description: &str) -> ObjectBuilder {
    let object = ObjectBuilder::new()
        .property("event", ObjectBuilder::new().schema_type(Type::String).enum_values(Some([event])))
        .required("event")
        .property("id", ObjectBuilder::new().schema_type(Type::String).pattern(Some(id)))
        .property("data", json_data(data))
        .required("data")
        .description(Some(description));
    // `close` has no id of its own.
    if event == "close" { object } else { object.required("id") }
}

impl PartialSchema for StreamMessage {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(message(
                "block",
                "^[0-9]+@[0-9a-f]{8}$",
                "Block",
                "A block, as `GET /v1/blocks/{height}` answers it; id `h@tag` (tag: the first 8 hex digits of its hash).",
            ))
            .item(message(
                "tx",
                "^[0-9]+:[0-9]+@[0-9a-f]{8}$",
                "TxWithReceipt",
                "A transaction and its receipt, as `GET /v1/txs/{hash}` answers it; id `h:i@tag`.",
            ))
            .item(message(
                "event",
                "^[0-9]+:[0-9]+:[0-9]+@[0-9a-f]{8}$",
                "EventView",
                "An event, as an entry of `GET /v1/events`; id `h:i:j@tag`.",
            ))
            .item(message(
                "close",
                ID_PATTERN,
                "StreamClose",
                "The last message: why the stream ended and the height to resume from. It has no id of its own \
                 (an SSE client keeps the last one it saw).",
            ))
            .description(Some("One Server-Sent Event of `GET /v1/stream`."))
            .into()
    }
}

impl ToSchema for StreamMessage {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        use crate::routes::blocks::{Block, EventView};
        use crate::routes::txs::TxWithReceipt;
        schemas.push((Block::name().into(), Block::schema()));
        Block::schemas(schemas);
        schemas.push((TxWithReceipt::name().into(), TxWithReceipt::schema()));
        TxWithReceipt::schemas(schemas);
        schemas.push((EventView::name().into(), EventView::schema()));
        EventView::schemas(schemas);
        schemas.push((StreamClose::name().into(), StreamClose::schema()));
        StreamClose::schemas(schemas);
    }
}

/// `GET /v1/stream?topics=&contract=&type=&from_height=&until_height=`: Server-Sent Events
/// (docs/api.md, "Live streams").
#[utoipa::path(get, path = "/v1/stream", params(StreamParams, StreamHeaders),
    responses(
        (status = 200, content_type = "text/event-stream", body = StreamMessage,
         description = "A Server-Sent Events stream, in chain order: for each block from the start, the `block` \
                        message, then each transaction (`tx`) followed by its events (`event`), as the filters \
                        select them. It ends with a `close` message (`until_height` reached, the client fell too \
                        far behind, a revert, the node shutting down), or when the client goes away. Idle, it \
                        sends an SSE comment every 15 s. gzip-compressed (`Content-Encoding: gzip`) when the \
                        request's `Accept-Encoding` takes gzip.",
         headers(("Content-Encoding" = String, description = "`gzip` when the request accepts it, else absent."),
                 ("Vary" = String, description = "`accept-encoding`."))),
        Invalid,
        NotFound,
        Gone,
        Internal))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<StreamParams>,
) -> Result<Response, ApiError> {
    let filter = filter(&params)?;
    let after = match headers.get("last-event-id") {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            Some(StreamId::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "invalid Last-Event-ID {value:?}: expected h, h:i or h:i:j, then @ and the block's 8-hex-digit \
                     tag, as the stream's ids are written"
                ))
            })?)
        }
    };
    // Subscribe before the view the start is read from: every block after that view then
    // reaches the subscription (see `Subscription::new`).
    let gzip = accepts(&headers, "gzip");
    let shared_chunks = (gzip && filter.by_topic_only()).then_some(filter.topics);
    let listener = state.feed.subscribe(filter.parts(), shared_chunks);
    let node = state.node.clone();
    let from_height = params.from_height;
    let start = blocking(move || start(&node, from_height, after)).await?;
    let body = Subscription::new(state.feed.clone(), listener, filter, start, params.until_height, gzip).into_body();
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            // Proxies that buffer answers (nginx) would hold the stream back.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
            (header::VARY, "accept-encoding"),
        ],
        body,
    )
        .into_response();
    if gzip {
        response.headers_mut().insert(header::CONTENT_ENCODING, header::HeaderValue::from_static("gzip"));
    }
    Ok(response)
}

/// The filter the parameters ask for.
fn filter(params: &StreamParams) -> Result<Filter, ApiError> {
    let mut filter = Filter { topics: Topics::ALL, contract: None, ty: super::event_type(params.ty.clone())? };
    if let Some(topics) = &params.topics {
        filter.topics = Topics { blocks: false, txs: false, events: false };
        for topic in topics.split(',') {
            match topic {
                "blocks" => filter.topics.blocks = true,
                "txs" => filter.topics.txs = true,
                "events" => filter.topics.events = true,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unknown topic {other:?} in topics {topics:?}: the topics are blocks, txs and events"
                    )));
                }
            }
        }
    }
    filter.contract = params.contract.as_deref().map(|c| parse_address("contract", c)).transpose()?;
    Ok(filter)
}

/// Where the stream starts, checked against one view: `after` (`Last-Event-ID`) wins over
/// `from_height`; neither means after the latest block.
fn start(node: &Node, from_height: Option<u64>, after: Option<StreamId>) -> Result<Start, ApiError> {
    let view = node.view()?;
    let latest = view.height();
    let next_block = latest.saturating_add(1);
    if let Some(StreamId { position, block: Some(tag) }) = after {
        let height = position.height();
        let replaced = node.replaced_from().filter(|&from| from <= height);
        // Above the latest height and nothing replaced below it: this node is behind (another
        // node behind the same address, say), not on another chain: the 404 below.
        let behind = height > latest && replaced.is_none();
        let held = height <= latest && view.block(height)?.is_some_and(|block| BlockTag::of(&block.hash()) == tag);
        if !held && !behind {
            // The client read another chain at that height. It must drop what it read from
            // where the chains part: the lowest height this node replaced since it started, else
            // (a restart, another chain behind this address) every block may differ. Never
            // below what the node can send: its first block, and the oldest it keeps whole.
            let first = node.first_height()?;
            let oldest = view.state().oldest_complete_block().map_err(ApiError::internal)?;
            let from = replaced.unwrap_or(first).max(first).max(oldest);
            return Ok(Start { next: from, parent: Hash::default(), after: None, replaced_from: Some(from) });
        }
    }
    let after = after.map(|id| id.position);
    let next = match (after, from_height) {
        (Some(after), _) if after.height() > latest => {
            return Err(ApiError::not_found(format!(
                "Last-Event-ID {after} names block {}, above the latest height {latest}",
                after.height()
            )));
        }
        (Some(after), _) => after.height(),
        (None, Some(from)) if from > next_block => {
            return Err(ApiError::not_found(format!(
                "from_height {from} is above the next block: the latest height is {latest}, so from_height is at \
                 most {next_block}"
            )));
        }
        (None, Some(from)) => from,
        (None, None) => next_block,
    };
    // Below the chain's first block (a state loaded at a later height) there never was a block:
    // a 404 on every node, before any word of pruning.
    let first = node.first_height()?;
    if next < first {
        return Err(ApiError::not_found(format!(
            "no block at height {next}: this chain begins at height {first} (a state loaded at a later height)"
        )));
    }
    let oldest = view.state().oldest_complete_block().map_err(ApiError::internal)?;
    if next < oldest {
        return Err(ApiError::new(
            StatusCode::GONE,
            "height_pruned",
            format!(
                "block {next} is pruned: this node keeps blocks whole (transactions, receipts, events) from height \
                 {oldest}; start there"
            ),
        ));
    }
    // The parent of the first block sent: the latest block's hash when the stream starts live,
    // else what that first block names (a chain loaded from a state file has no block below its
    // first one, whose parent hash is zero).
    let parent = if next > latest {
        view.header().hash()
    } else {
        let first = view.block(next)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "no block at height {next}: this chain begins above it (a state loaded at a later height)"
            ))
        })?;
        first.parent_hash
    };
    Ok(Start { next, parent, after, replaced_from: None })
}
