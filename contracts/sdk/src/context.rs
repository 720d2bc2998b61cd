//! [`Context`]: who is calling, in which block, with what attached. Every accessor is one host
//! call, made only when asked for (so a handler pays only for what it reads).

use crate::{Address, sys};

/// The call's context, handed to every handler.
#[derive(Debug)]
#[non_exhaustive]
pub struct Context {}

impl Context {
    pub(crate) fn new() -> Self {
        Context {}
    }

    /// This contract's own address.
    pub fn self_address(&self) -> Address {
        read_address(|p| unsafe { sys::self_address(p) })
    }

    /// The immediate caller: the signer for a top-level call, the calling contract otherwise.
    pub fn caller(&self) -> Address {
        read_address(|p| unsafe { sys::caller(p) })
    }

    /// The transaction's signer.
    pub fn origin(&self) -> Address {
        read_address(|p| unsafe { sys::origin(p) })
    }

    /// The block height.
    pub fn block_height(&self) -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::block_height() as u64 }
    }

    /// The block time, in Unix seconds.
    pub fn block_time(&self) -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::block_time() as u64 }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::chain_id() as u64 }
    }

    /// Native funds attached to this call (already credited to this contract).
    pub fn funds(&self) -> u128 {
        let mut out = [0u8; 16];
        // SAFETY: a 16-byte buffer, as the ABI requires.
        unsafe { sys::attached_funds(out.as_mut_ptr()) };
        u128::from_le_bytes(out)
    }

    /// Gas left in this frame.
    pub fn gas_left(&self) -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::gas_left() as u64 }
    }
}

/// Runs a host function that writes a 20-byte address to the pointer it is given.
pub(crate) fn read_address(f: impl FnOnce(*mut u8)) -> Address {
    let mut out = [0u8; 20];
    f(out.as_mut_ptr());
    Address(out)
}
