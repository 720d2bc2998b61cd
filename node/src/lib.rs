//! Tidepool's node: transactions, signatures, keys — and, built on them, blocks, receipts,
//! genesis, dev controls and reads at one height.
//!
//! Start reading at [`tx`]: a [`tx::Transaction`] is signed with EIP-191 `personal_sign` over
//! its [`canonical`] JSON ([`signature`]), submitted as a [`tx::SignedTransaction`], and checked
//! into a [`tx::CheckedTransaction`] (sender proven, hash computed) before it is applied.
//! [`keys`] derives addresses, the deterministic dev accounts, and the CLI's key files.
//! Every failure is a [`NodeError`] whose message can be shown to the client that caused it.
//!
//! [`Node`] ([`chain`]) turns checked transactions into blocks: [`apply`] runs one transaction
//! against a block overlay through the VM, [`receipt`] records what happened, [`genesis`] builds
//! block 0 (dev accounts and, given its code, the sample lending market), [`config`] says how the
//! node runs, and [`view`] reads the committed state at one height. [`state_file`] is the dev
//! node's portable state: a chain's state written out, and a new chain started from it. The in-process Sandbox for
//! contract tests is its own crate, `tidepool-sandbox`, built on [`Node`].
//!
//! For the HTTP API: [`whole_number`] reads `5.0` as the integer it is, and `openapi` (feature
//! `openapi`) holds the OpenAPI schemas of the JSON forms defined here (addresses, amounts,
//! signatures, messages).

mod admission;
pub mod apply;
pub mod canonical;
pub mod chain;
pub mod config;
pub mod diff;
pub mod error;
pub mod genesis;
pub mod keys;
pub mod mempool;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod receipt;
pub mod record;
pub mod signature;
pub mod state_file;
pub mod trace;
pub mod tx;
pub mod view;
pub mod whole_number;

pub use chain::{
    BlockCertificate, CertificateSignature, EquivocationSeen, InvalidBlock, MiningStatus, MiningWatch, NetworkBlock,
    NetworkStatus, NewHead, NextBlock, Node, QUERY_GAS_LIMIT, QUICK_QUERY_GAS, Relay, Replay, StatusSource, StoredTx,
    Submitted,
};
pub use config::{
    Clock, DEV_CHAIN_ID, GivenStore, MAX_BLOCK_TIME, MarketCode, Mining, NodeConfig, ONE_TOKEN, StoreConfig,
};
pub use error::NodeError;
pub use genesis::{MarketInfo, TokenBalance, TokenInfo};
pub use keys::{DevAccount, address_of, dev_accounts};
pub use receipt::{Receipt, ReceiptStatus};
pub use record::MinedReceipt;
pub use signature::RecoverableSignature;
pub use state_file::StateFile;
pub use tx::{Action, CheckedTransaction, SignedTransaction, Transaction};
pub use view::View;
