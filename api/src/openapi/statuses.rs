//! The error statuses an operation documents, one type per status, each with the meaning
//! docs/api.md ("Statuses and errors") gives it and the [`ErrorBody`](crate::error::ErrorBody)
//! schema. A handler's `#[utoipa::path(responses(...))]` lists exactly the ones it can answer.
//!
//! The split follows [`tidepool_node::error::RejectionKind`] (one status per kind, see
//! [`crate::error`]), plus what axum answers before a handler runs: 413 and 415 for a body, and
//! 400 for anything that does not match the document.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

fn error(status: u16, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let response = ResponseBuilder::new().description(description).content("application/json", content).build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

macro_rules! status {
    ($(#[$doc:meta])* $name:ident, $status:literal, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                error($status, $description)
            }
        }
    };
}

status!(
    /// 400: the request does not match the document.
    Invalid,
    400,
    "The request does not match this document: syntax, type, pattern, range, an unknown or a missing field."
);
status!(
    /// 401: the signature does not prove `from`.
    Unauthorized,
    401,
    "The signature does not prove that the transaction's `from` sent it (`bad_signature`)."
);
status!(
    /// 402: the sender cannot pay.
    Unaffordable,
    402,
    "The sender cannot pay what the transaction sends (`insufficient_funds`)."
);
status!(
    /// 404: a named thing does not exist.
    NotFound,
    404,
    "A contract, code, transaction, block, height or snapshot the request names does not exist, a \
     transaction is still pending (no receipt yet), or a price refresh finds no dev market (`not_found`)."
);
status!(
    /// 410: the state asked for is older than this node keeps.
    Gone,
    410,
    "The state, blocks or events at the height asked for are no longer kept: below the node's history \
     window (`--history-blocks`; `height_pruned`). The message names the oldest height kept."
);
status!(
    /// 409: the current state refuses the request.
    Conflict,
    409,
    "The current state refuses it: a nonce that is not next (`bad_nonce`), a block past height 2^53 − 1, \
     the last a chain makes (`height_out_of_range`), a balance that would overflow (`balance_overflow`), a block time past 9999-12-31 (`block_time_out_of_range`) or before \
     the latest block's (`block_time_before_latest`), a reset without the history back to genesis \
     (`history_pruned`), prices the oracle refuses (`price_refresh_failed`)."
);
status!(
    /// 408: the body stopped arriving.
    TimedOut,
    408,
    "The request's body stopped arriving: the node waits at most 30 s for the next part of a body \
     (`request_timeout`)."
);
status!(
    /// 413: the body is over the limit.
    TooLarge,
    413,
    "The body is larger than 8 MiB (`body_too_large`): its `Content-Length` says so on a request \
     that waits for `100 Continue` (refused before a byte of it is read), or it was read past the limit."
);
status!(
    /// 413: a state file over its limit.
    StateTooLarge,
    413,
    "The body is larger than 256 MiB (`body_too_large`): its `Content-Length` says so on a request \
     that waits for `100 Continue` (refused before a byte of it is read), or it was read past the limit."
);
status!(
    /// 415: the body is not JSON, or is encoded.
    NotJson,
    415,
    "The body is not sent as JSON: its `Content-Type` is not `application/json` or another \
     `application/*+json` type (`malformed_json`); or it has a `Content-Encoding` other than `identity`, \
     which the API does not decode (`unsupported_content_encoding`; the answer's `Accept-Encoding` \
     is `identity`)."
);
status!(
    /// 422: well formed, but its content cannot be processed.
    Unprocessable,
    422,
    "Well formed, but its content cannot be processed: another chain's transaction or state file \
     (`wrong_chain_id`), code that does not validate (`invalid_code`), a query the contract refuses \
     or a market token that cannot tell a balance (`query_failed`), a state file that cannot be loaded (`invalid_state_file`)."
);
status!(
    /// 500: the node failed.
    Internal,
    500,
    "The node itself failed (`internal`); the details are in its log, not in the answer."
);

/// 414: the URL is longer than the server reads. hyper answers it before the API sees the
/// request (so without an error body); only a route that takes a message in its URL documents it.
pub struct UriTooLong;

impl IntoResponses for UriTooLong {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let response = ResponseBuilder::new()
            .description(
                "The URL is longer than 65,534 bytes: the HTTP server refuses it before the API reads it, \
                 with an empty body. Send a long message as the body of the `POST` form.",
            )
            .build();
        BTreeMap::from([("414".to_owned(), RefOr::T(response))])
    }
}

/// 400, 408, 413 and 415: what any operation with a JSON body may answer before it reads the
/// body's meaning.
pub struct BodyRefused;

impl IntoResponses for BodyRefused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = Invalid::responses();
        responses.append(&mut TimedOut::responses());
        responses.append(&mut TooLarge::responses());
        responses.append(&mut NotJson::responses());
        responses
    }
}
