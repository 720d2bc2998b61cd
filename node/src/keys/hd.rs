//! Hierarchical deterministic keys: the BIP-39 seed of a mnemonic and BIP-32 private-key
//! derivation, just enough to reproduce the dev accounts every Ethereum tool derives from a
//! mnemonic at `m/44'/60'/0'/0/i`.
//!
//! HMAC-SHA512 and PBKDF2 are written out here over the `sha2` that k256 re-exports (a dozen
//! lines, checked against the RFC 4231 and BIP-32 test vectors below) rather than adding crates
//! to the workspace for a dev-only key derivation.

use k256::ecdsa::SigningKey;
use k256::elliptic_curve::PrimeField;
use k256::sha2::{Digest, Sha512};
use k256::{FieldBytes, Scalar};

use crate::error::{NodeError, Rejection};

/// Marks a hardened child index (BIP-32's `i'`).
pub const HARDENED: u32 = 1 << 31;

/// `m/44'/60'/0'/0`: BIP-44 purpose, Ethereum's coin type, account 0, external chain. Account
/// `i` is this path's child `i`.
pub const ETHEREUM_ACCOUNT_PARENT: [u32; 4] = [44 | HARDENED, 60 | HARDENED, HARDENED, 0];

/// BIP-39's PBKDF2 iteration count.
const BIP39_ROUNDS: u32 = 2048;

/// SHA-512's block size in bytes, which HMAC pads its key to.
const SHA512_BLOCK: usize = 128;

/// HMAC-SHA512 with its key already absorbed, so one key can MAC many messages cheaply
/// (PBKDF2 MACs 2048 messages under the same key).
#[derive(Clone)]
struct HmacSha512 {
    inner: Sha512,
    outer: Sha512,
}

impl HmacSha512 {
    fn new(key: &[u8]) -> Self {
        let mut block = [0u8; SHA512_BLOCK];
        if key.len() > SHA512_BLOCK {
            block[..64].copy_from_slice(&Sha512::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha512::new();
        inner.update(block.map(|b| b ^ 0x36));
        let mut outer = Sha512::new();
        outer.update(block.map(|b| b ^ 0x5c));
        HmacSha512 { inner, outer }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 64] {
        let mut inner = self.inner.clone();
        for part in parts {
            inner.update(part);
        }
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

/// The BIP-39 seed of `mnemonic` with `passphrase`: PBKDF2-HMAC-SHA512 of the phrase, salted
/// with `"mnemonic" ‖ passphrase`, 2048 rounds, 64 bytes. Words may be separated by any
/// whitespace (they are joined with single spaces); they are not checked against a word list.
///
/// # Errors
///
/// [`Rejection::InvalidMnemonic`] if the phrase is empty or not ASCII (non-ASCII phrases would
/// need Unicode NFKD normalisation first, which this sandbox does not carry).
pub fn mnemonic_to_seed(mnemonic: &str, passphrase: &str) -> Result<[u8; 64], NodeError> {
    if !mnemonic.is_ascii() || !passphrase.is_ascii() {
        return Err(Rejection::InvalidMnemonic("only ASCII phrases are supported".into()).into());
    }
    let phrase = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
    if phrase.is_empty() {
        return Err(Rejection::InvalidMnemonic("the phrase is empty".into()).into());
    }
    let hmac = HmacSha512::new(phrase.as_bytes());
    let salt = format!("mnemonic{passphrase}");
    // 64 bytes is one SHA-512 output, so PBKDF2 needs only its first block (index 1).
    let mut u = hmac.mac(&[salt.as_bytes(), &1u32.to_be_bytes()]);
    let mut seed = u;
    for _ in 1..BIP39_ROUNDS {
        u = hmac.mac(&[&u]);
        seed.iter_mut().zip(u).for_each(|(s, x)| *s ^= x);
    }
    Ok(seed)
}

/// A BIP-32 extended private key: a key and its chain code.
#[derive(Clone)]
pub struct ExtendedKey {
    key: SigningKey,
    chain_code: [u8; 32],
}

impl ExtendedKey {
    /// The master key of `seed`: HMAC-SHA512 keyed with `"Bitcoin seed"`.
    ///
    /// # Errors
    ///
    /// [`Rejection::InvalidKey`] if the seed's left half is not a valid key (p ≈ 2^-127).
    pub fn master(seed: &[u8]) -> Result<Self, NodeError> {
        let i = HmacSha512::new(b"Bitcoin seed").mac(&[seed]);
        let (left, right) = split(&i);
        let key = SigningKey::from_slice(&left).map_err(|_| invalid_child())?;
        Ok(ExtendedKey { key, chain_code: right })
    }

    /// Child `index` (hardened when `index >= HARDENED`): BIP-32's CKDpriv.
    ///
    /// # Errors
    ///
    /// [`Rejection::InvalidKey`] in BIP-32's "proceed with the next index" case (p ≈ 2^-127).
    pub fn child(&self, index: u32) -> Result<Self, NodeError> {
        let mac = HmacSha512::new(&self.chain_code);
        let i = if index >= HARDENED {
            mac.mac(&[&[0], &self.key.to_bytes(), &index.to_be_bytes()])
        } else {
            let public = self.key.verifying_key().to_sec1_point(true);
            mac.mac(&[public.as_bytes(), &index.to_be_bytes()])
        };
        let (left, right) = split(&i);
        let tweak: Scalar = Option::from(Scalar::from_repr(FieldBytes::from(left))).ok_or_else(invalid_child)?;
        let child = tweak + self.key.as_nonzero_scalar().as_ref();
        let key = SigningKey::from_bytes(&child.to_repr()).map_err(|_| invalid_child())?;
        Ok(ExtendedKey { key, chain_code: right })
    }

    /// The private key.
    pub fn signing_key(&self) -> SigningKey {
        self.key.clone()
    }
}

/// The extended key at `path` (a list of child indices, hardened ones or-ed with [`HARDENED`])
/// below the master key of `seed`.
///
/// # Errors
///
/// As [`ExtendedKey::child`].
pub fn derive_path(seed: &[u8], path: &[u32]) -> Result<ExtendedKey, NodeError> {
    path.iter().try_fold(ExtendedKey::master(seed)?, |key, &index| key.child(index))
}

fn split(i: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut left = [0u8; 32];
    let mut right = [0u8; 32];
    left.copy_from_slice(&i[..32]);
    right.copy_from_slice(&i[32..]);
    (left, right)
}

fn invalid_child() -> NodeError {
    NodeError::Rejected(Rejection::InvalidKey(
        "BIP-32 derivation produced an invalid key at this index; use another index".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha512_matches_rfc4231() {
        // RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
        let cases: [(&[u8], &[u8], &str); 3] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                 daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                 6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hex::encode(HmacSha512::new(key).mac(&[data])), expected);
        }
    }

    #[test]
    fn bip32_test_vector_1() {
        // BIP-32 test vector 1: chain m/0'/1/2'/2/1000000000.
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let cases: [(&[u32], &str); 3] = [
            (&[], "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"),
            (&[HARDENED, 1, 2 | HARDENED], "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca"),
            (
                &[HARDENED, 1, 2 | HARDENED, 2, 1_000_000_000],
                "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(hex::encode(derive_path(&seed, path).unwrap().key.to_bytes()), expected);
        }
    }

    #[test]
    fn bip39_seed_of_the_dev_mnemonic() {
        // Whitespace is normalised, so these give the same seed.
        let a = mnemonic_to_seed(crate::keys::DEV_MNEMONIC, "").unwrap();
        let b = mnemonic_to_seed("  test test test test test test test test test test test\tjunk ", "").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, mnemonic_to_seed(crate::keys::DEV_MNEMONIC, "passphrase").unwrap());
        assert!(matches!(mnemonic_to_seed("   ", ""), Err(NodeError::Rejected(Rejection::InvalidMnemonic(_)))));
        assert!(matches!(mnemonic_to_seed("tést", ""), Err(NodeError::Rejected(Rejection::InvalidMnemonic(_)))));
    }
}
