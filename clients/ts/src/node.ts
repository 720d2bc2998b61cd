/**
 * Node.js only (`tidepool-client/dev-node`): starts a dev node for tests, as the client's and the
 * dashboard's own tests do — `tidepool node --dev --market` on a free loopback port with a
 * temporary data directory — and stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running dev node. */
export interface DevNode {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `binary node --dev --market` (plus `args`) and resolves once `/health` answers.
 * Fails after `timeoutMs` (default 60 s), with the node's output.
 */
export async function startDevNode(binary: string, options: { args?: string[]; timeoutMs?: number } = {}): Promise<DevNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidepool-dev-'));
  const child: ChildProcess = spawn(
    binary,
    ['node', '--dev', '--market', '--data-dir', join(dataDir, 'chain'), '--listen', '127.0.0.1:0', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    let url: string | undefined;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode}`);
      url ??= /Listening on (http:\/\/[0-9.]+:\d+)/.exec(output)?.[1];
      if (url) {
        const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
        if (ok) return { url, output: () => output, stop };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the node did not answer /health in time');
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; its output:\n${output}`);
  }
}
