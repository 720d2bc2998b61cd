// Dev panel (dev nodes): pick a dev account — or connect a wallet — and send the market's
// transactions, each built and signed here, in the browser, through the TypeScript client, as a
// dApp would. Prices and the clock too.
import { useState } from 'preact/hooks';
import { DEV_ACCOUNT_KEYS, injectedSigner, privateKeySigner, toUnits, type Eip1193Provider, type Oracle, type Receipt, type Signer } from 'tidepool-client';
import { client, describeError, marketViews, pool, poolOracle } from '../api';
import { short, units, usd } from '../format';
import { refreshNow, useLive } from '../live';

const devSigners = DEV_ACCOUNT_KEYS.map((key) => privateKeySigner(key));

interface Outcome {
  ok: boolean;
  text: string;
  hash?: string;
}

export function Panel({ dev }: { dev?: boolean }) {
  const [account, setAccount] = useState(0);
  const [wallet, setWallet] = useState<Signer>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const { data: markets } = useLive(marketViews);
  const signer = wallet ?? devSigners[account]!;
  const { data: balances } = useLive(() => client.balances(signer.address), [signer.address]);
  const { data: position, error: positionError } = useLive(() => pool.position(signer.address), [signer.address]);

  if (dev === false) return <p class="error">Dev controls are off: this node was started without --dev.</p>;

  const run = async (label: string, action: () => Promise<Receipt | string>) => {
    setBusy(true);
    setOutcome(undefined);
    try {
      const result = await action();
      setOutcome(typeof result === 'string' ? { ok: true, text: result } : { ok: true, text: `${label}: ${result.status}, gas ${result.gas_used}`, hash: result.tx_hash });
    } catch (e) {
      setOutcome({ ok: false, text: `${label} failed: ${describeError(e)}` });
    } finally {
      setBusy(false);
      refreshNow();
    }
  };
  const connect = async () => {
    const provider = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
    if (!provider) return setOutcome({ ok: false, text: 'No wallet found: install MetaMask (or another injected Ethereum provider) and reload.' });
    try {
      setWallet(await injectedSigner(provider));
      setOutcome({ ok: true, text: 'Wallet connected: transactions are signed with personal_sign in the wallet.' });
    } catch (e) {
      setOutcome({ ok: false, text: `Connecting the wallet failed: ${describeError(e)}` });
    }
  };
  const symbol = (asset: string) => markets?.find((m) => m.asset === asset)?.token.symbol ?? short(asset);
  const decimals = (asset: string) => markets?.find((m) => m.asset === asset)?.decimals ?? 18;

  return (
    <section>
      <h1>Dev panel</h1>
      <div class="account-bar">
        <label>
          Account{' '}
          <select data-testid="account" value={wallet ? 'wallet' : account} disabled={!!wallet} onChange={(e) => setAccount(Number((e.target as HTMLSelectElement).value))}>
            {devSigners.map((s, i) => <option key={s.address} value={i}>({i}) {short(s.address)}</option>)}
            {wallet && <option value="wallet">wallet {short(wallet.address)}</option>}
          </select>
        </label>
        {wallet ? <button onClick={() => setWallet(undefined)}>Use dev accounts</button> : <button data-testid="connect-wallet" onClick={connect}>Connect wallet</button>}
        <span class="mono small" data-testid="signer">{signer.address}</span>
      </div>
      <p class="small">
        {balances?.tokens.map((t) => <span key={t.token} class="pill">{t.symbol} {units(t.balance, t.decimals, 2)}</span>)}
        {position ? <span class="pill">debt {usd(position.debt_value)} · capacity {usd(position.borrow_capacity)}</span> : positionError && <span class="pill muted">{positionError}</span>}
      </p>
      {outcome && (
        <p class={outcome.ok ? 'ok' : 'error'} data-testid="outcome" role="status">
          {outcome.text} {outcome.hash && <a href={`/explorer/txs/${outcome.hash}`} class="mono">{short(outcome.hash)}</a>}
        </p>
      )}
      <div class="forms">
        {(['supply', 'withdraw', 'borrow', 'repay'] as const).map((kind) => (
          <AmountForm key={kind} kind={kind} markets={markets ?? []} busy={busy} onSubmit={(asset, amount) =>
            run(`${kind} ${amount} ${symbol(asset)}`, async () => {
              if (amount === 'all' && (kind === 'supply' || kind === 'borrow')) throw new Error(`${kind} takes an amount of tokens, not "all"`);
              const value = amount === 'all' ? 'all' : toUnits(amount, decimals(asset));
              if (kind === 'supply') return pool.supply(signer, asset, value as bigint);
              if (kind === 'borrow') return pool.borrow(signer, asset, value as bigint);
              if (kind === 'withdraw') return pool.withdraw(signer, asset, value);
              return pool.repay(signer, asset, value);
            })} />
        ))}
        <LiquidateForm markets={markets ?? []} busy={busy} onSubmit={(borrower, debtAsset, collateralAsset, amount) =>
          run(`liquidate ${short(borrower)}`, () =>
            pool.liquidate(signer, { borrower, debtAsset, collateralAsset, debtToCover: amount === 'all' ? 'all' : toUnits(amount, decimals(debtAsset)) }))} />
        <PriceForm markets={markets ?? []} busy={busy} onSubmit={(asset, price) =>
          run(`set ${symbol(asset)} to $${price}`, async () => {
            const oracle = await poolOracle();
            const owner = await priceSigner(oracle, wallet);
            // Every market's price at once, so none goes stale: the others keep their current
            // values. A market whose price cannot be read (none was ever set) is left out, not
            // given one.
            const others = (markets ?? []).filter((m) => m.asset !== asset);
            const read = await Promise.allSettled(others.map((m) => oracle.price(m.asset)));
            const current = others.flatMap((m, i) => {
              const r = read[i]!;
              return r.status === 'fulfilled' ? [{ asset: m.asset, price: BigInt(r.value.price) }] : [];
            });
            return oracle.setPrices(owner, [{ asset, price: toUnits(price, 8) }, ...current]);
          })} />
        <WarpForm busy={busy} onSubmit={(seconds, refreshPrices) =>
          run(`warp ${seconds} s`, async () => {
            const block = await client.dev.warp(seconds, { refreshPrices });
            return `Clock moved: block ${block.height} at the new time${refreshPrices ? ', prices published again' : ''}.`;
          })} />
      </div>
    </section>
  );
}

/**
 * Who signs a price: the oracle's owner — the connected wallet if it is the owner, else the dev
 * account that is (account 0 on the dev market), whichever account the panel has selected.
 */
async function priceSigner(oracle: Oracle, wallet: Signer | undefined): Promise<Signer> {
  const owner = await oracle.owner();
  if (wallet && wallet.address === owner) return wallet;
  const dev = devSigners.find((s) => s.address === owner);
  if (dev) return dev;
  throw new Error(`only the oracle's owner ${owner} sets prices, and it is not a dev account${wallet ? ' nor the connected wallet' : ''}`);
}

function AssetSelect({ markets, value, onChange, testId }: { markets: { asset: string; token: { symbol: string } }[]; value: string; onChange: (v: string) => void; testId: string }) {
  return (
    <select data-testid={testId} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {markets.map((m) => <option key={m.asset} value={m.asset}>{m.token.symbol}</option>)}
    </select>
  );
}

type Markets = { asset: string; token: { symbol: string } }[];

function AmountForm({ kind, markets, busy, onSubmit }: { kind: string; markets: Markets; busy: boolean; onSubmit: (asset: string, amount: string) => void }) {
  const [asset, setAsset] = useState('');
  const [amount, setAmount] = useState('');
  const chosen = asset || markets[0]?.asset || '';
  return (
    <form class="card" data-testid={`form-${kind}`} onSubmit={(e) => { e.preventDefault(); onSubmit(chosen, amount.trim()); }}>
      <h3>{kind[0]!.toUpperCase() + kind.slice(1)}</h3>
      <AssetSelect testId="asset" markets={markets} value={chosen} onChange={setAsset} />
      <input data-testid="amount" inputMode="decimal" placeholder={kind === 'withdraw' || kind === 'repay' ? 'tokens, or all' : 'tokens'} value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !amount.trim()} data-testid="submit">{kind}</button>
    </form>
  );
}

function LiquidateForm({ markets, busy, onSubmit }: { markets: Markets; busy: boolean; onSubmit: (borrower: string, debt: string, collateral: string, amount: string) => void }) {
  const [borrower, setBorrower] = useState('');
  const [debt, setDebt] = useState('');
  const [collateral, setCollateral] = useState('');
  const [amount, setAmount] = useState('all');
  const debtAsset = debt || markets[0]?.asset || '';
  const collateralAsset = collateral || markets[1]?.asset || markets[0]?.asset || '';
  return (
    <form class="card" data-testid="form-liquidate" onSubmit={(e) => { e.preventDefault(); onSubmit(borrower.trim(), debtAsset, collateralAsset, amount.trim()); }}>
      <h3>Liquidate</h3>
      <input data-testid="borrower" placeholder="borrower 0x…" value={borrower} onInput={(e) => setBorrower((e.target as HTMLInputElement).value)} />
      <label>repay <AssetSelect testId="debt-asset" markets={markets} value={debtAsset} onChange={setDebt} /></label>
      <label>seize <AssetSelect testId="collateral-asset" markets={markets} value={collateralAsset} onChange={setCollateral} /></label>
      <input data-testid="amount" placeholder="tokens, or all" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !borrower.trim()} data-testid="submit">liquidate</button>
    </form>
  );
}

function PriceForm({ markets, busy, onSubmit }: { markets: Markets; busy: boolean; onSubmit: (asset: string, price: string) => void }) {
  const [asset, setAsset] = useState('');
  const [price, setPrice] = useState('');
  const chosen = asset || markets[0]?.asset || '';
  return (
    <form class="card" data-testid="form-price" onSubmit={(e) => { e.preventDefault(); onSubmit(chosen, price.trim()); }}>
      <h3>Set a price <small class="muted">(signed by the oracle's owner: dev account 0)</small></h3>
      <AssetSelect testId="asset" markets={markets} value={chosen} onChange={setAsset} />
      <input data-testid="price" inputMode="decimal" placeholder="USD per token" value={price} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !price.trim()} data-testid="submit">set price</button>
    </form>
  );
}

function WarpForm({ busy, onSubmit }: { busy: boolean; onSubmit: (seconds: number, refreshPrices: boolean) => void }) {
  const [seconds, setSeconds] = useState('3600');
  // On by default: the pool refuses prices over an hour old, so after a plain warp every position
  // query answers "stale price" until someone publishes prices again.
  const [refresh, setRefresh] = useState(true);
  return (
    <form class="card" data-testid="form-warp" onSubmit={(e) => { e.preventDefault(); onSubmit(Number(seconds), refresh); }}>
      <h3>Warp time</h3>
      <input data-testid="seconds" inputMode="numeric" value={seconds} onInput={(e) => setSeconds((e.target as HTMLInputElement).value)} />
      <label class="small"><input type="checkbox" data-testid="refresh-prices" checked={refresh} onChange={(e) => setRefresh((e.target as HTMLInputElement).checked)} /> publish prices again</label>
      <button type="submit" disabled={busy || !/^\d+$/.test(seconds)} data-testid="submit">warp</button>
    </form>
  );
}
