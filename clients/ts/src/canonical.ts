/**
 * Canonical JSON: the exact bytes a Tidepool signature covers (RFC 8785, JCS, restricted to
 * integer numbers — the node's `node/src/canonical.rs`).
 *
 * - Object members sorted by key, comparing UTF-16 code units (JavaScript's default string order).
 * - No whitespace; strings escaped as `JSON.stringify` escapes them (which is JCS's rule).
 * - Numbers: integers only. A `number` must be a safe integer (|n| ≤ 2^53 − 1); larger integers
 *   must be given as `bigint`, which is written exactly. A fraction, `NaN`, `Infinity` or an unsafe
 *   integer throws: the node could not reproduce a signature over it.
 */

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
  } else if (typeof value === 'object') {
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
    throw new CanonicalJsonError(`${path} is a ${typeof value}, which JSON cannot hold`);
  }
}

/**
 * Parses JSON keeping integers past 2^53 exact, as `bigint` (smaller ones stay `number`).
 * For reading answers or fixtures that may hold such integers; amounts in the API are strings.
 */
export function parseJsonWithBigInts(text: string): CanonicalValue {
  // Quote every integer token that is not a safe integer, outside strings, then revive it. (The
  // marker starts with U+0000, written escaped; a string of the input that starts with the same
  // marker would be read as a number too.)
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) => {
    if (token.startsWith('"') || !/^-?\d+$/.test(token) || Number.isSafeInteger(Number(token))) return token;
    return `"\\u0000bigint:${token}"`;
  });
  return JSON.parse(marked, (_key, v) =>
    typeof v === 'string' && v.startsWith('\u0000bigint:') ? BigInt(v.slice(8)) : v,
  ) as CanonicalValue;
}
