/**
 * Signers: whatever can make an EIP-191 `personal_sign` signature for an address. A private key
 * (through viem's account), or an injected Ethereum provider such as MetaMask
 * (`window.ethereum`, EIP-1193), which asks its user.
 */
import { getAddress, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** Signs messages for one address. */
export interface Signer {
  /** The address whose key signs (EIP-55). */
  readonly address: Address;
  /** EIP-191 `personal_sign` over `message`'s bytes: 65 bytes `r‖s‖v`, `0x`-hex. */
  signMessage(message: Uint8Array): Promise<Hex>;
}

/** A signer holding a private key (`0x` + 64 hex digits), e.g. a dev account's. */
export function privateKeySigner(privateKey: Hex): Signer {
  const account = privateKeyToAccount(privateKey);
  return {
    address: account.address,
    signMessage: (message) => account.signMessage({ message: { raw: message } }),
  };
}

/** The EIP-1193 provider interface a wallet injects (`window.ethereum`). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/**
 * Asks the wallet for its accounts (`eth_requestAccounts`, which prompts the user the first
 * time) and returns a signer for the first, or for `address` if given. Each signature is a
 * `personal_sign` request: the wallet shows the transaction's canonical JSON to its user.
 */
export async function injectedSigner(provider: Eip1193Provider, address?: string): Promise<Signer> {
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as string[];
  const chosen = address ?? accounts[0];
  if (!chosen) throw new Error('the wallet gave no account');
  const checksummed = getAddress(chosen);
  return {
    address: checksummed,
    signMessage: async (message) =>
      (await provider.request({ method: 'personal_sign', params: [toHex(message), checksummed] })) as Hex,
  };
}
