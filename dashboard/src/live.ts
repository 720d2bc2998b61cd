// Live updates: the latest block, followed through the node's event stream (`GET /v1/stream`,
// blocks only), and a hook that reloads a page's data whenever a new block arrives. Where the
// stream cannot be used (no EventSource, or it keeps failing) the latest block is polled once a
// second instead.
import { useEffect, useState } from 'preact/hooks';
import type { Block } from 'tidepool-client';
import { client, describeError } from './api';

type Listener = (block: Block) => void;
const listeners = new Set<Listener>();
type RevertListener = (fromHeight: number) => void;
const revertListeners = new Set<RevertListener>();
let latest: Block | undefined;
let started = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let connectionError: string | undefined;
let stream: EventSource | undefined;
/** Stream failures in a row; past a few, polling takes over. */
let failures = 0;
const MAX_STREAM_FAILURES = 5;

/** The chain went back: what a page read from `fromHeight` on belongs to blocks that are gone. */
function reverted(fromHeight: number) {
  revertListeners.forEach((l) => l(fromHeight));
}

/** A `close` said the chain went back: the next read of the latest block may be lower. */
let wentBack = false;

function publish(block: Block, from: 'stream' | 'poll') {
  connectionError = undefined;
  const lower = !!latest && (block.height < latest.height || (block.height === latest.height && block.hash !== latest.hash));
  // While the stream is open its `close` says when the chain went back, and a poll's answer
  // below what the stream already gave is only late: it must not move the header back or count
  // as a revert.
  if (lower && from === 'poll' && stream && !wentBack) return;
  // Polling alone sees a revert as a lower latest block, or another block at the same height
  // (a revert, and blocks mined again to a height short of the old one or past it between two
  // polls, goes unseen there; the stream's `close` says it).
  if (lower && !stream) reverted(block.height);
  wentBack = false;
  if (!latest || block.height !== latest.height || block.hash !== latest.hash) {
    latest = block;
    listeners.forEach((l) => l(block));
  }
}

/** Reads the latest block once; keeps polling while there is no stream. */
async function poll() {
  try {
    publish(await client.latestBlock(), 'poll');
  } catch (e) {
    connectionError = describeError(e);
    listeners.forEach((l) => latest && l(latest));
  }
  if (!stream) timer = setTimeout(poll, 1000);
}

function openStream() {
  if (typeof EventSource === 'undefined' || failures >= MAX_STREAM_FAILURES) {
    stream = undefined;
    void poll();
    return;
  }
  // Live only: the latest block is read once on (re)connecting, so nothing before it is needed.
  const source = new EventSource(`${client.baseUrl}/v1/stream?topics=blocks`);
  stream = source;
  source.addEventListener('open', () => {
    failures = 0;
    void poll();
  });
  source.addEventListener('block', (event) => {
    publish(JSON.parse((event as MessageEvent<string>).data) as Block, 'stream');
  });
  // The node ended the stream (it lagged, the chain was reverted or reset, the node is stopping):
  // read the latest block again and follow from there.
  source.addEventListener('close', (event) => {
    const close = JSON.parse((event as MessageEvent<string>).data) as { reason: string; from_height: number };
    if (close.reason === 'reverted') {
      reverted(close.from_height);
      wentBack = true;
    }
    source.close();
    stream = undefined;
    setTimeout(openStream, 500);
  });
  source.addEventListener('error', () => {
    failures += 1;
    connectionError = 'lost the connection to the node; retrying';
    listeners.forEach((l) => latest && l(latest));
    if (failures >= MAX_STREAM_FAILURES) {
      source.close();
      stream = undefined;
      void poll();
    } else if (source.readyState === EventSource.CLOSED) {
      // The browser gives up on an answer that is not a stream (a 5xx, say); try again later.
      stream = undefined;
      setTimeout(openStream, 1000);
    }
  });
}

function start() {
  if (started) return;
  started = true;
  openStream();
}

/**
 * Calls `listener(fromHeight)` whenever the chain goes back (`/dev/revert`, `/dev/reset`, a state
 * file loaded): blocks from `fromHeight` on were replaced, so anything read at those heights is
 * stale. Returns the function that stops it.
 */
export function onRevert(listener: RevertListener): () => void {
  revertListeners.add(listener);
  start();
  return () => void revertListeners.delete(listener);
}

/** Reads the latest block now (after a transaction, say). */
export function refreshNow() {
  if (timer) clearTimeout(timer);
  void poll();
}

/** The latest block (undefined until the first answer) and the connection's error, if any. */
export function useLatestBlock(): { block?: Block; error?: string } {
  const [state, setState] = useState<{ block?: Block; error?: string }>({ block: latest, error: connectionError });
  useEffect(() => {
    const listener: Listener = (block) => setState({ block, error: connectionError });
    listeners.add(listener);
    start();
    return () => void listeners.delete(listener);
  }, []);
  return state;
}

/** Loads `load()` now and again at each new block (or when `deps` change); keeps the last good value. */
export function useLive<T>(load: () => Promise<T>, deps: unknown[] = []): { data?: T; error?: string; loading: boolean } {
  const { block } = useLatestBlock();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  useEffect(() => {
    let cancelled = false;
    load().then(
      (data) => !cancelled && setState({ data, loading: false }),
      (e) => !cancelled && setState((s) => ({ data: s.data, error: describeError(e), loading: false })),
    );
    return () => {
      cancelled = true;
    };
  }, [block?.height, block?.hash, ...deps]);
  return state;
}
