//! keccak-256: the hash of Tidepool's protocol — transaction and block hashes, the EIP-191
//! digests signatures are recovered from, EIP-55 address checksums, state roots, and the
//! `keccak256` host function contracts call.
//!
//! The permutation is OpenSSL's (CRYPTOGAMS) x86-64 and AArch64 assembly, through the
//! `keccak-asm` crate, as reth hashes: ~30 % faster than RustCrypto's `sha3` in Rust on this
//! project's build (`cargo bench -p tidepool-keccak`: 40 bytes 563 → 392 ns, 300 bytes 1.45 →
//! 1.11 µs, 4 KiB 18.9 → 12.4 µs). Outside the signature recovery, keccak's permutation was the
//! function with the most samples of its own in a token-transfer profile (BENCHMARKS.md). `sha3`
//! stays as the tests' reference.
//!
//! The hasher's buffering around the permutation is generic code, which Rust compiles into
//! whichever crate names a concrete hasher, with that crate's build settings: from our own
//! crates it ran at `opt-level = 2` with debug assertions (the `dev` profile every command uses),
//! ~2.7× slower than fully optimised. This crate is the one place the hasher is named, behind
//! functions that are not generic and not inlined, and the workspace's `Cargo.toml` builds it
//! with `opt-level = 3` and without debug assertions or overflow checks in every profile.
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

use keccak_asm::Digest as _;

/// keccak-256 of `data` (the pre-standard Keccak that Ethereum uses, not SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    keccak_asm::Keccak256::digest(data).into()
}

/// An incremental keccak-256: the hash of everything [`update`](Keccak256::update) was given,
/// in order, without concatenating it first.
#[derive(Clone, Debug, Default)]
pub struct Keccak256(keccak_asm::Keccak256);

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

    #[test]
    fn every_length_and_split_hashes_as_rustcryptos_keccak() {
        use sha3::Digest as _;
        let data: Vec<u8> = (0..700u32).map(|i| (i * 31 + 17) as u8).collect();
        // Every length across five blocks of the 136-byte rate, and the lengths the assembly
        // backend loads specially (20, 32 and 64 bytes).
        for len in 0..=data.len() {
            let input = &data[..len];
            let reference: [u8; 32] = sha3::Keccak256::digest(input).into();
            assert_eq!(keccak256(input), reference, "{len} bytes");
            let mut hasher = Keccak256::new();
            for piece in input.chunks(1 + len % 97) {
                hasher.update(piece);
            }
            assert_eq!(hasher.finalize(), reference, "{len} bytes in pieces");
        }
    }
}
