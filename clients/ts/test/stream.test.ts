// client.stream() against a dev node: messages in chain order, a resume after a dropped
// connection or a `shutdown` close that misses nothing and repeats nothing, a revert delivered
// with its height, until_height and abort ending the iteration.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TidepoolClient, type StreamMessage, type StreamOptions } from '../src/index.js';
import { startDevNode, type DevNode } from '../src/node.js';
import { binary, freshAccount, funder } from './helpers.js';

let node: DevNode;
let client: TidepoolClient;

before(async () => {
  node = await startDevNode(binary);
  client = new TidepoolClient(node.url);
});
after(async () => {
  await node?.stop();
});

/** `count` native transfers, a block each; the heights of the first and the last. */
async function transfers(count: number): Promise<{ first: number; last: number }> {
  const to = (await freshAccount(client)).address;
  const heights: number[] = [];
  for (let i = 0; i < count; i++) heights.push((await client.sendTransaction(funder, { type: 'transfer', to, amount: 1n })).height);
  return { first: heights[0]!, last: heights[heights.length - 1]! };
}

async function collect(from: TidepoolClient, options: StreamOptions): Promise<StreamMessage[]> {
  const messages: StreamMessage[] = [];
  for await (const message of from.stream(options)) messages.push(message);
  return messages;
}

const ids = (messages: StreamMessage[]) => messages.map((m) => ('id' in m ? m.id : `reverted@${m.fromHeight}`));

test('blocks, then each block\'s transactions and events, in order; until_height ends the iteration', async () => {
  const { first, last } = await transfers(3);
  const messages = await collect(client, { fromHeight: first, untilHeight: last });
  const blocks = messages.filter((m) => m.type === 'block');
  assert.deepEqual(
    blocks.map((m) => m.data.height),
    [first, first + 1, first + 2],
  );
  let height = -1;
  for (const m of messages) {
    assert.ok(m.type !== 'reverted');
    const at = Number(m.id.split(/[:@]/)[0]);
    if (m.type === 'block') {
      assert.equal(at, height + 1 === 0 ? first : height + 1);
      height = at;
    } else {
      assert.equal(at, height, `${m.type} ${m.id} follows its block`);
    }
    if (m.type === 'tx') assert.equal(m.data.receipt.status, 'success');
  }
  assert.equal(messages.filter((m) => m.type === 'tx').length, 3);
  const only = await collect(client, { fromHeight: first, untilHeight: last, topics: ['txs'] });
  assert.deepEqual(
    only.map((m) => m.type),
    ['tx', 'tx', 'tx'],
  );
});

/** A fetch whose first stream connection drops after `cutAfter` bytes (mid-message). */
function droppingFirstStream(cutAfter: number, encodings: string[]): typeof fetch {
  let streams = 0;
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes('/v1/stream')) return response;
    encodings.push(response.headers.get('content-encoding') ?? 'identity');
    if (++streams > 1 || !response.body) return response;
    const reader = response.body.getReader();
    let passed = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (passed + value.length >= cutAfter) {
          controller.enqueue(value.slice(0, cutAfter - passed));
          await reader.cancel();
          return controller.error(new TypeError('terminated: the connection dropped'));
        }
        passed += value.length;
        controller.enqueue(value);
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

test('a dropped connection is resumed after the last message: nothing missed, nothing twice (and the stream came gzipped)', async () => {
  const { first, last } = await transfers(4);
  const clean = await collect(client, { fromHeight: first, untilHeight: last });
  const encodings: string[] = [];
  const flaky = new TidepoolClient(node.url, { fetch: droppingFirstStream(2_500, encodings) });
  const resumed = await collect(flaky, { fromHeight: first, untilHeight: last, retryDelayMs: 10 });
  assert.equal(encodings.length, 2, 'it reconnected once');
  assert.deepEqual(ids(resumed), ids(clean));
  assert.deepEqual(encodings, ['gzip', 'gzip'], 'fetch asked for gzip by itself');
});

test('a close with reason shutdown is resumed with the last id; a pruned one fails', async () => {
  const { first, last } = await transfers(2);
  const clean = await collect(client, { fromHeight: first, untilHeight: last });
  const seen: (string | null)[] = [];
  let calls = 0;
  const shuttingDown: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (!String(input).includes('/v1/stream')) return fetch(input, init);
    seen.push(headers.get('last-event-id'));
    if (++calls > 1) return fetch(input, init);
    // The first message for real, then the node "stops".
    const firstBlock = clean[0] as Extract<StreamMessage, { type: 'block' }>;
    const text =
      `: keep-alive\r\nevent: block\r\nid: ${firstBlock.id}\r\ndata: ${JSON.stringify(firstBlock.data)}\r\n\r\n` +
      `event: close\ndata: {"reason":"shutdown","from_height":${first + 1},"message":"the node is stopping"}\n\n`;
    return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
  };
  const resumed = await collect(new TidepoolClient(node.url, { fetch: shuttingDown }), { fromHeight: first, untilHeight: last, retryDelayMs: 10 });
  assert.deepEqual(ids(resumed), ids(clean));
  assert.deepEqual(seen, [null, clean[0]!.type === 'block' ? clean[0]!.id : '']);

  const pruned: typeof fetch = async () =>
    new Response('event: close\ndata: {"reason":"pruned","from_height":42,"message":"pruned"}\n\n', { headers: { 'content-type': 'text/event-stream' } });
  await assert.rejects(collect(new TidepoolClient(node.url, { fetch: pruned }), { fromHeight: 0 }), (e: unknown) => {
    assert.equal((e as { name?: string }).name, 'StreamClosedError');
    assert.equal((e as { reason?: string }).reason, 'pruned');
    assert.equal((e as { fromHeight?: number }).fromHeight, 42);
    return true;
  });
});

test('a revert is delivered as a reverted message with from_height, then the new chain follows', async () => {
  const { id: snapshot } = await client.dev.snapshot();
  const base = (await client.latestBlock()).height;
  const old = await transfers(2);
  const before = await collect(client, { fromHeight: old.first, untilHeight: old.last });
  const lastId = (before[before.length - 1] as { id: string }).id;
  await client.dev.revert(snapshot);
  const now = await transfers(3);
  const after = await collect(client, { lastEventId: lastId, untilHeight: now.last });
  assert.deepEqual(after[0], after[0]?.type === 'reverted' ? { ...after[0], fromHeight: base + 1 } : 'a reverted message first');
  const blocks = after.filter((m) => m.type === 'block').map((m) => m.data.height);
  assert.deepEqual(blocks, [base + 1, base + 2, base + 3], 'then the new chain from from_height');
});

test('aborting ends the iteration and closes the connection', async () => {
  const controller = new AbortController();
  const received: StreamMessage[] = [];
  const done = (async () => {
    for await (const message of client.stream({ topics: ['blocks'], signal: controller.signal })) {
      received.push(message);
      controller.abort();
    }
  })();
  await client.dev.mine();
  await done;
  assert.equal(received.length, 1);
  assert.equal(received[0]?.type, 'block');
});
