//! keccak-256: the hash of Tidepool's protocol — transaction and block hashes, the EIP-191
//! digests signatures are recovered from, EIP-55 address checksums, state roots, and the
//! `keccak256` host function contracts call.
//!
//! The permutation comes from the `sha3` crate, whose code is generic: Rust compiles it into
//! whichever crate names a concrete hasher, with that crate's build settings. Called from our
//! own crates it ran at `opt-level = 2` with debug assertions (the `dev` profile every command
//! uses) — about 2.7× slower than fully optimised (~0.98 against ~0.36 µs for 40 bytes). This
//! crate is the one place the hasher is named, behind functions that are not generic and not
//! inlined, so the permutation is compiled here, and the workspace's `Cargo.toml` builds this
//! crate with `opt-level = 3` and without debug assertions or overflow checks in every profile.
//!
//! # Examples
//!
//! ```
//! use tidepool_keccak::{Keccak256, keccak256};
//!
//! let mut hasher = Keccak256::new();
//! hasher.update(b"hello ");
//! hasher.update(b"world");
//! assert_eq!(hasher.finalize(), keccak256(b"hello world"));
//! ```

use sha3::Digest as _;

/// keccak-256 of `data` (the pre-standard Keccak that Ethereum uses, not SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    sha3::Keccak256::digest(data).into()
}

/// An incremental keccak-256: the hash of everything [`update`](Keccak256::update) was given,
/// in order, without concatenating it first.
#[derive(Clone, Debug, Default)]
pub struct Keccak256(sha3::Keccak256);

impl Keccak256 {
    /// A hasher that has seen nothing.
    pub fn new() -> Keccak256 {
        Keccak256::default()
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The hash of everything fed.
    pub fn finalize(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: [u8; 32]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        // keccak256 of the empty string, as every Ethereum client knows it.
        assert_eq!(hex(keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        // Not SHA3-256 (whose empty digest is a7ffc6f8…).
        assert_eq!(hex(keccak256(b"abc")), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    }

    #[test]
    fn pieces_hash_as_their_concatenation_across_block_boundaries() {
        // 136 bytes is keccak-256's rate: pieces that straddle it exercise the buffering.
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for cut in [0, 1, 135, 136, 137, 272, 999, 1000] {
            let mut hasher = Keccak256::new();
            hasher.update(&data[..cut]);
            hasher.update(&data[cut..]);
            assert_eq!(hasher.finalize(), keccak256(&data), "cut at {cut}");
        }
    }
}
