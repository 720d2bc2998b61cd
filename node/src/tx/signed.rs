//! The signed envelope a client submits, and the checked form the node executes.
//!
//! [`SignedTransaction::check`] is the whole signature check in one call: canonicalise, hash,
//! recover the signer, compare with `from`. It needs no state, so a block's transactions can be
//! checked in parallel before they are applied in order. Chain id and nonce depend on the node
//! and the ledger, and are checked where the transaction is applied.

use serde::{Deserialize, Serialize};
use tidepool_ledger::{Address, Hash, keccak256};

use crate::error::{NodeError, Rejection};
use crate::signature::{RecoverableSignature, personal_message_digest, recover_digest_signers, recover_signer};
use crate::tx::Transaction;

/// A transaction with its sender's signature, as submitted:
/// `{"tx": {...}, "signature": "0x" + 130 hex digits}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(examples(crate::openapi::examples::signed_transaction)))]
#[serde(deny_unknown_fields)]
pub struct SignedTransaction {
    /// The transaction.
    #[serde(deserialize_with = "crate::tx::object::deserialize")]
    pub tx: Transaction,
    /// EIP-191 `personal_sign` signature (`r‖s‖v`) over `tx`'s canonical JSON, by `tx.from`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Signature))]
    pub signature: RecoverableSignature,
}

impl SignedTransaction {
    /// Decodes a signed transaction from JSON. Only the shape is checked here; see
    /// [`SignedTransaction::check`].
    ///
    /// # Errors
    ///
    /// [`Rejection::MalformedTransaction`] with serde's description of what is wrong.
    pub fn from_json(json: &[u8]) -> Result<Self, NodeError> {
        serde_json::from_slice(json).map_err(|e| NodeError::Rejected(Rejection::MalformedTransaction(e.to_string())))
    }

    /// The checks that need no state and no key: [`Transaction::check_form`], and a recovery
    /// byte `v` the node accepts.
    ///
    /// # Errors
    ///
    /// As [`Transaction::check_form`]; [`Rejection::BadRecoveryId`].
    pub fn check_form(&self) -> Result<(), Rejection> {
        self.tx.check_form()?;
        self.signature.recovery_id().map(|_| ())
    }

    /// Checks the signature: it must be a valid low-s `personal_sign` signature over the
    /// transaction's canonical JSON, made by the key of `tx.from`. (The node checks the form,
    /// [`SignedTransaction::check_form`], before this.)
    ///
    /// # Errors
    ///
    /// [`Rejection::UnsupportedNumber`] (a float in `msg`), [`Rejection::BadRecoveryId`],
    /// [`Rejection::BadSignature`], [`Rejection::MalleableSignature`], or
    /// [`Rejection::WrongSigner`].
    pub fn check(&self) -> Result<CheckedTransaction, NodeError> {
        self.check_canonical().map(|(checked, _)| checked)
    }

    /// [`SignedTransaction::check`], also giving the transaction's canonical JSON it checked the
    /// signature over (the node writes the stored form around it, `crate::chain::Prepared`).
    ///
    /// # Errors
    ///
    /// As [`SignedTransaction::check`].
    pub(crate) fn check_canonical(&self) -> Result<(CheckedTransaction, Vec<u8>), NodeError> {
        let canonical = self.tx.canonical_bytes()?;
        let recovered = recover_signer(&canonical, &self.signature)?;
        self.signed_by(recovered, canonical)
    }

    /// [`SignedTransaction::check_canonical`] of each of `signed`, in order, with their signers
    /// recovered together ([`recover_digest_signers`]: less work per signature than one by one).
    /// Each transaction gets the answer it would get alone.
    pub(crate) fn check_canonical_all(
        signed: &[&SignedTransaction],
    ) -> Vec<Result<(CheckedTransaction, Vec<u8>), NodeError>> {
        let canonicals: Vec<Result<Vec<u8>, NodeError>> = signed.iter().map(|s| s.tx.canonical_bytes()).collect();
        let digests: Vec<(Hash, RecoverableSignature)> = signed
            .iter()
            .zip(&canonicals)
            .filter_map(|(s, canonical)| Some((personal_message_digest(canonical.as_ref().ok()?), s.signature)))
            .collect();
        let mut recovered = recover_digest_signers(&digests).into_iter();
        signed
            .iter()
            .zip(canonicals)
            .map(|(s, canonical)| {
                let canonical = canonical?;
                let signer = recovered.next().expect("one recovery per canonical form")?;
                s.signed_by(signer, canonical)
            })
            .collect()
    }

    /// The checked form, if `recovered` (the key that signed `canonical`) is `tx.from`'s.
    fn signed_by(&self, recovered: Address, canonical: Vec<u8>) -> Result<(CheckedTransaction, Vec<u8>), NodeError> {
        if recovered != self.tx.from {
            return Err(Rejection::WrongSigner { from: self.tx.from, recovered }.into());
        }
        let hash = keccak256(&canonical);
        Ok((CheckedTransaction { tx: self.tx.clone(), hash, signature: Some(self.signature) }, canonical))
    }

    /// The transaction hash (see [`Transaction::hash`]; the signature is not part of it).
    ///
    /// # Errors
    ///
    /// As [`Transaction::hash`].
    pub fn hash(&self) -> Result<Hash, NodeError> {
        self.tx.hash()
    }
}

/// A transaction whose sender is established, with its hash: the only form the node executes.
///
/// Made by [`SignedTransaction::check`], or, in dev mode only, by
/// [`CheckedTransaction::impersonated`], which trusts `from` without a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTransaction {
    tx: Transaction,
    hash: Hash,
    signature: Option<RecoverableSignature>,
}

impl CheckedTransaction {
    /// Accepts `tx` as sent by its `from` without any signature: the dev-mode impersonation
    /// control. Never reachable from a production endpoint.
    ///
    /// # Errors
    ///
    /// As [`Transaction::hash`].
    pub fn impersonated(tx: Transaction) -> Result<Self, NodeError> {
        let hash = tx.hash()?;
        Ok(CheckedTransaction { tx, hash, signature: None })
    }

    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// The transaction hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The sender (`tx.from`, proven by the signature unless impersonated).
    pub fn sender(&self) -> Address {
        self.tx.from
    }

    /// The signature, or `None` for an impersonated transaction.
    pub fn signature(&self) -> Option<&RecoverableSignature> {
        self.signature.as_ref()
    }

    /// The signed envelope, or `None` for an impersonated transaction.
    pub fn to_signed(&self) -> Option<SignedTransaction> {
        self.signature.map(|signature| SignedTransaction { tx: self.tx.clone(), signature })
    }

    /// The transaction, dropping the hash and signature.
    pub fn into_transaction(self) -> Transaction {
        self.tx
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::{address_of, dev_accounts};
    use crate::tx::Action;

    fn signed() -> (SignedTransaction, Address) {
        let account = &dev_accounts(2)[1];
        let tx = Transaction {
            chain_id: 1337,
            nonce: 0,
            from: account.address,
            gas_limit: 100_000,
            action: Action::Execute { contract: Address([3; 20]), msg: json!({ "ping": {} }), funds: 0 },
        };
        (tx.sign(&account.key).unwrap(), account.address)
    }

    #[test]
    fn a_signed_transaction_checks_and_keeps_its_hash() {
        let (signed, sender) = signed();
        let checked = signed.check().unwrap();
        assert_eq!(checked.sender(), sender);
        assert_eq!(checked.hash(), signed.tx.hash().unwrap());
        assert_eq!(checked.hash(), signed.hash().unwrap());
        assert_eq!(checked.to_signed().as_ref(), Some(&signed));
        let json = serde_json::to_vec(&signed).unwrap();
        assert_eq!(SignedTransaction::from_json(&json).unwrap(), signed);
    }

    #[test]
    fn impersonated_transactions_have_the_same_hash_and_no_signature() {
        let (signed, _) = signed();
        let impersonated = CheckedTransaction::impersonated(signed.tx.clone()).unwrap();
        assert_eq!(impersonated.hash(), signed.check().unwrap().hash());
        assert!(impersonated.signature().is_none() && impersonated.to_signed().is_none());
    }

    #[test]
    fn signing_is_deterministic() {
        let (a, _) = signed();
        let (b, _) = signed();
        assert_eq!(a.signature, b.signature);
    }

    #[test]
    fn another_key_is_the_wrong_signer() {
        let (mut signed, sender) = signed();
        let intruder = &dev_accounts(3)[2];
        signed = signed.tx.sign(&intruder.key).unwrap();
        match signed.check() {
            Err(NodeError::Rejected(Rejection::WrongSigner { from, recovered })) => {
                assert_eq!(from, sender);
                assert_eq!(recovered, address_of(&intruder.key));
            }
            other => panic!("expected WrongSigner, got {other:?}"),
        }
    }

    #[test]
    fn checking_together_answers_each_as_alone() {
        let (good, _) = signed();
        let intruder = &dev_accounts(3)[2];
        let wrong_signer = good.tx.clone().sign(&intruder.key).unwrap();
        let mut float = good.clone();
        float.tx.action = Action::Execute { contract: Address([3; 20]), msg: json!({ "ping": 1.5 }), funds: 0 };
        let mut bad_v = good.clone();
        let mut bytes = bad_v.signature.to_bytes();
        bytes[64] = 30;
        bad_v.signature = RecoverableSignature::from_slice(&bytes).unwrap();
        let mut other = good.clone();
        other.tx.nonce = 1;
        let other = other.tx.sign(&dev_accounts(2)[1].key).unwrap();
        let all = [&good, &wrong_signer, &float, &bad_v, &other, &good];
        let alone: Vec<String> = all.iter().map(|s| format!("{:?}", s.check_canonical())).collect();
        let together: Vec<String> =
            SignedTransaction::check_canonical_all(&all).iter().map(|result| format!("{result:?}")).collect();
        assert_eq!(together, alone);
        let failed: Vec<bool> = SignedTransaction::check_canonical_all(&all).iter().map(Result::is_err).collect();
        assert_eq!(failed, [false, true, true, true, false, false]);
        assert!(SignedTransaction::check_canonical_all(&[]).is_empty());
    }
}
