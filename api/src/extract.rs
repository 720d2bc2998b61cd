//! Extractors that answer bad input in the API's error shape instead of axum's plain text.

use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// `axum::Json`, but a malformed or oversized body becomes an [`ApiError`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A request body that must be a JSON object: `Json<Object<T>>`. serde also reads a struct from
/// an array (fields by position), which the document does not allow.
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        tidepool_node::tx::object::deserialize(deserializer).map(Object)
    }
}

/// A POST that takes no body. Whatever body a client sends anyway is read and dropped: left
/// unread, it could reach the node after the answer began, and the node's socket would then reset
/// the connection under a long answer (a state file, a replay). Too large a body is a 413.
pub struct NoBody;

impl<S: Send + Sync> FromRequest<S> for NoBody {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<NoBody, ApiError> {
        axum::body::Bytes::from_request(request, state).await?;
        Ok(NoBody)
    }
}

/// A route that takes no query parameters: a query string is refused as an unknown parameter
/// is on the routes that take some (a 400), rather than ignored, so that a parameter a client
/// expects to matter (a `?wait=true`, a `?height=`) never silently does not.
pub struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<NoQuery, ApiError> {
        match parts.uri.query() {
            None | Some("") => Ok(NoQuery),
            Some(query) => {
                let shown: String = query.chars().take(100).collect();
                Err(ApiError::bad_request(format!("this route takes no query parameters, and got {shown:?}")))
            }
        }
    }
}

/// `axum::extract::Query`, but a malformed query string becomes an [`ApiError`] (axum's own
/// rejection is plain text).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Parses an address from a path, query or body field: `0x` and 40 hex digits in any case, as
/// the document's `Address` schema says (no EIP-55 check; see `tidepool_ledger::Address`).
pub fn address(what: &str, raw: &str) -> Result<tidepool_ledger::Address, ApiError> {
    tidepool_ledger::Address::from_hex(raw).map_err(|e| ApiError::bad_request(format!("invalid {what} {raw:?}: {e}")))
}

/// Parses bytes written `0x` and hex digits (a storage key or value), with a message that
/// names the field.
pub fn hex_bytes(what: &str, raw: &str) -> Result<Vec<u8>, ApiError> {
    let digits = raw.strip_prefix("0x").ok_or_else(|| ApiError::bad_request(format!("{what} must be 0x hex")))?;
    hex::decode(digits).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

/// Parses a path or query segment (a hash, a height) with a message that names it.
pub fn parse<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e| ApiError::bad_request(format!("invalid {what} {raw:?}: {e}")))
}
