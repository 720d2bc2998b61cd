//! Content negotiation: which content codings a client accepts (`Accept-Encoding`, RFC 9110
//! §12.5.3). The dashboard's files and live streams are sent compressed to clients that accept
//! it.

use axum::http::{HeaderMap, header};

/// Whether the request's `Accept-Encoding` accepts `coding` (listed without `q=0`).
pub fn accepts(request: &HeaderMap, coding: &str) -> bool {
    let accepted = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    accepts_in(accepted, coding)
}

fn accepts_in(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| {
            let p = p.replace(' ', "");
            p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")).and_then(|q| q.parse::<f64>().ok()) == Some(0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::accepts_in;

    #[test]
    fn accept_encoding_is_read_with_its_refusals() {
        assert!(accepts_in("gzip, deflate, br", "br"));
        assert!(accepts_in("gzip;q=0.5", "gzip"));
        assert!(accepts_in("GZIP", "gzip"));
        assert!(!accepts_in("gzip;q=0", "gzip"));
        assert!(!accepts_in("gzip; q=0.000", "gzip"));
        assert!(!accepts_in("identity", "gzip"));
        assert!(!accepts_in("", "br"));
    }
}
