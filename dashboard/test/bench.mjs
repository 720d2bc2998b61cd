// `make bench-dashboard`: the positions page with 1,000 accounts, in headless Chromium. Creates
// 1,000 fresh accounts on a dev node, each with WETH collateral and a USDC debt (one signed batch
// per step), then loads /positions and reports how long until all 1,000 rows are on the screen:
// from navigation (fetching the pages of the pool's `positions` query included), and a re-render
// (sorting by health factor). Prints the figures; asserts nothing about time. BENCHMARKS.md keeps them.
import { DEV_ACCOUNT_KEYS, DEV_MARKET, TidepoolClient, privateKeySigner, signTransaction } from 'tidepool-client';
import { generatePrivateKey } from 'viem/accounts';
import { binary, launchBrowser, startDevNode } from './harness.mjs';

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 1000);
const GAS = 2_000_000;
const HALF_WETH = (5n * 10n ** 17n).toString();

async function batch(client, signedList) {
  const body = `[${signedList.map((s) => s.body).join(',')}]`;
  const answers = await client.request('POST', '/v1/txs/batch', body);
  const failed = answers.filter((a) => a.error || a.status !== 'success');
  if (failed.length) throw new Error(`${failed.length} of ${answers.length} failed: ${JSON.stringify(failed[0])}`);
}

const node = await startDevNode(binary);
const browser = await launchBrowser();
try {
  const client = new TidepoolClient(node.url);
  const chainId = await client.getChainId();
  const owner = privateKeySigner(DEV_ACCOUNT_KEYS[0]);
  const users = Array.from({ length: ACCOUNTS }, () => privateKeySigner(generatePrivateKey()));
  const { USDC, WETH, WBTC } = DEV_MARKET.tokens;
  const execute = (contract, msg) => ({ type: 'execute', contract, msg });
  const started = Date.now();
  // Fresh prices, then 0.5 WETH to every account (dev account 0 holds 1,000).
  let nonce = (await client.account(owner.address)).nonce;
  const setPrices = execute(DEV_MARKET.oracle, { set_prices: { prices: [{ asset: USDC, price: '100000000' }, { asset: WETH, price: '300000000000' }, { asset: WBTC, price: '6000000000000' }] } });
  const funding = [await signTransaction(owner, { chain_id: chainId, nonce: nonce++, from: owner.address, gas_limit: GAS, action: setPrices })];
  for (const user of users) {
    const action = execute(WETH, { transfer: { to: user.address, amount: HALF_WETH } });
    funding.push(await signTransaction(owner, { chain_id: chainId, nonce: nonce++, from: owner.address, gas_limit: GAS, action }));
  }
  await batch(client, funding);
  // Each account approves, supplies 0.5 WETH ($1,500: capacity $1,200) and borrows $50 to $450 of USDC (the pool holds about 500,000).
  for (const [step, actionFor] of [
    ['approve', () => execute(WETH, { approve: { spender: DEV_MARKET.pool, amount: HALF_WETH } })],
    ['supply', () => execute(DEV_MARKET.pool, { supply: { asset: WETH, amount: HALF_WETH } })],
    ['borrow', (i) => execute(DEV_MARKET.pool, { borrow: { asset: USDC, amount: String((50 + ((i * 400) / ACCOUNTS) | 0) * 1_000_000) } })],
  ]) {
    const nonceOf = { approve: 0, supply: 1, borrow: 2 }[step];
    const signed = await Promise.all(users.map((u, i) => signTransaction(u, { chain_id: chainId, nonce: nonceOf, from: u.address, gas_limit: GAS, action: actionFor(i) })));
    await batch(client, signed);
  }
  console.log(`setup: ${ACCOUNTS} accounts with a position in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const page = await browser.context.newPage();
  const runs = [];
  for (let run = 0; run < 3; run++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(`${node.url}/positions`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=positions] tbody tr').length >= n, ACCOUNTS, { timeout: 60_000, polling: 'raf' });
    const navigation = Date.now() - t0;
    const resort = await page.evaluate(async () => {
      const button = document.querySelector('[data-testid=sort-health]');
      const first = document.querySelector('[data-testid=positions] tbody tr')?.getAttribute('data-testid');
      const t = performance.now();
      button.click();
      await new Promise((resolve) => {
        const check = () => (document.querySelector('[data-testid=positions] tbody tr')?.getAttribute('data-testid') !== first ? resolve() : requestAnimationFrame(check));
        check();
      });
      return performance.now() - t;
    });
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const queries = performance.getEntriesByType('resource').filter((r) => r.name.includes('/query'));
      return { domContentLoaded: nav.domContentLoadedEventEnd, queries: queries.length };
    });
    runs.push({ navigation, resort, ...timing });
  }
  const rows = await page.locator('[data-testid=positions] tbody tr').count();
  console.log(`positions page, ${rows} rows (${ACCOUNTS} accounts + the pool seed and genesis suppliers):`);
  for (const [i, r] of runs.entries()) {
    console.log(`  run ${i + 1}: all rows on screen ${r.navigation} ms after navigation (DOMContentLoaded ${r.domContentLoaded.toFixed(0)} ms, ${r.queries} pool queries); re-sort by health factor ${r.resort.toFixed(0)} ms`);
  }
} finally {
  await browser.close();
  await node.stop();
}
