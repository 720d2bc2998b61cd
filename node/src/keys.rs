//! Account keys: addresses of secp256k1 keys, hex key import/export, random keys, the
//! deterministic dev accounts. (The CLI keeps its key files itself, in `tidepool-cli`.)
//!
//! - [`address_of`]: the Ethereum address of a key (last 20 bytes of keccak256 of the
//!   uncompressed public key).
//! - [`generate_key`]: a fresh key from the operating system's random number generator.
//! - [`dev_accounts`]: the dev node's funded accounts, derived exactly as Hardhat and anvil
//!   derive theirs (BIP-39 seed of [`DEV_MNEMONIC`], BIP-32 path `m/44'/60'/0'/0/i`), so the first
//!   one is the well-known `0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266`. These keys are public
//!   knowledge: never use them outside a sandbox.

pub mod hd;

use std::sync::LazyLock;

use k256::ecdsa::{SigningKey, VerifyingKey};
use k256::elliptic_curve::Generate;
use tidepool_ledger::Address;

use self::hd::ExtendedKey;
use crate::error::{HostError, NodeError, Rejection};

/// The mnemonic of the dev accounts: the one Hardhat and anvil use, so wallets and tutorials
/// already know its addresses and keys.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How many dev accounts a dev node funds by default (anvil's default too).
pub const DEFAULT_DEV_ACCOUNTS: u32 = 10;

/// The Ethereum address of a signing key.
pub fn address_of(key: &SigningKey) -> Address {
    address_of_verifying_key(key.verifying_key())
}

/// The Ethereum address of a public key: the last 20 bytes of keccak256 of its uncompressed
/// encoding without the `0x04` tag.
pub fn address_of_verifying_key(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    let mut xy = [0u8; 64];
    // An uncompressed SEC1 point is 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
    xy.copy_from_slice(&point.as_bytes()[1..65]);
    Address::from_public_key_xy(&xy)
}

/// A new random key from the operating system's cryptographically secure generator.
///
/// # Errors
///
/// [`HostError::Entropy`] if the operating system's generator fails.
pub fn generate_key() -> Result<SigningKey, NodeError> {
    SigningKey::try_generate().map_err(|e| NodeError::Host(HostError::Entropy(e.to_string())))
}

/// Parses a private key written as `0x` + 64 hex digits (the `0x` is optional, as wallets
/// export keys both ways).
///
/// # Errors
///
/// [`Rejection::InvalidKey`] if `s` is not 32 bytes of hex, or is zero or not below the curve
/// order.
///
/// # Examples
///
/// ```
/// use tidepool_node::keys::{address_of, parse_private_key};
///
/// let key = parse_private_key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")?;
/// assert_eq!(address_of(&key).to_string(), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
/// # Ok::<(), tidepool_node::NodeError>(())
/// ```
pub fn parse_private_key(s: &str) -> Result<SigningKey, NodeError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(digits, &mut bytes)
        .map_err(|_| Rejection::InvalidKey("expected 0x followed by 64 hex digits".into()))?;
    SigningKey::from_slice(&bytes).map_err(|_| {
        NodeError::Rejected(Rejection::InvalidKey(
            "not a valid secp256k1 private key (zero or not below the curve order)".into(),
        ))
    })
}

/// The private key as `0x` + 64 lowercase hex digits, the form wallets import.
pub fn private_key_hex(key: &SigningKey) -> String {
    format!("0x{}", hex::encode(key.to_bytes()))
}

/// One deterministic dev account.
#[derive(Clone)]
pub struct DevAccount {
    /// The account's index `i` in the derivation path `m/44'/60'/0'/0/i`.
    pub index: u32,
    /// Its private key.
    pub key: SigningKey,
    /// Its address.
    pub address: Address,
}

impl std::fmt::Debug for DevAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is public knowledge, but printing it from Debug would be a bad habit to teach.
        f.debug_struct("DevAccount").field("index", &self.index).field("address", &self.address).finish()
    }
}

/// The first `count` dev accounts of [`DEV_MNEMONIC`]: the accounts Hardhat and anvil print.
///
/// # Examples
///
/// ```
/// let accounts = tidepool_node::keys::dev_accounts(2);
/// assert_eq!(accounts[0].address.to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// assert_eq!(accounts[1].address.to_string(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
/// ```
pub fn dev_accounts(count: u32) -> Vec<DevAccount> {
    // The seed's 2,048 rounds of PBKDF2 and the hardened path are the same for every call, and
    // a node's start called this a dozen times (the OpenAPI document's examples): once per
    // process. The built-in mnemonic is ASCII and derives valid keys at every index anvil uses,
    // so the only failure left is an index with a vanishingly unlikely (p ≈ 2^-127) invalid child.
    static PARENT: LazyLock<ExtendedKey> =
        LazyLock::new(|| mnemonic_parent(DEV_MNEMONIC).unwrap_or_else(|e| unreachable!("built-in mnemonic: {e}")));
    children(&PARENT, count).unwrap_or_else(|e| unreachable!("built-in mnemonic: {e}"))
}

/// The first `count` accounts of `mnemonic` at `m/44'/60'/0'/0/i` (BIP-39 seed with an empty
/// passphrase, BIP-32 derivation). The phrase is used as given: words are not checked against
/// the BIP-39 word list, and it must be ASCII (Unicode phrases would need NFKD normalisation).
///
/// # Errors
///
/// [`Rejection::InvalidMnemonic`] for a non-ASCII or empty phrase; [`Rejection::InvalidKey`] in
/// the BIP-32 case (probability about 2^-127 per index) where a child key is invalid.
pub fn dev_accounts_from_mnemonic(mnemonic: &str, count: u32) -> Result<Vec<DevAccount>, NodeError> {
    children(&mnemonic_parent(mnemonic)?, count)
}

/// The key at `m/44'/60'/0'/0` of `mnemonic`'s BIP-39 seed (empty passphrase).
fn mnemonic_parent(mnemonic: &str) -> Result<ExtendedKey, NodeError> {
    hd::derive_path(&hd::mnemonic_to_seed(mnemonic, "")?, &hd::ETHEREUM_ACCOUNT_PARENT)
}

/// The accounts at `parent`'s first `count` children.
fn children(parent: &ExtendedKey, count: u32) -> Result<Vec<DevAccount>, NodeError> {
    (0..count)
        .map(|index| {
            let key = parent.child(index)?.signing_key();
            Ok(DevAccount { index, address: address_of(&key), key })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anvil_accounts_are_reproduced() {
        // `anvil` start-up output (also Hardhat's default accounts).
        let expected = [
            (
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            ),
            (
                "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            ),
            (
                "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
            ),
            (
                "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
                "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
            ),
        ];
        let accounts = dev_accounts(DEFAULT_DEV_ACCOUNTS);
        assert_eq!(accounts.len(), 10);
        for (account, (address, key)) in
            [&accounts[0], &accounts[1], &accounts[2], &accounts[9]].into_iter().zip(expected)
        {
            assert_eq!(account.address.to_string(), address);
            assert_eq!(private_key_hex(&account.key), key);
        }
    }

    #[test]
    fn private_keys_round_trip_through_hex() {
        let key = generate_key().unwrap();
        let text = private_key_hex(&key);
        assert_eq!(text.len(), 66);
        assert_eq!(parse_private_key(&text).unwrap().to_bytes(), key.to_bytes());
        assert_eq!(parse_private_key(&text[2..]).unwrap().to_bytes(), key.to_bytes());
        assert_ne!(generate_key().unwrap().to_bytes(), key.to_bytes());
    }

    #[test]
    fn invalid_private_keys_are_refused() {
        let order = "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        for bad in [
            "",
            "0x",
            "0x00",
            "0x0000000000000000000000000000000000000000000000000000000000000000",
            order,
            "0xzz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8000",
        ] {
            assert!(matches!(parse_private_key(bad), Err(NodeError::Rejected(Rejection::InvalidKey(_)))), "{bad}");
        }
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let account = &dev_accounts(1)[0];
        assert!(!format!("{account:?}").contains("ac0974"));
    }
}
