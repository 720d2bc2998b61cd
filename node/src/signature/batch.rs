//! Recovering many signers at once: for each signature the same answer as
//! [`recover_digest_signer`](super::recover_digest_signer), for less work per signature.
//!
//! A recovery computes `Q = r⁻¹·(s·R − z·G)` and then `Q`'s affine coordinates, the public key.
//! Beside the multi-scalar multiplication (~75 % of the time) that is two modular inversions:
//! of the scalar `r`, and of `Q`'s projective `Z`. Over a batch, Montgomery's trick replaces n
//! inversions by one and about 3n multiplications, for both: ~15 % less per signature at 32
//! signatures per batch (BENCHMARKS.md). Everything here is public (signatures and digests), so
//! the variable-time forms are used, as k256's own recovery does for its multiplication.

use k256::ecdsa::VerifyingKey;
use k256::elliptic_curve::BatchNormalize;
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::ops::{MulByGeneratorVartime, Reduce};
use k256::elliptic_curve::point::DecompressPoint;
use k256::{AffinePoint, ProjectivePoint, Scalar, U256};
use tidepool_ledger::{Address, Hash};

use super::RecoverableSignature;
use crate::error::{NodeError, Rejection};
use crate::keys::address_of_verifying_key;

/// The address whose key signed each `(digest, signature)` of `signed`, in order: exactly what
/// [`recover_digest_signer`](super::recover_digest_signer) answers for each, errors included.
/// A bad signature fails alone; the others are recovered all the same.
pub fn recover_digest_signers(signed: &[(Hash, RecoverableSignature)]) -> Vec<Result<Address, NodeError>> {
    let terms: Vec<Result<Term, NodeError>> =
        signed.iter().map(|(digest, signature)| Term::new(digest, signature)).collect();
    let mut r_inverses: Vec<Scalar> = terms.iter().flatten().map(|term| term.r).collect();
    invert_all(&mut r_inverses);
    let keys: Vec<ProjectivePoint> =
        terms.iter().flatten().zip(&r_inverses).map(|(term, r_inverse)| term.public_key(r_inverse)).collect();
    let mut keys = ProjectivePoint::batch_normalize_vartime(keys.as_slice()).into_iter();
    terms
        .into_iter()
        .map(|term| {
            term.and_then(|_| {
                let key = keys.next().expect("one key per valid term");
                // The identity is no key: k256's single recovery refuses it the same way.
                let key = VerifyingKey::from_affine(key).map_err(|_| Rejection::BadSignature)?;
                Ok(address_of_verifying_key(&key))
            })
        })
        .collect()
}

/// One signature's part of the sum `Q = r⁻¹·(s·R − z·G)`, before `r` is inverted.
struct Term {
    r: Scalar,
    s: Scalar,
    /// The digest as a scalar.
    z: Scalar,
    /// The point whose x-coordinate is `r`.
    big_r: ProjectivePoint,
}

impl Term {
    /// The signature's scalars and point `R`, after the checks of
    /// [`RecoverableSignature::to_k256`].
    fn new(digest: &Hash, signature: &RecoverableSignature) -> Result<Term, NodeError> {
        let (signature, recovery_id) = signature.to_k256()?;
        let (r, s) = signature.split_scalars();
        // `v` is 27 or 28 (0 or 1), never an x-reduced id, so `R`'s x-coordinate is `r` itself.
        let big_r = AffinePoint::decompress(&r.to_repr(), u8::from(recovery_id.is_y_odd()).into())
            .into_option()
            .ok_or(Rejection::BadSignature)?;
        let z = <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(&digest.0));
        Ok(Term { r: *r, s: *s, z, big_r: big_r.into() })
    }

    /// `Q` in projective coordinates, given `r⁻¹`.
    fn public_key(&self, r_inverse: &Scalar) -> ProjectivePoint {
        let u1 = -(*r_inverse * self.z);
        let u2 = *r_inverse * self.s;
        ProjectivePoint::mul_by_generator_and_mul_add_vartime(&u1, &u2, &self.big_r)
    }
}

/// Replaces each of `values` (none of them zero) by its inverse, with one inversion for all:
/// the running products forward, the inverse of the whole product, then back.
fn invert_all(values: &mut [Scalar]) {
    let mut products = Vec::with_capacity(values.len());
    let mut product = Scalar::ONE;
    for value in values.iter() {
        products.push(product);
        product *= value;
    }
    // `r` is in [1, n) and n is prime, so the product of any number of them is not zero.
    let mut inverse: Scalar = product.invert_vartime().into_option().expect("a product of non-zero scalars");
    for (value, product_before) in values.iter_mut().zip(products).rev() {
        let value_inverse = inverse * product_before;
        inverse *= *value;
        *value = value_inverse;
    }
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;
    use k256::elliptic_curve::scalar::IsHigh;
    use k256::elliptic_curve::sec1::ToSec1Point;
    use tidepool_keccak::keccak256;

    use super::super::{recover_digest_signer, sign_digest};
    use super::*;

    fn key(seed: u64) -> SigningKey {
        SigningKey::from_slice(&keccak256(&seed.to_be_bytes())).expect("a valid key")
    }

    fn digest(seed: u64) -> Hash {
        Hash(keccak256(&(seed ^ 0x5eed).to_be_bytes()))
    }

    fn signed(count: u64) -> Vec<(Hash, RecoverableSignature)> {
        (0..count).map(|i| (digest(i), sign_digest(&digest(i), &key(i % 7)))).collect()
    }

    fn one_by_one(signed: &[(Hash, RecoverableSignature)]) -> Vec<Result<Address, String>> {
        signed
            .iter()
            .map(|(digest, signature)| recover_digest_signer(digest, signature).map_err(|e| e.to_string()))
            .collect()
    }

    fn batched(signed: &[(Hash, RecoverableSignature)]) -> Vec<Result<Address, String>> {
        recover_digest_signers(signed).into_iter().map(|result| result.map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn a_batch_recovers_what_each_signature_recovers_alone() {
        for count in [0, 1, 2, 3, 32, 100] {
            let signed = signed(count);
            let batched = batched(&signed);
            assert_eq!(batched, one_by_one(&signed), "{count} signatures");
            for (result, (i, _)) in batched.iter().zip(signed.iter().enumerate()) {
                assert_eq!(result.as_ref().unwrap(), &crate::keys::address_of(&key(i as u64 % 7)));
            }
        }
    }

    /// A signature that makes `s·R = z·G`, so that `Q` is the point at infinity: `R = k·G` and
    /// `s = z·k⁻¹` (with `k` negated if that `s` is high, which flips `R`'s y but keeps `r`).
    fn signature_of_the_identity(digest: &Hash) -> RecoverableSignature {
        let z = <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(&digest.0));
        let mut k = Scalar::from(0x1234_5678_u64);
        let mut s = z * k.invert().unwrap();
        if bool::from(s.is_high()) {
            k = -k;
            s = -s;
        }
        let point = (ProjectivePoint::GENERATOR * k).to_affine();
        let encoded = point.to_sec1_point(false);
        let (x, y) = (&encoded.as_bytes()[1..33], &encoded.as_bytes()[33..65]);
        let mut bytes = [0u8; 65];
        bytes[..32].copy_from_slice(x);
        bytes[32..64].copy_from_slice(&s.to_repr());
        bytes[64] = 27 + (y[31] & 1);
        RecoverableSignature(bytes)
    }

    #[test]
    fn bad_signatures_fail_alone_and_as_they_do_one_by_one() {
        let mut signed = signed(12);
        let with = |i: usize, edit: &dyn Fn(&mut [u8; 65])| {
            let mut bytes = signed[i].1.to_bytes();
            edit(&mut bytes);
            RecoverableSignature(bytes)
        };
        let bad = [
            with(1, &|b| b[64] = 29),           // no such recovery id
            with(3, &|b| b[..32].fill(0)),      // r = 0
            with(5, &|b| b[32..64].fill(0xff)), // s ≥ n
            with(7, &|b| {
                // high s: the same signature's other encoding
                let s = Scalar::from_repr((*<&[u8; 32]>::try_from(&b[32..64]).unwrap()).into()).unwrap();
                b[32..64].copy_from_slice(&(-s).to_repr());
                b[64] = if b[64] == 27 { 28 } else { 27 };
            }),
            with(9, &|b| {
                // an r that is no point's x-coordinate: x³ + 7 is not a square for x = 5
                b[..32].fill(0);
                b[31] = 5;
            }),
        ];
        for (i, signature) in [1, 3, 5, 7, 9].into_iter().zip(bad) {
            signed[i].1 = signature;
        }
        signed[11].1 = signature_of_the_identity(&signed[11].0);
        let batched = batched(&signed);
        assert_eq!(batched, one_by_one(&signed));
        let failed: Vec<usize> = batched.iter().enumerate().filter(|(_, r)| r.is_err()).map(|(i, _)| i).collect();
        assert_eq!(failed, [1, 3, 5, 7, 9, 11]);
        assert!(batched[7].as_ref().unwrap_err().contains("malleable"), "{:?}", batched[7]);
    }

    #[test]
    fn inverting_all_at_once_inverts_each() {
        let values: Vec<Scalar> = (1..=20u64).map(|i| Scalar::from(i * 0x9e37_79b9)).collect();
        let mut inverses = values.clone();
        invert_all(&mut inverses);
        for (value, inverse) in values.iter().zip(&inverses) {
            assert_eq!(*value * inverse, Scalar::ONE);
        }
        invert_all(&mut []);
    }
}
