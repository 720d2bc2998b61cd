//! Tidepool's contract runtime: runs one contract call against the ledger's overlay and
//! returns an [`Outcome`]. It never commits.
//!
//! Start with [`Vm`]: [`Vm::upload`] validates, compiles and stores code; [`Vm::call`] runs a
//! [`Call`] (instantiate, execute, query, migrate) and returns `Result<Outcome, VmError>` —
//! an `Outcome` whatever the contract did (success, abort, trap, out of gas, a limit, refused
//! re-entry), a [`VmError`] only when the host itself is broken.
//!
//! Layout, in the order a call meets them:
//! - [`engine`] — the wasmtime configuration: deterministic, metered, pooled;
//! - [`validate`] — static checks at upload;
//! - [`cache`] — compiled modules in memory (LRU) and on disk;
//! - `call` — a top-level call: checkpoint, instance, funds, first frame;
//! - `frame` — one frame: a fresh store and instance, the entry point, its status;
//! - `host` — the host functions of the ABI ([`tidepool_abi`]);
//! - [`gas`] and [`limits`] — what things cost and how far they may go;
//! - [`outcome`] — statuses, outcomes and the call tree.

pub mod cache;
mod call;
pub mod engine;
pub mod error;
mod frame;
pub mod gas;
mod host;
pub mod limits;
pub mod outcome;
pub mod validate;
mod vm;

pub use cache::CacheStats;
pub use call::{Call, CallKind, Env};
pub use error::VmError;
pub use gas::GasSchedule;
pub use limits::Limits;
pub use outcome::{CallFrame, Outcome, Status};
pub use validate::{ModuleInfo, ValidationError};
pub use vm::{PERF_MAP_ENV, PreparedCode, Vm, VmConfig};
