// The client's own behaviour against a dev node: exact big integers in answers, a failing
// simulation refused before signing, network failures and pending transactions as typed errors,
// values canonical JSON cannot hold, reads at a height, dev controls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CanonicalJsonError,
  DEV_MARKET,
  LendingPool,
  SimulationFailedError,
  TidepoolApiError,
  TidepoolClient,
  Token,
  TransactionFailedError,
  TransactionPendingError,
  canonicalize,
  parseJsonWithBigInts,
  type Receipt,
} from '../src/index.js';
import { startDevNode, type DevNode } from '../src/node.js';
import { binary, freshAccount, funder, withHook } from './helpers.js';

let node: DevNode;
let client: TidepoolClient;
const { USDC } = DEV_MARKET.tokens;
const U64_MAX = 18446744073709551615n;

before(async () => {
  node = await startDevNode(binary);
  client = new TidepoolClient(node.url);
});
after(async () => {
  await node?.stop();
});

test('integers past 2^53 in answers stay exact: a trace message holding 2^64 − 1', async () => {
  const chainId = await client.getChainId();
  const msg = { no_such_message: { big: U64_MAX, small: 7 } };
  const receipt = await client.simulate({
    chain_id: chainId,
    nonce: (await client.account(funder.address)).pending_nonce ?? 0,
    from: funder.address,
    gas_limit: 1_000_000,
    action: { type: 'execute', contract: USDC, msg },
  });
  assert.deepEqual(receipt.trace?.msg, msg, 'bigint where the number is past 2^53, number where it is safe');
});

test('integers past 2^53 in a query result stay exact, safe ones stay numbers', async () => {
  const answer = '{"height":12,"result":{"max":18446744073709551615,"min":-9223372036854775808,"n":5,"s":"18446744073709551615"},"gas_used":1}';
  const canned = new TidepoolClient('http://127.0.0.1:1', { fetch: async () => new Response(answer, { status: 200 }) });
  const result = await canned.query(USDC, { anything: {} });
  assert.deepEqual(result, { max: U64_MAX, min: -(2n ** 63n), n: 5, s: '18446744073709551615' });
  const { height } = await canned.queryAnswer(USDC, {});
  assert.equal(typeof height, 'number');
  // The parser is exact JSON: strings that look like markers are strings, "__proto__" is a member.
  assert.deepEqual(parseJsonWithBigInts('["\\u0000bigint:5", 9007199254740993, 1.5e300, -0]'), ['\u0000bigint:5', 9007199254740993n, 1.5e300, -0]);
  const proto = parseJsonWithBigInts('{"__proto__":{"x":1},"n":18446744073709551615}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(proto), ['__proto__', 'n']);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.throws(() => parseJsonWithBigInts('{"n":18446744073709551615,}'), SyntaxError);
});

test('a transaction whose simulation fails is refused before it is signed, unless requireSuccess is false', async () => {
  const borrower = await freshAccount(client);
  let signatures = 0;
  const counting = withHook(borrower, async () => void signatures++);
  const pool = new LendingPool(client);
  await assert.rejects(pool.borrow(counting, USDC, 1n), (e: unknown) => {
    assert.ok(e instanceof SimulationFailedError);
    assert.ok(e instanceof TransactionFailedError, 'still a TransactionFailedError');
    assert.equal(e.receipt.status, 'reverted');
    assert.match(e.message, /would fail, so it was not sent/);
    return true;
  });
  assert.equal(signatures, 0, 'no signature was asked for');
  assert.equal((await client.account(borrower.address)).pending_nonce, 0, 'nothing was sent');
  const receipt = await pool.borrow(counting, USDC, 1n, { requireSuccess: false });
  assert.equal(receipt.status, 'reverted', 'sent anyway, and mined');
  assert.equal(signatures, 1);
});

test('a failed transaction says "reverted" once', async () => {
  const borrower = await freshAccount(client);
  await assert.rejects(new LendingPool(client).borrow(borrower, USDC, 1n, { gasLimit: 1_000_000 }), (e: unknown) => {
    assert.ok(e instanceof TransactionFailedError && !(e instanceof SimulationFailedError), 'mined (no simulation with a gas limit)');
    assert.match(e.message, /^transaction 0x[0-9a-f]{64} failed: reverted: /);
    assert.doesNotMatch(e.message, /reverted: reverted/);
    return true;
  });
});

test('a network failure is a TidepoolApiError of status 0, code network_error, with the cause', async () => {
  const unreachable = new TidepoolClient('http://127.0.0.1:1');
  await assert.rejects(unreachable.health(), (e: unknown) => {
    assert.ok(e instanceof TidepoolApiError);
    assert.equal(e.status, 0);
    assert.equal(e.code, 'network_error');
    assert.ok(e.cause instanceof Error, 'the fetch error is its cause');
    assert.match(e.message, /GET \/health/);
    return true;
  });
});

test('a transaction still pending after the wait: TransactionPendingError with its hash, then waitForTransaction', async () => {
  const sender = await freshAccount(client);
  await client.dev.setMining('manual');
  try {
    const transfer = { type: 'transfer', to: funder.address, amount: 0n } as const;
    let hash: string | undefined;
    await assert.rejects(client.sendTransaction(sender, transfer, { timeoutMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof TransactionPendingError);
      assert.ok(e instanceof TidepoolApiError && e.status === 404, 'the 404 it was');
      assert.match(e.hash, /^0x[0-9a-f]{64}$/);
      hash = e.hash;
      return true;
    });
    assert.deepEqual((await client.dev.mining()).pending, [hash]);
    // The hash-first path: submit, then wait.
    const submitted = await client.submitTransaction(sender, transfer);
    assert.equal(submitted.receipt, undefined);
    const waiting = client.waitForTransaction(submitted.hash, { timeoutMs: 10_000 });
    await client.dev.mine();
    const receipt: Receipt = await waiting;
    assert.equal(receipt.tx_hash, submitted.hash);
    assert.equal((await client.waitForTransaction(hash as `0x${string}`)).status, 'success');
  } finally {
    await client.dev.setMining('auto');
  }
});

test('canonical JSON refuses what is not a plain JSON value, and integers outside −2^63 … 2^64 − 1', () => {
  class Point {
    x = 1;
  }
  for (const bad of [new Date(0), new Map([['a', 1]]), new Set([1]), new Uint8Array([1, 2]), new Point(), () => 1, Symbol('s')]) {
    assert.throws(() => canonicalize({ v: bad as never }), CanonicalJsonError, String(bad));
  }
  assert.throws(() => canonicalize(undefined as never), CanonicalJsonError);
  assert.equal(canonicalize(Object.assign(Object.create(null) as object, { b: 1, a: [2n ** 64n - 1n, -(2n ** 63n)] }) as never), '{"a":[18446744073709551615,-9223372036854775808],"b":1}');
  assert.throws(() => canonicalize({ n: 2n ** 64n }), CanonicalJsonError);
  assert.throws(() => canonicalize({ n: -(2n ** 63n) - 1n }), CanonicalJsonError);
});

test('reads at a height: account, balances, query', async () => {
  const holder = await freshAccount(client, { USDC: 5n });
  const then = (await client.latestBlock()).height;
  await new Token(client, USDC).transfer(funder, holder.address, 7n);
  assert.equal((await client.query<{ balance: string }>(USDC, { balance: { address: holder.address } }, { height: then })).balance, '5');
  assert.equal((await client.query<{ balance: string }>(USDC, { balance: { address: holder.address } })).balance, '12');
  const balances = await client.balances(holder.address, { height: then });
  assert.equal(balances.height, then);
  assert.equal(balances.tokens.find((t) => t.symbol === 'USDC')?.balance, '5');
  assert.equal((await client.account(funder.address, { height: 0 })).nonce, 0);
});

test('dev controls: faucet, set_next_block_time, impersonate, dump, reset and load', async () => {
  const someone = await freshAccount(client);
  await client.dev.faucet(someone.address, 10n);
  await client.dev.faucet(someone.address, '5');
  assert.equal((await client.account(someone.address)).balance, '15');
  const latest = await client.latestBlock();
  const next = await client.dev.setNextBlockTime(latest.time + 1000);
  assert.deepEqual(next, { height: latest.height + 1, time: latest.time + 1000 });
  const receipt = await client.dev.impersonate(someone.address, { type: 'transfer', to: funder.address, amount: 4n });
  assert.ok('status' in receipt && receipt.status === 'success' && receipt.from === someone.address);
  assert.equal((await client.account(someone.address)).balance, '11');
  const state = await client.dev.dumpState();
  const genesis = await client.dev.reset();
  assert.equal(genesis.height, 0);
  assert.equal((await client.account(someone.address)).balance, '0');
  const loaded = await client.dev.loadState(state);
  assert.equal(loaded.height, state.height);
  assert.equal((await client.account(someone.address)).balance, '11');
});
