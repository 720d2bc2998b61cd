//! The API's one error shape, and the single place node errors become HTTP statuses.
//!
//! Every error response is `{ "error": { "code": "...", "message": "..." } }`. A client's fault is
//! a 4xx with a message it can act on; a host failure is a 500 whose details go to the log, not to
//! the client.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tidepool_node::NodeError;
use tidepool_node::error::{Rejection, RejectionKind};
use utoipa::ToSchema;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// A stable, machine-readable code, e.g. `bad_nonce`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    /// 400 with code `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500; the detail is logged, the client sees a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the node's log")
    }

    /// The same error about the batch entry at `index` (its message says which).
    pub fn in_batch(self, index: usize) -> ApiError {
        ApiError { message: format!("transaction {index} of the batch: {}", self.message), ..self }
    }

    /// The same error with `note` (which starts with its own separator) after its message.
    pub fn noting(self, note: &str) -> ApiError {
        ApiError { message: format!("{}{note}", self.message), ..self }
    }

    /// The body's detail (for batch answers, which carry one error per entry).
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail { code: self.code.to_string(), message: self.message.clone() }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_string(), message: self.message } };
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> ApiError {
        match error {
            NodeError::Rejected(rejection) => rejection.into(),
            NodeError::Host(host) => ApiError::internal(host),
        }
    }
}

/// A rejection's status is decided by its kind alone, so a new rejection cannot be answered with
/// a status its kind does not document. Unauthorized and not-found rejections share one code
/// each (`bad_signature`, `not_found`); the message says which.
impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        let (status, code) = match rejection.kind() {
            RejectionKind::Malformed => (StatusCode::BAD_REQUEST, rejection.code()),
            RejectionKind::Unauthorized => (StatusCode::UNAUTHORIZED, "bad_signature"),
            RejectionKind::Unaffordable => (StatusCode::PAYMENT_REQUIRED, rejection.code()),
            RejectionKind::Forbidden => (StatusCode::FORBIDDEN, rejection.code()),
            RejectionKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            RejectionKind::Gone => (StatusCode::GONE, rejection.code()),
            RejectionKind::Conflict => (StatusCode::CONFLICT, rejection.code()),
            RejectionKind::Unprocessable => (StatusCode::UNPROCESSABLE_ENTITY, rejection.code()),
        };
        ApiError::new(status, code, rejection.to_string())
    }
}

/// The 408 of a request whose body paused longer than the server waits
/// ([`crate::connections::ConnectionLimits::body_idle_timeout`]), if `error` is that.
fn body_timed_out(error: &(dyn std::error::Error + 'static)) -> Option<ApiError> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return Some(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request's body stopped arriving: the node waits at most 30 s for the next part of a body; \
                 send the whole body without pausing",
            ));
        }
        cause = error.source();
    }
    None
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        if let Some(timed_out) = body_timed_out(&rejection) {
            return timed_out;
        }
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "malformed_json" };
        // axum's rejection statuses are 4xx (400, 413, 415, 422); keep them but answer 400 for
        // the semantic ones so clients see one status for "your JSON is wrong".
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
        let text = rejection.body_text();
        // `1e400` is JSON, but serde_json reads no number past a double's range: refused as the
        // numbers no message holds are, wherever it is.
        if matches!(rejection, JsonRejection::JsonSyntaxError(_)) && text.contains(NUMBER_OUT_OF_RANGE) {
            let message = format!(
                "{text}: a number past the range of a 64-bit float (such as 1e400) is no number this API reads"
            );
            return ApiError::new(status, "unsupported_number", message);
        }
        ApiError::new(status, code, nesting_said_plainly(&text))
    }
}

/// The most levels of arrays and objects within one another that a JSON text may have:
/// serde_json's recursion limit (128) refuses the 128th.
pub const MAX_JSON_NESTING: usize = 127;

/// serde_json's message for a number past a double's range.
const NUMBER_OUT_OF_RANGE: &str = "number out of range";

/// serde_json's message for a text nested past its limit, said as the limit it is.
const RECURSION_LIMIT: &str = "recursion limit exceeded";

/// `text` (a serde_json message, or one that quotes it) with serde_json's "recursion limit
/// exceeded" said as what it means to a client.
fn nesting_said_plainly(text: &str) -> String {
    text.replace(
        RECURSION_LIMIT,
        &format!("nested deeper than {MAX_JSON_NESTING} levels (arrays and objects within one another)"),
    )
}

/// The refusal of a JSON text that serde_json does not read: `what` (`the request body`, `the
/// msg parameter`) with its reason. A number past a double's range (`1e400`) is JSON, only not a
/// number a message may hold: `unsupported_number`, as a fraction is. Anything else is
/// `malformed_json`, worded as axum words a body it cannot read.
pub fn unreadable_json(what: &str, text: &[u8], error: &serde_json::Error) -> ApiError {
    let reason = error.to_string();
    if reason.starts_with(NUMBER_OUT_OF_RANGE) {
        let number = number_at(text, error.line(), error.column())
            .map_or_else(|| format!("at line {} column {}", error.line(), error.column()), str::to_owned);
        return Rejection::UnsupportedNumber(format!("{number} (past the range of a 64-bit float)")).into();
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        format!("Failed to parse {what} as JSON: {}", nesting_said_plainly(&reason)),
    )
}

/// The number in `text` that ends at (or just before) `column` of `line` (serde_json's 1-based
/// place of an error, counted in bytes), if one is there.
fn number_at(text: &[u8], line: usize, column: usize) -> Option<&str> {
    let start_of_line =
        if line <= 1 { 0 } else { text.iter().enumerate().filter(|(_, byte)| **byte == b'\n').nth(line - 2)?.0 + 1 };
    let end = (start_of_line + column).min(text.len());
    let is_number = |byte: &u8| byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E');
    let tail = text[..end].iter().rev().take_while(|byte| !is_number(byte)).count().min(1);
    let end = end - tail;
    let start = text[..end].iter().rposition(|byte| !is_number(byte)).map_or(0, |at| at + 1);
    let number = std::str::from_utf8(&text[start..end]).ok()?;
    (!number.is_empty() && number.len() <= 100).then_some(number)
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        if let Some(timed_out) = body_timed_out(&rejection) {
            return timed_out;
        }
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "bad_request" };
        ApiError::new(status, code, rejection.body_text())
    }
}

/// A path parameter that cannot be read is the client's (a 400 naming the parameter); a route
/// whose parameters do not fit its extractor is ours (a 500).
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        use axum::extract::path::ErrorKind;
        let PathRejection::FailedToDeserializePathParams(failed) = &rejection else {
            return ApiError::internal(rejection.body_text());
        };
        match failed.kind() {
            ErrorKind::InvalidUtf8InPathParam { key } => ApiError::bad_request(format!(
                "the path parameter `{key}` is not UTF-8 once percent-decoded: percent-encode only \
                 the bytes of UTF-8 text (an address or hash is 0x and hex digits, a height is digits)"
            )),
            ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
                ApiError::bad_request(format!("invalid path parameter `{key}` {value:?}: expected {expected_type}"))
            }
            ErrorKind::DeserializeError { key, value, message } => {
                ApiError::bad_request(format!("invalid path parameter `{key}` {value:?}: {message}"))
            }
            ErrorKind::UnsupportedType { .. } | ErrorKind::WrongNumberOfParameters { .. } => {
                ApiError::internal(rejection.body_text())
            }
            _ => ApiError::bad_request(format!("invalid path parameter: {}", failed.kind())),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> (u16, &'static str, String) {
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let refused = unreadable_json("the request body", text.as_bytes(), &error);
        (refused.status.as_u16(), refused.code, refused.message)
    }

    #[test]
    fn a_number_past_a_doubles_range_is_an_unsupported_number_quoted_as_sent() {
        for (text, number) in [
            ("1e400", "1e400"),
            ("[1, 2, -1e400]", "-1e400"),
            ("{\"a\":\n  1E+999 }", "1E+999"),
            ("[1e400,2]", "1e400"),
        ] {
            let (status, code, message) = refusal(text);
            assert_eq!((status, code), (400, "unsupported_number"), "{text}: {message}");
            assert!(message.contains(&format!("number {number} (past")), "{text}: {message}");
        }
    }

    #[test]
    fn nesting_past_the_limit_is_said_as_the_limit() {
        let deep = "[".repeat(MAX_JSON_NESTING + 1) + &"]".repeat(MAX_JSON_NESTING + 1);
        let (status, code, message) = refusal(&deep);
        assert_eq!((status, code), (400, "malformed_json"));
        assert!(
            message.starts_with("Failed to parse the request body as JSON: nested deeper than 127 levels"),
            "{message}"
        );
        let deepest = "[".repeat(MAX_JSON_NESTING) + &"]".repeat(MAX_JSON_NESTING);
        assert!(serde_json::from_str::<serde_json::Value>(&deepest).is_ok(), "127 levels are read");
    }
}
