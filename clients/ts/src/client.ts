/**
 * The REST client: typed reads (types generated from the node's `/openapi.json` into
 * `openapi.ts`), signed transactions, dev controls. Errors carry the API's error body.
 */
import { getAddress, keccak256, hashMessage, type Address, type Hex } from 'viem';
import { canonicalize, type CanonicalValue } from './canonical.js';
import type { components } from './openapi.js';
import type { Signer } from './signer.js';

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

/** An error answer of the API: its status and `{error: {code, message}}`. */
export class TidepoolApiError extends Error {
  override name = 'TidepoolApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A transaction that was mined but failed (`reverted` or `out_of_gas`). */
export class TransactionFailedError extends Error {
  override name = 'TransactionFailedError';
  constructor(readonly receipt: Receipt) {
    super(`transaction ${receipt.tx_hash} ${receipt.status}: ${receipt.error ?? 'no reason given'}`);
  }
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

function amount(value: AmountInput): string {
  const text = typeof value === 'bigint' ? value.toString() : value;
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`amount ${JSON.stringify(text)} is not a decimal string of base units`);
  return text;
}

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
  /** The gas limit; by default the gas a simulation used, plus a quarter and 20,000. */
  gasLimit?: number;
  /** The nonce; by default the account's next, its pending transactions counted (`pending_nonce` from `GET /v1/accounts/{address}`). */
  nonce?: number | bigint;
  /** Throw [`TransactionFailedError`] when the receipt is not a success (default true). */
  requireSuccess?: boolean;
  /** In interval mining, how long to wait for the block (default 30 s). */
  timeoutMs?: number;
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
  private readonly turns = new Map<string, Promise<void>>();

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
      if (e instanceof Error && e.name === 'TimeoutError') {
        throw new TidepoolApiError(0, 'timeout', `${method} ${path}: no answer within ${this.requestTimeoutMs} ms`);
      }
      throw e;
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const detail = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new TidepoolApiError(
        response.status,
        detail?.code ?? 'http_error',
        detail?.message ?? `${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    if (json === undefined) throw new TidepoolApiError(response.status, 'not_json', `${method} ${path}: the answer is not JSON`);
    return json as T;
  }

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }
  account(address: string): Promise<AccountInfo> {
    return this.request('GET', `/v1/accounts/${address}`);
  }
  balances(address: string): Promise<Balances> {
    return this.request('GET', `/v1/accounts/${address}/balances`);
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
  state(address: string, params: { prefix?: string; after?: string; limit?: number; height?: number } = {}): Promise<StatePage> {
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
   * the same.
   */
  queryAnswer(contract: string, msg: CanonicalValue): Promise<QueryAnswer> {
    const path = `/v1/contracts/${contract}/query`;
    const text = canonicalize(msg);
    const inUrl = `${path}?msg=${encodeURIComponent(text)}`;
    return inUrl.length <= MAX_QUERY_URL ? this.request('GET', inUrl) : this.request('POST', path, text);
  }
  /** A contract query's result. */
  async query<T = unknown>(contract: string, msg: CanonicalValue): Promise<T> {
    return (await this.queryAnswer(contract, msg)).result as T;
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
   * given. Sends from one signer through one client take turns until each is accepted (not
   * until its receipt), so concurrent sends get consecutive nonces and reach the node in order.
   */
  async sendTransaction(signer: Signer, action: Action, options: SendOptions = {}): Promise<Receipt> {
    const key = signer.address.toLowerCase();
    const previous = this.turns.get(key) ?? Promise.resolve();
    let done!: () => void;
    const turn = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.turns.set(key, turn);
    let submitted: Receipt | { tx_hash: Hex };
    try {
      await previous;
      const [chainId, nonce] = await Promise.all([
        this.getChainId(),
        // A node from before `pending_nonce` tells only the committed one.
        options.nonce ?? this.account(signer.address).then((a) => a.pending_nonce ?? a.nonce),
      ]);
      const tx: UnsignedTransaction = { chain_id: chainId, nonce, from: signer.address, gas_limit: MAX_TX_GAS, action };
      tx.gas_limit = options.gasLimit ?? (await this.estimateGas(tx));
      const signed = await signTransaction(signer, tx);
      submitted = await this.request<Receipt | { tx_hash: Hex }>('POST', '/v1/txs', signed.body);
    } finally {
      // `done` was set when `previous` settled, which it had (it never rejects).
      done();
      if (this.turns.get(key) === turn) this.turns.delete(key);
    }
    const receipt = 'status' in submitted ? submitted : await this.receiptOf(submitted.tx_hash, options.timeoutMs ?? 30_000);
    if ((options.requireSuccess ?? true) && receipt.status !== 'success') throw new TransactionFailedError(receipt);
    return receipt;
  }

  /** The gas a simulation of `tx` used, plus a quarter and 20,000 for what changes until it runs. */
  async estimateGas(tx: UnsignedTransaction): Promise<number> {
    const simulated = await this.simulate({ ...tx, gas_limit: MAX_TX_GAS });
    return Math.min(MAX_TX_GAS, Math.ceil(simulated.gas_used * 1.25) + 20_000);
  }

  /** Submits a signed transaction; waits (polling) for its block in interval mining. */
  async submit(signed: SignedTransaction, timeoutMs = 30_000): Promise<Receipt> {
    const submitted = await this.request<Receipt | { tx_hash: Hex }>('POST', '/v1/txs', signed.body);
    return 'status' in submitted ? submitted : this.receiptOf(submitted.tx_hash, timeoutMs);
  }

  /** The receipt of the pending transaction `hash`, polled for until its block (at most `timeoutMs`). */
  private async receiptOf(hash: Hex, timeoutMs: number): Promise<Receipt> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return (await this.transaction(hash)).receipt;
      } catch (e) {
        if (!(e instanceof TidepoolApiError && e.status === 404) || Date.now() > deadline) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
      this.request('POST', '/dev/set_balance', { address: getAddress(address), amount: String(amount) }),
    /** A snapshot id to revert to later. */
    snapshot: (): Promise<{ id: number }> => this.request('POST', '/dev/snapshot'),
    /** Back to a snapshot: the blocks after it are gone. */
    revert: (id: number): Promise<Block> => this.request('POST', '/dev/revert', { id }),
  };
}

function queryString(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as [string, string | number][];
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

export type { Address, Hex };
