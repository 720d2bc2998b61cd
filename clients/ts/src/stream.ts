/**
 * `GET /v1/stream` (Server-Sent Events) over `fetch`, as an async iterable of typed messages that
 * reconnects by itself where reconnecting loses nothing (docs/api.md, "Live streams").
 */
import type { components } from './openapi.js';
import { parseJson } from './json.js';

type Schemas = components['schemas'];

/** What a stream carries: `blocks`, `txs`, `events`. */
export type StreamTopic = 'blocks' | 'txs' | 'events';

/** Why the node ended a stream (its `close` message's `reason`). */
export type StreamCloseReason = Schemas['CloseReason'];

/** Options of [`TidepoolClient.stream`]. */
export interface StreamOptions {
  /** Which messages (default: all three). */
  topics?: readonly StreamTopic[];
  /** Only events of this contract, and transactions addressed to it or that emitted one of its events. */
  contract?: string;
  /** Only events of this type, and transactions that emitted one. */
  type?: string;
  /**
   * Start with block N (committed blocks first, then live). Absent (and no `lastEventId`): the
   * block after the latest when the stream opens, read from `/health`, so that a reconnect
   * before the first message still misses nothing.
   */
  fromHeight?: number | bigint;
  /** End after block N: the iteration ends once its messages are delivered. */
  untilHeight?: number | bigint;
  /** Resume right after the message with this id (wins over `fromHeight`). */
  lastEventId?: string;
  /** Aborting ends the iteration (without an error) and closes the connection. */
  signal?: AbortSignal;
  /**
   * How many reconnects in a row (without a message delivered between them) before the
   * iteration fails (default 5; 0: never reconnect).
   */
  maxRetries?: number;
  /** The first reconnect's delay, doubled each time up to `maxRetryDelayMs` (default 250 ms). */
  retryDelayMs?: number;
  /** The longest delay between reconnects (default 10 s). */
  maxRetryDelayMs?: number;
}

/**
 * One message of a stream. `block`, `tx` and `event` carry what `GET /v1/blocks/{height}`,
 * `GET /v1/txs/{hash}` and an entry of `GET /v1/events` answer, with their id (`h@tag`,
 * `h:i@tag`, `h:i:j@tag`). `reverted` says that blocks already delivered from `fromHeight` on
 * were replaced (a dev revert, reset or state load): drop what you read from there; the
 * iteration goes on with the chain's blocks from `fromHeight`.
 */
export type StreamMessage =
  | { type: 'block'; id: string; data: Schemas['Block'] }
  | { type: 'tx'; id: string; data: Schemas['TxWithReceipt'] }
  | { type: 'event'; id: string; data: Schemas['EventView'] }
  | { type: 'reverted'; fromHeight: number; message: string };

/** A stream that cannot go on: `pruned` history, or reconnects that kept failing. */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
  constructor(
    /** The node's reason, or `error` when the connection kept failing. */
    readonly reason: StreamCloseReason,
    /** Where a new stream would start (`fromHeight`). */
    readonly fromHeight: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A stream's `close` message. */
type Close = Schemas['StreamClose'];

/** One dispatched Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  /** The `id` field of this event, if it had one. */
  id?: string;
}

/** What the stream needs of the client. */
export interface StreamContext {
  baseUrl: string;
  fetch: typeof fetch;
  /** The latest committed height (`/health`). */
  latestHeight(): Promise<number>;
  /** An HTTP error answer as the client's error (a `TidepoolApiError`). */
  httpError(response: Response, what: string): Promise<Error>;
  /** A failed `fetch` as the client's error. */
  networkError(error: unknown, what: string): Error;
}

/** Whether `error` should end the iteration at once rather than be retried. */
type IsFatal = (error: unknown) => boolean;

/**
 * Follows `/v1/stream`. The policy:
 * - `lagged`, `shutdown`, `error`, a connection that fails or ends without `close`, and a 5xx:
 *   reconnect with the last message's id (`Last-Event-ID`), so nothing is missed or repeated —
 *   after `retryDelayMs` doubling up to `maxRetryDelayMs` (`lagged` at once), at most
 *   `maxRetries` times in a row;
 * - `reverted`: deliver a `reverted` message, then go on from its `fromHeight`;
 * - `until_height`: end; `pruned`: fail with [`StreamClosedError`]; a 4xx: fail with the API error.
 */
export async function* followStream(
  context: StreamContext,
  options: StreamOptions,
  isFatal: IsFatal,
): AsyncGenerator<StreamMessage, void, undefined> {
  const signal = options.signal;
  const maxRetries = options.maxRetries ?? 5;
  let lastId = options.lastEventId;
  let fromHeight = options.fromHeight === undefined ? undefined : BigInt(options.fromHeight);
  let failures = 0;
  for (;;) {
    if (signal?.aborted) return;
    const connection = new AbortController();
    const stop = () => connection.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    let close: Close | undefined;
    let failure: unknown;
    try {
      if (fromHeight === undefined && lastId === undefined) fromHeight = BigInt(await context.latestHeight()) + 1n;
      const body = await open(context, options, lastId ? { lastId } : { fromHeight }, connection.signal);
      for await (const sse of parseSse(body)) {
        if (sse.event === 'close') {
          close = parseJson(sse.data) as Close;
          break;
        }
        const message = toMessage(sse);
        if (!message) continue;
        lastId = sse.id ?? lastId;
        failures = 0;
        yield message;
      }
      if (!close) failure = new Error('the stream ended without a close message');
    } catch (e) {
      if (signal?.aborted) return;
      if (isFatal(e)) throw e;
      failure = e;
    } finally {
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }
    if (close) {
      switch (close.reason) {
        case 'until_height':
          return;
        case 'pruned':
          throw new StreamClosedError(close.reason, close.from_height, close.message);
        case 'reverted':
          yield { type: 'reverted', fromHeight: close.from_height, message: close.message };
          lastId = undefined;
          fromHeight = BigInt(close.from_height);
          continue;
        default:
          // lagged, shutdown, error: the last id resumes exactly; without one, `from_height` does.
          if (lastId === undefined) fromHeight = BigInt(close.from_height);
      }
    }
    if (++failures > maxRetries) {
      const why = close ? `the node closed the stream (${close.reason}): ${close.message}` : String((failure as Error)?.message ?? failure);
      throw new StreamClosedError(close?.reason ?? 'error', close?.from_height, `gave up after ${maxRetries} reconnects: ${why}`, { cause: failure });
    }
    if (close?.reason !== 'lagged') await sleep(backoff(options, failures), signal);
  }
}

function backoff(options: StreamOptions, failures: number): number {
  const first = options.retryDelayMs ?? 250;
  return Math.min(options.maxRetryDelayMs ?? 10_000, first * 2 ** (failures - 1));
}

/** Opens one connection; its body, or the client's error for an error answer or a failed fetch. */
async function open(
  context: StreamContext,
  options: StreamOptions,
  start: { lastId: string } | { fromHeight: bigint | undefined },
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const params = new URLSearchParams();
  if (options.topics) params.set('topics', options.topics.join(','));
  if (options.contract) params.set('contract', options.contract);
  if (options.type) params.set('type', options.type);
  if ('fromHeight' in start && start.fromHeight !== undefined) params.set('from_height', String(start.fromHeight));
  if (options.untilHeight !== undefined) params.set('until_height', String(options.untilHeight));
  const query = params.toString();
  const path = `/v1/stream${query ? `?${query}` : ''}`;
  // No Accept-Encoding: fetch asks for gzip by itself (browsers and Node's) and decodes it.
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if ('lastId' in start) headers['last-event-id'] = start.lastId;
  let response: Response;
  try {
    response = await context.fetch(`${context.baseUrl}${path}`, { headers, signal });
  } catch (e) {
    throw context.networkError(e, `GET ${path}`);
  }
  if (!response.ok) throw await context.httpError(response, `GET ${path}`);
  if (!response.body) throw new Error(`GET ${path}: the answer has no body`);
  return response.body;
}

function toMessage(sse: SseEvent): StreamMessage | undefined {
  if (sse.event !== 'block' && sse.event !== 'tx' && sse.event !== 'event') return undefined; // a later node's, unknown here
  return { type: sse.event, id: sse.id ?? '', data: parseJson(sse.data) } as StreamMessage;
}

/**
 * Server-Sent Events from a byte stream (the WHATWG parsing rules): `event`, `data` (lines
 * joined with `\n`) and `id` fields; comments (`:` lines, the node's keep-alives) and `retry`
 * ignored; an event is dispatched at its blank line, so a message cut off by a dropped
 * connection is never delivered.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let fields: { event: string; data: string[]; id?: string } = { event: '', data: [] };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const end = /\r\n|\r|\n/g;
        end.lastIndex = start;
        const found = end.exec(buffer);
        // A `\r` last in the buffer may be the first half of `\r\n`: wait for the next chunk.
        if (!found || (found[0] === '\r' && found.index === buffer.length - 1)) break;
        const line = buffer.slice(start, found.index);
        start = found.index + found[0].length;
        if (line === '') {
          if (fields.data.length > 0) yield { event: fields.event || 'message', data: fields.data.join('\n'), id: fields.id };
          fields = { event: '', data: [] };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const name = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (name === 'event') fields.event = value;
          else if (name === 'data') fields.data.push(value);
          else if (name === 'id' && !value.includes('\0')) fields.id = value;
        }
      }
      buffer = buffer.slice(start);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
