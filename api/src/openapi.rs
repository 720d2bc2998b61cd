//! The OpenAPI document, generated from the handlers' annotations and the request/response types,
//! so it cannot drift from the code. Served at `/openapi.json`.

use utoipa::OpenApi;

use crate::routes::{accounts, blocks, contracts, dev, service, txs};

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidepool",
        description = "WebAssembly smart-contract sandbox: signed transactions, contract queries, blocks, events, dev controls."
    ),
    paths(
        txs::submit,
        txs::submit_batch,
        txs::get,
        txs::simulate,
        contracts::upload,
        contracts::code,
        contracts::instance,
        contracts::query,
        contracts::state,
        accounts::account,
        accounts::balances,
        blocks::latest,
        blocks::by_height,
        blocks::events,
        dev::faucet,
        dev::set_balance,
        dev::set_storage,
        dev::warp,
        dev::mine,
        dev::snapshot,
        dev::revert,
        dev::impersonate,
        service::health,
        service::metrics,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::ApiDoc;
    use utoipa::OpenApi;

    #[test]
    fn the_document_describes_every_route_and_the_transaction_types() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for schema in
            ["SignedTransaction", "Transaction", "Action", "Receipt", "ReceiptStatus", "StoredTx", "Submitted"]
        {
            assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
        }
        let action = doc["components"]["schemas"]["Action"].to_string();
        for ty in ["transfer", "upload_code", "instantiate", "execute", "migrate"] {
            assert!(action.contains(&format!("\"{ty}\"")), "action type {ty} missing from {action}");
        }
        for path in [
            "/v1/txs",
            "/v1/txs/batch",
            "/v1/txs/{hash}",
            "/v1/simulate",
            "/v1/code",
            "/v1/code/{hash}",
            "/v1/contracts/{address}",
            "/v1/contracts/{address}/query",
            "/v1/contracts/{address}/state",
            "/v1/accounts/{address}",
            "/v1/accounts/{address}/balances",
            "/v1/blocks/latest",
            "/v1/blocks/{height}",
            "/v1/events",
            "/dev/faucet",
            "/dev/warp",
            "/dev/snapshot",
            "/dev/revert",
            "/dev/impersonate",
            "/health",
            "/metrics",
        ] {
            assert!(doc["paths"][path].is_object(), "path {path} missing");
        }
    }
}
