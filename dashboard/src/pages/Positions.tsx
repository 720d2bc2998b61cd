// Accounts and positions: every account with a position (the pool's `positions` query, a page of
// 100 at a time), sortable by health factor, liquidatable ones marked; a position page per account.
import { useMemo, useState } from 'preact/hooks';
import { TidepoolApiError, WAD, type AccountPosition, type Position } from 'tidepool-client';
import { client, marketViews, pool, poolAddress } from '../api';
import { LineChart } from '../chart';
import { healthFactor, healthNumber, short, units, usd } from '../format';
import { onRevert, useLatestBlock, useLive } from '../live';

export function Positions({ path }: { path: string }) {
  const address = path.split('/')[2];
  return address ? <PositionPage address={address} /> : <AccountList />;
}

type SortKey = 'health' | 'debt' | 'collateral' | 'user';

function AccountList() {
  const { data, error, loading } = useLive(() => pool.allPositions());
  const [sort, setSort] = useState<{ key: SortKey; up: boolean }>({ key: 'health', up: true });
  const rows = useMemo(() => {
    const value = (p: AccountPosition): number | string => {
      if (sort.key === 'user') return p.user.toLowerCase();
      if (!p.valuation) return Number.NaN;
      if (sort.key === 'health') return healthNumber(p.valuation.health_factor);
      return Number(BigInt(sort.key === 'debt' ? p.valuation.debt_value : p.valuation.collateral_value) / 1000n);
    };
    const sorted = [...(data ?? [])];
    sorted.sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      if (typeof x === 'number' && Number.isNaN(x)) return 1;
      if (typeof y === 'number' && Number.isNaN(y)) return -1;
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.up ? order : -order;
    });
    return sorted;
  }, [data, sort]);
  const header = (key: SortKey, label: string) => (
    <th>
      <button class="sort" data-testid={`sort-${key}`} onClick={() => setSort((s) => ({ key, up: s.key === key ? !s.up : true }))}>
        {label} {sort.key === key ? (sort.up ? '▲' : '▼') : ''}
      </button>
    </th>
  );
  const liquidatable = rows.filter((p) => p.valuation && BigInt(p.valuation.health_factor) < WAD).length;
  return (
    <section>
      <h1>Positions</h1>
      {error && <p class="error">{error}</p>}
      {loading && !data && <p class="muted">Loading…</p>}
      {data && (
        <p class="muted" data-testid="position-count">
          {data.length} accounts with a position · <span class={liquidatable ? 'danger' : ''}>{liquidatable} liquidatable</span>
        </p>
      )}
      <div class="table-wrap">
        <table data-testid="positions">
          <thead>
            <tr>
              {header('user', 'Account')}
              {header('collateral', 'Collateral')}
              {header('debt', 'Debt')}
              {header('health', 'Health factor')}
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => {
              const hf = p.valuation?.health_factor;
              const bad = hf !== undefined && BigInt(hf) < WAD;
              return (
                <tr key={p.user} class={bad ? 'liquidatable' : ''} data-testid={`row-${p.user}`}>
                  <td>
                    <a href={`/positions/${p.user}`} class="mono">{short(p.user)}</a>
                    {p.user === poolAddress && <span class="muted"> (pool seed)</span>}
                  </td>
                  <td>{p.valuation ? usd(p.valuation.collateral_value) : '—'}</td>
                  <td>{p.valuation ? usd(p.valuation.debt_value) : '—'}</td>
                  <td data-testid="hf" data-value={hf}>{hf ? healthFactor(hf) : '—'}</td>
                  <td>{bad ? <span class="badge danger">liquidatable</span> : p.error ? <span class="muted">{p.error}</span> : 'healthy'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Health factors at past heights: per address, sampled as blocks arrive (kept while the page is
 * open). `null` marks a height whose query failed (a stale price, say): shown as a gap, not asked
 * again. Heights the chain went back over are forgotten.
 */
const samples = new Map<string, Map<number, number | null>>();
let historyByHeight: boolean | undefined;
let heightSupport: Promise<boolean> | undefined;
let forgetsReverted = false;
/** Counts reverts, so an answer read on a chain that was since reverted is not kept. */
let chainGeneration = 0;

/** Drops every sample at `fromHeight` or above: those blocks were replaced. */
function forgetFrom(fromHeight: number) {
  chainGeneration += 1;
  for (const seen of samples.values()) for (const h of [...seen.keys()]) if (h >= fromHeight) seen.delete(h);
}

/** Whether this node reads queries at past heights (`?height=N`): its document says so. */
function readsAtHeight(): Promise<boolean> {
  heightSupport ??= client
    .request<{ paths: Record<string, { post?: { parameters?: { name: string }[] } }> }>('GET', '/openapi.json')
    .then((doc) => !!doc.paths['/v1/contracts/{address}/query']?.post?.parameters?.some((p) => p.name === 'height'), () => false);
  return heightSupport;
}

/** The health factor at each of the last `count` heights, read with `?height=N` when the node has it. */
async function history(address: string, latest: number, count = 30): Promise<[number, number][]> {
  if (!forgetsReverted) {
    forgetsReverted = true;
    onRevert(forgetFrom);
  }
  const seen = samples.get(address) ?? new Map<number, number | null>();
  samples.set(address, seen);
  historyByHeight = await readsAtHeight();
  if (historyByHeight) {
    const heights = [];
    for (let h = Math.max(0, latest - count + 1); h <= latest; h++) if (!seen.has(h)) heights.push(h);
    // One height that cannot be read (a price gone stale there) leaves a gap, not an empty chart.
    const generation = chainGeneration;
    await Promise.all(
      heights.map(async (h) => {
        let value: number | null;
        try {
          const answer = await client.request<{ result: Position }>('POST', `/v1/contracts/${poolAddress}/query?height=${h}`, { position: { user: address } });
          value = healthNumber(answer.result.health_factor);
        } catch (e) {
          // The pool refused the question at that height (422: a stale price, say), or the
          // node no longer keeps it (410): it always will there, so the gap is remembered.
          // Anything else is asked again next block.
          if (!(e instanceof TidepoolApiError && (e.status === 422 || e.status === 410))) return;
          value = null;
        }
        if (generation === chainGeneration) seen.set(h, value);
      }),
    );
  }
  return [...seen.entries()]
    .sort(([a], [b]) => a - b)
    .slice(-count)
    .map(([h, v]) => [h, v ?? Number.NaN] as [number, number]);
}

function PositionPage({ address }: { address: string }) {
  const { block } = useLatestBlock();
  const { data, error } = useLive(async () => {
    const [position, markets] = await Promise.all([pool.position(address), marketViews()]);
    return { position, markets };
  }, [address]);
  const { data: chart } = useLive(async () => {
    if (!block) return [];
    // Without reads at a height, the chart samples what the page shows as blocks arrive — only
    // a good answer (after an error `data` is the last good one, from an earlier block).
    if (historyByHeight === false && data?.position && !error) samples.get(address)?.set(block.height, healthNumber(data.position.health_factor));
    return history(address, block.height);
  }, [address, data?.position.health_factor, error]);
  const p = data?.position;
  return (
    <section>
      <p><a href="/positions">← all positions</a></p>
      <h1>Position <span class="mono small">{address}</span></h1>
      {error && <p class="error">{error}</p>}
      {p && data && (
        <>
          <dl class="figures wide">
            <div><dt>Collateral value</dt><dd data-testid="collateral-value" data-value={p.collateral_value}>{usd(p.collateral_value)}</dd></div>
            <div><dt>Borrow capacity</dt><dd data-testid="borrow-capacity" data-value={p.borrow_capacity}>{usd(p.borrow_capacity)}</dd></div>
            <div><dt>Debt value</dt><dd data-testid="debt-value" data-value={p.debt_value}>{usd(p.debt_value)}</dd></div>
            <div>
              <dt>Health factor</dt>
              <dd data-testid="health-factor" data-value={p.health_factor} class={BigInt(p.health_factor) < WAD ? 'danger' : ''}>
                {healthFactor(p.health_factor)} {BigInt(p.health_factor) < WAD && <span class="badge danger">liquidatable</span>}
              </dd>
            </div>
          </dl>
          <div class="table-wrap">
            <table data-testid="position-markets">
              <thead><tr><th>Market</th><th>Supplied</th><th>Collateral</th><th>Debt</th></tr></thead>
              <tbody>
                {p.markets.map((b) => {
                  const m = data.markets.find((x) => x.asset === b.asset);
                  const d = m?.decimals ?? 0;
                  return (
                    <tr key={b.asset} data-testid={`balance-${m?.token.symbol ?? b.asset}`}>
                      <td>{m?.token.symbol ?? short(b.asset)}</td>
                      <td data-testid="supplied" data-value={b.supplied}>{units(b.supplied, d)}</td>
                      <td>{b.collateral ? 'yes' : 'no'}</td>
                      <td data-testid="debt" data-value={b.debt}>{units(b.debt, d)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      <h2>Health factor, last blocks</h2>
      <LineChart
        testId="health-history"
        series={[{ label: 'health factor', color: '#1864ab', points: (chart ?? []).map(([h, v]) => [h, Math.min(v, 10)]) }]}
        reference={{ y: 1, label: 'liquidation at 1' }}
        xLabel={(x) => `#${Math.round(x)}`}
        yLabel={(y) => y.toFixed(2)}
      />
      <p class="muted small">{historyByHeight ? 'Read at each past height.' : 'Sampled as blocks arrive while this page is open (capped at 10 on the chart).'}</p>
    </section>
  );
}
