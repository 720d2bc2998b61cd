// Against a real dev node started here (`tidepool node --dev --market` on a free loopback port):
// sign with this library, submit, read back; the lending helpers end to end; errors carry the
// API's error body; CORS answers a browser's preflight.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from 'viem/accounts';
import {
  DEV_ACCOUNT_KEYS,
  DEV_MARKET,
  LendingPool,
  MAX_QUERY_URL,
  Oracle,
  TidepoolApiError,
  TidepoolClient,
  Token,
  TransactionFailedError,
  privateKeySigner,
  toUnits,
  transactionHash,
  type Signer,
} from '../src/index.js';
import { startDevNode, type DevNode } from '../src/node.js';

const repo = resolve(fileURLToPath(import.meta.url), '../../../../..');
const binary = process.env.TIDEPOOL_BIN ?? resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'tidepool');

let node: DevNode;
let client: TidepoolClient;
const owner: Signer = privateKeySigner(DEV_ACCOUNT_KEYS[0]);
const alice: Signer = privateKeySigner(DEV_ACCOUNT_KEYS[1]);

before(async () => {
  node = await startDevNode(binary);
  client = new TidepoolClient(node.url);
});
after(async () => {
  await node?.stop();
});

test('the dev accounts and the market are the ones the node prints', () => {
  for (const key of DEV_ACCOUNT_KEYS) {
    const { address } = privateKeySigner(key);
    assert.ok(node.output().includes(`${address}  key ${key}`), `${address} not in the banner`);
  }
  assert.ok(node.output().includes(`pool    ${DEV_MARKET.pool}`));
  for (const [symbol, address] of Object.entries(DEV_MARKET.tokens)) assert.match(node.output(), new RegExp(`${symbol}\\s+${address}`));
});

test('a native transfer: signed here, submitted, read back', async () => {
  const to = privateKeySigner(generatePrivateKey()).address;
  const receipt = await client.sendTransaction(alice, { type: 'transfer', to, amount: 12345n });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.from, alice.address);
  assert.equal((await client.account(to)).balance, '12345');
  const stored = await client.transaction(receipt.tx_hash);
  assert.equal(stored.receipt.tx_hash, receipt.tx_hash);
  assert.equal(transactionHash(stored.tx.tx as never), receipt.tx_hash, 'the stored transaction hashes to its hash');
  assert.ok(stored.tx.signature);
});

test('concurrent sends from one signer take consecutive nonces, in order', async () => {
  const sender = privateKeySigner(DEV_ACCOUNT_KEYS[4]);
  const to = privateKeySigner(generatePrivateKey()).address;
  const before = (await client.account(sender.address)).nonce;
  const receipts = await Promise.all([1n, 2n, 3n].map((amount) => client.sendTransaction(sender, { type: 'transfer', to, amount })));
  assert.deepEqual(
    receipts.map((r) => r.status),
    ['success', 'success', 'success'],
  );
  assert.equal((await client.account(to)).balance, '6');
  assert.equal((await client.account(sender.address)).nonce, before + 3);
});

test('supply, borrow, a price drop and a liquidation through the market helpers', async () => {
  const pool = new LendingPool(client);
  const oracle = new Oracle(client, DEV_MARKET.oracle);
  const { USDC, WETH } = DEV_MARKET.tokens;
  const weth = await new Token(client, WETH).info();
  assert.equal(weth.symbol, 'WETH');
  // Fresh prices first: genesis' may be old by the time this runs.
  const prices = (weth: bigint) => [
    { asset: USDC, price: 100_000_000n },
    { asset: WETH, price: weth },
    { asset: DEV_MARKET.tokens.WBTC, price: 6_000_000_000_000n },
  ];
  assert.equal(await oracle.owner(), owner.address, 'the dev market oracle is dev account 0\'s');
  await oracle.setPrices(owner, prices(300_000_000_000n));
  const [usdcPrice, wethPrice] = await oracle.prices([USDC, WETH]);
  assert.deepEqual([usdcPrice?.price, wethPrice?.price], ['100000000', '300000000000']);
  assert.deepEqual(wethPrice, await oracle.price(WETH));

  const borrower = privateKeySigner(DEV_ACCOUNT_KEYS[2]);
  await pool.supply(borrower, WETH, 10n ** 18n); // $3,000 of collateral
  const capacity = BigInt((await pool.position(borrower.address)).borrow_capacity); // USD × 10^8
  const usdcToBorrow = (capacity * 99n) / 100n / 100n; // 99 % of capacity, in USDC base units
  const borrow = await pool.borrow(borrower, USDC, usdcToBorrow);
  assert.equal(borrow.status, 'success');
  const before = await pool.position(borrower.address);
  assert.ok(BigInt(before.health_factor) > 10n ** 18n);

  await oracle.setPrices(owner, prices(200_000_000_000n)); // WETH $3,000 → $2,000
  const page = await pool.allPositions();
  const entry = page.find((p) => p.user === borrower.address);
  assert.ok(entry?.valuation, 'the borrower is listed, valued');
  assert.ok(BigInt(entry.valuation.health_factor) < 10n ** 18n, 'and liquidatable');

  const liquidator = privateKeySigner(DEV_ACCOUNT_KEYS[3]);
  const receipt = await pool.liquidate(liquidator, { borrower: borrower.address, debtAsset: USDC, collateralAsset: WETH, debtToCover: 'all' });
  const event = receipt.events.find((e) => e.type === 'liquidate');
  assert.ok(event, 'a liquidate event');
  const afterPosition = await pool.position(borrower.address);
  assert.ok(BigInt(afterPosition.debt_value) < BigInt(before.debt_value));
});

test('errors carry the API error body', async () => {
  await assert.rejects(client.transaction('0x' + '11'.repeat(32)), (e: unknown) => {
    assert.ok(e instanceof TidepoolApiError);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'not_found');
    return true;
  });
  await assert.rejects(
    client.sendTransaction(alice, { type: 'transfer', to: alice.address, amount: '1' }, { nonce: 999_999, gasLimit: 100_000 }),
    (e: unknown) => e instanceof TidepoolApiError && e.status === 409 && e.code === 'bad_nonce',
  );
  // A contract's refusal: refused after its simulation (a SimulationFailedError, which is a
  // TransactionFailedError), or with a gas limit given (no simulation), a mined, failed transaction.
  const pool = new LendingPool(client);
  await assert.rejects(pool.borrow(privateKeySigner(generatePrivateKey()), DEV_MARKET.tokens.USDC, 1n, { gasLimit: 1_000_000 }), (e: unknown) => {
    assert.ok(e instanceof TransactionFailedError);
    assert.equal(e.receipt.status, 'reverted');
    return true;
  });
});

test('a request the node does not answer fails with a timeout, and frees its signer for the next send', async () => {
  // The first submission gets no answer (the node never sees it); the rest go through.
  let silent = 1;
  const sometimesSilent: typeof fetch = (input, init) =>
    init?.method === 'POST' && silent-- > 0
      ? new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
      : fetch(input, init);
  const impatient = new TidepoolClient(node.url, { fetch: sometimesSilent, requestTimeoutMs: 200 });
  const sender = privateKeySigner(DEV_ACCOUNT_KEYS[5]);
  const transfer = { type: 'transfer', to: alice.address, amount: 1n } as const;
  const stuck = impatient.sendTransaction(sender, transfer, { gasLimit: 100_000 });
  const next = impatient.sendTransaction(sender, transfer, { gasLimit: 100_000 });
  await assert.rejects(stuck, (e: unknown) => e instanceof TidepoolApiError && e.code === 'timeout');
  assert.equal((await next).status, 'success');
});

test('a query goes in the URL, or as a body when it is long, with the same answer', async () => {
  const methods: string[] = [];
  const recording = new TidepoolClient(node.url, {
    fetch: (input, init) => {
      methods.push(init?.method ?? 'GET');
      return fetch(input, init);
    },
  });
  const usdc = DEV_MARKET.tokens.USDC;
  const balance = await recording.query<{ balance: string }>(usdc, { balance: { address: owner.address } });
  assert.equal(balance.balance, (await new Token(client, usdc).balanceOf(owner.address)).toString());
  assert.deepEqual(methods, ['GET']);
  // A message too long for a URL: the same refusal from the contract, through a POST.
  for (const padding of ['x', 'x'.repeat(MAX_QUERY_URL)]) {
    await assert.rejects(recording.query(usdc, { no_such_query: padding }), (e: unknown) => {
      assert.ok(e instanceof TidepoolApiError);
      assert.equal(e.status, 422);
      assert.equal(e.code, 'query_failed');
      return true;
    });
  }
  assert.deepEqual(methods, ['GET', 'GET', 'POST']);
});

test('a dev node answers CORS preflights from any origin', async () => {
  const response = await fetch(`${node.url}/v1/txs`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
});

test('dev controls: warp moves the clock, and with refreshPrices publishes the prices again', async () => {
  const oracle = new Oracle(client, DEV_MARKET.oracle);
  const before = await client.latestBlock();
  const block = await client.dev.warp(3600);
  assert.ok(block.time >= before.time + 3600);
  assert.ok((await oracle.price(DEV_MARKET.tokens.USDC)).updated_at < block.time, 'a plain warp leaves the prices as they were');
  const refreshed = await client.dev.warp(3600, { refreshPrices: true });
  assert.equal((await oracle.price(DEV_MARKET.tokens.USDC)).updated_at, refreshed.time);
});

test('toUnits: whole tokens to base units exactly, within what an amount holds', () => {
  assert.equal(toUnits('1.5', 6), 1_500_000n);
  assert.equal(toUnits('.25', 2), 25n);
  assert.equal(toUnits('340282366920938463463374607431768211455', 0), (1n << 128n) - 1n);
  assert.throws(() => toUnits('340282366920938463463374607431768211456', 0), /2\^128 − 1/);
  assert.throws(() => toUnits('340282366920938463463.374607431768211456', 18), /2\^128 − 1/);
  assert.throws(() => toUnits('1.234', 2), /more than 2 decimals/);
  assert.throws(() => toUnits('1e6', 0), /not an amount/);
});
