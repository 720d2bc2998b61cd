//! Ethereum-compatible message signatures: EIP-191 `personal_sign`, 65-byte `r‖s‖v`, and signer
//! recovery with k256.
//!
//! What is signed is the digest
//! `keccak256("\x19Ethereum Signed Message:\n" ‖ decimal byte length of message ‖ message)`,
//! exactly what `personal_sign` in MetaMask, `web3.eth.accounts.sign`, ethers'
//! `Wallet.signMessage` and viem's `signMessage` compute, so any Ethereum wallet or library signs
//! Tidepool transactions unmodified. A signature is `r` (32 bytes) ‖ `s` (32 bytes) ‖ `v`
//! (1 byte, 27 or 28; 0 or 1 are accepted as the same).
//!
//! Verification recovers the signer's public key from the digest and signature and derives its
//! address; there is no public key in a transaction. Only low-s signatures are accepted (as in
//! EIP-2): for every valid `(r, s)` the pair `(r, n − s)` is valid too, and refusing the upper
//! half makes each signature the only encoding of itself.
//!
//! Start with [`sign_message`] and [`recover_signer`]; transactions use them through
//! [`crate::tx`]. Many signatures at once: [`recover_digest_signers`].

use std::fmt;
use std::str::FromStr;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tidepool_keccak::Keccak256;
use tidepool_ledger::{Address, Hash};

use crate::error::{NodeError, Rejection};
use crate::keys::address_of_verifying_key;

mod batch;

pub use batch::recover_digest_signers;

/// The EIP-191 version `0x45` (`E`) prefix, followed by the message length in decimal.
const PERSONAL_MESSAGE_PREFIX: &[u8] = b"\x19Ethereum Signed Message:\n";

/// A 65-byte `r‖s‖v` signature as Ethereum wallets produce it, shown as `0x` + 130 hex digits.
///
/// Parsing checks only the shape (length and hex); whether `v`, `r` and `s` are acceptable is
/// decided by [`recover_signer`], so that each reason gets its own [`NodeError`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoverableSignature([u8; 65]);

impl RecoverableSignature {
    /// The signature's length in bytes.
    pub const LEN: usize = 65;

    /// Wraps 65 bytes `r‖s‖v`.
    ///
    /// # Errors
    ///
    /// [`Rejection::MalformedSignature`] if `bytes` is not 65 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, NodeError> {
        let array: [u8; 65] = bytes
            .try_into()
            .map_err(|_| Rejection::MalformedSignature(format!("expected 65 bytes (r‖s‖v), got {}", bytes.len())))?;
        Ok(RecoverableSignature(array))
    }

    /// The 65 bytes `r‖s‖v`.
    pub fn to_bytes(&self) -> [u8; 65] {
        self.0
    }

    /// The `v` byte as given (27, 28, 0 or 1 when valid).
    pub fn v(&self) -> u8 {
        self.0[64]
    }

    /// The recovery id `v` stands for: 27 or 0 (even y), 28 or 1 (odd y).
    ///
    /// # Errors
    ///
    /// [`Rejection::BadRecoveryId`] for any other `v`.
    pub(crate) fn recovery_id(&self) -> Result<RecoveryId, Rejection> {
        match self.v() {
            0 | 27 => Ok(RecoveryId::new(false, false)),
            1 | 28 => Ok(RecoveryId::new(true, false)),
            v => Err(Rejection::BadRecoveryId(v)),
        }
    }

    /// The k256 signature and recovery id, after checking `v`, the ranges of `r` and `s`, and
    /// low-s.
    fn to_k256(self) -> Result<(Signature, RecoveryId), NodeError> {
        let recovery_id = self.recovery_id()?;
        let signature = Signature::from_slice(&self.0[..64]).map_err(|_| Rejection::BadSignature)?;
        if signature.normalize_s() != signature {
            return Err(Rejection::MalleableSignature.into());
        }
        Ok((signature, recovery_id))
    }

    /// The signature k256 made, with `v` 27 or 28 for the recovery id's y parity.
    pub fn from_k256(signature: &Signature, recovery_id: RecoveryId) -> Self {
        let mut bytes = [0u8; 65];
        bytes[..64].copy_from_slice(&signature.to_bytes());
        bytes[64] = 27 + u8::from(recovery_id.is_y_odd());
        RecoverableSignature(bytes)
    }
}

impl FromStr for RecoverableSignature {
    type Err = NodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").ok_or_else(|| {
            NodeError::Rejected(Rejection::MalformedSignature("expected 0x followed by 130 hex digits".into()))
        })?;
        if digits.len() != 130 {
            return Err(Rejection::MalformedSignature(format!(
                "expected 130 hex digits (65 bytes r‖s‖v) after 0x, got {}",
                digits.len()
            ))
            .into());
        }
        let mut bytes = [0u8; 65];
        hex::decode_to_slice(digits, &mut bytes)
            .map_err(|_| Rejection::MalformedSignature("not hexadecimal".into()))?;
        Ok(RecoverableSignature(bytes))
    }
}

impl fmt::Display for RecoverableSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for RecoverableSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for RecoverableSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecoverableSignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The EIP-191 `personal_sign` digest of `message`:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) in decimal ‖ message)`.
///
/// # Examples
///
/// ```
/// // The web3.js documentation's example for `web3.eth.accounts.hashMessage("Hello World")`.
/// let digest = tidepool_node::signature::personal_message_digest(b"Hello World");
/// assert_eq!(digest.to_string(), "0xa1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
/// ```
pub fn personal_message_digest(message: &[u8]) -> Hash {
    // Hashed in pieces rather than concatenated: a code upload's message is hundreds of KiB.
    let mut hasher = Keccak256::new();
    hasher.update(PERSONAL_MESSAGE_PREFIX);
    hasher.update(itoa::Buffer::new().format(message.len()).as_bytes());
    hasher.update(message);
    Hash(hasher.finalize())
}

/// Signs `message` as `personal_sign` does: RFC 6979 deterministic nonce, low-s, `v` ∈ {27, 28}.
pub fn sign_message(message: &[u8], key: &SigningKey) -> RecoverableSignature {
    sign_digest(&personal_message_digest(message), key)
}

/// Signs a 32-byte digest directly (no EIP-191 prefix): RFC 6979, low-s, `v` ∈ {27, 28}.
pub fn sign_digest(digest: &Hash, key: &SigningKey) -> RecoverableSignature {
    // k256 normalises s to the lower half and flips the recovery id to match.
    let (signature, recovery_id) = key.sign_prehash_recoverable(&digest.0);
    RecoverableSignature::from_k256(&signature, recovery_id)
}

/// The address whose key signed `message` with `personal_sign`.
///
/// # Errors
///
/// [`Rejection::BadRecoveryId`], [`Rejection::BadSignature`] or
/// [`Rejection::MalleableSignature`] when the signature is not a valid low-s signature.
pub fn recover_signer(message: &[u8], signature: &RecoverableSignature) -> Result<Address, NodeError> {
    recover_digest_signer(&personal_message_digest(message), signature)
}

/// The address whose key signed the 32-byte `digest`.
///
/// # Errors
///
/// As [`recover_signer`].
pub fn recover_digest_signer(digest: &Hash, signature: &RecoverableSignature) -> Result<Address, NodeError> {
    let (signature, recovery_id) = signature.to_k256()?;
    let key =
        VerifyingKey::recover_from_prehash(&digest.0, &signature, recovery_id).map_err(|_| Rejection::BadSignature)?;
    Ok(address_of_verifying_key(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{address_of, parse_private_key};

    fn key() -> SigningKey {
        parse_private_key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").unwrap()
    }

    #[test]
    fn the_digest_prefixes_the_length_in_decimal() {
        // EIP-191: "\x19Ethereum Signed Message:\n" ‖ the length in decimal ‖ the message.
        for len in [0usize, 1, 9, 10, 99, 100, 12_345, 1 << 20] {
            let message = vec![0x61; len];
            let mut preimage = PERSONAL_MESSAGE_PREFIX.to_vec();
            preimage.extend_from_slice(len.to_string().as_bytes());
            preimage.extend_from_slice(&message);
            assert_eq!(personal_message_digest(&message), Hash(tidepool_keccak::keccak256(&preimage)), "{len}");
        }
    }

    #[test]
    fn sign_then_recover_round_trips() {
        let key = key();
        let signature = sign_message(b"tidepool", &key);
        assert!(matches!(signature.v(), 27 | 28));
        assert_eq!(recover_signer(b"tidepool", &signature).unwrap(), address_of(&key));
        assert_ne!(recover_signer(b"tidepooL", &signature).unwrap(), address_of(&key));
    }

    #[test]
    fn v_zero_and_one_mean_27_and_28() {
        let key = key();
        let signature = sign_message(b"tidepool", &key);
        let mut bytes = signature.to_bytes();
        bytes[64] -= 27;
        let raw = RecoverableSignature::from_slice(&bytes).unwrap();
        assert_eq!(recover_signer(b"tidepool", &raw).unwrap(), address_of(&key));
        for v in [2, 26, 29, 255] {
            bytes[64] = v;
            let bad = RecoverableSignature::from_slice(&bytes).unwrap();
            assert!(
                matches!(recover_signer(b"tidepool", &bad), Err(NodeError::Rejected(Rejection::BadRecoveryId(x))) if x == v)
            );
        }
    }

    #[test]
    fn zero_or_out_of_range_scalars_are_bad_signatures() {
        let mut bytes = sign_message(b"tidepool", &key()).to_bytes();
        bytes[..32].fill(0);
        let zero_r = RecoverableSignature::from_slice(&bytes).unwrap();
        assert!(matches!(recover_signer(b"tidepool", &zero_r), Err(NodeError::Rejected(Rejection::BadSignature))));
        bytes[..32].fill(0xff);
        let huge_r = RecoverableSignature::from_slice(&bytes).unwrap();
        assert!(matches!(recover_signer(b"tidepool", &huge_r), Err(NodeError::Rejected(Rejection::BadSignature))));
    }

    #[test]
    fn shape_is_checked_on_parse() {
        let good = sign_message(b"x", &key()).to_string();
        assert_eq!(good.parse::<RecoverableSignature>().unwrap().to_string(), good);
        for bad in [&good[2..], &good[..good.len() - 2], &format!("{good}00"), &good.replace('0', "g"), ""] {
            assert!(
                matches!(
                    bad.parse::<RecoverableSignature>(),
                    Err(NodeError::Rejected(Rejection::MalformedSignature(_)))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            RecoverableSignature::from_slice(&[0; 64]),
            Err(NodeError::Rejected(Rejection::MalformedSignature(_)))
        ));
    }
}
