//! The dashboard, served at `/` beside the API: the files of `dashboard/dist`, built into the
//! binary at compile time (`api/build.rs` writes one `include_bytes!` per file), so the node
//! needs no network and no files at run time. docs/dashboard.md says what it shows.
//!
//! - `/` and the dashboard's own pages ([`PAGES`], and any path below them) answer
//!   `index.html`: the page routes itself in the browser. Only those prefixes: `/v1`, `/dev`,
//!   `/health`, `/metrics` and `/openapi.json` stay the API's, and any other unknown path is
//!   still the API's 404.
//! - `/assets/*` are the bundle's files, named by their content hash, so they are cached for a
//!   year (`immutable`); `index.html` is revalidated every time (`no-cache`).
//! - Each file is sent brotli- or gzip-compressed when the build made those variants and the
//!   request accepts them (`Vary: Accept-Encoding`).
//! - Without a built dashboard (a plain `cargo build` on a fresh clone), every page answers a
//!   short HTML page saying how to build it.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::error::ApiError;
use crate::negotiation::accepts;
use crate::path::Path;
use crate::routes::service;

/// One built file.
struct Asset {
    /// Its path under `/`, e.g. `/assets/index-3f2a.js`.
    path: &'static str,
    /// Its bytes.
    raw: &'static [u8],
    /// The gzip variant, if the build made one.
    gzip: Option<&'static [u8]>,
    /// The brotli variant, if the build made one.
    brotli: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));

/// The dashboard's own pages, each also with any path below it (`/positions/0x…`). None of them
/// is a prefix the API uses (a test checks it against the OpenAPI document).
pub const PAGES: &[&str] = &["markets", "positions", "explorer", "panel"];

/// The page served when the binary was built without the dashboard.
const NOT_BUILT: &str = "<!doctype html><html lang=en><meta charset=utf-8><title>Tidepool</title>\
<body style=\"font:16px system-ui;max-width:40em;margin:3em auto\"><h1>Tidepool</h1>\
<p>This node was built without its dashboard. Build it with <code>make run</code>, or by hand:\
<pre>npm ci &amp;&amp; npm run build --workspaces\ncargo build --bin tidepool</pre>\
<p>The API is here all the same: <a href=/openapi.json>/openapi.json</a>, <a href=/health>/health</a>.";

/// The routes of the dashboard: `/`, [`PAGES`], `/assets/*` and the other files at the top of
/// the build. Merged into the API's router by [`crate::server::app`].
pub fn routes() -> Router {
    let page = || document(get(index));
    let mut router = Router::new().route("/", page()).route("/index.html", page());
    for name in PAGES {
        router = router.route(&format!("/{name}"), page()).route(&format!("/{name}/{{*rest}}"), page());
    }
    router = router.route("/assets/{*file}", document(get(asset)));
    for file in ASSETS.iter().filter(|a| a.path != "/index.html" && !a.path.starts_with("/assets/")) {
        router = router.route(file.path, document(get(move |headers: HeaderMap| async move { send(file, &headers) })));
    }
    router
}

/// A method router whose other methods answer the API's 405.
fn document(route: MethodRouter) -> MethodRouter {
    route.fallback(service::method_not_allowed)
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

async fn index(headers: HeaderMap) -> Response {
    match find("/index.html") {
        Some(index) => send(index, &headers),
        None => ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], NOT_BUILT)
            .into_response(),
    }
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match find(&format!("/assets/{file}")) {
        Some(asset) => send(asset, &headers),
        None => ApiError::not_found(format!("no dashboard file /assets/{file}")).into_response(),
    }
}

fn send(asset: &Asset, request: &HeaderMap) -> Response {
    let (encoding, body) = match (asset.brotli, asset.gzip) {
        (Some(br), _) if accepts(request, "br") => (Some("br"), br),
        (_, Some(gz)) if accepts(request, "gzip") => (Some("gzip"), gz),
        _ => (None, asset.raw),
    };
    let cache = if asset.path.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(asset.path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if asset.gzip.is_some() || asset.brotli.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if asset.path.ends_with(".html") {
        // Everything the page loads comes from this node: no CDN, no other origin.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 connect-src 'self'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether this binary carries a built dashboard.
pub fn is_built() -> bool {
    find("/index.html").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("/assets/index-1.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("/favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("/x"), "application/octet-stream");
    }
}
