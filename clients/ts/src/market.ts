/**
 * The sample lending market (docs/lending.md): the pool, the oracle and its tokens, with typed
 * queries and the transactions a user sends. Amounts are base units as decimal strings (or
 * `bigint`); WAD values (rates, health factors) are decimal strings too: `fromWad` reads them.
 */
import { getAddress, type Address } from 'viem';
import type { CanonicalValue } from './canonical.js';
import { formatAmount, type AmountInput, type Receipt, type SendOptions, type TidepoolClient } from './client.js';
import { KeyedQueue } from './queue.js';
import type { Signer } from './signer.js';

/** The dev market's addresses: fixed, because genesis deploys it from a fixed deployer. */
export const DEV_MARKET = {
  pool: '0x11d0Ea9fc79e2b4bfBe4424c7343A32727F65eE7',
  oracle: '0x961887C7F0894b34f9D361dC284979A64d552865',
  tokens: {
    USDC: '0xa8e700B524cC73301c5e813b4e6Aef9BAcD877b4',
    WETH: '0xC3A5748FbA40cb4363bd895a9e54DFb75424E0d6',
    WBTC: '0x5AD9cb6344F4a803a29E91D26dCf6113b8c0FB1B',
  },
} as const satisfies { pool: Address; oracle: Address; tokens: Record<string, Address> };

/** The dev accounts' keys (anvil's and Hardhat's, from the mnemonic "test test … junk"): public, never for real value. */
export const DEV_ACCOUNT_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const;

/** WAD = 10^18: the scale of rates, indexes and health factors. */
export const WAD = 10n ** 18n;
/** The health factor of an account without debt (u128::MAX). */
export const NO_DEBT_HEALTH_FACTOR = (1n << 128n) - 1n;

/** A WAD decimal string as a JavaScript number (for display and charts, not arithmetic). */
export function fromWad(wad: string | bigint): number {
  const v = BigInt(wad);
  return Number(v / 10n ** 9n) / 1e9;
}

/** Base units as a decimal number of whole tokens (display only). */
export function fromUnits(units: string | bigint, decimals: number): number {
  const v = BigInt(units);
  const scale = 10n ** BigInt(decimals);
  return Number(v / scale) + Number(v % scale) / Number(scale);
}

/** Whole tokens ("1.5") as base units, exactly. */
export function toUnits(amount: string, decimals: number): bigint {
  const m = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(amount);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new Error(`${JSON.stringify(amount)} is not an amount`);
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) throw new Error(`${amount} has more than ${decimals} decimals`);
  const units = BigInt(m[1] || '0') * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (units > MAX_UINT128) throw new Error(`${amount} is more than any amount holds: 2^128 − 1 base units`);
  return units;
}

/** The largest amount (and price) the contracts hold: amounts are `Uint128`. */
export const MAX_UINT128 = (1n << 128n) - 1n;

export interface InterestCurve {
  base: string;
  slope1: string;
  slope2: string;
  u_opt: string;
}
export interface MarketConfig {
  ltv: number;
  lt: number;
  lb: number;
  liq_fee: number;
  rf: number;
  supply_cap: string | null;
  borrow_cap: string | null;
  interest: InterestCurve;
}
export interface MarketState {
  cash: string;
  total_borrows: string;
  total_reserves: string;
  total_shares: string;
  borrow_index: string;
  last_accrual: number;
  deficit: string;
}
/** The `market` query's answer. */
export interface Market {
  asset: Address;
  decimals: number;
  config: MarketConfig;
  paused: boolean;
  /** How a pull learns what arrived: the token's `transfer_from` answer, or the pool's balance before and after. */
  arrival: 'reported' | 'measured';
  state: MarketState;
  exchange_rate: string;
  utilization: string;
}
export interface Rates {
  utilization: string;
  borrow_apr: string;
  supply_apr: string;
}
export interface Balance {
  asset: Address;
  shares: string;
  supplied: string;
  collateral: boolean;
  debt: string;
}
export interface Position {
  collateral_value: string;
  borrow_capacity: string;
  debt_value: string;
  health_factor: string;
  markets: Balance[];
}
export interface AccountPosition {
  user: Address;
  markets: Balance[];
  valuation: Omit<Position, 'markets'> | null;
  error: string | null;
}
export interface PositionsPage {
  positions: AccountPosition[];
  next: Address | null;
}
export interface PoolConfig {
  owner: Address;
  oracle: Address;
  treasury: Address;
  close_factor_bps: number;
  full_close_hf: string;
  flash_premium_bps: number;
  flash_protocol_share_bps: number;
  max_price_age: number;
  max_positions: number;
  paused: boolean;
}
export interface TokenInfo {
  name: string;
  symbol: string;
  decimals: number;
  total_supply: string;
  minter: Address | null;
  /** Whether `transfer` and `transfer_from` answer `{"delivered": "…"}`. */
  reports_delivery: boolean;
}
export interface Price {
  price: string;
  updated_at: number;
}

/** The interest-rate curve: borrow APR (WAD) at utilization `u` (WAD), as the pool computes it. */
export function borrowApr(curve: InterestCurve, u: bigint): bigint {
  const [base, slope1, slope2, uOpt] = [curve.base, curve.slope1, curve.slope2, curve.u_opt].map(BigInt) as [bigint, bigint, bigint, bigint];
  if (u <= uOpt) return base + (slope1 * u) / uOpt;
  return base + slope1 + (slope2 * (u - uOpt)) / (WAD - uOpt);
}

/** A token contract (the sample `token`). */
export class Token {
  readonly address: Address;
  constructor(
    readonly client: TidepoolClient,
    address: string,
  ) {
    this.address = getAddress(address);
  }
  info(): Promise<TokenInfo> {
    return this.client.query(this.address, { token_info: {} });
  }
  async balanceOf(owner: string): Promise<bigint> {
    return BigInt((await this.client.query<{ balance: string }>(this.address, { balance: { address: owner } })).balance);
  }
  async allowance(owner: string, spender: string): Promise<bigint> {
    const answer = await this.client.query<{ allowance: string }>(this.address, { allowance: { owner, spender } });
    return BigInt(answer.allowance);
  }
  /** Sets (not adds to) `spender`'s allowance over the signer's tokens. */
  async approve(signer: Signer, spender: string, amount: AmountInput, options?: SendOptions): Promise<Receipt> {
    return this.execute(signer, { approve: { spender: getAddress(spender), amount: formatAmount(amount) } }, options);
  }
  async transfer(signer: Signer, to: string, amount: AmountInput, options?: SendOptions): Promise<Receipt> {
    return this.execute(signer, { transfer: { to: getAddress(to), amount: formatAmount(amount) } }, options);
  }
  private execute(signer: Signer, msg: CanonicalValue, options?: SendOptions): Promise<Receipt> {
    return this.client.sendTransaction(signer, { type: 'execute', contract: this.address, msg }, options);
  }
}

/** The sample price oracle. Prices are USD × 10^8 per whole token. */
export class Oracle {
  readonly address: Address;
  constructor(
    readonly client: TidepoolClient,
    address: string,
  ) {
    this.address = getAddress(address);
  }
  price(asset: string): Promise<Price> {
    return this.client.query(this.address, { price: { asset } });
  }
  /** Several prices in one query, in the order asked; it fails for the first asset without one. */
  async prices(assets: string[]): Promise<Price[]> {
    const answer = await this.client.query<{ prices: Price[] }>(this.address, { prices: { assets: assets.map(getAddress) } });
    return answer.prices;
  }
  /** Who may publish prices. */
  async owner(): Promise<Address> {
    const config = await this.client.query<{ owner: string }>(this.address, { config: {} });
    return getAddress(config.owner);
  }
  /** The owner publishes prices (USD × 10^8 per whole token). */
  async setPrices(signer: Signer, prices: { asset: string; price: AmountInput }[], options?: SendOptions): Promise<Receipt> {
    const msg = { set_prices: { prices: prices.map((p) => ({ asset: getAddress(p.asset), price: formatAmount(p.price) })) } };
    return this.client.sendTransaction(signer, { type: 'execute', contract: this.address, msg }, options);
  }
}

/** The amount argument of `withdraw`, `repay` and `liquidate`: base units, or everything. */
export type AmountOrAll = AmountInput | 'all';

function amountOrAll(value: AmountOrAll): string {
  return value === 'all' ? 'all' : formatAmount(value);
}

/** Basis points: 10^4. */
const BPS = 10_000n;

/**
 * The allowance an `"all"` repay or liquidation approves for a debt of `amount` when it is
 * read: `amount` plus 1 % (rounded up) plus 1,000 base units, at most 2^128 − 1. Interest
 * accrues until the pool's transaction is mined, so an approval of exactly the debt read a
 * block earlier falls short; the margin covers a 1 % growth (a day at 365 % APR) and the
 * rounding of small debts. The pool pulls only what it takes, so the rest stays approved.
 */
export function allowanceWithMargin(amount: bigint): bigint {
  const withMargin = amount + (amount + 99n) / 100n + 1_000n;
  return withMargin < MAX_UINT128 ? withMargin : MAX_UINT128;
}

/** Per client, the turns of each owner's pulls of each token (see `LendingPool`). */
const pullTurns = new WeakMap<TidepoolClient, KeyedQueue>();

/**
 * The lending pool. The transactions that pull tokens (supply, repay, liquidate) first approve
 * the pool when its allowance is short — for exactly the amount given, or for `"all"` the debt
 * the pool may take plus a margin for interest ([`allowanceWithMargin`]), never more than the
 * signer's balance when that balance covers the debt — and then two transactions are sent:
 * the approval, then the pool's call, whose receipt is returned. With an explicit `nonce` N,
 * the approval takes N and the pool's call N + 1 (the pool's call alone takes N when no
 * approval is needed). Pulls of one token by one owner through one client take turns, from
 * reading the allowance to the pool call's receipt, so concurrent helpers (`Promise.all`) each
 * approve and spend their own allowance.
 */
export class LendingPool {
  readonly address: Address;
  constructor(
    readonly client: TidepoolClient,
    address: string = DEV_MARKET.pool,
  ) {
    this.address = getAddress(address);
  }

  markets(): Promise<Market[]> {
    return this.client.query(this.address, { markets: {} });
  }
  market(asset: string): Promise<Market> {
    return this.client.query(this.address, { market: { asset } });
  }
  rates(asset: string): Promise<Rates> {
    return this.client.query(this.address, { rates: { asset } });
  }
  /** An account's position, valued (fails with `stale price` when a price it needs is old). */
  position(user: string): Promise<Position> {
    return this.client.query(this.address, { position: { user } });
  }
  balance(user: string, asset: string): Promise<Balance> {
    return this.client.query(this.address, { balance: { user, asset } });
  }
  config(): Promise<PoolConfig> {
    return this.client.query(this.address, { config: {} });
  }
  /** One page of the accounts with a position (at most 100). */
  positions(options: { startAfter?: string | null; limit?: number } = {}): Promise<PositionsPage> {
    return this.client.query(this.address, { positions: { start_after: options.startAfter ?? null, limit: options.limit ?? 100 } });
  }
  /** Every account with a position, page after page (at most `maxPages` of 100). */
  async allPositions(maxPages = 1000): Promise<AccountPosition[]> {
    const all: AccountPosition[] = [];
    let startAfter: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const answer: PositionsPage = await this.positions({ startAfter, limit: 100 });
      all.push(...answer.positions);
      if (!answer.next) return all;
      startAfter = answer.next;
    }
    throw new Error(`more than ${maxPages} pages of positions`);
  }

  async supply(signer: Signer, asset: string, amount: AmountInput, options: SendOptions & { onBehalfOf?: string } = {}): Promise<Receipt> {
    const msg = { supply: { asset: getAddress(asset), amount: formatAmount(amount), on_behalf_of: optionalAddress(options.onBehalfOf) } };
    return this.pulling(signer, asset, async () => BigInt(formatAmount(amount)), msg, options);
  }
  async withdraw(signer: Signer, asset: string, amount: AmountOrAll, options: SendOptions & { to?: string } = {}): Promise<Receipt> {
    const msg = { withdraw: { asset: getAddress(asset), amount: amountOrAll(amount), to: optionalAddress(options.to) } };
    return this.execute(signer, msg, options);
  }
  async borrow(signer: Signer, asset: string, amount: AmountInput, options: SendOptions & { to?: string } = {}): Promise<Receipt> {
    const msg = { borrow: { asset: getAddress(asset), amount: formatAmount(amount), to: optionalAddress(options.to) } };
    return this.execute(signer, msg, options);
  }
  /**
   * Repays debt of the signer (or of `onBehalfOf`). `"all"` pays the whole debt as it stands
   * when the call is mined, interest included: the approval has a margin for it.
   */
  async repay(signer: Signer, asset: string, amount: AmountOrAll, options: SendOptions & { onBehalfOf?: string } = {}): Promise<Receipt> {
    const beneficiary = options.onBehalfOf ?? signer.address;
    const msg = { repay: { asset: getAddress(asset), amount: amountOrAll(amount), on_behalf_of: optionalAddress(options.onBehalfOf) } };
    const need = async () => {
      if (amount !== 'all') return BigInt(formatAmount(amount));
      return BigInt((await this.balance(beneficiary, asset)).debt);
    };
    return this.pulling(signer, asset, need, msg, options, amount === 'all');
  }
  /**
   * Repays part of an unhealthy account's debt for its collateral plus the bonus. `"all"` repays
   * as much as the close factor allows when the call is mined: the approval covers that share of
   * the debt (all of it when the health factor is at most `full_close_hf`, or within 1 % of it,
   * which interest may cross) plus the interest margin.
   */
  async liquidate(
    signer: Signer,
    args: { borrower: string; debtAsset: string; collateralAsset: string; debtToCover: AmountOrAll; receiveShares?: boolean },
    options: SendOptions = {},
  ): Promise<Receipt> {
    const msg = {
      liquidate: {
        borrower: getAddress(args.borrower),
        debt_asset: getAddress(args.debtAsset),
        collateral_asset: getAddress(args.collateralAsset),
        debt_to_cover: amountOrAll(args.debtToCover),
        receive_shares: args.receiveShares ?? false,
      },
    };
    const cover = args.debtToCover;
    const need = cover === 'all' ? () => this.closeFactorShare(args.borrower, args.debtAsset) : async () => BigInt(formatAmount(cover));
    return this.pulling(signer, args.debtAsset, need, msg, options, cover === 'all');
  }

  /** The most of `borrower`'s debt in `asset` a liquidation may repay now (`floor(debt · cf / BPS)`, docs/lending.md). */
  private async closeFactorShare(borrower: string, asset: string): Promise<bigint> {
    const [balance, position, config] = await Promise.all([this.balance(borrower, asset), this.position(borrower), this.config()]);
    const debt = BigInt(balance.debt);
    // Within 1 % of the full-close threshold, interest until the call runs may cross it.
    const fullClose = BigInt(position.health_factor) * 100n <= BigInt(config.full_close_hf) * 101n;
    const closeFactor = fullClose ? BPS : BigInt(config.close_factor_bps);
    return (debt * closeFactor) / BPS;
  }

  /**
   * Approves the pool for `need()` (with the interest margin when `withMargin`) if its allowance
   * is short, then sends `msg`; the whole sequence takes its turn per owner and token.
   */
  private pulling(
    signer: Signer,
    asset: string,
    need: () => Promise<bigint>,
    msg: CanonicalValue,
    options: SendOptions,
    withMargin = false,
  ): Promise<Receipt> {
    const token = new Token(this.client, asset);
    let turns = pullTurns.get(this.client);
    if (!turns) pullTurns.set(this.client, (turns = new KeyedQueue()));
    return turns.run(`${signer.address.toLowerCase()}:${token.address.toLowerCase()}`, async () => {
      const amount = await need();
      const [allowance, approval] = await Promise.all([
        token.allowance(signer.address, this.address),
        withMargin ? this.marginApproval(token, signer.address, amount) : amount,
      ]);
      let nonce = options.nonce;
      if (allowance < approval) {
        await token.approve(signer, this.address, approval, { timeoutMs: options.timeoutMs, nonce });
        if (nonce !== undefined) nonce = typeof nonce === 'bigint' ? nonce + 1n : nonce + 1;
      }
      return this.execute(signer, msg, { ...options, nonce });
    });
  }

  /**
   * The allowance for an amount known only up to interest: [`allowanceWithMargin`], but not more
   * than the owner's balance when the balance covers `amount` (the pool can never pull more than
   * the balance, so a larger allowance would only linger).
   */
  private async marginApproval(token: Token, owner: string, amount: bigint): Promise<bigint> {
    const wanted = allowanceWithMargin(amount);
    const balance = await token.balanceOf(owner);
    return balance < wanted && balance >= amount ? balance : wanted;
  }
  private execute(signer: Signer, msg: CanonicalValue, options: SendOptions): Promise<Receipt> {
    return this.client.sendTransaction(signer, { type: 'execute', contract: this.address, msg }, options);
  }
}

function optionalAddress(address: string | undefined): Address | undefined {
  return address ? getAddress(address) : undefined;
}
