// Markets: each market's figures, and its interest-rate curve with today's utilization marked.
import { borrowApr, fromWad, WAD, type Price, type Rates } from 'tidepool-client';
import { marketViews, pool, poolOracle, type MarketView } from '../api';
import { LineChart } from '../chart';
import { age, bps, percent, units, usd } from '../format';
import { useLatestBlock, useLive } from '../live';

interface Row extends MarketView {
  rates: Rates;
  price?: Price;
  priceError?: string;
}

async function load(): Promise<Row[]> {
  const [markets, oracle] = await Promise.all([marketViews(), poolOracle()]);
  return Promise.all(
    markets.map(async (m) => {
      const [rates, price] = await Promise.all([
        pool.rates(m.asset),
        oracle.price(m.asset).then((p) => ({ price: p }), (e: Error) => ({ priceError: e.message })),
      ]);
      return { ...m, rates, ...price };
    }),
  );
}

export function Markets() {
  const { data, error, loading } = useLive(load);
  const { block } = useLatestBlock();
  return (
    <section>
      <h1>Markets</h1>
      {error && <p class="error">{error}</p>}
      {loading && !data && <p class="muted">Loading…</p>}
      <div class="cards">
        {data?.map((m) => <MarketCard key={m.asset} m={m} now={block?.time} />)}
      </div>
    </section>
  );
}

function MarketCard({ m, now }: { m: Row; now?: number }) {
  const d = m.decimals;
  const s = m.state;
  const supplied = BigInt(s.cash) + BigInt(s.total_borrows) - BigInt(s.total_reserves);
  const curve = m.config.interest;
  const points: [number, number][] = [];
  for (let i = 0; i <= 100; i++) points.push([i / 100, fromWad(borrowApr(curve, (BigInt(i) * WAD) / 100n))]);
  const supplyPoints = points.map(([u, apr]) => [u, apr * u * (1 - m.config.rf / 10_000)] as [number, number]);
  const u = fromWad(m.utilization);
  const figures: [string, string, string, string?][] = [
    ['supply', 'Total supply', units(supplied, d)],
    ['borrows', 'Total borrows', units(s.total_borrows, d)],
    ['cash', 'Cash', units(s.cash, d)],
    ['reserves', 'Reserves', units(s.total_reserves, d)],
    ['utilization', 'Utilization', percent(m.utilization), m.utilization],
    ['borrow-apr', 'Borrow APR', percent(m.rates.borrow_apr), m.rates.borrow_apr],
    ['supply-apr', 'Supply APR', percent(m.rates.supply_apr), m.rates.supply_apr],
    ['supply-cap', 'Supply cap', m.config.supply_cap ? units(m.config.supply_cap, d) : 'none'],
    ['borrow-cap', 'Borrow cap', m.config.borrow_cap ? units(m.config.borrow_cap, d) : 'none'],
    ['ltv', 'LTV / liquidation threshold', `${bps(m.config.ltv)} / ${bps(m.config.lt)}`],
    ['price', 'Price', m.price ? usd(m.price.price) : (m.priceError ?? '—'), m.price?.price],
    ['price-age', 'Price age', m.price && now !== undefined ? age(now - m.price.updated_at) : '—'],
  ];
  const raw: Record<string, string> = { supply: supplied.toString(), borrows: s.total_borrows, cash: s.cash, reserves: s.total_reserves };
  return (
    <article class="card" data-testid={`market-${m.token.symbol}`}>
      <h2>
        {m.token.symbol} <small class="muted">{m.token.name} · <a href={`/explorer/contracts/${m.asset}`}>{m.asset}</a></small>
        {m.paused && <span class="badge warn">paused</span>}
      </h2>
      <dl class="figures">
        {figures.map(([id, label, text, value]) => (
          <div key={id}>
            <dt>{label}</dt>
            <dd data-testid={id} data-value={value ?? raw[id]}>{text}</dd>
          </div>
        ))}
      </dl>
      <LineChart
        testId={`curve-${m.token.symbol}`}
        series={[
          { label: 'borrow APR', color: '#d9480f', points },
          { label: 'supply APR', color: '#0b7285', points: supplyPoints },
        ]}
        marker={{ x: u, label: `now: ${(u * 100).toFixed(1)}%` }}
        xLabel={(x) => `${Math.round(x * 100)}%`}
        yLabel={(y) => `${(y * 100).toFixed(0)}%`}
      />
    </article>
  );
}
