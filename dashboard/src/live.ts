// Live updates: the latest block, polled once a second (the node's event stream will replace it),
// and a hook that reloads a page's data whenever a new block arrives.
import { useEffect, useState } from 'preact/hooks';
import type { Block } from 'tidepool-client';
import { client, describeError } from './api';

type Listener = (block: Block) => void;
const listeners = new Set<Listener>();
let latest: Block | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let connectionError: string | undefined;

async function poll() {
  try {
    const block = await client.latestBlock();
    connectionError = undefined;
    if (!latest || block.height !== latest.height || block.hash !== latest.hash) {
      latest = block;
      listeners.forEach((l) => l(block));
    }
  } catch (e) {
    connectionError = describeError(e);
    listeners.forEach((l) => latest && l(latest));
  }
  timer = setTimeout(poll, 1000);
}

/** Asks for a poll now (after a transaction, say). */
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
    if (!timer) void poll();
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
