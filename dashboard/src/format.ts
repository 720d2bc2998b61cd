// Numbers as the pages show them. Amounts stay exact (bigint) until the last step.
import { NO_DEBT_HEALTH_FACTOR, WAD } from 'tidepool-client';

/** Base units as whole tokens, up to `digits` decimals, with thousands separators. */
export function units(value: string | bigint, decimals: number, digits = 4): string {
  const v = BigInt(value);
  const scale = 10n ** BigInt(decimals);
  const whole = v / scale;
  let fraction = (v % scale).toString().padStart(decimals, '0').slice(0, Math.min(digits, decimals)).replace(/0+$/, '');
  if (fraction.length === 0 && v % scale !== 0n && whole === 0n) fraction = '';
  return whole.toLocaleString('en-US') + (fraction ? `.${fraction}` : '');
}

/** USD × 10^8 as dollars. */
export function usd(value: string | bigint): string {
  const cents = BigInt(value) / 1_000_000n;
  const dollars = cents / 100n;
  return `$${dollars.toLocaleString('en-US')}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** A WAD fraction as a percentage with two decimals. */
export function percent(wad: string | bigint): string {
  const basisPoints = (BigInt(wad) * 1_000_000n) / WAD; // 10^-4 %
  return `${(Number(basisPoints) / 10_000).toFixed(2)}%`;
}

/** A basis-points figure as a percentage. */
export function bps(value: number): string {
  return `${(value / 100).toFixed(2)}%`;
}

/** A health factor (WAD): "∞" without debt, else three decimals. */
export function healthFactor(wad: string | bigint): string {
  const v = BigInt(wad);
  if (v === NO_DEBT_HEALTH_FACTOR) return '∞';
  return (Number((v * 1000n) / WAD) / 1000).toFixed(3);
}

/** A health factor as a number for sorting and charts (Infinity without debt). */
export function healthNumber(wad: string | bigint | null | undefined): number {
  if (wad === null || wad === undefined) return Number.NaN;
  const v = BigInt(wad);
  return v === NO_DEBT_HEALTH_FACTOR ? Number.POSITIVE_INFINITY : Number((v * 1_000_000n) / WAD) / 1e6;
}

/** `0x1234…abcd`. */
export function short(hex: string, keep = 6): string {
  return hex.length <= 2 + 2 * keep ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep + 2)}`;
}

/** An age in seconds as "12 s", "5 min", "3 h", "2 d". */
export function age(seconds: number): string {
  if (seconds < 120) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export function time(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC');
}
