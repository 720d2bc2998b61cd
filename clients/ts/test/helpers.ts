// Shared by the tests that run against a dev node: where the binary is, and fresh accounts.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from 'viem/accounts';
import { DEV_ACCOUNT_KEYS, DEV_MARKET, Token, privateKeySigner, type Signer, type TidepoolClient } from '../src/index.js';

const repo = resolve(fileURLToPath(import.meta.url), '../../../../..');
/** The node binary: `TIDEPOOL_BIN`, or `debug/tidepool` under `CARGO_TARGET_DIR` (default `target`). */
export const binary = process.env.TIDEPOOL_BIN ?? resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'tidepool');

/** Dev account 9: every dev account holds 1,000,000 USDC, 1,000 WETH and 50 WBTC at genesis. */
export const funder: Signer = privateKeySigner(DEV_ACCOUNT_KEYS[9]);
/** Dev account 0: the oracle's owner. */
export const owner: Signer = privateKeySigner(DEV_ACCOUNT_KEYS[0]);

/** A new account holding the given market tokens (base units), sent by `funder`. */
export async function freshAccount(client: TidepoolClient, tokens: Partial<Record<keyof typeof DEV_MARKET.tokens, bigint>> = {}): Promise<Signer> {
  const signer = privateKeySigner(generatePrivateKey());
  for (const [symbol, amount] of Object.entries(tokens)) {
    await new Token(client, DEV_MARKET.tokens[symbol as keyof typeof DEV_MARKET.tokens]).transfer(funder, signer.address, amount);
  }
  return signer;
}

/** A signer that runs `before(n)` before its n-th signature (1-based): a slow wallet, say. */
export function withHook(signer: Signer, before: (n: number) => Promise<void>): Signer {
  let count = 0;
  return {
    address: signer.address,
    signMessage: async (message) => {
      await before(++count);
      return signer.signMessage(message);
    },
  };
}
