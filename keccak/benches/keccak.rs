//! keccak-256 of an address's hex (an EIP-55 checksum), a transaction hash preimage and 4 KiB.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn keccak(c: &mut Criterion) {
    let mut group = c.benchmark_group("keccak256");
    for (name, len) in [("40 bytes", 40usize), ("300 bytes", 300), ("4 KiB", 4096)] {
        let data = vec![0x61u8; len];
        group.bench_function(name, |b| b.iter(|| tidepool_keccak::keccak256(black_box(&data))));
    }
    group.finish();
}

criterion_group!(benches, keccak);
criterion_main!(benches);
