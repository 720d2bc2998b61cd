/**
 * Exact JSON reading: integers that are not safe integers (past ±(2^53 − 1)) become `bigint`, so
 * nothing the node answers is rounded; every other value is what `JSON.parse` gives.
 */

/** A numeric token, or a string token (skipped), of JSON text. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Parses JSON text as `JSON.parse` does, except that an integer token (no fraction, no
 * exponent) that is not a safe integer is read exactly, as a `bigint`. Safe integers stay
 * `number`. Text without such a token is read by `JSON.parse` itself; text with one by an exact
 * parser of the same grammar. Throws `SyntaxError` for text that is not JSON.
 */
export function parseJson(text: string): unknown {
  return hasUnsafeInteger(text) ? new ExactParser(text).document() : JSON.parse(text);
}

function hasUnsafeInteger(text: string): boolean {
  for (const [token] of text.matchAll(TOKENS)) {
    if (token.length >= 16 && !token.startsWith('"') && isUnsafeInteger(token)) return true;
  }
  return false;
}

function isUnsafeInteger(token: string): boolean {
  return /^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token));
}

/** A recursive-descent parser of RFC 8259 JSON, reading unsafe integers as `bigint`. */
class ExactParser {
  private at = 0;
  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.value();
    this.space();
    if (this.at !== this.text.length) this.fail('unexpected text after the value');
    return value;
  }

  private value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.fail('unexpected character');
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++; // {
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a member name');
      const key = this.string();
      this.space();
      if (this.text[this.at++] !== ':') this.fail('expected ":"');
      // defineProperty, so that a member named "__proto__" is a member, as JSON.parse makes it.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      if (this.separator('}')) return out;
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.at++; // [
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      if (this.separator(']')) return out;
    }
  }

  /** After a member or an element: `,` (more follow) or `close` (the end). */
  private separator(close: string): boolean {
    this.space();
    const c = this.text[this.at++];
    if (c === close) return true;
    if (c !== ',') this.fail(`expected "," or "${close}"`);
    return false;
  }

  private string(): string {
    const start = this.at;
    this.at++; // "
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') break;
      this.at += c === '\\' ? 2 : 1;
    }
    this.at++;
    // The token alone, read by JSON.parse: its escapes and its refusals are JSON.parse's.
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private number(): number | bigint {
    const pattern = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (!match) return this.fail('malformed number');
    this.at = pattern.lastIndex;
    const token = match[0];
    return isUnsafeInteger(token) ? BigInt(token) : Number(token);
  }

  private space(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }

  private fail(why: string): never {
    throw new SyntaxError(`JSON: ${why} at position ${this.at}`);
  }
}
