//! Signing Tidepool transactions with the web3.js vector's key, and tampering with them.

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use proptest::prelude::*;
use serde_json::{Value, json};
use tidepool_node::error::{Rejection, RejectionKind};
use tidepool_node::keys::{address_of, address_of_verifying_key, parse_private_key};
use tidepool_node::signature::{RecoverableSignature, personal_message_digest, sign_message};
use tidepool_node::{Action, NodeError, SignedTransaction, Transaction};

use crate::web3_vector::{ADDRESS, PRIVATE_KEY};

fn key() -> SigningKey {
    parse_private_key(PRIVATE_KEY).unwrap()
}

/// The transaction of the pinned vector below.
fn transfer() -> Transaction {
    Transaction {
        chain_id: 1337,
        nonce: 0,
        from: ADDRESS.parse().unwrap(),
        gas_limit: 100_000,
        action: Action::Transfer {
            to: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap(),
            amount: 1_000_000_000_000_000_000,
        },
    }
}

/// What a client (e.g. JavaScript with a JCS library, or by hand) builds and signs.
const TRANSFER_CANONICAL: &str = concat!(
    r#"{"action":{"amount":"1000000000000000000","to":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","type":"transfer"},"#,
    r#""chain_id":1337,"from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","gas_limit":100000,"nonce":0}"#
);
/// Regression values produced by this implementation (RFC 6979 makes them deterministic), for
/// client libraries to test against: keccak256 of the canonical JSON, and its `personal_sign`.
const TRANSFER_HASH: &str = "0xeb840d2c5c25539f3d1dec9dcb698ad037f483131c644ef16675cfe75c139c39";
const TRANSFER_SIGNATURE: &str = "0xa91911bdae9de73b93c74d84ea68954d96039a07ff5c27218dade9d56992d48e\
                                  74634fac6b6dfd657f2aee988fc85bece321f0825c20f25834a1428e4e65a1a3\
                                  1c";

#[test]
fn a_tidepool_transaction_signed_with_the_vector_key_checks() {
    let tx = transfer();
    assert_eq!(String::from_utf8(tx.canonical_bytes().unwrap()).unwrap(), TRANSFER_CANONICAL);
    let signed = tx.clone().sign(&key()).unwrap();
    let checked = signed.check().unwrap();
    assert_eq!(checked.sender().to_string(), ADDRESS);
    assert_eq!(checked.hash().to_string(), TRANSFER_HASH);
    assert_eq!(signed.signature.to_string(), TRANSFER_SIGNATURE);
}

#[test]
fn a_client_signing_the_canonical_text_itself_is_accepted() {
    // As a wallet would: personal_sign over the canonical JSON string, then submit the
    // transaction in any key order and spacing, addresses in lowercase.
    let signature = sign_message(TRANSFER_CANONICAL.as_bytes(), &key());
    let body = format!(
        r#"{{ "signature": "{signature}",
              "tx": {{ "nonce": 0, "gas_limit": 100000, "chain_id": 1337,
                       "action": {{ "type": "transfer", "to": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                                    "amount": "1000000000000000000" }},
                       "from": "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23" }} }}"#
    );
    let signed = SignedTransaction::from_json(body.as_bytes()).unwrap();
    assert_eq!(signed.tx, transfer());
    assert_eq!(signed.check().unwrap().sender().to_string(), ADDRESS);
}

#[test]
fn every_action_signs_and_checks() {
    let key = key();
    let from = address_of(&key);
    let actions = [
        Action::UploadCode { wasm: b"\0asm\x01\0\0\0".to_vec() },
        Action::Instantiate {
            code_hash: tidepool_ledger::keccak256(b"\0asm\x01\0\0\0"),
            msg: json!({ "name": "Ünïcødé \"token\"", "decimals": 18, "admins": [] }),
            funds: 0,
            label: "token".into(),
            admin: Some(from),
        },
        Action::Execute {
            contract: tidepool_ledger::Address([9; 20]),
            msg: json!({ "mint": { "amount": "5" } }),
            funds: 7,
        },
        Action::Migrate {
            contract: tidepool_ledger::Address([9; 20]),
            new_code_hash: tidepool_ledger::Hash([1; 32]),
            msg: json!({}),
        },
    ];
    for (nonce, action) in (1..).zip(actions) {
        let tx = Transaction { chain_id: 1337, nonce, from, gas_limit: 10_000_000, action };
        let signed = tx.sign(&key).unwrap();
        let json = serde_json::to_vec(&signed).unwrap();
        let checked = SignedTransaction::from_json(&json).unwrap().check().unwrap();
        assert_eq!(checked.sender(), from);
    }
}

/// The JSON a client would submit for [`transfer`], as a mutable value.
fn submitted() -> Value {
    serde_json::to_value(transfer().sign(&key()).unwrap()).unwrap()
}

fn check(body: &Value) -> Result<(), NodeError> {
    SignedTransaction::from_json(body.to_string().as_bytes())?.check().map(|_| ())
}

#[test]
fn changing_any_signed_field_makes_it_another_signer() {
    let changes: [(&str, Value); 6] = [
        ("/tx/chain_id", json!(1)),
        ("/tx/nonce", json!(1)),
        ("/tx/gas_limit", json!(100_001)),
        ("/tx/action/amount", json!("1000000000000000001")),
        ("/tx/action/to", json!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        ("/tx/from", json!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
    ];
    assert!(check(&submitted()).is_ok());
    for (pointer, value) in changes {
        let mut body = submitted();
        *body.pointer_mut(pointer).unwrap() = value;
        let err = check(&body).unwrap_err();
        assert!(matches!(err, NodeError::Rejected(Rejection::WrongSigner { .. })), "{pointer}: {err}");
        assert_eq!(err.code(), "wrong_signer");
        assert_eq!(err.rejection().map(Rejection::kind), Some(RejectionKind::Unauthorized));
    }
}

/// The signature's `r‖s‖v` with `s` replaced by `n − s` and `v` flipped: the malleable twin,
/// which is just as valid under plain ECDSA.
fn high_s_twin(signature: &RecoverableSignature) -> RecoverableSignature {
    let bytes = signature.to_bytes();
    let low = Signature::from_slice(&bytes[..64]).unwrap();
    let high = Signature::from_scalars(low.r(), -low.s()).unwrap();
    let mut twin = [0u8; 65];
    twin[..64].copy_from_slice(&high.to_bytes());
    twin[64] = if bytes[64] == 27 { 28 } else { 27 };
    RecoverableSignature::from_slice(&twin).unwrap()
}

#[test]
fn the_high_s_twin_is_refused_though_plain_ecdsa_would_accept_it() {
    let signed = transfer().sign(&key()).unwrap();
    let twin = high_s_twin(&signed.signature);

    // Without the low-s rule the twin recovers the very same key: that is the malleability.
    let digest = personal_message_digest(&signed.tx.canonical_bytes().unwrap());
    let twin_bytes = twin.to_bytes();
    let recovery_id = RecoveryId::from_byte(twin_bytes[64] - 27).unwrap();
    let high = Signature::from_slice(&twin_bytes[..64]).unwrap();
    let recovered = VerifyingKey::recover_from_prehash(&digest.0, &high, recovery_id).unwrap();
    assert_eq!(address_of_verifying_key(&recovered).to_string(), ADDRESS);

    let tampered = SignedTransaction { signature: twin, ..signed };
    let err = tampered.check().unwrap_err();
    assert!(matches!(err, NodeError::Rejected(Rejection::MalleableSignature)), "{err}");
}

#[test]
fn bad_recovery_bytes_are_refused() {
    let good = submitted()["signature"].as_str().unwrap().to_owned();
    for v in ["00", "01", "1b", "1c"] {
        let mut body = submitted();
        body["signature"] = json!(format!("{}{v}", &good[..130]));
        // 0/1 and 27/28 are the same recovery ids; exactly one of each pair is this signer.
        let result = check(&body);
        assert!(
            result.is_ok() || matches!(result, Err(NodeError::Rejected(Rejection::WrongSigner { .. }))),
            "v={v}: {result:?}"
        );
    }
    for v in ["02", "1a", "1d", "25", "ff"] {
        let mut body = submitted();
        body["signature"] = json!(format!("{}{v}", &good[..130]));
        let err = check(&body).unwrap_err();
        assert!(matches!(err, NodeError::Rejected(Rejection::BadRecoveryId(_))), "v={v}: {err}");
    }
}

#[test]
fn malformed_signatures_are_refused_when_decoding() {
    let good = submitted()["signature"].as_str().unwrap().to_owned();
    let bad: [Value; 7] = [
        json!(&good[..good.len() - 2]),
        json!(format!("{good}00")),
        json!(&good[2..]),
        json!(format!("0x{}", "zz".repeat(65))),
        json!(""),
        json!(null),
        json!(12),
    ];
    for signature in bad {
        let mut body = submitted();
        body["signature"] = signature.clone();
        let err = check(&body).unwrap_err();
        assert!(matches!(err, NodeError::Rejected(Rejection::MalformedTransaction(_))), "{signature}: {err}");
        assert_eq!(err.code(), "malformed_transaction");
    }
    let mut body = submitted();
    body.as_object_mut().unwrap().remove("signature");
    assert!(matches!(check(&body), Err(NodeError::Rejected(Rejection::MalformedTransaction(_)))));
}

proptest! {
    #[test]
    fn arbitrary_signature_bytes_never_panic_and_never_pass(bytes in prop::array::uniform32(any::<u8>()),
                                                          more in prop::array::uniform32(any::<u8>()),
                                                          v in any::<u8>()) {
        let mut raw = [0u8; 65];
        raw[..32].copy_from_slice(&bytes);
        raw[32..64].copy_from_slice(&more);
        raw[64] = v;
        let signature = RecoverableSignature::from_slice(&raw).unwrap();
        let forged = SignedTransaction { tx: transfer(), signature };
        prop_assert!(forged.check().is_err());
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in ".{0,300}") {
        let _ = SignedTransaction::from_json(body.as_bytes()).and_then(|s| s.check().map(|_| ()));
    }
}
