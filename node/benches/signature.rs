//! Signature costs: recovering a signer from a digest, the whole check of a signed transaction
//! (canonicalise + keccak + EIP-191 digest + recover + compare), and the canonical encoding alone.
//!
//! Run with: `cargo bench -p tidepool-node --bench signature`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tidepool_ledger::{Address, keccak256};
use tidepool_node::keys::dev_accounts;
use tidepool_node::signature::{recover_digest_signer, sign_digest};
use tidepool_node::{Action, Transaction};

fn benches(c: &mut Criterion) {
    let account = &dev_accounts(1)[0];
    let mut group = c.benchmark_group("signature");
    group.throughput(Throughput::Elements(1));

    let digest = keccak256(b"tidepool");
    let signature = sign_digest(&digest, &account.key);
    group.bench_function("recover_signer", |b| {
        b.iter(|| recover_digest_signer(black_box(&digest), black_box(&signature)))
    });

    let transaction =
        |action| Transaction { chain_id: 1337, nonce: 7, from: account.address, gas_limit: 1_000_000, action };
    let transfer =
        transaction(Action::Transfer { to: Address([2; 20]), amount: 1_000_000 }).sign(&account.key).unwrap();
    group.bench_function("check_transfer", |b| b.iter(|| black_box(&transfer).check()));
    group.bench_function("canonical_transfer", |b| b.iter(|| black_box(&transfer.tx).canonical_bytes()));

    // A lending-pool call with a nested message, as the walkthrough sends.
    let execute = transaction(Action::Execute {
        contract: Address([3; 20]),
        msg: json!({ "borrow": { "asset": "0x0303030303030303030303030303030303030303", "amount": "250000000",
                                 "on_behalf_of": null, "referral": { "code": 42, "tags": ["a", "b", "c"] } } }),
        funds: 0,
    })
    .sign(&account.key)
    .unwrap();
    group.bench_function("check_execute", |b| b.iter(|| black_box(&execute).check()));
    group.bench_function("canonical_execute", |b| b.iter(|| black_box(&execute.tx).canonical_bytes()));

    // Upload of a 100 KiB module: canonical JSON of 200 KiB of hex, dominated by hashing.
    let upload = transaction(Action::UploadCode { wasm: vec![0xab; 100 * 1024] }).sign(&account.key).unwrap();
    group.bench_function("check_upload_100k", |b| b.iter(|| black_box(&upload).check()));

    group.bench_function("sign_transfer", |b| b.iter(|| black_box(&transfer.tx).clone().sign(&account.key)));
    group.finish();
}

criterion_group!(signature, benches);
criterion_main!(signature);
