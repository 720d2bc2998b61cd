// The signing vectors of test/fixtures/signing-vectors.json, made by the Rust signer
// (node/tests/it/client_vectors.rs): this library builds the same canonical bytes, hash, EIP-191
// digest and signature from transactions written here independently, in JavaScript.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import {
  canonicalTransaction,
  canonicalize,
  parseJsonWithBigInts,
  privateKeySigner,
  signTransaction,
  transactionDigest,
  transactionHash,
  type UnsignedTransaction,
} from '../src/index.js';

// The `canonicalize` package (RFC 8785's reference implementation for JavaScript), as CommonJS.
const canonicalizeJcs = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string;

interface Vector {
  name: string;
  canonical: string;
  hash: string;
  digest: string;
  signature: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/signing-vectors.json', import.meta.url), 'utf8')) as {
  private_key: `0x${string}`;
  address: string;
  vectors: Vector[];
};
const from = fixture.address.toLowerCase();
const pool = '0x11d0ea9fc79e2b4bfbe4424c7343a32727f65ee7';

// The same transactions as the Rust test, addresses in lowercase (the client checksums them).
const transactions: Record<string, UnsignedTransaction> = {
  'a native transfer': {
    chain_id: 31337,
    nonce: 0,
    from,
    gas_limit: 100_000,
    action: { type: 'transfer', to: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', amount: ((1n << 128n) - 1n).toString() },
  },
  'a pool supply': {
    chain_id: 31337,
    nonce: 7,
    from,
    gas_limit: 2_000_000,
    action: { type: 'execute', contract: pool, msg: { supply: { asset: '0xa8e700B524cC73301c5e813b4e6Aef9BAcD877b4', amount: '1000000' } } },
  },
  'a message with every kind of value': {
    chain_id: 31337,
    nonce: 18_446_744_073_709_551_615n,
    from,
    gas_limit: 1_000_000_000,
    action: {
      type: 'execute',
      contract: pool,
      funds: 5n,
      msg: {
        z: [1, -2, 9_007_199_254_740_993n, 18_446_744_073_709_551_615n, -9_223_372_036_854_775_808n],
        a: { y: null, x: true, b: false, '': {}, list: [] },
        text: 'tab\tquote" backslash\\ slash/ nul\u0000 del\u007f é ü 漢 🌊',
        '10': 'a key of digits',
        '1': 'sorted as text',
        é: 'after ASCII',
      },
    },
  },
};

for (const vector of fixture.vectors) {
  test(`signing vector: ${vector.name}`, async () => {
    const tx = transactions[vector.name];
    assert.ok(tx, `no transaction here for the vector ${vector.name}`);
    assert.equal(canonicalTransaction(tx), vector.canonical, 'canonical JSON');
    assert.equal(transactionHash(tx), vector.hash, 'transaction hash');
    assert.equal(transactionDigest(tx), vector.digest, 'EIP-191 digest');
    const signer = privateKeySigner(fixture.private_key);
    assert.equal(signer.address, fixture.address);
    const signed = await signTransaction(signer, tx);
    assert.equal(signed.signature, vector.signature, 'signature (RFC 6979, low s, v = 27/28)');
    assert.equal(signed.hash, vector.hash);
    // Re-canonicalising the canonical text (big integers kept exact) gives it back.
    assert.equal(canonicalize(parseJsonWithBigInts(vector.canonical)), vector.canonical);
  });
}

test('canonical JSON is RFC 8785 for values within its number range', () => {
  const values = [
    { b: [1, 'two', null], a: { y: null, x: true } },
    { '\u20ac': 1, '\r': 2, '\ufb33': 3, '1': 4, '10': 5, '😂': 6, 'é': 7 },
    ['\u0000\u001f\u007f', '"\\/', -0, 9_007_199_254_740_991, -9_007_199_254_740_991],
    {},
    [],
  ];
  for (const value of values) assert.equal(canonicalize(value), canonicalizeJcs(value));
});

test('numbers that cannot be signed exactly are refused', () => {
  for (const bad of [1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => canonicalize({ n: bad }), /integers/);
  }
  assert.equal(canonicalize({ n: 2n ** 64n - 1n }), '{"n":18446744073709551615}');
});
