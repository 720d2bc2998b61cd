/**
 * The REST client: typed reads (types generated from the node's `/openapi.json` into
 * `openapi.ts`), signed transactions, dev controls. Errors carry the API's error body.
 */
import { getAddress, keccak256, hashMessage, type Address, type Hex } from 'viem';
import { canonicalize, type CanonicalValue } from './canonical.js';
import { parseJson } from './json.js';
import type { components } from './openapi.js';
import { KeyedQueue } from './queue.js';
import type { Signer } from './signer.js';
import { followStream, type StreamMessage, type StreamOptions } from './stream.js';

type Schemas = components['schemas'];
export type AccountInfo = Schemas['AccountInfo'];
export type Balances = Schemas['Balances'];
export type Block = Schemas['Block'];
export type CodeInfo = Schemas['CodeInfo'];
export type ContractInfo = Schemas['ContractInfo'];
export type EventPage = Schemas['EventPage'];
export type EventView = Schemas['EventView'];
export type Health = Schemas['Health'];
export type QueryAnswer = Schemas['QueryAnswer'];
export type Receipt = Schemas['Receipt'];
export type Replay = Schemas['Replay'];
export type StateDiff = Schemas['StateDiff'];
export type TraceFrame = Schemas['TraceFrame'];
export type TxTrace = Schemas['TxTrace'];
export type StatePage = Schemas['StatePage'];
export type TxWithReceipt = Schemas['TxWithReceipt'];
export type MiningState = Schemas['MiningState'];
export type NextBlock = Schemas['NextBlock'];
export type StateFile = Schemas['StateFile'];

/** Amounts: decimal strings in base units; `bigint` is accepted and written exactly. */
export type AmountInput = string | bigint;

/** What a transaction does (the node's `Action`), with messages that may hold `bigint`. */
export type Action =
  | { type: 'transfer'; to: string; amount: AmountInput }
  | { type: 'upload_code'; wasm: Hex }
  | { type: 'instantiate'; code_hash: Hex; msg: CanonicalValue; funds?: AmountInput; label: string; admin?: string | null }
  | { type: 'execute'; contract: string; msg: CanonicalValue; funds?: AmountInput }
  | { type: 'migrate'; contract: string; new_code_hash: Hex; msg: CanonicalValue };

/** A transaction before signing. `chain_id` and `nonce` are u64: `bigint` past 2^53. */
export interface UnsignedTransaction {
  chain_id: number | bigint;
  nonce: number | bigint;
  from: string;
  gas_limit: number;
  action: Action;
}

/** The least gas any transaction has, and the most one may have (the node's bounds). */
export const TX_BASE_GAS = 21_000;
export const MAX_TX_GAS = 1_000_000_000;

/**
 * An error answer of the API: its status and `{error: {code, message}}`. A request that got no
 * answer has status 0: code `timeout` (no answer within `requestTimeoutMs`) or `network_error`
 * (the connection failed; the `fetch` error is the `cause`).
 */
export class TidepoolApiError extends Error {
  override name = 'TidepoolApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A transaction still pending when its wait ended (manual or interval mining): `hash` names it,
 * for [`TidepoolClient.waitForTransaction`] later. It is the 404 `not_found` the node answered
 * for the pending transaction, so code that tested for that still works.
 */
export class TransactionPendingError extends TidepoolApiError {
  override name = 'TransactionPendingError';
  constructor(
    readonly hash: Hex,
    timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(404, 'not_found', `transaction ${hash} is still pending after ${timeoutMs} ms`, options);
  }
}

/** A transaction that was mined but failed (`reverted` or `out_of_gas`). */
export class TransactionFailedError extends Error {
  override name = 'TransactionFailedError';
  constructor(
    readonly receipt: Receipt,
    message = `transaction ${receipt.tx_hash} failed: ${failure(receipt)}`,
  ) {
    super(message);
  }
}

/**
 * A transaction whose simulation failed, so it was neither signed nor sent (as ethers'
 * `estimateGas` refuses a call that would revert). `receipt` is the simulated one. It is a
 * `TransactionFailedError`, so code that caught the mined failure catches this one too; pass
 * `requireSuccess: false` to send such a transaction anyway.
 */
export class SimulationFailedError extends TransactionFailedError {
  override name = 'SimulationFailedError';
  constructor(receipt: Receipt) {
    super(receipt, `transaction ${receipt.tx_hash} would fail, so it was not sent (simulated): ${failure(receipt)}`);
  }
}

/** A failed receipt's reason, once: the node's `error` already starts with the status (`reverted: …`). */
function failure(receipt: Receipt): string {
  return receipt.error ?? receipt.status;
}

/** The transaction as the node signs and hashes it: addresses EIP-55, defaults filled in. */
export function normalizeTransaction(tx: UnsignedTransaction): CanonicalValue {
  const a = tx.action;
  let action: CanonicalValue;
  switch (a.type) {
    case 'transfer':
      action = { type: a.type, to: getAddress(a.to), amount: amount(a.amount) };
      break;
    case 'upload_code':
      action = { type: a.type, wasm: a.wasm.toLowerCase() };
      break;
    case 'instantiate':
      action = {
        type: a.type,
        code_hash: a.code_hash.toLowerCase(),
        msg: a.msg,
        funds: amount(a.funds ?? '0'),
        label: a.label,
        admin: a.admin ? getAddress(a.admin) : null,
      };
      break;
    case 'execute':
      action = { type: a.type, contract: getAddress(a.contract), msg: a.msg, funds: amount(a.funds ?? '0') };
      break;
    case 'migrate':
      action = { type: a.type, contract: getAddress(a.contract), new_code_hash: a.new_code_hash.toLowerCase(), msg: a.msg };
      break;
  }
  return { chain_id: tx.chain_id, nonce: tx.nonce, from: getAddress(tx.from), gas_limit: tx.gas_limit, action };
}

/** The largest amount: 2^128 − 1 base units (the node's `Amount`). */
const MAX_AMOUNT = (1n << 128n) - 1n;

/**
 * An amount as the API writes it: a decimal string of base units, 0 to 2^128 − 1, from a
 * decimal string or a `bigint`. Anything else — a `number` too, which JavaScript cannot hold
 * exactly past 2^53 — throws a `TypeError` (a `RangeError` out of range) before anything is sent.
 */
export function formatAmount(value: AmountInput): string {
  let text: string;
  if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'string') text = value;
  else throw new TypeError(`amount ${String(value)} is a ${typeof value}: give a decimal string of base units or a bigint`);
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new TypeError(`amount ${JSON.stringify(text)} is not a decimal string of base units`);
  if (BigInt(text) > MAX_AMOUNT) throw new RangeError(`amount ${text} is more than 2^128 − 1 base units`);
  return text;
}
const amount = formatAmount;

/** The canonical JSON a signature covers. */
export function canonicalTransaction(tx: UnsignedTransaction): string {
  return canonicalize(normalizeTransaction(tx));
}

/** The transaction hash: keccak256 of the canonical JSON (no signature). */
export function transactionHash(tx: UnsignedTransaction): Hex {
  return keccak256(new TextEncoder().encode(canonicalTransaction(tx)));
}

/** The EIP-191 digest a wallet signs for `tx`. */
export function transactionDigest(tx: UnsignedTransaction): Hex {
  return hashMessage({ raw: new TextEncoder().encode(canonicalTransaction(tx)) });
}

/** A signed transaction, ready for `POST /v1/txs`: the body text and the hash. */
export interface SignedTransaction {
  /** `{"tx": <canonical JSON>, "signature": "0x…"}`. */
  body: string;
  /** The transaction hash. */
  hash: Hex;
  signature: Hex;
}

/** Signs `tx` with `signer` (EIP-191 `personal_sign` over the canonical JSON). */
export async function signTransaction(signer: Signer, tx: UnsignedTransaction): Promise<SignedTransaction> {
  const canonical = canonicalTransaction(tx);
  const bytes = new TextEncoder().encode(canonical);
  const signature = await signer.signMessage(bytes);
  return { body: `{"tx":${canonical},"signature":${JSON.stringify(signature)}}`, hash: keccak256(bytes), signature };
}

/** Options of [`TidepoolClient.sendTransaction`]. */
export interface SendOptions {
  /**
   * The gas limit; by default the gas a simulation used, plus a quarter and 20,000. Given, no
   * simulation runs, so a transaction that would fail is not refused before it is signed.
   */
  gasLimit?: number;
  /** The nonce; by default the account's next, its pending transactions counted (`pending_nonce` from `GET /v1/accounts/{address}`). */
  nonce?: number | bigint;
  /**
   * Require success (default true): a transaction whose simulation fails is refused with
   * [`SimulationFailedError`] before it is signed, and a mined one that failed throws
   * [`TransactionFailedError`]. `false` sends it anyway and returns its failed receipt.
   */
  requireSuccess?: boolean;
  /** In manual or interval mining, how long to wait for the block (default 30 s); then [`TransactionPendingError`]. */
  timeoutMs?: number;
}

/** What [`TidepoolClient.submitTransaction`] answers: the hash, and the receipt when the node mined it at once (automine). */
export interface SubmittedTransaction {
  hash: Hex;
  receipt?: Receipt;
}

/** A read at a committed height (`?height=`): the state as of the end of that block. */
export interface AtHeight {
  height?: number | bigint;
}

/**
 * The longest query path the client sends as a `GET`. The node takes URLs up to 65,534 bytes,
 * but proxies in between often stop near 8 KiB (nginx's default header buffers), so a longer
 * message goes as a `POST` body.
 */
export const MAX_QUERY_URL = 8 * 1024;

/** Options of the client. */
export interface ClientOptions {
  /** `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * How long one request may wait for the node's answer before it fails with a
   * [`TidepoolApiError`] of code `timeout` (default 30 s; 0: no limit). A send holds its
   * signer's turn until its submission is answered, so this also bounds how long a hung node
   * holds up that signer's next sends.
   */
  requestTimeoutMs?: number;
}

/**
 * A Tidepool node's API. `baseUrl` is the node's address (`http://127.0.0.1:8545`); `''` means
 * the page's own origin, as the dashboard the node serves uses it.
 */
export class TidepoolClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly requestTimeoutMs: number;
  private chainId?: number;
  /** Per signer address, the end of its last send's turn (see `sendTransaction`). */
  private readonly turns = new KeyedQueue();

  constructor(baseUrl = 'http://127.0.0.1:8545', options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** A GET or POST to `path`; the answer's JSON, or a [`TidepoolApiError`]. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: string | object): Promise<T> {
    const init: RequestInit = { method, headers: {} };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    if (this.requestTimeoutMs > 0) init.signal = AbortSignal.timeout(this.requestTimeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, init);
      text = await response.text();
    } catch (e) {
      throw this.networkError(e, `${method} ${path}`);
    }
    const json = readJson(text);
    if (!response.ok) throw apiError(response.status, json, `${method} ${path}`, text);
    if (json === undefined) throw new TidepoolApiError(response.status, 'not_json', `${method} ${path}: the answer is not JSON`);
    return json as T;
  }

  /** A failed `fetch` as a `TidepoolApiError` of status 0: `timeout`, or `network_error` with the cause. */
  private networkError(e: unknown, what: string): TidepoolApiError {
    if (e instanceof Error && e.name === 'TimeoutError') {
      return new TidepoolApiError(0, 'timeout', `${what}: no answer within ${this.requestTimeoutMs} ms`, { cause: e });
    }
    const detail = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    return new TidepoolApiError(0, 'network_error', `${what}: the request failed (${detail})`, { cause: e });
  }

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }
  /** An account's balance and nonces; `height` reads them as of that block. */
  account(address: string, options: AtHeight = {}): Promise<AccountInfo> {
    return this.request('GET', `/v1/accounts/${address}${queryString({ height: options.height })}`);
  }
  /** An account's native and market-token balances; `height` reads them as of that block. */
  balances(address: string, options: AtHeight = {}): Promise<Balances> {
    return this.request('GET', `/v1/accounts/${address}/balances${queryString({ height: options.height })}`);
  }
  latestBlock(): Promise<Block> {
    return this.request('GET', '/v1/blocks/latest');
  }
  block(height: number): Promise<Block> {
    return this.request('GET', `/v1/blocks/${height}`);
  }
  transaction(hash: string): Promise<TxWithReceipt> {
    return this.request('GET', `/v1/txs/${hash}`);
  }
  contract(address: string): Promise<ContractInfo> {
    return this.request('GET', `/v1/contracts/${address}`);
  }
  code(hash: string): Promise<CodeInfo> {
    return this.request('GET', `/v1/code/${hash}`);
  }
  /**
   * Raw storage, in key order: `prefix` is `0x`-hex bytes or text. A full page's `next` passed
   * as `after` reads the page after it.
   */
  state(address: string, params: { prefix?: string; after?: string; limit?: number; height?: number | bigint } = {}): Promise<StatePage> {
    return this.request('GET', `/v1/contracts/${address}/state${queryString(params)}`);
  }
  /**
   * Events, oldest first (`order: 'desc'`: newest first). A full page's `next` passed as `after`
   * reads the page after it.
   */
  events(
    params: { contract?: string; type?: string; from?: number; to?: number; order?: 'asc' | 'desc'; after?: string; limit?: number } = {},
  ): Promise<EventPage> {
    return this.request('GET', `/v1/events${queryString(params)}`);
  }
  /**
   * A contract query: the whole answer (`result`, `height`, `gas_used`). The message goes in the
   * URL (`GET …/query?msg=`: no body, so the node answers sooner and a browser sends no CORS
   * preflight) up to [`MAX_QUERY_URL`] bytes of path, and as a `POST` body beyond; the answer is
   * the same. `height` runs it on the state as of that block.
   */
  queryAnswer(contract: string, msg: CanonicalValue, options: AtHeight = {}): Promise<QueryAnswer> {
    const path = `/v1/contracts/${contract}/query`;
    const text = canonicalize(msg);
    const inUrl = `${path}${queryString({ msg: text, height: options.height })}`;
    return inUrl.length <= MAX_QUERY_URL
      ? this.request('GET', inUrl)
      : this.request('POST', `${path}${queryString({ height: options.height })}`, text);
  }
  /** A contract query's result (`height`: on the state as of that block). */
  async query<T = unknown>(contract: string, msg: CanonicalValue, options: AtHeight = {}): Promise<T> {
    return (await this.queryAnswer(contract, msg, options)).result as T;
  }
  /** The receipt `tx` would get, without committing it. */
  simulate(tx: UnsignedTransaction): Promise<Receipt> {
    return this.request('POST', '/v1/simulate', canonicalTransaction(tx));
  }
  /** The node's chain id (read once). */
  async getChainId(): Promise<number> {
    this.chainId ??= (await this.health()).chain_id;
    return this.chainId;
  }

  /**
   * Builds, signs and submits a transaction from `signer`, and returns its receipt: chain id
   * from `/health`, nonce from the account (`pending_nonce`), gas limit from a simulation unless
   * given. A transaction whose simulation fails is refused before it is signed
   * ([`SimulationFailedError`]) unless `requireSuccess` is false. Sends from one signer through
   * one client take turns until each is accepted (not until its receipt), so concurrent sends
   * get consecutive nonces and reach the node in order. In manual or interval mining it waits
   * up to `timeoutMs` for the block, then throws [`TransactionPendingError`] with the hash.
   */
  async sendTransaction(signer: Signer, action: Action, options: SendOptions = {}): Promise<Receipt> {
    const submitted = await this.submitTransaction(signer, action, options);
    const receipt = submitted.receipt ?? (await this.waitForTransaction(submitted.hash, { timeoutMs: options.timeoutMs }));
    if ((options.requireSuccess ?? true) && receipt.status !== 'success') throw new TransactionFailedError(receipt);
    return receipt;
  }

  /**
   * Builds, signs and submits a transaction as [`sendTransaction`] does, without waiting for
   * its block: the hash (for [`waitForTransaction`]), and the receipt when the node mined it at
   * once (automine), failed or not.
   */
  submitTransaction(signer: Signer, action: Action, options: Omit<SendOptions, 'timeoutMs'> = {}): Promise<SubmittedTransaction> {
    return this.turns.run(signer.address.toLowerCase(), async () => {
      const [chainId, nonce] = await Promise.all([
        this.getChainId(),
        // A node from before `pending_nonce` tells only the committed one.
        options.nonce ?? this.account(signer.address).then((a) => a.pending_nonce ?? a.nonce),
      ]);
      const tx: UnsignedTransaction = { chain_id: chainId, nonce, from: signer.address, gas_limit: MAX_TX_GAS, action };
      tx.gas_limit = options.gasLimit ?? (await this.checkedGas(tx, options.requireSuccess ?? true));
      const signed = await signTransaction(signer, tx);
      const answer = await this.request<Receipt | { tx_hash: Hex }>('POST', '/v1/txs', signed.body);
      return 'status' in answer ? { hash: answer.tx_hash as Hex, receipt: answer } : { hash: answer.tx_hash };
    });
  }

  /** The gas a simulation of `tx` used, plus a quarter and 20,000 for what changes until it runs. */
  async estimateGas(tx: UnsignedTransaction): Promise<number> {
    return gasFor(await this.simulate({ ...tx, gas_limit: MAX_TX_GAS }));
  }

  /** [`estimateGas`], refusing a transaction whose simulation fails when `requireSuccess`. */
  private async checkedGas(tx: UnsignedTransaction, requireSuccess: boolean): Promise<number> {
    const simulated = await this.simulate({ ...tx, gas_limit: MAX_TX_GAS });
    if (requireSuccess && simulated.status !== 'success') throw new SimulationFailedError(simulated);
    return gasFor(simulated);
  }

  /** Submits a signed transaction; waits (polling) for its block in manual or interval mining. */
  async submit(signed: SignedTransaction, timeoutMs = 30_000): Promise<Receipt> {
    const submitted = await this.request<Receipt | { tx_hash: Hex }>('POST', '/v1/txs', signed.body);
    return 'status' in submitted ? submitted : this.waitForTransaction(submitted.tx_hash, { timeoutMs });
  }

  /**
   * The receipt of transaction `hash`, polled for (every `pollMs`, default 100 ms) until its
   * block, at most `timeoutMs` (default 30 s): then [`TransactionPendingError`].
   */
  async waitForTransaction(hash: Hex, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<Receipt> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return (await this.transaction(hash)).receipt;
      } catch (e) {
        if (!(e instanceof TidepoolApiError && e.status === 404)) throw e;
        if (Date.now() > deadline) throw new TransactionPendingError(hash, timeoutMs, { cause: e });
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  }

  /**
   * Follows `GET /v1/stream`: blocks, transactions with their receipts, and events as they are
   * committed, in chain order, as an async iterable (`for await (const m of client.stream())`).
   * It reconnects by itself after `lagged`, `shutdown`, `error` and network failures, resuming
   * after the last message's id, so nothing is missed or repeated; a revert is delivered as a
   * `reverted` message; `untilHeight` ends it; `signal` stops it. See [`StreamOptions`].
   */
  stream(options: StreamOptions = {}): AsyncGenerator<StreamMessage, void, undefined> {
    const context = {
      baseUrl: this.baseUrl,
      fetch: this.fetchFn,
      latestHeight: async () => (await this.health()).height,
      httpError: async (response: Response, what: string) => {
        const text = await response.text().catch(() => '');
        return apiError(response.status, readJson(text), what, text);
      },
      networkError: (e: unknown, what: string) => this.networkError(e, what),
    };
    // An error answer but a 5xx is final; so is a local mistake (not a TidepoolApiError).
    const isFatal = (e: unknown) => e instanceof TidepoolApiError && e.status >= 400 && e.status < 500;
    return followStream(context, options, isFatal);
  }

  /** Dev controls (a node started with `--dev`). */
  readonly dev = {
    /**
     * Moves the clock `seconds` ahead; the answer is the block mined at the new time. With
     * `refreshPrices`, that block also publishes the dev market oracle's prices again at the new
     * time, so positions can still be valued (a 404 on a chain without the market).
     */
    warp: (seconds: number, options: { refreshPrices?: boolean } = {}): Promise<Block> =>
      this.request('POST', '/dev/warp', { seconds, refresh_prices: options.refreshPrices ?? false }),
    /** Mines `blocks` empty blocks (1 by default). */
    mine: (blocks = 1): Promise<Block> => this.request('POST', '/dev/mine', { blocks }),
    /** Sets an account's native balance. */
    setBalance: (address: string, amount: AmountInput): Promise<Block> =>
      this.request('POST', '/dev/set_balance', { address: getAddress(address), amount: formatAmount(amount) }),
    /** Adds `amount` to an account's native balance. */
    faucet: (address: string, amount: AmountInput): Promise<Block> =>
      this.request('POST', '/dev/faucet', { address: getAddress(address), amount: formatAmount(amount) }),
    /** A snapshot id to revert to later. */
    snapshot: (): Promise<{ id: number }> => this.request('POST', '/dev/snapshot'),
    /** Back to a snapshot: the blocks after it are gone. */
    revert: (id: number): Promise<Block> => this.request('POST', '/dev/revert', { id }),
    /** The mining mode and the pending transactions' hashes. */
    mining: (): Promise<MiningState> => this.request('GET', '/dev/mining'),
    /** Switches mining: `auto` (a block per submission), `manual` (`mine`), or `interval` every `intervalMs`. */
    setMining: (mode: 'auto' | 'manual' | 'interval', intervalMs?: number): Promise<MiningState> =>
      this.request('POST', '/dev/mining', mode === 'interval' ? { mode, interval_ms: intervalMs } : { mode }),
    /** Gives the next block exactly `time` (Unix seconds); the clock goes on from there. */
    setNextBlockTime: (time: number): Promise<NextBlock> => this.request('POST', '/dev/set_next_block_time', { time }),
    /**
     * Runs `action` as `from` without a signature (`/dev/impersonate`): chain id, `from`'s
     * pending nonce and a simulated gas limit as `sendTransaction` sets them, unless given. The
     * receipt (automine, failed or not) or `{tx_hash}` (manual and interval mining).
     */
    impersonate: async (from: string, action: Action, options: { nonce?: number | bigint; gasLimit?: number } = {}): Promise<Receipt | { tx_hash: Hex }> => {
      const [chainId, nonce] = await Promise.all([
        this.getChainId(),
        options.nonce ?? this.account(from).then((a) => a.pending_nonce ?? a.nonce),
      ]);
      const tx: UnsignedTransaction = { chain_id: chainId, nonce, from, gas_limit: MAX_TX_GAS, action };
      tx.gas_limit = options.gasLimit ?? (await this.estimateGas(tx));
      return this.request('POST', '/dev/impersonate', canonicalTransaction(tx));
    },
    /** Back to the genesis (or the state loaded last): the genesis block, now latest. */
    reset: (): Promise<Block> => this.request('POST', '/dev/reset'),
    /** The chain's state as a state file (docs/state-file.md). */
    dumpState: (): Promise<StateFile> => this.request('POST', '/dev/dump_state'),
    /** Replaces the chain with one starting from `state` (as `dumpState` answers it, or its JSON text): its first block. */
    loadState: (state: StateFile | string): Promise<Block> =>
      this.request('POST', '/dev/load_state', typeof state === 'string' ? state : canonicalize(state as unknown as CanonicalValue)),
  };
}

function gasFor(simulated: Receipt): number {
  return Math.min(MAX_TX_GAS, Math.ceil(simulated.gas_used * 1.25) + 20_000);
}

/** An answer's text as JSON, integers past 2^53 as `bigint`; `undefined` when it is not JSON. */
function readJson(text: string): unknown {
  try {
    return text ? parseJson(text) : null;
  } catch {
    return undefined;
  }
}

/** An error answer as a `TidepoolApiError`: its `{error: {code, message}}`, or the HTTP status. */
function apiError(status: number, json: unknown, what: string, text: string): TidepoolApiError {
  const detail = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new TidepoolApiError(status, detail?.code ?? 'http_error', detail?.message ?? `${what}: HTTP ${status} ${text.slice(0, 200)}`);
}

function queryString(params: Record<string, string | number | bigint | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as [string, string | number | bigint][];
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

export type { Address, Hex };
