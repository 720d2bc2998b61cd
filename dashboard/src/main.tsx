// The dashboard: a header with the chain's live height, four sections, one route each.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { client } from './api';
import { useLatestBlock } from './live';
import { Explorer } from './pages/Explorer';
import { Markets } from './pages/Markets';
import { Panel } from './pages/Panel';
import { Positions } from './pages/Positions';
import { onLinkClick, usePath } from './router';
import './style.css';

function App() {
  const path = usePath();
  const { block, error } = useLatestBlock();
  const [dev, setDev] = useState<boolean | undefined>();
  useEffect(() => {
    client.health().then((h) => setDev(h.dev), () => setDev(false));
  }, []);
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
        </span>
      </header>
      <main>{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
