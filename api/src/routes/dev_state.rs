//! `/dev/reset`, `/dev/dump_state`, `/dev/load_state` (dev mode only): starting over, from the
//! genesis or from a state file (`tidepool_node::state_file`, docs/state-file.md).

use axum::extract::State;
use tidepool_node::StateFile;

use super::blocks::Block;
use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, NoBody, NoQuery, Object};
use crate::openapi::statuses::{
    Conflict, Internal, Invalid, NotJson, StateTooLarge, TimedOut, TooLarge, Unprocessable,
};

/// Largest `/dev/load_state` body: a state file carries every module and storage entry (hex
/// doubles them), so far more than a transaction.
pub const MAX_STATE_BYTES: usize = 256 * 1024 * 1024;

/// `POST /dev/reset`: back to the genesis, in place — the genesis the node built, or the state it
/// loaded last. Pending transactions are dropped and every snapshot is used up; the mining mode
/// stays.
#[utoipa::path(post, path = "/dev/reset",
    responses((status = 200, body = Block, description = "The genesis block, now the latest."), Invalid, TimedOut, TooLarge, Conflict, Internal))]
pub async fn reset(State(state): State<AppState>, _: NoQuery, _: NoBody) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.reset()?)).await?.into()))
}

/// `POST /dev/dump_state`: the state at the latest height as a state file (pending transactions
/// are not in it).
#[utoipa::path(post, path = "/dev/dump_state",
    responses((status = 200, body = StateFile, description = "The state file."), Invalid, TimedOut, TooLarge, Internal))]
pub async fn dump_state(State(state): State<AppState>, _: NoQuery, _: NoBody) -> Result<Json<StateFile>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.dump_state()?)).await?))
}

/// `POST /dev/load_state`: a new chain from a state file of this chain, in place of this one:
/// one block at the file's height and time writes its state. Pending transactions are dropped,
/// every snapshot is used up, and `/dev/reset` returns here from now on.
#[utoipa::path(post, path = "/dev/load_state", request_body = StateFile,
    responses((status = 200, body = Block, description = "The loaded chain's first block, now the latest."),
              Invalid, TimedOut, StateTooLarge, NotJson, Unprocessable, Internal))]
pub async fn load_state(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(file)): Json<Object<StateFile>>,
) -> Result<Json<Block>, ApiError> {
    Ok(Json(blocking(move || Ok(state.node.load_state(&file)?)).await?.into()))
}
