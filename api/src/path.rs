//! `Path`: axum's path extractor, but a parameter it cannot read is answered in the API's error
//! shape (a 400 `bad_request` naming the parameter) rather than axum's plain text. Every route
//! with a path parameter, the dashboard's `/assets/{file}` too, takes it from here.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::extract::Path`, with [`ApiError`] as its rejection (see [`ApiError`]'s
/// `From<PathRejection>`).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}
