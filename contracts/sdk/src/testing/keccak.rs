//! keccak256 for the native test double, so that what needs it natively (the EIP-55 spelling
//! of every [`Address`](crate::Address) a contract prints or serializes, and
//! [`crypto::keccak256`](crate::crypto::keccak256)) works in unit tests as it does on the
//! node. The Keccak-f[1600] permutation and the original Keccak padding (`0x01`, as Ethereum
//! uses; not SHA-3's `0x06`), written out to keep the SDK free of dependencies.

/// The round constants of ι.
const ROUND_CONSTANTS: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

/// ρ's rotations and π's lane order, along π's cycle starting from lane 1.
const ROTATIONS: [u32; 24] =
    [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];
const LANES: [usize; 24] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

/// The bytes absorbed per block: 1600 bits of state minus twice the 256-bit output.
const RATE: usize = 136;

fn permute(state: &mut [u64; 25]) {
    for round_constant in ROUND_CONSTANTS {
        // θ
        let mut columns = [0u64; 5];
        for (x, column) in columns.iter_mut().enumerate() {
            *column = state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20];
        }
        for x in 0..5 {
            let d = columns[(x + 4) % 5] ^ columns[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                state[5 * y + x] ^= d;
            }
        }
        // ρ and π
        let mut carried = state[1];
        for (&lane, &rotation) in LANES.iter().zip(&ROTATIONS) {
            let next = state[lane];
            state[lane] = carried.rotate_left(rotation);
            carried = next;
        }
        // χ
        for y in 0..5 {
            let row: [u64; 5] = state[5 * y..5 * y + 5].try_into().expect("five lanes");
            for x in 0..5 {
                state[5 * y + x] = row[x] ^ (!row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        // ι
        state[0] ^= round_constant;
    }
}

/// keccak256 of `data`.
pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut state = [0u64; 25];
    let absorb = |block: &[u8; RATE], state: &mut [u64; 25]| {
        for (lane, bytes) in state.iter_mut().zip(block.chunks_exact(8)) {
            *lane ^= u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        }
        permute(state);
    };
    let mut blocks = data.chunks_exact(RATE);
    for block in &mut blocks {
        absorb(block.try_into().expect("a full block"), &mut state);
    }
    let rest = blocks.remainder();
    let mut last = [0u8; RATE];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    absorb(&last, &mut state);
    let mut out = [0u8; 32];
    for (bytes, lane) in out.chunks_exact_mut(8).zip(state) {
        bytes.copy_from_slice(&lane.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> alloc::string::String {
        bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
    }

    #[test]
    fn known_digests() {
        assert_eq!(hex(&keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        assert_eq!(hex(&keccak256(b"abc")), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
        // 135, 136 and 137 bytes: the padding in the same block, a block of padding alone, and
        // a second block.
        let data = [0x61u8; 137];
        let digests = [135, 136, 137].map(|n| hex(&keccak256(&data[..n])));
        assert_eq!(digests[0], "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
        assert_eq!(digests[1], "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
        assert_eq!(digests[2], "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
    }
}
