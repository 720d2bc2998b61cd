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
