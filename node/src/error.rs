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
    /// The transaction's gas limit is below the base cost or above the node's maximum.
    #[error("gas limit {got} is out of range: it must be between {min} and {max}")]
    GasLimitOutOfRange {
        /// The limit given.
        got: u64,
        /// The base cost of any transaction.
        min: u64,
        /// The node's maximum.
        max: u64,
    },
    /// The sender cannot pay what the transaction sends.
    #[error("insufficient funds: the transaction needs {needed} and the sender has {available}")]
    InsufficientFunds {
        /// What the transaction sends.
        needed: u128,
        /// The sender's balance.
        available: u128,
    },
    /// A balance would exceed the largest representable amount.
    #[error("balance overflow: the amount would exceed 2^128 - 1")]
    BalanceOverflow,
    /// Uploaded code failed validation.
    #[error("invalid code: {0}")]
    InvalidCode(String),
    /// No code with that hash was uploaded.
    #[error("no code with hash {0} has been uploaded")]
    UnknownCode(tidepool_ledger::Hash),
    /// No contract at that address.
    #[error("no contract at {0}")]
    UnknownContract(Address),
    /// The transaction is well-formed JSON but not acceptable (a field out of range).
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// A dev control on a node not in dev mode.
    #[error("dev controls are only available on a node started with --dev")]
    DevModeOnly,
    /// Reverting to a snapshot that does not exist (or was used up by an earlier revert).
    #[error("no snapshot {0} (a revert uses up the snapshot it returns to and every later one)")]
    UnknownSnapshot(u64),
    /// The ledger has no genesis block (a host failure: the node builds it at open).
    #[error("the ledger has no genesis block")]
    NoGenesis,
    /// Building genesis failed (a host failure: genesis is our code).
    #[error("building genesis failed: {0}")]
    Genesis(String),
    /// A stored transaction or receipt did not decode.
    #[error("corrupt stored record: {0}")]
    CorruptRecord(String),
    /// The ledger failed (I/O, a locked or corrupt data directory).
    #[error(transparent)]
    Ledger(#[from] tidepool_ledger::LedgerError),
    /// The VM failed (a host failure, never a contract's).
    #[error("vm: {0}")]
    Vm(#[from] tidepool_vm::VmError),
    /// A block commit failed after the transaction executed; it was not committed.
    #[error("committing the block failed: {0}")]
    CommitFailed(String),
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
            NodeError::GasLimitOutOfRange { .. } => "gas_limit_out_of_range",
            NodeError::InsufficientFunds { .. } => "insufficient_funds",
            NodeError::BalanceOverflow => "balance_overflow",
            NodeError::InvalidCode(_) => "invalid_code",
            NodeError::UnknownCode(_) => "unknown_code",
            NodeError::UnknownContract(_) => "unknown_contract",
            NodeError::InvalidTransaction(_) => "invalid_transaction",
            NodeError::DevModeOnly => "dev_mode_only",
            NodeError::UnknownSnapshot(_) => "unknown_snapshot",
            NodeError::NoGenesis => "no_genesis",
            NodeError::Genesis(_) => "genesis",
            NodeError::CorruptRecord(_) => "corrupt_record",
            NodeError::Ledger(_) => "ledger",
            NodeError::Vm(_) => "vm",
            NodeError::CommitFailed(_) => "commit_failed",
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
        matches!(
            self,
            NodeError::Entropy(_)
                | NodeError::NoGenesis
                | NodeError::Genesis(_)
                | NodeError::CorruptRecord(_)
                | NodeError::Ledger(_)
                | NodeError::Vm(_)
                | NodeError::CommitFailed(_)
        )
    }
}
