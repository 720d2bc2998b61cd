//! Hashes and secp256k1, computed by the host (natively, for a fraction of the gas that the
//! same code compiled to wasm would cost).

use crate::{Address, sys};

/// keccak256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: a valid slice and a 32-byte output buffer.
    unsafe { sys::keccak256(data.as_ptr(), data.len() as i32, out.as_mut_ptr()) };
    out
}

/// sha256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: a valid slice and a 32-byte output buffer.
    unsafe { sys::sha256(data.as_ptr(), data.len() as i32, out.as_mut_ptr()) };
    out
}

/// Whether the 64-byte `r‖s` signature over `hash` is valid for the SEC1 public key `pubkey`
/// (33 or 65 bytes).
pub fn secp256k1_verify(hash: &[u8; 32], signature: &[u8; 64], pubkey: &[u8]) -> bool {
    // SAFETY: fixed-size buffers as the ABI requires, and a valid slice.
    unsafe { sys::secp256k1_verify(hash.as_ptr(), signature.as_ptr(), pubkey.as_ptr(), pubkey.len() as i32) == 1 }
}

/// Recovers the uncompressed (65-byte) public key that made `signature` over `hash`, or `None`
/// for an invalid signature or recovery id.
pub fn secp256k1_recover(hash: &[u8; 32], signature: &[u8; 64], recovery_id: u8) -> Option<[u8; 65]> {
    let mut out = [0u8; 65];
    // SAFETY: fixed-size buffers as the ABI requires.
    let status =
        unsafe { sys::secp256k1_recover(hash.as_ptr(), signature.as_ptr(), i32::from(recovery_id), out.as_mut_ptr()) };
    (status == tidepool_abi::status::OK).then_some(out)
}

/// The Ethereum-style address of a SEC1 public key, or `None` if it is not a valid key.
pub fn address_from_pubkey(pubkey: &[u8]) -> Option<Address> {
    let mut out = [0u8; 20];
    // SAFETY: a valid slice and a 20-byte output buffer.
    let status = unsafe { sys::address_from_pubkey(pubkey.as_ptr(), pubkey.len() as i32, out.as_mut_ptr()) };
    (status == tidepool_abi::status::OK).then_some(Address(out))
}
