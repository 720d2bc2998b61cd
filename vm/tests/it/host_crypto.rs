//! keccak256, sha256, secp256k1 verify and recover, address from public key.

use k256::ecdsa::SigningKey;
use sha2::{Digest as _, Sha256};
use tidepool_abi::status;
use tidepool_ledger::{Address, keccak256};
use tidepool_vm::Status;

use crate::support::*;

/// Input: op ‖ arguments; see each test.
const CRYPTO: &str = r#"
  (func (export "execute") (local $n i32) (local $op i32)
    (local.set $n (call $read_input))
    (local.set $op (i32.load8_u (i32.const 0x8000)))
    (if (i32.eq (local.get $op) (i32.const 107)) (then            ;; k: keccak256(data)
      (call $keccak256 (i32.const 0x8001) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0x100))
      (call $return (i32.const 0x100) (i32.const 32))))
    (if (i32.eq (local.get $op) (i32.const 115)) (then            ;; s: sha256(data)
      (call $sha256 (i32.const 0x8001) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0x100))
      (call $return (i32.const 0x100) (i32.const 32))))
    (if (i32.eq (local.get $op) (i32.const 118)) (then            ;; v: hash ‖ sig ‖ key
      (call $return_i32 (call $secp256k1_verify (i32.const 0x8001) (i32.const 0x8021) (i32.const 0x8061)
                                                (i32.sub (local.get $n) (i32.const 97))))))
    (if (i32.eq (local.get $op) (i32.const 114)) (then            ;; r: hash ‖ sig ‖ recovery id
      (i32.store (i32.const 0xFC) (call $secp256k1_recover (i32.const 0x8001) (i32.const 0x8021)
                                                           (i32.load8_u (i32.const 0x8061)) (i32.const 0x100)))
      (call $return (i32.const 0xFC) (i32.const 69))))
    (if (i32.eq (local.get $op) (i32.const 112)) (then            ;; p: key
      (i32.store (i32.const 0xFC) (call $address_from_pubkey (i32.const 0x8001) (i32.sub (local.get $n) (i32.const 1))
                                                             (i32.const 0x100)))
      (call $return (i32.const 0xFC) (i32.const 24)))))
  (func (export "query") (local $which i32)                       ;; hostile pointers and lengths
    (drop (call $read_input))
    (local.set $which (i32.load8_u (i32.const 0x8000)))
    (if (i32.eq (local.get $which) (i32.const 0)) (then (call $keccak256 (i32.const 65530) (i32.const 100) (i32.const 0))))
    (if (i32.eq (local.get $which) (i32.const 1)) (then (call $sha256 (i32.const 0) (i32.const 4) (i32.const 65530))))
    (if (i32.eq (local.get $which) (i32.const 2)) (then (call $keccak256 (i32.const 0) (i32.const -1) (i32.const 0))))
    (if (i32.eq (local.get $which) (i32.const 3)) (then
      (call $return_i32 (call $secp256k1_verify (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100000)))))
    (if (i32.eq (local.get $which) (i32.const 4)) (then
      (drop (call $secp256k1_verify (i32.const 0) (i32.const 65500) (i32.const 0) (i32.const 33)))))
    (if (i32.eq (local.get $which) (i32.const 5)) (then
      (drop (call $secp256k1_recover (i32.const 65530) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $which) (i32.const 6)) (then
      (call $return_i32 (call $address_from_pubkey (i32.const 0) (i32.const -1) (i32.const 0)))))
    (if (i32.eq (local.get $which) (i32.const 7)) (then
      (drop (call $address_from_pubkey (i32.const 65530) (i32.const 33) (i32.const 0))))))"#;

fn key() -> SigningKey {
    SigningKey::from_slice(&[7u8; 32]).unwrap()
}

fn signed(message: &[u8]) -> ([u8; 32], [u8; 64], u8) {
    let hash = keccak256(message).0;
    let (signature, recovery_id) = key().sign_prehash_recoverable(&hash);
    (hash, signature.to_bytes().as_slice().try_into().unwrap(), recovery_id.to_byte())
}

fn uncompressed() -> Vec<u8> {
    key().verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

/// A compressed key whose x is above the field prime: no such point.
fn not_a_point() -> Vec<u8> {
    [&[2u8][..], &[0xff; 32]].concat()
}

fn compressed() -> Vec<u8> {
    key().verifying_key().to_sec1_point(true).as_bytes().to_vec()
}

#[test]
fn hashes_match_known_vectors() {
    let mut chain = Chain::new();
    let c = chain.deploy(CRYPTO);
    assert_eq!(ok(&chain.execute(c, b"kabc")), keccak256(b"abc").0);
    assert_eq!(
        hex::encode(ok(&chain.execute(c, b"sabc"))),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(ok(&chain.execute(c, b"s")), Sha256::digest(b"").as_slice());
}

#[test]
fn verify_accepts_good_signatures_in_both_key_encodings_and_rejects_bad_ones() {
    let mut chain = Chain::new();
    let c = chain.deploy(CRYPTO);
    let (hash, signature, _) = signed(b"pay 5 to bob");
    let verify = |chain: &mut Chain, hash: &[u8], signature: &[u8], key: &[u8]| {
        let outcome = chain.execute(c, &[b"v", hash, signature, key].concat());
        i32::from_le_bytes(ok(&outcome).try_into().unwrap())
    };
    assert_eq!(verify(&mut chain, &hash, &signature, &uncompressed()), 1);
    assert_eq!(verify(&mut chain, &hash, &signature, &compressed()), 1);
    let other = keccak256(b"pay 500 to bob").0;
    assert_eq!(verify(&mut chain, &other, &signature, &compressed()), 0, "wrong message");
    assert_eq!(verify(&mut chain, &hash, &[0u8; 64], &compressed()), 0, "zero signature");
    assert_eq!(verify(&mut chain, &hash, &signature, &not_a_point()), 0, "not a curve point");
    assert_eq!(verify(&mut chain, &hash, &signature, &[4u8; 40]), 0, "bad key length");
}

#[test]
fn recover_returns_the_signers_key() {
    let mut chain = Chain::new();
    let c = chain.deploy(CRYPTO);
    let (hash, signature, recovery_id) = signed(b"hello");
    let out = ok(&chain.execute(c, &[b"r", &hash[..], &signature, &[recovery_id]].concat())).to_vec();
    assert_eq!(i32::from_le_bytes(out[..4].try_into().unwrap()), status::OK);
    assert_eq!(out[4..], uncompressed()[..]);

    let out = ok(&chain.execute(c, &[b"r", &hash[..], &signature, &[9]].concat())).to_vec();
    assert_eq!(i32::from_le_bytes(out[..4].try_into().unwrap()), status::INVALID_INPUT, "recovery id 9");
    let out = ok(&chain.execute(c, &[b"r", &hash[..], &[0u8; 64], &[0]].concat())).to_vec();
    assert_eq!(i32::from_le_bytes(out[..4].try_into().unwrap()), status::INVALID_INPUT, "zero signature");
}

#[test]
fn address_from_pubkey_matches_the_ledgers_derivation() {
    let mut chain = Chain::new();
    let c = chain.deploy(CRYPTO);
    let expected = Address::from_public_key_xy(uncompressed()[1..].try_into().unwrap());
    for key in [uncompressed(), compressed()] {
        let out = ok(&chain.execute(c, &[b"p", &key[..]].concat())).to_vec();
        assert_eq!(i32::from_le_bytes(out[..4].try_into().unwrap()), status::OK);
        assert_eq!(out[4..24], expected.0);
    }
    let out = ok(&chain.execute(c, &[&b"p"[..], &not_a_point()].concat())).to_vec();
    assert_eq!(i32::from_le_bytes(out[..4].try_into().unwrap()), status::INVALID_INPUT);
}

#[test]
fn hostile_crypto_arguments_trap_or_are_answered() {
    let mut chain = Chain::new();
    let c = chain.deploy(CRYPTO);
    assert_trap(&chain.query(c, &[0]), "keccak256");
    assert_trap(&chain.query(c, &[1]), "sha256");
    assert_eq!(chain.query(c, &[2]).status, Status::OutOfGas, "4 GiB to hash is paid for first");
    assert_eq!(ok(&chain.query(c, &[3])), 0i32.to_le_bytes(), "an oversized key is invalid, not read");
    assert_trap(&chain.query(c, &[4]), "secp256k1_verify: signature");
    assert_trap(&chain.query(c, &[5]), "secp256k1_recover: hash");
    assert_eq!(ok(&chain.query(c, &[6])), status::INVALID_INPUT.to_le_bytes());
    assert_trap(&chain.query(c, &[7]), "address_from_pubkey: public key");
}
