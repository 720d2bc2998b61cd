//! Hashes and secp256k1: keccak256, sha256, signature verification, public-key recovery, and
//! the Ethereum-style address of a public key.
//!
//! Malformed keys and signatures are answers (`0`, [`status::INVALID_INPUT`]), not traps: a
//! contract checking a user's signature must be able to reject it and carry on. Verification
//! accepts only low-s signatures (k256 normalizes, as Ethereum transactions require);
//! recovery accepts either, like Ethereum's `ecrecover`.
//!
//! # Potential denial of service
//! Hashing is charged per byte before the input is read; the input is hashed in place in
//! guest memory, never copied.

use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use sha2::{Digest as _, Sha256};
use tidepool_abi::{host as h, status};
use tidepool_ledger::Address;
use wasmtime::Caller;

use super::imports::AbiLinker;
use super::{HostState, charge, memory};

pub(super) fn register(linker: &mut AbiLinker) -> wasmtime::Result<()> {
    linker.define(h::KECCAK256, |c: Caller<'_, HostState>, ptr: i32, len: i32, out: i32| {
        hash(c, ptr, len, out, h::KECCAK256, tidepool_keccak::keccak256)
    })?;
    linker.define(h::SHA256, |c: Caller<'_, HostState>, ptr: i32, len: i32, out: i32| {
        hash(c, ptr, len, out, h::SHA256, |data| Sha256::digest(data).into())
    })?;
    linker.define(h::SECP256K1_VERIFY, secp256k1_verify)?;
    linker.define(h::SECP256K1_RECOVER, secp256k1_recover)?;
    linker.define(h::ADDRESS_FROM_PUBKEY, address_from_pubkey)?;
    Ok(())
}

fn hash(
    mut caller: Caller<'_, HostState>,
    ptr: i32,
    len: i32,
    out: i32,
    what: &str,
    digest: impl FnOnce(&[u8]) -> [u8; 32],
) -> wasmtime::Result<()> {
    let len = len as u32 as usize;
    charge(&mut caller, |g| g.host_call + g.hash_base + g.hash_per_byte.saturating_mul(len as u64))?;
    let data = memory::of(&caller)?.data_mut(&mut caller);
    let hash = digest(memory::read(data, ptr, len, what)?);
    memory::write(data, out, &hash, what)?;
    Ok(())
}

/// A SEC1 public key length the ABI accepts: compressed or uncompressed.
fn is_sec1_len(len: i32) -> bool {
    len == 33 || len == 65
}

fn secp256k1_verify(
    mut caller: Caller<'_, HostState>,
    hash_ptr: i32,
    sig_ptr: i32,
    key_ptr: i32,
    key_len: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, |g| g.host_call + g.secp256k1_verify)?;
    let data = memory::of(&caller)?.data(&caller);
    let hash: [u8; 32] = memory::read_array(data, hash_ptr, "secp256k1_verify: hash")?;
    let signature: [u8; 64] = memory::read_array(data, sig_ptr, "secp256k1_verify: signature")?;
    if !is_sec1_len(key_len) {
        return Ok(0);
    }
    let key = memory::read(data, key_ptr, key_len as usize, "secp256k1_verify: public key")?;
    let valid = match (VerifyingKey::from_sec1_bytes(key), Signature::from_slice(&signature)) {
        (Ok(key), Ok(signature)) => key.verify_prehash(&hash, &signature).is_ok(),
        _ => false,
    };
    Ok(i32::from(valid))
}

fn secp256k1_recover(
    mut caller: Caller<'_, HostState>,
    hash_ptr: i32,
    sig_ptr: i32,
    recovery_id: i32,
    out: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, |g| g.host_call + g.secp256k1_recover)?;
    let data = memory::of(&caller)?.data_mut(&mut caller);
    let hash: [u8; 32] = memory::read_array(data, hash_ptr, "secp256k1_recover: hash")?;
    let signature: [u8; 64] = memory::read_array(data, sig_ptr, "secp256k1_recover: signature")?;
    let recovery_id = u8::try_from(recovery_id).ok().and_then(RecoveryId::from_byte);
    let key = match (Signature::from_slice(&signature), recovery_id) {
        (Ok(signature), Some(id)) => VerifyingKey::recover_from_prehash(&hash, &signature, id).ok(),
        _ => None,
    };
    let Some(key) = key else {
        return Ok(status::INVALID_INPUT);
    };
    memory::write(data, out, key.to_sec1_point(false).as_bytes(), "secp256k1_recover: out")?;
    Ok(status::OK)
}

fn address_from_pubkey(
    mut caller: Caller<'_, HostState>,
    key_ptr: i32,
    key_len: i32,
    out: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, |g| g.host_call + g.address_from_pubkey)?;
    if !is_sec1_len(key_len) {
        return Ok(status::INVALID_INPUT);
    }
    let data = memory::of(&caller)?.data_mut(&mut caller);
    let key = memory::read(data, key_ptr, key_len as usize, "address_from_pubkey: public key")?;
    let Ok(key) = VerifyingKey::from_sec1_bytes(key) else {
        return Ok(status::INVALID_INPUT);
    };
    let point = key.to_sec1_point(false);
    let xy: &[u8; 64] = point.as_bytes()[1..].try_into().expect("an uncompressed SEC1 point is 65 bytes");
    memory::write(data, out, &Address::from_public_key_xy(xy).0, "address_from_pubkey: out")?;
    Ok(status::OK)
}
