//! What the API checks of a request body before anything reads it, on every route that takes
//! one ([`crate::routes::routes`] puts a [`BodyGuardLayer`] on each `POST` route):
//!
//! - a declared `Content-Length` over the route's limit, on a request that waits for
//!   `100 Continue` (`Expect: 100-continue`), is a 413 at once: no byte of the body is read, and
//!   the client gets no `100 Continue` and need not send it. Any other body (one sent without
//!   waiting, or chunked) is read up to the limit and then refused, its 413 naming the limit too
//!   (the body reader's own message did not): closing the connection under a client that is still
//!   sending is a broken pipe in many clients, where a read body gets them the answer.
//! - on a route that reads its body, a `Content-Encoding` other than `identity` is a 415
//!   (RFC 9110 §8.4.1, §15.5.16): the API decodes no content coding, and read as it is, a
//!   compressed body was refused as "not JSON", and a body wrongly labelled as compressed was
//!   acted on. The answer's `Accept-Encoding: identity` says what it takes.
//! - on a route that reads its body, a `Content-Type` other than `application/json` or another
//!   `application/*+json` is a 415 (`malformed_json`) saying which it was.
//! - a `Content-Type` with white space before a `;` (`application/json ; charset=utf-8`, valid
//!   per RFC 9110 §8.3.1) or an empty parameter is rewritten without them, which the JSON reader
//!   (axum's, through the `mime` crate) otherwise refused with a 415.
//!
//! Only `POST` requests are looked at: no `GET` reads a body.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready as ready_future};
use tower::{Layer, Service};

use crate::error::ApiError;

/// The limit and checks of one route's body (see the module's documentation).
#[derive(Clone, Copy, Debug)]
pub struct BodyGuardLayer {
    /// The most bytes the route reads.
    limit: usize,
    /// Whether the route reads its body (a JSON body), and so refuses a content coding. A route
    /// that takes no body reads and drops whatever is sent, so a coding does not matter there.
    reads: bool,
}

impl BodyGuardLayer {
    /// A route that reads a JSON body of at most `limit` bytes.
    pub const fn json(limit: usize) -> BodyGuardLayer {
        BodyGuardLayer { limit, reads: true }
    }

    /// A route that takes no body, and drops one of at most `limit` bytes sent anyway.
    pub const fn dropped(limit: usize) -> BodyGuardLayer {
        BodyGuardLayer { limit, reads: false }
    }

    /// The 413 of a body over the limit, declared or read.
    pub fn too_large(&self, declared: Option<u64>) -> ApiError {
        let limit = limit_text(self.limit);
        let message = match declared {
            Some(length) => format!(
                "the body's Content-Length, {length} bytes, is over this route's limit of {limit}: send a smaller body"
            ),
            None => format!("the body is over this route's limit of {limit}: send a smaller body"),
        };
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", message)
    }

    /// What is wrong with `request`'s headers, if anything.
    fn refuse(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        if self.reads {
            let codings = headers.get_all(header::CONTENT_ENCODING).iter().flat_map(|value| {
                let text = value.to_str().unwrap_or("?");
                text.split(',').map(str::trim).filter(|coding| !coding.is_empty()).collect::<Vec<_>>()
            });
            let refused: Vec<&str> = codings.filter(|coding| !coding.eq_ignore_ascii_case("identity")).collect();
            if !refused.is_empty() {
                let message = format!(
                    "Content-Encoding: {} is not supported: the API reads no content coding; send the body \
                     uncompressed, without Content-Encoding (or with identity)",
                    refused.join(", ")
                );
                let mut response =
                    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_content_encoding", message)
                        .into_response();
                response.headers_mut().insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
                return Some(response);
            }
        }
        if self.reads && !headers.get(header::CONTENT_TYPE).is_some_and(is_json_media_type) {
            let sent = match headers.get(header::CONTENT_TYPE).map(HeaderValue::to_str) {
                None => "none".to_owned(),
                Some(Ok(text)) => format!("{:?}", text.chars().take(100).collect::<String>()),
                Some(Err(_)) => "one that is not text".to_owned(),
            };
            let message = format!(
                "Expected request with `Content-Type: application/json` (or another application/*+json type), \
                 and the Content-Type is {sent}"
            );
            return Some(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "malformed_json", message).into_response());
        }
        // Only a client waiting for `100 Continue` hears a refusal before it sends the body; one
        // that sends it anyway would see the connection closed under it (a broken pipe in many
        // clients, ureq and Python's requests among them), so its body is read up to the limit
        // and then refused, with the same message.
        let expects_continue = headers
            .get(header::EXPECT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("100-continue"));
        if !expects_continue {
            return None;
        }
        // hyper refuses a malformed or repeated Content-Length itself (a 400); one that does not
        // parse here is left to the body reader.
        let declared = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse::<u64>().ok()?;
        (declared > self.limit as u64).then(|| self.too_large(Some(declared)).into_response())
    }
}

/// Whether `value` names JSON as axum's `Json` reads it: the media type `application/json` or
/// another `application/*+json` (any case), with parameters or without; white space around a
/// `;` and empty parameters are allowed (RFC 9110 §8.3.1).
fn is_json_media_type(value: &HeaderValue) -> bool {
    let Ok(text) = value.to_str() else { return false };
    let mut parts = text.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let Some((kind, subtype)) = essence.split_once('/') else { return false };
    let is_token = |token: &str| {
        !token.is_empty()
            && token.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
    };
    // Compared without case and without a lowercased copy: this runs on every POST.
    let json_subtype = |subtype: &[u8]| {
        subtype.eq_ignore_ascii_case(b"json")
            || subtype.len() >= 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case(b"+json")
    };
    is_token(kind)
        && is_token(subtype)
        && kind.eq_ignore_ascii_case("application")
        && json_subtype(subtype.as_bytes())
        && parts
            .filter(|part| !part.is_empty())
            .all(|part| part.split_once('=').is_some_and(|(name, _)| is_token(name.trim())))
}

/// `limit` bytes for a reader: MiB when whole, and the exact count.
fn limit_text(limit: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if limit.is_multiple_of(MIB) { format!("{} MiB ({limit} bytes)", limit / MIB) } else { format!("{limit} bytes") }
}

/// `value` without white space around a `;` and without empty parameters, or `None` when it
/// has neither.
fn normalized_content_type(value: &HeaderValue) -> Option<HeaderValue> {
    let text = value.to_str().ok()?;
    let parts: Vec<&str> = text.split(';').map(str::trim).filter(|part| !part.is_empty()).collect();
    let normal = parts.join("; ");
    let loose = text.split(';').any(|part| part.trim().is_empty() || part.ends_with([' ', '\t']));
    if !loose || normal == text {
        return None;
    }
    HeaderValue::try_from(normal).ok()
}

impl<S> Layer<S> for BodyGuardLayer {
    type Service = BodyGuard<S>;

    fn layer(&self, inner: S) -> BodyGuard<S> {
        BodyGuard { inner, guard: *self }
    }
}

/// The service of a [`BodyGuardLayer`].
#[derive(Clone, Debug)]
pub struct BodyGuard<S> {
    inner: S,
    guard: BodyGuardLayer,
}

impl<S> Service<Request> for BodyGuard<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Either<S::Future, NameTheLimit<S::Future>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if request.method() != Method::POST {
            return Either::Right(Either::Left(self.inner.call(request)));
        }
        if let Some(refusal) = self.guard.refuse(&request) {
            return Either::Left(ready_future(Ok(refusal)));
        }
        if let Some(normal) = request.headers().get(header::CONTENT_TYPE).and_then(normalized_content_type) {
            request.headers_mut().insert(header::CONTENT_TYPE, normal);
        }
        Either::Right(Either::Right(NameTheLimit { inner: self.inner.call(request), guard: self.guard }))
    }
}

/// A `POST`'s answer, its 413 (a body read past the limit) replaced by one naming the limit.
pub struct NameTheLimit<F> {
    inner: F,
    guard: BodyGuardLayer,
}

impl<F: Future<Output = Result<Response, Infallible>> + Unpin> Future for NameTheLimit<F> {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = ready!(Pin::new(&mut self.inner).poll(cx))?;
        if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Poll::Ready(Ok(self.guard.too_large(None).into_response()));
        }
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_lose_the_space_before_a_semicolon_and_empty_parameters() {
        let normal = |text: &str| normalized_content_type(&HeaderValue::from_str(text).unwrap());
        assert_eq!(normal("application/json ; charset=utf-8").unwrap(), "application/json; charset=utf-8");
        assert_eq!(normal("application/json\t;charset=utf-8 ;").unwrap(), "application/json; charset=utf-8");
        assert_eq!(normal("application/json;;charset=utf-8").unwrap(), "application/json; charset=utf-8");
        assert_eq!(normal("application/json"), None);
        assert_eq!(normal("application/json;charset=utf-8"), None);
        assert_eq!(normal("application/json; charset=utf-8"), None);
    }

    #[test]
    fn json_media_types_are_application_json_and_the_json_suffix() {
        let json = |text: &str| is_json_media_type(&HeaderValue::from_str(text).unwrap());
        for text in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json ; charset=\"utf-8\"",
            "application/json;;",
            "application/vnd.example+json",
            "application/problem+JSON; q=1",
        ] {
            assert!(json(text), "{text}");
        }
        for text in [
            "",
            "text/json",
            "json",
            "application/jsonx",
            "application/",
            "/json",
            "application/json; charset",
            "application/x+json+xml",
        ] {
            assert!(!json(text), "{text}");
        }
    }

    #[test]
    fn limits_are_named_in_mib_and_bytes() {
        assert_eq!(limit_text(8 * 1024 * 1024), "8 MiB (8388608 bytes)");
        assert_eq!(limit_text(256 * 1024 * 1024), "256 MiB (268435456 bytes)");
        assert_eq!(limit_text(1000), "1000 bytes");
    }
}
