// The dashboard's one client: the TypeScript client, against the node that served this page.
import { DEV_MARKET, LendingPool, Oracle, TidepoolApiError, TidepoolClient, TransactionFailedError, SimulationFailedError, type Market, type TokenInfo } from 'tidepool-client';

export const client = new TidepoolClient('');
/** The pool: the dev market's unless `?pool=0x…` names another. */
export const poolAddress = new URLSearchParams(location.search).get('pool') ?? DEV_MARKET.pool;
export const pool = new LendingPool(client, poolAddress);

/** A market with what the pages show beside it: its token and the oracle's price. */
export interface MarketView extends Market {
  token: TokenInfo;
}

const tokenInfo = new Map<string, Promise<TokenInfo>>();
/** Token info, read once per token. */
export function token(address: string): Promise<TokenInfo> {
  let info = tokenInfo.get(address);
  if (!info) {
    info = client.query<TokenInfo>(address, { token_info: {} });
    info.catch(() => tokenInfo.delete(address));
    tokenInfo.set(address, info);
  }
  return info;
}

let oracle: Promise<Oracle> | undefined;
/** The pool's oracle (from its config). */
export function poolOracle(): Promise<Oracle> {
  oracle ??= pool.config().then((c) => new Oracle(client, c.oracle));
  return oracle;
}

export async function marketViews(): Promise<MarketView[]> {
  const markets = await pool.markets();
  return Promise.all(markets.map(async (m) => ({ ...m, token: await token(m.asset) })));
}

/** What went wrong, as a person reads it: the API's message and code, or the receipt's error. */
export function describeError(e: unknown): string {
  if (e instanceof TidepoolApiError) return `${e.message} (HTTP ${e.status}, ${e.code})`;
  if (e instanceof SimulationFailedError) return `Not sent: it would fail (${e.receipt.error ?? e.receipt.status})`;
  if (e instanceof TransactionFailedError) return `Transaction ${e.receipt.status}: ${e.receipt.error ?? 'no reason given'}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
