// Explorer: latest blocks and events, a block, a transaction (receipt, events, call trace as a
// tree, state diff), a contract (code hash, admin, raw state with a prefix filter), an account;
// search by hash, height or address.
import { useState } from 'preact/hooks';
import { TidepoolApiError, type Block, type EventView, type StateDiff, type TraceFrame } from 'tidepool-client';
import { client, describeError } from '../api';
import { short, time, units } from '../format';
import { useLatestBlock, useLive } from '../live';
import { navigate } from '../router';

export function Explorer({ path }: { path: string }) {
  const [, , kind, id] = path.split('/');
  return (
    <section>
      <h1>Explorer</h1>
      <Search />
      {kind === 'blocks' && id ? <BlockPage height={id} /> : null}
      {kind === 'txs' && id ? <TxPage hash={id} /> : null}
      {kind === 'contracts' && id ? <ContractPage address={id} /> : null}
      {kind === 'accounts' && id ? <AccountPage address={id} /> : null}
      {!kind && <Home />}
    </section>
  );
}

function Search() {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const go = async (e: Event) => {
    e.preventDefault();
    // `0X…` is an address or hash too; the node and the pages' links use `0x`.
    const q = text.trim().replace(/^0X/, '0x');
    setError(undefined);
    try {
      if (/^\d+$/.test(q)) return navigate(`/explorer/blocks/${q}`);
      if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
        await client.transaction(q);
        return navigate(`/explorer/txs/${q}`);
      }
      if (/^0x[0-9a-fA-F]{40}$/.test(q)) {
        const isContract = await client.contract(q).then(() => true, (err) => (err instanceof TidepoolApiError && err.status === 404 ? false : Promise.reject(err)));
        return navigate(`/explorer/${isContract ? 'contracts' : 'accounts'}/${q}`);
      }
      setError('Search by transaction hash (0x + 64 hex digits), address (0x + 40) or block height.');
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="search" onSubmit={go}>
      <input data-testid="search" placeholder="Transaction hash, address or block height" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <button type="submit">Search</button>
      {error && <p class="error" data-testid="search-error">{error}</p>}
    </form>
  );
}

function Home() {
  const { block } = useLatestBlock();
  const { data: blocks } = useLive(async () => {
    const latest = await client.latestBlock();
    const heights = Array.from({ length: Math.min(15, latest.height + 1) }, (_, i) => latest.height - i);
    return Promise.all(heights.map((h) => (h === latest.height ? latest : client.block(h))));
  });
  const { data: events } = useLive(async () => (await client.events({ order: 'desc', limit: 25 })).events, [block?.height]);
  return (
    <div class="columns">
      <div>
        <h2>Latest blocks</h2>
        <table data-testid="blocks">
          <thead><tr><th>Height</th><th>Time</th><th>Txs</th></tr></thead>
          <tbody>
            {blocks?.map((b) => (
              <tr key={b.hash}>
                <td><a href={`/explorer/blocks/${b.height}`}>{b.height}</a></td>
                <td>{time(b.time)}</td>
                <td>{b.tx_hashes.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div>
        <h2>Latest events</h2>
        <Events events={events ?? []} />
      </div>
    </div>
  );
}

function Events({ events }: { events: EventView[] | { contract: string; type: string; data: unknown }[] }) {
  if (events.length === 0) return <p class="muted">None.</p>;
  return (
    <ul class="events" data-testid="events">
      {events.map((e, i) => (
        <li key={i}>
          <b>{e.type}</b> from <a href={`/explorer/contracts/${e.contract}`} class="mono">{short(e.contract)}</a>
          {'tx_hash' in e && <> in <a href={`/explorer/txs/${e.tx_hash}`} class="mono">{short(e.tx_hash)}</a></>}
          <pre>{JSON.stringify(e.data, null, 1)}</pre>
        </li>
      ))}
    </ul>
  );
}

/** A block page's height as typed in its address: digits, and a number JavaScript holds exactly. */
function blockHeight(text: string): number | undefined {
  const height = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(height) ? height : undefined;
}

function BlockPage({ height: text }: { height: string }) {
  const height = blockHeight(text);
  // Anything else is answered here, without asking the node (a NaN in the hook's dependencies
  // would also never equal itself, and ask again at every render).
  return height === undefined ? <p class="error" data-testid="block-error">{`"${text}" is not a block height: the address takes its number, /explorer/blocks/42.`}</p> : <BlockAt height={height} />;
}

function BlockAt({ height }: { height: number }) {
  const { data: b, error } = useLive<Block>(() => client.block(height), [height]);
  if (error) return <p class="error">{error}</p>;
  if (!b) return <p class="muted">Loading…</p>;
  return (
    <div data-testid="block">
      <h2>Block {b.height}</h2>
      <dl class="kv">
        <dt>Hash</dt><dd class="mono">{b.hash}</dd>
        <dt>Parent</dt><dd class="mono">{b.height > 0 ? <a href={`/explorer/blocks/${b.height - 1}`}>{b.parent_hash}</a> : b.parent_hash}</dd>
        <dt>Time</dt><dd>{time(b.time)}</dd>
        <dt>State root</dt><dd class="mono">{b.state_root}</dd>
      </dl>
      <h3>Transactions</h3>
      <ul>{b.tx_hashes.map((h) => <li key={h}><a href={`/explorer/txs/${h}`} class="mono">{h}</a></li>)}</ul>
      {b.tx_hashes.length === 0 && <p class="muted">None.</p>}
    </div>
  );
}

function Trace({ frame }: { frame: TraceFrame }) {
  return (
    <li>
      <span class={frame.error ? 'danger' : ''}>
        <a href={`/explorer/contracts/${frame.contract}`} class="mono">{short(frame.contract)}</a> · {frame.entry_point} · gas {frame.gas_used.toLocaleString('en-US')} / {frame.gas_limit.toLocaleString('en-US')}
        {frame.funds !== '0' && ` · +${frame.funds} native`}
        {frame.error && ` · ${frame.error}`}
      </span>
      {frame.msg !== null && <pre class="small">{JSON.stringify(frame.msg)}</pre>}
      {frame.events.map((e, i) => <div key={`e${i}`} class="small mono">emit {e.type} {JSON.stringify(e.data)}</div>)}
      {frame.logs.map((l, i) => <div key={`l${i}`} class="small mono muted">log {l}</div>)}
      {frame.children.length > 0 && <ul>{frame.children.map((c, i) => <Trace key={i} frame={c} />)}</ul>}
      {!frame.error && frame.return_data !== null && <div class="small mono">← {JSON.stringify(frame.return_data)}</div>}
    </li>
  );
}

function Diff({ diff }: { diff: StateDiff }) {
  const value = (json: unknown, hex: string | null) => (json !== undefined && json !== null ? JSON.stringify(json) : hex ?? '(absent)');
  return (
    <div data-testid="state-diff">
      {diff.storage.length > 0 && (
        <table>
          <thead><tr><th>Contract</th><th>Key</th><th>Before</th><th>After</th></tr></thead>
          <tbody>
            {diff.storage.map((d, i) => (
              <tr key={i}>
                <td class="mono"><a href={`/explorer/contracts/${d.contract}`}>{short(d.contract)}</a></td>
                <td class="mono small">{d.decoded_key ?? d.key}</td>
                <td class="mono small">{value(d.before_json, d.before)}</td>
                <td class="mono small">{value(d.after_json, d.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff.accounts.length > 0 && (
        <table>
          <thead><tr><th>Account</th><th>Balance</th><th>Nonce</th></tr></thead>
          <tbody>
            {diff.accounts.map((a, i) => (
              <tr key={i}>
                <td class="mono"><a href={`/explorer/accounts/${a.address}`}>{short(a.address)}</a></td>
                <td class="mono small">{a.balance_before} → {a.balance_after}</td>
                <td class="mono small">{a.nonce_before} → {a.nonce_after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff.contracts.map((c, i) => <p key={`c${i}`} class="small mono">contract {c.address}: code {c.code_before ?? '(new)'} → {c.code_after ?? '(removed)'}</p>)}
      {diff.code.map((h) => <p key={h} class="small mono">code uploaded {h}</p>)}
      {diff.truncated && <p class="muted">Truncated: the receipt keeps the first changes only.</p>}
    </div>
  );
}

function TxPage({ hash }: { hash: string }) {
  const { data, error } = useLive(() => client.transaction(hash), [hash]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  const { tx, receipt } = data;
  const diff = receipt.state_diff;
  return (
    <div data-testid="tx">
      <h2>Transaction <span class="mono small">{hash}</span></h2>
      <dl class="kv">
        <dt>Status</dt><dd data-testid="tx-status" class={receipt.status === 'success' ? '' : 'danger'}>{receipt.status}{receipt.error && `: ${receipt.error}`}</dd>
        <dt>Block</dt><dd><a href={`/explorer/blocks/${receipt.height}`}>{receipt.height}</a> (index {receipt.index})</dd>
        <dt>From</dt><dd><a href={`/explorer/accounts/${receipt.from}`} class="mono">{receipt.from}</a></dd>
        <dt>Nonce</dt><dd>{tx.tx.nonce}</dd>
        <dt>Gas</dt><dd>{receipt.gas_used.toLocaleString('en-US')} of {tx.tx.gas_limit.toLocaleString('en-US')}</dd>
        <dt>Signature</dt><dd class="mono small">{tx.signature ?? 'none (impersonated)'}</dd>
      </dl>
      <h3>Action</h3>
      <pre>{JSON.stringify(tx.tx.action, null, 2)}</pre>
      <h3>Result</h3>
      <pre>{JSON.stringify(receipt.result, null, 2)}</pre>
      <h3>Events</h3>
      <Events events={receipt.events} />
      <h3>Call trace</h3>
      {receipt.trace ? <ul class="trace" data-testid="trace"><Trace frame={receipt.trace} /></ul> : <p class="muted">No contract call.</p>}
      <h3>State diff</h3>
      <Diff diff={diff} />
      {receipt.logs && receipt.logs.length > 0 && (<><h3>Logs</h3><pre>{receipt.logs.join('\n')}</pre></>)}
    </div>
  );
}

function ContractPage({ address }: { address: string }) {
  const [prefix, setPrefix] = useState('');
  const { data: info, error } = useLive(() => client.contract(address), [address]);
  const { data: state, error: stateError } = useLive(() => client.state(address, { prefix: prefix || undefined, limit: 200 }), [address, prefix]);
  const { data: events } = useLive(async () => (await client.events({ contract: address, order: 'desc', limit: 20 })).events, [address]);
  if (error) return <p class="error">{error}</p>;
  return (
    <div data-testid="contract">
      <h2>Contract <span class="mono small">{address}</span></h2>
      {info && (
        <dl class="kv">
          <dt>Code hash</dt><dd class="mono" data-testid="code-hash">{info.code_hash}</dd>
          <dt>Admin</dt><dd class="mono">{info.admin ?? 'none (immutable)'}</dd>
          <dt>Creator</dt><dd class="mono">{info.creator}</dd>
          <dt>Created at</dt><dd><a href={`/explorer/blocks/${info.created_at}`}>{info.created_at}</a></dd>
          <dt>Label</dt><dd>{(info as { label?: string }).label}</dd>
          <dt>Native balance</dt><dd>{info.balance}</dd>
        </dl>
      )}
      <h3>Raw state</h3>
      <input data-testid="prefix" placeholder="Key prefix: text, or 0x and hex" value={prefix} onInput={(e) => setPrefix((e.target as HTMLInputElement).value)} />
      {stateError && <p class="error">{stateError}</p>}
      <div class="table-wrap">
        <table data-testid="state">
          <thead><tr><th>Key</th><th>Value</th></tr></thead>
          <tbody>
            {state?.entries.map((e) => (
              <tr key={e.key}><td class="mono small">{e.key_text ?? e.key}</td><td class="mono small">{e.value_json !== null ? JSON.stringify(e.value_json) : e.value}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Latest events</h3>
      <Events events={events ?? []} />
    </div>
  );
}

function AccountPage({ address }: { address: string }) {
  const { data, error } = useLive(() => client.balances(address), [address]);
  const { data: account } = useLive(() => client.account(address), [address]);
  if (error) return <p class="error">{error}</p>;
  return (
    <div data-testid="account">
      <h2>Account <span class="mono small">{address}</span></h2>
      <p><a href={`/positions/${address}`}>Its lending position →</a></p>
      <dl class="kv">
        <dt>Nonce</dt><dd>{account?.nonce}</dd>
        <dt>Native</dt><dd>{data && units(data.native, 18)}</dd>
        {data?.tokens.map((t) => (<><dt key={t.token}>{t.symbol}</dt><dd>{units(t.balance, t.decimals)}</dd></>))}
      </dl>
    </div>
  );
}
