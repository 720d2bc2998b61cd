// The lending helpers' approvals against a dev node: "all" with interest accruing before the pool
// call runs, what a liquidation approves, concurrent helpers of one owner, an explicit nonce.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DEV_MARKET,
  LendingPool,
  Oracle,
  TidepoolClient,
  Token,
  allowanceWithMargin,
  type Signer,
} from '../src/index.js';
import { startDevNode, type DevNode } from '../src/node.js';
import { binary, freshAccount, owner, withHook } from './helpers.js';

let node: DevNode;
let client: TidepoolClient;
let pool: LendingPool;
const { USDC, WETH, WBTC } = DEV_MARKET.tokens;
const USDC_UNIT = 1_000_000n;
const WETH_UNIT = 10n ** 18n;

before(async () => {
  node = await startDevNode(binary);
  client = new TidepoolClient(node.url);
  pool = new LendingPool(client);
});
after(async () => {
  await node?.stop();
});

/** Publishes USDC $1, WBTC $60,000 and WETH at `wethUsd` dollars. */
async function setWethPrice(wethUsd: bigint): Promise<void> {
  await new Oracle(client, DEV_MARKET.oracle).setPrices(owner, [
    { asset: USDC, price: 100_000_000n },
    { asset: WETH, price: wethUsd * 100_000_000n },
    { asset: WBTC, price: 6_000_000_000_000n },
  ]);
}

/** A borrower with 1 WETH of collateral at $3,000 and 99 % of its capacity borrowed in USDC. */
async function borrowerAtCapacity(): Promise<Signer> {
  await setWethPrice(3_000n);
  const borrower = await freshAccount(client, { WETH: WETH_UNIT });
  await pool.supply(borrower, WETH, WETH_UNIT);
  const capacity = BigInt((await pool.position(borrower.address)).borrow_capacity); // USD × 10^8
  await pool.borrow(borrower, USDC, (capacity * 99n) / 100n / 100n);
  return borrower;
}

/** A signer that, before its second signature (the pool call after the approval), lets a day pass. */
function slowWallet(signer: Signer): Signer {
  return withHook(signer, async (n) => {
    if (n === 2) await client.dev.warp(86_400, { refreshPrices: true });
  });
}

test('repay "all" still pays the whole debt when interest accrues before the pool call runs', async () => {
  await setWethPrice(3_000n);
  const borrower = await freshAccount(client, { WETH: 10n * WETH_UNIT, USDC: 1_000n * USDC_UNIT });
  await pool.supply(borrower, WETH, 10n * WETH_UNIT);
  await pool.borrow(borrower, USDC, 10_000n * USDC_UNIT);
  const receipt = await pool.repay(slowWallet(borrower), USDC, 'all');
  assert.equal(receipt.status, 'success');
  assert.equal((await pool.balance(borrower.address, USDC)).debt, '0', 'the whole debt, interest included, is repaid');
  const event = receipt.events.find((e) => e.type === 'repay');
  assert.ok(BigInt((event?.data as { amount: string }).amount) > 10_000n * USDC_UNIT, 'interest was paid too');
});

test('the interest margin: 1 % (rounded up) plus 1,000 base units, at most 2^128 − 1', () => {
  assert.equal(allowanceWithMargin(0n), 1_000n);
  assert.equal(allowanceWithMargin(10_000n * USDC_UNIT), 10_100n * USDC_UNIT + 1_000n);
  assert.equal(allowanceWithMargin(101n), 101n + 2n + 1_000n);
  assert.equal(allowanceWithMargin((1n << 128n) - 10n), (1n << 128n) - 1n);
});

test('liquidate "all" above the full-close threshold approves the close factor\'s share of the debt, not all of it', async () => {
  const borrower = await borrowerAtCapacity();
  await setWethPrice(2_822n); // health factor ≈ 0.98: above full_close_hf (0.95), so half the debt at most
  const position = await pool.position(borrower.address);
  assert.ok(BigInt(position.health_factor) > 960_000_000_000_000_000n && BigInt(position.health_factor) < 10n ** 18n);
  const debt = BigInt((await pool.balance(borrower.address, USDC)).debt);
  const liquidator = await freshAccount(client, { USDC: 5_000n * USDC_UNIT });
  const receipt = await pool.liquidate(liquidator, { borrower: borrower.address, debtAsset: USDC, collateralAsset: WETH, debtToCover: 'all' });
  const repaid = BigInt((receipt.events.find((e) => e.type === 'liquidate')?.data as { repaid: string }).repaid);
  assert.equal(repaid, debt / 2n, 'the close factor (50 %) of the debt');
  const left = await new Token(client, USDC).allowance(liquidator.address, pool.address);
  assert.ok(left <= allowanceWithMargin(debt / 2n) - repaid, `only the margin is left approved: ${left}`);
});

test('liquidate "all" at or below the full-close threshold covers the whole debt, interest accrued before the call included', async () => {
  const borrower = await borrowerAtCapacity();
  await setWethPrice(2_620n); // health factor ≈ 0.91: the whole debt may be repaid, and the collateral covers it
  const liquidator = await freshAccount(client, { USDC: 5_000n * USDC_UNIT });
  const receipt = await pool.liquidate(slowWallet(liquidator), {
    borrower: borrower.address,
    debtAsset: USDC,
    collateralAsset: WETH,
    debtToCover: 'all',
  });
  assert.equal(receipt.status, 'success');
  assert.equal((await pool.balance(borrower.address, USDC)).debt, '0', 'the whole debt is repaid');
});

test('concurrent supplies of one token by one owner each approve and spend their own allowance', async () => {
  const supplier = await freshAccount(client, { USDC: 20n * USDC_UNIT });
  const results = await Promise.allSettled([pool.supply(supplier, USDC, 5n * USDC_UNIT), pool.supply(supplier, USDC, 7n * USDC_UNIT)]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value.status : String(r.reason))),
    ['success', 'success'],
  );
  const supplied = BigInt((await pool.balance(supplier.address, USDC)).supplied);
  assert.ok(supplied >= 12n * USDC_UNIT - 2n && supplied <= 12n * USDC_UNIT, `both supplied (shares rounded down): ${supplied}`);
});

test('an explicit nonce N: the approval takes N and the pool call N + 1', async () => {
  const supplier = await freshAccount(client, { USDC: 10n * USDC_UNIT });
  const nonce = (await client.account(supplier.address)).pending_nonce ?? 0;
  const receipt = await pool.supply(supplier, USDC, USDC_UNIT, { nonce });
  assert.equal(receipt.status, 'success');
  assert.equal((await client.account(supplier.address)).nonce, nonce + 2);
  // No approval needed (the allowance covers it): the pool call alone, with the nonce given.
  await new Token(client, USDC).approve(supplier, pool.address, 10n * USDC_UNIT);
  await pool.supply(supplier, USDC, USDC_UNIT, { nonce: BigInt(nonce + 3) });
  assert.equal((await client.account(supplier.address)).nonce, nonce + 4);
});

test('an amount given as a number is refused before anything is sent', async () => {
  const supplier = await freshAccount(client, { USDC: 10n * USDC_UNIT });
  await assert.rejects(pool.supply(supplier, USDC, 5 as unknown as bigint), TypeError);
  await assert.rejects(
    client.sendTransaction(supplier, { type: 'transfer', to: owner.address, amount: 5 as unknown as bigint }),
    TypeError,
  );
  assert.equal((await client.account(supplier.address)).pending_nonce, 0, 'nothing was sent');
});
