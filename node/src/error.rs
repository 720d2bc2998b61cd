//! The node crate's one error type.
//!
//! Every variant's message is written for the client that caused it: the HTTP API returns it
//! as-is in `{ "error": { "code", "message" } }`, with [`NodeError::code`] as the stable code.

use std::path::PathBuf;

use tidepool_ledger::Address;

/// Why the node refused a transaction, a signature or a key, or could not read a key file.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The request body is not a well-formed transaction (bad JSON, unknown field, missing field,
    /// wrong type).
    #[error("malformed transaction: {0}")]
    MalformedTransaction(String),
    /// A JSON number with a fraction, an exponent, or outside the 64-bit integer range: the
    /// canonical encoding has integers only.
    #[error(
        "unsupported JSON number {0}: transactions carry only integers in the 64-bit range; \
         send decimals and large amounts as strings"
    )]
    UnsupportedNumber(String),
    /// The signature is not `0x` followed by 130 hex digits.
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
    /// The signature's `v` byte is not one of 27, 28 (or 0, 1).
    #[error("signature recovery byte v is {0}; expected 27 or 28 (0 or 1 also accepted)")]
    BadRecoveryId(u8),
    /// `r` or `s` is zero or not below the curve order, or no public key recovers from it.
    #[error("invalid signature: r or s is out of range, or no public key recovers from it")]
    BadSignature,
    /// `s` is in the upper half of the curve order: a malleable twin of a valid signature.
    #[error("malleable signature: s must be in the lower half of the curve order (low-s, EIP-2)")]
    MalleableSignature,
    /// The signature is valid but was made by another key than the transaction's `from`.
    #[error(
        "signature was made by {recovered}, not by the transaction's from address {from} \
         (sign the transaction's canonical JSON with EIP-191 personal_sign)"
    )]
    WrongSigner {
        /// The transaction's `from`.
        from: Address,
        /// The address whose key made the signature.
        recovered: Address,
    },
    /// The transaction names another chain.
    #[error("wrong chain id {got}: this node's chain id is {expected}")]
    WrongChainId {
        /// This node's chain id.
        expected: u64,
        /// The transaction's chain id.
        got: u64,
    },
    /// The transaction's nonce is not the sender's next nonce (reused or skipped).
    #[error("bad nonce {got}: the sender's next nonce is {expected}")]
    BadNonce {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// A private key that is not 32 bytes of hex, or not a valid secp256k1 scalar.
    #[error("invalid private key: {0}")]
    InvalidKey(String),
    /// A mnemonic the dev-account derivation cannot use.
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Entropy(String),
    /// A key file could not be read, written or understood.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file (or key directory).
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No key in the key directory has this name or address.
    #[error("no key named {0} in the key directory")]
    UnknownKey(String),
}

impl NodeError {
    /// A stable, machine-readable code for this error (`snake_case`), for API error bodies and
    /// metrics labels. Messages may be reworded; codes may not.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::MalformedTransaction(_) => "malformed_transaction",
            NodeError::UnsupportedNumber(_) => "unsupported_number",
            NodeError::MalformedSignature(_) => "malformed_signature",
            NodeError::BadRecoveryId(_) => "bad_recovery_id",
            NodeError::BadSignature => "bad_signature",
            NodeError::MalleableSignature => "malleable_signature",
            NodeError::WrongSigner { .. } => "wrong_signer",
            NodeError::WrongChainId { .. } => "wrong_chain_id",
            NodeError::BadNonce { .. } => "bad_nonce",
            NodeError::InvalidKey(_) => "invalid_key",
            NodeError::InvalidMnemonic(_) => "invalid_mnemonic",
            NodeError::Entropy(_) => "entropy",
            NodeError::KeyFile { .. } => "key_file",
            NodeError::UnknownKey(_) => "unknown_key",
        }
    }

    /// Whether the error says the transaction's signature does not prove its `from` (malformed,
    /// invalid, malleable, or someone else's).
    pub fn is_signature_error(&self) -> bool {
        matches!(
            self,
            NodeError::MalformedSignature(_)
                | NodeError::BadRecoveryId(_)
                | NodeError::BadSignature
                | NodeError::MalleableSignature
                | NodeError::WrongSigner { .. }
        )
    }

    /// Whether the node itself failed (not the client's fault): such errors are logged and
    /// answered as internal errors, without their details.
    pub fn is_host_failure(&self) -> bool {
        matches!(self, NodeError::Entropy(_))
    }
}
