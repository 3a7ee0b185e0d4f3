/**
 * Server fixtures run in child processes (compiled to dist/bench/fixtures/*.js), so the load
 * generator and the server under test never share an event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServerChild } from './server-child.js';

export type FixtureName = 'ours-stdio' | 'sdk-stdio' | 'raw-stdio' | 'tmcp-stdio' | 'ours-http' | 'sdk-http' | 'sdk-v2-http' | 'raw-http';

export function fixturePath(name: FixtureName): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

/** Room for a server that retains memory per call or session to show it, instead of dying at V8's default heap limit. */
export const BIG_HEAP = ['--max-old-space-size=12288'];

export interface HttpChild {
  proc: ChildProcess;
  pid: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The MCP endpoint. */
  url: string;
  /** Set once the child has exited, e.g. "signal SIGABRT" after running out of heap. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts an HTTP fixture with --expose-gc (plus `nodeArgs`, e.g. a larger heap limit) and
 * waits for its `LISTENING <origin>` line.
 */
export async function startHttpFixture(name: FixtureName, args: string[] = [], nodeArgs: string[] = []): Promise<HttpChild> {
  const c = await startServerChild(name, args, {}, nodeArgs);
  return { proc: c.proc, pid: c.proc.pid as number, origin: c.address, url: `${c.address}/mcp`, exited: c.exited, stop: c.stop };
}

export function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.stdin?.end();
  });
}

/** Spawns a stdio fixture with piped stdin/stdout (for the raw newline-JSON driver). */
export function spawnStdioFixture(name: FixtureName, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [fixturePath(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}
