//! Entry points: the [`entry_points!`](crate::entry_points) macro and the glue it expands to.
//!
//! A contract declares its handlers once; the macro exports `instantiate`/`execute`/`query`/
//! `migrate` (`() -> ()`, as ABI v1 requires), the `tidepool_abi_v1` marker and, on request, the
//! `tidepool_reentrant` opt-in. Each export reads the JSON input, deserializes the handler's
//! message type, runs it, and either sets the return data or aborts with the error's message.

use alloc::format;
use alloc::vec::Vec;
use core::fmt::Display;

use serde::de::DeserializeOwned;

use crate::{Binary, Context, Response, sys};

/// Ends the call as reverted with `message`; its writes, events and transfers are undone.
pub fn abort(message: &str) -> ! {
    // Longer messages are cut (on a character boundary, so they stay UTF-8).
    let mut len = message.len().min(tidepool_abi::limits::MAX_MESSAGE_LEN as usize);
    while !message.is_char_boundary(len) {
        len -= 1;
    }
    let msg = &message.as_bytes()[..len];
    // SAFETY: a valid slice.
    unsafe { sys::abort(msg.as_ptr(), msg.len() as i32) }
}

/// The raw input message of this call.
pub fn read_input() -> Vec<u8> {
    // SAFETY: the host writes exactly `input_len` bytes into a buffer of that capacity.
    unsafe {
        let len = sys::input_len().max(0) as usize;
        let mut buf = Vec::with_capacity(len);
        sys::input_read(buf.as_mut_ptr());
        buf.set_len(len);
        buf
    }
}

/// Sets this call's return data (replacing any earlier value).
pub fn set_return(data: &[u8]) {
    // SAFETY: a valid slice.
    unsafe { sys::set_return(data.as_ptr(), data.len() as i32) }
}

fn parse_input<M: DeserializeOwned>() -> M {
    let input = read_input();
    match serde_json::from_slice(&input) {
        Ok(msg) => msg,
        Err(e) => abort(&format!("invalid message: {e}")),
    }
}

/// Runs a state-changing handler (`instantiate`, `execute`, `migrate`). Used by the macro.
pub fn run_execute<M, E, F>(handler: F)
where
    M: DeserializeOwned,
    E: Display,
    F: FnOnce(&Context, M) -> Result<Response, E>,
{
    let msg = parse_input::<M>();
    match handler(&Context::new(), msg) {
        Ok(response) => response.finish(),
        Err(e) => abort(&format!("{e}")),
    }
}

/// Runs a query handler. Used by the macro.
pub fn run_query<M, E, F>(handler: F)
where
    M: DeserializeOwned,
    E: Display,
    F: FnOnce(&Context, M) -> Result<Binary, E>,
{
    let msg = parse_input::<M>();
    match handler(&Context::new(), msg) {
        Ok(data) => set_return(&data.0),
        Err(e) => abort(&format!("{e}")),
    }
}

/// The handlers a contract declared, as plain functions: what the native test double
/// ([`crate::testing`]) runs in place of the wasm exports.
#[derive(Clone, Copy)]
pub struct EntryPoints {
    /// `instantiate`.
    pub instantiate: Option<fn()>,
    /// `execute`.
    pub execute: Option<fn()>,
    /// `query`.
    pub query: Option<fn()>,
    /// `migrate`.
    pub migrate: Option<fn()>,
    /// Whether the contract opted in to re-entrant calls.
    pub reentrant: bool,
}

/// Declares a contract's entry points, once per contract crate.
///
/// Each line names an entry point and its handler; `reentrant;` opts in to being called while
/// already on the call stack (most contracts should not). Handlers have the signatures
/// `fn(&Context, Msg) -> Result<Response, E>` (instantiate, execute, migrate) and
/// `fn(&Context, Msg) -> Result<Binary, E>` (query), where `Msg: DeserializeOwned` and
/// `E: Display`. An `Err` aborts the call with `E`'s message.
///
/// ```ignore
/// tidepool_sdk::entry_points! {
///     instantiate = instantiate;
///     execute = execute;
///     query = query;
/// }
/// ```
///
/// On wasm32 this exports the functions the VM calls. Elsewhere it defines
/// `pub const ENTRY_POINTS: tidepool_sdk::EntryPoints` for the native test double.
#[macro_export]
macro_rules! entry_points {
    ($($kind:ident $(= $handler:path)?;)*) => {
        /// Marks this module as built for Tidepool ABI v1.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn tidepool_abi_v1() {}

        $( $crate::__entry_point!($kind $(= $handler)?); )*

        /// This contract's handlers, for the native test double.
        #[cfg(not(target_arch = "wasm32"))]
        pub const ENTRY_POINTS: $crate::EntryPoints = {
            #[allow(unused_mut)]
            let mut e = $crate::EntryPoints {
                instantiate: None,
                execute: None,
                query: None,
                migrate: None,
                reentrant: false,
            };
            $( $crate::__entry_point_native!(e, $kind $(= $handler)?); )*
            e
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __entry_point {
    (instantiate = $h:path) => {
        /// Entry point: instantiate.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = "instantiate")]
        pub extern "C" fn __tidepool_instantiate() {
            $crate::entry::run_execute($h)
        }
    };
    (execute = $h:path) => {
        /// Entry point: execute.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = "execute")]
        pub extern "C" fn __tidepool_execute() {
            $crate::entry::run_execute($h)
        }
    };
    (query = $h:path) => {
        /// Entry point: query.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = "query")]
        pub extern "C" fn __tidepool_query() {
            $crate::entry::run_query($h)
        }
    };
    (migrate = $h:path) => {
        /// Entry point: migrate.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = "migrate")]
        pub extern "C" fn __tidepool_migrate() {
            $crate::entry::run_execute($h)
        }
    };
    (reentrant) => {
        /// Opts in to re-entrant calls.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn tidepool_reentrant() {}
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __entry_point_native {
    ($e:ident, instantiate = $h:path) => {
        $e.instantiate = Some(|| $crate::entry::run_execute($h));
    };
    ($e:ident, execute = $h:path) => {
        $e.execute = Some(|| $crate::entry::run_execute($h));
    };
    ($e:ident, query = $h:path) => {
        $e.query = Some(|| $crate::entry::run_query($h));
    };
    ($e:ident, migrate = $h:path) => {
        $e.migrate = Some(|| $crate::entry::run_execute($h));
    };
    ($e:ident, reentrant) => {
        $e.reentrant = true;
    };
}
