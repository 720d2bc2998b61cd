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

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "malformed_json" };
        // axum's rejection statuses are 4xx (400, 413, 415, 422); keep them but answer 400 for
        // the semantic ones so clients see one status for "your JSON is wrong".
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
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
