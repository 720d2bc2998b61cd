// The dashboard in a real browser (headless Chromium) against a real dev node with the dashboard
// built in: every page loads without console errors (screenshots of each under
// <target>/dashboard-screenshots for review); the liquidation story is clicked through in the dev
// panel — supply, borrow, a price drop, the liquidation — and the figures on the pages equal the
// REST API's; a validator whose network cannot decide blocks shows "stalled" in the header; phone
// width has no sideways scrolling; the first load stays under 300 KB compressed.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DEV_ACCOUNT_KEYS, DEV_MARKET, LendingPool, Oracle, TidepoolClient, privateKeySigner } from 'tidepool-client';
import { binary, ensureScreenshotDir, launchBrowser, repo, startDevNode, watchedPage } from './harness.mjs';

const [owner, , borrower, liquidator] = DEV_ACCOUNT_KEYS.map((k) => privateKeySigner(k).address);
let node;
let browser;
let client;
let pool;
let shots;

before(async () => {
  node = await startDevNode(binary);
  assert.match(node.output(), /Dashboard at http/, 'the binary was built with the dashboard (make builds it first)');
  browser = await launchBrowser();
  client = new TidepoolClient(node.url);
  pool = new LendingPool(client);
  shots = ensureScreenshotDir();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

/** `USD × 10^8` as the pages write it. */
const usd = (v) => {
  const cents = BigInt(v) / 1_000_000n;
  return `$${(cents / 100n).toLocaleString('en-US')}.${(cents % 100n).toString().padStart(2, '0')}`;
};

async function visit(page, path, ready) {
  await page.goto(`${node.url}${path}`);
  await page.locator(ready).first().waitFor({ state: 'attached' });
}

test('every page loads without console errors', async () => {
  const { page, errors } = await watchedPage(browser.context);
  // A transaction to look at: dev account 1 sends dev account 0 one unit.
  const tx = (await client.sendTransaction(privateKeySigner(DEV_ACCOUNT_KEYS[1]), { type: 'transfer', to: owner, amount: '1' })).tx_hash;
  const { height } = (await client.transaction(tx)).receipt;
  const pages = [
    ['markets', '/', '[data-testid=market-USDC] [data-testid=utilization]'],
    ['positions', '/positions', '[data-testid=positions] tbody tr'],
    ['position', `/positions/${DEV_MARKET.pool}`, '[data-testid=position-markets] tbody tr'],
    ['explorer', '/explorer', '[data-testid=blocks] tbody tr'],
    ['block', `/explorer/blocks/${height}`, '[data-testid=block]'],
    ['transaction', `/explorer/txs/${tx}`, '[data-testid=tx-status]'],
    ['contract', `/explorer/contracts/${DEV_MARKET.pool}`, '[data-testid=state] tbody tr'],
    ['account', `/explorer/accounts/${owner}`, '[data-testid=account]'],
    ['panel', '/panel', '[data-testid=form-supply] option'],
  ];
  for (const [name, path, ready] of pages) {
    await visit(page, path, ready);
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
  // Each section's navigation link leads to it, in the page.
  await page.getByTestId('nav-markets').click();
  await page.locator('[data-testid=market-WETH]').waitFor();
  // A raw-state prefix filter narrows the contract's storage.
  await visit(page, `/explorer/contracts/${DEV_MARKET.pool}`, '[data-testid=state] tbody tr');
  await page.getByTestId('prefix').fill('config');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=state] tbody tr td:first-child')].every((td) => td.textContent.includes('config')));
  // Search by transaction hash.
  await visit(page, '/explorer', '[data-testid=search]');
  await page.getByTestId('search').fill(tx);
  await page.getByTestId('search').press('Enter');
  await page.locator('[data-testid=tx-status]').waitFor();
  assert.equal(new URL(page.url()).pathname, `/explorer/txs/${tx}`);
  assert.deepEqual(errors, []);
  await page.close();
});

async function submit(page, form, label, fill) {
  const scope = page.getByTestId(form);
  await fill(scope);
  await scope.getByTestId('submit').click();
  const outcome = page.getByTestId('outcome').filter({ hasText: label });
  await outcome.waitFor({ timeout: 60_000 });
  const text = await outcome.textContent();
  assert.match(text, /success|moved/, `${label}: ${text}`);
}

async function chooseAccount(page, address) {
  const index = DEV_ACCOUNT_KEYS.findIndex((k) => privateKeySigner(k).address === address);
  await page.getByTestId('account').selectOption(String(index));
  await page.getByTestId('signer').filter({ hasText: address }).waitFor();
}

test('the liquidation story, clicked through in the dev panel', async () => {
  const { page, errors } = await watchedPage(browser.context);
  const { USDC, WETH } = DEV_MARKET.tokens;
  await visit(page, '/panel', '[data-testid=form-supply] option');

  // Account 0, the oracle's owner, publishes a fresh WETH price of $3,000.
  await chooseAccount(page, owner);
  await submit(page, 'form-price', 'set WETH to $3000', async (f) => {
    await f.getByTestId('asset').selectOption({ label: 'WETH' });
    await f.getByTestId('price').fill('3000');
  });
  // Account 2 supplies 1 WETH and borrows 99 % of its capacity in USDC.
  await chooseAccount(page, borrower);
  await submit(page, 'form-supply', 'supply 1 WETH', async (f) => {
    await f.getByTestId('asset').selectOption({ label: 'WETH' });
    await f.getByTestId('amount').fill('1');
  });
  const capacity = BigInt((await pool.position(borrower)).borrow_capacity); // USD × 10^8
  const borrow = ((capacity * 99n) / 100n / 100n).toString(); // USDC, 6 decimals
  const borrowTokens = `${borrow.slice(0, -6) || '0'}.${borrow.slice(-6).padStart(6, '0')}`;
  await submit(page, 'form-borrow', `borrow ${borrowTokens} USDC`, async (f) => {
    await f.getByTestId('asset').selectOption({ label: 'USDC' });
    await f.getByTestId('amount').fill(borrowTokens);
  });
  await page.screenshot({ path: join(shots, 'panel-after-borrow.png'), fullPage: true });
  // The price drops to $2,000: account 2 is liquidatable.
  await chooseAccount(page, owner);
  await submit(page, 'form-price', 'set WETH to $2000', async (f) => {
    await f.getByTestId('asset').selectOption({ label: 'WETH' });
    await f.getByTestId('price').fill('2000');
  });
  await visit(page, '/positions', `[data-testid="row-${borrower}"] .badge.danger`);
  const listed = (await pool.allPositions()).find((p) => p.user === borrower);
  assert.equal(await page.locator(`[data-testid="row-${borrower}"] [data-testid=hf]`).getAttribute('data-value'), listed.valuation.health_factor);
  // Sorted by health factor, lowest first: the liquidatable account on top; a click reverses it.
  const firstRow = () => page.locator('[data-testid=positions] tbody tr').first().getAttribute('data-testid');
  assert.equal(await firstRow(), `row-${borrower}`);
  await page.screenshot({ path: join(shots, 'positions-liquidatable.png'), fullPage: true });
  await page.getByTestId('sort-health').click();
  assert.notEqual(await firstRow(), `row-${borrower}`);

  // Account 3 liquidates it: repays USDC, seizes WETH.
  await visit(page, '/panel', '[data-testid=form-liquidate] option');
  await chooseAccount(page, liquidator);
  await submit(page, 'form-liquidate', 'liquidate', async (f) => {
    await f.getByTestId('borrower').fill(borrower);
    await f.getByTestId('debt-asset').selectOption({ label: 'USDC' });
    await f.getByTestId('collateral-asset').selectOption({ label: 'WETH' });
    await f.getByTestId('amount').fill('all');
  });
  const hash = await page.getByTestId('outcome').locator('a').getAttribute('href');
  const { receipt } = await client.transaction(hash.split('/').pop());
  assert.ok(receipt.events.some((e) => e.type === 'liquidate'), 'the receipt has the liquidate event');

  // The position page shows what the API says, figure by figure.
  await visit(page, `/positions/${borrower}`, '[data-testid=health-factor]');
  await page.waitForFunction(() => document.querySelector('[data-testid=health-history] polyline'));
  const position = await pool.position(borrower);
  for (const [id, field] of [['collateral-value', 'collateral_value'], ['debt-value', 'debt_value'], ['borrow-capacity', 'borrow_capacity']]) {
    const cell = page.getByTestId(id);
    assert.equal(await cell.getAttribute('data-value'), position[field], id);
    assert.equal((await cell.textContent()).trim(), usd(position[field]), id);
  }
  assert.equal(await page.getByTestId('health-factor').getAttribute('data-value'), position.health_factor);
  for (const balance of position.markets) {
    const symbol = balance.asset === USDC ? 'USDC' : balance.asset === WETH ? 'WETH' : 'WBTC';
    const row = page.getByTestId(`balance-${symbol}`);
    assert.equal(await row.getByTestId('supplied').getAttribute('data-value'), balance.supplied, `${symbol} supplied`);
    assert.equal(await row.getByTestId('debt').getAttribute('data-value'), balance.debt, `${symbol} debt`);
  }
  await page.screenshot({ path: join(shots, 'position-after-liquidation.png'), fullPage: true });

  // The markets page agrees with the pool on the USDC market.
  await visit(page, '/markets', '[data-testid=market-USDC] [data-testid=borrows]');
  const usdc = await pool.market(USDC);
  const card = page.getByTestId('market-USDC');
  assert.equal(await card.getByTestId('borrows').getAttribute('data-value'), usdc.state.total_borrows);
  assert.equal(await card.getByTestId('utilization').getAttribute('data-value'), usdc.utilization);
  assert.equal(await card.getByTestId('cash').getAttribute('data-value'), usdc.state.cash);
  await page.screenshot({ path: join(shots, 'markets-after-liquidation.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a block made elsewhere shows at once, through the live stream', async () => {
  const { page, errors } = await watchedPage(browser.context);
  const streams = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/stream') streams.push(request.url());
  });
  await visit(page, '/explorer', '[data-testid=blocks] tbody tr');
  await page.waitForFunction(() => document.querySelector('[data-testid=height]')?.dataset.value !== undefined);
  const shown = Number(await page.getByTestId('height').getAttribute('data-value'));
  // Another client makes a block; the page did nothing.
  await client.sendTransaction(privateKeySigner(DEV_ACCOUNT_KEYS[2]), { type: 'transfer', to: owner, amount: '1' });
  const latest = (await client.latestBlock()).height;
  assert.ok(latest > shown, `${latest} > ${shown}`);
  await page.waitForFunction((h) => Number(document.querySelector('[data-testid=height]')?.dataset.value) >= h, latest, { timeout: 10_000 });
  // The explorer's block list follows too.
  await page.locator(`[data-testid=blocks] tbody tr:has-text("${latest}")`).first().waitFor({ timeout: 10_000 });
  assert.ok(streams.some((url) => new URL(url).searchParams.get('topics') === 'blocks'), `the page follows the stream: ${streams}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the address bar and the panel: a bad block height is refused in the page, prices are the owner\'s', async () => {
  const { page } = await watchedPage(browser.context);
  const blockRequests = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/v1/blocks/') && path !== '/v1/blocks/latest') blockRequests.push(path);
  });
  for (const bad of ['abc', '99999999999999999999']) {
    await visit(page, `/explorer/blocks/${bad}`, '[data-testid=block-error]');
    assert.match(await page.getByTestId('block-error').textContent(), new RegExp(`"${bad}" is not a block height`));
  }
  // A second's worth of renders (the header follows new blocks) asks the node nothing.
  await client.dev.mine(2);
  await page.waitForTimeout(1_000);
  assert.deepEqual(blockRequests, []);

  // With account 1 selected, a price is still signed by the oracle's owner (account 0).
  await visit(page, '/panel', '[data-testid=form-price] option');
  await chooseAccount(page, DEV_ACCOUNT_KEYS.map((k) => privateKeySigner(k).address)[1]);
  await submit(page, 'form-price', 'set USDC to $1', async (f) => {
    await f.getByTestId('asset').selectOption({ label: 'USDC' });
    await f.getByTestId('price').fill('1');
  });
  const hash = await page.getByTestId('outcome').locator('a').getAttribute('href');
  const priceTx = hash.split('/').pop();
  assert.equal((await client.transaction(priceTx)).tx.tx.from, owner);
  // A warp from the panel publishes the prices again by default, stamped with its block's time.
  await submit(page, 'form-warp', 'prices published again', async (f) => {
    await f.getByTestId('seconds').fill('60');
  });
  const warped = await client.latestBlock();
  assert.equal((await new Oracle(client, DEV_MARKET.oracle).price(DEV_MARKET.tokens.USDC)).updated_at, warped.time);
  // An amount no token can hold is refused before anything is signed.
  const before = (await client.latestBlock()).height;
  const supply = page.getByTestId('form-supply');
  await supply.getByTestId('asset').selectOption({ label: 'USDC' });
  await supply.getByTestId('amount').fill('1'.repeat(40));
  await supply.getByTestId('submit').click();
  await page.getByTestId('outcome').filter({ hasText: '2^128 − 1' }).waitFor();
  assert.equal((await client.latestBlock()).height, before, 'nothing was mined');
  // A hash typed with `0X` is found as with `0x`.
  await visit(page, '/explorer', '[data-testid=search]');
  await page.getByTestId('search').fill(`0X${priceTx.slice(2)}`);
  await page.getByTestId('search').press('Enter');
  await page.locator('[data-testid=tx-status]').waitFor();
  assert.equal(new URL(page.url()).pathname, `/explorer/txs/${priceTx}`);
  await page.close();
});

test('the health-factor chart forgets a reverted chain, and a height it cannot read is a gap', async () => {
  const { page } = await watchedPage(browser.context);
  const { USDC, WETH, WBTC } = DEV_MARKET.tokens;
  const account = privateKeySigner(DEV_ACCOUNT_KEYS[6]);
  const oracle = new Oracle(client, DEV_MARKET.oracle);
  const prices = await oracle.prices([USDC, WETH, WBTC]);
  await oracle.setPrices(privateKeySigner(DEV_ACCOUNT_KEYS[0]), [USDC, WETH, WBTC].map((asset, i) => ({ asset, price: prices[i].price })));
  await pool.supply(account, WETH, 10n ** 18n);
  const snapshot = await client.dev.snapshot();
  await pool.borrow(account, USDC, 1_000_000_000n); // $1,000 against $2,000–3,000 of WETH: a factor below 10
  await client.dev.mine(2);
  const points = () => page.getByTestId('health-history').getAttribute('data-points').then((p) => JSON.parse(p)[0]);
  await visit(page, `/positions/${account.address}`, '[data-testid=health-history]');
  await page.waitForFunction(() => JSON.parse(document.querySelector('[data-testid=health-history]').dataset.points)[0].some(([, v]) => v < 10));

  // Back before the borrow, and as many blocks again: no height holds a debt any more.
  await client.dev.revert(snapshot.id);
  const latest = (await client.dev.mine(3)).height;
  await page.waitForFunction((h) => {
    const [line] = JSON.parse(document.querySelector('[data-testid=health-history]')?.dataset.points ?? '[[]]');
    return line.some(([x]) => x === h) && line.every(([, v]) => v === 10);
  }, latest, { timeout: 10_000 });

  // Two hours on without new prices: two heights the pool cannot value (it refuses stale
  // prices), then prices again. The chart goes on past the gap, with the heights before it.
  const stale = (await client.dev.warp(7200)).height;
  await client.dev.mine(1);
  const fresh = (await client.dev.warp(0, { refreshPrices: true })).height;
  await page.waitForFunction((h) => {
    const [line] = JSON.parse(document.querySelector('[data-testid=health-history]')?.dataset.points ?? '[[]]');
    return line.some(([x]) => x === h);
  }, fresh, { timeout: 10_000 });
  const line = await points();
  // A gap is a point without a value (NaN, written null): the line stops there and goes on after.
  assert.deepEqual(line.filter(([x]) => x === stale || x === stale + 1), [[stale, null], [stale + 1, null]], 'the stale heights are a gap');
  assert.ok(line.filter(([x, v]) => x < stale && v !== null).length >= 3, `the heights before it are still shown: ${JSON.stringify(line)}`);
  assert.ok((await page.locator('[data-testid=health-history] polyline').count()) >= 2, 'the line is drawn in two pieces');
  await page.close();
});

/** `n` distinct free loopback ports, all held until every one is picked. */
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => resolve(s)); })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

test('a validator whose network cannot decide blocks says so in the header', async () => {
  // One validator of a four-validator network, started alone: a quarter of the voting power can
  // never decide a block. Short rounds make the stall show within seconds.
  const dir = mkdtempSync(join(tmpdir(), 'tidepool-testnet-'));
  const [api, p2p] = await freePorts(2);
  execFileSync(binary, ['testnet', '--out', dir, '--api-port', String(api), '--p2p-port', String(p2p), '--no-market'], { stdio: 'pipe' });
  const settingsFile = join(dir, 'node0', 'node.json');
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  settings.timeouts = { propose: 300, prevote: 100, precommit: 100, per_round: 100 };
  settings.empty_block_interval_ms = 200;
  writeFileSync(settingsFile, JSON.stringify(settings));
  const validator = spawn(binary, ['node', '--home', join(dir, 'node0')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  validator.stdout.on('data', (chunk) => (output += chunk));
  validator.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => validator.once('exit', resolve));
  const url = `http://127.0.0.1:${api}`;
  try {
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
      assert.ok(Date.now() < deadline && validator.exitCode === null, `the validator did not answer:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { page, errors } = await watchedPage(browser.context);
    await page.goto(`${url}/explorer`);
    await page.getByTestId('stalled').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('stalled').getAttribute('title'), /No new block for \d+ s/);
    await page.screenshot({ path: join(shots, 'stalled.png') });
    const health = await (await fetch(`${url}/health`)).json();
    assert.equal(health.status, 'stalled', JSON.stringify(health));
    assert.equal(health.height, 0);
    // Its log says so too, once (checked each second).
    const logged = Date.now() + 10_000;
    while (!output.includes('consensus is stalled') && Date.now() < logged) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(output.split('consensus is stalled').length - 1, 1, output);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    validator.kill('SIGTERM');
    const timer = setTimeout(() => validator.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors from the API are shown as the API words them', async () => {
  const { page } = await watchedPage(browser.context);
  await visit(page, '/panel', '[data-testid=form-borrow] option');
  await chooseAccount(page, DEV_ACCOUNT_KEYS.map((k) => privateKeySigner(k).address)[7]);
  const scope = page.getByTestId('form-borrow');
  await scope.getByTestId('asset').selectOption({ label: 'USDC' });
  await scope.getByTestId('amount').fill('1000000');
  await scope.getByTestId('submit').click();
  const outcome = page.getByTestId('outcome').filter({ hasText: 'borrow 1000000 USDC failed' });
  await outcome.waitFor({ timeout: 60_000 });
  // Refused by its simulation, before any signature: nothing was sent.
  assert.match(await outcome.textContent(), /Not sent: it would fail \(reverted: .*(unhealthy|not enough cash|borrow cap)/);
  await page.close();
});

test('at phone width nothing scrolls sideways', async () => {
  const { page, errors } = await watchedPage(browser.context);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, path, ready] of [
    ['markets', '/markets', '[data-testid=market-USDC]'],
    ['positions', '/positions', '[data-testid=positions] tbody tr'],
    ['panel', '/panel', '[data-testid=form-supply] option'],
    // An error that quotes a hash: a long word, which must break, not widen the page.
    ['error', `/explorer/txs/0x${'ab'.repeat(32)}`, 'p.error'],
  ]) {
    await visit(page, path, ready);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(ensureScreenshotDir(), `phone-${name}.png`), fullPage: true });
  }
  // The unknown transaction's 404 is the one error.
  assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), []);
  await page.close();
});

test('the first load is at most 300 KB compressed', () => {
  const dist = join(repo, 'dashboard', 'dist');
  const html = readFileSync(join(dist, 'index.html'));
  const assets = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f));
  const gzip = [html, ...assets.map((f) => readFileSync(join(dist, 'assets', f)))].reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0);
  assert.ok(gzip <= 300 * 1024, `${gzip} bytes gzip`);
});
