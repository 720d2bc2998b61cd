//! The node crate's errors, in two levels: [`NodeError`] is either a [`Rejection`] (the client's
//! fault: the HTTP API returns its message as-is in `{ "error": { "code", "message" } }`, with
//! [`Rejection::code`] as the stable code and [`Rejection::kind`] choosing the status) or a
//! [`HostError`] (the node's own failure: logged, answered as an internal error). A new variant
//! lands in one of the two enums, so its side is decided by the type.

use tidepool_ledger::Address;

/// Everything the node can fail with, in two kinds that the type keeps apart: the request was
/// refused ([`Rejection`]: the client's fault, nothing changed, the message says why) or the node
/// itself failed ([`HostError`]: logged, and answered without its details).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The client's request was refused; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The node failed.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// Why the node refused a transaction, a signature, a request or a key. Every message is
/// written for the client that caused it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Rejection {
    /// The request body is not a well-formed transaction (bad JSON, unknown field, missing field,
    /// wrong type).
    #[error("malformed transaction: {0}")]
    MalformedTransaction(String),
    /// A JSON number with a fraction, an exponent, or outside the 64-bit integer range: the
    /// canonical encoding has integers only.
    #[error(
        "unsupported JSON number {0}: messages carry only integers in the 64-bit range (a float reads \
         differently in each language); send decimals and large amounts as strings"
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
    /// A dev control on a validator of a network: changing state outside consensus would fork
    /// it from the other validators.
    #[error(
        "dev controls are refused on a network validator: state changes only through blocks the \
         validators agree on (start a dev node with `tidepool node --dev` to use them)"
    )]
    NetworkNode,
    /// A transaction the mempool already holds.
    #[error("transaction {0} is already in the mempool")]
    AlreadyInMempool(tidepool_ledger::Hash),
    /// Another pending transaction of the sender holds this nonce.
    #[error("nonce {nonce} is already taken by another pending transaction of this sender")]
    NonceAlreadyPending {
        /// The nonce.
        nonce: u64,
    },
    /// The mempool has no room for the transaction, even after evicting other senders'.
    #[error("the mempool is full ({max_txs} transactions or {max_bytes} bytes): try again after the next block")]
    MempoolFull {
        /// Its count bound.
        max_txs: usize,
        /// Its byte bound.
        max_bytes: usize,
    },
    /// Reverting to a snapshot that does not exist (or was used up by an earlier revert).
    #[error("no snapshot {0} (a revert uses up the snapshot it returns to and every later one)")]
    UnknownSnapshot(u64),
    /// Reverting to a snapshot that a reset or a state load used up (each uses up every
    /// snapshot: the history they were taken on is gone).
    #[error("no snapshot {id}: {by} used it up (a reset or a state load uses up every snapshot; take a new one)")]
    SnapshotUsedUp {
        /// The snapshot asked for.
        id: u64,
        /// What used it up: "a reset" or "a state load".
        by: &'static str,
    },
    /// A transaction that waits in the pending block (manual or interval mining): it has no
    /// receipt until its block is mined.
    #[error(
        "transaction {0} is pending: it waits for a block and has no receipt yet (manual mining: \
         POST /dev/mine mines it; interval mining and a network: the next block takes it)"
    )]
    PendingTransaction(tidepool_ledger::Hash),
    /// A next block time before the latest block's: block times never go backwards.
    #[error("block time {requested} is before the latest block's time {latest}: block times never go backwards")]
    BlockTimeBeforeLatest {
        /// The time asked for.
        requested: u64,
        /// The latest block's time.
        latest: u64,
    },
    /// A reset on a node that no longer has the history back to its genesis.
    #[error(
        "state at height {genesis} is no longer kept: this node keeps history from height {oldest} \
         (--history-blocks), and a reset returns to the chain's first block, at height {genesis}; \
         start a node on an empty data directory instead"
    )]
    HistoryPruned {
        /// The chain's first block.
        genesis: u64,
        /// The lowest height whose state is still kept (reads at it succeed).
        oldest: u64,
    },
    /// A price refresh on a chain without the dev market.
    #[error("refresh_prices needs the dev market (a node started with --dev --market), and this chain has none")]
    NoDevMarket,
    /// The oracle refused the refreshed prices (its owner or code was changed); nothing changed.
    #[error("refreshing the oracle's prices failed, so nothing changed: {0}")]
    PriceRefreshFailed(String),
    /// A token the node indexes cannot tell a balance: its `balance` query fails or answers
    /// something else (its code or storage was changed with a dev control).
    #[error("{0}")]
    TokenUnreadable(String),
    /// A state file whose form the format does not allow (a number or a length out of range).
    #[error("malformed state file: {0}")]
    MalformedStateFile(String),
    /// A well-formed state file that cannot be loaded (invalid code, a contract of code it
    /// lacks, an entry twice, a state root that does not match).
    #[error("the state file cannot be loaded: {0}")]
    InvalidStateFile(String),
    /// A node configuration that cannot work.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// No committed transaction has this hash.
    #[error("no transaction {0}")]
    UnknownTransaction(tidepool_ledger::Hash),
    /// A read at a height above the latest block, or below the chain's first one (a chain
    /// loaded from a state file begins at the file's height).
    #[error("no block at height {height}: {}", if height > latest {
        format!("the latest is {latest}")
    } else {
        format!("this chain begins above it (a state loaded at a later height; the latest is {latest})")
    })]
    UnknownHeight {
        /// The height asked for.
        height: u64,
        /// The latest height.
        latest: u64,
    },
    /// A block past the last height a chain may have: heights stay at most 2^53 − 1, the largest
    /// integer every JSON reader (JavaScript's numbers included) holds exactly, and the largest a
    /// state file may carry. A chain loaded from a state file near it can go no further.
    #[error(
        "no block can be mined at height {requested}: block heights stay at most {max} (2^53 − 1, the \
         largest integer JSON carries exactly, and the largest height a state file holds); this chain's \
         latest block is at height {latest}"
    )]
    HeightOutOfRange {
        /// The height the request would give a block (saturated at `u64::MAX`).
        requested: u64,
        /// The latest block's height.
        latest: u64,
        /// The largest block height.
        max: u64,
    },
    /// A read at a height below the history this node keeps (`--history-blocks`).
    #[error("state at height {height} is no longer kept: this node keeps history from height {oldest}")]
    HeightPruned {
        /// The height asked for.
        height: u64,
        /// The lowest height state can be read at.
        oldest: u64,
    },
    /// A block time past [`crate::MAX_BLOCK_TIME`] (a dev warp or clock that would move it there).
    #[error("block time {requested} is out of range: block times stay at most {max} (9999-12-31T23:59:59Z)")]
    BlockTimeOutOfRange {
        /// The time the request would give a block (saturated at `u64::MAX`).
        requested: u64,
        /// The largest block time.
        max: u64,
    },
}

/// How a [`Rejection`] is the client's fault; the API answers each with its own status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionKind {
    /// The request does not have the documented form (a field's type, pattern or range).
    Malformed,
    /// The signature does not prove that the transaction's `from` sent it.
    Unauthorized,
    /// The sender cannot pay what the transaction sends.
    Unaffordable,
    /// The request needs a mode the node is not in (dev controls).
    Forbidden,
    /// The request names something that does not exist (a contract, code, snapshot, height).
    NotFound,
    /// The request names something this node no longer keeps (state below its history window).
    Gone,
    /// Well formed, but the current state refuses it (a nonce that is not next, a balance or a
    /// clock that would overflow).
    Conflict,
    /// Well formed, but its content cannot be processed (another chain's transaction, a module
    /// that does not validate).
    Unprocessable,
}

/// Why the node itself failed (never the client's fault).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Entropy(String),
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
    /// A network block that cannot be built or committed here.
    #[error("block: {0}")]
    Block(String),
}

impl From<tidepool_ledger::LedgerError> for NodeError {
    fn from(error: tidepool_ledger::LedgerError) -> NodeError {
        NodeError::Host(HostError::Ledger(error))
    }
}

impl From<tidepool_vm::VmError> for NodeError {
    fn from(error: tidepool_vm::VmError) -> NodeError {
        NodeError::Host(HostError::Vm(error))
    }
}

impl NodeError {
    /// A stable, machine-readable code for this error (`snake_case`), for API error bodies and
    /// metrics labels. Messages may be reworded; codes may not.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::Rejected(rejection) => rejection.code(),
            NodeError::Host(host) => host.code(),
        }
    }

    /// The rejection, if the client was at fault.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            NodeError::Rejected(rejection) => Some(rejection),
            NodeError::Host(_) => None,
        }
    }
}

impl Rejection {
    /// A stable, machine-readable code (`snake_case`).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MalformedTransaction(_) => "malformed_transaction",
            Rejection::UnsupportedNumber(_) => "unsupported_number",
            Rejection::MalformedSignature(_) => "malformed_signature",
            Rejection::BadRecoveryId(_) => "bad_recovery_id",
            Rejection::BadSignature => "bad_signature",
            Rejection::MalleableSignature => "malleable_signature",
            Rejection::WrongSigner { .. } => "wrong_signer",
            Rejection::WrongChainId { .. } => "wrong_chain_id",
            Rejection::BadNonce { .. } => "bad_nonce",
            Rejection::InvalidKey(_) => "invalid_key",
            Rejection::InvalidMnemonic(_) => "invalid_mnemonic",
            Rejection::GasLimitOutOfRange { .. } => "gas_limit_out_of_range",
            Rejection::InsufficientFunds { .. } => "insufficient_funds",
            Rejection::BalanceOverflow => "balance_overflow",
            Rejection::InvalidCode(_) => "invalid_code",
            Rejection::UnknownCode(_) => "unknown_code",
            Rejection::UnknownContract(_) => "unknown_contract",
            Rejection::InvalidTransaction(_) => "invalid_transaction",
            Rejection::DevModeOnly => "dev_mode_only",
            Rejection::NetworkNode => "network_node",
            Rejection::AlreadyInMempool(_) => "already_in_mempool",
            Rejection::NonceAlreadyPending { .. } => "nonce_already_pending",
            Rejection::MempoolFull { .. } => "mempool_full",
            Rejection::UnknownSnapshot(_) | Rejection::SnapshotUsedUp { .. } => "unknown_snapshot",
            Rejection::UnknownHeight { .. } => "unknown_height",
            Rejection::UnknownTransaction(_) => "unknown_transaction",
            Rejection::InvalidConfig(_) => "invalid_config",
            Rejection::HeightPruned { .. } => "height_pruned",
            Rejection::BlockTimeOutOfRange { .. } => "block_time_out_of_range",
            Rejection::HeightOutOfRange { .. } => "height_out_of_range",
            Rejection::PendingTransaction(_) => "pending_transaction",
            Rejection::BlockTimeBeforeLatest { .. } => "block_time_before_latest",
            Rejection::HistoryPruned { .. } => "history_pruned",
            Rejection::NoDevMarket => "no_dev_market",
            Rejection::PriceRefreshFailed(_) => "price_refresh_failed",
            Rejection::TokenUnreadable(_) => "query_failed",
            Rejection::MalformedStateFile(_) => "malformed_state_file",
            Rejection::InvalidStateFile(_) => "invalid_state_file",
        }
    }

    /// How the client is at fault.
    pub fn kind(&self) -> RejectionKind {
        match self {
            Rejection::MalformedTransaction(_)
            | Rejection::UnsupportedNumber(_)
            | Rejection::MalformedSignature(_)
            | Rejection::BadRecoveryId(_)
            | Rejection::GasLimitOutOfRange { .. }
            | Rejection::InvalidTransaction(_)
            | Rejection::InvalidKey(_)
            | Rejection::InvalidMnemonic(_)
            | Rejection::MalformedStateFile(_)
            | Rejection::InvalidConfig(_) => RejectionKind::Malformed,
            Rejection::BadSignature | Rejection::MalleableSignature | Rejection::WrongSigner { .. } => {
                RejectionKind::Unauthorized
            }
            Rejection::InsufficientFunds { .. } => RejectionKind::Unaffordable,
            Rejection::DevModeOnly | Rejection::NetworkNode => RejectionKind::Forbidden,
            Rejection::UnknownCode(_)
            | Rejection::UnknownContract(_)
            | Rejection::UnknownSnapshot(_)
            | Rejection::SnapshotUsedUp { .. }
            | Rejection::PendingTransaction(_)
            | Rejection::NoDevMarket
            | Rejection::UnknownTransaction(_)
            | Rejection::UnknownHeight { .. } => RejectionKind::NotFound,
            Rejection::HeightPruned { .. } => RejectionKind::Gone,
            Rejection::BadNonce { .. }
            | Rejection::AlreadyInMempool(_)
            | Rejection::NonceAlreadyPending { .. }
            | Rejection::MempoolFull { .. }
            | Rejection::BalanceOverflow
            | Rejection::BlockTimeOutOfRange { .. }
            | Rejection::HeightOutOfRange { .. }
            | Rejection::BlockTimeBeforeLatest { .. }
            | Rejection::HistoryPruned { .. }
            | Rejection::PriceRefreshFailed(_) => RejectionKind::Conflict,
            Rejection::WrongChainId { .. }
            | Rejection::InvalidCode(_)
            | Rejection::InvalidStateFile(_)
            | Rejection::TokenUnreadable(_) => RejectionKind::Unprocessable,
        }
    }
}

impl HostError {
    /// A stable, machine-readable code (`snake_case`), for logs and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::Entropy(_) => "entropy",
            HostError::NoGenesis => "no_genesis",
            HostError::Genesis(_) => "genesis",
            HostError::CorruptRecord(_) => "corrupt_record",
            HostError::Ledger(_) => "ledger",
            HostError::Vm(_) => "vm",
            HostError::CommitFailed(_) => "commit_failed",
            HostError::Block(_) => "block",
        }
    }
}
