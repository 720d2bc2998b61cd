//! Cross-origin requests (CORS), so that a dApp served from another origin — a Vite dev server on
//! another port, say — can call the API from a browser, as anvil allows.
//!
//! Who may: any origin on a dev node; only the origins given with `tidepool node --allow-origin`
//! when there are some (which also turns CORS on for a node without `--dev`); nobody otherwise
//! ([`Cors::for_node`]). The headers themselves come from tower-http's [`CorsLayer`].
//!
//! Only requests that are cross-origin requests go through it: a request with an `Origin` header,
//! and for `OPTIONS` a preflight (with `Access-Control-Request-Method`). Everything else reaches
//! the router untouched, so an `OPTIONS` that is not a preflight still gets the router's 405 with
//! `Allow`, as the OpenAPI document says. A preflight from an origin that is not allowed is
//! answered without `Access-Control-Allow-Origin`, which the browser takes as a refusal.

use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, Request, Response, header};
use futures_util::future::Either;
use tower::{Layer, Service};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight's answer: a day, the longest Firefox honours
/// (Chromium caps it at two hours anyway).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Which cross-origin callers the node answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cors {
    /// Any origin (a dev node without `--allow-origin`).
    AnyOrigin,
    /// Exactly these origins (`--allow-origin`, repeatable).
    Origins(Vec<HeaderValue>),
}

/// An `--allow-origin` value that cannot be an origin.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an origin: write scheme://host[:port], e.g. http://localhost:5173")]
pub struct InvalidOrigin(pub String);

impl Cors {
    /// The policy of a node: `allowed` when it names origins, else any origin on a dev node,
    /// else none (`None`: no CORS headers at all, as before CORS existed).
    ///
    /// # Errors
    /// [`InvalidOrigin`] for a value that is not `scheme://host[:port]` (no path, no trailing
    /// slash: browsers send the origin exactly so, and it is compared byte for byte), or `*`.
    pub fn for_node(dev: bool, allowed: &[String]) -> Result<Option<Cors>, InvalidOrigin> {
        if allowed.is_empty() {
            return Ok(dev.then_some(Cors::AnyOrigin));
        }
        if allowed.iter().any(|origin| origin == "*") {
            return Ok(Some(Cors::AnyOrigin));
        }
        let origins = allowed.iter().map(|origin| parse_origin(origin)).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Cors::Origins(origins)))
    }

    /// tower-http's layer for this policy: `GET` and `POST`, any request header, and
    /// `x-request-id` readable by the page.
    pub fn layer(&self) -> CorsLayer {
        let origin = match self {
            Cors::AnyOrigin => AllowOrigin::any(),
            Cors::Origins(origins) => AllowOrigin::list(origins.iter().cloned()),
        };
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(PREFLIGHT_MAX_AGE)
    }
}

fn parse_origin(origin: &str) -> Result<HeaderValue, InvalidOrigin> {
    let invalid = || InvalidOrigin(origin.to_owned());
    let (scheme, rest) = origin.split_once("://").ok_or_else(invalid)?;
    let scheme_ok = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let host_ok = !rest.is_empty() && !rest.contains(['/', '?', '#', '@', ' ']);
    if !scheme_ok || !host_ok {
        return Err(invalid());
    }
    HeaderValue::from_str(origin).map_err(|_| invalid())
}

/// Sends cross-origin requests through tower-http's CORS service ([`Cors::layer`]) and every
/// other request straight to the router, without allocating per request (a `from_fn`
/// middleware boxed the rest of the stack for every request, cross-origin or not).
#[derive(Clone)]
pub struct CrossOriginLayer(CorsLayer);

impl CrossOriginLayer {
    /// The layer for `cors`.
    pub fn new(cors: &Cors) -> CrossOriginLayer {
        CrossOriginLayer(cors.layer())
    }
}

impl<S: Clone> Layer<S> for CrossOriginLayer {
    type Service = CrossOrigin<S>;

    fn layer(&self, inner: S) -> CrossOrigin<S> {
        CrossOrigin { cors: self.0.layer(inner.clone()), inner }
    }
}

/// The service of [`CrossOriginLayer`]: `inner`, and `inner` behind tower-http's CORS.
///
/// It is ready when both are, and a request then calls one of them; that suits services that
/// hold nothing for a readiness they do not use, as axum's routes (always ready) do.
#[derive(Clone)]
pub struct CrossOrigin<S> {
    cors: tower_http::cors::Cors<S>,
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CrossOrigin<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Either<tower_http::cors::ResponseFuture<S::Future>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        ready!(self.inner.poll_ready(cx))?;
        self.cors.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if is_cross_origin(&request) {
            Either::Left(self.cors.call(request))
        } else {
            Either::Right(self.inner.call(request))
        }
    }
}

/// A request with an `Origin` header, and for `OPTIONS` a preflight (with
/// `Access-Control-Request-Method`).
fn is_cross_origin<B>(request: &Request<B>) -> bool {
    let headers = request.headers();
    headers.contains_key(header::ORIGIN)
        && (request.method() != Method::OPTIONS || headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_follows_dev_mode_and_the_flags() {
        assert_eq!(Cors::for_node(true, &[]).unwrap(), Some(Cors::AnyOrigin));
        assert_eq!(Cors::for_node(false, &[]).unwrap(), None);
        let one = vec!["http://localhost:5173".to_owned()];
        for dev in [true, false] {
            assert_eq!(
                Cors::for_node(dev, &one).unwrap(),
                Some(Cors::Origins(vec![HeaderValue::from_static("http://localhost:5173")]))
            );
        }
        assert_eq!(Cors::for_node(false, &["*".to_owned()]).unwrap(), Some(Cors::AnyOrigin));
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in ["http://localhost:5173", "https://app.example.com", "http://127.0.0.1:8080", "app+x://h"] {
            assert!(parse_origin(good).is_ok(), "{good}");
        }
        for bad in ["localhost:5173", "http://", "http://host/", "http://host/path", "://host", "http://a b", ""] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
