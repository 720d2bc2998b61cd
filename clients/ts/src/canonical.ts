/**
 * Canonical JSON: the exact bytes a Tidepool signature covers (RFC 8785, JCS, restricted to
 * integer numbers — the node's `node/src/canonical.rs`).
 *
 * - Object members sorted by key, comparing UTF-16 code units (JavaScript's default string order).
 * - No whitespace; strings escaped as `JSON.stringify` escapes them (which is JCS's rule).
 * - Numbers: integers only. A `number` must be a safe integer (|n| ≤ 2^53 − 1); larger integers
 *   must be given as `bigint`, which is written exactly. A fraction, `NaN`, `Infinity` or an unsafe
 *   integer throws: the node could not reproduce a signature over it. A `bigint` must lie in the
 *   node's range, −2^63 to 2^64 − 1 (`i64`/`u64`; the node refuses others with `unsupported_number`).
 * - Values: plain objects (`{}` literals, or with a `null` prototype), arrays, strings, booleans,
 *   `null`, numbers and bigints as above. Anything else — a `Date`, `Map`, `Set`, `Uint8Array`, a
 *   class instance, a function, a symbol, `undefined` outside an object member — throws, rather
 *   than being signed as whatever `JSON.stringify` would make of it.
 */
import { parseJson } from './json.js';

/** The smallest integer a message may hold: −2^63 (`i64::MIN`). */
export const MIN_CANONICAL_INTEGER = -(1n << 63n);
/** The largest integer a message may hold: 2^64 − 1 (`u64::MAX`). */
export const MAX_CANONICAL_INTEGER = (1n << 64n) - 1n;

/** A value that can be canonicalised: JSON, with `bigint` for integers past 2^53. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined };

/** Thrown for a value canonical JSON cannot hold. */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

/** The canonical JSON text of `value`. Members whose value is `undefined` are left out. */
export function canonicalize(value: CanonicalValue): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: CanonicalValue | undefined, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'string') {
    out.push(JSON.stringify(value));
  } else if (typeof value === 'bigint') {
    if (value < MIN_CANONICAL_INTEGER || value > MAX_CANONICAL_INTEGER) {
      throw new CanonicalJsonError(`${path} is ${value}: messages hold integers from −2^63 to 2^64 − 1 only (write larger values as strings)`);
    }
    out.push(value.toString());
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new CanonicalJsonError(
        `${path} is ${value}: messages hold integers only, and integers past 2^53 must be bigint (or decimal strings)`,
      );
    }
    out.push(Object.is(value, -0) ? '0' : String(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item === undefined ? null : item, out, `${path}[${i}]`);
    });
    out.push(']');
  } else if (isPlainObject(value)) {
    const record = value as { readonly [key: string]: CanonicalValue | undefined };
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(key), ':');
      write(record[key], out, `${path}.${key}`);
    });
    out.push('}');
  } else {
    throw new CanonicalJsonError(`${path} is ${describe(value)}, which canonical JSON cannot hold: give a plain object, array, string, boolean, null, safe integer or bigint`);
  }
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? `a ${name}` : 'an object that is not a plain object';
}

/**
 * Parses JSON keeping integers past 2^53 exact, as `bigint` (smaller ones stay `number`), as the
 * client reads every answer of the node.
 */
export function parseJsonWithBigInts(text: string): CanonicalValue {
  return parseJson(text) as CanonicalValue;
}
