/**
 * tidepool-client: talk to a Tidepool node from a web page or Node.js.
 *
 * ```ts
 * import { TidepoolClient, LendingPool, privateKeySigner, DEV_MARKET } from 'tidepool-client';
 * const client = new TidepoolClient('http://127.0.0.1:8545');
 * const receipt = await new LendingPool(client).supply(privateKeySigner(key), DEV_MARKET.tokens.USDC, 1_000_000n);
 * ```
 */
export * from './canonical.js';
export * from './client.js';
export * from './market.js';
export * from './signer.js';
export { StreamClosedError, type StreamCloseReason, type StreamMessage, type StreamOptions, type StreamTopic } from './stream.js';
export type { components, paths, operations } from './openapi.js';
