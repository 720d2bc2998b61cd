//! The OpenAPI document: built from the same route list the server serves
//! ([`crate::routes::routes()`]), so a route cannot be served undocumented, and a dev node's
//! document has the `/dev/*` controls where another node's has none. It is built once, when the
//! router is, and served at `/openapi.json`.
//!
//! The handlers' `#[utoipa::path]` annotations and the request/response types give the paths and
//! schemas; [`statuses`] the error answers; [`bounds`] writes out integer ranges and [`closed`]
//! closes objects to unknown members. docs/api.md says
//! what each status means and how `make test` checks that the server keeps to this document.

pub mod bounds;
pub mod closed;
pub mod examples;
pub mod json_params;
pub mod statuses;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tidepool_node::openapi as node;
use utoipa::OpenApi;

/// The document's fixed parts; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidepool",
        description = "WebAssembly smart-contract sandbox: signed transactions, contract queries, blocks, \
                       events, dev controls. Statuses and errors: docs/api.md."
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        node::Address,
        node::Hash,
        node::Amount,
        node::HexBytes,
        node::Signature,
        node::Label,
        node::JsonValue,
        node::AnyJson,
        tidepool_node::trace::TraceFrame,
        tidepool_node::diff::StateDiff,
    ))
)]
pub struct ApiDoc;

/// The document of the routes a node serves (with the `/dev/*` controls when `dev`), as JSON.
pub fn document(dev: bool) -> serde_json::Value {
    finish(crate::routes::routes(dev).into_openapi())
}

/// Turns the document the routes collected into the one served: integer ranges written out,
/// objects closed, messages in a URL marked as JSON.
fn finish(openapi: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(openapi).expect("an OpenAPI document serialises");
    bounds::bound_integers(&mut document);
    closed::close_objects(&mut document);
    json_params::json_in_query(&mut document);
    describe_nesting(&mut document);
    document
}

/// Adds to `JsonValue`'s description (the node's schema, which says it is recursive) the depth
/// the API reads: serde_json refuses a text nested deeper than
/// [`MAX_JSON_NESTING`](crate::error::MAX_JSON_NESTING) levels, counted in the whole body.
fn describe_nesting(document: &mut serde_json::Value) {
    let Some(description) = document.pointer_mut("/components/schemas/JsonValue/description") else {
        return;
    };
    let limit = crate::error::MAX_JSON_NESTING;
    let said = description.as_str().unwrap_or_default();
    *description = format!(
        "{said} At most {limit} levels of arrays and objects within one another, counted in the whole body (a \
         message inside a transaction has as many fewer as it is deep in the body); deeper is refused with \
         `malformed_json`."
    )
    .into();
}

/// The served document, serialised once; cloning it is cheap.
#[derive(Clone)]
pub struct Document(Bytes);

impl Document {
    /// Finishes and serialises the document the routes collected, with examples from `node`.
    pub fn new(openapi: utoipa::openapi::OpenApi, node: &tidepool_node::Node) -> Document {
        let mut document = finish(openapi);
        examples::with_node(&mut document, node);
        Document(Bytes::from(document.to_string()))
    }
}

impl IntoResponse for Document {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

#[cfg(test)]
mod tests;
