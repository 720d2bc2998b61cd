//! The `personal_sign` vector from the web3.js documentation:
//! `web3.eth.accounts.sign('Some data', '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318')`.

use tidepool_node::keys::{address_of, parse_private_key};
use tidepool_node::signature::{RecoverableSignature, personal_message_digest, recover_signer, sign_message};

pub(crate) const PRIVATE_KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
pub(crate) const ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const MESSAGE: &[u8] = b"Some data";
const MESSAGE_HASH: &str = "0x1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655";
const SIGNATURE: &str = "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd\
                         6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029\
                         1c";

#[test]
fn the_key_has_the_published_address() {
    let key = parse_private_key(PRIVATE_KEY).unwrap();
    assert_eq!(address_of(&key).to_string(), ADDRESS);
}

#[test]
fn the_message_hash_is_the_published_one() {
    assert_eq!(personal_message_digest(MESSAGE).to_string(), MESSAGE_HASH);
}

#[test]
fn the_published_signature_recovers_the_published_address() {
    let signature: RecoverableSignature = SIGNATURE.parse().unwrap();
    assert_eq!(signature.v(), 28);
    assert_eq!(recover_signer(MESSAGE, &signature).unwrap().to_string(), ADDRESS);
    assert_ne!(recover_signer(b"Some date", &signature).unwrap().to_string(), ADDRESS);
}

#[test]
fn our_signer_reproduces_the_published_signature_byte_for_byte() {
    let key = parse_private_key(PRIVATE_KEY).unwrap();
    assert_eq!(sign_message(MESSAGE, &key).to_string(), SIGNATURE);
}
