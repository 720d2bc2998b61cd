//! Tidepool's node: transactions, signatures, keys — and, built on them, blocks, receipts,
//! genesis, dev controls and the in-process `Sandbox`.
//!
//! Start reading at [`tx`]: a [`tx::Transaction`] is signed with EIP-191 `personal_sign` over
//! its [`canonical`] JSON ([`signature`]), submitted as a [`tx::SignedTransaction`], and checked
//! into a [`tx::CheckedTransaction`] (sender proven, hash computed) before it is applied.
//! [`keys`] derives addresses, the deterministic dev accounts, and the CLI's key files.
//! Every failure is a [`NodeError`] whose message can be shown to the client that caused it.

pub mod canonical;
pub mod error;
pub mod keys;
pub mod signature;
pub mod tx;

pub use error::NodeError;
pub use keys::{DevAccount, address_of, dev_accounts};
pub use signature::RecoverableSignature;
pub use tx::{Action, CheckedTransaction, SignedTransaction, Transaction};
