//! Accounts: nonce and native balance, and the token balances the node indexes.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tidepool_ledger::Address;
use utoipa::ToSchema;

use super::{AppState, AtHeight, blocking};
use crate::error::ApiError;
use crate::extract::{Json, Query, address as parse_address};
use crate::openapi::statuses::{Gone, Internal, Invalid, NotFound, Unprocessable};
use crate::path::Path;

/// An account.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccountInfo {
    /// The height this answer was read at (the state after that block).
    pub height: u64,
    /// The address (EIP-55).
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub address: Address,
    /// The account's nonce in the state read: how many of its transactions are committed.
    pub nonce: u64,
    /// The nonce its next transaction should carry: `nonce` plus its transactions waiting in
    /// the pending block (manual and interval mining) or, without a gap, in the mempool (a
    /// network). With `?height=`, the same as `nonce`.
    pub pending_nonce: u64,
    /// Native balance, base units (decimal string).
    #[schema(value_type = tidepool_node::openapi::Amount)]
    pub balance: String,
}

/// `GET /v1/accounts/{address}?height=`: nonce and native balance (zero for an unseen address).
#[utoipa::path(get, path = "/v1/accounts/{address}", params(("address" = tidepool_node::openapi::Address, Path, description = "The account."), AtHeight),
    responses((status = 200, body = AccountInfo, description = "The account, at the height it was read."), Invalid, NotFound, Gone, Internal))]
pub async fn account(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(at): Query<AtHeight>,
) -> Result<Json<AccountInfo>, ApiError> {
    let address = parse_address("address", &address)?;
    // One point read (memtable or block cache: ~2 µs; a disk block at worst) is cheaper than
    // the hand-off to the blocking pool and back, so it runs here, on the async worker.
    let (view, account, pending_nonce) = match at.height {
        Some(height) => {
            let view = state.node.view_at(Some(height))?;
            let account = view.account(&address)?;
            let nonce = account.nonce;
            (view, account, nonce)
        }
        None => {
            let mut read = None;
            let pending_nonce = state.node.next_nonce(&address, || {
                let view = state.node.view()?;
                let account = view.account(&address)?;
                let nonce = account.nonce;
                read = Some((view, account));
                Ok::<_, ApiError>(nonce)
            })?;
            let (view, account) = read.expect("next_nonce reads the committed nonce");
            (view, account, pending_nonce)
        }
    };
    Ok(Json(AccountInfo {
        height: view.height(),
        address,
        nonce: account.nonce,
        pending_nonce,
        balance: account.balance.to_string(),
    }))
}

/// A token balance.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TokenBalance {
    /// The token contract.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub token: Address,
    /// Its symbol.
    pub symbol: String,
    /// Its decimals.
    pub decimals: u8,
    /// The balance, base units (decimal string).
    #[schema(value_type = tidepool_node::openapi::Amount)]
    pub balance: String,
}

/// Native and token balances, all read at one height.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Balances {
    /// The height this answer was read at (the state after that block).
    pub height: u64,
    /// The address.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub address: Address,
    /// Native balance, base units.
    #[schema(value_type = tidepool_node::openapi::Amount)]
    pub native: String,
    /// Balances of the tokens the node indexes: the dev market's (empty on a node without it).
    pub tokens: Vec<TokenBalance>,
}

/// `GET /v1/accounts/{address}/balances?height=`.
#[utoipa::path(get, path = "/v1/accounts/{address}/balances", params(("address" = tidepool_node::openapi::Address, Path, description = "The account."), AtHeight),
    responses((status = 200, body = Balances, description = "Native and token balances, at one height."), Invalid, NotFound, Gone, Unprocessable, Internal))]
pub async fn balances(
    State(state): State<AppState>,
    Path(address): Path<String>,
    Query(at): Query<AtHeight>,
) -> Result<Json<Balances>, ApiError> {
    let address = parse_address("address", &address)?;
    let balances = blocking(move || {
        let view = state.node.view_at(at.height)?;
        let native = view.account(&address)?.balance.to_string();
        let tokens = view
            .token_balances(&address)?
            .into_iter()
            .map(|t| TokenBalance {
                token: t.token,
                symbol: t.symbol,
                decimals: t.decimals,
                balance: t.balance.to_string(),
            })
            .collect();
        Ok(Balances { height: view.height(), address, native, tokens })
    })
    .await?;
    Ok(Json(balances))
}
