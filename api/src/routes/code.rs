//! Code: upload a module (`POST /v1/code`) and read what was stored (`GET /v1/code/{hash}`).
//!
//! `POST /v1/code` takes only an `upload_code` transaction, so its body has its own type,
//! [`SignedUpload`]: the schema and the decoder are one definition, and any other action is a
//! body that does not match the document (400).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash};
use tidepool_node::tx::hex_bytes;
use tidepool_node::whole_number;
use tidepool_node::{Action, RecoverableSignature, SignedTransaction, Submitted, Transaction};
use utoipa::ToSchema;

use super::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Json, NoQuery, Object, parse};
use crate::openapi::statuses::{BodyRefused, Conflict, Internal, Invalid, NotFound, Unauthorized, Unprocessable};
use crate::path::Path;

/// `POST /v1/code`'s body: a signed transaction whose action is `upload_code`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedUpload {
    /// The transaction.
    #[serde(deserialize_with = "tidepool_node::tx::object::deserialize")]
    pub tx: UploadTransaction,
    /// EIP-191 `personal_sign` signature (`r‖s‖v`) over `tx`'s canonical JSON, by `tx.from`.
    #[schema(value_type = tidepool_node::openapi::Signature)]
    pub signature: RecoverableSignature,
}

/// A [`Transaction`] whose action is `upload_code`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadTransaction {
    /// The chain this transaction is for.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub chain_id: u64,
    /// The sender's transaction count before this one.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub nonce: u64,
    /// The sender, who must have signed the transaction.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub from: Address,
    /// The most gas the transaction may use.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(schema_with = tidepool_node::openapi::gas_limit)]
    pub gas_limit: u64,
    /// The upload.
    #[serde(deserialize_with = "tidepool_node::tx::object::deserialize")]
    pub action: UploadAction,
}

/// The `upload_code` action, the only one `POST /v1/code` takes.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum UploadAction {
    /// Stores a WASM module.
    UploadCode {
        /// The module's bytes.
        #[serde(with = "hex_bytes")]
        #[schema(value_type = tidepool_node::openapi::HexBytes)]
        wasm: Vec<u8>,
    },
}

impl From<SignedUpload> for SignedTransaction {
    fn from(upload: SignedUpload) -> SignedTransaction {
        let UploadTransaction { chain_id, nonce, from, gas_limit, action: UploadAction::UploadCode { wasm } } =
            upload.tx;
        let tx = Transaction { chain_id, nonce, from, gas_limit, action: Action::UploadCode { wasm } };
        SignedTransaction { tx, signature: upload.signature }
    }
}

/// `POST /v1/code`: the convenience form of submitting a signed `upload_code` transaction.
#[utoipa::path(post, path = "/v1/code", request_body = SignedUpload,
    responses((status = 200, body = Submitted, description = "The receipt, with `code_hash` (or `{tx_hash}` in interval mode)."),
              BodyRefused, Unauthorized, Conflict, Unprocessable, Internal))]
pub async fn upload(
    State(state): State<AppState>,
    _: NoQuery,
    Json(Object(upload)): Json<Object<SignedUpload>>,
) -> Result<Json<Submitted>, ApiError> {
    let signed = SignedTransaction::from(upload);
    Ok(Json(blocking(move || Ok(state.node.submit(&signed)?.decoded())).await?))
}

/// Uploaded code, as the API shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CodeInfo {
    /// The height this answer was read at.
    pub height: u64,
    /// keccak256 of the wasm.
    #[schema(value_type = tidepool_node::openapi::Hash)]
    pub code_hash: Hash,
    /// Who uploaded it.
    #[schema(value_type = tidepool_node::openapi::Address)]
    pub uploader: Address,
    /// Height it was stored at.
    pub uploaded_at: u64,
    /// Size in bytes.
    pub size: u32,
    /// Exported entry points.
    pub entry_points: Vec<String>,
    /// Whether it accepts re-entrant calls.
    pub reentrant: bool,
}

/// `GET /v1/code/{hash}`.
#[utoipa::path(get, path = "/v1/code/{hash}", operation_id = "get_code", params(("hash" = tidepool_node::openapi::Hash, Path, description = "keccak256 of the module.", example = crate::openapi::examples::token_code)),
    responses((status = 200, body = CodeInfo, description = "The stored code, at the height it was read."), Invalid, NotFound, Internal))]
pub async fn get(
    State(state): State<AppState>,
    _: NoQuery,
    Path(hash): Path<String>,
) -> Result<Json<CodeInfo>, ApiError> {
    let hash: Hash = parse("code hash", &hash)?;
    let (height, meta) = blocking(move || {
        let view = state.node.view()?;
        Ok((view.height(), view.code_meta(&hash)?))
    })
    .await?;
    let meta = meta.ok_or_else(|| ApiError::not_found(format!("no code {hash}")))?;
    Ok(Json(CodeInfo {
        height,
        code_hash: hash,
        uploader: meta.uploader,
        uploaded_at: meta.uploaded_at,
        size: meta.size,
        entry_points: meta.entry_points,
        reentrant: meta.reentrant,
    }))
}
