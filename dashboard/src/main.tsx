// The dashboard: a header with the chain's live height (and, on a network validator, whether its
// consensus stalled), four sections, one route each.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Health } from 'tidepool-client';
import { client } from './api';
import { useLatestBlock } from './live';
import { Explorer } from './pages/Explorer';
import { Markets } from './pages/Markets';
import { Panel } from './pages/Panel';
import { Positions } from './pages/Positions';
import { onLinkClick, usePath } from './router';
import './style.css';

/** How often a network validator's health is read again (a dev node's once). */
const HEALTH_EVERY_MS = 5_000;

/**
 * The node's `/health`: `undefined` until read, `null` if it could not be. A network validator's
 * is read again every few seconds, so the header shows when its consensus stalls.
 */
function useHealth(): Health | null | undefined {
  const [health, setHealth] = useState<Health | null | undefined>();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let network = false;
    const read = () =>
      client
        .health()
        .then(
          (h) => {
            network = h.consensus != null;
            setHealth(h);
          },
          () => setHealth((known) => known ?? null),
        )
        .finally(() => {
          if (network) timer = setTimeout(read, HEALTH_EVERY_MS);
        });
    void read();
    return () => clearTimeout(timer);
  }, []);
  return health;
}

function App() {
  const path = usePath();
  const { block, error } = useLatestBlock();
  const health = useHealth();
  const dev = health === null ? false : health?.dev;
  const section = path.split('/')[1] || 'markets';
  const nav = [
    ['markets', 'Markets'],
    ['positions', 'Positions'],
    ['explorer', 'Explorer'],
    ...(dev ? [['panel', 'Dev panel']] : []),
  ];
  let page;
  if (section === 'markets') page = <Markets />;
  else if (section === 'positions') page = <Positions path={path} />;
  else if (section === 'explorer') page = <Explorer path={path} />;
  else if (section === 'panel') page = <Panel dev={dev} />;
  else page = <p class="error">No page at {path}.</p>;
  return (
    <div onClick={(e) => onLinkClick(e as unknown as MouseEvent)}>
      <header>
        <a href="/markets" class="brand"><img src="/favicon.svg" alt="" width="20" height="20" /> Tidepool</a>
        <nav>
          {nav.map(([id, label]) => (
            <a key={id} href={`/${id}`} class={section === id ? 'active' : ''} data-testid={`nav-${id}`}>{label}</a>
          ))}
        </nav>
        <span class="chain" data-testid="height" data-value={block?.height}>
          {error ? <span class="error">offline: {error}</span> : block ? `block ${block.height}` : '…'}
          {dev && <span class="badge">dev</span>}
          {health?.status === 'stalled' && (
            <span
              class="badge warn"
              data-testid="stalled"
              title={`No new block for ${Math.round((health.consensus?.idle_ms ?? 0) / 1000)} s: fewer than two thirds of the validators are reachable, or this node's network is down.`}
            >
              stalled
            </span>
          )}
        </span>
      </header>
      <main>{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
